/* models/ssd.c — SSD anchors, box decoding and fast (class-agnostic) NMS.
 *
 * The anchor rules follow the TF Object Detection API (create_ssd_anchors,
 * MultipleGridAnchorGenerator, tile_anchors); the post-process follows TFLite's
 * TFLite_Detection_PostProcess with use_regular_nms = false. See models/ssd.h for the
 * exact semantics, including how ties are broken. */
#include "models/ssd.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

/* Decode and IoU reproduce TFLite's float results; no fused multiply-adds (clang contracts
 * within expressions by default; gcc in ISO C mode does not contract). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ------------------------------------------------------------------------------------ */
/* Anchors                                                                                */

void sc_ssd_anchor_cfg_default(sc_ssd_anchor_cfg *cfg)
{
    SC_ASSERT(cfg);
    memset(cfg, 0, sizeof(*cfg));
    cfg->n_maps = 6;
    cfg->min_scale = 0.2f;
    cfg->max_scale = 0.95f;
    cfg->n_ratios = 5;
    cfg->ratios[0] = 1.0f;
    cfg->ratios[1] = 2.0f;
    cfg->ratios[2] = 0.5f;
    cfg->ratios[3] = 3.0f;
    cfg->ratios[4] = 0.3333f;   /* the pipeline config's literal, not 1/3 */
    cfg->reduce_boxes_in_lowest_layer = 1;
    cfg->interpolated_scale_aspect_ratio = 1.0f;
}

int sc_ssd_anchors_per_cell(const sc_ssd_anchor_cfg *cfg, int map_index)
{
    SC_ASSERT(cfg);
    if (map_index < 0 || map_index >= cfg->n_maps) return 0;
    if (map_index == 0 && cfg->reduce_boxes_in_lowest_layer) return 3;
    return cfg->n_ratios + (cfg->interpolated_scale_aspect_ratio > 0.0f ? 1 : 0);
}

sc_status sc_ssd_feature_map_sizes(int in_h, int in_w, int n_maps, int *fm_h, int *fm_w)
{
    SC_ASSERT(fm_h && fm_w);
    if (in_h < 1 || in_w < 1 || n_maps < 2 || n_maps > SC_SSD_MAX_MAPS) {
        sc_log_error("ssd: feature map sizes: bad input %dx%d or map count %d", in_h, in_w, n_maps);
        return SC_E_INVAL;
    }
    /* SAME padding with stride 2: out = ceil(in / 2). Four halvings reach stride 16. */
    int h = in_h, w = in_w;
    for (int i = 0; i < 4; i++) {
        h = h / 2 + (h & 1);
        w = w / 2 + (w & 1);
    }
    for (int m = 0; m < n_maps; m++) {
        fm_h[m] = h;
        fm_w[m] = w;
        h = h / 2 + (h & 1);
        w = w / 2 + (w & 1);
    }
    return SC_OK;
}

static int check_anchor_cfg(const sc_ssd_anchor_cfg *cfg)
{
    if (cfg->n_maps < 2 || cfg->n_maps > SC_SSD_MAX_MAPS) return 0;
    if (cfg->n_ratios < 1 || cfg->n_ratios > (int)SC_ARRAY_LEN(cfg->ratios)) return 0;
    if (!(cfg->min_scale > 0.0f) || !(cfg->max_scale > 0.0f)) return 0;   /* also rejects NaN */
    if (!isfinite(cfg->min_scale) || !isfinite(cfg->max_scale)) return 0;
    for (int r = 0; r < cfg->n_ratios; r++)
        if (!(cfg->ratios[r] > 0.0f) || !isfinite(cfg->ratios[r])) return 0;
    if (isnan(cfg->interpolated_scale_aspect_ratio) || isinf(cfg->interpolated_scale_aspect_ratio))
        return 0;
    return 1;
}

