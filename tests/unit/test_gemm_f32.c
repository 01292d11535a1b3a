/* The x86 f32 gemmconv variants (avx512, avx2) on the big-weight shapes of the float SSD
 * (weights past 256 KB, where the AVX-512 kernel prefetches the next weight group into L2
 * and its first row tile's own weights into L1; several panels, several 4-block groups, a
 * channel tail, an im2col 3×3 whose gathered chunks reuse the weights). Both variants start
 * each output at its bias and add x·w with one FMA per k in k order, so each output must equal,
 * bit for bit, the scalar chain fmaf(x[k], w[k], ...) from the bias (padding taps: x = 0) then
 * the clamp; and so must every row split and channel split of the same call (kernels.h: a
 * result never depends on the split). Prefetches never change results: this guards the
 * indexing around them. The 1e-5 tolerance test against the reference is test_kernels.c. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "core/mem.h"
#include "tests/harness.h"

static uint32_t rng = 77;
static float rnd_f(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;   /* [-1, 1) */
}

/* The FMA chain in the kernels' order: K index (ky, kx, ic), padding taps as x = 0. */
static void chain_ref(const sc_conv_shape *s, float lo, float hi, const float *in, const float *w,
                      const float *bias, float *out)
{
    int k_len = s->k_h * s->k_w * s->in_c;
    for (int oy = 0; oy < s->out_h; oy++)
        for (int ox = 0; ox < s->out_w; ox++)
            for (int oc = 0; oc < s->out_c; oc++) {
                const float *wo = w + (size_t)oc * k_len;
                float acc = bias[oc];
                for (int ky = 0; ky < s->k_h; ky++)
                    for (int kx = 0; kx < s->k_w; kx++) {
                        int iy = oy * s->stride_h - s->pad_top + ky, ix = ox * s->stride_w - s->pad_left + kx;
                        int ok = iy >= 0 && iy < s->in_h && ix >= 0 && ix < s->in_w;
                        const float *x = ok ? in + ((size_t)iy * s->in_w + ix) * s->in_c : NULL;
                        for (int ic = 0; ic < s->in_c; ic++)
                            acc = fmaf(ok ? x[ic] : 0.0f, wo[(ky * s->k_w + kx) * s->in_c + ic], acc);
                    }
                float v = acc > lo ? acc : lo;   /* max(lo, ·) then min(hi, ·), as the kernels */
                out[((size_t)oy * s->out_w + ox) * s->out_c + oc] = v < hi ? v : hi;
            }
}

static void make(sc_conv_shape *s, int h, int w, int in_c, int out_c, int k, int stride)
{
    memset(s, 0, sizeof(*s));
    s->in_h = h; s->in_w = w; s->in_c = in_c; s->out_c = out_c;
    s->k_h = s->k_w = k; s->stride_h = s->stride_w = stride; s->dil_h = s->dil_w = 1;
    s->out_h = (h + stride - 1) / stride; s->out_w = (w + stride - 1) / stride;   /* TF SAME */
    int ph = SC_MAX(0, (s->out_h - 1) * stride + k - h), pw = SC_MAX(0, (s->out_w - 1) * stride + k - w);
    s->pad_top = ph / 2; s->pad_left = pw / 2;
}

