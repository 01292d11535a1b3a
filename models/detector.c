/* models/detector.c — .tflite graph → sc_net, and the SSD post-process around it. */
#include "models/detector.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/nn/net.h"
#include "core/pool.h"
#include "models/tflite.h"

struct sc_detector {
    sc_net *net;
    sc_pool *pool;
    sc_kernels kernels;
    int use_float;
    int input_size;
    int in_tensor;               /* our tensor ids */
    int box_tensor, score_tensor;
    float in_scale;              /* model input quantisation (for the float path) */
    int32_t in_zp;
    sc_image input;              /* uint8 path: a view of the net's input tensor */
    float *box_f, *score_f;      /* dequantised outputs */
    int n_anchors, n_classes, score_stride;
    sc_anchor *anchors;
    sc_ssd_pp *pp;
    int max_detections;
};

typedef struct builder {
    const sc_tflite_model *m;
    sc_net *net;
    const sc_kernels *kernels;   /* the table the net will run with: picks packed layouts */
    int use_float;
    int *map;                    /* tflite tensor index → our tensor id (-1) */
    char *err;
    size_t errlen;
    const char *path;
    /* TFLite_Detection_PostProcess */
    int pp_op;
    /* feature maps found feeding the box-encodings concatenation */
    int n_maps, fm_h[SC_SSD_MAX_MAPS], fm_w[SC_SSD_MAX_MAPS], fm_anchors[SC_SSD_MAX_MAPS];
} builder;

static sc_status fail(builder *b, sc_status st, int op_index, const char *fmt, ...) SC_PRINTF(4, 5);

static sc_status fail(builder *b, sc_status st, int op_index, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (op_index >= 0)
        snprintf(b->err, b->errlen, "%s: operator %d (%s): %s", b->path, op_index,
                 b->m->ops[op_index].op_name, msg);
    else
        snprintf(b->err, b->errlen, "%s: %s", b->path, msg);
    return st;
}

/* A uint8 tensor with its per-tensor quantisation; its zero point must be a uint8 value too (the
 * kernels' integer arithmetic relies on it, and TFLite requires it). */
static int is_quant_u8(const sc_tfl_tensor *t)
{
    return t->type == SC_TFL_UINT8 && t->quantized && t->zero_point >= 0 && t->zero_point <= 255;
}

/* The activation's clamp in the output's quantised domain, intersected with [0, 255]. */
static void act_range_u8(int act, float scale, int32_t zp, int32_t *lo, int32_t *hi)
{
    int32_t a = 0, z = 255;
    int32_t q0 = zp, q6 = zp + (int32_t)lroundf(6.0f / scale), qm1 = zp + (int32_t)lroundf(-1.0f / scale),
            q1 = zp + (int32_t)lroundf(1.0f / scale);
    if (act == SC_TFL_ACT_RELU) { a = SC_MAX(a, q0); }
    else if (act == SC_TFL_ACT_RELU6) { a = SC_MAX(a, q0); z = SC_MIN(z, q6); }
    else if (act == SC_TFL_ACT_RELU_N1_TO_1) { a = SC_MAX(a, qm1); z = SC_MIN(z, q1); }
    *lo = a;
    *hi = z;
}

/* Float clamp: the fused activation, and for a dequantised uint8 model also the output
 * tensor's representable range (which is how the quantised model realises ReLU6). */
static void act_range_f32(int act, const sc_tfl_tensor *out, float *lo, float *hi)
{
    float a = -INFINITY, z = INFINITY;
    if (act == SC_TFL_ACT_RELU) a = 0;
    else if (act == SC_TFL_ACT_RELU6) { a = 0; z = 6; }
    else if (act == SC_TFL_ACT_RELU_N1_TO_1) { a = -1; z = 1; }
    if (is_quant_u8(out)) {
        a = fmaxf(a, out->scale * (float)(0 - out->zero_point));
        z = fminf(z, out->scale * (float)(255 - out->zero_point));
    }
    *lo = a;
    *hi = z;
}

/* A requantisation multiplier our fixed-point form can hold (shift <= 30), from positive,
 * finite scales: anything else comes from a corrupt file. */
static int valid_multiplier(double real) { return isfinite(real) && real > 1e-30 && real < 1e9; }

static int new_tensor(builder *b, int tfl_index, int h, int w, int c)
{
    const sc_tfl_tensor *src = &b->m->tensors[tfl_index];
    sc_nn_tensor t;
    memset(&t, 0, sizeof(t));
    t.dt = (b->use_float || !is_quant_u8(src)) ? SC_DT_F32 : SC_DT_U8;
    t.h = h;
    t.w = w;
    t.c = c;
    t.scale = src->scale;
    t.zp = src->zero_point;
    t.alias_of = -1;
    snprintf(t.name, sizeof(t.name), "%s", src->name);
    int id = sc_net_add_tensor(b->net, &t);
    if (id >= 0) b->map[tfl_index] = id;
    return id;
}

/* An operator input that must be an activation we already produced. */
static sc_status act_input(builder *b, int op, int k, int *id)
{
    const sc_tfl_op *o = &b->m->ops[op];
    if (k >= o->n_inputs || o->inputs[k] < 0)
        return fail(b, SC_E_FORMAT, op, "input %d is missing", k);
    int t = o->inputs[k];
    if (b->map[t] < 0)
        return fail(b, SC_E_UNSUPPORTED, op, "input %d (tensor %d '%s') is not produced by an earlier operator",
                    k, t, b->m->tensors[t].name);
    *id = b->map[t];
    return SC_OK;
}

