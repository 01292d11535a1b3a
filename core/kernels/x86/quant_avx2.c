/* sc_f32_quant_u8 for AVX2: 32 floats per iteration, packed to bytes with two saturating packs
 * and a lane permute; the tail as core/kernels/quant_drive.h says. */
#include <immintrin.h>

#include "core/kernels/kernels.h"
#include "core/kernels/quant_drive.h"

static inline __m256i quant8(const float *x, __m256 scale, __m256 offset)
{
    __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x), scale), offset);
    v = _mm256_max_ps(v, _mm256_setzero_ps());     /* vmaxps returns the second operand for NaN */
    v = _mm256_min_ps(v, _mm256_set1_ps(255.0f));
    return _mm256_cvttps_epi32(v);
}

static inline __attribute__((always_inline)) void quant32(const float *x, float scale_s, float offset_s, uint8_t *y)
{
    const __m256 scale = _mm256_set1_ps(scale_s), offset = _mm256_set1_ps(offset_s);
    __m256i ab = _mm256_packus_epi32(quant8(x, scale, offset), quant8(x + 8, scale, offset));
    __m256i cd = _mm256_packus_epi32(quant8(x + 16, scale, offset), quant8(x + 24, scale, offset));
    /* bytes now a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7: put the 4-byte groups in order */
    __m256i q = _mm256_packus_epi16(ab, cd);
    q = _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)y, q);
}

void sc_f32_quant_u8__avx2(size_t n, const float *x, float scale, float offset, uint8_t *y)
{
    sc_quant_drive(n, x, scale, offset, y, 32, quant32);
}
