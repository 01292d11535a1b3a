/* core/kernels/kernels.h — the compute kernels and their dispatch table.
 *
 * Every kernel has a scalar reference (`__ref`, the specification) and may have SIMD variants
 * with the same signature, tested against it (STYLE.md §7). A kernel computes output rows
 * [oy0, oy1) of one layer: the caller (core/nn) splits rows over the worker pool, so each
 * output element has exactly one writer and results do not depend on the thread count.
 *
 * Layouts: activations NHWC with batch 1 (row-major H, W, C; contiguous). Reference weight
 * layouts are TFLite's: full conv [out_c][k_h][k_w][in_c], depthwise [k_h][k_w][c].
 * Quantised kernels follow TFLite's uint8 arithmetic exactly: int32 accumulation of
 * (x - x_zp)·(w - w_zp) + bias, then sc_requantize() and the activation clamp. Padding
 * positions contribute nothing (as if the input there were its zero point). */
#ifndef SC_CORE_KERNELS_H
#define SC_CORE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sc_conv_shape {
    int in_h, in_w, in_c;
    int out_h, out_w, out_c;
    int k_h, k_w;
    int stride_h, stride_w;
    int dil_h, dil_w;
    int pad_top, pad_left;       /* TF SAME: the extra row/column goes bottom/right */
    /* The packed depthwise 3×3 kernels only (0 for every other kernel): when ring_rows > 0 the
     * input is a ring of ring_rows rows, input row iy being row (ring_first + iy) % ring_rows
     * of `in` (a chain's window, core/nn/net.c, whose rows need no moving then). */
    int ring_rows, ring_first;
} sc_conv_shape;

/* Per-tensor uint8 requantisation (TFLite): out = clamp(requant(acc) + out_zp). */
typedef struct sc_requant {
    int32_t in_zp, w_zp, out_zp;
    int32_t mult;                /* Q31 fixed-point multiplier in [2^30, 2^31) (or 0) */
    int32_t shift;               /* power-of-two exponent: > 0 left, < 0 right */
    int32_t act_min, act_max;    /* clamp in the output's quantised domain */
} sc_requant;

/* TFLite's SaturatingRoundingDoublingHighMul: round(a·b / 2^31), saturating the one overflow. */
static inline int32_t sc_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

/* TFLite's RoundingDivideByPOT: x / 2^e rounded half away from zero. */
static inline int32_t sc_rdivpot(int32_t x, int e)
{
    int32_t mask = (int32_t)((1LL << e) - 1);
    int32_t rem = x & mask;
    int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > thr ? 1 : 0);
}

/* TFLite's MultiplyByQuantizedMultiplier in its single-rounding form (TFLITE_SINGLE_ROUNDING;
 * also ruy's, TFLite's uint8 GEMM): round(acc · mult / 2^(31 - shift)) with halves toward +inf,
 * rounded once. gemmlowp's two-step form, sc_rdivpot(sc_srdhm(...)), rounds twice: on the COCO
 * SSD model it moves 0.1-2.5 % of each layer's outputs by 1 LSB away from an exact float64
 * requantisation, while this form matches it except at near-ties within the Q31 multiplier's
 * 2^-31 relative error. Needs shift <= 30 (QuantizeMultiplier gives <= 30 for real < 2^30). */
static inline int32_t sc_requantize(int32_t acc, int32_t mult, int32_t shift)
{
    const int total = 31 - shift;
    const int64_t r = (int64_t)acc * (int64_t)mult + ((int64_t)1 << (total - 1));
    return (int32_t)(r >> total);
}

/* TFLite's QuantizeMultiplier: real = mult · 2^(shift - 31). */
void sc_quantize_multiplier(double real, int32_t *mult, int32_t *shift);

/* Full convolution (any k, stride, dilation), uint8. */
typedef void (*sc_u8_conv_fn)(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                              const uint8_t *w, const int32_t *bias, uint8_t *out, int oy0, int oy1);
/* Depthwise convolution, depth multiplier 1, uint8. */
typedef void (*sc_u8_dwconv_fn)(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                                const uint8_t *w, const int32_t *bias, uint8_t *out, int oy0, int oy1);
/* Float versions; the activation is a clamp to [act_min, act_max]. */
typedef void (*sc_f32_conv_fn)(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                               const float *w, const float *bias, float *out, int oy0, int oy1);
typedef void (*sc_f32_dwconv_fn)(const sc_conv_shape *s, float act_min, float act_max,
                                 const float *in, const float *w, const float *bias, float *out,
                                 int oy0, int oy1);