static const sc_tfl_tensor *const_input(builder *b, int op, int k)
{
    const sc_tfl_op *o = &b->m->ops[op];
    if (k >= o->n_inputs || o->inputs[k] < 0) return NULL;
    const sc_tfl_tensor *t = &b->m->tensors[o->inputs[k]];
    return t->data ? t : NULL;
}

/* A layer computes in one type, its output's, and its kernel reads the inputs in it too. A
 * tensor of the other type there (a corrupt or mixed file: a float tensor reshaped into a uint8
 * one, a quantised output of a float convolution) would be read or written past its end, as
 * tests/fuzz/fuzz_tflite.c found; such graphs are refused. */
static sc_status same_dt(builder *b, int op, int id, sc_dtype want)
{
    const sc_nn_tensor *t = sc_net_tensor(b->net, id);
    if (t->dt == want) return SC_OK;
    return fail(b, SC_E_UNSUPPORTED, op, "tensor '%s' is %s where the layer computes in %s", t->name,
                t->dt == SC_DT_F32 ? "float32" : "uint8", want == SC_DT_F32 ? "float32" : "uint8");
}

static int conv_out(int in, int k, int stride, int dil, int padding, int *pad_before)
{
    int eff = (k - 1) * dil + 1, out;
    if (padding == SC_TFL_PAD_SAME) out = (in + stride - 1) / stride;
    else out = (in - eff + stride) / stride;
    int total = (out - 1) * stride + eff - in;
    *pad_before = padding == SC_TFL_PAD_SAME && total > 0 ? total / 2 : 0;
    return out;
}

