/* Portable depthwise 3×3: per output pixel, channel tiles of SC_DW_CPAD with fixed-size
 * loops that compilers vectorise; padding taps read a tile of the input zero point (0.0f for
 * f32), so every pixel runs the same 9 taps. */
#include "core/kernels/packed.h"

#define TILE SC_DW_CPAD

void sc_u8_dwconv3x3__portable(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                               const void *packed, uint8_t *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const int32_t *bias = sc_u8_dw_bias(p);
    const int16_t *w = sc_u8_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad;
    uint8_t pad[TILE];
    for (int j = 0; j < TILE; j++) pad[j] = (uint8_t)q->in_zp;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++) {
            const char *base[9];
            int valid[9];
            sc_dw3_taps(s, (const char *)in, (size_t)c, oy, ox, base, valid);
            uint8_t *o = out + ((size_t)oy * s->out_w + ox) * (size_t)c;
            for (int c0 = 0; c0 < c; c0 += TILE) {
                int32_t acc[TILE];
                for (int j = 0; j < TILE; j++) acc[j] = bias[c0 + j];
                for (int t = 0; t < 9; t++) {
                    const uint8_t *x = valid[t] ? (const uint8_t *)base[t] + c0 : pad;
                    const int16_t *wt = w + (size_t)t * cp + c0;
                    for (int j = 0; j < TILE; j++) acc[j] += (int32_t)x[j] * wt[j];
                }
                int nj = SC_MIN(TILE, c - c0);
                for (int j = 0; j < nj; j++) o[c0 + j] = sc_requant_u8(acc[j], q);
            }
        }
}

#define FTILE 16   /* 64 bytes: the most a tile may read past the last channel */

void sc_f32_dwconv3x3__portable(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                                const void *packed, float *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const float *bias = sc_f32_dw_bias(p), *w = sc_f32_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad;
    static const float zero[FTILE];
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++) {
            const char *base[9];
            int valid[9];
            sc_dw3_taps(s, (const char *)in, (size_t)c * sizeof(float), oy, ox, base, valid);
            float *o = out + ((size_t)oy * s->out_w + ox) * (size_t)c;
            for (int c0 = 0; c0 < c; c0 += FTILE) {
                float acc[FTILE];
                for (int j = 0; j < FTILE; j++) acc[j] = bias[c0 + j];
                for (int t = 0; t < 9; t++) {
                    const float *x = valid[t] ? (const float *)(const void *)base[t] + c0 : zero;
                    const float *wt = w + (size_t)t * cp + c0;
                    for (int j = 0; j < FTILE; j++) acc[j] += x[j] * wt[j];
                }
                int nj = SC_MIN(FTILE, c - c0);
                for (int j = 0; j < nj; j++) {
                    float v = acc[j];
                    o[c0 + j] = v < act_min ? act_min : v > act_max ? act_max : v;
                }
            }
        }
}
