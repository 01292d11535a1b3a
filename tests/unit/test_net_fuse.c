/* core/nn depthwise 3×3 → pointwise fusion (sc_net_run runs such a pair as one pass over
 * row bands). Fused and unfused runs give the same bytes, for 1, 2 and 3 threads (all but the
 * fused depthwise outputs, which serve as band buffers and are read by nothing else):
 *  - on hand-made pairs with odd shapes (stride 1 and 2, maps narrower and wider than a band,
 *    more threads than rows), float and uint8, each kernel level this CPU runs; and pairs
 *    that must not fuse (the depthwise output also a graph output or read by another layer,
 *    1×1 weights over the limit, uint8 channels not a multiple of 4) are not;
 *  - on the random-weight ssd_mnv1_300 (float and int8) layer by layer: every layer's output
 *    right after its step, and the whole arena after sc_net_run (the nets are planned for
 *    SC_FUSE_AUTO: float conv1, 2, 3, 5 fuse; int8 none, unless the placement allows);
 *  - on the real COCO model (uint8), when ../shared has it: the whole arena after sc_net_run.
 * Also: the fused pass really runs (sc_net_run_step of the tail alone writes nothing; its
 * output appears with the head's step), sc_net_run_layer runs single layers (the depthwise
 * output is the layer's), SC_FUSE_OFF fuses nothing, SC_FUSE_AUTO (the default) only the
 * pairs whose depthwise output is 1 MB or more, SC_FUSE_ALL every pair it can. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/nn/net.h"
#include "core/pool.h"
#include "models/bench_nets.h"
#include "models/detector.h"
#include "tests/harness.h"

static uint32_t rng = 1;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }

static uint64_t fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint8_t *arena_of(sc_net *net)
{
    return (uint8_t *)sc_net_data(net, 0) - sc_net_tensor(net, 0)->offset;
}

static int count_fused(const sc_net *net, const sc_kernels *k, const sc_pool *pool)
{
    int c = 0;
    for (int i = 0; i < sc_net_layer_count(net); i++) c += sc_net_fused(net, k, pool, i) > 0;
    return c;
}

/* 1 when layer i runs in a fused chain and is not its last layer: its output tensor then
 * holds window rows only. */
static int scratch_layer(const sc_net *net, const sc_kernels *k, const sc_pool *pool, int i)
{
    return sc_net_fused(net, k, pool, i) != 0 && i + 1 < sc_net_layer_count(net) &&
           sc_net_fused(net, k, pool, i + 1) == -1;
}

/* The arena equals `want` (a copy of it after an unfused run) but for the bytes of the
 * tensors inside the chains that run fused with k on pool (compared as zeros). */
static int arena_equal(sc_net *net, const sc_kernels *k, const sc_pool *pool, const uint8_t *want)
{
    size_t ab = sc_net_arena_bytes(net);
    uint8_t *a = malloc(ab), *b = malloc(ab);
    if (!a || !b) { free(a); free(b); return 0; }
    memcpy(a, arena_of(net), ab);
    memcpy(b, want, ab);
    for (int i = 0; i < sc_net_layer_count(net); i++) {
        if (!scratch_layer(net, k, pool, i)) continue;
        const sc_nn_tensor *t = sc_net_tensor(net, sc_net_layer(net, i)->out);
        memset(a + t->offset, 0, t->bytes);
        memset(b + t->offset, 0, t->bytes);
    }
    int eq = !memcmp(a, b, ab);
    free(a);
    free(b);
    return eq;
}

/* ---- hand-made chains ------------------------------------------------------------------ */

enum { SHOW_MID = 1, EXTRA_READ = 2 };

#define MAX_CHAIN 6

/* One layer of a hand-made chain: 'c' full 3×3, 'd' depthwise 3×3, 'p' 1×1; stride; output
 * channels (depthwise: the input's). */
typedef struct chain_step {
    char kind;
    int s, oc;
} chain_step;

typedef struct pair_net {
    sc_net *net;
    int n;                       /* layers of the chain */
    int t[MAX_CHAIN + 1];        /* t[0] the input, t[j + 1] layer j's output */
    int x, mid, y, extra;        /* t[0], t[1], t[n], and the EXTRA_READ layer's output */
} pair_net;