static sc_status build_conv(builder *b, int op, int depthwise)
{
    const sc_tfl_op *o = &b->m->ops[op];
    int x = -1;
    sc_status st = act_input(b, op, 0, &x);
    if (st) return st;
    const sc_tfl_tensor *wt = const_input(b, op, 1), *bt = const_input(b, op, 2);
    const sc_tfl_tensor *ot = &b->m->tensors[o->outputs[0]];
    const sc_tfl_tensor *it = &b->m->tensors[o->inputs[0]];
    if (!wt || wt->n_dims != 4)
        return fail(b, SC_E_UNSUPPORTED, op, "the filter (input 1) must be a constant 4-D tensor");
    sc_nn_tensor in = *sc_net_tensor(b->net, x);
    int oc = wt->dims[0], kh = wt->dims[1], kw = wt->dims[2], ic = wt->dims[3];
    if (depthwise) {
        oc = wt->dims[3];
        ic = oc;
        if (wt->dims[0] != 1 || oc != in.c || o->depth_multiplier > 1)
            return fail(b, SC_E_UNSUPPORTED, op, "depth multiplier other than 1 (filter [%d,%d,%d,%d], input %d channels)",
                        wt->dims[0], wt->dims[1], wt->dims[2], wt->dims[3], in.c);
    } else if (ic != in.c) {
        return fail(b, SC_E_FORMAT, op, "filter has %d input channels, input tensor has %d", ic, in.c);
    }
    if (kh < 1 || kw < 1 || kh > 16 || kw > 16 || o->stride_h < 1 || o->stride_w < 1 ||
        o->stride_h > 8 || o->stride_w > 8 || o->dilation_h < 1 || o->dilation_w < 1)
        return fail(b, SC_E_UNSUPPORTED, op, "kernel %dx%d, stride %dx%d, dilation %dx%d", kh, kw,
                    o->stride_h, o->stride_w, o->dilation_h, o->dilation_w);
    if (bt && (bt->n_dims != 1 || bt->dims[0] != oc))
        return fail(b, SC_E_FORMAT, op, "bias (input 2) has %d elements, expected %d",
                    bt->n_dims ? bt->dims[0] : 1, oc);
    int quant = !b->use_float;
    if (quant && (!is_quant_u8(it) || !is_quant_u8(wt) || !is_quant_u8(ot) || (bt && bt->type != SC_TFL_INT32)))
        quant = 0;
    if (!quant && !b->use_float && (wt->type == SC_TFL_UINT8 || it->type == SC_TFL_UINT8))
        return fail(b, SC_E_UNSUPPORTED, op, "mixed or non-per-tensor quantisation (input type %d, filter type %d)",
                    it->type, wt->type);
    if (wt->type != SC_TFL_UINT8 && wt->type != SC_TFL_FLOAT32)
        return fail(b, SC_E_UNSUPPORTED, op, "filter type %d (only uint8 and float32)", wt->type);
    if ((st = same_dt(b, op, x, quant ? SC_DT_U8 : SC_DT_F32))) return st;

    sc_nn_layer *l = sc_net_add_layer(b->net);
    if (!l) return fail(b, SC_E_NOMEM, op, "too many layers");
    l->type = depthwise ? SC_L_DWCONV : SC_L_CONV;
    l->src_index = op;
    sc_conv_shape *s = &l->shape;
    s->in_h = in.h; s->in_w = in.w; s->in_c = in.c;
    s->k_h = kh; s->k_w = kw;
    s->stride_h = o->stride_h; s->stride_w = o->stride_w;
    s->dil_h = o->dilation_h; s->dil_w = o->dilation_w;
    s->out_h = conv_out(in.h, kh, s->stride_h, s->dil_h, o->padding, &s->pad_top);
    s->out_w = conv_out(in.w, kw, s->stride_w, s->dil_w, o->padding, &s->pad_left);
    s->out_c = oc;
    if (s->out_h < 1 || s->out_w < 1)
        return fail(b, SC_E_INVAL, op, "input %dx%d is too small for this layer", in.w, in.h);
    l->n_in = 1;
    l->in[0] = x;
    int y = new_tensor(b, o->outputs[0], s->out_h, s->out_w, oc);
    if (y < 0) return fail(b, SC_E_NOMEM, op, "too many tensors");
    l->out = y;
    if ((st = same_dt(b, op, y, quant ? SC_DT_U8 : SC_DT_F32))) return st;
    size_t n_w = (size_t)oc * kh * kw * (depthwise ? 1 : ic);
    l->macs = (int64_t)s->out_h * s->out_w * (int64_t)n_w;
    l->params = (int64_t)n_w + (bt ? oc : 0);

    if (quant) {
        uint8_t *w = sc_net_alloc(b->net, n_w);
        int32_t *bias = sc_net_alloc(b->net, (size_t)oc * sizeof(int32_t));
        if (!w || !bias) return fail(b, SC_E_NOMEM, op, "out of memory for weights");
        memcpy(w, wt->data, n_w);
        if (bt) memcpy(bias, bt->data, (size_t)oc * sizeof(int32_t));
        /* The kernels accumulate in int32: bias + taps × 255 × 255 at most (zero points are
         * uint8), which must fit, or the sum overflows (found by fuzz_tflite.c with a bias of
         * INT32_MIN; real models stay far below: 1024 taps give 6.7e7). */
        int64_t max_bias = 0;
        for (int i = 0; bt && i < oc; i++) max_bias = SC_MAX(max_bias, bias[i] < 0 ? -(int64_t)bias[i] : (int64_t)bias[i]);
        if (max_bias + (int64_t)(n_w / (size_t)oc) * 255 * 255 > INT32_MAX)
            return fail(b, SC_E_UNSUPPORTED, op, "bias %lld with %zu taps could overflow the int32 accumulator",
                        (long long)max_bias, n_w / (size_t)oc);
        l->w = w;
        l->bias = bias;
        l->q.in_zp = it->zero_point;
        l->q.w_zp = wt->zero_point;
        l->q.out_zp = ot->zero_point;
        /* As TFLite: the input·filter scale product in float, the division in double. */
        double real = (double)(it->scale * wt->scale) / (double)ot->scale;
        if (!valid_multiplier(real))
            return fail(b, SC_E_FORMAT, op, "requantisation scale %g (input %g × filter %g / output %g) is out of range",
                        real, it->scale, wt->scale, ot->scale);
        sc_quantize_multiplier(real, &l->q.mult, &l->q.shift);
        act_range_u8(o->activation, ot->scale, ot->zero_point, &l->q.act_min, &l->q.act_max);
    } else {
        float *w = sc_net_alloc(b->net, n_w * sizeof(float));
        float *bias = sc_net_alloc(b->net, (size_t)oc * sizeof(float));
        if (!w || !bias) return fail(b, SC_E_NOMEM, op, "out of memory for weights");
        for (size_t i = 0; i < n_w; i++)
            w[i] = wt->type == SC_TFL_UINT8 ? wt->scale * (float)((int32_t)wt->data[i] - wt->zero_point)
                                            : ((const float *)(const void *)wt->data)[i];
        if (bt)
            for (int i = 0; i < oc; i++) {
                if (bt->type == SC_TFL_INT32) {
                    int32_t v;
                    memcpy(&v, bt->data + 4 * (size_t)i, 4);
                    bias[i] = (float)v * it->scale * wt->scale;
                } else {
                    memcpy(&bias[i], bt->data + 4 * (size_t)i, 4);
                }
            }
        l->w = w;
        l->bias = bias;
        act_range_f32(o->activation, ot, &l->act_min, &l->act_max);
    }
    if ((st = sc_net_pack_conv(b->net, l, b->kernels)))
        return fail(b, st, op, "out of memory for packed weights");
    return SC_OK;
}

static sc_status build_reshape(builder *b, int op)
{
    const sc_tfl_op *o = &b->m->ops[op];
    int x;
    sc_status st = act_input(b, op, 0, &x);
    if (st) return st;
    const sc_tfl_tensor *ot = &b->m->tensors[o->outputs[0]];
    sc_nn_tensor in = *sc_net_tensor(b->net, x);
    size_t elems = sc_nn_tensor_elems(&in);
    /* The file's shape fits its own input size only: keep every dimension after the first
     * non-batch one and infer that one from the element count, i.e. read [1, N, ...] as
     * [1, -1, ...]. Our (h, w, c) view of a shape: rank 4 [1,a,b,c] is (a,b,c), rank 3
     * [1,n,k] is (1,n,k), rank 2 [1,n] is (1,1,n) — the same mapping as concatenation. */
    int rank = ot->n_dims;
    if (rank < 2 || rank > 4 || ot->dims[0] != 1)
        return fail(b, SC_E_UNSUPPORTED, op, "reshape to a rank-%d shape (supported: [1, N, ...] of rank 2 to 4)", rank);
    size_t rest = 1;
    for (int d = 2; d < rank; d++) rest *= (size_t)(ot->dims[d] > 0 ? ot->dims[d] : 1);
    if (elems % rest)
        return fail(b, SC_E_UNSUPPORTED, op, "cannot reshape %zu elements to [1, -1, ...%zu]", elems, rest);
    int v[4] = { 1, 1, 1, 1 };
    v[1] = (int)(elems / rest);
    for (int d = 2; d < rank; d++) v[d] = ot->dims[d];
    int vh = rank == 4 ? v[1] : 1, vw = rank == 4 ? v[2] : rank == 3 ? v[1] : 1, vc = v[rank - 1];
    if (rank == 2) vc = v[1];
    sc_nn_layer *l = sc_net_add_layer(b->net);
    if (!l) return fail(b, SC_E_NOMEM, op, "too many layers");
    l->type = SC_L_RESHAPE;
    l->src_index = op;
    l->n_in = 1;
    l->in[0] = x;
    int y = new_tensor(b, o->outputs[0], vh, vw, vc);
    if (y < 0) return fail(b, SC_E_NOMEM, op, "too many tensors");
    sc_nn_tensor *yt = sc_net_tensor(b->net, y);
    yt->alias_of = x;
    yt->dt = in.dt;
    yt->scale = in.scale;    /* TFLite requires equal quantisation across a reshape */
    yt->zp = in.zp;
    l->out = y;
    return SC_OK;
}

