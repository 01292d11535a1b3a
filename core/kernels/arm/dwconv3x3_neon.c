/* Depthwise 3×3 for NEON. uint8: 16 channels per step, widened to 16 bits, vmlal_s16 into
 * int32 (exact); f32: 16 channels with vfmaq. Padding taps read a tile of the input zero
 * point (0.0f).
 *
 * Pixels go in groups of 4 with independent accumulator chains, edges included: per output
 * row and chunk of channels (CHUNK_BYTES of a pixel, the pad tile's size) each group's 36 tap
 * pointers come from sc_dw3_pixel (padding taps at the pad tile), then the chunk's channel
 * tiles run over them. A short group repeats its last pixel (storing the same values again).
 * f32 with whole 8-channel tiles and stride 1 or 2 (every MobileNet layer) takes the interior
 * pixels in f32_quad groups instead (session 5): fixed offsets from three row bases, each input
 * pixel loaded once for the up to three pixels that use it, the weights in registers, half
 * the loads per FMA of the tap-pointer path (not timed on a Pi: no Pi here; bit-identical
 * under qemu-aarch64). Each pixel sums its taps in the order t = 0..8 whatever its group. */
#include <string.h>

#include "core/kernels/arm/requant_neon.h"
#include "core/kernels/packed.h"

#define CHUNK_BYTES 1024
#define GROUP 4

void sc_u8_dwconv3x3__neon(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                           const void *packed, uint8_t *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const int32_t *bias = sc_u8_dw_bias(p);
    const int16_t *w = sc_u8_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad, oc = (size_t)c;
    uint8_t pad[CHUNK_BYTES + 16];
    memset(pad, q->in_zp, sizeof(pad));
    sc_rq_neon rq;
    sc_rq_neon_init(&rq, q);
    for (int oy = oy0; oy < oy1; oy++) {
        sc_dw3_rows rows;
        sc_dw3_rows_init(&rows, s, (const char *)in, (size_t)c, oy);
        uint8_t *orow = out + (size_t)oy * s->out_w * oc;
        for (int cc = 0; cc < c; cc += CHUNK_BYTES) {
            int cn = SC_MIN(CHUNK_BYTES, c - cc);
            for (int k = 0; k < s->out_w; k += GROUP) {
                int ox[GROUP];
                const char *tp[GROUP][9];
                sc_dw3_group(&rows, s, (size_t)c, k, GROUP, 0, 0, (size_t)cc, (const char *)pad, ox, tp);
                for (int t0 = 0; t0 < cn; t0 += 16) {
                    int c0 = cc + t0;
                    int32x4_t a[GROUP][4];
                    for (int j = 0; j < GROUP; j++)
                        for (int i = 0; i < 4; i++) a[j][i] = vld1q_s32(bias + c0 + 4 * i);
                    for (int t = 0; t < 9; t++) {
                        int16x8_t w0 = vld1q_s16(w + (size_t)t * cp + c0), w1 = vld1q_s16(w + (size_t)t * cp + c0 + 8);
                        for (int j = 0; j < GROUP; j++) {
                            uint8x16_t xb = vld1q_u8((const uint8_t *)tp[j][t] + t0);
                            int16x8_t x0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(xb)));
                            int16x8_t x1 = vreinterpretq_s16_u16(vmovl_high_u8(xb));
                            a[j][0] = vmlal_s16(a[j][0], vget_low_s16(x0), vget_low_s16(w0));
                            a[j][1] = vmlal_high_s16(a[j][1], x0, w0);
                            a[j][2] = vmlal_s16(a[j][2], vget_low_s16(x1), vget_low_s16(w1));
                            a[j][3] = vmlal_high_s16(a[j][3], x1, w1);
                        }
                    }
                    int nj = c - c0;
                    for (int j = 0; j < GROUP; j++) {
                        uint8x16_t r = sc_rq_neon_pack16(sc_rq_neon_apply(a[j][0], &rq), sc_rq_neon_apply(a[j][1], &rq),
                                                         sc_rq_neon_apply(a[j][2], &rq), sc_rq_neon_apply(a[j][3], &rq));
                        uint8_t *o = orow + (size_t)ox[j] * oc + c0;
                        if (nj >= 16) {
                            vst1q_u8(o, r);
                        } else {
                            uint8_t tmp[16];
                            vst1q_u8(tmp, r);
                            memcpy(o, tmp, (size_t)nj);
                        }
                    }
                }
            }
        }
    }
}

/* f32 interior pixels (all three taps inside the row, sc_dw3_interior), 4 at a time, 8
 * channels: ix0 = first tap column of the first, sw (1 or 2, a constant) columns apart; the
 * row bases base[] (a padding row: the zero tile, pixel stride 0) at the chunk's channel 0,
 * `coff` bytes to the tile. Each input pixel of a row is loaded once and taken by the pixels
 * that use it (stride 1: 12 loads for 24 FMAs per row instead of 24 through tap pointers), the
 * 9 taps' weights stay in registers (18 + 8 accumulators + 2 inputs of the 32 registers).
 * Each accumulator takes its taps in the order t = 0..8, as the tap-pointer groups do. */
