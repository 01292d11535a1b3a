/* core/pool.h — a small fork-join worker pool (pthreadpool-style).
 *
 * sc_pool_parallel(pool, fn, ctx, n) is the parallel version of
 *     for (size_t i = 0; i < n; i++) fn(ctx, i);
 * The calling thread takes part as worker 0 and the call returns when every index has run.
 * Indices are handed out dynamically, so fn must not depend on which thread runs it. Workers
 * spin briefly after a job, then sleep on a condition variable: an idle pool costs no CPU.
 * A NULL pool, or one with 1 thread, runs the loop in the caller.
 * One caller at a time: sc_pool_parallel is not reentrant. */
#ifndef SC_CORE_POOL_H
#define SC_CORE_POOL_H

#include <stddef.h>

#include "core/base.h"

typedef struct sc_pool sc_pool;
typedef void (*sc_pool_task_fn)(void *ctx, size_t index);

/* n_threads counts the caller: 1 means no extra threads. Threads are named sc-pool-N and
 * block every signal (the main thread takes signals). */
sc_status sc_pool_create(int n_threads, sc_pool **out);
void sc_pool_destroy(sc_pool *pool);        /* NULL is a no-op; joins the workers */
int sc_pool_threads(const sc_pool *pool);   /* 1 for NULL */
void sc_pool_parallel(sc_pool *pool, sc_pool_task_fn fn, void *ctx, size_t n);

#endif