/* The (scale, ratio) kinds of map m, in the per-cell order; returns their count. */
static int map_kinds(const sc_ssd_anchor_cfg *cfg, int m, double *scale, double *ratio)
{
    const int n = cfg->n_maps;
    const double s_min = cfg->min_scale, s_max = cfg->max_scale;
    const double s = s_min + (s_max - s_min) * m / (n - 1);
    const double s_next = m + 1 < n ? s_min + (s_max - s_min) * (m + 1) / (n - 1) : 1.0;
    int k = 0;
    if (m == 0 && cfg->reduce_boxes_in_lowest_layer) {
        scale[k] = 0.1; ratio[k++] = 1.0;
        scale[k] = s;   ratio[k++] = 2.0;
        scale[k] = s;   ratio[k++] = 0.5;
        return k;
    }
    for (int r = 0; r < cfg->n_ratios; r++) {
        scale[k] = s;
        ratio[k++] = cfg->ratios[r];
    }
    if (cfg->interpolated_scale_aspect_ratio > 0.0f) {
        scale[k] = sqrt(s * s_next);
        ratio[k++] = cfg->interpolated_scale_aspect_ratio;
    }
    return k;
}

sc_status sc_ssd_anchors_generate(const sc_ssd_anchor_cfg *cfg, const int *fm_h, const int *fm_w,
                                  sc_anchor *out, int cap, int *n_out)
{
    SC_ASSERT(cfg && fm_h && fm_w && n_out);
    *n_out = 0;
    if (!check_anchor_cfg(cfg)) {
        sc_log_error("ssd: anchors: bad generator settings (%d maps, %d ratios, scales %g..%g)",
                     cfg->n_maps, cfg->n_ratios, (double)cfg->min_scale, (double)cfg->max_scale);
        return SC_E_INVAL;
    }
    long long total = 0;
    for (int m = 0; m < cfg->n_maps; m++) {
        if (fm_h[m] < 1 || fm_w[m] < 1) {
            sc_log_error("ssd: anchors: feature map %d is %dx%d", m, fm_h[m], fm_w[m]);
            return SC_E_INVAL;
        }
        total += (long long)fm_h[m] * fm_w[m] * sc_ssd_anchors_per_cell(cfg, m);
        if (total > INT_MAX) {
            sc_log_error("ssd: anchors: feature maps need more than %d anchors", INT_MAX);
            return SC_E_INVAL;
        }
    }
    *n_out = (int)total;
    if (cap < total || (!out && total > 0)) return SC_E_RANGE;

    double scale[SC_ARRAY_LEN(cfg->ratios) + 1], ratio[SC_ARRAY_LEN(cfg->ratios) + 1];
    float kind_h[SC_ARRAY_LEN(cfg->ratios) + 1], kind_w[SC_ARRAY_LEN(cfg->ratios) + 1];
    sc_anchor *a = out;
    for (int m = 0; m < cfg->n_maps; m++) {
        const int nk = map_kinds(cfg, m, scale, ratio);
        for (int k = 0; k < nk; k++) {
            const double rs = sqrt(ratio[k]);
            kind_h[k] = (float)(scale[k] / rs);
            kind_w[k] = (float)(scale[k] * rs);
        }
        /* Graph order: rows, then columns, then anchor kind (fastest). */
        for (int y = 0; y < fm_h[m]; y++) {
            const float yc = (float)((y + 0.5) / fm_h[m]);
            for (int x = 0; x < fm_w[m]; x++) {
                const float xc = (float)((x + 0.5) / fm_w[m]);
                for (int k = 0; k < nk; k++) {
                    a->yc = yc;
                    a->xc = xc;
                    a->h = kind_h[k];
                    a->w = kind_w[k];
                    a++;
                }
            }
        }
    }
    SC_ASSERT(a - out == total);
    return SC_OK;
}

static float quantize_value(float v, float scale, int32_t zero_point)
{
    double q = round((double)v / (double)scale) + (double)zero_point;   /* ties away from 0 */
    if (isnan(q)) q = (double)zero_point;          /* a NaN value becomes 0 */
    q = q < 0.0 ? 0.0 : q > 255.0 ? 255.0 : q;     /* the uint8 range */
    return ((float)q - (float)zero_point) * scale;
}

