/* The f32 gemmconv paths that read the input in place (core/kernels/x86/convdirect_avx512.c)
 * on the real layer shapes and on the shapes that reach their every branch, which
 * test_kernels.c's small odd shapes do not: the first layer (300×300×3 -> 150×150×32 s2; rows of
 * more than 24 pixels, so full tiles and the overlapping last tile, for 1 to 5 channel blocks),
 * the SSD extras (10×10×256 -> 5×5×512 and the smaller ones), layers whose pixels take several
 * chunks (by the L2 budget and by the padded-copy budget). Every packed level this CPU runs is
 * checked against sc_f32_conv__ref within test_kernels.c's tolerance, |new - ref| <=
 * 1e-5·(|ref| + Σ|x·w| + |b|) + 1e-6, and must give the same bytes when the rows and the
 * channels are split over several calls (any thread count); canaries catch writes past the
 * output. */
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "core/mem.h"
#include "tests/harness.h"

static uint32_t rng = 77;
static float rnd_f(float lo, float hi)
{
    rng = rng * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)((rng >> 8) & 0xFFFFFF) / 16777216.0f;
}

enum { PAD_SAME, PAD_SYM };

static void make_shape(sc_conv_shape *s, int in_h, int in_w, int in_c, int out_c, int stride, int pad)
{
    memset(s, 0, sizeof(*s));
    s->in_h = in_h; s->in_w = in_w; s->in_c = in_c; s->out_c = out_c;
    s->k_h = s->k_w = 3; s->stride_h = s->stride_w = stride; s->dil_h = s->dil_w = 1;
    if (pad == PAD_SAME) {
        s->out_h = (in_h + stride - 1) / stride;
        s->out_w = (in_w + stride - 1) / stride;
        s->pad_top = SC_MAX((s->out_h - 1) * stride + 3 - in_h, 0) / 2;
        s->pad_left = SC_MAX((s->out_w - 1) * stride + 3 - in_w, 0) / 2;
    } else {
        s->pad_top = s->pad_left = 1;
        s->out_h = (in_h - 1) / stride + 1;
        s->out_w = (in_w - 1) / stride + 1;
    }
}

#define CANARY 64

static void check_level(const char *isa, const sc_kernels *k, const sc_conv_shape *s, float lo, float hi)
{
    const size_t n_in = (size_t)s->in_h * s->in_w * s->in_c, n_w = (size_t)s->out_c * 9 * s->in_c;
    const size_t n_out = (size_t)s->out_h * s->out_w * s->out_c;
    float *in = sc_aligned_alloc((n_in + SC_OVERREAD) * sizeof(float)), *w = malloc(n_w * sizeof(float));
    float *ain = malloc(n_in * sizeof(float)), *aw = malloc(n_w * sizeof(float));
    float *bias = malloc((size_t)s->out_c * sizeof(float)), *ab = malloc((size_t)s->out_c * sizeof(float));
    float *ref = malloc(n_out * sizeof(float)), *mag = malloc(n_out * sizeof(float));
    float *out = malloc((n_out + CANARY) * sizeof(float)), *split = malloc((n_out + CANARY) * sizeof(float));
    for (size_t i = 0; i < n_in + SC_OVERREAD; i++) in[i] = rnd_f(-1.0f, 1.0f);
    for (size_t i = 0; i < n_in; i++) ain[i] = fabsf(in[i]);
    for (size_t i = 0; i < n_w; i++) aw[i] = fabsf(w[i] = rnd_f(-0.5f, 0.5f));
    for (int i = 0; i < s->out_c; i++) ab[i] = fabsf(bias[i] = rnd_f(-1.0f, 1.0f));
    sc_f32_conv__ref(s, lo, hi, in, w, bias, ref, 0, s->out_h);
    sc_f32_conv__ref(s, -INFINITY, INFINITY, ain, aw, ab, mag, 0, s->out_h);
    size_t bytes = sc_f32_gemmconv_pack(s, w, bias, NULL);
    CHECKF(bytes > 0, "%s: pack refused %dx%dx%d -> %d", isa, s->in_h, s->in_w, s->in_c, s->out_c);
    void *packed = bytes ? sc_aligned_alloc(bytes) : NULL;
    if (packed) {
        sc_f32_gemmconv_pack(s, w, bias, packed);
        for (size_t i = 0; i < n_out + CANARY; i++) out[i] = split[i] = NAN;
        k->f32_gemmconv(s, lo, hi, in, packed, out, 0, s->out_h, 0, s->out_c);
        /* rows in three bands, each band's channels in two ranges (upper first) */
        int cut_oc = s->out_c > 16 ? (s->out_c / 2) / 16 * 16 : s->out_c;
        int cuts[4] = { 0, s->out_h / 3, (2 * s->out_h) / 3 + 1, s->out_h };
        for (int b = 0; b < 3; b++) {
            int y0 = SC_MIN(cuts[b], s->out_h), y1 = SC_MIN(cuts[b + 1], s->out_h);
            if (cut_oc < s->out_c) k->f32_gemmconv(s, lo, hi, in, packed, split, y0, y1, cut_oc, s->out_c);
            if (cut_oc > 0) k->f32_gemmconv(s, lo, hi, in, packed, split, y0, y1, 0, cut_oc);
        }
        size_t bad = 0, first = 0;
        for (size_t i = 0; i < n_out; i++) {
            float r = ref[i], g = out[i];
            if (!(fabsf(g - r) <= 1e-5f * (fabsf(r) + mag[i]) + 1e-6f) && !bad++) first = i;
        }
        CHECKF(bad == 0, "%s in %dx%dx%d out %dx%dx%d s%d: %zu of %zu differ, first at %zu (got %.9g, ref %.9g)", isa,
               s->in_h, s->in_w, s->in_c, s->out_h, s->out_w, s->out_c, s->stride_h, bad, n_out, first,
               out[first], ref[first]);
        CHECKF(!memcmp(out, split, n_out * sizeof(float)), "%s in %dx%dx%d -> %d: split calls differ", isa,
               s->in_h, s->in_w, s->in_c, s->out_c);
        int over = 0;
        for (size_t i = n_out; i < n_out + CANARY; i++) over |= !isnan(out[i]) || !isnan(split[i]);
        CHECKF(!over, "%s in %dx%dx%d -> %d: write past the output", isa, s->in_h, s->in_w, s->in_c, s->out_c);
    }
    sc_aligned_free(packed);
    sc_aligned_free(in);
    free(w); free(ain); free(aw); free(bias); free(ab); free(ref); free(mag); free(out); free(split);
}

