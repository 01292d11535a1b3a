/* sc_f32_quant_u8: the reference against its meaning, then every variant this build and CPU
 * run (ref, portable, avx2, avx512, neon) against the reference, byte for byte.
 *
 * Inputs: for several (scale, offset) pairs (uint8 images scaled 1/255, zero point 128, an
 * odd scale with zero point 37, offsets without the half), every float within EDGE ulps of
 * each point where the result steps from k - 1 to k (k = 0..256, where ties and the two
 * roundings decide), random values across and beyond the range, and the specials (±0, ±inf,
 * NaN of both signs, ±FLT_MAX, denormals). The reference must give floor(x·scale + offset)
 * clamped to [0, 255] (worked in double) wherever that is at least 1e-3 from an integer, 0 for
 * NaN, and each variant its bytes. Also: any split of an array into calls gives the same
 * bytes, nothing is written past n, n = 0 touches nothing, and each level's table entry. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "sc_config.h"
#include "tests/harness.h"

#define EDGE 64          /* floats each side of a step */
#define CAP 200000

static uint32_t rng = 11;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / 16777216.0f; }

static float from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof(f)); return f; }
static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, sizeof(u)); return u; }

typedef struct params { float scale, offset; } params;

static const params cases[] = {
    { 255.0f, 0.5f },                    /* [0, 1] images, zero point 0, halves up */
    { 128.0f, 128.5f },                  /* scale 1/128, zero point 128 */
    { 1.0f / 0.0234375f, 37.5f },        /* an odd scale, zero point 37 */
    { 1.0f, 0.0f },                      /* truncation only */
    { 3.7f, -20.25f },                   /* a negative offset */
};

static size_t add(float *buf, size_t n, float v)
{
    SC_ASSERT(n < CAP);
    buf[n] = v;
    return n + 1;
}

static size_t make_inputs(float *x, params p)
{
    size_t n = 0;
    static const float specials[] = { 0.0f, -0.0f, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX,
                                      FLT_MIN, -FLT_MIN, 1e-40f, -1e-40f, 1.0f, -1.0f, 0.5f };
    for (size_t i = 0; i < SC_ARRAY_LEN(specials); i++) n = add(x, n, specials[i]);
    n = add(x, n, from_bits(0x7FC00000u));   /* NaN */
    n = add(x, n, from_bits(0xFFC00000u));   /* negative NaN */
    n = add(x, n, from_bits(0x7F800001u));   /* signalling NaN */
    for (int k = 0; k <= 256; k++) {
        /* where x·scale + offset = k */
        float centre = (float)(((double)k - p.offset) / p.scale);
        for (int d = -EDGE; d <= EDGE; d++) {
            uint32_t u = bits(centre);
            if (centre == 0.0f) n = add(x, n, d < 0 ? from_bits(0x80000000u | (uint32_t)-d) : from_bits((uint32_t)d));
            else n = add(x, n, from_bits((uint32_t)((int64_t)u + d)));
        }
    }
    float lo = (float)((-40.0 - p.offset) / p.scale), hi = (float)((300.0 - p.offset) / p.scale);
    for (int i = 0; i < 60000; i++) n = add(x, n, rnd_f(lo, hi));
    return n;
}

/* floor(x·scale + offset) in double, clamped; *clear = 0 when within 1e-3 of an integer */
static int meaning(float x, params p, int *clear)
{
    double v = (double)x * p.scale + p.offset;
    *clear = 1;
    if (isnan(v)) return 0;
    double f = floor(v);
    if (v - f < 1e-3 || f + 1.0 - v < 1e-3) *clear = 0;
    if (v <= 0.0) return 0;
    if (v >= 255.0) return 255;
    return (int)f;
}

