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

#include "core/kernels/kernels.h"
#include "core/kernels/resize.h"
#include "core/log.h"
#include "core/mem.h"
#include "sc_config.h"

#define SC_RESAMPLE_BITS 22
_Static_assert(SC_RESAMPLE_BITS == SC_RESIZE_BITS, "the SIMD passes use the same precision");

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
    sc_resize_htab htab;    /* SIMD horizontal steps; n_chunks 0 when not built (scalar pass) */
    sc_resize_v_fn v_fn;    /* the vertical pass of the chosen level */
    sc_resize_h_fn h_fn;    /* NULL: the scalar horizontal pass */
    const char *isa;        /* "ref", "avx2", "neon" */
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

static inline uint8_t clip8(int32_t v)
{
    if (v < 0) return 0;
    v >>= SC_RESAMPLE_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

/* The scalar vertical pass for one output row (the reference; same signature as the SIMD
 * ones): accumulators for up to 256 bytes at a time on the stack, so any number of threads
 * can run it on one resizer. */
static void vert_row_ref(const uint8_t *src, size_t src_stride, const int32_t *k, int count, int n,
                         uint8_t *dst)
{
    int32_t acc[256];
    for (int i0 = 0; i0 < n; i0 += 256) {
        const int m = n - i0 < 256 ? n - i0 : 256;
        for (int i = 0; i < m; i++) acc[i] = 1 << (SC_RESAMPLE_BITS - 1);
        for (int y = 0; y < count; y++) {
            const uint8_t *in = src + (size_t)y * src_stride + i0;
            const int32_t ky = k[y];
            for (int i = 0; i < m; i++) acc[i] += in[i] * ky;
        }
        for (int i = 0; i < m; i++) dst[i0 + i] = clip8(acc[i]);
    }
}

static const struct {
    const char *isa;
    sc_resize_h_fn h;
    sc_resize_v_fn v;
} levels[] = {
#if SC_HAVE_AVX2
    { "avx2", sc_resize_h__avx2, sc_resize_v__avx2 },
#endif
#if SC_HAVE_NEON
    { "neon", sc_resize_h__neon, sc_resize_v__neon },
#endif
    { "ref", NULL, vert_row_ref },
};

sc_status sc_resizer_set_isa(sc_resizer *r, const char *isa)
{
    SC_ASSERT(r && isa);
    for (size_t i = 0; i < SC_ARRAY_LEN(levels); i++) {
        if (strcmp(isa, levels[i].isa) != 0) continue;
        if (!sc_kernels_isa_supported(isa)) return SC_E_UNSUPPORTED;
        r->isa = levels[i].isa;
        r->h_fn = r->htab.n_chunks ? levels[i].h : NULL;
        r->v_fn = levels[i].v;
        return SC_OK;
    }
    return SC_E_UNSUPPORTED;
}

const char *sc_resizer_isa(const sc_resizer *r)
{
    return r->isa;
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
        if (r->need_h) {
            if (!sc_mul_size(n, (size_t)r->rows, &n)) { st = SC_E_RANGE; goto fail; }
            r->tmp = sc_aligned_alloc(n);
            if (!r->tmp) goto fail;
        }
    } else {
        r->row0 = 0;
        r->rows = src_h;
    }
    /* The SIMD step table, when a SIMD level is compiled in; rows under 16 bytes keep the
     * scalar horizontal pass (SC_E_UNSUPPORTED). */
    if (r->need_h && SC_ARRAY_LEN(levels) > 1) {
        st = sc_resize_htab_build(&r->htab, src_w, dst_w, channels, r->h.first, r->h.count,
                                  r->h.coef, r->h.ksize);
        if (st != SC_OK && st != SC_E_UNSUPPORTED) goto fail;
    }
    /* The best level this CPU runs, unless SC_KERNELS asks for the scalar code. */
    const char *env = getenv("SC_KERNELS");
    int force_ref = env && (!strcmp(env, "ref") || !strcmp(env, "portable"));
    for (size_t i = 0; i < SC_ARRAY_LEN(levels); i++)
        if ((!force_ref || !strcmp(levels[i].isa, "ref")) && sc_resizer_set_isa(r, levels[i].isa) == SC_OK)
            break;
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
    sc_resize_htab_free(&r->htab);
    sc_aligned_free(r->tmp);
    free(r);
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
    if (r->h_fn) {
        r->h_fn(&r->htab, src, src_stride, rows, dst, dst_stride);
        return;
    }
    switch (r->channels) {
    case 1: horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 1, 1); break;
    case 3: horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 3, 3); break;
    case 4: horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 4, 4); break;
    default:
        horiz_rows(&r->h, r->dst_w, src, src_stride, rows, dst, dst_stride, 0, r->channels);
        break;
    }
}

