/* Weight packing for the packed kernels (layouts in core/kernels/packed.h), and the shape
 * tests that pick them. Runs once per layer at load; plain C. */
#include <string.h>

#include "core/kernels/packed.h"

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }
static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

int sc_conv_is_pointwise(const sc_conv_shape *s)
{
    return s->k_h == 1 && s->k_w == 1 && s->stride_h == 1 && s->stride_w == 1 && s->pad_top == 0 &&
           s->pad_left == 0 && s->in_h == s->out_h && s->in_w == s->out_w;
}

int sc_conv_is_dw3x3(const sc_conv_shape *s)
{
    return s->k_h == 3 && s->k_w == 3 && s->dil_h == 1 && s->dil_w == 1 && s->in_c == s->out_c &&
           s->stride_h >= 1 && s->stride_w >= 1;
}

int sc_conv_is_3x3c3(const sc_conv_shape *s)
{
    return s->k_h == 3 && s->k_w == 3 && s->in_c == 3 && s->dil_h == 1 && s->dil_w == 1;
}

static int shape_ok(const sc_conv_shape *s)
{
    return s->in_h > 0 && s->in_w > 0 && s->in_c > 0 && s->out_h > 0 && s->out_w > 0 && s->out_c > 0 &&
           s->k_h > 0 && s->k_w > 0 && s->stride_h > 0 && s->stride_w > 0 && s->dil_h > 0 && s->dil_w > 0;
}

/* The vector requantisations shift 64-bit products right by 31 - shift in [1, 62]. */
static int requant_ok(const sc_requant *q)
{
    return q->shift <= 30 && q->shift >= -31 && q->in_zp >= 0 && q->in_zp <= 255 &&
           q->w_zp >= 0 && q->w_zp <= 255;
}

size_t sc_u8_gemmconv_pack(const sc_conv_shape *s, const sc_requant *q, const uint8_t *w,
                           const int32_t *bias, void *dst)
{
    if (!shape_ok(s) || !requant_ok(q)) return 0;
    size_t k = (size_t)s->k_h * s->k_w * s->in_c, n = (size_t)s->out_c;
    size_t kb = (k + 3) / 4, nb = (n + SC_GEMM_NR - 1) / SC_GEMM_NR;
    int direct = sc_conv_is_pointwise(s);
    if (k > (1u << 20) || (!direct && round_up(k, 4) > SC_IM2COL_BYTES)) return 0;
    /* c = w_zp when every w - w_zp fits int8 (no per-row Σx term), else 128. */
    int wmin = 255, wmax = 0;
    for (size_t i = 0; i < n * k; i++) {
        if (w[i] < wmin) wmin = w[i];
        if (w[i] > wmax) wmax = w[i];
    }
    int32_t c = (wmin - q->w_zp >= -128 && wmax - q->w_zp <= 127) ? q->w_zp : 128;
    int32_t xsum_mult = c - q->w_zp;
    /* Every partial sum the kernels form must fit int32. */
    int64_t worst = 0;
    for (size_t o = 0; o < n; o++) {
        int64_t sw = 0;
        for (size_t i = 0; i < k; i++) sw += (int64_t)w[o * k + i] - q->w_zp;
        int64_t b = (bias ? bias[o] : 0) - (int64_t)q->in_zp * sw;
        if (abs64(b) > worst) worst = abs64(b);
    }
    if (worst + (int64_t)k * 255 * (128 + abs64(xsum_mult)) >= INT32_MAX) return 0;
    size_t bytes = sizeof(sc_u8_gemm_packed) + nb * SC_GEMM_NR * sizeof(int32_t) + nb * kb * SC_GEMM_NR * 4;
    const int c3 = !direct && sc_conv_is_3x3c3(s);
    const size_t c3_at = bytes;
    if (c3) bytes += nb * 9 * SC_GEMM_NR * 4;
    if (!dst) return bytes;

    sc_u8_gemm_packed *p = dst;
    memset(p, 0, bytes);
    p->k = (int32_t)k;
    p->k_blocks = (int32_t)kb;
    p->n = (int32_t)n;
    p->n_blocks = (int32_t)nb;
    p->xsum_mult = xsum_mult;
    p->direct = direct;
    p->lda = (int32_t)round_up(k, 4);
    int32_t *pb = (int32_t *)(void *)(p + 1);
    int8_t *pw = (int8_t *)(void *)(pb + nb * SC_GEMM_NR);
    for (size_t o = 0; o < n; o++) {
        int64_t sw = 0;
        for (size_t i = 0; i < k; i++) sw += (int64_t)w[o * k + i] - q->w_zp;
        pb[o] = (int32_t)((bias ? bias[o] : 0) - (int64_t)q->in_zp * sw);
        size_t blk = o / SC_GEMM_NR, j = o % SC_GEMM_NR;
        for (size_t i = 0; i < k; i++)
            pw[((blk * kb + i / 4) * SC_GEMM_NR + j) * 4 + i % 4] = (int8_t)((int32_t)w[o * k + i] - c);
    }
    if (c3) {
        p->c3_groups = (int32_t)c3_at;
        int8_t *g = (int8_t *)dst + c3_at;
        const int ones = xsum_mult != 0 && n % SC_GEMM_NR != 0;
        for (size_t o = 0; o < nb * SC_GEMM_NR; o++) {
            size_t blk = o / SC_GEMM_NR, j = o % SC_GEMM_NR;
            for (size_t i = 0; i < k; i++) {   /* i = 9·ky + tap */
                size_t ky = i / 9, tap = i % 9;
                int8_t v = o < n ? (int8_t)((int32_t)w[o * k + i] - c) : (ones && o == n) ? 1 : 0;
                g[((blk * 9 + ky * 3 + tap / 4) * SC_GEMM_NR + j) * 4 + tap % 4] = v;
            }
        }
    }
    return bytes;
}

