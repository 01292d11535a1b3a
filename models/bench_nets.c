/* models/bench_nets.c — random-weight MobileNet-SSD and MobileNetV1 on core/nn (see bench_nets.h). */
#include "models/bench_nets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/nn/net.h"
#include "models/mobilenet.h"

#define MAX_TENSORS 160
#define MAX_LAYERS 160
#define SSD_CLASSES 21
#define SSD_SIZE 300
#define MNV1_SIZE 224
#define MNV1_CLASSES 1000
/* int8 activation quantisation: ReLU6 outputs in [0, 6], heads in about [-8, 8]. */
#define ACT_SCALE (6.0f / 255.0f)
#define HEAD_SCALE (16.0f / 255.0f)
#define HEAD_ZP 128
#define IN_SCALE (1.0f / 255.0f)
#define W_ZP 128
#define W_SPREAD 40            /* uint8 weights in W_ZP ± W_SPREAD */

struct sc_bench_net {
    sc_net *net;
    sc_bench_arch arch;
    int int8;
    char name[32];
    int in_size, n_rows, n_cls;   /* outputs: rows × classes (SSD: priors × 21; MobileNet: 1 × 1000) */
    int in_tensor, loc_tensor, conf_tensor;
    float *input;                 /* float input, in_size² × 3 (int8: quantised by step 0) */
    float *loc_f, *conf_f;        /* int8: dequantised outputs */
    float conf_exp[256];          /* int8 softmax: exp(-scale·d) for a distance d to the max */
    float loc_deq[256];           /* int8 boxes: scale·(v - zp) for each byte v */
    int64_t macs;
    int first_layer_step;         /* 1 with an input step (int8), else 0 */
};

typedef struct builder {
    sc_bench_net *b;
    const sc_kernels *k;
    uint32_t rng;
    sc_status st;
} builder;

static uint32_t next_rand(builder *B)
{
    B->rng ^= B->rng << 13;
    B->rng ^= B->rng >> 17;
    B->rng ^= B->rng << 5;
    return B->rng;
}

