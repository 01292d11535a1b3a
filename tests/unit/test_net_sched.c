/* core/nn scheduling of the element-wise layers (split over the pool in runs of elements):
 * a concatenation of inputs with different quantisation (TFLite's ConcatenationWithScaling,
 * tabulated per input byte), a uint8 logistic table and a uint8 ADD, on the score tensor's
 * shape (1917 × 91), give exactly the straightforward per-element formulas for 1, 2 and 3
 * threads; the float versions likewise. Also a pointwise conv whose pixels (not rows) are
 * split, or on maps with fewer pixels than output channels (1×1, 2×2, 5×5) its channels:
 * identical for any thread count. A concatenation read only by a logistic runs fused. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/nn/net.h"
#include "core/pool.h"
#include "tests/harness.h"

static uint32_t rng = 4242;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

static uint8_t clamp_u8(int32_t v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

enum { ROWS_A = 1083, ROWS_B = 834, COLS = 91 };

typedef struct graph {
    sc_net *net;
    int a, b, cat, logi, sum;
} graph;

/* fused: only concat → logistic, the logistic's output the graph's (sc_net_run fuses them) */
static void build(graph *g, int f32, int fused)
{
    memset(g, 0, sizeof(*g));
    CHECK(sc_net_create(8, 8, &g->net) == SC_OK);
    sc_dtype dt = f32 ? SC_DT_F32 : SC_DT_U8;
    sc_nn_tensor t = { .dt = dt, .h = 1, .w = ROWS_A, .c = COLS, .scale = 0.071f, .zp = 131, .alias_of = -1 };
    g->a = sc_net_add_tensor(g->net, &t);
    t.w = ROWS_B; t.scale = 0.05f; t.zp = 120;                  /* quantised like the output: copied */
    g->b = sc_net_add_tensor(g->net, &t);
    t.w = ROWS_A + ROWS_B;
    g->cat = sc_net_add_tensor(g->net, &t);
    t.scale = 1.0f / 256; t.zp = 0;
    g->logi = sc_net_add_tensor(g->net, &t);
    t.scale = 0.09f; t.zp = 7;
    g->sum = sc_net_add_tensor(g->net, &t);

    sc_nn_layer *l = sc_net_add_layer(g->net);
    l->type = SC_L_CONCAT;
    l->axis = 1;
    l->n_in = 2;
    l->in[0] = g->a;
    l->in[1] = g->b;
    l->out = g->cat;
    l = sc_net_add_layer(g->net);
    l->type = SC_L_LOGISTIC;
    l->n_in = 1;
    l->in[0] = g->cat;
    l->out = g->logi;
    for (int v = 0; v < 256; v++) l->lut[v] = (uint8_t)(v * 37 + 11);
    if (fused) {
        CHECK(sc_net_plan(g->net, g->a, &g->logi, 1) == SC_OK);
        return;
    }
    l = sc_net_add_layer(g->net);
    l->type = SC_L_ADD;
    l->n_in = 2;
    l->in[0] = g->cat;
    l->in[1] = g->logi;
    l->out = g->sum;
    double twice_max = 2.0 * fmax(0.05, 1.0 / 256);
    sc_quantize_multiplier(0.05 / twice_max, &l->add_mult[0], &l->add_shift[0]);
    sc_quantize_multiplier((1.0 / 256) / twice_max, &l->add_mult[1], &l->add_shift[1]);
    sc_quantize_multiplier(twice_max / ((1 << 20) * 0.09), &l->add_mult[2], &l->add_shift[2]);
    l->q.act_min = 3;
    l->q.act_max = 250;
    l->act_min = -1.5f;
    l->act_max = 4.0f;
    int outs[3] = { g->cat, g->logi, g->sum };
    CHECK(sc_net_plan(g->net, g->a, outs, 3) == SC_OK);
}

static void fill(graph *g, int f32)
{
    rng = 99;
    size_t na = (size_t)ROWS_A * COLS, nb = (size_t)ROWS_B * COLS;
    if (f32) {
        float *a = sc_net_data(g->net, g->a), *b = sc_net_data(g->net, g->b);
        for (size_t i = 0; i < na; i++) a[i] = (float)((int)(rnd() % 2001) - 1000) / 250.0f;
        for (size_t i = 0; i < nb; i++) b[i] = (float)((int)(rnd() % 2001) - 1000) / 250.0f;
    } else {
        uint8_t *a = sc_net_data(g->net, g->a), *b = sc_net_data(g->net, g->b);
        for (size_t i = 0; i < na; i++) a[i] = (uint8_t)rnd();
        for (size_t i = 0; i < nb; i++) b[i] = (uint8_t)rnd();
    }
}

