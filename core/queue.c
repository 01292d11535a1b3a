#include "core/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct sc_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void **items;
    size_t cap, head, len;
    int closed;
    uint64_t evictions;
};

sc_status sc_queue_create(size_t capacity, sc_queue **out)
{
    *out = NULL;
    if (capacity == 0) return SC_E_INVAL;
    sc_queue *q = calloc(1, sizeof(*q));
    if (!q) return SC_E_NOMEM;
    q->items = calloc(capacity, sizeof(void *));
    if (!q->items) { free(q); return SC_E_NOMEM; }
    q->cap = capacity;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = q;
    return SC_OK;
}

void sc_queue_destroy(sc_queue *q)
{
    if (!q) return;
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->items);
    free(q);
}

void sc_queue_push(sc_queue *q, void *item, void **evicted)
{
    void *ev = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->closed) {
        ev = item;
    } else {
        if (q->len == q->cap) {
            ev = q->items[q->head];
            q->head = (q->head + 1) % q->cap;
            q->len--;
            q->evictions++;
        }
        q->items[(q->head + q->len) % q->cap] = item;
        q->len++;
        pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    *evicted = ev;
}

sc_status sc_queue_pop(sc_queue *q, void **item, int64_t timeout_ns)
{
    struct timespec deadline;
    if (timeout_ns > 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        int64_t ns = deadline.tv_nsec + timeout_ns % 1000000000LL;
        deadline.tv_sec += (time_t)(timeout_ns / 1000000000LL + ns / 1000000000LL);
        deadline.tv_nsec = (long)(ns % 1000000000LL);
    }
    sc_status st = SC_OK;
    pthread_mutex_lock(&q->mu);
    while (q->len == 0 && !q->closed) {
        if (timeout_ns == 0) { st = SC_E_TIMEOUT; break; }
        if (timeout_ns < 0) pthread_cond_wait(&q->cv, &q->mu);
        else if (pthread_cond_timedwait(&q->cv, &q->mu, &deadline) == ETIMEDOUT) {
            if (q->len == 0 && !q->closed) st = SC_E_TIMEOUT;
            break;
        }
    }
    if (st == SC_OK) {
        if (q->len > 0) {
            *item = q->items[q->head];
            q->head = (q->head + 1) % q->cap;
            q->len--;
        } else {
            st = SC_E_CLOSED;
        }
    }
    pthread_mutex_unlock(&q->mu);
    if (st != SC_OK) *item = NULL;
    return st;
}

void sc_queue_close(sc_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

size_t sc_queue_len(sc_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

uint64_t sc_queue_evictions(sc_queue *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t n = q->evictions;
    pthread_mutex_unlock(&q->mu);
    return n;
}
