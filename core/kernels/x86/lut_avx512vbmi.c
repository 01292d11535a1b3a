/* sc_u8_lut for AVX-512 with VBMI (Ice Lake, Zen 4 and later; dispatch.c checks the CPU): the
 * table in four registers of 64 bytes, vpermi2b looking up bits 0-6 of each byte in the lower
 * or the upper 128 bytes, bit 7 choosing between the two. 64 bytes per iteration, the tail
 * through the same code with masked loads and stores. VBMI is enabled for this function alone:
 * the rest of the avx512 library needs only F/BW/VL/VNNI. */
#include <immintrin.h>

#include "core/kernels/kernels.h"

#define VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))

static inline VBMI __m512i lookup64(__m512i x, __m512i t0, __m512i t1, __m512i t2, __m512i t3)
{
    __m512i lo = _mm512_permutex2var_epi8(t0, x, t1);
    __m512i hi = _mm512_permutex2var_epi8(t2, x, t3);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi);
}

VBMI void sc_u8_lut__avx512vbmi(size_t n, const uint8_t *x, const uint8_t lut[256], uint8_t *y)
{
    const __m512i t0 = _mm512_loadu_si512(lut), t1 = _mm512_loadu_si512(lut + 64);
    const __m512i t2 = _mm512_loadu_si512(lut + 128), t3 = _mm512_loadu_si512(lut + 192);
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m512i a = lookup64(_mm512_loadu_si512(x + i), t0, t1, t2, t3);
        __m512i b = lookup64(_mm512_loadu_si512(x + i + 64), t0, t1, t2, t3);
        _mm512_storeu_si512(y + i, a);
        _mm512_storeu_si512(y + i + 64, b);
    }
    for (; i < n; i += 64) {
        size_t left = n - i;
        __mmask64 m = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        _mm512_mask_storeu_epi8(y + i, m, lookup64(_mm512_maskz_loadu_epi8(m, x + i), t0, t1, t2, t3));
    }
}