static float uniform(builder *B, float a)   /* in [-a, a) */
{
    return ((float)(next_rand(B) >> 8) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * a;
}

static int new_tensor(builder *B, const char *name, int h, int w, int c, float scale, int32_t zp)
{
    sc_nn_tensor t;
    memset(&t, 0, sizeof(t));
    t.dt = B->b->int8 ? SC_DT_U8 : SC_DT_F32;
    t.h = h;
    t.w = w;
    t.c = c;
    t.scale = scale;
    t.zp = zp;
    t.alias_of = -1;
    snprintf(t.name, sizeof(t.name), "%s", name);
    int id = sc_net_add_tensor(B->b->net, &t);
    if (id < 0 && !B->st) B->st = SC_E_NOMEM;
    return id;
}

enum { ACT_NONE = 0, ACT_RELU6 = 1 };

/* Adds a convolution (depthwise when dw) of tensor x; returns its output tensor (-1 after an
 * error, which stays in B->st). avg: a depthwise average (weights 1/(k·k), no MACs counted). */
static int add_conv(builder *B, const char *name, int x, int cout, int k, int stride, int pad, int dw, int act,
                    int avg)
{
    if (B->st || x < 0) return -1;
    sc_net *net = B->b->net;
    const sc_nn_tensor in = *sc_net_tensor(net, x);
    sc_nn_layer *l = sc_net_add_layer(net);
    if (!l) { B->st = SC_E_NOMEM; return -1; }
    l->type = dw ? SC_L_DWCONV : SC_L_CONV;
    if (dw) cout = in.c;
    sc_conv_shape *s = &l->shape;
    s->in_h = in.h; s->in_w = in.w; s->in_c = in.c;
    s->out_h = (in.h + 2 * pad - k) / stride + 1;
    s->out_w = (in.w + 2 * pad - k) / stride + 1;
    s->out_c = cout;
    s->k_h = s->k_w = k;
    s->stride_h = s->stride_w = stride;
    s->dil_h = s->dil_w = 1;
    s->pad_top = s->pad_left = pad;
    int head = act == ACT_NONE && !avg;
    float out_scale = avg ? in.scale : head ? HEAD_SCALE : ACT_SCALE;
    int32_t out_zp = avg ? in.zp : head ? HEAD_ZP : 0;
    int y = new_tensor(B, name, s->out_h, s->out_w, cout, out_scale, out_zp);
    if (y < 0) return -1;
    l->n_in = 1;
    l->in[0] = x;
    l->out = y;
    int fan_in = (dw ? 1 : in.c) * k * k;
    size_t n_w = (size_t)cout * (size_t)fan_in;
    l->macs = avg ? 0 : (int64_t)s->out_h * s->out_w * (int64_t)n_w;
    l->params = (int64_t)n_w + cout;
    const float he = sqrtf(6.0f / (float)fan_in);   /* He-uniform: variance 2 / fan_in */
    if (B->b->int8) {
        uint8_t *w = sc_net_alloc(net, n_w);
        int32_t *bias = sc_net_alloc(net, sizeof(int32_t) * (size_t)cout);
        if (!w || !bias) { B->st = SC_E_NOMEM; return -1; }
        float ws = avg ? 1.0f / (float)(k * k) : he / (float)W_SPREAD;
        for (size_t i = 0; i < n_w; i++)
            w[i] = (uint8_t)(avg ? W_ZP + 1 : W_ZP + (int)(next_rand(B) % (2 * W_SPREAD + 1)) - W_SPREAD);
        float bias_scale = in.scale * ws;
        for (int i = 0; i < cout; i++) bias[i] = avg ? 0 : (int32_t)lrintf(uniform(B, 0.01f) / bias_scale);
        l->w = w;
        l->bias = bias;
        l->q.in_zp = in.zp;
        l->q.w_zp = W_ZP;
        l->q.out_zp = out_zp;
        sc_quantize_multiplier((double)in.scale * ws / out_scale, &l->q.mult, &l->q.shift);
        l->q.act_min = act == ACT_RELU6 ? SC_MAX(0, out_zp) : 0;
        l->q.act_max = act == ACT_RELU6 ? SC_MIN(255, out_zp + (int32_t)lrintf(6.0f / out_scale)) : 255;
    } else {
        float *w = sc_net_alloc(net, sizeof(float) * n_w);
        float *bias = sc_net_alloc(net, sizeof(float) * (size_t)cout);
        if (!w || !bias) { B->st = SC_E_NOMEM; return -1; }
        for (size_t i = 0; i < n_w; i++) w[i] = avg ? 1.0f / (float)(k * k) : uniform(B, he);
        for (int i = 0; i < cout; i++) bias[i] = avg ? 0.0f : uniform(B, 0.01f);
        l->w = w;
        l->bias = bias;
        l->act_min = act == ACT_RELU6 ? 0.0f : -INFINITY;
        l->act_max = act == ACT_RELU6 ? 6.0f : INFINITY;
    }
    sc_status st = sc_net_pack_conv(net, l, B->k);
    if (st) { B->st = st; return -1; }
    return y;
}

/* A [1, h·w·a, per] view of a head's output (h, w, a·per). */
static int add_flat(builder *B, int x, const char *name, int per)
{
    if (B->st || x < 0) return -1;
    const sc_nn_tensor in = *sc_net_tensor(B->b->net, x);
    sc_nn_layer *l = sc_net_add_layer(B->b->net);
    if (!l) { B->st = SC_E_NOMEM; return -1; }
    int y = new_tensor(B, name, 1, in.h * in.w * in.c / per, per, in.scale, in.zp);
    if (y < 0) return -1;
    sc_net_tensor(B->b->net, y)->alias_of = x;
    l->type = SC_L_RESHAPE;
    l->n_in = 1;
    l->in[0] = x;
    l->out = y;
    return y;
}

static int add_concat(builder *B, const char *name, const int *xs, int n, int per)
{
    if (B->st) return -1;
    sc_nn_layer *l = sc_net_add_layer(B->b->net);
    if (!l) { B->st = SC_E_NOMEM; return -1; }
    int rows = 0;
    for (int i = 0; i < n; i++) rows += sc_net_tensor(B->b->net, xs[i])->w;
    const sc_nn_tensor *x0 = sc_net_tensor(B->b->net, xs[0]);
    int y = new_tensor(B, name, 1, rows, per, x0->scale, x0->zp);
    if (y < 0) return -1;
    l->type = SC_L_CONCAT;
    l->axis = 1;
    l->n_in = n;
    for (int i = 0; i < n; i++) l->in[i] = xs[i];
    l->out = y;
    return y;
}

typedef struct heads {
    int loc[8], conf[8], n;
} heads;

static void add_heads(builder *B, heads *h, int src, const char *src_name, int anchors)
{
    char name[64];
    snprintf(name, sizeof(name), "%s_mbox_loc", src_name);
    int loc = add_conv(B, name, src, anchors * 4, 1, 1, 0, 0, ACT_NONE, 0);
    snprintf(name, sizeof(name), "%s_mbox_loc_flat", src_name);
    h->loc[h->n] = add_flat(B, loc, name, 4);
    snprintf(name, sizeof(name), "%s_mbox_conf", src_name);
    int conf = add_conv(B, name, src, anchors * SSD_CLASSES, 1, 1, 0, 0, ACT_NONE, 0);
    snprintf(name, sizeof(name), "%s_mbox_conf_flat", src_name);
    h->conf[h->n] = add_flat(B, conf, name, SSD_CLASSES);
    h->n++;
}

/* conv0 and the 13 separable blocks of models/mobilenet.h (α = 1) at size×size; heads on the
 * outputs of blocks 11 and 13 when h is not NULL. Returns the last tensor. */
static int build_backbone(builder *B, int x, int size, heads *h)
{
    sc_mobilenet mn;
    sc_mobilenet_cfg mc;
    sc_mobilenet_cfg_default(&mc);
    mc.in_h = mc.in_w = size;
    if (sc_mobilenet_v1_init(&mn, &mc) != SC_OK) { B->st = SC_E_INVAL; return -1; }
    char name[64];
    for (int i = 0; i < mn.n_layers && !B->st; i++) {
        const sc_mn_layer *ml = &mn.layers[i];
        switch (ml->op) {
        case SC_MN_CONV3X3:
            x = add_conv(B, "conv0", x, ml->out.c, 3, ml->stride, 1, 0, ACT_RELU6, 0);
            break;
        case SC_MN_DW3X3:
            snprintf(name, sizeof(name), "conv%d/dw", ml->block);
            x = add_conv(B, name, x, 0, 3, ml->stride, 1, 1, ACT_RELU6, 0);
            break;
        case SC_MN_CONV1X1:
            snprintf(name, sizeof(name), "conv%d", ml->block);
            x = add_conv(B, name, x, ml->out.c, 1, 1, 0, 0, ACT_RELU6, 0);
            if (h && (ml->block == 11 || ml->block == 13)) add_heads(B, h, x, name, ml->block == 11 ? 3 : 6);
            break;
        default:
            break;   /* the classifier: built by the caller */
        }
        /* the layer list's sizes are TF SAME, ours symmetric padding 1: the same for 3×3 */
        if (x >= 0 && (sc_net_tensor(B->b->net, x)->h != ml->out.h || sc_net_tensor(B->b->net, x)->c != ml->out.c)
            && ml->op <= SC_MN_CONV1X1 && !B->st)
            B->st = SC_E_INVAL;
    }
    return x;
}

static void build_ssd(builder *B)
{
    sc_bench_net *b = B->b;
    int x = b->in_tensor;
    heads h = { .n = 0 };
    x = build_backbone(B, x, SSD_SIZE, &h);
    static const struct { const char *n1, *n2; int c1, c2; } extras[] = {
        { "conv14_1", "conv14_2", 256, 512 }, { "conv15_1", "conv15_2", 128, 256 },
        { "conv16_1", "conv16_2", 128, 256 }, { "conv17_1", "conv17_2", 64, 128 },
    };
    for (size_t i = 0; i < SC_ARRAY_LEN(extras); i++) {
        x = add_conv(B, extras[i].n1, x, extras[i].c1, 1, 1, 0, 0, ACT_RELU6, 0);
        x = add_conv(B, extras[i].n2, x, extras[i].c2, 3, 2, 1, 0, ACT_RELU6, 0);
        add_heads(B, &h, x, extras[i].n2, 6);
    }
    if (B->st) return;
    b->loc_tensor = add_concat(B, "mbox_loc", h.loc, h.n, 4);
    b->conf_tensor = add_concat(B, "mbox_conf", h.conf, h.n, SSD_CLASSES);
    if (B->st) return;
    b->n_rows = sc_net_tensor(b->net, b->conf_tensor)->w;
    b->n_cls = SSD_CLASSES;
}

static void build_mnv1(builder *B)
{
    sc_bench_net *b = B->b;
    int x = build_backbone(B, b->in_tensor, MNV1_SIZE, NULL);
    if (B->st) return;
    int side = sc_net_tensor(b->net, x)->h;
    x = add_conv(B, "pool6", x, 0, side, 1, 0, 1, ACT_NONE, 1);
    b->conf_tensor = add_conv(B, "fc7", x, MNV1_CLASSES, 1, 1, 0, 0, ACT_NONE, 0);
    b->loc_tensor = -1;
    b->n_rows = 1;
    b->n_cls = MNV1_CLASSES;
}

sc_status sc_bench_net_create(const sc_bench_net_cfg *cfg, sc_bench_net **out)
{
    *out = NULL;
    if (!cfg->kernels || (cfg->arch != SC_BENCH_SSD_MNV1 && cfg->arch != SC_BENCH_MNV1)) return SC_E_INVAL;
    sc_bench_net *b = calloc(1, sizeof(*b));
    if (!b) return SC_E_NOMEM;
    builder B = { b, cfg->kernels, cfg->seed ? cfg->seed : 0x9E3779B9u, SC_OK };
    b->arch = cfg->arch;
    b->int8 = cfg->int8 != 0;
    b->in_size = cfg->arch == SC_BENCH_SSD_MNV1 ? SSD_SIZE : MNV1_SIZE;
    snprintf(b->name, sizeof(b->name), "%s", cfg->arch == SC_BENCH_SSD_MNV1 ? "ssd_mnv1_300" : "mnv1_a1_224");
    b->first_layer_step = b->int8;
    sc_status st = sc_net_create(MAX_TENSORS, MAX_LAYERS, &b->net);
    if (st) goto fail;
    b->in_tensor = new_tensor(&B, "data", b->in_size, b->in_size, 3, IN_SCALE, 0);
    if (cfg->arch == SC_BENCH_SSD_MNV1) build_ssd(&B);
    else build_mnv1(&B);
    if ((st = B.st)) goto fail;
    /* The float input stays where the caller's data is: keep it alive for the whole run. */
    int outs[3] = { b->conf_tensor, b->loc_tensor, b->in_tensor }, n_outs = 0;
    int keep[3];
    for (int i = 0; i < 3; i++)
        if (outs[i] >= 0 && (i < 2 || !b->int8)) keep[n_outs++] = outs[i];
    if ((st = sc_net_plan(b->net, b->in_tensor, keep, n_outs))) goto fail;
    size_t in_elems = (size_t)b->in_size * b->in_size * 3;
    if (b->int8) {
        b->input = sc_aligned_alloc(sizeof(float) * in_elems);
        b->conf_f = sc_aligned_alloc(sizeof(float) * (size_t)b->n_rows * b->n_cls);
        if (b->loc_tensor >= 0) b->loc_f = sc_aligned_alloc(sizeof(float) * (size_t)b->n_rows * 4);
        if (!b->input || !b->conf_f || (b->loc_tensor >= 0 && !b->loc_f)) { st = SC_E_NOMEM; goto fail; }
        /* the outputs' lookup tables, made once (the scales are fixed at build) */
        const sc_nn_tensor *ct = sc_net_tensor(b->net, b->conf_tensor);
        for (int d = 0; d < 256; d++) b->conf_exp[d] = expf(-ct->scale * (float)d);
        if (b->loc_tensor >= 0) {
            const sc_nn_tensor *lt = sc_net_tensor(b->net, b->loc_tensor);
            for (int v = 0; v < 256; v++) b->loc_deq[v] = lt->scale * (float)(v - lt->zp);
        }
    } else {
        b->input = sc_net_data(b->net, b->in_tensor);
    }
    for (size_t i = 0; i < in_elems; i++) b->input[i] = (float)(next_rand(&B) >> 8) * (1.0f / 16777216.0f);
    for (int i = 0; i < sc_net_layer_count(b->net); i++) b->macs += sc_net_layer(b->net, i)->macs;
    *out = b;
    return SC_OK;
fail:
    sc_bench_net_destroy(b);
    return st;
}

void sc_bench_net_destroy(sc_bench_net *b)
{
    if (!b) return;
    if (b->int8) sc_aligned_free(b->input);
    sc_aligned_free(b->conf_f);
    sc_aligned_free(b->loc_f);
    sc_net_destroy(b->net);
    free(b);
}

const char *sc_bench_net_name(const sc_bench_net *b) { return b->name; }
int64_t sc_bench_net_macs(const sc_bench_net *b) { return b->macs; }
struct sc_net *sc_bench_net_net(sc_bench_net *b) { return b->net; }

int sc_bench_net_steps(const sc_bench_net *b)
{
    return b->first_layer_step + sc_net_layer_count(b->net) + 1;
}

int sc_bench_net_step_layer(const sc_bench_net *b, int step)
{
    int l = step - b->first_layer_step;
    return l >= 0 && l < sc_net_layer_count(b->net) ? l : -1;
}

const char *sc_bench_net_step_name(const sc_bench_net *b, int step)
{
    int l = sc_bench_net_step_layer(b, step);
    if (l >= 0) return sc_net_tensor(b->net, sc_net_layer(b->net, l)->out)->name;
    return step == 0 && b->int8 ? "input quantise" : "outputs";
}

int64_t sc_bench_net_step_macs(const sc_bench_net *b, int step)
{
    int l = sc_bench_net_step_layer(b, step);
    return l >= 0 ? sc_net_layer(b->net, l)->macs : 0;
}

/* ---- input and output steps (split over the pool like a layer) ----------------------- */

typedef struct io_task {
    sc_bench_net *b;
    size_t count, per;            /* elements (input) or rows (softmax) */
    const uint8_t *q;             /* int8: quantised rows */
    float *dst;
    const float *exp_lut;         /* int8 softmax: the net's conf_exp */
    sc_f32_softmax_fn softmax;    /* float softmax: the kernel table's */
    sc_f32_quant_u8_fn quant;     /* int8 input: the kernel table's quantisation */
} io_task;

static void quantise_span(void *ctx, size_t index)
{
    const io_task *t = ctx;
    size_t e0 = index * t->per, e1 = SC_MIN(e0 + t->per, t->count);
    uint8_t *q = sc_net_data(t->b->net, t->b->in_tensor);
    /* zero point 0, halves rounded up: x / IN_SCALE + 0.5, clamped and truncated */
    t->quant(e1 - e0, t->b->input + e0, 1.0f / IN_SCALE, 0.5f, q + e0);
}

/* Softmax of rows [r0, r1) of n_cls values: float in place through the kernel table's
 * sc_f32_softmax (a row's result depends on that row alone), or from uint8 through exp_lut. */
static void softmax_span(void *ctx, size_t index)
{
    const io_task *t = ctx;
    const size_t n = (size_t)t->b->n_cls;
    size_t r0 = index * t->per, r1 = SC_MIN(r0 + t->per, t->count);
    if (!t->q) {
        t->softmax(r1 - r0, n, t->dst + r0 * n);
        return;
    }
    for (size_t r = r0; r < r1; r++) {
        float *y = t->dst + r * n, sum = 0.0f;
        const uint8_t *x = t->q + r * n;
        int m = 0;
        for (size_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
        for (size_t j = 0; j < n; j++) sum += y[j] = t->exp_lut[m - x[j]];
        float inv = 1.0f / sum;
        for (size_t j = 0; j < n; j++) y[j] *= inv;
    }
}

static void split(io_task *t, sc_pool *pool, size_t min_per, void (*fn)(void *, size_t))
{
    size_t tasks = (size_t)sc_pool_threads(pool) * 4;
    t->per = SC_MAX(min_per, (t->count + tasks - 1) / tasks);
    sc_pool_parallel(pool, fn, t, (t->count + t->per - 1) / t->per);
}

static void run_outputs(sc_bench_net *b, const sc_kernels *k, sc_pool *pool)
{
    io_task t = { .b = b, .softmax = k->f32_softmax, .count = (size_t)b->n_rows };
    if (b->int8) {
        t.exp_lut = b->conf_exp;
        t.q = sc_net_data(b->net, b->conf_tensor);
        t.dst = b->conf_f;
        if (b->loc_tensor >= 0) {   /* dequantise the boxes */
            const uint8_t *q = sc_net_data(b->net, b->loc_tensor);
            for (size_t i = 0; i < (size_t)b->n_rows * 4; i++) b->loc_f[i] = b->loc_deq[q[i]];
        }
    } else {
        t.dst = sc_net_data(b->net, b->conf_tensor);
    }
    split(&t, pool, 64, softmax_span);
}

void sc_bench_net_run_step(sc_bench_net *b, const sc_kernels *k, sc_pool *pool, int step)
{
    int l = sc_bench_net_step_layer(b, step);
    if (l >= 0) {
        sc_net_run_step(b->net, k, pool, l);   /* as sc_net_run: fused pairs run in their first step */
    } else if (step == 0 && b->int8) {
        io_task t = { .b = b, .count = (size_t)b->in_size * b->in_size * 3, .quant = k->f32_quant_u8 };
        split(&t, pool, 16384, quantise_span);
    } else {
        run_outputs(b, k, pool);
    }
}

void sc_bench_net_run(sc_bench_net *b, const sc_kernels *k, sc_pool *pool)
{
    int n = sc_bench_net_steps(b);
    for (int i = 0; i < n; i++) sc_bench_net_run_step(b, k, pool, i);
}

const float *sc_bench_net_output(sc_bench_net *b, int conf, int *rows, int *cols)
{
    *rows = b->n_rows;
    if (conf) {
        *cols = b->n_cls;
        return b->int8 ? b->conf_f : sc_net_data(b->net, b->conf_tensor);
    }
    *cols = 4;
    if (b->loc_tensor < 0) return NULL;
    return b->int8 ? b->loc_f : sc_net_data(b->net, b->loc_tensor);
}