static void test_reference(const float *x, size_t n, params p, uint8_t *y)
{
    sc_f32_quant_u8__ref(n, x, p.scale, p.offset, y);
    int bad = 0, checked = 0;
    for (size_t i = 0; i < n; i++) {
        int clear, want = meaning(x[i], p, &clear);
        if (!clear) continue;
        checked++;
        if (y[i] != want && bad++ < 5)
            fprintf(stderr, "ref scale %g offset %g: x = %.9g gives %d, want %d\n", p.scale, p.offset, x[i], y[i], want);
    }
    CHECKF(bad == 0, "ref: %d of %d wrong (scale %g offset %g)", bad, checked, p.scale, p.offset);
    CHECK(checked > (int)n / 2);
    /* the specials: NaN 0, infinities at the ends */
    float s[4] = { from_bits(0x7FC00000u), from_bits(0xFFC00000u), INFINITY, -INFINITY };
    uint8_t q[4];
    sc_f32_quant_u8__ref(4, s, p.scale, p.offset, q);
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 255 && q[3] == 0);
}

static void test_variant(const char *isa, sc_f32_quant_u8_fn f, const float *x, size_t n, params p,
                         const uint8_t *want, uint8_t *y)
{
    memset(y, 0xA5, n);
    f(n, x, p.scale, p.offset, y);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (y[i] != want[i] && bad++ < 5)
            fprintf(stderr, "%s scale %g offset %g: x = %.9g (0x%08x) gives %d, ref %d\n", isa, p.scale,
                    p.offset, x[i], bits(x[i]), y[i], want[i]);
    CHECKF(bad == 0, "%s: %zu of %zu differ from the reference (scale %g offset %g)", isa, bad, n, p.scale, p.offset);
}

/* every length 0..130 at every start 0..3: the same bytes as the whole call, nothing past n */
static void test_split(const char *isa, sc_f32_quant_u8_fn f, const float *x, const uint8_t *want, params p)
{
    uint8_t buf[140];
    int bad = 0;
    for (size_t start = 0; start < 4; start++)
        for (size_t len = 0; len <= 130; len++) {
            memset(buf, 0xA5, sizeof(buf));
            f(len, x + start, p.scale, p.offset, buf);
            if (memcmp(buf, want + start, len) != 0) bad++;
            for (size_t j = len; j < sizeof(buf); j++)
                if (buf[j] != 0xA5) { bad++; break; }
        }
    CHECKF(bad == 0, "%s: %d splits differ or write past n", isa, bad);
    f(0, NULL, p.scale, p.offset, NULL);   /* n = 0 touches nothing */
    CHECK(1);
}

static void test_table(void)
{
    sc_kernels k;
    CHECK(sc_kernels_init_isa(&k, "ref") == 0 && k.f32_quant_u8 == sc_f32_quant_u8__ref);
    CHECK(sc_kernels_init_isa(&k, "portable") == 0 && k.f32_quant_u8 == sc_f32_quant_u8__ref);
#if SC_HAVE_AVX2
    if (sc_kernels_init_isa(&k, "avx2") == 0) CHECK(k.f32_quant_u8 == sc_f32_quant_u8__avx2);
#endif
#if SC_HAVE_AVX512
    if (sc_kernels_init_isa(&k, "avx512") == 0) CHECK(k.f32_quant_u8 == sc_f32_quant_u8__avx512);
#endif
#if SC_HAVE_NEON
    if (sc_kernels_init_isa(&k, "neon") == 0) CHECK(k.f32_quant_u8 == sc_f32_quant_u8__neon);
#endif
    sc_kernels_init(&k, 1);
    CHECK(k.f32_quant_u8 == sc_f32_quant_u8__ref);
}

int main(void)
{
    float *x = malloc(CAP * sizeof(float));
    uint8_t *want = malloc(CAP), *y = malloc(CAP);
    SC_ASSERT(x && want && y);
    test_table();
    static const char *const isas[] = { "portable", "avx2", "avx512", "neon" };
    for (size_t c = 0; c < SC_ARRAY_LEN(cases); c++) {
        size_t n = make_inputs(x, cases[c]);
        test_reference(x, n, cases[c], want);
        for (size_t i = 0; i < SC_ARRAY_LEN(isas); i++) {
            sc_kernels k;
            if (sc_kernels_init_isa(&k, isas[i]) != 0) {
                if (c == 0) printf("%-8s not supported by this build or CPU: skipped\n", isas[i]);
                continue;
            }
            test_variant(isas[i], k.f32_quant_u8, x, n, cases[c], want, y);
            test_split(isas[i], k.f32_quant_u8, x, want, cases[c]);
        }
    }
    free(x);
    free(want);
    free(y);
    return sc_test_finish();
}
