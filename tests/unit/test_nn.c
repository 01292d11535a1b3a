/* core/nn and the reference kernels: TFLite's fixed-point requantisation, uint8 conv and
 * depthwise conv against a float64 model of the same arithmetic, arena planning, and
 * identical results for 1, 2 and 3 threads. */
#include <stdint.h>

#include "core/kernels/kernels.h"
#include "core/nn/net.h"
#include "core/pool.h"
#include "tests/harness.h"

static uint32_t rng = 12345;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

static void test_requantize(void)
{
    /* The multiplier represents real = mult·2^(shift-31); requantize(acc) ≈ round(acc·real). */
    double reals[] = { 0.000123, 0.0071, 0.25, 0.5, 0.75, 0.9999, 1.0, 1.7, 3.3 };
    int bad = 0;
    for (size_t r = 0; r < SC_ARRAY_LEN(reals); r++) {
        int32_t m, s;
        sc_quantize_multiplier(reals[r], &m, &s);
        CHECKF(m >= (1 << 30) && m <= INT32_MAX, "multiplier %d for %g", m, reals[r]);
        double back = (double)m * ldexp(1.0, s - 31);
        CHECK_NEAR(back, reals[r], reals[r] * 1e-9);
        for (int i = 0; i < 2000; i++) {
            int32_t acc = (int32_t)(rnd() % 200001) - 100000;
            double want = acc * back;
            int32_t got = sc_requantize(acc, m, s);
            /* one rounding: within half a step (plus the multiplier's 2^-31 relative error) */
            if (fabs(got - want) > 0.5 + 1e-6) bad++;
        }
    }
    CHECKF(bad == 0, "%d requantisations off by more than half a step", bad);
    /* Exact halves round toward +inf, for either sign and any shift. */
    int32_t m, s;
    sc_quantize_multiplier(0.5, &m, &s);
    CHECK_EQ_INT(sc_requantize(3, m, s), 2);
    CHECK_EQ_INT(sc_requantize(-3, m, s), -1);
    CHECK_EQ_INT(sc_requantize(1, m, s), 1);
    CHECK_EQ_INT(sc_requantize(-1, m, s), 0);
    sc_quantize_multiplier(0.25, &m, &s);
    CHECK_EQ_INT(s, -1);
    CHECK_EQ_INT(sc_requantize(6, m, s), 2);
    CHECK_EQ_INT(sc_requantize(-6, m, s), -1);
    /* What double rounding gets wrong: 7 · 73/1024 = 0.499 must give 0. A rounding Q31 product
     * (shift -3) first makes it 4/8 = 1/2, which the rounding shift then takes to 1 (-1). */
    sc_quantize_multiplier(73.0 / 1024.0, &m, &s);
    CHECK_EQ_INT(s, -3);
    CHECK_EQ_INT(sc_requantize(7, m, s), 0);
    CHECK_EQ_INT(sc_requantize(-7, m, s), 0);
    sc_quantize_multiplier(0.0, &m, &s);
    CHECK_EQ_INT(m, 0);
}

