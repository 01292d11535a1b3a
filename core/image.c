/* core/image.c — 8-bit images and a resampler that matches Pillow's BILINEAR resize.
 *
 * Pillow (src/libImaging/Resample.c, 9.x) resizes with a separable convolution. For each
 * axis and each output index i:
 *   scale   = in_size / out_size            (double)
 *   fscale  = max(scale, 1)                 (the filter widens only when shrinking)
 *   support = 1.0 * fscale                  (triangle filter, radius 1)
 *   center  = (i + 0.5) * scale
 *   first   = max((int)(center - support + 0.5), 0)
 *   last    = min((int)(center + support + 0.5), in_size)
 *   w[j]    = tri((first + j - center + 0.5) / fscale), j < last - first, tri(x) = max(0, 1-|x|)
 *             (Pillow multiplies by 1.0 / fscale rather than dividing; we do the same)
 *   w[j]   /= sum(w)                        (skipped when the sum is 0)
 *   k[j]    = (int32)(w[j] * 2^22 + 0.5)    (PRECISION_BITS = 22; weights are never negative)
 * and an output sample is clip8((2^21 + sum_j in[first + j] * k[j]) >> 22) in int32. The
 * horizontal pass runs first, over only the source rows the vertical pass reads, into an
 * 8-bit intermediate; then the vertical pass. A pass whose size does not change is skipped
 * (and if neither changes the pixels are copied). Python's Image.resize adds no reduce()
 * step unless reducing_gap is given, so this is the whole algorithm.
 *
 * Floating-point care: with the source box always (0, 0, w, h) there is no expression a
 * compiler could contract into an FMA with a different result (the only product feeding an
 * addition, w * 2^22, is exact), so -ffp-contract and -march settings cannot change the
 * tables. */
#include "core/image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

#define SC_RESAMPLE_BITS 22

sc_status sc_image_init(sc_image *img, int width, int height, int channels)
{
    size_t row, total;
    SC_ASSERT(img);
    memset(img, 0, sizeof(*img));
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4) {
        sc_log_error("image: bad size %dx%d with %d channels", width, height, channels);
        return SC_E_INVAL;
    }
    if (!sc_mul_size((size_t)width, (size_t)channels, &row) ||
        !sc_mul_size(row, (size_t)height, &total) ||
        !sc_add_size(total, SC_OVERREAD, &total)) {
        sc_log_error("image: %dx%dx%d is too large", width, height, channels);
        return SC_E_RANGE;
    }
    img->data = sc_aligned_alloc(total);
    if (!img->data) {
        sc_log_error("image: out of memory for %dx%dx%d", width, height, channels);
        return SC_E_NOMEM;
    }
    memset(img->data, 0, total);
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->stride_bytes = row;
    return SC_OK;
}

void sc_image_fini(sc_image *img)
{
    if (!img) return;
    sc_aligned_free(img->data);
    memset(img, 0, sizeof(*img));
}

/* One axis: out_size windows into in_size samples. */
typedef struct sc_axis {
    int ksize;          /* coefficients per output sample (stride of coef) */
    int *first;         /* [out_size] first input sample */
    int *count;         /* [out_size] number of input samples used (<= ksize) */
    int32_t *coef;      /* [out_size * ksize] fixed-point weights */
} sc_axis;

struct sc_resizer {
    int src_w, src_h, dst_w, dst_h, channels;
    int need_h, need_v;
    sc_axis h, v;
    int row0, rows;     /* source rows [row0, row0 + rows) read when the horizontal pass runs */
    uint8_t *tmp;       /* dst_w × rows × channels, when both passes run */
    int32_t *acc;       /* dst_w × channels accumulators for the vertical pass */
};

