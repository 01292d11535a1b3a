/* sc_f32_exp: every variant this build and CPU run (ref, portable, avx2, avx512, neon) against
 * the specification, libm's expf, within SC_F32_EXP_MAX_ULP (kernels.h): a sweep over the
 * whole float line from -110 to 95 (every STRIDE-th bit pattern), every float within EDGE
 * ulps of the edges (overflow to +inf, the normal/denormal boundary, the underflow to 0, 0
 * itself) and of each point where round(x·log2 e) steps (the reduction's worst case), random
 * inputs of the softmax/logistic range, and the specials (±0, ±inf, NaN, ±FLT_MAX, denormal
 * inputs). The ulp distance is the distance between the result's and expf's bit patterns (both
 * are >= 0). Also: expf itself within 1 ulp of the double exp (the yardstick is sound); any
 * split of an array into calls gives the same bytes (an element's result does not depend on
 * its position, so the thread split cannot change softmax or logistic); in place; nothing
 * written past n; each level's table entry. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "tests/harness.h"

#define STRIDE 613u      /* sweep step in bit patterns: ~3.4 M inputs */
#define EDGE 2048        /* floats each side of an edge */

static uint32_t rng = 7;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / 16777216.0f; }

static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, sizeof(u)); return u; }
static float from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof(f)); return f; }

/* ulp distance of two results >= 0 (+inf is one past FLT_MAX); NaN: 0 when both are NaN */
static uint32_t ulp_dist(float a, float b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : UINT32_MAX;
    uint32_t ua = bits(a), ub = bits(b);
    if ((ua | ub) & 0x80000000u) return UINT32_MAX;   /* a negative result is always wrong */
    return ua > ub ? ua - ub : ub - ua;
}

/* The inputs: appended to buf (capacity cap), returning the count. */
static size_t add(float *buf, size_t n, size_t cap, float v)
{
    SC_ASSERT(n < cap);
    buf[n] = v;
    return n + 1;
}

static size_t add_around(float *buf, size_t n, size_t cap, float centre)
{
    for (int d = -EDGE; d <= EDGE; d++) {
        float v = centre;
        uint32_t u = bits(v);
        /* walk |v| up or down by |d| ulps, keeping the sign (at 0: both signs, small values) */
        if (v == 0.0f) u = d < 0 ? (0x80000000u | (uint32_t)-d) : (uint32_t)d;
        else u = (uint32_t)((int64_t)u + d);
        n = add(buf, n, cap, from_bits(u));
    }
    return n;
}

static size_t make_inputs(float *buf, size_t cap)
{
    size_t n = 0;
    /* the sweep: negative side from -110 up to -0, positive from +0 to 95 */
    for (uint32_t u = bits(-110.0f); u >= 0x80000000u && u >= STRIDE; u -= STRIDE) n = add(buf, n, cap, from_bits(u));
    for (uint32_t u = 0; u <= bits(95.0f); u += STRIDE) n = add(buf, n, cap, from_bits(u));
    /* edges: ln(FLT_MAX), ln(FLT_MIN), ln(smallest denormal), its half, 0 */
    static const float edges[] = { 88.72283935546875f, -87.33654785156250f, -103.27892303466797f,
                                   -103.97207641601562f, 0.0f };
    for (size_t i = 0; i < SC_ARRAY_LEN(edges); i++) n = add_around(buf, n, cap, edges[i]);
    /* where round(x·log2 e) steps: x = (k + 1/2)·ln 2, a few ulps each side */
    for (int k = -150; k <= 128; k++) {
        float c = (float)((k + 0.5) * 0.69314718055994530942);
        uint32_t u = bits(c);
        for (int d = -8; d <= 8; d++) n = add(buf, n, cap, from_bits((uint32_t)((int64_t)u + d)));
    }
    /* the range softmax and logistic see, at random */
    for (int i = 0; i < 200000; i++) n = add(buf, n, cap, rnd_f(-30.0f, 30.0f));
    static const float specials[] = { 0.0f, -0.0f, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, FLT_MIN,
                                      -FLT_MIN, 1e-45f, -1e-45f, 1.0f, -1.0f, 89.0f, 100.0f, 1e30f,
                                      -104.0f, -110.0f, -1e30f };
    for (size_t i = 0; i < SC_ARRAY_LEN(specials); i++) n = add(buf, n, cap, specials[i]);
    n = add(buf, n, cap, NAN);
    n = add(buf, n, cap, -NAN);
    return n;
}

/* The yardstick: expf within 1 ulp of exp() rounded to float (the specification is sound). */
static void test_expf_yardstick(const float *x, size_t n)
{
    uint32_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t d = ulp_dist(expf(x[i]), (float)exp((double)x[i]));
        worst = d > worst ? d : worst;
    }
    CHECKF(worst <= 1, "expf is %u ulp from exp()", worst);
}

