/* gemmconv for AVX2 + FMA. uint8: the packed s8 weights of 4 channels × 4 inputs are
 * sign-extended to 16 bits and vpmaddwd'd with the row's 4 inputs (zero-extended, repeated),
 * leaving two exact partial sums per channel that are added at the end (no vpmaddubsw: its
 * 16-bit saturation would not be exact). f32: the classic 6 rows × 16 channels FMA tile.
 * Compiled with -mavx2 -mfma only. */
#include <string.h>

#include "core/kernels/packed.h"
#include "core/kernels/x86/requant_x86.h"

#define MR_U8 2
#define MR_F32 6

static int32_t row_sum_u8(const uint8_t *x, int k)
{
    __m256i s = _mm256_setzero_si256(), z = _mm256_setzero_si256();
    int i = 0;
    for (; i + 32 <= k; i += 32)
        s = _mm256_add_epi64(s, _mm256_sad_epu8(_mm256_loadu_si256((const __m256i *)(const void *)(x + i)), z));
    int64_t lanes[4];
    _mm256_storeu_si256((__m256i *)(void *)lanes, s);
    int32_t sum = (int32_t)(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
    for (; i < k; i++) sum += x[i];
    return sum;
}

/* 16 requantised channels from the four pair-sum accumulators of one row. */
SC_X86_INLINE __m128i finish_u8(__m256i a0, __m256i a1, __m256i a2, __m256i a3, const int32_t *bias,
                                int32_t extra, const sc_rq256 *rq)
{
    __m256i e = _mm256_set1_epi32(extra);
    __m256i v0 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a0, a1), 0xD8);   /* channels 0..7 */
    __m256i v1 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a2, a3), 0xD8);   /* channels 8..15 */
    v0 = _mm256_add_epi32(v0, _mm256_add_epi32(_mm256_load_si256((const __m256i *)(const void *)bias), e));
    v1 = _mm256_add_epi32(v1, _mm256_add_epi32(_mm256_load_si256((const __m256i *)(const void *)(bias + 8)), e));
    __m256i p16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(sc_rq256_apply(v0, rq), sc_rq256_apply(v1, rq)), 0xD8);
    return _mm_packus_epi16(_mm256_castsi256_si128(p16), _mm256_extracti128_si256(p16, 1));
}

static void store16(uint8_t *dst, __m128i v, int n)
{
    if (n >= 16) {
        _mm_storeu_si128((__m128i *)(void *)dst, v);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)(void *)tmp, v);
        memcpy(dst, tmp, (size_t)n);
    }
}

static void gemm_u8(int m, const uint8_t *a, size_t lda, const sc_u8_gemm_packed *p, int nb0, int nb1,
                    const sc_requant *q,
                    uint8_t *c, size_t ldc)
{
    const int32_t *bias = sc_u8_gemm_bias(p);
    const int8_t *w = sc_u8_gemm_w(p);
    int kb = p->k_blocks;
    sc_rq256 rq;
    sc_rq256_init(&rq, q);
    for (int i0 = 0; i0 < m; i0 += MR_U8) {
        int mr = SC_MIN(MR_U8, m - i0);
        const uint8_t *a0 = a + (size_t)i0 * lda, *a1 = a + (size_t)(i0 + mr - 1) * lda;
        int32_t xs0 = p->xsum_mult ? p->xsum_mult * row_sum_u8(a0, p->k) : 0;
        int32_t xs1 = p->xsum_mult ? p->xsum_mult * row_sum_u8(a1, p->k) : 0;
        for (int nb = nb0; nb < nb1; nb++) {
            const int8_t *wb = w + (size_t)nb * kb * 64;
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
            __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            for (int k = 0; k < kb; k++) {
                const __m128i *wk = (const __m128i *)(const void *)(wb + (size_t)k * 64);
                __m256i w0 = _mm256_cvtepi8_epi16(_mm_load_si128(wk));
                __m256i w1 = _mm256_cvtepi8_epi16(_mm_load_si128(wk + 1));
                __m256i w2 = _mm256_cvtepi8_epi16(_mm_load_si128(wk + 2));
                __m256i w3 = _mm256_cvtepi8_epi16(_mm_load_si128(wk + 3));
                int32_t x4;
                memcpy(&x4, a0 + 4 * k, 4);
                __m256i x = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(x4)));
                c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x, w0));
                c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x, w1));
                c02 = _mm256_add_epi32(c02, _mm256_madd_epi16(x, w2));
                c03 = _mm256_add_epi32(c03, _mm256_madd_epi16(x, w3));
                memcpy(&x4, a1 + 4 * k, 4);
                x = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(x4)));
                c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x, w0));
                c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x, w1));
                c12 = _mm256_add_epi32(c12, _mm256_madd_epi16(x, w2));
                c13 = _mm256_add_epi32(c13, _mm256_madd_epi16(x, w3));
            }
            int nj = p->n - nb * 16;
            const int32_t *bb = bias + nb * 16;
            store16(c + (size_t)i0 * ldc + nb * 16, finish_u8(c00, c01, c02, c03, bb, xs0, &rq), nj);
            if (mr > 1) store16(c + (size_t)(i0 + 1) * ldc + nb * 16, finish_u8(c10, c11, c12, c13, bb, xs1, &rq), nj);
        }
    }
}

