#include "core/frame.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct sc_frame_pool {
    pthread_mutex_t mu;
    int n;
    sc_frame *frames;
    sc_frame **free_list;      /* stack of free frames (mu) */
    int n_free;
    size_t frame_bytes;
};

const char *sc_pixfmt_name(sc_pixfmt fmt)
{
    switch (fmt) {
    case SC_PIXFMT_RGB24: return "rgb24";
    case SC_PIXFMT_YUYV: return "yuyv";
    case SC_PIXFMT_MJPEG: return "mjpeg";
    case SC_PIXFMT_GREY: return "grey";
    }
    return "unknown";
}

sc_status sc_frame_pool_create(int n_frames, size_t frame_bytes, sc_frame_pool **out)
{
    *out = NULL;
    if (n_frames < 1 || n_frames > 1024 || frame_bytes == 0) return SC_E_INVAL;
    sc_frame_pool *p = calloc(1, sizeof(*p));
    if (!p) return SC_E_NOMEM;
    pthread_mutex_init(&p->mu, NULL);
    p->frames = calloc((size_t)n_frames, sizeof(sc_frame));
    p->free_list = calloc((size_t)n_frames, sizeof(sc_frame *));
    p->frame_bytes = frame_bytes;
    if (!p->frames || !p->free_list) goto fail;
    for (int i = 0; i < n_frames; i++) {
        sc_frame *f = &p->frames[i];
        size_t bytes;
        if (!sc_add_size(frame_bytes, SC_OVERREAD, &bytes) || !(f->data = sc_aligned_alloc(bytes))) goto fail;
        p->n++;
        f->capacity = frame_bytes;
        f->pool = p;
        atomic_init(&f->refs, 0);
        p->free_list[p->n_free++] = f;
    }
    *out = p;
    return SC_OK;
fail:
    p->n_free = p->n;   /* nothing was handed out */
    sc_frame_pool_destroy(p);
    return SC_E_NOMEM;
}

void sc_frame_pool_destroy(sc_frame_pool *p)
{
    if (!p) return;
    SC_ASSERT(p->n_free == p->n);   /* every frame came back */
    for (int i = 0; i < p->n; i++) sc_aligned_free(p->frames[i].data);
    pthread_mutex_destroy(&p->mu);
    free(p->free_list);
    free(p->frames);
    free(p);
}

sc_frame *sc_frame_pool_acquire(sc_frame_pool *p)
{
    sc_frame *f = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->n_free > 0) f = p->free_list[--p->n_free];
    pthread_mutex_unlock(&p->mu);
    if (f) atomic_store(&f->refs, 1);
    return f;
}

int sc_frame_pool_free_count(sc_frame_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->n_free;
    pthread_mutex_unlock(&p->mu);
    return n;
}

size_t sc_frame_pool_frame_bytes(const sc_frame_pool *p) { return p->frame_bytes; }

void sc_frame_ref(sc_frame *f)
{
    int old = atomic_fetch_add(&f->refs, 1);
    SC_ASSERT(old > 0);
}

void sc_frame_unref(sc_frame *f)
{
    if (!f) return;
    int old = atomic_fetch_sub(&f->refs, 1);
    SC_ASSERT(old > 0);
    if (old == 1) {
        sc_frame_pool *p = f->pool;
        pthread_mutex_lock(&p->mu);
        p->free_list[p->n_free++] = f;
        pthread_mutex_unlock(&p->mu);
    }
}