/* The tensor a chain of reshapes aliases, or the tensor itself. */
static int alias_root_id(sc_net *net, int id)
{
    int guard = 0;
    while (sc_net_tensor(net, id)->alias_of >= 0 && guard++ < 8) id = sc_net_tensor(net, id)->alias_of;
    return id;
}

static const sc_nn_tensor *alias_root(sc_net *net, int id) { return sc_net_tensor(net, alias_root_id(net, id)); }

static sc_status build_concat(builder *b, int op)
{
    const sc_tfl_op *o = &b->m->ops[op];
    const sc_tfl_tensor *ot = &b->m->tensors[o->outputs[0]];
    int rank = ot->n_dims, axis = o->axis;
    if (axis < 0) axis += rank;
    if (rank < 2 || rank > 4 || axis < 1 || axis >= rank || o->n_inputs < 1 || o->n_inputs > SC_NN_MAX_IN)
        return fail(b, SC_E_UNSUPPORTED, op, "axis %d of a rank-%d tensor with %d inputs", o->axis, rank, o->n_inputs);
    if (o->activation != SC_TFL_ACT_NONE)
        return fail(b, SC_E_UNSUPPORTED, op, "fused activation %d", o->activation);
    /* Our view is (h, w, c): rank 4 [1,H,W,C] maps axes 1..3 to 0..2; rank 3 [1,N,K] is
     * (1, N, K), so its axes 1..2 map to 1..2; rank 2 [1,N] is (1, 1, N). */
    int our_axis = rank == 4 ? axis - 1 : rank == 3 ? axis : 2;
    sc_nn_layer *l = sc_net_add_layer(b->net);
    if (!l) return fail(b, SC_E_NOMEM, op, "too many layers");
    l->type = SC_L_CONCAT;
    l->src_index = op;
    l->axis = our_axis;
    l->n_in = o->n_inputs;
    int dims[3] = { 0, 0, 0 };
    for (int k = 0; k < o->n_inputs; k++) {
        sc_status st = act_input(b, op, k, &l->in[k]);
        if (st) return st;
        const sc_nn_tensor *t = sc_net_tensor(b->net, l->in[k]);
        int td[3] = { t->h, t->w, t->c };
        for (int d = 0; d < 3; d++) {
            if (d == our_axis) dims[d] += td[d];
            else if (k == 0) dims[d] = td[d];
            else if (dims[d] != td[d])
                return fail(b, SC_E_FORMAT, op, "input %d has shape (%d,%d,%d), mismatching input 0 off the axis",
                            k, t->h, t->w, t->c);
        }
    }
    int y = new_tensor(b, o->outputs[0], dims[0], dims[1], dims[2]);
    if (y < 0) return fail(b, SC_E_NOMEM, op, "too many tensors");
    l->out = y;
    const sc_nn_tensor *yt = sc_net_tensor(b->net, y);
    for (int k = 0; k < o->n_inputs; k++) {
        sc_status st = same_dt(b, op, l->in[k], yt->dt);
        if (st) return st;
        /* uint8 inputs of another scale are requantised in int32 (core/nn/net.c): the ratio
         * of scales must keep 255 × ratio far inside it (fuzz_tflite.c found 1e22). */
        const sc_nn_tensor *it = sc_net_tensor(b->net, l->in[k]);
        if (yt->dt == SC_DT_U8 && !(it->scale / yt->scale <= 1e6f))
            return fail(b, SC_E_UNSUPPORTED, op, "input %d scale %g over output scale %g is out of range", k,
                        (double)it->scale, (double)yt->scale);
    }
    return SC_OK;
}

