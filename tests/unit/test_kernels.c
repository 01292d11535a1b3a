/* Every packed-kernel variant this build and CPU run (portable, avx2, avx512, neon) against
 * the scalar references, on odd shapes: channels {1,3,7,8,9,16,17,33,64,65}, widths
 * {1,2,3,8,9,19} (depthwise also wide rows of 150..1100 channels), strides {1,2},
 * SAME/VALID/symmetric padding, dilation, and output rows
 * computed in several calls over a random split (gemmconv: also two channel ranges, split at a
 * random multiple of 16, the upper one first). Seeded random data; canaries around and
 * after the rows written so far catch out-of-range writes; inputs carry random bytes in
 * their SC_OVERREAD tail (results must not depend on them); half the depthwise cases read
 * their input as a ring of rows (ring_input). uint8 must be bit-exact; f32
 * within |new - ref| <= 1e-5·(|ref| + Σ|x·w| + |b|) + 1e-6 (see check_f32). Also: pack
 * refusals and sc_kernels_init_isa() levels. */
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "core/mem.h"
#include "tests/harness.h"

static uint32_t rng = 2024;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }
static int rnd_int(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / 16777216.0f; }

static const int channels[] = { 1, 3, 7, 8, 9, 16, 17, 33, 64, 65 };
static const int widths[] = { 1, 2, 3, 8, 9, 19 };

typedef struct variant {
    const char *isa;
    sc_kernels k;
} variant;

enum { PAD_SAME, PAD_VALID, PAD_SYM };

/* Output size and padding as TFLite (SAME / VALID) or symmetric k/2 padding. */
static int make_shape(sc_conv_shape *s, int in_h, int in_w, int in_c, int out_c, int kh, int kw, int stride, int dil, int pad)
{
    memset(s, 0, sizeof(*s));
    s->in_h = in_h; s->in_w = in_w; s->in_c = in_c; s->out_c = out_c;
    s->k_h = kh; s->k_w = kw; s->stride_h = s->stride_w = stride; s->dil_h = s->dil_w = dil;
    int eh = (kh - 1) * dil + 1, ew = (kw - 1) * dil + 1;
    if (pad == PAD_SAME) {
        s->out_h = (in_h + stride - 1) / stride;
        s->out_w = (in_w + stride - 1) / stride;
        s->pad_top = SC_MAX((s->out_h - 1) * stride + eh - in_h, 0) / 2;
        s->pad_left = SC_MAX((s->out_w - 1) * stride + ew - in_w, 0) / 2;
    } else {
        int ph = pad == PAD_SYM ? eh / 2 : 0, pw = pad == PAD_SYM ? ew / 2 : 0;
        s->pad_top = ph;
        s->pad_left = pw;
        s->out_h = (in_h + 2 * ph - eh) / stride + 1;
        s->out_w = (in_w + 2 * pw - ew) / stride + 1;
        if (in_h + 2 * ph < eh || in_w + 2 * pw < ew) return 0;
    }
    return s->out_h > 0 && s->out_w > 0;
}

/* Requantisation spreading outputs over the range (or saturating, or with a left shift). */
static void make_requant(sc_requant *q, int k_terms)
{
    q->in_zp = rnd_int(0, 255);
    q->w_zp = rnd_int(0, 255);
    q->out_zp = rnd_int(0, 255);
    double real = 0.01 / sqrt((double)k_terms) * exp(rnd_f(-2.0f, 2.0f));
    int mode = rnd_int(0, 19);
    if (mode == 0) real = rnd_f(1.0f, 3.0f);     /* shift > 0 */
    if (mode == 1) real = 0.0;                  /* multiplier 0 */
    if (mode == 2) real = rnd_f(0.25f, 1.0f);   /* shift -1, 0: a 31..32-bit right shift */
    if (mode == 3) real = ldexp(rnd_f(0.5f, 1.0f), -rnd_int(21, 29));   /* a 53..61-bit right shift:
                                                 * AVX-512 adds out_zp after the shift, not before */
    sc_quantize_multiplier(real, &q->mult, &q->shift);
    q->act_min = rnd_int(0, 1) ? 0 : rnd_int(0, 100);
    q->act_max = rnd_int(0, 1) ? 255 : rnd_int(q->act_min, 255);
}