/* x (h × w × c) → the steps (TF SAME padding) → y. flags: SHOW_MID makes the first layer's
 * output (mid) a graph output; EXTRA_READ adds a layer that also reads mid (an ADD of mid
 * and mid). */
static void build_chain(pair_net *p, const sc_kernels *k, int f32, int h, int w, int c, const chain_step *st, int n,
                        int flags)
{
    memset(p, 0, sizeof(*p));
    CHECK(sc_net_create(MAX_CHAIN + 2, MAX_CHAIN + 1, &p->net) == SC_OK);
    sc_net *net = p->net;
    sc_net_set_fusion(net, SC_FUSE_ALL);   /* plan makes room for the chain, whatever its size */
    sc_dtype dt = f32 ? SC_DT_F32 : SC_DT_U8;
    p->n = n;
    sc_nn_tensor t = { .dt = dt, .h = h, .w = w, .c = c, .scale = 0.02f, .zp = 128, .alias_of = -1 };
    p->t[0] = p->x = sc_net_add_tensor(net, &t);
    for (int j = 0; j < n; j++) {
        const chain_step *cs = &st[j];
        int ih = t.h, iw = t.w, ic = t.c, s = cs->s, oc = cs->kind == 'd' ? ic : cs->oc;
        int oh = (ih + s - 1) / s, ow = (iw + s - 1) / s, kk = cs->kind == 'p' ? 1 : 3;
        float in_scale = t.scale;
        int in_zp = t.zp;
        t.h = oh; t.w = ow; t.c = oc; t.scale = 0.03f + 0.01f * (float)j; t.zp = j ? 0 : 3;
        p->t[j + 1] = sc_net_add_tensor(net, &t);
        sc_nn_layer *l = sc_net_add_layer(net);
        l->type = cs->kind == 'd' ? SC_L_DWCONV : SC_L_CONV;
        int pad_h = SC_MAX((oh - 1) * s + kk - ih, 0), pad_w = SC_MAX((ow - 1) * s + kk - iw, 0);
        sc_conv_shape cshape = { ih, iw, ic, oh, ow, oc, kk, kk, s, s, 1, 1, pad_h / 2, pad_w / 2 };
        l->shape = cshape;
        l->n_in = 1;
        l->in[0] = p->t[j];
        l->out = p->t[j + 1];
        l->q = (sc_requant){ in_zp, 127 - j, t.zp, 0, 0, 0, 255 };
        int taps = cs->kind == 'd' ? 9 : kk * kk * ic;
        sc_quantize_multiplier(in_scale * 0.02 * 8.0 / (taps * t.scale), &l->q.mult, &l->q.shift);
        l->act_min = j % 2 ? -1.0f : 0.0f;
        l->act_max = 6.0f;
        size_t nw = cs->kind == 'd' ? (size_t)9 * ic : (size_t)kk * kk * ic * oc, nb = (size_t)oc;
        if (f32) {
            float *wt = sc_net_alloc(net, sizeof(float) * nw), *b = sc_net_alloc(net, sizeof(float) * nb);
            CHECK(wt && b);
            if (!wt || !b) return;
            for (size_t i = 0; i < nw; i++) wt[i] = (float)((int)(rnd() % 2001) - 1000) / (300.0f * (float)taps);
            for (size_t i = 0; i < nb; i++) b[i] = (float)((int)(rnd() % 201) - 100) / 100.0f;
            l->w = wt;
            l->bias = b;
        } else {
            uint8_t *wt = sc_net_alloc(net, nw);
            int32_t *b = sc_net_alloc(net, sizeof(int32_t) * nb);
            CHECK(wt && b);
            if (!wt || !b) return;
            for (size_t i = 0; i < nw; i++) wt[i] = (uint8_t)rnd();
            for (size_t i = 0; i < nb; i++) b[i] = (int32_t)(rnd() % 2001) - 1000;
            l->w = wt;
            l->bias = b;
        }
        CHECK(sc_net_pack_conv(net, l, k) == SC_OK);
    }
    p->mid = p->t[1];
    p->y = p->t[n];
    int outs[2] = { p->y, p->mid };
    int n_outs = flags & SHOW_MID ? 2 : 1;
    if (flags & EXTRA_READ) {
        const sc_nn_tensor *m = sc_net_tensor(net, p->mid);
        sc_nn_tensor e = *m;
        e.zp = 3;
        p->extra = sc_net_add_tensor(net, &e);
        sc_nn_layer *add = sc_net_add_layer(net);
        add->type = SC_L_ADD;
        add->n_in = 2;
        add->in[0] = add->in[1] = p->mid;
        add->out = p->extra;
        add->act_min = -100.0f;
        add->act_max = 100.0f;
        sc_quantize_multiplier(0.5, &add->add_mult[0], &add->add_shift[0]);
        sc_quantize_multiplier(0.5, &add->add_mult[1], &add->add_shift[1]);
        sc_quantize_multiplier(1.0 / (1 << 20), &add->add_mult[2], &add->add_shift[2]);
        add->q.act_min = 0;
        add->q.act_max = 255;
        outs[1] = p->extra;
        n_outs = 2;
    }
    CHECK(sc_net_plan(net, p->x, outs, n_outs) == SC_OK);
}