static sc_status build_logistic(builder *b, int op)
{
    const sc_tfl_op *o = &b->m->ops[op];
    int x;
    sc_status st = act_input(b, op, 0, &x);
    if (st) return st;
    sc_nn_tensor in = *sc_net_tensor(b->net, x);
    const sc_tfl_tensor *it = &b->m->tensors[o->inputs[0]], *ot = &b->m->tensors[o->outputs[0]];
    sc_nn_layer *l = sc_net_add_layer(b->net);
    if (!l) return fail(b, SC_E_NOMEM, op, "too many layers");
    l->type = SC_L_LOGISTIC;
    l->src_index = op;
    l->n_in = 1;
    l->in[0] = x;
    int y = new_tensor(b, o->outputs[0], in.h, in.w, in.c);
    if (y < 0) return fail(b, SC_E_NOMEM, op, "too many tensors");
    l->out = y;
    if ((st = same_dt(b, op, x, sc_net_tensor(b->net, y)->dt))) return st;
    if (sc_net_tensor(b->net, y)->dt == SC_DT_U8) {
        if (!is_quant_u8(it) || !is_quant_u8(ot))
            return fail(b, SC_E_UNSUPPORTED, op, "uint8 logistic needs quantised input and output");
        /* TFLite's lookup table: dequantise, sigmoid in float, round, add zero point, clamp. */
        for (int q = 0; q < 256; q++) {
            float v = it->scale * (float)(q - it->zero_point);
            float s = 1.0f / (1.0f + expf(-v));
            float f = roundf(s / ot->scale);   /* >= 0; clamped first: a tiny scale gives inf */
            int32_t r = (f > 1e6f ? 1000000 : (int32_t)f) + ot->zero_point;
            l->lut[q] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
        }
    }
    return SC_OK;
}

static sc_status build_add(builder *b, int op)
{
    const sc_tfl_op *o = &b->m->ops[op];
    int x0 = -1, x1 = -1;
    sc_status st = act_input(b, op, 0, &x0);
    if (!st) st = act_input(b, op, 1, &x1);
    if (st) return st;
    sc_nn_tensor a = *sc_net_tensor(b->net, x0), c = *sc_net_tensor(b->net, x1);
    if (a.h != c.h || a.w != c.w || a.c != c.c)
        return fail(b, SC_E_UNSUPPORTED, op, "broadcasting add (%dx%dx%d + %dx%dx%d)", a.h, a.w, a.c, c.h, c.w, c.c);
    const sc_tfl_tensor *ot = &b->m->tensors[o->outputs[0]];
    sc_nn_layer *l = sc_net_add_layer(b->net);
    if (!l) return fail(b, SC_E_NOMEM, op, "too many layers");
    l->type = SC_L_ADD;
    l->src_index = op;
    l->n_in = 2;
    l->in[0] = x0;
    l->in[1] = x1;
    int y = new_tensor(b, o->outputs[0], a.h, a.w, a.c);
    if (y < 0) return fail(b, SC_E_NOMEM, op, "too many tensors");
    l->out = y;
    if ((st = same_dt(b, op, x0, sc_net_tensor(b->net, y)->dt)) ||
        (st = same_dt(b, op, x1, sc_net_tensor(b->net, y)->dt)))
        return st;
    l->macs = (int64_t)sc_nn_tensor_elems(&a);
    if (sc_net_tensor(b->net, y)->dt == SC_DT_U8) {
        /* TFLite's uint8 ADD: inputs scaled to 2·max(scale) with a left shift of 20. */
        double twice_max = 2.0 * fmax(a.scale, c.scale);
        if (!valid_multiplier(a.scale / twice_max) || !valid_multiplier(c.scale / twice_max) ||
            !valid_multiplier(twice_max / ((1 << 20) * (double)ot->scale)))
            return fail(b, SC_E_FORMAT, op, "input or output scales out of range (%g, %g, %g)", a.scale, c.scale, ot->scale);
        sc_quantize_multiplier(a.scale / twice_max, &l->add_mult[0], &l->add_shift[0]);
        sc_quantize_multiplier(c.scale / twice_max, &l->add_mult[1], &l->add_shift[1]);
        sc_quantize_multiplier(twice_max / ((1 << 20) * (double)ot->scale), &l->add_mult[2], &l->add_shift[2]);
        act_range_u8(o->activation, ot->scale, ot->zero_point, &l->q.act_min, &l->q.act_max);
    } else {
        act_range_f32(o->activation, ot, &l->act_min, &l->act_max);
    }
    return SC_OK;
}

/* Records the feature maps whose box predictions the post-process consumes, in order. */
static sc_status find_feature_maps(builder *b)
{
    const sc_tfl_op *pp = &b->m->ops[b->pp_op];
    int box = alias_root_id(b->net, b->map[pp->inputs[0]]);
    /* The box encodings come from a concatenation of reshaped head outputs. */
    int n = sc_net_layer_count(b->net);
    for (int i = 0; i < n; i++) {
        const sc_nn_layer *l = sc_net_layer(b->net, i);
        if (l->out != box || l->type != SC_L_CONCAT) continue;
        if (l->n_in > SC_SSD_MAX_MAPS)
            return fail(b, SC_E_UNSUPPORTED, b->pp_op, "%d feature maps (at most %d)", l->n_in, SC_SSD_MAX_MAPS);
        b->n_maps = l->n_in;
        for (int k = 0; k < l->n_in; k++) {
            const sc_nn_tensor *t = alias_root(b->net, l->in[k]);
            if (t->c % 4)
                return fail(b, SC_E_UNSUPPORTED, b->pp_op, "box head %d has %d channels (not a multiple of 4)", k, t->c);
            b->fm_h[k] = t->h;
            b->fm_w[k] = t->w;
            b->fm_anchors[k] = t->c / 4;
        }
        return SC_OK;
    }
    return fail(b, SC_E_UNSUPPORTED, b->pp_op, "box encodings do not come from a concatenation of feature maps");
}

