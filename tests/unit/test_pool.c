/* The fork-join pool: every index runs exactly once, for any thread count; NULL = serial. */
#include <stdatomic.h>

#include "core/pool.h"
#include "tests/harness.h"

typedef struct { atomic_int *hits; } ctx_t;

static void hit(void *ctx, size_t i)
{
    ctx_t *c = ctx;
    atomic_fetch_add(&c->hits[i], 1);
}

int main(void)
{
    enum { N = 10007 };
    static atomic_int hits[N];
    ctx_t c = { hits };
    for (int threads = 1; threads <= 4; threads++) {
        sc_pool *p = NULL;
        CHECK(sc_pool_create(threads, &p) == SC_OK);
        CHECK_EQ_INT(sc_pool_threads(p), threads);
        for (int round = 0; round < 50; round++) {
            size_t n = (size_t)(round * 197 % N) + (round == 0 ? 0 : 1);
            for (size_t i = 0; i < N; i++) atomic_store(&hits[i], 0);
            sc_pool_parallel(p, hit, &c, n);
            int bad = 0;
            for (size_t i = 0; i < N; i++) bad += atomic_load(&hits[i]) != (i < n ? 1 : 0);
            CHECKF(bad == 0, "threads %d round %d n %zu: %d indices ran a wrong number of times", threads, round, n, bad);
        }
        sc_pool_destroy(p);
    }
    for (size_t i = 0; i < N; i++) atomic_store(&hits[i], 0);
    sc_pool_parallel(NULL, hit, &c, 100);
    int ok = 1;
    for (size_t i = 0; i < 100; i++) ok &= atomic_load(&hits[i]) == 1;
    CHECK(ok);
    CHECK_EQ_INT(sc_pool_threads(NULL), 1);
    sc_pool *p = NULL;
    CHECK(sc_pool_create(0, &p) == SC_E_INVAL && p == NULL);
    sc_pool_destroy(NULL);
    return sc_test_finish();
}