int main(void)
{
    static const char *const levels[] = { "portable", "avx2", "avx512", "neon" };
    static const struct { int h, w, c, oc, stride, pad; } shapes[] = {
        { 300, 300, 3, 32, 2, PAD_SAME },      /* ssd_mnv1_300 conv0 */
        { 37, 61, 3, 8, 1, PAD_SAME },         /* 3 channels, 1..5 blocks, stride 1 and 2 */
        { 37, 61, 3, 40, 2, PAD_SYM },
        { 31, 100, 3, 64, 2, PAD_SAME },
        { 9, 55, 3, 72, 1, PAD_SYM },
        { 3, 2, 3, 16, 1, PAD_SAME },          /* no interior column */
        { 10, 10, 256, 512, 2, PAD_SAME },     /* conv14_2 .. conv17_2 */
        { 5, 5, 128, 256, 2, PAD_SAME },
        { 3, 3, 128, 256, 2, PAD_SAME },
        { 2, 2, 64, 128, 2, PAD_SAME },
        { 20, 20, 96, 40, 1, PAD_SYM },        /* several chunks: L2 and padded-copy budgets */
        { 4, 5, 1000, 24, 1, PAD_SYM },        /* 3000-float kernel rows: 2 padded pixels per chunk */
        { 7, 9, 11, 33, 2, PAD_SAME },         /* 33-float kernel rows */
    };
    int levels_run = 0;
    for (size_t l = 0; l < SC_ARRAY_LEN(levels); l++) {
        sc_kernels k;
        if (sc_kernels_init_isa(&k, levels[l]) != 0) continue;
        levels_run++;
        int before = sc_test_failed;
        for (size_t i = 0; i < SC_ARRAY_LEN(shapes); i++) {
            sc_conv_shape s;
            make_shape(&s, shapes[i].h, shapes[i].w, shapes[i].c, shapes[i].oc, shapes[i].stride, shapes[i].pad);
            check_level(levels[l], &k, &s, i % 2 ? 0.0f : -INFINITY, i % 2 ? 6.0f : INFINITY);
        }
        printf("%-8s %zu shapes, %d failures\n", levels[l], SC_ARRAY_LEN(shapes), sc_test_failed - before);
    }
    CHECK(levels_run >= 1);
    return sc_test_finish();
}
