/* sc_f32_exp for AVX-512F: the method of core/kernels/exp_consts.h, 16 floats per step and
 * two steps per iteration, with vscalefps for the exact scaling by 2^k (one rounding, +inf on
 * overflow, denormals and 0 below them, as the two-step scaling of the other variants). The
 * tail goes through the same code with masked loads and stores, so an element's result does
 * not depend on its position. */
#include <immintrin.h>

#include "core/kernels/exp_consts.h"
#include "core/kernels/kernels.h"

static inline __m512 exp16(__m512 x)
{
    /* vmaxps/vminps return the second operand when either is NaN: x second keeps NaN */
    x = _mm512_max_ps(_mm512_set1_ps(SC_EXP_X_MIN), x);
    x = _mm512_min_ps(_mm512_set1_ps(SC_EXP_X_MAX), x);
    const __m512 magic = _mm512_set1_ps(SC_EXP_MAGIC);
    __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(SC_EXP_LOG2E), magic), magic);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(SC_EXP_LN2_HI), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(SC_EXP_LN2_LO), r);
    __m512 p = _mm512_set1_ps(SC_EXP_C6);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(SC_EXP_C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(SC_EXP_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(SC_EXP_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(SC_EXP_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(SC_EXP_C1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, k);
}

void sc_f32_exp__avx512(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        _mm512_storeu_ps(y + i, exp16(a));
        _mm512_storeu_ps(y + i + 16, exp16(b));
    }
    for (; i < n; i += 16) {
        size_t left = n - i < 16 ? n - i : 16;
        __mmask16 m = (__mmask16)((1u << left) - 1u);
        _mm512_mask_storeu_ps(y + i, m, exp16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}