/* x (h × w × c) → dw 3×3 stride s → mid → 1×1 to oc → y. */
static void build_pair(pair_net *p, const sc_kernels *k, int f32, int h, int w, int c, int oc, int s, int flags)
{
    const chain_step st[2] = { { 'd', s, c }, { 'p', 1, oc } };
    build_chain(p, k, f32, h, w, c, st, 2, flags);
}

static void fill_input(sc_net *net, int id, uint32_t seed)
{
    const sc_nn_tensor *t = sc_net_tensor(net, id);
    size_t n = sc_nn_tensor_elems(t);
    rng = seed;
    if (t->dt == SC_DT_F32) {
        float *x = sc_net_data(net, id);
        for (size_t i = 0; i < n; i++) x[i] = (float)(rnd() % 256) / 64.0f - 2.0f;
    } else {
        uint8_t *x = sc_net_data(net, id);
        for (size_t i = 0; i < n; i++) x[i] = (uint8_t)rnd();
    }
}

/* Runs the chain with fusion `mode` on `threads` threads; returns a copy of y. *fused: what
 * sc_net_fused says of the first layer (the fused chain's length, or 0); the other layers
 * must then say -1 (or 0 when it is 0). */
static uint8_t *run_pair(pair_net *p, const sc_kernels *k, sc_fuse_mode mode, int threads, size_t *bytes, int *fused)
{
    sc_pool *pool = NULL;
    if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
    sc_net_set_fusion(p->net, mode);
    *fused = sc_net_fused(p->net, k, pool, 0);
    for (int j = 1; j < p->n; j++) CHECK(sc_net_fused(p->net, k, pool, j) == (j < *fused ? -1 : 0));
    fill_input(p->net, p->x, 77);
    for (int j = 1; j <= p->n; j++) {
        const sc_nn_tensor *m = sc_net_tensor(p->net, p->t[j]);
        memset(sc_net_data(p->net, p->t[j]), 0x5A, m->bytes);
    }
    sc_net_run(p->net, k, pool);
    const sc_nn_tensor *y = sc_net_tensor(p->net, p->y);
    *bytes = y->bytes;
    uint8_t *copy = malloc(*bytes);
    memcpy(copy, sc_net_data(p->net, p->y), y->bytes);
    sc_pool_destroy(pool);
    return copy;
}

/* Unfused on 1 thread vs fused (SC_FUSE_ALL) on 1, 2 and 3 threads, and unfused and
 * SC_FUSE_AUTO on 2 and 3: the same bytes. want(threads) is the
 * fused length expected. */
