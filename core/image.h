/* core/image.h — 8-bit interleaved images and a Pillow-compatible resampler.
 *
 * sc_resizer reproduces Pillow's Image.resize(..., BILINEAR) bit for bit on 8-bit RGB:
 * a separable convolution with the triangle filter whose support widens by the scale factor
 * when shrinking (so it averages over the source area), fixed-point coefficients with
 * Pillow's precision and rounding, horizontal pass first, then vertical. The coefficient
 * tables and the intermediate buffer are allocated once by create; run allocates nothing.
 * The passes are vectorised (AVX2, NEON) in integer arithmetic with the same taps, so every
 * level gives the same bytes. */
#ifndef SC_CORE_IMAGE_H
#define SC_CORE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/pool.h"

typedef struct sc_image {
    uint8_t *data;          /* row-major, interleaved channels; owned by whoever allocated it */
    int width, height;
    int channels;           /* 3 = RGB, 1 = grey, 4 = RGBA */
    size_t stride_bytes;    /* bytes from one row to the next (>= width*channels) */
} sc_image;

/* Allocates a 64-byte aligned image (stride = width*channels) padded by SC_OVERREAD.
 * Dimensions go through checked multiplication. sc_image_fini frees and zeroes it. */
sc_status sc_image_init(sc_image *img, int width, int height, int channels);
void sc_image_fini(sc_image *img);

typedef struct sc_resizer sc_resizer;

/* A resizer from src_w×src_h to dst_w×dst_h, for `channels` interleaved 8-bit channels. */
sc_status sc_resizer_create(int src_w, int src_h, int dst_w, int dst_h, int channels,
                            sc_resizer **out);
void sc_resizer_destroy(sc_resizer *r);   /* NULL is a no-op */
/* src and dst must have the sizes and channel count given to create. Thread-compatible:
 * one resizer per thread (it owns an intermediate buffer). Reads only the src pixels (no
 * over-read past a row's width·channels bytes) and writes only the dst pixels. */
void sc_resizer_run(sc_resizer *r, const sc_image *src, sc_image *dst);
/* The same, with each pass split over `pool` by rows (horizontal: intermediate rows, then
 * vertical: output rows; one writer per byte), so the result is identical for any thread
 * count. NULL pool: serial. The pool must not be running another job. */
void sc_resizer_run_pool(sc_resizer *r, const sc_image *src, sc_image *dst, sc_pool *pool);

/* The implementation: "ref" (the scalar passes of core/image.c, the reference), "avx2" or "neon"
 * (core/kernels/resize.h; byte-exact with "ref"). create picks the best this build and CPU
 * run, or "ref" when the environment variable SC_KERNELS is "ref" or "portable". */
const char *sc_resizer_isa(const sc_resizer *r);
/* Switches the implementation (tests, benchmarks); SC_E_UNSUPPORTED when this build or CPU
 * lacks it. Not during a run. */
sc_status sc_resizer_set_isa(sc_resizer *r, const char *isa);

#endif
