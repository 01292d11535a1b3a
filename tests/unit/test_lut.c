/* sc_u8_lut: the reference against its meaning, then every variant this build and CPU run
 * against the reference, byte for byte: random tables (and the identity, a reversal, a constant)
 * over inputs holding every byte value, at every length 0..300 from every start 0..63 (the
 * vector bodies, their tails and unaligned pointers), nothing written past n, in place (y = x),
 * n = 0 touching nothing, and each level's table entry (the AVX-512 one only with VBMI). */
#include <stdint.h>
#include <string.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "sc_config.h"
#include "tests/harness.h"

#define LEN 300
#define STARTS 64
#define SPAN (LEN + STARTS + 64)

static uint32_t rng = 7;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

static void make_table(int kind, uint8_t lut[256])
{
    for (int v = 0; v < 256; v++)
        lut[v] = kind == 0 ? (uint8_t)v : kind == 1 ? (uint8_t)(255 - v) : kind == 2 ? 0x5A : (uint8_t)rnd();
}

static void test_reference(const uint8_t lut[256])
{
    uint8_t x[256], y[256];
    for (int v = 0; v < 256; v++) x[v] = (uint8_t)v;
    sc_u8_lut__ref(256, x, lut, y);
    CHECK(memcmp(y, lut, 256) == 0);
}

static void test_variant(const char *isa, sc_u8_lut_fn f, const uint8_t *x, const uint8_t lut[256])
{
    uint8_t want[SPAN], buf[SPAN + 16], same[SPAN];
    sc_u8_lut__ref(SPAN, x, lut, want);
    int bad = 0, past = 0, inplace = 0;
    for (size_t start = 0; start < STARTS; start++)
        for (size_t len = 0; len <= LEN; len++) {
            memset(buf, 0xA5, sizeof(buf));
            f(len, x + start, lut, buf + (start & 15));
            if (memcmp(buf + (start & 15), want + start, len) != 0) bad++;
            for (size_t j = 0; j < sizeof(buf); j++)
                if ((j < (start & 15) || j >= (start & 15) + len) && buf[j] != 0xA5) { past++; break; }
            memcpy(same, x, SPAN);
            f(len, same + start, lut, same + start);
            if (memcmp(same + start, want + start, len) != 0 || memcmp(same + start + len, x + start + len,
                                                                        SPAN - start - len) != 0)
                inplace++;
        }
    CHECKF(bad == 0, "%s: %d (start, length) calls differ from the reference", isa, bad);
    CHECKF(past == 0, "%s: %d calls wrote outside [0, n)", isa, past);
    CHECKF(inplace == 0, "%s: %d in-place calls differ", isa, inplace);
    f(0, NULL, lut, NULL);   /* n = 0 touches nothing */
    CHECK(1);
}

static void test_table(void)
{
    sc_kernels k;
    CHECK(sc_kernels_init_isa(&k, "ref") == 0 && k.u8_lut == sc_u8_lut__ref);
    CHECK(sc_kernels_init_isa(&k, "portable") == 0 && k.u8_lut == sc_u8_lut__ref);
#if SC_HAVE_AVX2
    if (sc_kernels_init_isa(&k, "avx2") == 0) CHECK(k.u8_lut == sc_u8_lut__ref);
#endif
#if SC_HAVE_AVX512
    if (sc_kernels_init_isa(&k, "avx512") == 0)
        CHECK(k.u8_lut == (__builtin_cpu_supports("avx512vbmi") ? sc_u8_lut__avx512vbmi : sc_u8_lut__ref));
#endif
#if SC_HAVE_NEON
    if (sc_kernels_init_isa(&k, "neon") == 0) CHECK(k.u8_lut == sc_u8_lut__neon);
#endif
    sc_kernels_init(&k, 1);
    CHECK(k.u8_lut == sc_u8_lut__ref);
}

int main(void)
{
    test_table();
    uint8_t x[SPAN], lut[256];
    for (size_t i = 0; i < SPAN; i++) x[i] = (uint8_t)(i < 256 ? 255 - i : rnd());   /* every value */
    static const char *const isas[] = { "portable", "avx2", "avx512", "neon" };
    for (int kind = 0; kind < 8; kind++) {
        make_table(kind, lut);
        test_reference(lut);
        for (size_t i = 0; i < SC_ARRAY_LEN(isas); i++) {
            sc_kernels k;
            if (sc_kernels_init_isa(&k, isas[i]) != 0) {
                if (kind == 0) printf("%-8s not supported by this build or CPU: skipped\n", isas[i]);
                continue;
            }
            test_variant(isas[i], k.u8_lut, x, lut);
        }
    }
#if SC_HAVE_AVX512
    /* the VBMI variant also where the table would not pick it (it is compiled in either way) */
    if (__builtin_cpu_supports("avx512vbmi")) {
        make_table(3, lut);
        test_variant("avx512vbmi", sc_u8_lut__avx512vbmi, x, lut);
    }
#endif
    return sc_test_finish();
}