static void check_chain(pair_net *p, const sc_kernels *k, const char *level, int f32, const char *what,
                        const int want[4])
{
    size_t b0, b;
    int fused;
    uint8_t *ref = run_pair(p, k, SC_FUSE_OFF, 1, &b0, &fused);
    CHECKF(!fused, "%s %s %s: fused with fusion off", level, f32 ? "f32" : "u8", what);
    /* the output was written (not left at the 0x5A fill) */
    size_t filler = 0;
    for (size_t i = 0; i < b0; i++) filler += ref[i] == 0x5A;
    CHECKF(filler < b0 / 4, "%s %s: output looks unwritten", level, what);
    for (int threads = 1; threads <= 3; threads++) {
        uint8_t *got = run_pair(p, k, SC_FUSE_ALL, threads, &b, &fused);
        CHECKF(fused == want[threads], "%s %s %s, %d threads: fused %d, want %d", level, f32 ? "f32" : "u8", what,
               threads, fused, want[threads]);
        CHECKF(b == b0 && !memcmp(got, ref, b0), "%s %s %s, %d threads: fused bytes differ", level,
               f32 ? "f32" : "u8", what, threads);
        free(got);
        if (threads > 1) {   /* unfused on the pool too */
            got = run_pair(p, k, SC_FUSE_OFF, threads, &b, &fused);
            CHECK(!fused);
            free(got);
            got = run_pair(p, k, SC_FUSE_AUTO, threads, &b, &fused);
            CHECKF(!memcmp(got, ref, b0), "%s %s %s, %d threads unfused: differ", level, f32 ? "f32" : "u8", what,
                   threads);
            free(got);
        }
    }
    free(ref);
}

typedef struct pair_case {
    int h, w, c, oc, s, flags, fuses;
} pair_case;

static void test_pairs(const sc_kernels *k, const char *level)
{
    static const pair_case cases[] = {
        { 13, 7, 24, 40, 1, 0, 1 },        /* narrow rows: bands of many rows (96 pixels) */
        { 29, 150, 32, 64, 1, 0, 1 },      /* conv1-like width: a few rows per band */
        { 31, 77, 128, 72, 2, 0, 1 },      /* stride 2, odd sizes */
        { 2, 3, 16, 16, 1, 0, -3 },        /* fewer rows than threads: fused on 1 thread only */
        { 9, 9, 40, 24, 1, SHOW_MID, 0 },  /* the depthwise output is a graph output */
        { 9, 9, 40, 24, 1, EXTRA_READ, 0 },/* another layer reads it */
        { 6, 6, 256, 272, 1, 0, -1 },      /* 1×1 weights: 272 KB f32 (not fused), 68 KB u8 (fused) */
        { 11, 17, 30, 20, 1, 0, -2 },      /* 30 channels: f32 fused, u8 not (GEMM rows read to 32) */
    };
    for (int f32 = 0; f32 <= 1; f32++)
        for (size_t ci = 0; ci < SC_ARRAY_LEN(cases); ci++) {
            const pair_case *pc = &cases[ci];
            pair_net p;
            rng = 11 + (uint32_t)ci;
            build_pair(&p, k, f32, pc->h, pc->w, pc->c, pc->oc, pc->s, pc->flags);
            int want[4] = { 0, 0, 0, 0 };
            for (int threads = 1; threads <= 3; threads++) {
                int f = pc->fuses >= 0 ? pc->fuses : pc->fuses == -1 ? !f32 : pc->fuses == -2 ? f32 : threads == 1;
                want[threads] = f ? 2 : 0;
            }
            char what[64];
            snprintf(what, sizeof(what), "pair %zu (%dx%dx%d->%d s%d)", ci, pc->h, pc->w, pc->c, pc->oc, pc->s);
            check_chain(&p, k, level, f32, what, want);
            sc_net_destroy(p.net);
        }
}

/* Longer chains: a full 3×3 first layer, stride-2 depthwise layers in the middle and at the
 * end, depthwise after depthwise, odd sizes; each is one fused pass on 1, 2 and 3 threads
 * (their maps are tall enough for three tasks' windows). */
