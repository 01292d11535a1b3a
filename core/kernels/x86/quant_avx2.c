/* sc_f32_quant_u8 for AVX2: 32 floats per iteration, packed to bytes with two saturating packs
 * and a lane permute. The tail (< 32) goes through the same code on a zero-padded copy, so an
 * element's result does not depend on its position. */
#include <immintrin.h>
#include <string.h>

#include "core/kernels/kernels.h"

static inline __m256i quant8(const float *x, __m256 scale, __m256 offset)
{
    __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x), scale), offset);
    v = _mm256_max_ps(v, _mm256_setzero_ps());     /* vmaxps returns the second operand for NaN */
    v = _mm256_min_ps(v, _mm256_set1_ps(255.0f));
    return _mm256_cvttps_epi32(v);
}

static inline void quant32(const float *x, __m256 scale, __m256 offset, uint8_t *y)
{
    __m256i ab = _mm256_packus_epi32(quant8(x, scale, offset), quant8(x + 8, scale, offset));
    __m256i cd = _mm256_packus_epi32(quant8(x + 16, scale, offset), quant8(x + 24, scale, offset));
    /* bytes now a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7: put the 4-byte groups in order */
    __m256i q = _mm256_packus_epi16(ab, cd);
    q = _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)y, q);
}

void sc_f32_quant_u8__avx2(size_t n, const float *x, float scale, float offset, uint8_t *y)
{
    const __m256 vs = _mm256_set1_ps(scale), vo = _mm256_set1_ps(offset);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) quant32(x + i, vs, vo, y + i);
    if (i < n) {
        float xt[32] = { 0 };
        uint8_t yt[32];
        memcpy(xt, x + i, (n - i) * sizeof(float));
        quant32(xt, vs, vo, yt);
        memcpy(y + i, yt, n - i);
    }
}
