/* core/yuyv.c — YUYV → RGB over whole images, and fused with the network-input resize. */
#include "core/yuyv.h"

#include <stdlib.h>

#include "core/log.h"

/* Pillow's BILINEAR resize is separable: a horizontal pass over the source rows into an 8-bit
 * intermediate, then a vertical pass (core/image.c). The 2-D sc_resizer runs them back to back
 * over a whole RGB image; here the same two passes are two 1-D resizers with the very same
 * coefficients (they depend only on the sizes of their own axis), and the horizontal one is fed
 * a band of BAND freshly converted rows at a time (the SIMD horizontal pass works on several
 * rows per step; one row per call was 1.5x slower than convert-then-resize). So each band of
 * YUYV rows is converted into a buffer that stays in L1/L2, shrunk at once to dst_w pixels,
 * and the full-size RGB frame never exists: the largest buffer is the dst_w × src_h
 * intermediate (0.65 MB for 1280×720 → 300, against 2.8 MB of RGB). The bytes are those of
 * convert-then-resize, by construction and by test. */
#define BAND 8
struct sc_yuyv_resizer {
    int src_w, src_h, dst_w, dst_h;
    sc_yuyv_params params;
    sc_image band;           /* converted source rows, src_w × BAND */
    sc_image mid;            /* dst_w × src_h: rows after the horizontal pass */
    sc_resizer *h;           /* src_w × band → dst_w × band (copies when the widths match) */
    sc_resizer *h_last;      /* the same for the last, shorter band (NULL if none) */
    sc_resizer *v;           /* dst_w × src_h → dst_w × dst_h */
    size_t scratch_bytes;
};

void sc_yuyv_to_rgb(const uint8_t *src, size_t src_stride, int width, int height,
                    sc_yuv_range range, sc_image *dst)
{
    SC_ASSERT(dst && dst->channels == 3 && dst->width == width && dst->height == height);
    sc_yuyv_params p = { .range = range };
    sc_u8_yuyv2rgb__ref(src, src_stride, dst->data, dst->stride_bytes, width, 0, height, &p);
}

sc_status sc_yuyv_resizer_create(int src_w, int src_h, int dst_w, int dst_h, sc_yuv_range range,
                                 sc_yuyv_resizer **out)
{
    sc_status st;
    *out = NULL;
    if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0) {
        sc_log_error("yuyv: bad sizes %dx%d -> %dx%d", src_w, src_h, dst_w, dst_h);
        return SC_E_INVAL;
    }
    sc_yuyv_resizer *r = calloc(1, sizeof(*r));
    if (!r) return SC_E_NOMEM;
    r->src_w = src_w; r->src_h = src_h; r->dst_w = dst_w; r->dst_h = dst_h;
    r->params.range = range;
    const int band = SC_MIN(BAND, src_h), last = src_h % band;
    if ((st = sc_image_init(&r->band, src_w, band, 3)) != SC_OK ||
        (st = sc_image_init(&r->mid, dst_w, src_h, 3)) != SC_OK ||
        (st = sc_resizer_create(src_w, band, dst_w, band, 3, &r->h)) != SC_OK ||
        (last && (st = sc_resizer_create(src_w, last, dst_w, last, 3, &r->h_last)) != SC_OK) ||
        (st = sc_resizer_create(dst_w, src_h, dst_w, dst_h, 3, &r->v)) != SC_OK) {
        sc_yuyv_resizer_destroy(r);
        return st;
    }
    r->scratch_bytes = r->band.stride_bytes * (size_t)band + r->mid.stride_bytes * (size_t)src_h;
    *out = r;
    return SC_OK;
}

void sc_yuyv_resizer_destroy(sc_yuyv_resizer *r)
{
    if (!r) return;
    sc_resizer_destroy(r->h);
    sc_resizer_destroy(r->h_last);
    sc_resizer_destroy(r->v);
    sc_image_fini(&r->band);
    sc_image_fini(&r->mid);
    free(r);
}

size_t sc_yuyv_resizer_scratch_bytes(const sc_yuyv_resizer *r) { return r->scratch_bytes; }

void sc_yuyv_resizer_run(sc_yuyv_resizer *r, const uint8_t *src, size_t src_stride, sc_image *dst)
{
    SC_ASSERT(dst && dst->channels == 3 && dst->width == r->dst_w && dst->height == r->dst_h);
    const int band = r->band.height;
    for (int y = 0; y < r->src_h; y += band) {
        const int n = SC_MIN(band, r->src_h - y);
        sc_image in = r->band, out = r->mid;
        in.height = out.height = n;
        out.data = r->mid.data + (size_t)y * r->mid.stride_bytes;
        sc_u8_yuyv2rgb__ref(src + (size_t)y * src_stride, src_stride, in.data, in.stride_bytes, r->src_w, 0, n,
                            &r->params);
        sc_resizer_run(n == band ? r->h : r->h_last, &in, &out);
    }
    sc_resizer_run(r->v, &r->mid, dst);
}