static int random_split(int n, int *cuts)
{
    cuts[0] = 0;
    int a = rnd_int(0, n), b = rnd_int(0, n);
    cuts[1] = SC_MIN(a, b);
    cuts[2] = SC_MAX(a, b);
    cuts[3] = n;
    return 3;
}

#define GUARD 64
#define CANARY_U8 0xA5

/* Half the depthwise cases read their input as a ring (sc_conv_shape.ring_rows, what a
 * chain's window is, core/nn/net.c): input row iy at slot (first + iy) % rows of a buffer of
 * in_h..in_h+3 rows, the other slots and the SC_OVERREAD tail random. Returns the buffer to
 * pass (to free with free()) and sets *rs to the shape to pass, or NULL when this case reads
 * in place (*rs = *s). */
static void *ring_input(const sc_conv_shape *s, const void *in, size_t esz, sc_conv_shape *rs)
{
    *rs = *s;
    if (rnd_int(0, 1)) return NULL;
    rs->ring_rows = s->in_h + rnd_int(0, 3);
    rs->ring_first = rnd_int(0, rs->ring_rows - 1);
    size_t row = (size_t)s->in_w * (size_t)s->in_c * esz, n = (size_t)rs->ring_rows * row + SC_OVERREAD;
    uint8_t *r = malloc(n);
    for (size_t i = 0; i < n; i++) r[i] = esz == 1 ? (uint8_t)rnd() : (i % 4 == 3 ? 0x7f : 0xff);   /* f32: NaN */
    for (int iy = 0; iy < s->in_h; iy++)
        memcpy(r + (size_t)((rs->ring_first + iy) % rs->ring_rows) * row, (const uint8_t *)in + (size_t)iy * row, row);
    return r;
}

static int n_cases;