static sc_status setup_anchors(sc_detector *d, builder *b, int file_size)
{
    const sc_tfl_op *pp = &b->m->ops[b->pp_op];
    const sc_tfl_tensor *at = pp->n_inputs >= 3 && pp->inputs[2] >= 0 ? &b->m->tensors[pp->inputs[2]] : NULL;
    d->anchors = calloc((size_t)d->n_anchors, sizeof(sc_anchor));
    if (!d->anchors) return SC_E_NOMEM;
    if (d->input_size == file_size && at && at->data) {
        /* The file's own table, dequantised, at the size it was made for. */
        if (sc_tfl_tensor_elems(at) != (size_t)d->n_anchors * 4)
            return fail(b, SC_E_FORMAT, b->pp_op, "anchor tensor has %zu values, expected %d × 4",
                        sc_tfl_tensor_elems(at), d->n_anchors);
        for (int i = 0; i < d->n_anchors * 4; i++) {
            float v;
            if (at->type == SC_TFL_UINT8) v = at->scale * (float)((int32_t)at->data[i] - at->zero_point);
            else if (at->type == SC_TFL_FLOAT32) memcpy(&v, at->data + 4 * (size_t)i, 4);
            else return fail(b, SC_E_UNSUPPORTED, b->pp_op, "anchor tensor type %d", at->type);
            float *a = &d->anchors[i / 4].yc;
            a[i % 4] = v;
        }
        return SC_OK;
    }
    sc_ssd_anchor_cfg cfg;
    sc_ssd_anchor_cfg_default(&cfg);
    if (b->n_maps != cfg.n_maps)
        return fail(b, SC_E_UNSUPPORTED, b->pp_op, "%d feature maps; anchor regeneration knows the %d-map SSD layout",
                    b->n_maps, cfg.n_maps);
    for (int k = 0; k < b->n_maps; k++)
        if (b->fm_anchors[k] != sc_ssd_anchors_per_cell(&cfg, k))
            return fail(b, SC_E_UNSUPPORTED, b->pp_op, "feature map %d has %d anchors per cell, the SSD rules give %d",
                        k, b->fm_anchors[k], sc_ssd_anchors_per_cell(&cfg, k));
    int n = 0;
    sc_status st = sc_ssd_anchors_generate(&cfg, b->fm_h, b->fm_w, d->anchors, d->n_anchors, &n);
    if (st || n != d->n_anchors)
        return fail(b, st ? st : SC_E_FORMAT, b->pp_op, "generated %d anchors for %d box predictions", n, d->n_anchors);
    /* The network was trained at file_size: its box regressions are relative to an anchor's
     * size in pixels, which the convolutions see. Running it at another size (rho), keep the
     * anchors' pixel sizes (scale the normalised h and w by file_size / input_size) and put
     * their centres on the new grid. With the plain normalised rules every box shrinks by rho
     * (measured in tests/model/test_detect_cli.py; SC_ANCHORS_PLAIN=1 turns this off). */
    const char *plain = getenv("SC_ANCHORS_PLAIN");
    if (!(plain && plain[0] == '1')) {
        float k = (float)file_size / (float)d->input_size;
        for (int i = 0; i < n; i++) {
            d->anchors[i].h *= k;
            d->anchors[i].w *= k;
        }
    }
    return SC_OK;
}

