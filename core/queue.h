/* core/queue.h — a bounded hand-off between threads that never blocks the producer.
 *
 * push never blocks: when the queue is full the oldest item is removed and handed back to the
 * pusher in *evicted, who owns it (and must release it). pop waits up to timeout_ns on a
 * CLOCK_MONOTONIC condition variable. close wakes every waiter; after close, push hands the
 * item straight back in *evicted and pop drains what is left, then returns SC_E_CLOSED.
 * Every function is thread-safe. The queue never frees items. */
#ifndef SC_CORE_QUEUE_H
#define SC_CORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

typedef struct sc_queue sc_queue;

sc_status sc_queue_create(size_t capacity, sc_queue **out);
void sc_queue_destroy(sc_queue *q);   /* NULL is a no-op; frees no items */

/* Never blocks. *evicted = the removed oldest item (queue was full), the item itself (queue
 * closed), or NULL. */
void sc_queue_push(sc_queue *q, void *item, void **evicted);

/* SC_OK with *item set; SC_E_TIMEOUT after timeout_ns (0 = poll, < 0 = wait forever);
 * SC_E_CLOSED once closed and empty. */
sc_status sc_queue_pop(sc_queue *q, void **item, int64_t timeout_ns);

void sc_queue_close(sc_queue *q);
size_t sc_queue_len(sc_queue *q);
/* Items evicted by push so far (a dropped-frames counter). */
uint64_t sc_queue_evictions(sc_queue *q);

#endif