static void test_accuracy(const char *isa, sc_f32_exp_fn f, const float *x, const float *want, float *y, size_t n)
{
    memset(y, 0, n * sizeof(float));
    f(n, x, y);
    uint32_t worst = 0;
    size_t worst_i = 0, over = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        uint32_t d = ulp_dist(y[i], want[i]);
        if (d > SC_F32_EXP_MAX_ULP) {
            if (over < 5) fprintf(stderr, "%s: exp(%.9g = %a) = %.9g, expf %.9g: %u ulp\n", isa, x[i], x[i], y[i], want[i], d);
            over++;
        }
        if (d > worst) { worst = d; worst_i = i; }
        if (d != UINT32_MAX) sum += d;
    }
    CHECKF(over == 0, "%s: %zu of %zu results beyond %d ulp (worst %u at x = %a)", isa, over, n,
           SC_F32_EXP_MAX_ULP, worst, x[worst_i]);
    printf("%-8s %zu inputs: max %u ulp (at x = %.9g), mean %.4f ulp\n", isa, n, worst, x[worst_i], sum / (double)n);

    /* the edges by value, not only by distance */
    float s[8] = { INFINITY, 89.0f, 1e30f, -INFINITY, -104.0f, -1e30f, NAN, 0.0f }, r[8];
    f(8, s, r);
    CHECKF(isinf(r[0]) && isinf(r[1]) && isinf(r[2]) && r[0] > 0.0f, "%s: overflow gives +inf", isa);
    CHECKF(r[3] == 0.0f && r[4] == 0.0f && r[5] == 0.0f && !signbit(r[3]), "%s: underflow gives +0", isa);
    CHECKF(isnan(r[6]), "%s: NaN gives NaN", isa);
    CHECKF(r[7] == 1.0f, "%s: exp(0) = %.9g", isa, r[7]);
    float dn = -100.0f, ydn;
    f(1, &dn, &ydn);
    CHECKF(ydn > 0.0f && ydn < FLT_MIN, "%s: exp(-100) = %g is a denormal", isa, ydn);
}

/* Any split into calls, and in place, gives the bytes of one call; nothing past n is written. */
static void test_split(const char *isa, sc_f32_exp_fn f)
{
    enum { N = 1000 };
    float x[N], whole[N], part[N + 64];
    for (int i = 0; i < N; i++) x[i] = rnd_f(-40.0f, 40.0f);
    x[3] = NAN; x[17] = INFINITY; x[40] = -INFINITY; x[41] = -103.5f; x[77] = 88.7f;
    f(N, x, whole);
    int bad = 0;
    for (int trial = 0; trial < 200; trial++) {
        size_t i0 = rnd() % N, len = rnd() % 70;
        if (trial < 70) { i0 = (size_t)trial * 7 % N; len = (size_t)trial; }   /* every length 0..69 */
        if (i0 + len > N) len = N - i0;
        for (size_t i = 0; i < len + 64; i++) part[i] = -7.0f;
        f(len, x + i0, part);
        bad += memcmp(part, whole + i0, len * sizeof(float)) != 0;
        for (size_t i = len; i < len + 64; i++) bad += part[i] != -7.0f;
    }
    CHECKF(bad == 0, "%s: %d splits differ from one call or wrote past n", isa, bad);
    float inplace[N];
    memcpy(inplace, x, sizeof(x));
    f(N, inplace, inplace);
    CHECKF(memcmp(inplace, whole, sizeof(whole)) == 0, "%s: in place differs", isa);
    f(0, NULL, NULL);   /* n = 0 touches nothing */
    CHECK(1);
}

static void test_table(void)
{
    sc_kernels k;
    CHECK(sc_kernels_init_isa(&k, "ref") == 0 && k.f32_exp == sc_f32_exp__ref);
    CHECK(sc_kernels_init_isa(&k, "portable") == 0 && k.f32_exp == sc_f32_exp__portable);
    sc_kernels_init(&k, 1);
    CHECK(k.f32_exp == sc_f32_exp__ref);
    sc_kernels_init(&k, 0);
    CHECK(k.f32_exp != NULL);
    printf("best level here: %s\n", k.isa);
}

int main(void)
{
    size_t cap = 4200000;
    float *x = malloc(cap * sizeof(float)), *want = malloc(cap * sizeof(float)), *y = malloc(cap * sizeof(float));
    SC_ASSERT(x && want && y);
    size_t n = make_inputs(x, cap);
    for (size_t i = 0; i < n; i++) want[i] = expf(x[i]);
    test_expf_yardstick(x, n);
    test_table();
    static const char *const isas[] = { "ref", "portable", "avx2", "avx512", "neon" };
    for (size_t i = 0; i < SC_ARRAY_LEN(isas); i++) {
        sc_kernels k;
        if (sc_kernels_init_isa(&k, isas[i]) != 0) {
            printf("%-8s not supported by this build or CPU: skipped\n", isas[i]);
            continue;
        }
        test_accuracy(isas[i], k.f32_exp, x, want, y, n);
        test_split(isas[i], k.f32_exp);
    }
    free(x);
    free(want);
    free(y);
    return sc_test_finish();
}