/* One shape on one variant: the whole call, then row splits × channel splits, all bit-exact. */
static void check_shape(const char *isa, const sc_kernels *k, const sc_conv_shape *s)
{
    size_t n_in = (size_t)s->in_h * s->in_w * s->in_c, n_out = (size_t)s->out_h * s->out_w * s->out_c;
    size_t n_w = (size_t)s->out_c * s->k_h * s->k_w * s->in_c, over = SC_OVERREAD / sizeof(float);
    float *in = sc_aligned_alloc(sizeof(float) * (n_in + over)), *w = sc_aligned_alloc(sizeof(float) * n_w);
    float *bias = sc_aligned_alloc(sizeof(float) * (size_t)s->out_c);
    float *ref = sc_aligned_alloc(sizeof(float) * n_out), *out = sc_aligned_alloc(sizeof(float) * n_out);
    for (size_t i = 0; i < n_in; i++) in[i] = rnd_f();
    for (size_t i = n_in; i < n_in + over; i++) in[i] = NAN;   /* past the input: must not be used */
    for (size_t i = 0; i < n_w; i++) w[i] = rnd_f();
    for (int i = 0; i < s->out_c; i++) bias[i] = rnd_f();
    const float lo = 0.0f, hi = 6.0f;
    chain_ref(s, lo, hi, in, w, bias, ref);
    size_t bytes = sc_f32_gemmconv_pack(s, w, bias, NULL);
    CHECKF(bytes > 0, "%s: pack refused", isa);
    void *packed = bytes ? sc_aligned_alloc(bytes) : NULL;
    if (packed) {
        sc_f32_gemmconv_pack(s, w, bias, packed);
        /* row bands: the whole layer, 1 row then the rest, bands of 3 and 7 rows (pointwise
         * layers are one pixel column here, as the network splits them) */
        static const int bands[] = { 0, 1, 3, 7 };
        /* channel ranges: all, then [0, 16·a) and [16·a, out_c) for a cut inside a 4-block
         * group and one on a group border */
        int cuts[] = { 0, 16, 80, 64 };
        for (size_t bi = 0; bi < SC_ARRAY_LEN(bands); bi++)
            for (size_t ci = 0; ci < SC_ARRAY_LEN(cuts); ci++) {
                int cut = SC_MIN(cuts[ci], s->out_c / 16 * 16);
                if (ci > 0 && cut == 0) continue;
                for (size_t i = 0; i < n_out; i++) out[i] = -1234.5f;
                int band = bands[bi] ? bands[bi] : s->out_h;
                for (int y0 = 0; y0 < s->out_h;) {
                    int y1 = bands[bi] == 1 ? (y0 == 0 ? 1 : s->out_h) : SC_MIN(y0 + band, s->out_h);
                    if (cut > 0) {
                        k->f32_gemmconv(s, lo, hi, in, packed, out, y0, y1, cut, s->out_c);
                        k->f32_gemmconv(s, lo, hi, in, packed, out, y0, y1, 0, cut);
                    } else {
                        k->f32_gemmconv(s, lo, hi, in, packed, out, y0, y1, 0, s->out_c);
                    }
                    y0 = y1;
                }
                size_t bad = 0, first = 0;
                for (size_t i = 0; i < n_out; i++)
                    if (memcmp(&out[i], &ref[i], sizeof(float)) != 0 && !bad++) first = i;
                CHECKF(bad == 0, "%s in %dx%dx%d k%d s%d -> %dx%dx%d, rows by %d, channel cut %d: %zu of %zu "
                       "differ from the FMA chain, first at %zu (got %.9g, want %.9g)",
                       isa, s->in_h, s->in_w, s->in_c, s->k_h, s->stride_h, s->out_h, s->out_w, s->out_c,
                       band, cut, bad, n_out, first, out[first], ref[first]);
            }
    }
    sc_aligned_free(packed);
    sc_aligned_free(in); sc_aligned_free(w); sc_aligned_free(bias);
    sc_aligned_free(ref); sc_aligned_free(out);
}

int main(void)
{
    static const char *const isas[] = { "avx512", "avx2" };
    int ran = 0;
    for (size_t v = 0; v < SC_ARRAY_LEN(isas); v++) {
        sc_kernels k;
        if (sc_kernels_init_isa(&k, isas[v]) != 0 || !k.f32_gemmconv) {
            printf("%s: not supported by this build or CPU, skipped\n", isas[v]);
            continue;
        }
        ran++;
        sc_conv_shape s;
        /* 10×10 pixels × K 1024 → 200 channels: 13 blocks (groups 4, 4, 4, 1; 8 channels
         * of tail), 832 KB of weights, one panel of 17 row tiles */
        make(&s, 100, 1, 1024, 200, 1, 1);
        check_shape(isas[v], &k, &s);
        /* 19×19 pixels × K 512 → 144 channels: 4 panels, 9 blocks, 288 KB (just past the
         * prefetch threshold), so the last group of a panel prefetches the next panel's first */
        make(&s, 361, 1, 512, 144, 1, 1);
        check_shape(isas[v], &k, &s);
        /* 19×19 × K 256 → 100: 100 KB of weights, below the threshold (no prefetch) */
        make(&s, 361, 1, 256, 100, 1, 1);
        check_shape(isas[v], &k, &s);
        /* the conv14_2 class: 3×3 s2 over 256 channels (K = 2304, gathered in chunks of 14
         * pixels), 10×10 → 5×5 × 40: 3 blocks, 432 KB */
        make(&s, 10, 10, 256, 40, 3, 2);
        check_shape(isas[v], &k, &s);
        /* a single row tile with big weights: the first tile is the only one */
        make(&s, 5, 1, 2048, 64, 1, 1);
        check_shape(isas[v], &k, &s);
    }
    CHECKF(ran > 0 || !sc_kernels_isa_supported("avx2"), "no x86 variant ran");
    return sc_test_finish();
}
