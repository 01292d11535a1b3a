/* core/pool.h — a small fork-join worker pool (pthreadpool-style) with a cheap hand-off.
 *
 * sc_pool_parallel(pool, fn, ctx, n) is the parallel version of
 *     for (size_t i = 0; i < n; i++) fn(ctx, i);
 * and sc_pool_parallel_2d(pool, fn, ctx, n_i, n_j) the parallel version of
 *     for (size_t i = 0; i < n_i; i++) for (size_t j = 0; j < n_j; j++) fn(ctx, i, j);
 * The calling thread takes part as worker 0 and the call returns when every index has run
 * (everything the tasks wrote is then visible to the caller). Thread j of T first runs the
 * indices of its own contiguous range [n·j/T, n·(j+1)/T), in order, then helps the others
 * with theirs: which thread runs an index is not fixed, so fn must not depend on it; give
 * each index its own output elements and results are identical for any thread count. Split
 * consecutive jobs the same way (e.g. by output rows) and each thread keeps working on the
 * same part of the data, in its own cache.
 *
 * Latency: a worker that finished a job polls for the next one for a bounded time
 * (sc_pool_set_spin_ns, default SC_POOL_SPIN_NS), then sleeps on a condition variable, so an
 * idle pool costs no CPU between frames while the layers of one inference hand over in well
 * under a microsecond. The caller never waits for a worker to wake up: if the workers are
 * asleep or descheduled, the caller simply runs more of the indices itself; it only waits
 * (spinning, then sleeping) for indices already being run by a worker.
 *
 * A NULL pool, one with 1 thread, or n <= 1 runs the loop in the caller.
 * One caller at a time: sc_pool_parallel is not reentrant (a task must not call it on the
 * same pool), and the pool must not be destroyed during a call. */
#ifndef SC_CORE_POOL_H
#define SC_CORE_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

typedef struct sc_pool sc_pool;
typedef void (*sc_pool_task_fn)(void *ctx, size_t index);
typedef void (*sc_pool_task2d_fn)(void *ctx, size_t i, size_t j);

/* How long a worker (and a waiting caller) polls before it sleeps. */
#define SC_POOL_SPIN_NS 100000

/* n_threads counts the caller: 1 means no extra threads (1..256, else SC_E_INVAL). Threads
 * are named sc-pool-N and block every signal (the main thread takes signals). */
sc_status sc_pool_create(int n_threads, sc_pool **out);
void sc_pool_destroy(sc_pool *pool);        /* NULL is a no-op; joins the workers */
int sc_pool_threads(const sc_pool *pool);   /* 1 for NULL */

/* At most 2^32 - 1 indices (n_i·n_j for the 2-D form). */
void sc_pool_parallel(sc_pool *pool, sc_pool_task_fn fn, void *ctx, size_t n);
void sc_pool_parallel_2d(sc_pool *pool, sc_pool_task2d_fn fn, void *ctx, size_t n_i, size_t n_j);

/* The polling time in ns (0: sleep at once; for tests and tuning). Call between jobs. */
void sc_pool_set_spin_ns(sc_pool *pool, int64_t ns);

/* Counters since create (for tests and `ssdcam bench`); approximate while a job runs. */
typedef struct sc_pool_stats {
    uint64_t jobs;            /* sc_pool_parallel calls handed to the workers */
    uint64_t worker_items;    /* indices run by the workers (the rest ran in the caller) */
    uint64_t worker_sleeps;   /* times a worker went to sleep after polling */
    uint64_t caller_sleeps;   /* times the caller slept waiting for a worker's last index */
    int asleep;               /* workers asleep right now */
} sc_pool_stats;
void sc_pool_get_stats(sc_pool *pool, sc_pool_stats *st);   /* zeros for NULL */

#endif
