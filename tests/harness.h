/* tests/harness.h — a tiny test harness: CHECK macros that count, and a closing
 * "N passed, N failed" line. Each test program is one executable; main() ends with
 * `return sc_test_finish();`. Exit status is non-zero when anything failed. */
#ifndef SC_TESTS_HARNESS_H
#define SC_TESTS_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sc_test_passed, sc_test_failed;

#define CHECK(cond) do { \
    if (cond) sc_test_passed++; \
    else { sc_test_failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECKF(cond, ...) do { \
    if (cond) sc_test_passed++; \
    else { sc_test_failed++; fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
           fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define CHECK_NEAR(a, b, tol) do { \
    double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol); \
    if (fabs(a_ - b_) <= t_) sc_test_passed++; \
    else { sc_test_failed++; fprintf(stderr, "FAIL %s:%d: %s = %.9g, %s = %.9g (tol %g)\n", \
           __FILE__, __LINE__, #a, a_, #b, b_, t_); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
    long long a_ = (long long)(a), b_ = (long long)(b); \
    if (a_ == b_) sc_test_passed++; \
    else { sc_test_failed++; fprintf(stderr, "FAIL %s:%d: %s = %lld, expected %s = %lld\n", \
           __FILE__, __LINE__, #a, a_, #b, b_); } \
} while (0)

static inline int sc_test_finish(void)
{
    printf("%d passed, %d failed\n", sc_test_passed, sc_test_failed);
    return sc_test_failed ? 1 : 0;
}

/* The whole file at path, malloc'd with a NUL after its *len bytes (free it); NULL (and
 * *len = 0) when it cannot be opened or memory runs out. Reads until EOF, so a file that is
 * still growing (a log being written) or a pipe works too. */
static inline unsigned char *sc_test_read_file(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap + 1);
    while (b) {
        if (n == cap) {
            unsigned char *nb = realloc(b, (cap *= 2) + 1);
            if (!nb) { free(b); b = NULL; break; }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    fclose(f);
    if (!b) return NULL;
    b[n] = 0;
    *len = n;
    return b;
}

/* Directory of ../shared (set by meson as SC_SHARED_DIR env var), with a fallback. */
static inline const char *sc_test_shared_dir(void)
{
    const char *d = getenv("SC_SHARED_DIR");
    return d && *d ? d : "../shared";
}

#endif
