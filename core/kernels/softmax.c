/* sc_f32_softmax: the reference, and the variants built on their level's sc_f32_exp (portable,
 * AVX2, NEON: plain C around one exp call per block of rows; the AVX-512 variant is in
 * core/kernels/x86/exp_avx512.c). */
#include <math.h>

#include "core/kernels/kernels.h"
#include "sc_config.h"

void sc_f32_softmax__ref(size_t rows, size_t n, float *x)
{
    for (size_t r = 0; r < rows; r++) {
        float *y = x + r * n, m = y[0], sum = 0.0f;
        for (size_t j = 1; j < n; j++) m = y[j] > m ? y[j] : m;
        for (size_t j = 0; j < n; j++) sum += y[j] = expf(y[j] - m);
        float inv = 1.0f / sum;
        for (size_t j = 0; j < n; j++) y[j] *= inv;
    }
}

/* A row's maximum and sum in four interleaved chains (elements j ≡ l mod 4, then combined in
 * a fixed order), so the dependent compares and adds overlap; the order depends on n alone. */
static float row_max(const float *v, size_t n)
{
    float m[4] = { v[0], v[0], v[0], v[0] };
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        for (int l = 0; l < 4; l++) m[l] = v[j + l] > m[l] ? v[j + l] : m[l];
    for (; j < n; j++) m[0] = v[j] > m[0] ? v[j] : m[0];
    float a = m[0] > m[1] ? m[0] : m[1], b = m[2] > m[3] ? m[2] : m[3];
    return a > b ? a : b;
}

static float row_sum(const float *v, size_t n)
{
    float s[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        for (int l = 0; l < 4; l++) s[l] += v[j + l];
    for (; j < n; j++) s[0] += v[j];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* Each row minus its maximum, one exp call over all the rows (an element's exp does not
 * depend on the call's length), then each row scaled by 1 / its sum. */
static void softmax_with(size_t rows, size_t n, float *x, sc_f32_exp_fn exp_fn)
{
    for (size_t r = 0; r < rows; r++) {
        float *y = x + r * n, m = row_max(y, n);
        for (size_t j = 0; j < n; j++) y[j] -= m;
    }
    exp_fn(rows * n, x, x);
    for (size_t r = 0; r < rows; r++) {
        float *y = x + r * n, inv = 1.0f / row_sum(y, n);
        for (size_t j = 0; j < n; j++) y[j] *= inv;
    }
}

void sc_f32_softmax__portable(size_t rows, size_t n, float *x) { softmax_with(rows, n, x, sc_f32_exp__portable); }
#if SC_HAVE_AVX2
void sc_f32_softmax__avx2(size_t rows, size_t n, float *x) { softmax_with(rows, n, x, sc_f32_exp__avx2); }
#endif
#if SC_HAVE_NEON
void sc_f32_softmax__neon(size_t rows, size_t n, float *x) { softmax_with(rows, n, x, sc_f32_exp__neon); }
#endif
