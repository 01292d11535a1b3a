/* DESIGN: one mutex guards the job description and a generation counter. sc_pool_parallel
 * publishes a job by bumping the generation and broadcasting; each worker runs each
 * generation exactly once, taking indices from an atomic counter, and the last worker to
 * finish signals the caller. The caller cannot publish the next job before every worker has
 * finished the current one, so no worker can miss or repeat a generation. Workers poll the
 * generation for a short while before sleeping, which saves a futex wake-up between the
 * layers of one inference but costs nothing between frames. */
#define _GNU_SOURCE
#include "core/pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

#define SPIN_ITERS 20000

struct sc_pool {
    int n_threads;               /* including the caller */
    pthread_t *threads;
    int n_started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    atomic_uint_fast64_t gen;
    int busy;                    /* workers still inside the current generation (mu) */
    int stop;                    /* (mu) */
    sc_pool_task_fn fn;          /* (mu) current job */
    void *ctx;
    size_t n_items;
    atomic_size_t next;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void run_items(sc_pool *p, sc_pool_task_fn fn, void *ctx, size_t n)
{
    size_t i;
    while ((i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed)) < n) fn(ctx, i);
}

static void *worker_main(void *arg)
{
    sc_pool *p = arg;
    uint_fast64_t seen = 0;
    for (;;) {
        for (int i = 0; i < SPIN_ITERS; i++) {
            if (atomic_load_explicit(&p->gen, memory_order_acquire) != seen) break;
            cpu_relax();
        }
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->gen) == seen && !p->stop) pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->stop) { pthread_mutex_unlock(&p->mu); break; }
        seen = atomic_load(&p->gen);
        sc_pool_task_fn fn = p->fn;
        void *ctx = p->ctx;
        size_t n = p->n_items;
        pthread_mutex_unlock(&p->mu);

        run_items(p, fn, ctx, n);

        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

sc_status sc_pool_create(int n_threads, sc_pool **out)
{
    *out = NULL;
    if (n_threads < 1 || n_threads > 256) {
        sc_log_error("pool: %d threads requested (1..256)", n_threads);
        return SC_E_INVAL;
    }
    sc_pool *p = calloc(1, sizeof(*p));
    if (!p) return SC_E_NOMEM;
    p->n_threads = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->next, 0);
    if (n_threads > 1) {
        p->threads = calloc((size_t)n_threads - 1, sizeof(pthread_t));
        if (!p->threads) { sc_pool_destroy(p); return SC_E_NOMEM; }
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);   /* workers inherit a full mask */
        for (int i = 0; i < n_threads - 1; i++) {
            int e = pthread_create(&p->threads[i], NULL, worker_main, p);
            if (e) {
                pthread_sigmask(SIG_SETMASK, &old, NULL);
                sc_log_errno(e, "pool: starting worker %d", i + 1);
                sc_pool_destroy(p);
                return SC_E_NOMEM;
            }
            p->n_started++;
            char name[16];
            snprintf(name, sizeof(name), "sc-pool-%u", (unsigned)(i + 1) % 1000u);
            pthread_setname_np(p->threads[i], name);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    *out = p;
    return SC_OK;
}

void sc_pool_destroy(sc_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_started; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}

int sc_pool_threads(const sc_pool *p) { return p ? p->n_threads : 1; }

void sc_pool_parallel(sc_pool *p, sc_pool_task_fn fn, void *ctx, size_t n)
{
    if (!p || p->n_threads == 1 || n <= 1) {
        for (size_t i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_items = n;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->busy = p->n_started;
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);

    run_items(p, fn, ctx, n);

    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