static void gemm_f32(int m, const float *a, size_t lda, const sc_f32_gemm_packed *p, int nb0, int nb1,
                     float lo, float hi,
                     float *c, size_t ldc)
{
    const float *bias = sc_f32_gemm_bias(p), *w = sc_f32_gemm_w(p);
    __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    for (int i0 = 0; i0 < m; i0 += MR_F32) {
        int mr = SC_MIN(MR_F32, m - i0);
        const float *ar[MR_F32];
        for (int r = 0; r < MR_F32; r++) ar[r] = a + (size_t)(i0 + SC_MIN(r, mr - 1)) * lda;
        for (int nb = nb0; nb < nb1; nb++) {
            const float *wb = w + (size_t)nb * p->k * 16;
            __m256 acc[MR_F32][2];
            __m256 b0 = _mm256_load_ps(bias + nb * 16), b1 = _mm256_load_ps(bias + nb * 16 + 8);
#pragma GCC unroll 8
            for (int r = 0; r < MR_F32; r++) { acc[r][0] = b0; acc[r][1] = b1; }
            for (int k = 0; k < p->k; k++) {
                __m256 w0 = _mm256_load_ps(wb + (size_t)k * 16), w1 = _mm256_load_ps(wb + (size_t)k * 16 + 8);
#pragma GCC unroll 8
                for (int r = 0; r < MR_F32; r++) {
                    __m256 x = _mm256_broadcast_ss(ar[r] + k);
                    acc[r][0] = _mm256_fmadd_ps(x, w0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(x, w1, acc[r][1]);
                }
            }
            int nj = p->n - nb * 16;
            for (int r = 0; r < mr; r++) {
                float *cr = c + (size_t)(i0 + r) * ldc + nb * 16;
                __m256 v0 = _mm256_min_ps(vhi, _mm256_max_ps(vlo, acc[r][0]));
                __m256 v1 = _mm256_min_ps(vhi, _mm256_max_ps(vlo, acc[r][1]));
                if (nj >= 16) {
                    _mm256_storeu_ps(cr, v0);
                    _mm256_storeu_ps(cr + 8, v1);
                } else {
                    float tmp[16];
                    _mm256_storeu_ps(tmp, v0);
                    _mm256_storeu_ps(tmp + 8, v1);
                    memcpy(cr, tmp, sizeof(float) * (size_t)nj);
                }
            }
        }
    }
}

void sc_u8_gemmconv__avx2(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                          const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1)
{
    sc_u8_gemmconv_run(s, q, in, packed, out, oy0, oy1, oc0, oc1, gemm_u8);
}

void sc_f32_gemmconv__avx2(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                           const void *packed, float *out, int oy0, int oy1, int oc0, int oc1)
{
    sc_f32_gemmconv_run(s, act_min, act_max, in, packed, out, oy0, oy1, oc0, oc1, gemm_f32);
}