void sc_u8_conv__ref(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                     const uint8_t *w, const int32_t *bias, uint8_t *out, int oy0, int oy1);
void sc_u8_dwconv__ref(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                       const uint8_t *w, const int32_t *bias, uint8_t *out, int oy0, int oy1);
void sc_f32_conv__ref(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                      const float *w, const float *bias, float *out, int oy0, int oy1);
void sc_f32_dwconv__ref(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                        const float *w, const float *bias, float *out, int oy0, int oy1);

/* ---- Packed kernels ---------------------------------------------------------------------
 *
 * The fast kernels read weights packed once at load by the sc_*_pack() functions below, into
 * a layout shared by every ISA variant (portable C, AVX2, AVX-512, NEON): a net packed once
 * runs with any table that has the packed kernels. A pack function returns the packed size
 * in bytes when `dst` is NULL, fills `dst` (64-byte aligned, that many bytes) otherwise, and
 * returns 0 when the layer cannot use the packed kernel (the caller then keeps the reference
 * kernel and layout). The packed block holds the weights and the (folded) bias; `q` or the
 * clamp are still passed at run time and must be the ones given to the pack.
 *
 * gemmconv: any full convolution as a GEMM [pixels × K]·[K × out_c] with K = k_h·k_w·in_c.
 *   A 1×1, stride-1, unpadded conv multiplies the input rows directly; other shapes gather
 *   each pixel's K inputs (im2col) into a bounded stack buffer first. uint8 weights become
 *   int8 w − c (c = w_zp when that fits, else 128) for u8×s8 dot products of 4, and
 *   Σ(x − x_zp)(w − w_zp) = Σ x·(w − c) + (c − w_zp)·Σx − x_zp·Σ(w − w_zp): the last term
 *   is folded into the bias, the middle one uses each pixel's Σx. Exact in int32.
 * dwconv3x3: depthwise 3×3, dilation 1, any stride and padding; uint8 weights become int16
 *   w − w_zp, and padding taps read x_zp (uint8) or 0 (f32), which contribute nothing, so
 *   the bias folds x_zp·Σ(w − w_zp) for every pixel alike.
 *
 * Kernels may read up to SC_OVERREAD bytes past the end of `in` (never write past `out`'s
 * row range); the requantisation is bit-exact with the references, f32 results agree within
 * rounding (FMA). Results never depend on the row split.
 *
 * gemmconv kernels also take an output channel range [oc0, oc1): oc0 a multiple of
 * SC_GEMMCONV_OC_STEP, oc1 one too or out_c; they write only those channels of rows
 * [oy0, oy1), and an element's result does not depend on the range either. A layer whose
 * weights outweigh its inputs (a 10×10 map with 1024 channels, an SSD extra 3×3) is split by
 * channels, so each weight is read once per layer, not once per row band. */
#define SC_GEMMCONV_OC_STEP 16
typedef void (*sc_u8_packed_fn)(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                                const void *packed, uint8_t *out, int oy0, int oy1);
typedef void (*sc_f32_packed_fn)(const sc_conv_shape *s, float act_min, float act_max,
                                 const float *in, const void *packed, float *out, int oy0, int oy1);
typedef void (*sc_u8_gemmconv_fn)(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                                  const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1);
typedef void (*sc_f32_gemmconv_fn)(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                                   const void *packed, float *out, int oy0, int oy1, int oc0, int oc1);

/* Shape tests: which packed kernel a layer can use. */
int sc_conv_is_pointwise(const sc_conv_shape *s);   /* 1×1, stride 1, no padding */
int sc_conv_is_dw3x3(const sc_conv_shape *s);       /* 3×3, dilation 1 (depthwise layers) */
int sc_conv_is_3x3c3(const sc_conv_shape *s);       /* 3×3 over 3 channels, dilation 1 (a first layer) */

/* `w` and `bias` in the reference layouts above; `bias` may be NULL (zero). */
size_t sc_u8_gemmconv_pack(const sc_conv_shape *s, const sc_requant *q, const uint8_t *w,
                           const int32_t *bias, void *dst);
size_t sc_u8_dwconv3x3_pack(const sc_conv_shape *s, const sc_requant *q, const uint8_t *w,
                            const int32_t *bias, void *dst);
