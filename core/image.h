/* core/image.h — 8-bit interleaved images and a Pillow-compatible resampler.
 *
 * sc_resizer reproduces Pillow's Image.resize(..., BILINEAR) bit for bit on 8-bit RGB:
 * a separable convolution with the triangle filter whose support widens by the scale factor
 * when shrinking (so it averages over the source area), fixed-point coefficients with
 * Pillow's precision and rounding, horizontal pass first, then vertical. The coefficient
 * tables and the intermediate buffer are allocated once by create; run allocates nothing. */
#ifndef SC_CORE_IMAGE_H
#define SC_CORE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

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
 * one resizer per thread (it owns an intermediate buffer). */
void sc_resizer_run(sc_resizer *r, const sc_image *src, sc_image *dst);

#endif
