/* core/yuyv.h — packed YUYV 4:2:2 (V4L2_PIX_FMT_YUYV, "YUY2") to 8-bit RGB, and the same fused
 * with the Pillow-exact resize to the network input.
 *
 * Layout: each 4 bytes Y0 U Y1 V carry two pixels that share one chroma pair, so a row of
 * width w (even; an odd width reads the last pair's Y1 as padding) takes 2·w bytes.
 *
 * Colour: webcams send BT.601 "limited" (studio) range, Y in 16..235 and U/V in 16..240 —
 * that is what UVC and vivid's default produce, and what V4L2 means by V4L2_COLORSPACE_SMPTE170M
 * / SRGB with V4L2_QUANTIZATION_DEFAULT for YUYV. Full range (JFIF, Y and U/V in 0..255) is
 * also offered. The conversion is defined in 16.16 fixed point (the reference kernel
 * sc_u8_yuyv2rgb__ref in core/kernels/ref/yuyv_ref.c is the specification):
 *   limited: c = Y-16, d = U-128, e = V-128
 *            R = (76309·c + 104597·e + 2^15) >> 16
 *            G = (76309·c −  25675·d −  53279·e + 2^15) >> 16
 *            B = (76309·c + 132201·d + 2^15) >> 16
 *   full:    c = Y,    R = c + 1.402·e, G = c − 0.344136·d − 0.714136·e, B = c + 1.772·d,
 *            the same way with 65536, 91881, 22553, 46802, 116130
 * each clamped to 0..255 (">>" rounds towards −∞). Chroma is not interpolated: both pixels of
 * a pair use its U and V (as libv4lconvert does). Every result is the level nearest to the
 * exact real-valued BT.601 formula, except within 0.002 of a half-way point (max error 0.502).
 *
 * Thread-safety: the functions are pure over caller memory; one sc_yuyv_resizer per thread. */
#ifndef SC_CORE_YUYV_H
#define SC_CORE_YUYV_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/image.h"

typedef enum sc_yuv_range {
    SC_YUV_LIMITED = 0,   /* BT.601 studio range (webcams): the default */
    SC_YUV_FULL = 1       /* BT.601 full range (JFIF) */
} sc_yuv_range;

typedef struct sc_yuyv_params {
    sc_yuv_range range;
} sc_yuyv_params;

/* Reference kernel (the specification): converts rows [y0, y1) of a YUYV image of `width`
 * pixels a row into RGB24. src_stride, dst_stride in bytes. Reads 2·width bytes (rounded up
 * to whole pairs) per row and writes 3·width. */
void sc_u8_yuyv2rgb__ref(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride,
                         int width, int y0, int y1, const sc_yuyv_params *params);

/* Whole image: `dst` is a 3-channel image of width×height (e.g. from sc_image_init). */
void sc_yuyv_to_rgb(const uint8_t *src, size_t src_stride, int width, int height,
                    sc_yuv_range range, sc_image *dst);

/* YUYV of src_w×src_h → RGB → Pillow-exact BILINEAR resize to dst_w×dst_h (the network input),
 * byte for byte what sc_yuyv_to_rgb + sc_resizer give, in one pass over the source rows with no
 * RGB frame and no allocation per frame: each band of 8 rows is converted into a small buffer
 * and shrunk horizontally at once; the vertical pass then runs over the dst_w-wide rows
 * (scratch: 8 RGB rows + dst_w × src_h × 3 bytes, 0.67 MB at 1280×720 → 300×300, against
 * 2.8 MB of RGB). As fast as convert-then-resize on x86 (ssdcam bench --only capture). */
typedef struct sc_yuyv_resizer sc_yuyv_resizer;

sc_status sc_yuyv_resizer_create(int src_w, int src_h, int dst_w, int dst_h, sc_yuv_range range,
                                 sc_yuyv_resizer **out);
void sc_yuyv_resizer_destroy(sc_yuyv_resizer *r);   /* NULL is a no-op */
/* src: src_h rows of src_stride bytes; dst: a 3-channel dst_w×dst_h image (any stride, e.g. a
 * letterbox view into the network input). */
void sc_yuyv_resizer_run(sc_yuyv_resizer *r, const uint8_t *src, size_t src_stride, sc_image *dst);
/* Bytes of scratch memory the resizer holds besides the resize coefficients (for tests). */
size_t sc_yuyv_resizer_scratch_bytes(const sc_yuyv_resizer *r);

#endif
