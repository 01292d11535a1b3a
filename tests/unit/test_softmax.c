/* sc_f32_softmax: the reference against its meaning (worked in double), then every variant this
 * build and CPU run against the reference within SC_F32_SOFTMAX_TOL(n) · |value| + 1e-12: rows of lengths 1..40, 91, 1000 and 1001 (the SSD's 21 and a classifier's
 * 1000 among them), values spread over [-30, 30], huge ones (±1e30: only the maximum survives),
 * ties, constant rows, a lone large value; each row sums to 1; the same bytes whatever split of
 * the rows into calls; nothing outside the rows touched; and each level's table entry. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "sc_config.h"
#include "tests/harness.h"

#define ROWS 37
#define MAXN 1001
#define GUARD 16

static uint32_t rng = 5;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / 16777216.0f; }

/* row r of a block of rows of n: a mix of kinds by row */
static void fill(float *x, size_t rows, size_t n)
{
    for (size_t r = 0; r < rows; r++) {
        float *y = x + r * n;
        int kind = (int)(r % 6);
        for (size_t j = 0; j < n; j++) {
            switch (kind) {
            case 0: y[j] = rnd_f(-30.0f, 30.0f); break;
            case 1: y[j] = rnd_f(-3.0f, 3.0f); break;
            case 2: y[j] = (float)(rnd() % 3);  break;                      /* ties */
            case 3: y[j] = 7.5f; break;                                       /* constant */
            case 4: y[j] = j == n / 2 ? 60.0f : rnd_f(-1.0f, 1.0f); break;    /* one large */
            default: y[j] = (rnd() & 1 ? 1e30f : -1e30f) * rnd_f(0.5f, 1.0f); break;
            }
        }
    }
}

static void test_reference(const float *x, size_t rows, size_t n, float *y)
{
    memcpy(y, x, rows * n * sizeof(float));
    sc_f32_softmax__ref(rows, n, y);
    int bad = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *a = x + r * n;
        double m = a[0], sum = 0.0, got = 0.0;
        for (size_t j = 1; j < n; j++) m = a[j] > m ? a[j] : m;
        for (size_t j = 0; j < n; j++) sum += exp((double)a[j] - m);
        for (size_t j = 0; j < n; j++) {
            double want = exp((double)a[j] - m) / sum, v = y[r * n + j];
            got += v;
            /* x - max rounds to 2^-24 of itself in float: that, exp's and the sum's rounding */
            double tol = ((fabs((double)a[j] - m) + 8.0 + (double)n) * 1.2e-7) * want + 1e-30;
            if (fabs(v - want) > tol && bad++ < 5)
                fprintf(stderr, "ref n %zu row %zu [%zu]: %.9g, want %.9g\n", n, r, j, v, want);
        }
        if (fabs(got - 1.0) > 1e-5 && bad++ < 5) fprintf(stderr, "ref n %zu row %zu sums to %.9g\n", n, r, got);
    }
    CHECKF(bad == 0, "ref: %d values wrong (n %zu)", bad, n);
}

static void test_variant(const char *isa, sc_f32_softmax_fn f, const float *x, const float *want, size_t rows,
                         size_t n, float *buf)
{
    size_t len = rows * n;
    for (size_t i = 0; i < len + 2 * GUARD; i++) buf[i] = -123.0f;
    memcpy(buf + GUARD, x, len * sizeof(float));
    f(rows, n, buf + GUARD);
    int bad = 0, outside = 0;
    for (size_t i = 0; i < len; i++) {
        float v = buf[GUARD + i], w = want[i];
        if (!(fabsf(v - w) <= SC_F32_SOFTMAX_TOL(n) * fabsf(w) + 1e-12f) && bad++ < 5)
            fprintf(stderr, "%s n %zu row %zu [%zu]: %.9g, ref %.9g\n", isa, n, i / n, i % n, v, w);
    }
    for (size_t i = 0; i < GUARD; i++) outside += buf[i] != -123.0f || buf[GUARD + len + i] != -123.0f;
    CHECKF(bad == 0, "%s: %d values off the reference (n %zu)", isa, bad, n);
    CHECKF(outside == 0, "%s: wrote outside the rows (n %zu)", isa, n);
    /* row by row, and in uneven blocks: the same bytes as the whole call */
    float *part = buf + GUARD + len + GUARD;
    memcpy(part, x, len * sizeof(float));
    for (size_t r = 0; r < rows;) {
        size_t k = SC_MIN(rows - r, 1 + r % 5);
        f(k, n, part + r * n);
        r += k;
    }
    CHECKF(memcmp(part, buf + GUARD, len * sizeof(float)) == 0, "%s: a split of the rows changes bytes (n %zu)", isa, n);
    f(0, n, NULL);   /* no rows: nothing touched */
}

static void test_table(void)
{
    sc_kernels k;
    CHECK(sc_kernels_init_isa(&k, "ref") == 0 && k.f32_softmax == sc_f32_softmax__ref);
    CHECK(sc_kernels_init_isa(&k, "portable") == 0 && k.f32_softmax == sc_f32_softmax__portable);
#if SC_HAVE_AVX2
    if (sc_kernels_init_isa(&k, "avx2") == 0) CHECK(k.f32_softmax == sc_f32_softmax__avx2);
#endif
#if SC_HAVE_AVX512
    if (sc_kernels_init_isa(&k, "avx512") == 0) CHECK(k.f32_softmax == sc_f32_softmax__avx512);
#endif
#if SC_HAVE_NEON
    if (sc_kernels_init_isa(&k, "neon") == 0) CHECK(k.f32_softmax == sc_f32_softmax__neon);
#endif
    sc_kernels_init(&k, 1);
    CHECK(k.f32_softmax == sc_f32_softmax__ref);
}

int main(void)
{
    test_table();
    float *x = malloc(ROWS * MAXN * sizeof(float)), *want = malloc(ROWS * MAXN * sizeof(float));
    float *buf = malloc((2 * ROWS * MAXN + 3 * GUARD) * sizeof(float));
    SC_ASSERT(x && want && buf);
    static const char *const isas[] = { "portable", "avx2", "avx512", "neon" };
    static const size_t big[] = { 91, 1000, 1001 };
    for (size_t ni = 0; ni < 40 + SC_ARRAY_LEN(big); ni++) {
        size_t n = ni < 40 ? ni + 1 : big[ni - 40];
        fill(x, ROWS, n);
        test_reference(x, ROWS, n, want);
        for (size_t i = 0; i < SC_ARRAY_LEN(isas); i++) {
            sc_kernels k;
            if (sc_kernels_init_isa(&k, isas[i]) != 0) {
                if (ni == 0) printf("%-8s not supported by this build or CPU: skipped\n", isas[i]);
                continue;
            }
            test_variant(isas[i], k.f32_softmax, x, want, ROWS, n, buf);
        }
    }
    free(x);
    free(want);
    free(buf);
    return sc_test_finish();
}
