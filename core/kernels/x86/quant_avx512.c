/* sc_f32_quant_u8 for AVX-512F: 64 floats per iteration, the tail through the same code with
 * masked loads and stores (so an element's result does not depend on its position). */
#include <immintrin.h>

#include "core/kernels/kernels.h"

static inline __m128i quant16(__m512 x, __m512 scale, __m512 offset)
{
    __m512 v = _mm512_add_ps(_mm512_mul_ps(x, scale), offset);
    v = _mm512_max_ps(v, _mm512_setzero_ps());     /* vmaxps returns the second operand for NaN */
    v = _mm512_min_ps(v, _mm512_set1_ps(255.0f));
    return _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(v));
}

void sc_f32_quant_u8__avx512(size_t n, const float *x, float scale, float offset, uint8_t *y)
{
    const __m512 vs = _mm512_set1_ps(scale), vo = _mm512_set1_ps(offset);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m128i a = quant16(_mm512_loadu_ps(x + i), vs, vo);
        __m128i b = quant16(_mm512_loadu_ps(x + i + 16), vs, vo);
        __m128i c = quant16(_mm512_loadu_ps(x + i + 32), vs, vo);
        __m128i d = quant16(_mm512_loadu_ps(x + i + 48), vs, vo);
        _mm_storeu_si128((__m128i *)(y + i), a);
        _mm_storeu_si128((__m128i *)(y + i + 16), b);
        _mm_storeu_si128((__m128i *)(y + i + 32), c);
        _mm_storeu_si128((__m128i *)(y + i + 48), d);
    }
    for (; i < n; i += 16) {
        size_t left = n - i;
        __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        __m128i q = quant16(_mm512_maskz_loadu_ps(m, x + i), vs, vo);
        _mm_mask_storeu_epi8(y + i, m, q);
    }
}