/* One uint8 case: `dw` selects depthwise (else gemmconv). Returns 0 when all is well. */
static void check_u8(const variant *v, int dw, const sc_conv_shape *s, int narrow_w)
{
    size_t n_in = (size_t)s->in_h * s->in_w * s->in_c, n_out = (size_t)s->out_h * s->out_w * s->out_c;
    size_t n_w = dw ? (size_t)s->k_h * s->k_w * s->out_c : (size_t)s->out_c * s->k_h * s->k_w * s->in_c;
    size_t row = (size_t)s->out_w * s->out_c;
    sc_requant q;
    make_requant(&q, dw ? s->k_h * s->k_w : s->k_h * s->k_w * s->in_c);
    uint8_t *in = malloc(n_in + SC_OVERREAD), *w = malloc(n_w), *ref = malloc(n_out);
    uint8_t *out = malloc(n_out + 2 * GUARD);
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)s->out_c);
    for (size_t i = 0; i < n_in + SC_OVERREAD; i++) in[i] = (uint8_t)rnd();
    for (size_t i = 0; i < n_w; i++)
        w[i] = narrow_w ? (uint8_t)SC_MAX(0, SC_MIN(255, q.w_zp + rnd_int(-100, 100))) : (uint8_t)rnd();
    for (int i = 0; i < s->out_c; i++) bias[i] = rnd_int(-20000, 20000);
    int no_bias = rnd_int(0, 9) == 0;
    if (dw) sc_u8_dwconv__ref(s, &q, in, w, no_bias ? NULL : bias, ref, 0, s->out_h);
    else sc_u8_conv__ref(s, &q, in, w, no_bias ? NULL : bias, ref, 0, s->out_h);

    size_t bytes = dw ? sc_u8_dwconv3x3_pack(s, &q, w, no_bias ? NULL : bias, NULL)
                      : sc_u8_gemmconv_pack(s, &q, w, no_bias ? NULL : bias, NULL);
    CHECKF(bytes > 0, "%s u8 %s: pack refused %dx%dx%d k%dx%d", v->isa, dw ? "dw" : "gemm", s->in_h, s->in_w, s->in_c, s->k_h, s->k_w);
    void *packed = bytes ? sc_aligned_alloc(bytes) : NULL;
    if (packed) {
        if (dw) sc_u8_dwconv3x3_pack(s, &q, w, no_bias ? NULL : bias, packed);
        else sc_u8_gemmconv_pack(s, &q, w, no_bias ? NULL : bias, packed);
        memset(out, CANARY_U8, n_out + 2 * GUARD);
        int cuts[4], n_pieces = random_split(s->out_h, cuts), over = 0, chan_over = 0;
        sc_conv_shape rs;
        uint8_t *ring = dw ? ring_input(s, in, 1, &rs) : NULL;
        for (int p = 0; p < n_pieces; p++) {
            if (dw) {
                v->k.u8_dwconv3x3(&rs, &q, ring ? ring : in, packed, out + GUARD, cuts[p], cuts[p + 1]);
            } else {
                /* two channel ranges split at a random multiple of 16, the upper one first:
                 * the lower channels must still hold the canary after it */
                int cut = SC_GEMMCONV_OC_STEP * rnd_int(0, (s->out_c + SC_GEMMCONV_OC_STEP - 1) / SC_GEMMCONV_OC_STEP);
                int c1 = SC_MIN(cut, s->out_c);
                v->k.u8_gemmconv(s, &q, in, packed, out + GUARD, cuts[p], cuts[p + 1], cut, s->out_c);
                for (int y = cuts[p]; y < cuts[p + 1]; y++)
                    for (int x = 0; x < s->out_w; x++)
                        for (int c = 0; c < c1; c++)
                            chan_over |= out[GUARD + ((size_t)y * s->out_w + x) * s->out_c + c] != CANARY_U8;
                v->k.u8_gemmconv(s, &q, in, packed, out + GUARD, cuts[p], cuts[p + 1], 0, c1);
            }
            /* rows after this piece and both guards are untouched */
            for (size_t i = GUARD + (size_t)cuts[p + 1] * row; i < n_out + 2 * GUARD; i++) over |= out[i] != CANARY_U8;
            for (size_t i = 0; i < GUARD; i++) over |= out[i] != CANARY_U8;
        }
        CHECKF(!over, "%s u8 %s: write outside rows [oy0, oy1)", v->isa, dw ? "dw" : "gemm");
        CHECKF(!chan_over, "%s u8 gemm: write outside channels [oc0, oc1)", v->isa);
        size_t bad = 0, first = 0;
        for (size_t i = 0; i < n_out; i++)
            if (out[GUARD + i] != ref[i] && !bad++) first = i;
        CHECKF(bad == 0, "%s u8 %s%s in %dx%dx%d out %dx%dx%d k%dx%d s%d d%d pad %d,%d zp %d/%d/%d m %d sh %d: "
               "%zu of %zu differ, first at %zu (got %d, ref %d)",
               v->isa, dw ? "dw" : "gemm", ring ? " (ring input)" : "", s->in_h, s->in_w, s->in_c, s->out_h, s->out_w,
               s->out_c, s->k_h, s->k_w,
               s->stride_h, s->dil_h, s->pad_top, s->pad_left, q.in_zp, q.w_zp, q.out_zp, q.mult, q.shift,
               bad, n_out, first, out[GUARD + first], ref[first]);
        free(ring);
    }
    n_cases++;
    sc_aligned_free(packed);
    free(in); free(w); free(ref); free(out); free(bias);
}