/* The expected outputs, element by element (the former serial code). */
static void expect(graph *g, int f32, void *cat, void *logi, void *sum)
{
    fill(g, f32);
    size_t na = (size_t)ROWS_A * COLS, n = (size_t)(ROWS_A + ROWS_B) * COLS;
    /* the fused graph has no add: its sum stays unused */
    static const sc_nn_layer no_add;
    const sc_nn_layer *lg = sc_net_layer(g->net, 1);
    const sc_nn_layer *add = sc_net_layer_count(g->net) > 2 ? sc_net_layer(g->net, 2) : &no_add;
    if (f32) {
        const float *a = sc_net_data(g->net, g->a), *b = sc_net_data(g->net, g->b);
        float *c = cat, *y = logi, *z = sum;
        sc_kernels k;   /* the level the tests run: e^x from its exp kernel, one element a call */
        sc_kernels_init(&k, 0);
        for (size_t i = 0; i < n; i++) {
            c[i] = i < na ? a[i] : b[i - na];
            float e = -c[i];
            k.f32_exp(1, &e, &e);
            y[i] = 1.0f / (1.0f + e);
            float v = c[i] + y[i];
            z[i] = v < add->act_min ? add->act_min : v > add->act_max ? add->act_max : v;
        }
        return;
    }
    const uint8_t *a = sc_net_data(g->net, g->a), *b = sc_net_data(g->net, g->b);
    uint8_t *c = cat, *y = logi, *z = sum;
    float scale = 0.071f / 0.05f, bias = -131.0f * scale;
    for (size_t i = 0; i < n; i++) {
        c[i] = i < na ? clamp_u8((int32_t)roundf((float)a[i] * scale + bias) + 120) : b[i - na];
        y[i] = lg->lut[c[i]];
        int32_t sx = ((int32_t)c[i] - 120) * (1 << 20), sy = (int32_t)y[i] * (1 << 20);
        int32_t v = sc_requantize(sx, add->add_mult[0], add->add_shift[0]) +
                    sc_requantize(sy, add->add_mult[1], add->add_shift[1]);
        v = sc_requantize(v, add->add_mult[2], add->add_shift[2]) + 7;
        z[i] = (uint8_t)(v < 3 ? 3 : v > 250 ? 250 : v);
    }
}

static void test_elementwise(int f32)
{
    graph g;
    build(&g, f32, 0);
    sc_kernels k;
    sc_kernels_init(&k, 0);
    size_t n = (size_t)(ROWS_A + ROWS_B) * COLS, bytes = n * (f32 ? 4 : 1);
    uint8_t *want[3] = { malloc(bytes), malloc(bytes), malloc(bytes) };
    expect(&g, f32, want[0], want[1], want[2]);
    int ids[3] = { g.cat, g.logi, g.sum };
    static const char *const names[3] = { "concat", "logistic", "add" };
    int rescaled = 0;
    for (size_t i = 0; !f32 && i < (size_t)ROWS_A * COLS; i++)
        rescaled += ((uint8_t *)want[0])[i] != ((uint8_t *)sc_net_data(g.net, g.a))[i];
    CHECK(f32 || rescaled > 0);   /* the rescaling path is really taken */
    for (int threads = 1; threads <= 3; threads++) {
        sc_pool *pool = NULL;
        if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
        fill(&g, f32);
        sc_net_run(g.net, &k, pool);
        for (int o = 0; o < 3; o++)
            CHECKF(memcmp(sc_net_data(g.net, ids[o]), want[o], bytes) == 0, "%s %s, %d threads: differs from the formula",
                   f32 ? "f32" : "u8", names[o], threads);
        sc_pool_destroy(pool);
    }
    for (int o = 0; o < 3; o++) free(want[o]);
    sc_net_destroy(g.net);
}

/* concat → logistic with the concatenation read by nothing else: sc_net_run runs the pair as
 * one pass (the COCO class scores). The logistic's output equals the formula for 1, 2 and 3
 * threads and equals a layer-by-layer run; the concatenation's own tensor keeps a canary (the
 * fused path really ran). */
static void test_concat_logistic_fused(int f32)
{
    graph g;
    build(&g, f32, 1);
    CHECK(sc_net_layer_count(g.net) == 2);
    sc_kernels k;
    sc_kernels_init(&k, 0);
    size_t n = (size_t)(ROWS_A + ROWS_B) * COLS, bytes = n * (f32 ? 4 : 1);
    uint8_t *cat = malloc(bytes), *want = malloc(bytes), *sum = malloc(bytes);
    expect(&g, f32, cat, want, sum);
    for (int threads = 1; threads <= 3; threads++) {
        sc_pool *pool = NULL;
        if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
        fill(&g, f32);
        memset(sc_net_data(g.net, g.cat), 0xA5, bytes);
        memset(sc_net_data(g.net, g.logi), 0, bytes);
        sc_net_run(g.net, &k, pool);
        CHECKF(memcmp(sc_net_data(g.net, g.logi), want, bytes) == 0, "%s fused concat+logistic, %d threads: differs",
               f32 ? "f32" : "u8", threads);
        const uint8_t *c = sc_net_data(g.net, g.cat);
        size_t untouched = 0;
        for (size_t i = 0; i < bytes; i++) untouched += c[i] == 0xA5;
        CHECKF(untouched == bytes, "%s: the concatenation was written (not fused)", f32 ? "f32" : "u8");
        /* one layer at a time: no fusion, the same bytes */
        fill(&g, f32);
        memset(sc_net_data(g.net, g.logi), 0, bytes);
        for (int i = 0; i < 2; i++) sc_net_run_layer(g.net, &k, pool, i);
        CHECKF(memcmp(sc_net_data(g.net, g.logi), want, bytes) == 0, "%s concat, logistic, %d threads: differs",
               f32 ? "f32" : "u8", threads);
        sc_pool_destroy(pool);
    }
    free(cat);
    free(want);
    free(sum);
    sc_net_destroy(g.net);
}