static void test_chains(const sc_kernels *k, const char *level)
{
    static const struct {
        int h, w, c, n;
        chain_step st[MAX_CHAIN];
    } cases[] = {
        { 97, 41, 3, 5, { { 'c', 2, 16 }, { 'd', 1, 0 }, { 'p', 1, 24 }, { 'd', 2, 0 }, { 'p', 1, 40 } } },
        { 71, 150, 16, 4, { { 'p', 1, 32 }, { 'd', 2, 0 }, { 'p', 1, 48 }, { 'd', 1, 0 } } },
        { 60, 9, 8, 3, { { 'd', 1, 0 }, { 'd', 1, 0 }, { 'd', 2, 0 } } },
        { 130, 5, 8, 6, { { 'c', 1, 8 }, { 'd', 1, 0 }, { 'p', 1, 16 }, { 'd', 2, 0 }, { 'p', 1, 16 }, { 'd', 1, 0 } } },
    };
    for (int f32 = 0; f32 <= 1; f32++)
        for (size_t ci = 0; ci < SC_ARRAY_LEN(cases); ci++) {
            pair_net p;
            rng = 31 + (uint32_t)ci;
            build_chain(&p, k, f32, cases[ci].h, cases[ci].w, cases[ci].c, cases[ci].st, cases[ci].n, 0);
            int want[4] = { 0, cases[ci].n, cases[ci].n, cases[ci].n };
            char what[64];
            snprintf(what, sizeof(what), "chain %zu (%dx%dx%d, %d layers)", ci, cases[ci].h, cases[ci].w, cases[ci].c,
                     cases[ci].n);
            check_chain(&p, k, level, f32, what, want);
            sc_net_destroy(p.net);
        }
}

/* ---- the SSD bench nets ---------------------------------------------------------------- */

/* The arena filled with 0x5A but for the input tensor (restored from `in`): a step that
 * does not write its output leaves the filler. */
static void poison(sc_net *net, int input, const uint8_t *in)
{
    memset(arena_of(net), 0x5A, sc_net_arena_bytes(net));
    memcpy(sc_net_data(net, input), in, sc_net_tensor(net, input)->bytes);
}

/* Steps through one inference (sc_bench_net_run_step), hashing each layer's output right
 * after its step (a fused pair's tail output is written by its head's step). */
static void step_hashes(sc_bench_net *b, const sc_kernels *k, sc_pool *pool, uint64_t *h)
{
    sc_net *net = sc_bench_net_net(b);
    for (int s = 0; s < sc_bench_net_steps(b); s++) {
        sc_bench_net_run_step(b, k, pool, s);
        int li = sc_bench_net_step_layer(b, s);
        if (li < 0) continue;
        int out = sc_net_layer(net, li)->out;
        h[li] = fnv(sc_net_data(net, out), sc_net_tensor(net, out)->bytes);
    }
}

