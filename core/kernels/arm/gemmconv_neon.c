/* gemmconv for NEON (aarch64 baseline, no dot-product extension). uint8: vld4q_s8
 * de-interleaves a packed block's 16 channels × 4 inputs into four vectors of 16 weights,
 * widened to 16 bits; vmlal_lane_s16 multiplies them by each row's inputs (exact int32).
 * f32: 4 rows × 16 channels with vfmaq. */
#include <string.h>

#include "core/kernels/arm/requant_neon.h"
#include "core/kernels/packed.h"

#define MR_U8 4
#define MR_F32 4

static int32_t row_sum_u8(const uint8_t *x, int k)
{
    uint32x4_t s = vdupq_n_u32(0);
    int i = 0;
    for (; i + 16 <= k; i += 16) s = vpadalq_u16(s, vpaddlq_u8(vld1q_u8(x + i)));
    int32_t sum = (int32_t)vaddvq_u32(s);
    for (; i < k; i++) sum += x[i];
    return sum;
}

#define MAC4(acc, w16, xs, t) do { \
    acc[0] = vmlal_lane_s16(acc[0], vget_low_s16(w16[0]), xs, t); \
    acc[1] = vmlal_lane_s16(acc[1], vget_high_s16(w16[0]), xs, t); \
    acc[2] = vmlal_lane_s16(acc[2], vget_low_s16(w16[1]), xs, t); \
    acc[3] = vmlal_lane_s16(acc[3], vget_high_s16(w16[1]), xs, t); \
} while (0)

static void gemm_u8(int m, const uint8_t *a, size_t lda, const sc_u8_gemm_packed *p, int nb0, int nb1,
                    const sc_requant *q,
                    uint8_t *c, size_t ldc)
{
    const int32_t *bias = sc_u8_gemm_bias(p);
    const int8_t *w = sc_u8_gemm_w(p);
    int kb = p->k_blocks;
    sc_rq_neon rq;
    sc_rq_neon_init(&rq, q);
    for (int i0 = 0; i0 < m; i0 += MR_U8) {
        int mr = SC_MIN(MR_U8, m - i0);
        const uint8_t *ar[MR_U8];
        int32_t xs[MR_U8] = { 0 };
        for (int r = 0; r < MR_U8; r++) {
            ar[r] = a + (size_t)(i0 + SC_MIN(r, mr - 1)) * lda;
            if (p->xsum_mult) xs[r] = p->xsum_mult * row_sum_u8(ar[r], p->k);
        }
        for (int nb = nb0; nb < nb1; nb++) {
            const int8_t *wb = w + (size_t)nb * kb * 64;
            int32x4_t acc[MR_U8][4];
            for (int r = 0; r < MR_U8; r++)
                for (int j = 0; j < 4; j++) acc[r][j] = vdupq_n_s32(0);
            for (int k = 0; k < kb; k++) {
                int8x16x4_t wv = vld4q_s8(wb + (size_t)k * 64);   /* val[t][j] = w[channel j][input t] */
                int16x8_t w0[2] = { vmovl_s8(vget_low_s8(wv.val[0])), vmovl_high_s8(wv.val[0]) };
                int16x8_t w1[2] = { vmovl_s8(vget_low_s8(wv.val[1])), vmovl_high_s8(wv.val[1]) };
                int16x8_t w2[2] = { vmovl_s8(vget_low_s8(wv.val[2])), vmovl_high_s8(wv.val[2]) };
                int16x8_t w3[2] = { vmovl_s8(vget_low_s8(wv.val[3])), vmovl_high_s8(wv.val[3]) };
                for (int r = 0; r < MR_U8; r++) {
                    uint32_t x4;
                    memcpy(&x4, ar[r] + 4 * k, 4);
                    int16x4_t x = vget_low_s16(vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(x4)))));
                    MAC4(acc[r], w0, x, 0);
                    MAC4(acc[r], w1, x, 1);
                    MAC4(acc[r], w2, x, 2);
                    MAC4(acc[r], w3, x, 3);
                }
            }
            const int32_t *bb = bias + nb * 16;
            int nj = SC_MIN(16, p->n - nb * 16);
            for (int r = 0; r < mr; r++) {
                int32x4_t e = vdupq_n_s32(xs[r]), v[4];
                for (int j = 0; j < 4; j++)
                    v[j] = sc_rq_neon_apply(vaddq_s32(acc[r][j], vaddq_s32(vld1q_s32(bb + 4 * j), e)), &rq);
                uint8x16_t o = sc_rq_neon_pack16(v[0], v[1], v[2], v[3]);
                uint8_t *cr = c + (size_t)(i0 + r) * ldc + nb * 16;
                if (nj == 16) {
                    vst1q_u8(cr, o);
                } else {
                    uint8_t tmp[16];
                    vst1q_u8(tmp, o);
                    memcpy(cr, tmp, (size_t)nj);
                }
            }
        }
    }
}

static void gemm_f32(int m, const float *a, size_t lda, const sc_f32_gemm_packed *p, int nb0, int nb1,
                     float lo, float hi,
                     float *c, size_t ldc)
{
    const float *bias = sc_f32_gemm_bias(p), *w = sc_f32_gemm_w(p);
    float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    for (int i0 = 0; i0 < m; i0 += MR_F32) {
        int mr = SC_MIN(MR_F32, m - i0);
        const float *ar[MR_F32];
        for (int r = 0; r < MR_F32; r++) ar[r] = a + (size_t)(i0 + SC_MIN(r, mr - 1)) * lda;
        for (int nb = nb0; nb < nb1; nb++) {
            const float *wb = w + (size_t)nb * p->k * 16, *bb = bias + nb * 16;
            float32x4_t acc[MR_F32][4];
            for (int r = 0; r < MR_F32; r++)
                for (int j = 0; j < 4; j++) acc[r][j] = vld1q_f32(bb + 4 * j);
            for (int k = 0; k < p->k; k++) {
                const float *wk = wb + (size_t)k * 16;
                float32x4_t w0 = vld1q_f32(wk), w1 = vld1q_f32(wk + 4), w2 = vld1q_f32(wk + 8), w3 = vld1q_f32(wk + 12);
                for (int r = 0; r < MR_F32; r++) {
                    float x = ar[r][k];
                    acc[r][0] = vfmaq_n_f32(acc[r][0], w0, x);
                    acc[r][1] = vfmaq_n_f32(acc[r][1], w1, x);
                    acc[r][2] = vfmaq_n_f32(acc[r][2], w2, x);
                    acc[r][3] = vfmaq_n_f32(acc[r][3], w3, x);
                }
            }
            int nj = SC_MIN(16, p->n - nb * 16);
            for (int r = 0; r < mr; r++) {
                float tmp[16];
                for (int j = 0; j < 4; j++)   /* max(lo, v), min(hi, ·): a NaN stays NaN, as the reference */
                    vst1q_f32(tmp + 4 * j, vminq_f32(vhi, vmaxq_f32(vlo, acc[r][j])));
                memcpy(c + (size_t)(i0 + r) * ldc + nb * 16, tmp, sizeof(float) * (size_t)nj);
            }
        }
    }
}

void sc_u8_gemmconv__neon(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                          const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1)
{
    sc_u8_gemmconv_run(s, q, in, packed, out, oy0, oy1, oc0, oc1, gemm_u8);
}

void sc_f32_gemmconv__neon(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                           const void *packed, float *out, int oy0, int oy1, int oc0, int oc1)
{
    sc_f32_gemmconv_run(s, act_min, act_max, in, packed, out, oy0, oy1, oc0, oc1, gemm_f32);
}