/* A pointwise conv on an s×s map (pixel split) then a 3×3 (row split), u8 and f32. */
static uint8_t *run_pointwise(int side, int f32, int threads, size_t *bytes)
{
    sc_kernels k;
    sc_kernels_init(&k, 0);
    sc_net *net = NULL;
    CHECK(sc_net_create(4, 4, &net) == SC_OK);
    sc_dtype dt = f32 ? SC_DT_F32 : SC_DT_U8;
    sc_nn_tensor t = { .dt = dt, .h = side, .w = side, .c = 40, .scale = 0.02f, .zp = 128, .alias_of = -1 };
    int x = sc_net_add_tensor(net, &t);
    t.c = 72; t.scale = 0.03f; t.zp = 0;
    int y = sc_net_add_tensor(net, &t);
    sc_nn_layer *l = sc_net_add_layer(net);
    l->type = SC_L_CONV;
    sc_conv_shape s = { side, side, 40, side, side, 72, 1, 1, 1, 1, 1, 1, 0, 0 };
    l->shape = s;
    l->n_in = 1;
    l->in[0] = x;
    l->out = y;
    l->q = (sc_requant){ 128, 120, 0, 0, 0, 0, 255 };
    sc_quantize_multiplier(0.02 * 0.01 / 0.03, &l->q.mult, &l->q.shift);
    l->act_min = 0.0f;
    l->act_max = 6.0f;
    rng = 5;
    if (f32) {
        float *w = sc_net_alloc(net, sizeof(float) * 72 * 40), *b = sc_net_alloc(net, sizeof(float) * 72);
        for (int i = 0; i < 72 * 40; i++) w[i] = (float)((int)(rnd() % 2001) - 1000) / 3000.0f;
        for (int i = 0; i < 72; i++) b[i] = (float)((int)(rnd() % 201) - 100) / 100.0f;
        l->w = w;
        l->bias = b;
    } else {
        uint8_t *w = sc_net_alloc(net, 72 * 40);
        int32_t *b = sc_net_alloc(net, sizeof(int32_t) * 72);
        for (int i = 0; i < 72 * 40; i++) w[i] = (uint8_t)rnd();
        for (int i = 0; i < 72; i++) b[i] = (int32_t)(rnd() % 2001) - 1000;
        l->w = w;
        l->bias = b;
    }
    CHECK(sc_net_pack_conv(net, l, &k) == SC_OK);
    CHECK(sc_net_plan(net, x, &y, 1) == SC_OK);
    size_t n_in = (size_t)side * side * 40;
    for (size_t i = 0; i < n_in; i++) {
        if (f32) ((float *)sc_net_data(net, x))[i] = (float)(rnd() % 256) / 64.0f - 2.0f;
        else ((uint8_t *)sc_net_data(net, x))[i] = (uint8_t)rnd();
    }
    sc_pool *pool = NULL;
    if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
    sc_net_run(net, &k, pool);
    *bytes = (size_t)side * side * 72 * sc_dtype_size(dt);
    uint8_t *out = malloc(*bytes);
    memcpy(out, sc_net_data(net, y), *bytes);
    sc_pool_destroy(pool);
    sc_net_destroy(net);
    return out;
}

static void test_pointwise_split(void)
{
    static const int sides[] = { 1, 2, 5, 10, 19 };
    for (int f32 = 0; f32 <= 1; f32++)
        for (size_t i = 0; i < SC_ARRAY_LEN(sides); i++) {
            size_t b1, b2, b3;
            uint8_t *r1 = run_pointwise(sides[i], f32, 1, &b1), *r2 = run_pointwise(sides[i], f32, 2, &b2),
                    *r3 = run_pointwise(sides[i], f32, 3, &b3);
            CHECKF(!memcmp(r1, r2, b1) && !memcmp(r1, r3, b1), "%s pointwise %dx%d: thread counts differ",
                   f32 ? "f32" : "u8", sides[i], sides[i]);
            free(r1);
            free(r2);
            free(r3);
        }
}

int main(void)
{
    test_elementwise(0);
    test_elementwise(1);
    test_concat_logistic_fused(0);
    test_concat_logistic_fused(1);
    test_pointwise_split();
    return sc_test_finish();
}