static void check_f32(const variant *v, int dw, const sc_conv_shape *s)
{
    size_t n_in = (size_t)s->in_h * s->in_w * s->in_c, n_out = (size_t)s->out_h * s->out_w * s->out_c;
    size_t n_w = dw ? (size_t)s->k_h * s->k_w * s->out_c : (size_t)s->out_c * s->k_h * s->k_w * s->in_c;
    size_t row = (size_t)s->out_w * s->out_c, over_f = SC_OVERREAD / sizeof(float);
    float *in = malloc(sizeof(float) * (n_in + over_f)), *w = malloc(sizeof(float) * n_w);
    float *ref = malloc(sizeof(float) * n_out), *out = malloc(sizeof(float) * (n_out + 2 * GUARD));
    float *bias = malloc(sizeof(float) * (size_t)s->out_c);
    for (size_t i = 0; i < n_in; i++) in[i] = rnd_f(-1.0f, 1.0f);
    for (size_t i = n_in; i < n_in + over_f; i++) in[i] = (i & 1) ? NAN : 1e30f;   /* must not leak into results */
    for (size_t i = 0; i < n_w; i++) w[i] = rnd_f(-1.0f, 1.0f);
    for (int i = 0; i < s->out_c; i++) bias[i] = rnd_f(-1.0f, 1.0f);
    float lo = rnd_int(0, 1) ? -INFINITY : 0.0f, hi = rnd_int(0, 1) ? INFINITY : 6.0f;
    if (dw) sc_f32_dwconv__ref(s, lo, hi, in, w, bias, ref, 0, s->out_h);
    else sc_f32_conv__ref(s, lo, hi, in, w, bias, ref, 0, s->out_h);
    /* mag = |b| + Σ|x·w| per output: the size of what rounding acts on. With mixed signs a
     * long sum can cancel far below its terms, and both the reference and the variant are
     * then off by ~eps·mag, so the tolerance is 1e-5·(|ref| + mag) + 1e-6 (XNNPACK-like). */
    float *mag = malloc(sizeof(float) * n_out), *ain = malloc(sizeof(float) * n_in);
    float *aw = malloc(sizeof(float) * n_w), *ab = malloc(sizeof(float) * (size_t)s->out_c);
    for (size_t i = 0; i < n_in; i++) ain[i] = fabsf(in[i]);
    for (size_t i = 0; i < n_w; i++) aw[i] = fabsf(w[i]);
    for (int i = 0; i < s->out_c; i++) ab[i] = fabsf(bias[i]);
    if (dw) sc_f32_dwconv__ref(s, 0.0f, INFINITY, ain, aw, ab, mag, 0, s->out_h);
    else sc_f32_conv__ref(s, 0.0f, INFINITY, ain, aw, ab, mag, 0, s->out_h);

    size_t bytes = dw ? sc_f32_dwconv3x3_pack(s, w, bias, NULL) : sc_f32_gemmconv_pack(s, w, bias, NULL);
    CHECKF(bytes > 0, "%s f32 %s: pack refused", v->isa, dw ? "dw" : "gemm");
    void *packed = bytes ? sc_aligned_alloc(bytes) : NULL;
    if (packed) {
        if (dw) sc_f32_dwconv3x3_pack(s, w, bias, packed);
        else sc_f32_gemmconv_pack(s, w, bias, packed);
        for (size_t i = 0; i < n_out + 2 * GUARD; i++) out[i] = NAN;
        int cuts[4], n_pieces = random_split(s->out_h, cuts), over = 0, chan_over = 0;
        sc_conv_shape rs;
        float *ring = dw ? ring_input(s, in, sizeof(float), &rs) : NULL;
        for (int p = 0; p < n_pieces; p++) {
            if (dw) {
                v->k.f32_dwconv3x3(&rs, lo, hi, ring ? ring : in, packed, out + GUARD, cuts[p], cuts[p + 1]);
            } else {
                int cut = SC_GEMMCONV_OC_STEP * rnd_int(0, (s->out_c + SC_GEMMCONV_OC_STEP - 1) / SC_GEMMCONV_OC_STEP);
                int c1 = SC_MIN(cut, s->out_c);
                v->k.f32_gemmconv(s, lo, hi, in, packed, out + GUARD, cuts[p], cuts[p + 1], cut, s->out_c);
                for (int y = cuts[p]; y < cuts[p + 1]; y++)
                    for (int x = 0; x < s->out_w; x++)
                        for (int c = 0; c < c1; c++)
                            chan_over |= !isnan(out[GUARD + ((size_t)y * s->out_w + x) * s->out_c + c]);
                v->k.f32_gemmconv(s, lo, hi, in, packed, out + GUARD, cuts[p], cuts[p + 1], 0, c1);
            }
            for (size_t i = GUARD + (size_t)cuts[p + 1] * row; i < n_out + 2 * GUARD; i++) over |= !isnan(out[i]);
            for (size_t i = 0; i < GUARD; i++) over |= !isnan(out[i]);
        }
        CHECKF(!over, "%s f32 %s: write outside rows [oy0, oy1)", v->isa, dw ? "dw" : "gemm");
        CHECKF(!chan_over, "%s f32 gemm: write outside channels [oc0, oc1)", v->isa);
        size_t bad = 0, first = 0;
        for (size_t i = 0; i < n_out; i++) {
            float r = ref[i], g = out[GUARD + i];
            if (!(fabsf(g - r) <= 1e-5f * (fabsf(r) + mag[i]) + 1e-6f) && !bad++) first = i;
        }
        CHECKF(bad == 0,
               "%s f32 %s%s in %dx%dx%d out %dx%dx%d k%dx%d s%d: %zu of %zu differ, first at %zu (got %.9g, ref %.9g)",
               v->isa, dw ? "dw" : "gemm", ring ? " (ring input)" : "", s->in_h, s->in_w, s->in_c, s->out_h, s->out_w,
               s->out_c, s->k_h, s->k_w,
               s->stride_h, bad, n_out, first, out[GUARD + first], ref[first]);
        free(ring);
    }
    n_cases++;
    sc_aligned_free(packed);
    free(in); free(w); free(ref); free(out); free(bias);
    free(mag); free(ain); free(aw); free(ab);
}