/* Output rows [y0, y1); src row 0 is the first row the vertical windows index (first[] is
 * relative to it). */
static void vertical_pass(const sc_resizer *r, const uint8_t *src, size_t src_stride, int first_off,
                          uint8_t *dst, size_t dst_stride, int y0, int y1)
{
    const int n = r->dst_w * r->channels;
    for (int yy = y0; yy < y1; yy++)
        r->v_fn(src + (size_t)(r->v.first[yy] - first_off) * src_stride, src_stride,
                r->v.coef + (size_t)yy * r->v.ksize, r->v.count[yy], n,
                dst + (size_t)yy * dst_stride);
}

/* Rows per pool index: the horizontal pass works on 4 rows at a time. */
#define H_ROWS_PER_TASK 16
#define V_ROWS_PER_TASK 8

typedef struct run_ctx {
    const sc_resizer *r;
    const uint8_t *src;     /* horizontal: first source row; vertical: row 0 of first[] */
    size_t src_stride;
    uint8_t *dst;
    size_t dst_stride;
    int first_off;          /* vertical */
    int rows;               /* horizontal: rows to produce; vertical: dst_h */
} run_ctx;

static void h_task(void *c, size_t i)
{
    const run_ctx *x = c;
    int y0 = (int)i * H_ROWS_PER_TASK;
    int n = x->rows - y0 < H_ROWS_PER_TASK ? x->rows - y0 : H_ROWS_PER_TASK;
    horizontal_pass(x->r, x->src + (size_t)y0 * x->src_stride, x->src_stride, n,
                    x->dst + (size_t)y0 * x->dst_stride, x->dst_stride);
}

static void v_task(void *c, size_t i)
{
    const run_ctx *x = c;
    int y0 = (int)i * V_ROWS_PER_TASK;
    int y1 = x->rows - y0 < V_ROWS_PER_TASK ? x->rows : y0 + V_ROWS_PER_TASK;
    vertical_pass(x->r, x->src, x->src_stride, x->first_off, x->dst, x->dst_stride, y0, y1);
}

static void run_h(const sc_resizer *r, sc_pool *pool, const uint8_t *src, size_t src_stride,
                  int rows, uint8_t *dst, size_t dst_stride)
{
    run_ctx x = { r, src, src_stride, dst, dst_stride, 0, rows };
    sc_pool_parallel(pool, h_task, &x, (size_t)(rows + H_ROWS_PER_TASK - 1) / H_ROWS_PER_TASK);
}

static void run_v(const sc_resizer *r, sc_pool *pool, const uint8_t *src, size_t src_stride,
                  int first_off, uint8_t *dst, size_t dst_stride)
{
    run_ctx x = { r, src, src_stride, dst, dst_stride, first_off, r->dst_h };
    sc_pool_parallel(pool, v_task, &x, (size_t)(r->dst_h + V_ROWS_PER_TASK - 1) / V_ROWS_PER_TASK);
}

void sc_resizer_run_pool(sc_resizer *r, const sc_image *src, sc_image *dst, sc_pool *pool)
{
    SC_ASSERT(r && src && dst && src->data && dst->data);
    SC_ASSERT(src->width == r->src_w && src->height == r->src_h && src->channels == r->channels);
    SC_ASSERT(dst->width == r->dst_w && dst->height == r->dst_h && dst->channels == r->channels);

    if (r->need_h && r->need_v) {
        const size_t tmp_stride = (size_t)r->dst_w * r->channels;
        run_h(r, pool, src->data + (size_t)r->row0 * src->stride_bytes, src->stride_bytes,
              r->rows, r->tmp, tmp_stride);
        run_v(r, pool, r->tmp, tmp_stride, r->row0, dst->data, dst->stride_bytes);
    } else if (r->need_h) {
        run_h(r, pool, src->data, src->stride_bytes, r->src_h, dst->data, dst->stride_bytes);
    } else if (r->need_v) {
        run_v(r, pool, src->data, src->stride_bytes, 0, dst->data, dst->stride_bytes);
    } else {
        const size_t row = (size_t)r->src_w * r->channels;
        for (int y = 0; y < r->src_h; y++)
            memcpy(dst->data + (size_t)y * dst->stride_bytes,
                   src->data + (size_t)y * src->stride_bytes, row);
    }
}

void sc_resizer_run(sc_resizer *r, const sc_image *src, sc_image *dst)
{
    sc_resizer_run_pool(r, src, dst, NULL);
}