/* Builds the detector from a parsed model; takes m (destroys it in every case). */
static sc_status create_from_model(const sc_detector_cfg *cfg, sc_tflite_model *m, sc_detector **out,
                                   char *err, size_t errlen)
{
    sc_status st = SC_OK;
    sc_detector *d = calloc(1, sizeof(*d));
    builder b;
    memset(&b, 0, sizeof(b));
    b.m = m;
    b.use_float = cfg->use_float;
    b.err = err;
    b.errlen = errlen;
    b.path = cfg->model_path;
    b.pp_op = -1;
    b.map = malloc(sizeof(int) * (size_t)(m->n_tensors > 0 ? m->n_tensors : 1));
    if (!d || !b.map) { st = SC_E_NOMEM; goto done; }
    for (int i = 0; i < m->n_tensors; i++) b.map[i] = -1;
    d->use_float = cfg->use_float;

    /* Input: [1, H, W, 3]. */
    if (m->n_inputs != 1) { st = fail(&b, SC_E_UNSUPPORTED, -1, "%d graph inputs (expected 1 image)", m->n_inputs); goto done; }
    const sc_tfl_tensor *it = &m->tensors[m->inputs[0]];
    if (it->n_dims != 4 || it->dims[0] != 1 || it->dims[3] != 3 || it->dims[1] != it->dims[2] ||
        (it->type != SC_TFL_UINT8 && it->type != SC_TFL_FLOAT32)) {
        st = fail(&b, SC_E_UNSUPPORTED, -1, "input tensor '%s' must be a square [1,H,W,3] uint8 or float32 image", it->name);
        goto done;
    }
    int file_size = it->dims[1];
    d->input_size = cfg->input_size > 0 ? cfg->input_size : file_size;
    if (d->input_size < 32 || d->input_size > 2048) {
        st = fail(&b, SC_E_INVAL, -1, "input size %d (32..2048)", d->input_size);
        goto done;
    }
    if (it->type == SC_TFL_UINT8 && !it->quantized) {
        st = fail(&b, SC_E_UNSUPPORTED, -1, "uint8 input without quantisation");
        goto done;
    }
    d->in_scale = it->quantized ? it->scale : 1.0f;
    d->in_zp = it->quantized ? it->zero_point : 0;
    if (it->type == SC_TFL_FLOAT32) d->use_float = b.use_float = 1;

    /* The kernels first: conv weights are packed for them as the layers are built. */
    const char *env = getenv("SC_KERNELS");
    if (cfg->force_ref || (env && !strcmp(env, "ref"))) {
        sc_kernels_init(&d->kernels, 1);
    } else if (env && *env && sc_kernels_init_isa(&d->kernels, env) == 0) {
        sc_log_info("kernels: %s (SC_KERNELS)", env);
    } else {
        if (env && *env) sc_log_warn("SC_KERNELS=%s: unknown or unsupported here, using the best available", env);
        sc_kernels_init(&d->kernels, 0);
    }
    b.kernels = &d->kernels;
    st = sc_net_create(m->n_tensors + 8, m->n_ops + 8, &d->net);
    if (st) goto done;
    b.net = d->net;
    d->in_tensor = new_tensor(&b, m->inputs[0], d->input_size, d->input_size, 3);
    if (d->in_tensor < 0) { st = SC_E_NOMEM; goto done; }

    for (int i = 0; i < m->n_ops && !st; i++) {
        const sc_tfl_op *o = &m->ops[i];
        if (o->n_outputs < 1) { st = fail(&b, SC_E_FORMAT, i, "no output"); break; }
        switch (o->builtin) {
        case SC_TFL_OP_CONV_2D: st = build_conv(&b, i, 0); break;
        case SC_TFL_OP_DEPTHWISE_CONV_2D: st = build_conv(&b, i, 1); break;
        case SC_TFL_OP_RESHAPE: st = build_reshape(&b, i); break;
        case SC_TFL_OP_CONCATENATION: st = build_concat(&b, i); break;
        case SC_TFL_OP_LOGISTIC: st = build_logistic(&b, i); break;
        case SC_TFL_OP_ADD: st = build_add(&b, i); break;
        case SC_TFL_OP_CUSTOM:
            if (strcmp(o->custom_name, "TFLite_Detection_PostProcess") != 0) {
                st = fail(&b, SC_E_UNSUPPORTED, i, "custom operator '%s' is not supported", o->custom_name);
            } else if (!o->has_postprocess || o->n_inputs < 3 || i != m->n_ops - 1) {
                st = fail(&b, SC_E_UNSUPPORTED, i, "the post-process must be the last operator, with 3 inputs and its options");
            } else {
                b.pp_op = i;
            }
            break;
        default:
            st = fail(&b, SC_E_UNSUPPORTED, i, "operator not supported by ssdcam "
                      "(supported: CONV_2D, DEPTHWISE_CONV_2D, ADD, RESHAPE, CONCATENATION, LOGISTIC, TFLite_Detection_PostProcess)");
        }
    }
    if (st) goto done;
    if (b.pp_op < 0) { st = fail(&b, SC_E_UNSUPPORTED, -1, "no TFLite_Detection_PostProcess operator: not an SSD detector"); goto done; }

    const sc_tfl_op *pp = &m->ops[b.pp_op];
    if ((st = act_input(&b, b.pp_op, 0, &d->box_tensor)) || (st = act_input(&b, b.pp_op, 1, &d->score_tensor)))
        goto done;
    const sc_nn_tensor *bt = sc_net_tensor(d->net, d->box_tensor), *stt = sc_net_tensor(d->net, d->score_tensor);
    d->n_anchors = bt->w;
    d->n_classes = pp->pp.num_classes;
    d->score_stride = stt->c;
    if (bt->h != 1 || bt->c != 4 || stt->h != 1 || stt->w != d->n_anchors ||
        d->n_classes < 1 || (stt->c != d->n_classes && stt->c != d->n_classes + 1)) {
        st = fail(&b, SC_E_FORMAT, b.pp_op, "box encodings (%d,%d,%d) and scores (%d,%d,%d) do not fit %d classes",
                  bt->h, bt->w, bt->c, stt->h, stt->w, stt->c, d->n_classes);
        goto done;
    }
    if (pp->pp.use_regular_nms || pp->pp.max_classes_per_detection != 1) {
        st = fail(&b, SC_E_UNSUPPORTED, b.pp_op, "regular NMS or several classes per detection");
        goto done;
    }
    if ((st = find_feature_maps(&b)) || (st = setup_anchors(d, &b, file_size))) goto done;

    int outs[2] = { d->box_tensor, d->score_tensor };
    if ((st = sc_net_plan(d->net, d->in_tensor, outs, 2))) {
        snprintf(err, errlen, "%s: planning the activation memory: %s", cfg->model_path, sc_status_str(st));
        goto done;
    }
    d->box_f = sc_aligned_alloc(sizeof(float) * (size_t)d->n_anchors * 4);
    d->score_f = sc_aligned_alloc(sizeof(float) * (size_t)d->n_anchors * (size_t)d->score_stride);
    d->max_detections = pp->pp.max_detections;
    sc_ssd_pp_cfg pc = {
        .num_classes = d->n_classes, .max_detections = pp->pp.max_detections,
        .score_threshold = pp->pp.nms_score_threshold, .iou_threshold = pp->pp.nms_iou_threshold,
        .y_scale = pp->pp.y_scale, .x_scale = pp->pp.x_scale, .h_scale = pp->pp.h_scale, .w_scale = pp->pp.w_scale,
    };
    if (!d->box_f || !d->score_f || (st = sc_ssd_pp_create(&pc, d->n_anchors, &d->pp))) {
        st = st ? st : SC_E_NOMEM;
        snprintf(err, errlen, "%s: %s", cfg->model_path, sc_status_str(st));
        goto done;
    }
    if (d->use_float) {
        if ((st = sc_image_init(&d->input, d->input_size, d->input_size, 3))) goto done;
    } else {
        d->input.data = sc_net_data(d->net, d->in_tensor);
        d->input.width = d->input.height = d->input_size;
        d->input.channels = 3;
        d->input.stride_bytes = (size_t)d->input_size * 3;
    }

    int threads = cfg->n_threads;
    if (threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (int)SC_MIN(nc, 64) : 1;
    }
    if ((st = sc_pool_create(threads, &d->pool))) {
        snprintf(err, errlen, "starting %d worker threads: %s", threads, sc_status_str(st));
        goto done;
    }

done:
    free(b.map);
    sc_tflite_destroy(m);
    if (st) {
        if (!err[0]) snprintf(err, errlen, "%s: %s", cfg->model_path, sc_status_str(st));
        sc_detector_destroy(d);
        return st;
    }
    *out = d;
    return SC_OK;
}