static void check_variant(const variant *v)
{
    int before = sc_test_failed, cases0 = n_cases;
    sc_conv_shape s;
    /* pointwise: every channel pair, widths and heights cycling */
    int i = 0;
    for (size_t a = 0; a < SC_ARRAY_LEN(channels); a++)
        for (size_t b = 0; b < SC_ARRAY_LEN(channels); b++, i++) {
            int h = 1 + i % 5, wd = widths[i % SC_ARRAY_LEN(widths)];
            make_shape(&s, h, wd, channels[a], channels[b], 1, 1, 1, 1, PAD_VALID);
            check_u8(v, 0, &s, i % 3 == 0);
            check_f32(v, 0, &s);
        }
    /* wide pointwise (several 64-channel tiles and a tail) */
    make_shape(&s, 3, 19, 200, 273, 1, 1, 1, 1, PAD_VALID);
    check_u8(v, 0, &s, 0);
    check_u8(v, 0, &s, 1);
    check_f32(v, 0, &s);
    /* full convolutions through im2col: 3×3 s1/s2 with each padding, 1×1 s2, 2×2, 5×3, dilation 2 */
    static const int conv_c[][2] = { { 1, 1 }, { 3, 8 }, { 3, 17 }, { 8, 7 }, { 9, 16 }, { 17, 33 }, { 33, 65 }, { 64, 9 } };
    i = 0;
    for (size_t a = 0; a < SC_ARRAY_LEN(conv_c); a++)
        for (int stride = 1; stride <= 2; stride++)
            for (int pad = PAD_SAME; pad <= PAD_SYM; pad++, i++) {
                int h = 1 + (i * 7) % 9, wd = widths[i % SC_ARRAY_LEN(widths)];
                if (make_shape(&s, h, wd, conv_c[a][0], conv_c[a][1], 3, 3, stride, 1, pad)) {
                    check_u8(v, 0, &s, i % 2);
                    check_f32(v, 0, &s);
                }
            }
    static const int other[][6] = {   /* kh, kw, stride, dil, pad, in_c */
        { 1, 1, 2, 1, PAD_SAME, 17 }, { 2, 2, 1, 1, PAD_SAME, 9 }, { 5, 3, 2, 1, PAD_SYM, 7 }, { 3, 3, 1, 2, PAD_SAME, 8 },
        { 3, 3, 2, 2, PAD_VALID, 3 }, { 1, 1, 1, 1, PAD_SYM, 33 },
    };
    for (size_t a = 0; a < SC_ARRAY_LEN(other); a++)
        if (make_shape(&s, 9, 19, other[a][5], 17, other[a][0], other[a][1], other[a][2], other[a][3], other[a][4])) {
            check_u8(v, 0, &s, 0);
            check_f32(v, 0, &s);
        }
    /* the SSD extras' shape class: 3×3 s2 over many channels */
    make_shape(&s, 5, 5, 192, 96, 3, 3, 2, 1, PAD_SAME);
    check_u8(v, 0, &s, 0);
    check_f32(v, 0, &s);
    /* more output pixels than one gathered chunk holds, so chunks start inside an output row:
     * the first layer's class (3 input channels, K = 27, 384-pixel chunks), a K = 1440 conv
     * (91 u8 pixels or 22 f32 pixels per chunk) and small-K weights over 800 channels (the
     * chunk then fills the whole buffer) */
    make_shape(&s, 41, 45, 3, 24, 3, 3, 2, 1, PAD_SAME);
    check_u8(v, 0, &s, 1);
    check_f32(v, 0, &s);
    /* the AVX-512 uint8 path that reads a 3-channel image in place (Σx from an unused lane):
     * 24 channels with and without Σx, 32 and 16 (no unused lane: in place only without Σx),
     * 40 (three blocks: gathered), stride 1 and 2, SAME and symmetric padding */
    static const int c3[][4] = { { 24, 2, PAD_SAME, 0 }, { 24, 1, PAD_SYM, 0 }, { 32, 2, PAD_SAME, 1 }, { 32, 2, PAD_SYM, 0 },
                                 { 16, 1, PAD_SAME, 1 }, { 40, 2, PAD_SAME, 1 } };
    for (size_t a = 0; a < SC_ARRAY_LEN(c3); a++) {
        make_shape(&s, 17, 26, 3, c3[a][0], 3, 3, c3[a][1], 1, c3[a][2]);
        check_u8(v, 0, &s, c3[a][3]);
    }
    make_shape(&s, 12, 12, 160, 40, 3, 3, 1, 1, PAD_SYM);
    check_u8(v, 0, &s, 0);
    check_f32(v, 0, &s);
    make_shape(&s, 21, 23, 9, 820, 3, 3, 1, 1, PAD_SAME);
    check_u8(v, 0, &s, 0);
    check_f32(v, 0, &s);
    /* depthwise 3×3: every channel count × width × stride × padding */
    i = 0;
    for (size_t a = 0; a < SC_ARRAY_LEN(channels); a++)
        for (size_t b = 0; b < SC_ARRAY_LEN(widths); b++)
            for (int stride = 1; stride <= 2; stride++)
                for (int pad = PAD_SAME; pad <= PAD_SYM; pad++, i++) {
                    int h = 1 + (i * 5) % 8;
                    if (make_shape(&s, h, widths[b], channels[a], channels[a], 3, 3, stride, 1, pad)) {
                        check_u8(v, 1, &s, i % 2);
                        check_f32(v, 1, &s);
                    }
                }
    make_shape(&s, 7, 9, 200, 200, 3, 3, 2, 1, PAD_SAME);
    check_u8(v, 1, &s, 0);
    check_f32(v, 1, &s);
    /* wide rows of many channels: several channel chunks and row blocks (the AVX-512 kernel
     * walks chunks of at most 1 KB of a pixel inside row blocks that fit L2), stride 1 and 2,
     * and 8-pixel groups with 4-pixel and edge leftovers */
    static const int dw_big[][5] = {   /* h, w, c, stride, pad */
        { 9, 40, 300, 1, PAD_SAME }, { 9, 41, 300, 2, PAD_SAME }, { 5, 60, 1100, 1, PAD_SYM }, { 7, 61, 150, 2, PAD_VALID },
    };
    for (size_t a = 0; a < SC_ARRAY_LEN(dw_big); a++)
        if (make_shape(&s, dw_big[a][0], dw_big[a][1], dw_big[a][2], dw_big[a][2], 3, 3, dw_big[a][3], 1, dw_big[a][4])) {
            check_u8(v, 1, &s, (int)a % 2);
            check_f32(v, 1, &s);
        }
    printf("%-8s %d cases, %d failures\n", v->isa, n_cases - cases0, sc_test_failed - before);
}