size_t sc_f32_gemmconv_pack(const sc_conv_shape *s, const float *w, const float *bias, void *dst);
size_t sc_f32_dwconv3x3_pack(const sc_conv_shape *s, const float *w, const float *bias, void *dst);

/* Variants: __portable (plain C that compilers vectorise), __avx2 (AVX2+FMA), __avx512
 * (AVX-512 F/BW/VL + VNNI), __neon. */
#define SC_DECLARE_PACKED_KERNELS(isa) \
    void sc_u8_gemmconv__##isa(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in, \
                               const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1); \
    void sc_u8_dwconv3x3__##isa(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in, \
                                const void *packed, uint8_t *out, int oy0, int oy1); \
    void sc_f32_gemmconv__##isa(const sc_conv_shape *s, float act_min, float act_max, const float *in, \
                                const void *packed, float *out, int oy0, int oy1, int oc0, int oc1); \
    void sc_f32_dwconv3x3__##isa(const sc_conv_shape *s, float act_min, float act_max, const float *in, \
                                 const void *packed, float *out, int oy0, int oy1);
SC_DECLARE_PACKED_KERNELS(portable)
SC_DECLARE_PACKED_KERNELS(avx2)
SC_DECLARE_PACKED_KERNELS(avx512)
SC_DECLARE_PACKED_KERNELS(neon)
/* The avx512 table's f32_gemmconv: full convolutions that read the input in place instead of
 * gathering im2col rows (3×3 over 3 channels, a first layer; kernel rows of >= 32 floats, the
 * SSD extras); other shapes go to sc_f32_gemmconv__avx512. core/kernels/x86/convdirect_avx512.c */
void sc_f32_convdirect__avx512(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                                const void *packed, float *out, int oy0, int oy1, int oc0, int oc1);

/* ---- Element-wise exp -------------------------------------------------------------------
 *
 * y[i] = e^x[i] for i in [0, n), for softmax and logistic. y may be x (in place); otherwise
 * the arrays must not overlap. No over-read, no alignment needed. __ref is libm's expf, the
 * specification. The other variants (__portable, __avx2, __avx512, __neon; the method is in
 * core/kernels/exp_consts.h) agree with it within SC_F32_EXP_MAX_ULP units in the last place
 * (the distance between the two floats' bit patterns) for every input: +inf above
 * ln(FLT_MAX) ~ 88.72 and for +inf, +0 below ln(smallest denormal / 2) ~ -103.97 and for
 * -inf, denormals in between, NaN for NaN. An element's result depends on x[i] alone, not on
 * n or i, so any split of an array gives the same bytes. */
#define SC_F32_EXP_MAX_ULP 1
typedef void (*sc_f32_exp_fn)(size_t n, const float *x, float *y);
void sc_f32_exp__ref(size_t n, const float *x, float *y);
void sc_f32_exp__portable(size_t n, const float *x, float *y);
void sc_f32_exp__avx2(size_t n, const float *x, float *y);
void sc_f32_exp__avx512(size_t n, const float *x, float *y);
void sc_f32_exp__neon(size_t n, const float *x, float *y);

/* ---- Float to uint8 quantisation ------------------------------------------------------
 *
 * y[i] = the float v = x[i]·scale, then v = v + offset (two roundings, never one FMA), then
 * clamped to [0, 255] and truncated: uint8 quantisation with halves rounded up when offset is
 * the zero point + 0.5 and scale is 1 / the quantisation scale. NaN gives 0. x and y must not
 * overlap; no over-read, no alignment needed. Every variant gives the reference's bytes, and an
 * element's result depends on x[i] alone (any split gives the same bytes). The portable table
 * uses the reference (GCC -O2 leaves this loop scalar, which is why the SIMD variants exist). */
typedef void (*sc_f32_quant_u8_fn)(size_t n, const float *x, float scale, float offset, uint8_t *y);
void sc_f32_quant_u8__ref(size_t n, const float *x, float scale, float offset, uint8_t *y);
void sc_f32_quant_u8__avx2(size_t n, const float *x, float scale, float offset, uint8_t *y);
void sc_f32_quant_u8__avx512(size_t n, const float *x, float scale, float offset, uint8_t *y);
void sc_f32_quant_u8__neon(size_t n, const float *x, float scale, float offset, uint8_t *y);