static void test_bench_net(int int8, const sc_kernels *k, const char *level)
{
    const char *what = int8 ? "ssd int8" : "ssd fp32";
    sc_bench_net_cfg cfg = { .arch = SC_BENCH_SSD_MNV1, .int8 = int8, .seed = 99, .kernels = k };
    sc_bench_net *b = NULL;
    CHECK(sc_bench_net_create(&cfg, &b) == SC_OK);
    if (!b) return;
    sc_net *net = sc_bench_net_net(b);
    int n = sc_net_layer_count(net);
    /* conv0 reads the input tensor (float: the bench net's input, kept in the arena; int8:
     * quantised into it by the first step) */
    int input = sc_net_layer(net, 0)->in[0];
    size_t ab = sc_net_arena_bytes(net), ib = sc_net_tensor(net, input)->bytes;
    uint64_t *want = calloc((size_t)n, sizeof(uint64_t)), *got = calloc((size_t)n, sizeof(uint64_t));
    uint8_t *arena0 = malloc(ab), *in = malloc(ib);
    CHECK(want && got && arena0 && in);
    if (!want || !got || !arena0 || !in) return;
    memcpy(in, sc_net_data(net, input), ib);

    sc_net_set_fusion(net, SC_FUSE_OFF);
    CHECK_EQ_INT(count_fused(net, k, NULL), 0);
    poison(net, input, in);
    step_hashes(b, k, NULL, want);
    poison(net, input, in);
    sc_bench_net_run(b, k, NULL);
    memcpy(arena0, arena_of(net), ab);

    for (int threads = 1; threads <= 3; threads++) {
        sc_pool *pool = NULL;
        if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
        for (int fuse = threads == 1; fuse <= SC_FUSE_ALL; fuse++) {
            sc_net_set_fusion(net, (sc_fuse_mode)fuse);
            int chains = count_fused(net, k, pool);
            /* the links plan made room for (SC_FUSE_AUTO, the default): tensors of 1 MB or
             * more between two layers. Float: conv0 → conv4/dw (8 layers: 150×150 and 75×75
             * maps) and conv4 → conv6/dw (4: 38×38×256); int8: conv1 → conv2/dw (150×150×64
             * bytes). SC_FUSE_ALL after plan runs the same. */
            if (fuse) {
                CHECKF(chains == (int8 ? 1 : 2), "%s %s, %d threads, fusion %d: %d chains", level, what, threads, fuse,
                       chains);
                CHECKF(int8 ? sc_net_fused(net, k, pool, 2) == 2
                            : sc_net_fused(net, k, pool, 0) == 8 && sc_net_fused(net, k, pool, 8) == 4,
                       "%s %s, %d threads: not the chains expected", level, what, threads);
            } else {
                CHECK_EQ_INT(chains, 0);
            }
            if (fuse && threads == 1)
                printf("%s %s: %d fused chains (%s)\n", level, what, chains, fuse == SC_FUSE_ALL ? "all" : "auto");
            memset(got, 0, sizeof(uint64_t) * (size_t)n);
            poison(net, input, in);
            step_hashes(b, k, pool, got);
            int bad = -1;
            for (int i = 0; i < n && bad < 0; i++)
                if (got[i] != want[i] && !scratch_layer(net, k, pool, i)) bad = i;
            CHECKF(bad < 0, "%s %s, %d threads, fusion %d: layer %d output differs", level, what, threads, fuse, bad);
            poison(net, input, in);
            sc_bench_net_run(b, k, pool);
            CHECKF(arena_equal(net, k, pool, arena0), "%s %s, %d threads, fusion %d: arena after a run differs", level,
                   what, threads, fuse);
        }
        sc_pool_destroy(pool);
    }

    /* the fused pass is the head's: stepping up to a chain, the last layer's step alone
     * leaves its output alone, the head's step writes it; sc_net_run_layer runs each layer on
     * its own, the head's output included, fusion on or not (int8: conv1 → conv2/dw) */
    sc_net_set_fusion(net, SC_FUSE_AUTO);
    int head = -1, len = 0;
    for (int i = 0; i < n && head < 0; i++)
        if ((len = sc_net_fused(net, k, NULL, i)) > 0) head = i;
    CHECK(head >= 0 && len >= 2 && sc_net_fused(net, k, NULL, head + len - 1) == -1);
    poison(net, input, in);
    for (int s = 0; head >= 0 && s < sc_bench_net_steps(b); s++) {
        if (sc_bench_net_step_layer(b, s) != head) {
            sc_bench_net_run_step(b, k, NULL, s);
            continue;
        }
        int tail = head + len - 1;
        int y = sc_net_layer(net, tail)->out, d = sc_net_layer(net, head)->out;
        uint8_t *yd = sc_net_data(net, y);
        size_t yb = sc_net_tensor(net, y)->bytes, kept = 0;
        memset(yd, 0xA5, yb);
        sc_net_run_step(net, k, NULL, tail);
        for (size_t i = 0; i < yb; i++) kept += yd[i] == 0xA5;
        CHECKF(kept == yb, "%s %s: the fused tail step wrote its output", level, what);
        sc_bench_net_run_step(b, k, NULL, s);
        CHECKF(fnv(yd, yb) == want[tail], "%s %s: the fused head step did not write the tail's output", level, what);
        memset(yd, 0xA5, yb);
        sc_net_run_layer(net, k, NULL, head);
        CHECKF(fnv(sc_net_data(net, d), sc_net_tensor(net, d)->bytes) == want[head],
               "%s %s: sc_net_run_layer of a fused head is not the head layer's output", level, what);
        CHECKF(fnv(yd, yb) != want[tail], "%s %s: sc_net_run_layer of a fused head ran the chain", level, what);
        for (int i = head + 1; i <= tail; i++) sc_net_run_layer(net, k, NULL, i);
        CHECKF(fnv(yd, yb) == want[tail], "%s %s: sc_net_run_layer of the chain's layers one by one", level, what);
        break;
    }
    free(want);
    free(got);
    free(arena0);
    free(in);
    sc_bench_net_destroy(b);
}