static inline void f32_quad(const char *const base[3], const size_t ps[3], int ix0, int sw, size_t coff,
                            const float32x4_t wt[9][2], float32x4_t b0, float32x4_t b1, float32x4_t lo,
                            float32x4_t hi, float *o, size_t oc)
{
    float32x4_t a[4][2];
    for (int q = 0; q < 4; q++) {
        a[q][0] = b0;
        a[q][1] = b1;
    }
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
        size_t d = ps[ky];
        const char *r = base[ky] + (size_t)ix0 * d + coff;
#pragma GCC unroll 9
        for (int j = 0; j < 3 * sw + 3; j++) {
            const float *x = (const float *)(const void *)(r + (size_t)j * d);
            float32x4_t x0 = vld1q_f32(x), x1 = vld1q_f32(x + 4);
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                int q = (j - kx) / sw;
                if (j < kx || (j - kx) % sw != 0 || q >= 4) continue;
                a[q][0] = vfmaq_f32(a[q][0], x0, wt[ky * 3 + kx][0]);
                a[q][1] = vfmaq_f32(a[q][1], x1, wt[ky * 3 + kx][1]);
            }
        }
    }
    for (int q = 0; q < 4; q++) {
        vst1q_f32(o + (size_t)q * oc, vminq_f32(hi, vmaxq_f32(lo, a[q][0])));
        vst1q_f32(o + (size_t)q * oc + 4, vminq_f32(hi, vmaxq_f32(lo, a[q][1])));
    }
}

void sc_f32_dwconv3x3__neon(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                            const void *packed, float *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const float *bias = sc_f32_dw_bias(p), *w = sc_f32_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad, pb = (size_t)c * sizeof(float), oc = (size_t)c;
    enum { CH = CHUNK_BYTES / sizeof(float) };
    float zero[CH + 16] = { 0 };
    float32x4_t lo = vdupq_n_f32(act_min), hi = vdupq_n_f32(act_max);
    /* interior pixels in f32_quad groups when the channels come in whole 8-channel tiles and
     * the stride is 1 or 2; the others through tap pointers */
    int ilo, ihi, sw = s->stride_w;
    sc_dw3_interior(s, &ilo, &ihi);
    int n_fast = c % 8 == 0 && (sw == 1 || sw == 2) ? (ihi - ilo) / 4 * 4 : 0, n_edge = s->out_w - n_fast;
    for (int oy = oy0; oy < oy1; oy++) {
        sc_dw3_rows rows;
        sc_dw3_rows_init(&rows, s, (const char *)in, pb, oy);
        float *orow = out + (size_t)oy * s->out_w * oc;
        for (int cc = 0; cc < c; cc += CH) {
            int cn = SC_MIN(CH, c - cc);
            if (n_fast > 0) {
                const char *base[3];
                size_t ps[3];
                for (int ky = 0; ky < 3; ky++) {
                    base[ky] = rows.row[ky] ? rows.row[ky] + (size_t)cc * sizeof(float) : (const char *)zero;
                    ps[ky] = rows.row[ky] ? pb : 0;
                }
                for (int t0 = 0; t0 < cn; t0 += 8) {
                    int c0 = cc + t0;
                    float32x4_t wt[9][2];
                    for (int t = 0; t < 9; t++) {
                        wt[t][0] = vld1q_f32(w + (size_t)t * cp + c0);
                        wt[t][1] = vld1q_f32(w + (size_t)t * cp + c0 + 4);
                    }
                    float32x4_t b0 = vld1q_f32(bias + c0), b1 = vld1q_f32(bias + c0 + 4);
                    size_t coff = (size_t)t0 * sizeof(float);
                    for (int ox = ilo; ox < ilo + n_fast; ox += 4) {
                        float *o = orow + (size_t)ox * oc + c0;
                        if (sw == 1) f32_quad(base, ps, ox - s->pad_left, 1, coff, wt, b0, b1, lo, hi, o, oc);
                        else f32_quad(base, ps, 2 * ox - s->pad_left, 2, coff, wt, b0, b1, lo, hi, o, oc);
                    }
                }
            }
            for (int k = 0; k < n_edge; k += GROUP) {
                int ox[GROUP];
                const char *tp[GROUP][9];
                sc_dw3_group(&rows, s, pb, k, GROUP, ilo, n_fast, (size_t)cc * sizeof(float), (const char *)zero, ox, tp);
                for (int t0 = 0; t0 < cn; t0 += 16) {
                    int c0 = cc + t0;
                    float32x4_t a[GROUP][4];
                    for (int i = 0; i < 4; i++) {
                        float32x4_t b = vld1q_f32(bias + c0 + 4 * i);
                        for (int j = 0; j < GROUP; j++) a[j][i] = b;
                    }
                    for (int t = 0; t < 9; t++) {
                        const float *wt = w + (size_t)t * cp + c0;
                        float32x4_t wv[4] = { vld1q_f32(wt), vld1q_f32(wt + 4), vld1q_f32(wt + 8), vld1q_f32(wt + 12) };
                        for (int j = 0; j < GROUP; j++) {
                            const float *x = (const float *)(const void *)tp[j][t] + t0;
                            for (int i = 0; i < 4; i++) a[j][i] = vfmaq_f32(a[j][i], vld1q_f32(x + 4 * i), wv[i]);
                        }
                    }
                    int nj = SC_MIN(16, c - c0);
                    for (int j = 0; j < GROUP; j++) {
                        float tmp[16];
                        for (int i = 0; i < 4; i++) vst1q_f32(tmp + 4 * i, vminq_f32(hi, vmaxq_f32(lo, a[j][i])));
                        memcpy(orow + (size_t)ox[j] * oc + c0, tmp, sizeof(float) * (size_t)nj);
                    }
                }
            }
        }
    }
}