static double triangle(double x)
{
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static void axis_free(sc_axis *a)
{
    free(a->first);
    free(a->count);
    free(a->coef);
    memset(a, 0, sizeof(*a));
}

static sc_status axis_init(sc_axis *a, int in_size, int out_size)
{
    double scale = (double)in_size / out_size;
    double fscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * fscale;
    double inv = 1.0 / fscale;
    double *w = NULL;
    size_t n;

    memset(a, 0, sizeof(*a));
    if (support > (double)(INT32_MAX / 4)) return SC_E_RANGE;
    a->ksize = (int)ceil(support) * 2 + 1;
    if (!sc_mul_size((size_t)out_size, (size_t)a->ksize, &n) || n > (size_t)INT32_MAX)
        return SC_E_RANGE;
    a->first = malloc((size_t)out_size * sizeof(int));
    a->count = malloc((size_t)out_size * sizeof(int));
    a->coef = calloc(n, sizeof(int32_t));
    w = malloc((size_t)a->ksize * sizeof(double));
    if (!a->first || !a->count || !a->coef || !w) {
        free(w);
        axis_free(a);
        return SC_E_NOMEM;
    }
    for (int i = 0; i < out_size; i++) {
        double center = (i + 0.5) * scale;
        double sum = 0.0;
        int lo = (int)(center - support + 0.5);
        int hi = (int)(center + support + 0.5);
        int32_t *k = a->coef + (size_t)i * a->ksize;
        if (lo < 0) lo = 0;
        if (hi > in_size) hi = in_size;
        /* hi - lo <= ksize: the window spans at most 2*support + 1 samples. */
        for (int j = 0; j < hi - lo; j++) {
            w[j] = triangle(((j + lo) - center + 0.5) * inv);
            sum += w[j];
        }
        for (int j = 0; j < hi - lo; j++) {
            double wj = sum != 0.0 ? w[j] / sum : w[j];
            k[j] = (int32_t)(0.5 + wj * (double)(1 << SC_RESAMPLE_BITS));
        }
        a->first[i] = lo;
        a->count[i] = hi - lo;
    }
    free(w);
    return SC_OK;
}

sc_status sc_resizer_create(int src_w, int src_h, int dst_w, int dst_h, int channels,
                            sc_resizer **out)
{
    sc_status st = SC_E_NOMEM;
    sc_resizer *r;
    size_t n;

    SC_ASSERT(out);
    *out = NULL;
    if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0 || channels < 1 || channels > 4) {
        sc_log_error("resize: bad sizes %dx%d -> %dx%d with %d channels",
                     src_w, src_h, dst_w, dst_h, channels);
        return SC_E_INVAL;
    }
    r = calloc(1, sizeof(*r));
    if (!r) goto fail;
    r->src_w = src_w;
    r->src_h = src_h;
    r->dst_w = dst_w;
    r->dst_h = dst_h;
    r->channels = channels;
    r->need_h = dst_w != src_w;
    r->need_v = dst_h != src_h;

    /* The vertical windows also tell which source rows the horizontal pass must produce. */
    if (r->need_v && (st = axis_init(&r->v, src_h, dst_h)) != SC_OK) goto fail;
    if (r->need_h && (st = axis_init(&r->h, src_w, dst_w)) != SC_OK) goto fail;
    st = SC_E_NOMEM;
    if (r->need_v) {
        r->row0 = r->v.first[0];
        r->rows = r->v.first[dst_h - 1] + r->v.count[dst_h - 1] - r->row0;
        if (!sc_mul_size((size_t)dst_w, (size_t)channels, &n)) { st = SC_E_RANGE; goto fail; }
        r->acc = malloc(n * sizeof(int32_t));
        if (!r->acc) goto fail;
        if (r->need_h) {
            if (!sc_mul_size(n, (size_t)r->rows, &n)) { st = SC_E_RANGE; goto fail; }
            r->tmp = sc_aligned_alloc(n);
            if (!r->tmp) goto fail;
        }
    } else {
        r->row0 = 0;
        r->rows = src_h;
    }
    *out = r;
    return SC_OK;
fail:
    sc_log_error("resize: cannot set up %dx%d -> %dx%d: %s", src_w, src_h, dst_w, dst_h,
                 sc_status_str(st));
    sc_resizer_destroy(r);
    return st;
}

void sc_resizer_destroy(sc_resizer *r)
{
    if (!r) return;
    axis_free(&r->h);
    axis_free(&r->v);
    sc_aligned_free(r->tmp);
    free(r->acc);
    free(r);
}