void sc_ssd_anchors_quantize(sc_anchor *anchors, int n, float scale, int32_t zero_point)
{
    SC_ASSERT(n >= 0 && (anchors || n == 0));
    SC_ASSERT(scale > 0.0f);
    for (int i = 0; i < n; i++) {
        sc_anchor *a = &anchors[i];
        a->yc = quantize_value(a->yc, scale, zero_point);
        a->xc = quantize_value(a->xc, scale, zero_point);
        a->h = quantize_value(a->h, scale, zero_point);
        a->w = quantize_value(a->w, scale, zero_point);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Post-process                                                                           */

struct sc_ssd_pp {
    sc_ssd_pp_cfg cfg;
    int cap_anchors;
    /* Min-heap of candidate keys: (~sortable(score)) << 32 | anchor. The smallest key is
     * the highest score, and on equal scores the lowest anchor index, which is exactly the
     * order TFLite's stable_sort over anchor-ordered candidates produces. */
    uint64_t *heap;
};

sc_status sc_ssd_pp_create(const sc_ssd_pp_cfg *cfg, int n_anchors, sc_ssd_pp **out)
{
    SC_ASSERT(cfg && out);
    *out = NULL;
    if (cfg->num_classes < 1 || cfg->max_detections < 0 || n_anchors < 1) {
        sc_log_error("ssd: post-process: bad sizes (%d classes, %d max detections, %d anchors)",
                     cfg->num_classes, cfg->max_detections, n_anchors);
        return SC_E_INVAL;
    }
    /* TFLite requires 0 < iou_threshold <= 1. */
    if (!(cfg->iou_threshold > 0.0f && cfg->iou_threshold <= 1.0f) || isnan(cfg->score_threshold)) {
        sc_log_error("ssd: post-process: bad thresholds (score %g, IoU %g; IoU must be in (0, 1])",
                     (double)cfg->score_threshold, (double)cfg->iou_threshold);
        return SC_E_INVAL;
    }
    if (!(cfg->y_scale > 0.0f && cfg->x_scale > 0.0f && cfg->h_scale > 0.0f && cfg->w_scale > 0.0f) ||
        !isfinite(cfg->y_scale) || !isfinite(cfg->x_scale) || !isfinite(cfg->h_scale) ||
        !isfinite(cfg->w_scale)) {
        sc_log_error("ssd: post-process: box scales must be positive (%g %g %g %g)",
                     (double)cfg->y_scale, (double)cfg->x_scale, (double)cfg->h_scale,
                     (double)cfg->w_scale);
        return SC_E_INVAL;
    }
    size_t bytes;
    if (!sc_mul_size((size_t)n_anchors, sizeof(uint64_t), &bytes)) return SC_E_NOMEM;
    sc_ssd_pp *pp = calloc(1, sizeof(*pp));
    if (!pp) return SC_E_NOMEM;
    pp->cfg = *cfg;
    pp->cap_anchors = n_anchors;
    pp->heap = sc_aligned_alloc(bytes);
    if (!pp->heap) {
        sc_ssd_pp_destroy(pp);
        return SC_E_NOMEM;
    }
    *out = pp;
    return SC_OK;
}

void sc_ssd_pp_destroy(sc_ssd_pp *pp)
{
    if (!pp) return;
    sc_aligned_free(pp->heap);
    free(pp);
}

float sc_ssd_iou(const sc_det *a, const sc_det *b)
{
    /* Same float operations, in the same order, as TFLite's ComputeIntersectionOverUnion. */
    const float area_a = (a->ymax - a->ymin) * (a->xmax - a->xmin);
    const float area_b = (b->ymax - b->ymin) * (b->xmax - b->xmin);
    if (area_a <= 0.0f || area_b <= 0.0f) return 0.0f;
    const float iy0 = SC_MAX(a->ymin, b->ymin), ix0 = SC_MAX(a->xmin, b->xmin);
    const float iy1 = SC_MIN(a->ymax, b->ymax), ix1 = SC_MIN(a->xmax, b->xmax);
    const float inter = SC_MAX(iy1 - iy0, 0.0f) * SC_MAX(ix1 - ix0, 0.0f);
    return inter / (area_a + area_b - inter);
}

/* Maps a float to an unsigned key with the same order (for non-NaN values). */
static uint32_t sortable_bits(float f)
{
    uint32_t u;
    f += 0.0f;   /* -0 becomes +0, so equal scores get equal keys */
    memcpy(&u, &f, sizeof(u));
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Largest of n floats (n >= 1). Four independent chains: max is exact, so the value equals
 * a sequential scan's. */
static float row_max(const float *v, int n)
{
    float m0 = v[0], m1 = v[0], m2 = v[0], m3 = v[0];
    int c = 1;
    for (; c + 4 <= n; c += 4) {
        m0 = v[c] > m0 ? v[c] : m0;
        m1 = v[c + 1] > m1 ? v[c + 1] : m1;
        m2 = v[c + 2] > m2 ? v[c + 2] : m2;
        m3 = v[c + 3] > m3 ? v[c + 3] : m3;
    }
    for (; c < n; c++) m0 = v[c] > m0 ? v[c] : m0;
    m0 = m1 > m0 ? m1 : m0;
    m2 = m3 > m2 ? m3 : m2;
    return m2 > m0 ? m2 : m0;
}

/* First index of the maximum, as TFLite's ArgMaxVector (strict >). */
static int row_argmax(const float *v, int n)
{
    int best = 0;
    for (int c = 1; c < n; c++)
        if (v[c] > v[best]) best = c;
    return best;
}

static void heap_sift_down(uint64_t *h, int n, int i)
{
    const uint64_t item = h[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h[c + 1] < h[c]) c++;
        if (h[c] >= item) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = item;
}

static void decode_box(const sc_ssd_pp_cfg *cfg, const float *enc, const sc_anchor *a, sc_det *d)
{
    /* TFLite computes centre and half size in double, rounds each to float, then the
     * corners in float. */
    const float yc = (float)((double)enc[0] / (double)cfg->y_scale * (double)a->h + (double)a->yc);
    const float xc = (float)((double)enc[1] / (double)cfg->x_scale * (double)a->w + (double)a->xc);
    const float hh = (float)(0.5 * exp((double)enc[2] / (double)cfg->h_scale) * (double)a->h);
    const float hw = (float)(0.5 * exp((double)enc[3] / (double)cfg->w_scale) * (double)a->w);
    d->ymin = yc - hh;
    d->xmin = xc - hw;
    d->ymax = yc + hh;
    d->xmax = xc + hw;
}

int sc_ssd_pp_run(sc_ssd_pp *pp, const float *box_enc, const float *scores, int score_stride,
                  int class_offset, const sc_anchor *anchors, int n_anchors,
                  sc_det *out, int cap)
{
    SC_ASSERT(pp);
    const sc_ssd_pp_cfg *cfg = &pp->cfg;
    const int n_cls = cfg->num_classes;
    SC_ASSERT(n_anchors >= 0 && n_anchors <= pp->cap_anchors);
    SC_ASSERT(class_offset >= 0 && score_stride >= class_offset + n_cls);
    SC_ASSERT(cap >= 0);
    const int limit = SC_MIN(cfg->max_detections, cap);
    if (n_anchors == 0 || limit == 0) return 0;
    SC_ASSERT(box_enc && scores && anchors && out);

    /* Pass 1: each anchor's best score; keep those >= threshold (TFLite's >=). NaN never
     * passes. The class is looked up later, only for the anchors NMS visits. */
    const float thr = cfg->score_threshold;
    uint64_t *heap = pp->heap;
    int n = 0;
    for (int i = 0; i < n_anchors; i++) {
        const float s = row_max(scores + (size_t)i * (size_t)score_stride + class_offset, n_cls);
        if (s >= thr) heap[n++] = (uint64_t)(~sortable_bits(s)) << 32 | (uint32_t)i;
    }
    for (int i = n / 2 - 1; i >= 0; i--) heap_sift_down(heap, n, i);

    /* Pass 2: greedy NMS in (score desc, anchor asc) order. A candidate is kept unless a
     * box already kept overlaps it with IoU > threshold; this equals TFLite's "selected
     * box deactivates later ones" loop, since only selected boxes ever suppress. */
    int n_out = 0;
    while (n > 0 && n_out < limit) {
        const int i = (int)(uint32_t)heap[0];
        heap[0] = heap[--n];
        if (n > 0) heap_sift_down(heap, n, 0);

        sc_det d;
        decode_box(cfg, box_enc + (size_t)i * 4, &anchors[i], &d);
        int keep = 1;
        for (int j = 0; j < n_out; j++) {
            if (sc_ssd_iou(&out[j], &d) > cfg->iou_threshold) {
                keep = 0;
                break;
            }
        }
        if (!keep) continue;
        const float *row = scores + (size_t)i * (size_t)score_stride + class_offset;
        d.class_id = row_argmax(row, n_cls);
        d.score = row[d.class_id];
        out[n_out++] = d;
    }
    return n_out;
}