/* Pack refusals: shapes or parameters the packed kernels do not take. */
static void test_pack_limits(void)
{
    sc_conv_shape s;
    sc_requant q = { 128, 128, 0, 1 << 30, -1, 0, 255 };
    uint8_t w[9 * 8] = { 0 };
    make_shape(&s, 5, 5, 8, 8, 3, 3, 1, 2, PAD_SAME);
    CHECK(sc_u8_dwconv3x3_pack(&s, &q, w, NULL, NULL) == 0);   /* dilation 2: not the 3×3 kernel */
    make_shape(&s, 5, 5, 8, 8, 3, 3, 1, 1, PAD_SAME);
    CHECK(sc_u8_dwconv3x3_pack(&s, &q, w, NULL, NULL) > 0);
    q.shift = 31;
    CHECK(sc_u8_dwconv3x3_pack(&s, &q, w, NULL, NULL) == 0);   /* requantisation shift out of range */
    q.shift = -1;
    int32_t big[8] = { INT32_MAX - 10, 0, 0, 0, 0, 0, 0, 0 };
    make_shape(&s, 5, 5, 1, 8, 1, 1, 1, 1, PAD_VALID);
    CHECK(sc_u8_gemmconv_pack(&s, &q, w, big, NULL) == 0);     /* int32 headroom */
    CHECK(sc_u8_gemmconv_pack(&s, &q, w, NULL, NULL) > 0);
    CHECK(sc_conv_is_pointwise(&s));
    make_shape(&s, 5, 5, 4000, 8, 3, 3, 1, 1, PAD_SAME);      /* im2col row above the stack buffer */
    CHECK(sc_f32_gemmconv_pack(&s, NULL, NULL, NULL) == 0);
    CHECK(!sc_conv_is_pointwise(&s));
}