sc_status sc_detector_create(const sc_detector_cfg *cfg, sc_detector **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = 0;
    char dummy[8];
    if (!err || !errlen) { err = dummy; errlen = sizeof(dummy); }
    sc_tflite_model *m = NULL;
    sc_status st = sc_tflite_load(cfg->model_path, &m, err, errlen);
    if (st) return st;
    return create_from_model(cfg, m, out, err, errlen);
}

sc_status sc_detector_create_mem(const sc_detector_cfg *cfg, const uint8_t *data, size_t size,
                                 sc_detector **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = 0;
    char dummy[8];
    if (!err || !errlen) { err = dummy; errlen = sizeof(dummy); }
    const char *name = cfg->model_path ? cfg->model_path : "(memory)";
    char msg[512];
    msg[0] = 0;
    sc_tflite_model *m = NULL;
    sc_status st = sc_tflite_parse(data, size, &m, msg, sizeof(msg));
    if (st) {
        snprintf(err, errlen, "%s: %s", name, msg[0] ? msg : sc_status_str(st));
        return st;
    }
    sc_detector_cfg c = *cfg;
    c.model_path = name;
    return create_from_model(&c, m, out, err, errlen);
}

void sc_detector_destroy(sc_detector *d)
{
    if (!d) return;
    sc_pool_destroy(d->pool);
    sc_net_destroy(d->net);
    sc_ssd_pp_destroy(d->pp);
    if (d->use_float) sc_image_fini(&d->input);
    sc_aligned_free(d->box_f);
    sc_aligned_free(d->score_f);
    free(d->anchors);
    free(d);
}

sc_image *sc_detector_input(sc_detector *d) { return &d->input; }
int sc_detector_input_size(const sc_detector *d) { return d->input_size; }
int sc_detector_num_classes(const sc_detector *d) { return d->n_classes; }
int sc_detector_max_detections(const sc_detector *d) { return d->max_detections; }
struct sc_net *sc_detector_net(sc_detector *d) { return d->net; }

const sc_anchor *sc_detector_anchors(const sc_detector *d, int *n)
{
    *n = d->n_anchors;
    return d->anchors;
}

static void dequantise(sc_net *net, int id, float *out)
{
    const sc_nn_tensor *t = sc_net_tensor(net, id);
    size_t n = sc_nn_tensor_elems(t);
    if (t->dt == SC_DT_F32) { memcpy(out, sc_net_data(net, id), n * sizeof(float)); return; }
    const uint8_t *q = sc_net_data(net, id);
    float table[256];
    for (int v = 0; v < 256; v++) table[v] = t->scale * (float)(v - t->zp);
    for (size_t i = 0; i < n; i++) out[i] = table[q[i]];
}

int sc_detector_run(sc_detector *d, sc_det *out, int cap)
{
    if (d->use_float) {
        /* The model's input quantisation maps raw bytes to real values: (q - zp) · scale. */
        float *x = sc_net_data(d->net, d->in_tensor);
        size_t row = (size_t)d->input_size * 3;
        for (int y = 0; y < d->input_size; y++)
            for (size_t i = 0; i < row; i++)
                x[(size_t)y * row + i] = d->in_scale * (float)((int32_t)d->input.data[y * d->input.stride_bytes + i] - d->in_zp);
    }
    sc_net_run(d->net, &d->kernels, d->pool);
    dequantise(d->net, d->box_tensor, d->box_f);
    dequantise(d->net, d->score_tensor, d->score_f);
    return sc_ssd_pp_run(d->pp, d->box_f, d->score_f, d->score_stride, d->score_stride - d->n_classes,
                         d->anchors, d->n_anchors, out, cap);
}

void sc_detector_get_stats(const sc_detector *d, sc_detector_stats *st)
{
    memset(st, 0, sizeof(*st));
    int n = sc_net_layer_count(d->net);
    for (int i = 0; i < n; i++) {
        const sc_nn_layer *l = sc_net_layer(d->net, i);
        st->macs += l->macs;
        st->params += l->params;
        st->macs_by_type[l->type] += l->macs;
        st->params_by_type[l->type] += l->params;
    }
    st->n_layers = n;
    st->arena_bytes = sc_net_arena_bytes(d->net);
    st->kernels_isa = d->kernels.isa;
    st->n_threads = sc_pool_threads(d->pool);
}
