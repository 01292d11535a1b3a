/* The fork-join pool: every index runs exactly once for any thread count (1-D and 2-D, and
 * past the 2^24 indices of one job); results identical for 1..4 threads; no index of a job
 * ever runs with a later job's context; no lost wake-up over 10^5 short jobs with the
 * sleeping path forced (spin 0) and with the default spin; idle workers go to sleep; NULL
 * pool = serial. Also run under -Db_sanitize=thread. A watchdog turns a hang (a lost
 * wake-up) into a failure with a message instead of a timeout. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/pool.h"
#include "tests/harness.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

typedef struct { atomic_int *hits; } ctx_t;

static void hit(void *ctx, size_t i)
{
    ctx_t *c = ctx;
    atomic_fetch_add(&c->hits[i], 1);
}

static void test_each_index_once(void)
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
}

/* 2-D: (i, j) each once, i < n_i, j < n_j. */
typedef struct { atomic_int *hits; size_t n_j; } ctx2_t;

static void hit2(void *ctx, size_t i, size_t j)
{
    ctx2_t *c = ctx;
    if (j < c->n_j) atomic_fetch_add(&c->hits[i * c->n_j + j], 1);
}

static void test_2d(void)
{
    static atomic_int hits[37 * 29];
    sc_pool *p = NULL;
    CHECK(sc_pool_create(3, &p) == SC_OK);
    const size_t dims[][2] = { { 37, 29 }, { 1, 29 }, { 37, 1 }, { 0, 5 }, { 5, 0 }, { 2, 2 } };
    for (size_t d = 0; d < SC_ARRAY_LEN(dims); d++) {
        for (size_t i = 0; i < SC_ARRAY_LEN(hits); i++) atomic_store(&hits[i], 0);
        ctx2_t c = { hits, dims[d][1] };
        sc_pool_parallel_2d(p, hit2, &c, dims[d][0], dims[d][1]);
        int bad = 0;
        for (size_t i = 0; i < SC_ARRAY_LEN(hits); i++)
            bad += atomic_load(&hits[i]) != (i < dims[d][0] * dims[d][1] ? 1 : 0);
        CHECKF(bad == 0, "2-D %zux%zu: %d cells ran a wrong number of times", dims[d][0], dims[d][1], bad);
    }
    sc_pool_destroy(p);
}

/* Each index writes only its own element, from work that takes some time: the output must be
 * the same bytes for any thread count. */
typedef struct { uint32_t *out; } det_t;

static void det_task(void *ctx, size_t i)
{
    det_t *d = ctx;
    uint32_t h = (uint32_t)i * 2654435761u;
    for (int k = 0; k < 200; k++) h = h * 1664525u + 1013904223u + (h >> 13);
    d->out[i] = h;
}

static void test_identical(void)
{
    enum { N = 4099 };
    static uint32_t ref[N], got[N];
    det_t d = { ref };
    sc_pool_parallel(NULL, det_task, &d, N);
    for (int threads = 2; threads <= 4; threads++) {
        sc_pool *p = NULL;
        CHECK(sc_pool_create(threads, &p) == SC_OK);
        memset(got, 0, sizeof(got));
        d.out = got;
        sc_pool_parallel(p, det_task, &d, N);
        CHECKF(memcmp(ref, got, sizeof(ref)) == 0, "%d threads: output differs from the serial loop", threads);
        sc_pool_destroy(p);
    }
}

/* Many short jobs, each with its own context: an index must run once, inside its own job
 * (a worker waking late must not run an index of a finished job, or of a later job with an
 * old context), and the caller must always be woken. Items spin a little so that workers
 * (not only the caller) take part and the caller has to wait for them. */
static atomic_long g_current_job;
static atomic_int g_wrong_job;

typedef struct job_ctx {
    long job;
    atomic_int hits[8];
} job_ctx;

static void job_task(void *ctx, size_t i)
{
    job_ctx *c = ctx;
    if (atomic_load(&g_current_job) != c->job) atomic_fetch_add(&g_wrong_job, 1);
    int64_t until = sc_now_ns() + 300;
    while (sc_now_ns() < until) { }
    atomic_fetch_add(&c->hits[i], 1);
}

