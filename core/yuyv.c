/* core/yuyv.c — YUYV → RGB over whole images, and fused with the network-input resize. */
#include "core/yuyv.h"

#include <stdlib.h>

#include "core/log.h"

struct sc_yuyv_resizer {
    int src_w, src_h, dst_w, dst_h;
    sc_yuyv_params params;
    sc_image rgb;            /* src_w×src_h scratch (unused when no resize is needed) */
    sc_resizer *resizer;     /* NULL when src and dst sizes match */
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
    if (src_w != dst_w || src_h != dst_h) {
        if ((st = sc_image_init(&r->rgb, src_w, src_h, 3)) != SC_OK ||
            (st = sc_resizer_create(src_w, src_h, dst_w, dst_h, 3, &r->resizer)) != SC_OK) {
            sc_yuyv_resizer_destroy(r);
            return st;
        }
    }
    *out = r;
    return SC_OK;
}

void sc_yuyv_resizer_destroy(sc_yuyv_resizer *r)
{
    if (!r) return;
    sc_resizer_destroy(r->resizer);
    sc_image_fini(&r->rgb);
    free(r);
}

void sc_yuyv_resizer_run(sc_yuyv_resizer *r, const uint8_t *src, size_t src_stride, sc_image *dst)
{
    SC_ASSERT(dst && dst->channels == 3 && dst->width == r->dst_w && dst->height == r->dst_h);
    if (!r->resizer) {
        sc_u8_yuyv2rgb__ref(src, src_stride, dst->data, dst->stride_bytes, r->src_w, 0, r->src_h,
                            &r->params);
        return;
    }
    sc_u8_yuyv2rgb__ref(src, src_stride, r->rgb.data, r->rgb.stride_bytes, r->src_w, 0, r->src_h,
                        &r->params);
    sc_resizer_run(r->resizer, &r->rgb, dst);
}
