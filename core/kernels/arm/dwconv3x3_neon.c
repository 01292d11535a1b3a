/* Depthwise 3×3 for NEON. uint8: 16 channels per step, widened to 16 bits, vmlal_s16 into
 * int32 (exact); f32: 16 channels with vfmaq. Padding taps read a tile of the input zero
 * point (0.0f). */
#include <string.h>

#include "core/kernels/arm/requant_neon.h"
#include "core/kernels/packed.h"

void sc_u8_dwconv3x3__neon(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                           const void *packed, uint8_t *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const int32_t *bias = sc_u8_dw_bias(p);
    const int16_t *w = sc_u8_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad;
    uint8_t pad[16];
    memset(pad, q->in_zp, sizeof(pad));
    sc_rq_neon rq;
    sc_rq_neon_init(&rq, q);
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++) {
            const char *base[9];
            int valid[9];
            sc_dw3_taps(s, (const char *)in, (size_t)c, oy, ox, base, valid);
            uint8_t *o = out + ((size_t)oy * s->out_w + ox) * (size_t)c;
            for (int c0 = 0; c0 < c; c0 += 16) {
                int32x4_t a0 = vld1q_s32(bias + c0), a1 = vld1q_s32(bias + c0 + 4);
                int32x4_t a2 = vld1q_s32(bias + c0 + 8), a3 = vld1q_s32(bias + c0 + 12);
                for (int t = 0; t < 9; t++) {
                    const uint8_t *x = valid[t] ? (const uint8_t *)base[t] + c0 : pad;
                    uint8x16_t xb = vld1q_u8(x);
                    int16x8_t x0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(xb)));
                    int16x8_t x1 = vreinterpretq_s16_u16(vmovl_high_u8(xb));
                    int16x8_t w0 = vld1q_s16(w + (size_t)t * cp + c0), w1 = vld1q_s16(w + (size_t)t * cp + c0 + 8);
                    a0 = vmlal_s16(a0, vget_low_s16(x0), vget_low_s16(w0));
                    a1 = vmlal_high_s16(a1, x0, w0);
                    a2 = vmlal_s16(a2, vget_low_s16(x1), vget_low_s16(w1));
                    a3 = vmlal_high_s16(a3, x1, w1);
                }
                uint8x16_t r = sc_rq_neon_pack16(sc_rq_neon_apply(a0, &rq), sc_rq_neon_apply(a1, &rq),
                                                 sc_rq_neon_apply(a2, &rq), sc_rq_neon_apply(a3, &rq));
                int nj = c - c0;
                if (nj >= 16) {
                    vst1q_u8(o + c0, r);
                } else {
                    uint8_t tmp[16];
                    vst1q_u8(tmp, r);
                    memcpy(o + c0, tmp, (size_t)nj);
                }
            }
        }
}

void sc_f32_dwconv3x3__neon(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                            const void *packed, float *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const float *bias = sc_f32_dw_bias(p), *w = sc_f32_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad;
    float zero[16] = { 0 };
    float32x4_t lo = vdupq_n_f32(act_min), hi = vdupq_n_f32(act_max);
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++) {
            const char *base[9];
            int valid[9];
            sc_dw3_taps(s, (const char *)in, (size_t)c * sizeof(float), oy, ox, base, valid);
            float *o = out + ((size_t)oy * s->out_w + ox) * (size_t)c;
            for (int c0 = 0; c0 < c; c0 += 16) {
                float32x4_t acc[4];
                for (int j = 0; j < 4; j++) acc[j] = vld1q_f32(bias + c0 + 4 * j);
                for (int t = 0; t < 9; t++) {
                    const float *x = valid[t] ? (const float *)(const void *)base[t] + c0 : zero;
                    const float *wt = w + (size_t)t * cp + c0;
                    for (int j = 0; j < 4; j++) acc[j] = vfmaq_f32(acc[j], vld1q_f32(x + 4 * j), vld1q_f32(wt + 4 * j));
                }
                float tmp[16];
                for (int j = 0; j < 4; j++) vst1q_f32(tmp + 4 * j, vminq_f32(hi, vmaxq_f32(lo, acc[j])));
                memcpy(o + c0, tmp, sizeof(float) * (size_t)SC_MIN(16, c - c0));
            }
        }
}
