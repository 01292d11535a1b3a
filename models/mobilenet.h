/* models/mobilenet.h — MobileNetV1 as plain data: the layer list of Howard et al. 2017,
 * "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications"
 * (arXiv:1704.04861), Table 1, for any width multiplier α and input size, with each layer's
 * shapes, parameter count and mult-adds counted the way the paper counts them.
 *
 * Nothing here allocates or holds weights: an sc_mobilenet is a fixed-size value in the
 * caller's storage. `ssdcam info` prints it; benchmarks build random-weight networks from it.
 *
 * Architecture (Table 1, α = 1, 224×224 input):
 *   conv 3×3 s2, 32 filters                                   → 112×112×32
 *   13 depthwise separable blocks, each dw 3×3 (stride s) + pw 1×1 (N filters):
 *     (s, N) = (1,64) (2,128) (1,128) (2,256) (1,256) (2,512) (1,512)×5 (2,1024) (1,1024)
 *                                                               → 7×7×1024
 *   global average pool → 1×1×1024, fully connected → n_classes, softmax.
 * Spatial sizes follow TF "SAME" padding: out = ceil(in / stride) (= pad 1 for 3×3 kernels).
 *
 * Channels under a width multiplier follow TF-slim's mobilenet_v1 (the reference code of the
 * paper): N' = max(trunc(α·N), 8), the same for every convolution (also in the full-conv
 * variant). For α ∈ {1, 0.75, 0.5, 0.25} α·N is an integer for every layer, so rounding only
 * matters for other α.
 *
 * Counting (the paper's, §3.1–3.3; it ignores batch norm):
 *   params    = weights only: k·k·Cin·Cout (conv), k·k·C (depthwise), Cin·Cout (1×1 conv, FC).
 *               No biases: with these the paper's 4.2 M (exactly 4,209,088) and its shares
 *               by layer type (74.59 % 1×1, 24.33 % FC) come out; with biases they do not
 *               (4,221,032; 74.52 %, 24.35 %). The bias count a BN-folded inference model
 *               carries (one per output channel) is kept apart in `biases`.
 *   mult-adds = DF·DF·Dk·Dk·M·N for a full conv, DF·DF·Dk·Dk·M for depthwise, DF·DF·M·N for
 *               1×1 and M·N for FC, DF being the OUTPUT size (paper eq. 1–4). Average pool
 *               and softmax count 0 (they have no multiply-accumulate), as in the paper's
 *               totals. 1.0 MobileNet-224: 568,740,352 (the paper's 569 M).
 *
 * All functions are pure and thread-safe. */
#ifndef SC_MODELS_MOBILENET_H
#define SC_MODELS_MOBILENET_H

#include <stdint.h>

#include "core/base.h"

/* Layer operation. The values index sc_mobilenet_stats.op_* arrays. */
typedef enum sc_mn_op {
    SC_MN_CONV3X3 = 0,   /* full 3×3 convolution (the first layer; every block in the full variant) */
    SC_MN_DW3X3,         /* depthwise 3×3 convolution, one filter per channel */
    SC_MN_CONV1X1,       /* pointwise 1×1 convolution */
    SC_MN_AVGPOOL,       /* global average pool: in.h × in.w → 1×1 */
    SC_MN_FC,            /* fully connected, input 1×1×C */
    SC_MN_SOFTMAX,
    SC_MN_N_OPS
} sc_mn_op;

typedef struct sc_mn_shape { int h, w, c; } sc_mn_shape;

typedef struct sc_mn_layer {
    sc_mn_op op;
    int k;               /* kernel size: 3 (conv 3×3, dw 3×3), 1 (conv 1×1, FC), 0 (pool, softmax) */
    int stride;          /* 1 or 2 (1 for pool, FC, softmax) */
    int block;           /* 0 = first conv, 1..13 = separable block (its dw and pw, or the one full
                          * conv replacing them), 14 = classifier (pool, FC, softmax) */
    sc_mn_shape in, out;
    int64_t params;      /* weights (see the counting note above) */
    int64_t biases;      /* one per output channel for conv/dw/FC, not part of params */
    int64_t mult_adds;
} sc_mn_layer;

#define SC_MOBILENET_N_BLOCKS 13
#define SC_MOBILENET_MIN_DEPTH 8
#define SC_MOBILENET_MAX_LAYERS (1 + 2 * SC_MOBILENET_N_BLOCKS + 3)

/* Limits checked by sc_mobilenet_v1_init (beyond them the figures would be meaningless). */
#define SC_MOBILENET_MAX_ALPHA 16.0
#define SC_MOBILENET_MAX_SIZE 16384
#define SC_MOBILENET_MAX_CLASSES 1000000

typedef struct sc_mobilenet_cfg {
    double alpha;        /* width multiplier, 0 < alpha <= SC_MOBILENET_MAX_ALPHA */
    int in_h, in_w;      /* input size (ρ·224 for the paper's resolution multiplier), 1..MAX_SIZE */
    int in_c;            /* input channels (3), 1..64 */
    int n_classes;       /* outputs of the FC layer (1000 for ImageNet) */
    int full_conv;       /* 1: each dw 3×3 + pw 1×1 pair is one full 3×3 conv (paper Table 4) */
} sc_mobilenet_cfg;

typedef struct sc_mobilenet {
    sc_mobilenet_cfg cfg;
    int n_layers;        /* 30 separable (1 + 2·13 + 3), 17 full-conv (1 + 13 + 3) */
    sc_mn_layer layers[SC_MOBILENET_MAX_LAYERS];
} sc_mobilenet;

typedef struct sc_mobilenet_stats {
    int64_t mult_adds, params, biases;           /* sums over all layers */
    int64_t op_mult_adds[SC_MN_N_OPS];           /* per sc_mn_op */
    int64_t op_params[SC_MN_N_OPS];
} sc_mobilenet_stats;

/* 1.0 MobileNet-224: alpha 1, 224×224×3 input, 1000 classes, depthwise separable. */
void sc_mobilenet_cfg_default(sc_mobilenet_cfg *cfg);

/* Fills *net with the layer list for cfg (copied into net->cfg). SC_E_INVAL, with one logged
 * line naming the field, when a cfg value is out of range; *net is then zeroed. */
sc_status sc_mobilenet_v1_init(sc_mobilenet *net, const sc_mobilenet_cfg *cfg);

/* Channels of a layer with n filters at α = 1, under width multiplier alpha (TF-slim rule,
 * see above). alpha must be in range (0, SC_MOBILENET_MAX_ALPHA]. */
int sc_mobilenet_channels(double alpha, int n);

/* Fills params, biases and mult_adds of *l from its op, k, in and out (out.h/out.w are taken
 * as they are, so this prices any single layer, e.g. the paper's Table 3 example). */
void sc_mobilenet_layer_cost(sc_mn_layer *l);

/* Sums net's layers. */
void sc_mobilenet_stats_compute(const sc_mobilenet *net, sc_mobilenet_stats *st);

/* Short ASCII name: "conv 3x3", "dw 3x3", "conv 1x1", "avg pool", "fc", "softmax". */
const char *sc_mobilenet_op_name(sc_mn_op op);

#endif
