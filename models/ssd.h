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
    float ratios[8];            /* 1, 2, 0.5, 3, 0.3333 (as the pipeline config writes 1/3) */
    int reduce_boxes_in_lowest_layer;   /* 1: first map gets (0.1,1), (0.2,2), (0.2,0.5) */
    float interpolated_scale_aspect_ratio;  /* 1.0: the extra anchor at sqrt(s_i*s_{i+1}) */
} sc_ssd_anchor_cfg;

/* The configuration used by ssd_mobilenet_v1_coco (and ssdlite_mobilenet_v2_coco). */
void sc_ssd_anchor_cfg_default(sc_ssd_anchor_cfg *cfg);

/* Anchors per cell on map i (3 on the first map when reduced, else n_ratios, plus 1 when
 * interpolated_scale_aspect_ratio > 0); 0 for a map index outside 0..n_maps-1. */
int sc_ssd_anchors_per_cell(const sc_ssd_anchor_cfg *cfg, int map_index);

/* Feature-map sizes MobileNet(V1/V2)-SSD produces for an in_h×in_w input: every stride-2
 * layer uses TF "SAME" padding, out = ceil(in / 2); the first SSD map is the stride-16 map,
 * the second the stride-32 map, then n_maps - 2 extra maps each halving again
 * (300 → 19, 10, 5, 3, 2, 1). SC_E_INVAL for sizes < 1 or n_maps outside 2..SC_SSD_MAX_MAPS. */
sc_status sc_ssd_feature_map_sizes(int in_h, int in_w, int n_maps, int *fm_h, int *fm_w);

/* Generates anchors for feature maps of fm_h[i]×fm_w[i] cells, in the order the TF graph
 * concatenates them: map by map, row by row, column by column, anchor kind fastest.
 * Writes at most `cap` anchors; *n_out receives the total needed. SC_E_RANGE if cap is
 * too small (nothing written then; out may be NULL with cap 0 to ask for the count),
 * SC_E_INVAL for bad sizes or settings (n_maps must be 2..SC_SSD_MAX_MAPS, since the scale
 * formula s_i = min + (max - min)·i/(n_maps - 1) needs two maps).
 *
 * The rules (TF OD API create_ssd_anchors + MultipleGridAnchorGenerator, default strides and
 * offsets, no clipping): on map i, cell (y, x) is centred at ((y + 0.5)/fm_h, (x + 0.5)/fm_w);
 * each anchor kind (scale s, ratio r) has h = s/sqrt(r), w = s·sqrt(r). Kinds per cell, in
 * order: one per ratio at s_i, then (when interpolated_scale_aspect_ratio > 0) one at
 * sqrt(s_i·s_{i+1}) with that ratio, s_{n_maps} = 1. The reduced lowest layer is
 * (0.1, 1), (s_0, 2), (s_0, 0.5). base_anchor_size is 1×1, i.e. the network input is
 * assumed square (as 300·ρ is); sizes may exceed 1 (the 1×1 map's ratio-3 anchor is 1.65
 * wide). Computed in double, stored as float. */
sc_status sc_ssd_anchors_generate(const sc_ssd_anchor_cfg *cfg, const int *fm_h, const int *fm_w,
                                  sc_anchor *out, int cap, int *n_out);

/* Snaps every anchor value to the uint8 grid a model file stores anchors on:
 * q = clamp(round(v / scale) + zero_point, 0, 255), v = ((float)q - zero_point) · scale, the
 * dequantisation TFLite applies. Generated anchors then equal what TFLite decodes against:
 * at 300×300 they are bit for bit the dequantised anchor tensor of detect.tflite (checked by
 * tests/model/test_anchors.c), while raw generated anchors differ by up to half a step
 * (0.0032). scale must be > 0. */
void sc_ssd_anchors_quantize(sc_anchor *anchors, int n, float scale, int32_t zero_point);

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
 * keeps scores >= score_threshold (TFLite's SelectDetectionsAboveScoreThreshold uses >=),
 * greedy NMS (IoU > iou_threshold suppresses) over the anchors in decreasing score order,
 * writes at most min(max_detections, cap) detections in decreasing score order and returns
 * how many.
 *
 * Matching TFLite exactly (tensorflow/lite/kernels/detection_postprocess.cc):
 * - best class: the first maximum (lowest class index wins a tie, like ArgMaxVector);
 * - order: decreasing score, ties broken by the lower anchor index (TFLite's stable_sort
 *   over the anchors in index order), so the result is fully deterministic;
 * - only selected boxes suppress later ones; a box with zero or negative area never
 *   suppresses and is never suppressed (IoU 0);
 * - decode in double, rounded to float, then corners = centre ± half size in float.
 * Boxes are decoded lazily, only those popped from a heap of the candidates (built in O(n)),
 * so the cost is one pass over the scores plus O(log n) per box NMS visits. Measured: about
 * 35 µs for 1917 anchors × 91 columns at threshold 1e-8 (x86-64, gcc -O2). `out` must not
 * overlap the inputs.
 * Programmer errors (n_anchors above the create() capacity, score_stride too small) assert.
 * Not thread-safe on one sc_ssd_pp (it owns scratch); separate objects are independent. */
int sc_ssd_pp_run(sc_ssd_pp *pp, const float *box_enc, const float *scores, int score_stride,
                  int class_offset, const sc_anchor *anchors, int n_anchors,
                  sc_det *out, int cap);

/* Intersection over union of two boxes (0 when either has no area). */
float sc_ssd_iou(const sc_det *a, const sc_det *b);

#endif