static void run_jobs(int threads, int64_t spin_ns, long n_jobs, const char *what)
{
    sc_pool *p = NULL;
    CHECK(sc_pool_create(threads, &p) == SC_OK);
    if (!p) return;
    if (spin_ns >= 0) sc_pool_set_spin_ns(p, spin_ns);
    static job_ctx ctx[2];
    long bad = 0;
    for (long j = 0; j < n_jobs; j++) {
        job_ctx *c = &ctx[j & 1];
        size_t n = 2 + (size_t)(j % 7);
        c->job = j;
        for (int i = 0; i < 8; i++) atomic_store(&c->hits[i], 0);
        atomic_store(&g_current_job, j);
        sc_pool_parallel(p, job_task, c, n);
        for (size_t i = 0; i < 8; i++) bad += atomic_load(&c->hits[i]) != (i < n ? 1 : 0);
    }
    /* a straggler would show up in the previous context after its check */
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < 8; i++) {
            long jn = ctx[k].job;
            size_t n = 2 + (size_t)(jn % 7);
            bad += atomic_load(&ctx[k].hits[i]) != (i < n ? 1 : 0);
        }
    sc_pool_stats st;
    sc_pool_get_stats(p, &st);
    CHECKF(bad == 0, "%s: %ld indices ran a wrong number of times", what, bad);
    CHECKF(atomic_load(&g_wrong_job) == 0, "%s: %d indices ran inside another job", what, atomic_load(&g_wrong_job));
    CHECKF(st.jobs == (uint64_t)n_jobs, "%s: %llu jobs handed out, expected %ld", what, (unsigned long long)st.jobs, n_jobs);
    /* the workers did take part (else this would not test the hand-off) */
    CHECKF(st.worker_items > 0, "%s: the workers ran no index", what);
    printf("%s: %ld jobs, %llu of their indices ran in workers, %llu worker sleeps, %llu caller sleeps\n", what,
           n_jobs, (unsigned long long)st.worker_items, (unsigned long long)st.worker_sleeps,
           (unsigned long long)st.caller_sleeps);
    sc_pool_destroy(p);
}

/* Workers must not spin between frames: after an idle pause every worker is asleep. */
static void test_idle_sleep(void)
{
    sc_pool *p = NULL;
    CHECK(sc_pool_create(3, &p) == SC_OK);
    ctx_t c;
    static atomic_int hits[64];
    c.hits = hits;
    sc_pool_parallel(p, hit, &c, 64);
    sc_pool_stats st;
    int64_t deadline = sc_now_ns() + 3000000000LL;   /* generous: the machine may be busy */
    do {
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
        sc_pool_get_stats(p, &st);
    } while (st.asleep != 2 && sc_now_ns() < deadline);
    CHECKF(st.asleep == 2, "%d of 2 workers asleep after an idle pause", st.asleep);
    /* and they wake up for the next job */
    for (int i = 0; i < 64; i++) atomic_store(&hits[i], 0);
    sc_pool_parallel(p, hit, &c, 64);
    int ok = 1;
    for (int i = 0; i < 64; i++) ok &= atomic_load(&hits[i]) == 1;
    CHECK(ok);
    sc_pool_destroy(p);
}

/* More indices than one job holds (2^24 - 1): split into several jobs, each index once. */
typedef struct { atomic_uchar *seen; } big_t;

static void big_task(void *ctx, size_t i)
{
    big_t *b = ctx;
    atomic_fetch_add_explicit(&b->seen[i], 1, memory_order_relaxed);
}

static void test_big(void)
{
    const size_t n = ((size_t)1 << 24) + 5;
    big_t b = { calloc(n, sizeof(atomic_uchar)) };
    CHECK(b.seen != NULL);
    if (!b.seen) return;
    sc_pool *p = NULL;
    CHECK(sc_pool_create(2, &p) == SC_OK);
    sc_pool_parallel(p, big_task, &b, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += atomic_load_explicit(&b.seen[i], memory_order_relaxed) != 1;
    CHECKF(bad == 0, "%zu of %zu indices ran a wrong number of times", bad, n);
    sc_pool_destroy(p);
    free(b.seen);
}

static atomic_int g_done;

static void *watchdog(void *arg)
{
    (void)arg;
    for (int s = 0; s < 600 && !atomic_load(&g_done); s++) {
        struct timespec ts = { 0, 200000000 };
        nanosleep(&ts, NULL);
    }
    if (!atomic_load(&g_done)) {
        fprintf(stderr, "FAIL: test_pool hung for 120 s (a lost wake-up?)\n");
        fflush(stderr);
        _exit(1);
    }
    return NULL;
}

int main(void)
{
    pthread_t wd;
    pthread_create(&wd, NULL, watchdog, NULL);
    test_each_index_once();
    test_2d();
    test_identical();
    run_jobs(2, 0, 100000, "2 threads, no spin (sleep at once)");
    run_jobs(3, 0, UNDER_TSAN ? 20000 : 100000, "3 threads, no spin");
    run_jobs(2, -1, 100000, "2 threads, default spin");
    test_idle_sleep();
    if (!UNDER_TSAN) test_big();   /* 16 M atomic increments: minutes under TSan */
    CHECK_EQ_INT(sc_pool_threads(NULL), 1);
    sc_pool *p = NULL;
    CHECK(sc_pool_create(0, &p) == SC_E_INVAL && p == NULL);
    CHECK(sc_pool_create(257, &p) == SC_E_INVAL && p == NULL);
    sc_pool_destroy(NULL);
    sc_pool_stats st;
    sc_pool_get_stats(NULL, &st);
    CHECK(st.jobs == 0 && st.asleep == 0);
    atomic_store(&g_done, 1);
    pthread_join(wd, NULL);
    return sc_test_finish();
}