size_t sc_f32_gemmconv_pack(const sc_conv_shape *s, const float *w, const float *bias, void *dst)
{
    if (!shape_ok(s)) return 0;
    size_t k = (size_t)s->k_h * s->k_w * s->in_c, n = (size_t)s->out_c;
    size_t nb = (n + SC_GEMM_NR - 1) / SC_GEMM_NR;
    int direct = sc_conv_is_pointwise(s);
    if (k > (1u << 20) || (!direct && k * sizeof(float) > SC_IM2COL_BYTES)) return 0;
    size_t bytes = sizeof(sc_f32_gemm_packed) + nb * SC_GEMM_NR * sizeof(float) + nb * k * SC_GEMM_NR * sizeof(float);
    if (!dst) return bytes;

    sc_f32_gemm_packed *p = dst;
    memset(p, 0, bytes);
    p->k = (int32_t)k;
    p->n = (int32_t)n;
    p->n_blocks = (int32_t)nb;
    p->direct = direct;
    float *pb = (float *)(void *)(p + 1);
    float *pw = pb + nb * SC_GEMM_NR;
    for (size_t o = 0; o < n; o++) {
        pb[o] = bias ? bias[o] : 0.0f;
        size_t blk = o / SC_GEMM_NR, j = o % SC_GEMM_NR;
        for (size_t i = 0; i < k; i++) pw[(blk * k + i) * SC_GEMM_NR + j] = w[o * k + i];
    }
    return bytes;
}

size_t sc_u8_dwconv3x3_pack(const sc_conv_shape *s, const sc_requant *q, const uint8_t *w,
                            const int32_t *bias, void *dst)
{
    if (!shape_ok(s) || !sc_conv_is_dw3x3(s) || !requant_ok(q)) return 0;
    size_t c = (size_t)s->out_c, cp = round_up(c, SC_DW_CPAD);
    int64_t worst = 0;
    for (size_t ch = 0; ch < c; ch++) {
        int64_t sw = 0;
        for (int t = 0; t < 9; t++) sw += (int64_t)w[t * c + ch] - q->w_zp;
        int64_t b = (bias ? bias[ch] : 0) - (int64_t)q->in_zp * sw;
        if (abs64(b) > worst) worst = abs64(b);
    }
    if (worst + 9 * 255 * 255 >= INT32_MAX) return 0;
    size_t bytes = sizeof(sc_dw_packed) + cp * sizeof(int32_t) + 9 * cp * sizeof(int16_t);
    if (!dst) return bytes;

    sc_dw_packed *p = dst;
    memset(p, 0, bytes);
    p->c = (int32_t)c;
    p->c_pad = (int32_t)cp;
    int32_t *pb = (int32_t *)(void *)(p + 1);
    int16_t *pw = (int16_t *)(void *)(pb + cp);
    for (size_t ch = 0; ch < c; ch++) {
        int64_t sw = 0;
        for (int t = 0; t < 9; t++) {
            int32_t v = (int32_t)w[t * c + ch] - q->w_zp;
            pw[t * cp + ch] = (int16_t)v;
            sw += v;
        }
        pb[ch] = (int32_t)((bias ? bias[ch] : 0) - (int64_t)q->in_zp * sw);
    }
    return bytes;
}

size_t sc_f32_dwconv3x3_pack(const sc_conv_shape *s, const float *w, const float *bias, void *dst)
{
    if (!shape_ok(s) || !sc_conv_is_dw3x3(s)) return 0;
    size_t c = (size_t)s->out_c, cp = round_up(c, SC_DW_CPAD);
    size_t bytes = sizeof(sc_dw_packed) + cp * sizeof(float) + 9 * cp * sizeof(float);
    if (!dst) return bytes;

    sc_dw_packed *p = dst;
    memset(p, 0, bytes);
    p->c = (int32_t)c;
    p->c_pad = (int32_t)cp;
    float *pb = (float *)(void *)(p + 1);
    float *pw = pb + cp;
    for (size_t ch = 0; ch < c; ch++) {
        pb[ch] = bias ? bias[ch] : 0.0f;
        for (int t = 0; t < 9; t++) pw[t * cp + ch] = w[t * c + ch];
    }
    return bytes;
}
