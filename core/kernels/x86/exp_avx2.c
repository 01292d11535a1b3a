/* sc_f32_exp for AVX2+FMA: the method of core/kernels/exp_consts.h, 8 floats per step and
 * two steps per iteration; the tail (< 8) goes through the same code with masked loads and
 * stores, so an element's result does not depend on its position. */
#include <immintrin.h>

#include "core/kernels/exp_consts.h"
#include "core/kernels/kernels.h"

static inline __m256 exp8(__m256 x)
{
    /* vmaxps/vminps return the second operand when either is NaN: x second keeps NaN */
    x = _mm256_max_ps(_mm256_set1_ps(SC_EXP_X_MIN), x);
    x = _mm256_min_ps(_mm256_set1_ps(SC_EXP_X_MAX), x);
    const __m256 magic = _mm256_set1_ps(SC_EXP_MAGIC);
    __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(SC_EXP_LOG2E), magic);
    __m256 k = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(SC_EXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(SC_EXP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(SC_EXP_C6);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(SC_EXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(SC_EXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(SC_EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(SC_EXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(SC_EXP_C1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* k in [-150, 128] is the low bits of t minus those of magic; 2^k = 2^k1 · 2^k2 */
    __m256i ki = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(magic));
    __m256i k1 = _mm256_srai_epi32(ki, 1);
    __m256i k2 = _mm256_sub_epi32(ki, k1);
    const __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

void sc_f32_exp__avx2(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        _mm256_storeu_ps(y + i, exp8(a));
        _mm256_storeu_ps(y + i + 8, exp8(b));
    }
    for (; i < n; i += 8) {
        size_t left = n - i < 8 ? n - i : 8;
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(y + i, mask, exp8(_mm256_maskload_ps(x + i, mask)));
    }
}