/* ---- Row softmax ------------------------------------------------------------------------
 *
 * Each of `rows` rows of n floats at x (in place, n >= 1) becomes its softmax: e^(x_j - max)
 * over the row's sum of them. __ref: libm's expf and the sum in order, then each value times
 * 1 / sum (the specification). The other variants use their level's sc_f32_exp method and
 * sum in another fixed order; for finite inputs they agree with the reference within
 * SC_F32_SOFTMAX_TOL(n) of each value, relative (1 ulp of exp, and a sum's rounding grows with
 * n), plus 1e-12 absolute (tests/unit/test_softmax.c). A row's result depends on that row
 * alone, so any split of the rows gives the same bytes. __portable, __avx2 and __neon: the
 * row's maximum and sum in four interleaved chains, the exp kernel of their level over all the
 * rows at once; __avx512: one row at a time in registers (rows of 16..32 values, the SSD's 21
 * classes, as two overlapping vectors; others 16 values per step). */
#define SC_F32_SOFTMAX_TOL(n) ((float)(8 + (n)) * 1.1920929e-7f)   /* (8 + n) · 2^-23 */
typedef void (*sc_f32_softmax_fn)(size_t rows, size_t n, float *x);
void sc_f32_softmax__ref(size_t rows, size_t n, float *x);
void sc_f32_softmax__portable(size_t rows, size_t n, float *x);
void sc_f32_softmax__avx2(size_t rows, size_t n, float *x);
void sc_f32_softmax__avx512(size_t rows, size_t n, float *x);
void sc_f32_softmax__neon(size_t rows, size_t n, float *x);

/* ---- Byte table lookup ------------------------------------------------------------------
 *
 * y[i] = lut[x[i]] for i in [0, n): a uint8 logistic, a concatenation's rescale, or both composed
 * (core/nn/net.c). y may be x (in place); otherwise the arrays must not overlap. No over-read,
 * nothing written past n, no alignment needed. Every variant gives the reference's bytes. The
 * portable and AVX2 tables use the reference (a 256-entry table takes 16 vpshufb lookups per
 * vector on AVX2, little faster than the scalar loads); the AVX-512 table uses vpermi2b when the
 * CPU has AVX512_VBMI (two 128-byte lookups per 64 bytes), NEON four 64-byte tbl/tbx lookups. */
typedef void (*sc_u8_lut_fn)(size_t n, const uint8_t *x, const uint8_t lut[256], uint8_t *y);
void sc_u8_lut__ref(size_t n, const uint8_t *x, const uint8_t lut[256], uint8_t *y);
void sc_u8_lut__avx512vbmi(size_t n, const uint8_t *x, const uint8_t lut[256], uint8_t *y);
void sc_u8_lut__neon(size_t n, const uint8_t *x, const uint8_t lut[256], uint8_t *y);

/* The table the network calls through; filled once by sc_kernels_init(). */
typedef struct sc_kernels {
    sc_u8_conv_fn u8_conv;       /* reference layout, any shape */
    sc_u8_dwconv_fn u8_dwconv;
    sc_f32_conv_fn f32_conv;
    sc_f32_dwconv_fn f32_dwconv;
    sc_u8_gemmconv_fn u8_gemmconv; /* packed layouts; NULL with the references only */
    sc_u8_packed_fn u8_dwconv3x3;
    sc_f32_gemmconv_fn f32_gemmconv;
    sc_f32_packed_fn f32_dwconv3x3;
    sc_f32_exp_fn f32_exp;       /* never NULL: the reference with the references */
    sc_f32_quant_u8_fn f32_quant_u8; /* never NULL, as f32_exp */
    sc_u8_lut_fn u8_lut;         /* never NULL, as f32_exp */
    sc_f32_softmax_fn f32_softmax; /* never NULL, as f32_exp */
    const char *isa;             /* "ref", "portable", "avx2", "avx512", "neon" */
} sc_kernels;

/* Fills `k` with the scalar references, then the best variants this CPU runs.
 * `force_ref` (or env SC_KERNELS=ref, read by the caller) keeps the references. */
void sc_kernels_init(sc_kernels *k, int force_ref);

/* Fills `k` with one level: "ref", "portable", "avx2", "avx512" or "neon" (for tests and
 * benchmarks). Returns 0, or -1 (k untouched) when the level is unknown, not compiled in,
 * or not supported by this CPU. */
int sc_kernels_init_isa(sc_kernels *k, const char *isa);

/* 1 when this build and CPU can run the level (same names as above). */
int sc_kernels_isa_supported(const char *isa);

#endif
