/* Scalar reference convolutions: the specification the SIMD variants are tested against. */
#include "core/kernels/kernels.h"

#include <math.h>

static inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }
static inline float clamp_f32(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

void sc_quantize_multiplier(double real, int32_t *mult, int32_t *shift)
{
    if (real == 0.0) { *mult = 0; *shift = 0; return; }
    int e = 0;
    double q = frexp(real, &e);
    int64_t qf = (int64_t)llround(q * (double)(1LL << 31));
    if (qf == (1LL << 31)) { qf /= 2; e++; }
    if (e < -31) { e = 0; qf = 0; }
    *mult = (int32_t)qf;
    *shift = e;
}

void sc_u8_conv__ref(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                     const uint8_t *w, const int32_t *bias, uint8_t *out, int oy0, int oy1)
{
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++)
            for (int oc = 0; oc < s->out_c; oc++) {
                int32_t acc = bias ? bias[oc] : 0;
                for (int ky = 0; ky < s->k_h; ky++) {
                    int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
                    if (iy < 0 || iy >= s->in_h) continue;
                    for (int kx = 0; kx < s->k_w; kx++) {
                        int ix = ox * s->stride_w - s->pad_left + kx * s->dil_w;
                        if (ix < 0 || ix >= s->in_w) continue;
                        const uint8_t *px = in + ((size_t)iy * s->in_w + ix) * s->in_c;
                        const uint8_t *wk = w + (((size_t)oc * s->k_h + ky) * s->k_w + kx) * s->in_c;
                        for (int ic = 0; ic < s->in_c; ic++)
                            acc += ((int32_t)px[ic] - q->in_zp) * ((int32_t)wk[ic] - q->w_zp);
                    }
                }
                int32_t v = sc_requantize(acc, q->mult, q->shift) + q->out_zp;
                out[((size_t)oy * s->out_w + ox) * s->out_c + oc] = (uint8_t)clamp_i32(v, q->act_min, q->act_max);
            }
}

void sc_u8_dwconv__ref(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                       const uint8_t *w, const int32_t *bias, uint8_t *out, int oy0, int oy1)
{
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++)
            for (int c = 0; c < s->out_c; c++) {
                int32_t acc = bias ? bias[c] : 0;
                for (int ky = 0; ky < s->k_h; ky++) {
                    int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
                    if (iy < 0 || iy >= s->in_h) continue;
                    for (int kx = 0; kx < s->k_w; kx++) {
                        int ix = ox * s->stride_w - s->pad_left + kx * s->dil_w;
                        if (ix < 0 || ix >= s->in_w) continue;
                        int32_t x = in[((size_t)iy * s->in_w + ix) * s->in_c + c];
                        int32_t wv = w[((size_t)ky * s->k_w + kx) * s->out_c + c];
                        acc += (x - q->in_zp) * (wv - q->w_zp);
                    }
                }
                int32_t v = sc_requantize(acc, q->mult, q->shift) + q->out_zp;
                out[((size_t)oy * s->out_w + ox) * s->out_c + c] = (uint8_t)clamp_i32(v, q->act_min, q->act_max);
            }
}

void sc_f32_conv__ref(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                      const float *w, const float *bias, float *out, int oy0, int oy1)
{
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++)
            for (int oc = 0; oc < s->out_c; oc++) {
                float acc = bias ? bias[oc] : 0.0f;
                for (int ky = 0; ky < s->k_h; ky++) {
                    int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
                    if (iy < 0 || iy >= s->in_h) continue;
                    for (int kx = 0; kx < s->k_w; kx++) {
                        int ix = ox * s->stride_w - s->pad_left + kx * s->dil_w;
                        if (ix < 0 || ix >= s->in_w) continue;
                        const float *px = in + ((size_t)iy * s->in_w + ix) * s->in_c;
                        const float *wk = w + (((size_t)oc * s->k_h + ky) * s->k_w + kx) * s->in_c;
                        for (int ic = 0; ic < s->in_c; ic++) acc += px[ic] * wk[ic];
                    }
                }
                out[((size_t)oy * s->out_w + ox) * s->out_c + oc] = clamp_f32(acc, act_min, act_max);
            }
}

void sc_f32_dwconv__ref(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                        const float *w, const float *bias, float *out, int oy0, int oy1)
{
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++)
            for (int c = 0; c < s->out_c; c++) {
                float acc = bias ? bias[c] : 0.0f;
                for (int ky = 0; ky < s->k_h; ky++) {
                    int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
                    if (iy < 0 || iy >= s->in_h) continue;
                    for (int kx = 0; kx < s->k_w; kx++) {
                        int ix = ox * s->stride_w - s->pad_left + kx * s->dil_w;
                        if (ix < 0 || ix >= s->in_w) continue;
                        acc += in[((size_t)iy * s->in_w + ix) * s->in_c + c] *
                               w[((size_t)ky * s->k_w + kx) * s->out_c + c];
                    }
                }
                out[((size_t)oy * s->out_w + ox) * s->out_c + c] = clamp_f32(acc, act_min, act_max);
            }
}
