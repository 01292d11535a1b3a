/* Portable gemmconv: plain C with fixed-size inner loops over the 16 output channels of a
 * packed block, which gcc and clang vectorise at -O2 with the baseline ISA. Also what
 * -Dsimd=disabled builds run. */
#include "core/kernels/packed.h"

#define MR 4   /* rows (pixels) per tile; a short tile repeats its last row, then drops it */

static void gemm_u8(int m, const uint8_t *a, size_t lda, const sc_u8_gemm_packed *p, int nb0, int nb1,
                    const sc_requant *q, uint8_t *c, size_t ldc)
{
    const int32_t *bias = sc_u8_gemm_bias(p);
    const int8_t *w = sc_u8_gemm_w(p);
    int kb = p->k_blocks, n = p->n;
    for (int i0 = 0; i0 < m; i0 += MR) {
        int mr = SC_MIN(MR, m - i0);
        const uint8_t *ar[MR];
        int32_t xs[MR] = { 0 };
        for (int r = 0; r < MR; r++) ar[r] = a + (size_t)(i0 + SC_MIN(r, mr - 1)) * lda;
        if (p->xsum_mult)
            for (int r = 0; r < MR; r++)
                for (int k = 0; k < p->k; k++) xs[r] += ar[r][k];
        for (int nb = nb0; nb < nb1; nb++) {
            int32_t acc[MR][SC_GEMM_NR] = { { 0 } };
            const int8_t *wb = w + (size_t)nb * kb * SC_GEMM_NR * 4;
            for (int k = 0; k < kb; k++) {
                const int8_t *wk = wb + (size_t)k * SC_GEMM_NR * 4;
                for (int r = 0; r < MR; r++) {
                    const uint8_t *x = ar[r] + 4 * k;
                    int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
                    for (int j = 0; j < SC_GEMM_NR; j++)
                        acc[r][j] += x0 * wk[4 * j] + x1 * wk[4 * j + 1] + x2 * wk[4 * j + 2] + x3 * wk[4 * j + 3];
                }
            }
            int nj = SC_MIN(SC_GEMM_NR, n - nb * SC_GEMM_NR);
            for (int r = 0; r < mr; r++) {
                uint8_t *cr = c + (size_t)(i0 + r) * ldc + (size_t)nb * SC_GEMM_NR;
                int32_t extra = p->xsum_mult * xs[r];
                for (int j = 0; j < nj; j++)
                    cr[j] = sc_requant_u8(acc[r][j] + extra + bias[nb * SC_GEMM_NR + j], q);
            }
        }
    }
}

static void gemm_f32(int m, const float *a, size_t lda, const sc_f32_gemm_packed *p, int nb0, int nb1, float lo,
                     float hi, float *c, size_t ldc)
{
    const float *bias = sc_f32_gemm_bias(p), *w = sc_f32_gemm_w(p);
    int k_n = p->k, n = p->n;
    for (int i0 = 0; i0 < m; i0 += MR) {
        int mr = SC_MIN(MR, m - i0);
        const float *ar[MR];
        for (int r = 0; r < MR; r++) ar[r] = a + (size_t)(i0 + SC_MIN(r, mr - 1)) * lda;
        for (int nb = nb0; nb < nb1; nb++) {
            float acc[MR][SC_GEMM_NR];
            const float *bb = bias + nb * SC_GEMM_NR;
            for (int r = 0; r < MR; r++)
                for (int j = 0; j < SC_GEMM_NR; j++) acc[r][j] = bb[j];
            const float *wb = w + (size_t)nb * k_n * SC_GEMM_NR;
            for (int k = 0; k < k_n; k++) {
                const float *wk = wb + (size_t)k * SC_GEMM_NR;
                for (int r = 0; r < MR; r++) {
                    float x = ar[r][k];
                    for (int j = 0; j < SC_GEMM_NR; j++) acc[r][j] += x * wk[j];
                }
            }
            int nj = SC_MIN(SC_GEMM_NR, n - nb * SC_GEMM_NR);
            for (int r = 0; r < mr; r++) {
                float *cr = c + (size_t)(i0 + r) * ldc + (size_t)nb * SC_GEMM_NR;
                for (int j = 0; j < nj; j++) {
                    float v = acc[r][j];
                    cr[j] = v < lo ? lo : v > hi ? hi : v;
                }
            }
        }
    }
}

void sc_u8_gemmconv__portable(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                              const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1)
{
    sc_u8_gemmconv_run(s, q, in, packed, out, oy0, oy1, oc0, oc1, gemm_u8);
}

void sc_f32_gemmconv__portable(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                               const void *packed, float *out, int oy0, int oy1, int oc0, int oc1)
{
    sc_f32_gemmconv_run(s, act_min, act_max, in, packed, out, oy0, oy1, oc0, oc1, gemm_f32);
}
