/* sc_f32_exp for AVX-512F: the method of core/kernels/exp_consts.h, 16 floats per step and
 * two steps per iteration, with vscalefps for the exact scaling by 2^k (one rounding, +inf on
 * overflow, denormals and 0 below them, as the two-step scaling of the other variants). The
 * tail goes through the same code with masked loads and stores, so an element's result does
 * not depend on its position. */
#include <immintrin.h>
#include <math.h>

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

/* One row of 16 <= n <= 32 values in two vectors, [0, 16) and [n - 16, n), which overlap when
 * n < 32 (the overlap counted once in the sum): no masked store, whose bytes a load of the
 * next row could not take by store forwarding (masked tail stores made this 2x slower than
 * the portable variant's passes over all rows). */
static inline void softmax_row32(float *y, size_t n, __mmask16 mb)
{
    __m512 a = _mm512_loadu_ps(y), b = _mm512_loadu_ps(y + n - 16);
    const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(_mm512_max_ps(a, b)));
    __m512 ea = exp16(_mm512_sub_ps(a, m)), eb = exp16(_mm512_sub_ps(b, m));
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(_mm512_mask_add_ps(ea, mb, ea, eb)));
    _mm512_storeu_ps(y + n - 16, _mm512_mul_ps(eb, inv));
    _mm512_storeu_ps(y, _mm512_mul_ps(ea, inv));
}

/* sc_f32_softmax for AVX-512: one row at a time in registers. 16 <= n <= 32 (the SSD's 21
 * classes) through softmax_row32; other n 16 values per step, the last step masked (lanes past
 * n taking -inf for the maximum, 0 for the sum): a pass for the maximum, one storing
 * e^(x - max) and summing it, one scaling by 1 / the sum. */
void sc_f32_softmax__avx512(size_t rows, size_t n, float *x)
{
    if (n >= 16 && n <= 32) {
        const __mmask16 mb = (__mmask16)(0xFFFFu << (32 - n) & 0xFFFFu);   /* b's lanes past a's */
        for (size_t r = 0; r < rows; r++) softmax_row32(x + r * n, n, mb);
        return;
    }
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const size_t tail = n % 16 ? n % 16 : 16, last = n - tail;
    const __mmask16 mt = (__mmask16)((1u << tail) - 1u);
    for (size_t r = 0; r < rows; r++) {
        float *y = x + r * n;
        __m512 vm = _mm512_mask_loadu_ps(ninf, mt, y + last);
        for (size_t j = 0; j < last; j += 16) vm = _mm512_max_ps(vm, _mm512_loadu_ps(y + j));
        const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(vm));
        __m512 vs = _mm512_setzero_ps();
        for (size_t j = 0; j < last; j += 16) {
            __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(y + j), m));
            _mm512_storeu_ps(y + j, e);
            vs = _mm512_add_ps(vs, e);
        }
        __m512 e = _mm512_maskz_mov_ps(mt, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(mt, y + last), m)));
        vs = _mm512_add_ps(vs, e);
        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vs));
        for (size_t j = 0; j < last; j += 16) _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_loadu_ps(y + j), inv));
        _mm512_mask_storeu_ps(y + last, mt, _mm512_mul_ps(e, inv));
    }
}