/* float64 model: dequantise, accumulate, divide by the output scale, round, clamp. */
static void check_conv(int depthwise, int in_h, int in_w, int in_c, int out_c, int k, int stride)
{
    sc_conv_shape s = { in_h, in_w, in_c, 0, 0, depthwise ? in_c : out_c, k, k, stride, stride, 1, 1, 0, 0 };
    s.out_h = (in_h + stride - 1) / stride;
    s.out_w = (in_w + stride - 1) / stride;
    int pad_h = SC_MAX((s.out_h - 1) * stride + k - in_h, 0), pad_w = SC_MAX((s.out_w - 1) * stride + k - in_w, 0);
    s.pad_top = pad_h / 2;
    s.pad_left = pad_w / 2;
    size_t n_in = (size_t)in_h * in_w * in_c, n_out = (size_t)s.out_h * s.out_w * s.out_c;
    size_t n_w = depthwise ? (size_t)k * k * in_c : (size_t)s.out_c * k * k * in_c;
    uint8_t *in = malloc(n_in), *w = malloc(n_w), *out = malloc(n_out);
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)s.out_c);
    for (size_t i = 0; i < n_in; i++) in[i] = (uint8_t)rnd();
    for (size_t i = 0; i < n_w; i++) w[i] = (uint8_t)rnd();
    for (int i = 0; i < s.out_c; i++) bias[i] = (int32_t)(rnd() % 20001) - 10000;
    float in_scale = 0.02f, w_scale = 0.005f, out_scale = 0.05f;
    sc_requant q = { 128, 120, 10, 0, 0, 10, 250 };
    double real = (double)(in_scale * w_scale) / out_scale;
    sc_quantize_multiplier(real, &q.mult, &q.shift);
    if (depthwise) sc_u8_dwconv__ref(&s, &q, in, w, bias, out, 0, s.out_h);
    else sc_u8_conv__ref(&s, &q, in, w, bias, out, 0, s.out_h);
    int bad = 0;
    for (int oy = 0; oy < s.out_h; oy++)
        for (int ox = 0; ox < s.out_w; ox++)
            for (int oc = 0; oc < s.out_c; oc++) {
                double acc = bias[oc];
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int iy = oy * stride - s.pad_top + ky, ix = ox * stride - s.pad_left + kx;
                        if (iy < 0 || ix < 0 || iy >= in_h || ix >= in_w) continue;
                        if (depthwise)
                            acc += (in[((size_t)iy * in_w + ix) * in_c + oc] - 128.0) * (w[((size_t)ky * k + kx) * in_c + oc] - 120.0);
                        else
                            for (int ic = 0; ic < in_c; ic++)
                                acc += (in[((size_t)iy * in_w + ix) * in_c + ic] - 128.0) *
                                       (w[(((size_t)oc * k + ky) * k + kx) * in_c + ic] - 120.0);
                    }
                double v = round(acc * real) + 10;
                v = v < 10 ? 10 : v > 250 ? 250 : v;
                int got = out[((size_t)oy * s.out_w + ox) * s.out_c + oc];
                if (fabs(got - v) > 1) bad++;   /* fixed point vs float64 may differ at ties */
            }
    CHECKF(bad == 0, "%s %dx%dx%d k%d s%d: %d outputs differ by more than 1",
           depthwise ? "dwconv" : "conv", in_h, in_w, in_c, k, stride, bad);
    free(in); free(w); free(out); free(bias);
}

/* A 3-layer net (conv s2 → dwconv → conv 1x1), uint8 or f32, run with the kernels of level
 * `isa` (packed for it when it has packed kernels) and `threads` threads. Returns the output
 * bytes (malloc'd) or NULL when the level is not supported here. */
static uint8_t *run_small_net(const char *isa, int f32, int threads, size_t *bytes)
{
    sc_kernels k;
    if (sc_kernels_init_isa(&k, isa) != 0) return NULL;
    sc_net *net = NULL;
    CHECK(sc_net_create(8, 8, &net) == SC_OK);
    sc_dtype dt = f32 ? SC_DT_F32 : SC_DT_U8;
    sc_nn_tensor tt = { .dt = dt, .h = 37, .w = 41, .c = 5, .scale = 0.02f, .zp = 128, .alias_of = -1 };
    int x = sc_net_add_tensor(net, &tt);
    int prev = x, cin = 5, h = 37, w = 41, n_packed = 0;
    for (int li = 0; li < 3; li++) {
        sc_nn_layer *l = sc_net_add_layer(net);
        int dw = li == 1, k_sz = li == 2 ? 1 : 3, stride = li == 0 ? 2 : 1, cout = dw ? cin : 13 + li;
        l->type = dw ? SC_L_DWCONV : SC_L_CONV;
        sc_conv_shape s = { h, w, cin, (h + stride - 1) / stride, (w + stride - 1) / stride, cout, k_sz, k_sz, stride, stride, 1, 1, k_sz / 2, k_sz / 2 };
        l->shape = s;
        l->q = (sc_requant){ 128, 127, 0, 0, 0, 0, 255 };
        sc_quantize_multiplier(0.02 * 0.01 / 0.03, &l->q.mult, &l->q.shift);
        l->act_min = 0.0f;
        l->act_max = 6.0f;
        size_t nw = dw ? (size_t)9 * cin : (size_t)cout * k_sz * k_sz * cin;
        rng = 99 + (uint32_t)li;
        if (f32) {
            float *wt = sc_net_alloc(net, nw * sizeof(float)), *bias = sc_net_alloc(net, sizeof(float) * (size_t)cout);
            for (size_t i = 0; i < nw; i++) wt[i] = (float)((int)(rnd() % 2001) - 1000) / 3000.0f;
            for (int i = 0; i < cout; i++) bias[i] = (float)((int)(rnd() % 201) - 100) / 100.0f;
            l->w = wt;
            l->bias = bias;
        } else {
            uint8_t *wt = sc_net_alloc(net, nw);
            for (size_t i = 0; i < nw; i++) wt[i] = (uint8_t)rnd();
            l->w = wt;
            l->bias = sc_net_alloc(net, sizeof(int32_t) * (size_t)cout);
        }
        tt.h = s.out_h; tt.w = s.out_w; tt.c = cout; tt.scale = 0.03f; tt.zp = 0;
        l->n_in = 1;
        l->in[0] = prev;
        l->out = prev = sc_net_add_tensor(net, &tt);
        CHECK(sc_net_pack_conv(net, l, &k) == SC_OK);
        n_packed += l->packing != SC_PACK_NONE;
        h = s.out_h; w = s.out_w; cin = cout;
    }
    /* every layer packed when the level has packed kernels, none with the references */
    CHECKF(n_packed == (k.u8_gemmconv ? 3 : 0), "%s: %d layers packed", isa, n_packed);
    CHECK(sc_net_plan(net, x, &prev, 1) == SC_OK);
    rng = 7;
    size_t n_in = (size_t)37 * 41 * 5;
    if (f32)
        for (size_t i = 0; i < n_in; i++) ((float *)sc_net_data(net, x))[i] = (float)(rnd() % 256) / 64.0f - 2.0f;
    else
        for (size_t i = 0; i < n_in; i++) ((uint8_t *)sc_net_data(net, x))[i] = (uint8_t)rnd();
    sc_pool *pool = NULL;
    CHECK(sc_pool_create(threads, &pool) == SC_OK);
    sc_net_run(net, &k, pool);
    *bytes = sc_nn_tensor_elems(sc_net_tensor(net, prev)) * sc_dtype_size(dt);
    uint8_t *result = malloc(*bytes);
    memcpy(result, sc_net_data(net, prev), *bytes);
    /* The planner must not place a layer's output over its live input. */
    for (int li = 0; li < sc_net_layer_count(net); li++) {
        const sc_nn_layer *l = sc_net_layer(net, li);
        const sc_nn_tensor *a = sc_net_tensor(net, l->in[0]), *b = sc_net_tensor(net, l->out);
        CHECK(a->offset + a->bytes <= b->offset || b->offset + b->bytes <= a->offset);
    }
    sc_pool_destroy(pool);
    sc_net_destroy(net);
    return result;
}

