/* core/frame.h — camera frames, pooled and reference-counted.
 *
 * All frames are allocated when the pool is created (no allocation per frame). A frame
 * acquired from the pool has refs = 1; each holder that keeps it takes a reference
 * (sc_frame_ref) and drops it with sc_frame_unref; the last unref returns it to the pool.
 * Destroying the pool asserts that every frame came back. All functions are thread-safe. */
#ifndef SC_CORE_FRAME_H
#define SC_CORE_FRAME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

typedef enum sc_pixfmt {
    SC_PIXFMT_RGB24 = 0,   /* packed R, G, B */
    SC_PIXFMT_YUYV = 1,    /* packed 4:2:2 Y0 U Y1 V */
    SC_PIXFMT_MJPEG = 2,   /* one JPEG image; bytes_used is its length */
    SC_PIXFMT_GREY = 3
} sc_pixfmt;

/* "rgb24", "yuyv", "mjpeg", "grey". */
const char *sc_pixfmt_name(sc_pixfmt fmt);

typedef struct sc_frame_pool sc_frame_pool;

typedef struct sc_frame {
    uint8_t *data;             /* 64-byte aligned, capacity bytes (+ SC_OVERREAD), owned by the pool */
    size_t capacity;
    size_t bytes_used;         /* valid bytes (a JPEG's length for MJPEG) */
    size_t stride_bytes;       /* for raw formats */
    int width, height;
    sc_pixfmt fmt;
    uint64_t id;               /* the source's frame counter: increases by 1 per captured frame */
    uint64_t sequence;         /* the driver's sequence number (gaps = frames the driver dropped) */
    int64_t t_capture_ns;      /* CLOCK_MONOTONIC when the frame was captured (driver time if known) */
    atomic_int refs;           /* private */
    sc_frame_pool *pool;       /* private */
} sc_frame;

/* n_frames frames of frame_bytes each. */
sc_status sc_frame_pool_create(int n_frames, size_t frame_bytes, sc_frame_pool **out);
/* NULL is a no-op. Asserts every frame was returned (a leaked reference is a programmer error). */
void sc_frame_pool_destroy(sc_frame_pool *p);
/* A free frame with refs = 1 (fields other than data/capacity left as the last user set
 * them), or NULL when every frame is out. Never blocks. */
sc_frame *sc_frame_pool_acquire(sc_frame_pool *p);
int sc_frame_pool_free_count(sc_frame_pool *p);
size_t sc_frame_pool_frame_bytes(const sc_frame_pool *p);

void sc_frame_ref(sc_frame *f);
void sc_frame_unref(sc_frame *f);   /* NULL is a no-op */

#endif
