/* models/ssd.h — SSD anchors, box decoding and non-maximum suppression with the semantics of
 * TFLite's TFLite_Detection_PostProcess (fast, class-agnostic NMS: use_regular_nms = false).
 *
 * Anchors are regenerated for any input size from the TF Object Detection API rules
 * (multiple_grid_anchor_generator, as configured for ssd_mobilenet_v1_coco), so the network
 * can run at 300·ρ. All coordinates are normalised to the network input: [0,1]. */
#ifndef SC_MODELS_SSD_H
#define SC_MODELS_SSD_H

#include <stdint.h>

#include "core/base.h"

typedef struct sc_anchor { float yc, xc, h, w; } sc_anchor;

/* One detection: class_id is 0-based without background (0 = person for COCO). */
typedef struct sc_det {
    int class_id;
    float score;
    float ymin, xmin, ymax, xmax;   /* normalised to the network input; may exceed [0,1] slightly */
} sc_det;

#define SC_SSD_MAX_MAPS 8

/* The multiple-grid anchor generator's settings (TF OD API defaults for SSD MobileNet). */
typedef struct sc_ssd_anchor_cfg {
    int n_maps;                 /* 6 */
    float min_scale, max_scale; /* 0.2, 0.95 */
    int n_ratios;               /* 5 */
    float ratios[8];            /* 1, 2, 0.5, 3, 1/3 */
    int reduce_boxes_in_lowest_layer;   /* 1: first map gets (0.1,1), (0.2,2), (0.2,0.5) */
    float interpolated_scale_aspect_ratio;  /* 1.0: the extra anchor at sqrt(s_i*s_{i+1}) */
} sc_ssd_anchor_cfg;

/* The configuration used by ssd_mobilenet_v1_coco (and ssdlite_mobilenet_v2_coco). */
void sc_ssd_anchor_cfg_default(sc_ssd_anchor_cfg *cfg);

/* Anchors per cell on map i (3 on the first map when reduced, else n_ratios + 1). */
int sc_ssd_anchors_per_cell(const sc_ssd_anchor_cfg *cfg, int map_index);

/* Generates anchors for feature maps of fm_h[i]×fm_w[i] cells, in the order the TF graph
 * concatenates them: map by map, row by row, column by column, anchor kind fastest.
 * Writes at most `cap` anchors; *n_out receives the total needed. SC_E_RANGE if cap is
 * too small, SC_E_INVAL for bad sizes. */
sc_status sc_ssd_anchors_generate(const sc_ssd_anchor_cfg *cfg, const int *fm_h, const int *fm_w,
                                  sc_anchor *out, int cap, int *n_out);

typedef struct sc_ssd_pp_cfg {
    int num_classes;            /* without background (90 for COCO) */
    int max_detections;         /* from the model file (10) */
    float score_threshold;      /* nms_score_threshold */
    float iou_threshold;        /* nms_iou_threshold */
    float y_scale, x_scale, h_scale, w_scale;   /* 10, 10, 5, 5 */
} sc_ssd_pp_cfg;

typedef struct sc_ssd_pp sc_ssd_pp;

/* Scratch for up to n_anchors anchors is allocated here, once; run allocates nothing. */
sc_status sc_ssd_pp_create(const sc_ssd_pp_cfg *cfg, int n_anchors, sc_ssd_pp **out);
void sc_ssd_pp_destroy(sc_ssd_pp *pp);

/* The post-process. box_enc: [n_anchors][4] (ty, tx, th, tw) already dequantised;
 * scores: [n_anchors][score_stride] with class c (0-based, no background) at index
 * c + class_offset (class_offset = 1 when column 0 is background); already dequantised
 * (after the logistic). Decodes boxes against `anchors`, takes each anchor's best class,
 * keeps scores > score_threshold, greedy NMS (IoU > iou_threshold suppresses) over the
 * anchors in decreasing score order, writes at most min(max_detections, cap) detections in
 * decreasing score order and returns how many. */
int sc_ssd_pp_run(sc_ssd_pp *pp, const float *box_enc, const float *scores, int score_stride,
                  int class_offset, const sc_anchor *anchors, int n_anchors,
                  sc_det *out, int cap);

/* Intersection over union of two boxes (0 when either has no area). */
float sc_ssd_iou(const sc_det *a, const sc_det *b);

#endif