/* ---- the COCO model --------------------------------------------------------------------- */

static void test_coco(void)
{
    char model[600];
    snprintf(model, sizeof(model), "%s/models/ssd_mobilenet_v1_coco_quant/detect.tflite", sc_test_shared_dir());
    FILE *f = fopen(model, "rb");
    if (!f) {
        printf("skip: no COCO model at %s\n", model);
        return;
    }
    fclose(f);
    sc_detector_cfg cfg = { .model_path = model, .n_threads = 1 };
    char err[512] = "";
    sc_detector *d = NULL;
    CHECKF(sc_detector_create(&cfg, &d, err, sizeof(err)) == SC_OK, "%s", err);
    if (!d) return;
    sc_kernels k;   /* the table the detector packs for (no SC_KERNELS in the tests) */
    sc_kernels_init(&k, 0);
    sc_net *net = sc_detector_net(d);
    int input = sc_net_layer(net, 0)->in[0];
    size_t ab = sc_net_arena_bytes(net);
    uint8_t *arena0 = malloc(ab);
    CHECK(arena0 != NULL);
    sc_net_set_fusion(net, SC_FUSE_OFF);
    fill_input(net, input, 5);
    sc_net_run(net, &k, NULL);
    memcpy(arena0, arena_of(net), ab);
    for (int threads = 1; threads <= 3; threads++) {
        sc_pool *pool = NULL;
        if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
        for (int fuse = threads == 1; fuse <= SC_FUSE_ALL; fuse++) {
            sc_net_set_fusion(net, (sc_fuse_mode)fuse);
            int chains = count_fused(net, &k, pool), len = 0;
            for (int i = 0; i < sc_net_layer_count(net); i++) len += SC_MAX(sc_net_fused(net, &k, pool, i), 0);
            if (fuse == SC_FUSE_ALL && threads == 1) printf("coco u8: %d fused chains, %d layers (all)\n", chains, len);
            /* plan's links (SC_FUSE_AUTO): the only uint8 tensor of 1 MB or more between two
             * layers is Conv2d_1_pointwise's 150×150×48 output, read by Conv2d_2_depthwise */
            CHECKF(fuse ? chains == 1 && len == 2 : chains == 0, "coco, %d threads, fusion %d: %d fused chains, %d layers",
                   threads, fuse, chains, len);
            memset(arena_of(net), 0, ab);
            fill_input(net, input, 5);
            sc_net_run(net, &k, pool);
            CHECKF(arena_equal(net, &k, pool, arena0), "coco, %d threads, fusion %d: arena after a run differs",
                   threads, fuse);
        }
        sc_pool_destroy(pool);
    }
    free(arena0);
    sc_detector_destroy(d);
}

int main(void)
{
    sc_kernels k;
    sc_kernels_init(&k, 0);
    test_pairs(&k, "best");
    test_chains(&k, "best");
    test_bench_net(0, &k, "best");
    test_bench_net(1, &k, "best");
    /* the other packed levels this CPU runs take the same packed nets */
    static const char *const levels[] = { "avx2", "portable" };
    for (size_t i = 0; i < SC_ARRAY_LEN(levels); i++) {
        sc_kernels kl;
        if (sc_kernels_init_isa(&kl, levels[i]) != 0) continue;
        test_pairs(&kl, levels[i]);
        test_chains(&kl, levels[i]);
        test_bench_net(0, &kl, levels[i]);
    }
    test_coco();
    return sc_test_finish();
}