static inline uint8_t clip8(int32_t v)
{
    if (v < 0) return 0;
    v >>= SC_RESAMPLE_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

/* The channel count is a compile-time constant in each instantiation, so the inner loops
 * unroll; C = 0 means "use nc". */
static inline void horiz_rows(const sc_axis *h, int dst_w, const uint8_t *src, size_t src_stride,
                              int rows, uint8_t *dst, size_t dst_stride, int C, int nc)
{
    const int ch = C ? C : nc;
    for (int y = 0; y < rows; y++) {
        const uint8_t *in = src + (size_t)y * src_stride;
        uint8_t *o = dst + (size_t)y * dst_stride;
        for (int xx = 0; xx < dst_w; xx++) {
            const int32_t *k = h->coef + (size_t)xx * h->ksize;
            const uint8_t *p = in + (size_t)h->first[xx] * ch;
            const int n = h->count[xx];
            int32_t a0 = 1 << (SC_RESAMPLE_BITS - 1), a1 = a0, a2 = a0, a3 = a0;
            for (int x = 0; x < n; x++, p += ch) {
                a0 += p[0] * k[x];
                if (ch > 1) a1 += p[1] * k[x];
                if (ch > 2) a2 += p[2] * k[x];
                if (ch > 3) a3 += p[3] * k[x];
            }
            o[xx * ch] = clip8(a0);
            if (ch > 1) o[xx * ch + 1] = clip8(a1);
            if (ch > 2) o[xx * ch + 2] = clip8(a2);
            if (ch > 3) o[xx * ch + 3] = clip8(a3);
        }
    }
}

static void horizontal_pass(const sc_resizer *r, const uint8_t *src, size_t src_stride,
                            int rows, uint8_t *dst, size_t dst_stride)
{
    switch (r->channels) {
    case 1: horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 1, 1); break;
    case 3: horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 3, 3); break;
    case 4: horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 4, 4); break;
    default:
        horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 0, r->channels);
        break;
    }
}

/* src row 0 is the first row the vertical windows index (first[] is relative to it). */
static void vertical_pass(sc_resizer *r, const uint8_t *src, size_t src_stride, int first_off,
                          uint8_t *dst, size_t dst_stride)
{
    const int n = r->dst_w * r->channels;
    int32_t *acc = r->acc;
    for (int yy = 0; yy < r->dst_h; yy++) {
        const int32_t *k = r->v.coef + (size_t)yy * r->v.ksize;
        const int y0 = r->v.first[yy] - first_off;
        uint8_t *o = dst + (size_t)yy * dst_stride;
        for (int i = 0; i < n; i++) acc[i] = 1 << (SC_RESAMPLE_BITS - 1);
        for (int y = 0; y < r->v.count[yy]; y++) {
            const uint8_t *in = src + (size_t)(y0 + y) * src_stride;
            const int32_t ky = k[y];
            for (int i = 0; i < n; i++) acc[i] += in[i] * ky;
        }
        for (int i = 0; i < n; i++) o[i] = clip8(acc[i]);
    }
}

void sc_resizer_run(sc_resizer *r, const sc_image *src, sc_image *dst)
{
    SC_ASSERT(r && src && dst && src->data && dst->data);
    SC_ASSERT(src->width == r->src_w && src->height == r->src_h && src->channels == r->channels);
    SC_ASSERT(dst->width == r->dst_w && dst->height == r->dst_h && dst->channels == r->channels);

    if (r->need_h && r->need_v) {
        const size_t tmp_stride = (size_t)r->dst_w * r->channels;
        horizontal_pass(r, src->data + (size_t)r->row0 * src->stride_bytes, src->stride_bytes,
                        r->rows, r->tmp, tmp_stride);
        vertical_pass(r, r->tmp, tmp_stride, r->row0, dst->data, dst->stride_bytes);
    } else if (r->need_h) {
        horizontal_pass(r, src->data, src->stride_bytes, r->src_h, dst->data, dst->stride_bytes);
    } else if (r->need_v) {
        vertical_pass(r, src->data, src->stride_bytes, 0, dst->data, dst->stride_bytes);
    } else {
        const size_t row = (size_t)r->src_w * r->channels;
        for (int y = 0; y < r->src_h; y++)
            memcpy(dst->data + (size_t)y * dst->stride_bytes,
                   src->data + (size_t)y * src->stride_bytes, row);
    }
}
