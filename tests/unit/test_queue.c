/* core/queue and core/frame: drop-oldest order, evicted-item ownership, close wakes waiters,
 * timed pop, and a producer/consumer run where every frame is accounted for. */
#include <pthread.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/frame.h"
#include "core/queue.h"
#include "tests/harness.h"

static void test_order_and_eviction(void)
{
    sc_queue *q = NULL;
    CHECK(sc_queue_create(2, &q) == SC_OK);
    int a = 1, b = 2, c = 3;
    void *ev = &a, *it = NULL;
    sc_queue_push(q, &a, &ev);
    CHECK(ev == NULL);
    sc_queue_push(q, &b, &ev);
    CHECK(ev == NULL);
    sc_queue_push(q, &c, &ev);
    CHECK(ev == &a);                       /* the oldest goes back to the pusher */
    CHECK_EQ_INT(sc_queue_evictions(q), 1);
    CHECK_EQ_INT(sc_queue_len(q), 2);
    CHECK(sc_queue_pop(q, &it, 0) == SC_OK && it == &b);
    CHECK(sc_queue_pop(q, &it, 0) == SC_OK && it == &c);
    CHECK(sc_queue_pop(q, &it, 0) == SC_E_TIMEOUT && it == NULL);
    int64_t t0 = sc_now_ns();
    CHECK(sc_queue_pop(q, &it, 30000000) == SC_E_TIMEOUT);
    CHECK(sc_now_ns() - t0 >= 29000000);   /* it did wait */
    sc_queue_push(q, &a, &ev);
    sc_queue_close(q);
    sc_queue_push(q, &b, &ev);
    CHECK(ev == &b);                       /* after close the item comes straight back */
    CHECK(sc_queue_pop(q, &it, -1) == SC_OK && it == &a);   /* drains what is left */
    CHECK(sc_queue_pop(q, &it, -1) == SC_E_CLOSED);
    sc_queue_destroy(q);
    CHECK(sc_queue_create(0, &q) == SC_E_INVAL);
}

typedef struct { sc_queue *q; sc_status st; } waiter_t;
static void *waiter(void *arg)
{
    waiter_t *w = arg;
    void *it;
    w->st = sc_queue_pop(w->q, &it, -1);
    return NULL;
}

static void test_close_wakes(void)
{
    sc_queue *q = NULL;
    CHECK(sc_queue_create(1, &q) == SC_OK);
    waiter_t w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) { w[i].q = q; w[i].st = SC_OK; pthread_create(&th[i], NULL, waiter, &w[i]); }
    struct timespec ts = { 0, 20000000 };
    nanosleep(&ts, NULL);
    sc_queue_close(q);
    for (int i = 0; i < 3; i++) { pthread_join(th[i], NULL); CHECK(w[i].st == SC_E_CLOSED); }
    sc_queue_destroy(q);
}

/* A capture-like producer pushing pool frames into a capacity-1 queue; a slow consumer. */
typedef struct { sc_frame_pool *pool; sc_queue *q; int produced, dropped_no_frame, evicted; } prod_t;
static void *producer(void *arg)
{
    prod_t *p = arg;
    for (int i = 0; i < 20000; i++) {
        sc_frame *f = sc_frame_pool_acquire(p->pool);
        if (!f) { p->dropped_no_frame++; continue; }
        f->id = (uint64_t)i;
        p->produced++;
        void *ev;
        sc_queue_push(p->q, f, &ev);
        if (ev) { p->evicted++; sc_frame_unref(ev); }
    }
    sc_queue_close(p->q);
    return NULL;
}

static void test_frames_accounted(void)
{
    sc_frame_pool *pool = NULL;
    CHECK(sc_frame_pool_create(3, 1000, &pool) == SC_OK);
    CHECK_EQ_INT(sc_frame_pool_free_count(pool), 3);
    sc_queue *q = NULL;
    CHECK(sc_queue_create(1, &q) == SC_OK);
    prod_t p = { pool, q, 0, 0, 0 };
    pthread_t th;
    pthread_create(&th, NULL, producer, &p);
    int consumed = 0, order_ok = 1;
    uint64_t last = 0;
    void *it;
    while (sc_queue_pop(q, &it, -1) == SC_OK) {
        sc_frame *f = it;
        if (consumed && f->id <= last) order_ok = 0;
        last = f->id;
        consumed++;
        sc_frame_unref(f);
    }
    pthread_join(th, NULL);
    CHECK(order_ok);                                  /* ids only increase */
    CHECK_EQ_INT(consumed + p.evicted, p.produced);   /* every frame accounted for */
    CHECK_EQ_INT(p.produced + p.dropped_no_frame, 20000);
    CHECK_EQ_INT(sc_frame_pool_free_count(pool), 3);  /* all returned */
    sc_queue_destroy(q);
    sc_frame_pool_destroy(pool);
}

int main(void)
{
    test_order_and_eviction();
    test_close_wakes();
    test_frames_accounted();
    sc_frame_pool *p = NULL;
    CHECK(sc_frame_pool_create(2, 64, &p) == SC_OK);
    sc_frame *a = sc_frame_pool_acquire(p), *b = sc_frame_pool_acquire(p);
    CHECK(a && b && sc_frame_pool_acquire(p) == NULL);
    sc_frame_ref(a);
    sc_frame_unref(a);
    CHECK_EQ_INT(sc_frame_pool_free_count(p), 0);
    sc_frame_unref(a);
    sc_frame_unref(b);
    sc_frame_unref(NULL);
    CHECK_EQ_INT(sc_frame_pool_free_count(p), 2);
    sc_frame_pool_destroy(p);
    return sc_test_finish();
}