/* 1, 2 and 3 threads give identical bytes, for the references and every packed level; uint8
 * is also identical across levels (f32 may differ by FMA rounding, checked in test_kernels). */
static void test_threads_identical(void)
{
    static const char *const isas[] = { "ref", "portable", "avx2", "avx512", "neon" };
    for (int f32 = 0; f32 <= 1; f32++) {
        uint8_t *first = NULL;
        size_t first_bytes = 0;
        for (size_t i = 0; i < SC_ARRAY_LEN(isas); i++) {
            uint8_t *results[3] = { 0 };
            size_t bytes = 0;
            for (int t = 1; t <= 3; t++) results[t - 1] = run_small_net(isas[i], f32, t, &bytes);
            if (!results[0]) continue;   /* level not supported here */
            CHECKF(memcmp(results[0], results[1], bytes) == 0, "%s %s: 1 vs 2 threads", isas[i], f32 ? "f32" : "u8");
            CHECKF(memcmp(results[0], results[2], bytes) == 0, "%s %s: 1 vs 3 threads", isas[i], f32 ? "f32" : "u8");
            int nonconst = 0;
            for (size_t j = 1; j < bytes; j++) nonconst |= results[0][j] != results[0][0];
            CHECK(nonconst);   /* a net that outputs a constant would pass the equality trivially */
            if (!first) {
                first = results[0];
                first_bytes = bytes;
                results[0] = NULL;
            } else if (!f32) {
                CHECKF(bytes == first_bytes && memcmp(first, results[0], bytes) == 0, "%s u8 differs from ref", isas[i]);
            }
            for (int t = 0; t < 3; t++) free(results[t]);
        }
        free(first);
    }
}

int main(void)
{
    test_requantize();
    int shapes[][4] = { { 1, 1, 1, 1 }, { 5, 7, 3, 8 }, { 9, 9, 8, 4 }, { 19, 19, 17, 9 }, { 8, 3, 33, 2 } };
    for (size_t i = 0; i < SC_ARRAY_LEN(shapes); i++)
        for (int stride = 1; stride <= 2; stride++) {
            check_conv(0, shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], 3, stride);
            check_conv(0, shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], 1, stride);
            check_conv(1, shapes[i][0], shapes[i][1], shapes[i][2], 0, 3, stride);
        }
    test_threads_identical();
    return sc_test_finish();
}