static void test_init_isa(void)
{
    sc_kernels k;
    CHECK(sc_kernels_init_isa(&k, "ref") == 0);
    CHECK(k.u8_gemmconv == NULL && k.u8_dwconv3x3 == NULL && !strcmp(k.isa, "ref"));
    CHECK(sc_kernels_init_isa(&k, "portable") == 0);
    CHECK(k.u8_gemmconv != NULL && k.f32_dwconv3x3 != NULL && !strcmp(k.isa, "portable"));
    CHECK(sc_kernels_init_isa(&k, "no-such-isa") == -1);
    CHECK(!strcmp(k.isa, "portable"));   /* untouched on failure */
    sc_kernels_init(&k, 1);
    CHECK(!strcmp(k.isa, "ref") && k.u8_gemmconv == NULL);
    sc_kernels_init(&k, 0);
    CHECK(k.u8_gemmconv != NULL && sc_kernels_isa_supported(k.isa));
#if defined(__x86_64__)
    CHECK(sc_kernels_isa_supported("neon") == 0);
#endif
    printf("best level here: %s\n", k.isa);
}

int main(void)
{
    test_init_isa();
    test_pack_limits();
    static const char *const isas[] = { "portable", "avx2", "avx512", "neon" };
    int n_run = 0;
    for (size_t i = 0; i < SC_ARRAY_LEN(isas); i++) {
        variant v = { isas[i], { 0 } };
        if (sc_kernels_init_isa(&v.k, isas[i]) != 0) {
            printf("%-8s not supported by this build or CPU: skipped\n", isas[i]);
            continue;
        }
        rng = 2024 + (uint32_t)i;
        check_variant(&v);
        n_run++;
    }
    CHECK(n_run >= 1);
    return sc_test_finish();
}
