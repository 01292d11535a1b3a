/* models/mobilenet.c — the MobileNetV1 layer list and its cost (see mobilenet.h). */
#include "models/mobilenet.h"

#include <string.h>

#include "core/log.h"

/* Paper Table 1: (stride of the depthwise layer, filters of the pointwise layer) per block. */
static const struct { int stride, filters; } v1_blocks[SC_MOBILENET_N_BLOCKS] = {
    { 1, 64 }, { 2, 128 }, { 1, 128 }, { 2, 256 }, { 1, 256 }, { 2, 512 },
    { 1, 512 }, { 1, 512 }, { 1, 512 }, { 1, 512 }, { 1, 512 },
    { 2, 1024 }, { 1, 1024 },
};
#define V1_FIRST_FILTERS 32

void sc_mobilenet_cfg_default(sc_mobilenet_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->alpha = 1.0;
    cfg->in_h = cfg->in_w = 224;
    cfg->in_c = 3;
    cfg->n_classes = 1000;
    cfg->full_conv = 0;
}

int sc_mobilenet_channels(double alpha, int n)
{
    SC_ASSERT(alpha > 0 && alpha <= SC_MOBILENET_MAX_ALPHA);
    /* TF-slim: max(int(d * depth_multiplier), min_depth); the product in double, truncated,
     * so a given α gives the same channels as the Python code. */
    int c = (int)((double)n * alpha);
    return c < SC_MOBILENET_MIN_DEPTH ? SC_MOBILENET_MIN_DEPTH : c;
}

void sc_mobilenet_layer_cost(sc_mn_layer *l)
{
    const int64_t k2 = (int64_t)l->k * l->k;
    const int64_t out_hw = (int64_t)l->out.h * l->out.w;
    const int64_t cin = l->in.c, cout = l->out.c;
    switch (l->op) {
    case SC_MN_CONV3X3:
    case SC_MN_CONV1X1:
        l->params = k2 * cin * cout;
        l->mult_adds = out_hw * k2 * cin * cout;
        l->biases = cout;
        break;
    case SC_MN_DW3X3:
        l->params = k2 * cin;
        l->mult_adds = out_hw * k2 * cin;
        l->biases = cin;
        break;
    case SC_MN_FC:
        l->params = cin * cout;
        l->mult_adds = cin * cout;
        l->biases = cout;
        break;
    case SC_MN_AVGPOOL:
    case SC_MN_SOFTMAX:
    case SC_MN_N_OPS:
        l->params = l->mult_adds = l->biases = 0;
        break;
    }
}

static int out_size(int in, int stride)
{
    return (in + stride - 1) / stride;   /* TF SAME padding */
}

/* Appends a layer reading `in` and returns a pointer to it (its out shape is set). */
static sc_mn_layer *add_layer(sc_mobilenet *net, sc_mn_op op, int k, int stride, int block,
                              sc_mn_shape in, int out_c)
{
    SC_ASSERT(net->n_layers < SC_MOBILENET_MAX_LAYERS);
    sc_mn_layer *l = &net->layers[net->n_layers++];
    l->op = op;
    l->k = k;
    l->stride = stride;
    l->block = block;
    l->in = in;
    l->out.h = out_size(in.h, stride);
    l->out.w = out_size(in.w, stride);
    l->out.c = out_c;
    if (op == SC_MN_AVGPOOL) l->out.h = l->out.w = 1;
    sc_mobilenet_layer_cost(l);
    return l;
}

static sc_status check_cfg(const sc_mobilenet_cfg *cfg)
{
    if (!(cfg->alpha > 0 && cfg->alpha <= SC_MOBILENET_MAX_ALPHA)) {
        sc_log_error("mobilenet: width multiplier %g is not in (0, %g]", cfg->alpha,
                     SC_MOBILENET_MAX_ALPHA);
        return SC_E_INVAL;
    }
    if (cfg->in_h < 1 || cfg->in_h > SC_MOBILENET_MAX_SIZE ||
        cfg->in_w < 1 || cfg->in_w > SC_MOBILENET_MAX_SIZE) {
        sc_log_error("mobilenet: input size %dx%d is not in 1..%d", cfg->in_h, cfg->in_w,
                     SC_MOBILENET_MAX_SIZE);
        return SC_E_INVAL;
    }
    if (cfg->in_c < 1 || cfg->in_c > 64) {
        sc_log_error("mobilenet: %d input channels is not in 1..64", cfg->in_c);
        return SC_E_INVAL;
    }
    if (cfg->n_classes < 1 || cfg->n_classes > SC_MOBILENET_MAX_CLASSES) {
        sc_log_error("mobilenet: %d classes is not in 1..%d", cfg->n_classes,
                     SC_MOBILENET_MAX_CLASSES);
        return SC_E_INVAL;
    }
    return SC_OK;
}

sc_status sc_mobilenet_v1_init(sc_mobilenet *net, const sc_mobilenet_cfg *cfg)
{
    memset(net, 0, sizeof(*net));
    sc_status st = check_cfg(cfg);
    if (st != SC_OK) return st;
    net->cfg = *cfg;

    const double a = cfg->alpha;
    sc_mn_shape x = { cfg->in_h, cfg->in_w, cfg->in_c };
    x = add_layer(net, SC_MN_CONV3X3, 3, 2, 0, x, sc_mobilenet_channels(a, V1_FIRST_FILTERS))->out;
    for (int b = 0; b < SC_MOBILENET_N_BLOCKS; b++) {
        const int s = v1_blocks[b].stride, n = sc_mobilenet_channels(a, v1_blocks[b].filters);
        if (cfg->full_conv) {
            x = add_layer(net, SC_MN_CONV3X3, 3, s, b + 1, x, n)->out;
        } else {
            x = add_layer(net, SC_MN_DW3X3, 3, s, b + 1, x, x.c)->out;
            x = add_layer(net, SC_MN_CONV1X1, 1, 1, b + 1, x, n)->out;
        }
    }
    const int cls = SC_MOBILENET_N_BLOCKS + 1;
    x = add_layer(net, SC_MN_AVGPOOL, 0, 1, cls, x, x.c)->out;
    x = add_layer(net, SC_MN_FC, 1, 1, cls, x, cfg->n_classes)->out;
    add_layer(net, SC_MN_SOFTMAX, 0, 1, cls, x, x.c);
    return SC_OK;
}

void sc_mobilenet_stats_compute(const sc_mobilenet *net, sc_mobilenet_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (int i = 0; i < net->n_layers; i++) {
        const sc_mn_layer *l = &net->layers[i];
        SC_ASSERT((unsigned)l->op < SC_MN_N_OPS);
        st->mult_adds += l->mult_adds;
        st->params += l->params;
        st->biases += l->biases;
        st->op_mult_adds[l->op] += l->mult_adds;
        st->op_params[l->op] += l->params;
    }
}

const char *sc_mobilenet_op_name(sc_mn_op op)
{
    switch (op) {
    case SC_MN_CONV3X3: return "conv 3x3";
    case SC_MN_DW3X3: return "dw 3x3";
    case SC_MN_CONV1X1: return "conv 1x1";
    case SC_MN_AVGPOOL: return "avg pool";
    case SC_MN_FC: return "fc";
    case SC_MN_SOFTMAX: return "softmax";
    case SC_MN_N_OPS: break;
    }
    return "?";
}
