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
    for (int i = 0; i < sc_net_layer_count(net); i++) c += sc_net_fused(net, k, pool, i) == 1;
    return c;
}

/* The arena equals `want` (a copy of it after an unfused run) but for the bytes of the
 * depthwise outputs of the pairs that run fused with k on pool (compared as zeros). */
static int arena_equal(sc_net *net, const sc_kernels *k, const sc_pool *pool, const uint8_t *want)
{
    size_t ab = sc_net_arena_bytes(net);
    uint8_t *a = malloc(ab), *b = malloc(ab);
    if (!a || !b) { free(a); free(b); return 0; }
    memcpy(a, arena_of(net), ab);
    memcpy(b, want, ab);
    for (int i = 0; i < sc_net_layer_count(net); i++) {
        if (sc_net_fused(net, k, pool, i) != 1) continue;
        const sc_nn_tensor *t = sc_net_tensor(net, sc_net_layer(net, i)->out);
        memset(a + t->offset, 0, t->bytes);
        memset(b + t->offset, 0, t->bytes);
    }
    int eq = !memcmp(a, b, ab);
    free(a);
    free(b);
    return eq;
}

/* ---- hand-made pairs ------------------------------------------------------------------ */

enum { SHOW_MID = 1, EXTRA_READ = 2 };

typedef struct pair_net {
    sc_net *net;
    int x, mid, y, extra;
} pair_net;

/* x (h × w × c) → dw 3×3 stride s (TF SAME) → mid → 1×1 to oc → y. flags: SHOW_MID makes mid
 * a graph output; EXTRA_READ adds a layer that also reads mid (an ADD of mid and mid). */
static void build_pair(pair_net *p, const sc_kernels *k, int f32, int h, int w, int c, int oc, int s, int flags)
{
    memset(p, 0, sizeof(*p));
    CHECK(sc_net_create(4, 4, &p->net) == SC_OK);
    sc_net *net = p->net;
    sc_net_set_fusion(net, SC_FUSE_ALL);   /* plan makes room for the pair, whatever its size */
    sc_dtype dt = f32 ? SC_DT_F32 : SC_DT_U8;
    int oh = (h + s - 1) / s, ow = (w + s - 1) / s;
    sc_nn_tensor t = { .dt = dt, .h = h, .w = w, .c = c, .scale = 0.02f, .zp = 128, .alias_of = -1 };
    p->x = sc_net_add_tensor(net, &t);
    t.h = oh; t.w = ow; t.scale = 0.03f; t.zp = 3;
    p->mid = sc_net_add_tensor(net, &t);
    t.c = oc; t.scale = 0.05f; t.zp = 0;
    p->y = sc_net_add_tensor(net, &t);
    t.c = c;
    p->extra = sc_net_add_tensor(net, &t);

    sc_nn_layer *dw = sc_net_add_layer(net);
    dw->type = SC_L_DWCONV;
    int pad_h = SC_MAX((oh - 1) * s + 3 - h, 0), pad_w = SC_MAX((ow - 1) * s + 3 - w, 0);
    sc_conv_shape ds = { h, w, c, oh, ow, c, 3, 3, s, s, 1, 1, pad_h / 2, pad_w / 2 };
    dw->shape = ds;
    dw->n_in = 1;
    dw->in[0] = p->x;
    dw->out = p->mid;
    dw->q = (sc_requant){ 128, 127, 3, 0, 0, 0, 255 };
    sc_quantize_multiplier(0.02 * 0.02 / 0.03, &dw->q.mult, &dw->q.shift);
    dw->act_min = 0.0f;
    dw->act_max = 6.0f;

    sc_nn_layer *pw = sc_net_add_layer(net);
    pw->type = SC_L_CONV;
    sc_conv_shape ps = { oh, ow, c, oh, ow, oc, 1, 1, 1, 1, 1, 1, 0, 0 };
    pw->shape = ps;
    pw->n_in = 1;
    pw->in[0] = p->mid;
    pw->out = p->y;
    pw->q = (sc_requant){ 3, 120, 0, 0, 0, 0, 255 };
    sc_quantize_multiplier(0.03 * 0.01 / 0.05, &pw->q.mult, &pw->q.shift);
    pw->act_min = -1.0f;
    pw->act_max = 6.0f;

    sc_nn_layer *ls[2] = { dw, pw };
    size_t nw[2] = { (size_t)9 * c, (size_t)oc * c }, nb[2] = { (size_t)c, (size_t)oc };
    for (int j = 0; j < 2; j++) {
        if (f32) {
            float *wt = sc_net_alloc(net, sizeof(float) * nw[j]), *b = sc_net_alloc(net, sizeof(float) * nb[j]);
            CHECK(wt && b);
            if (!wt || !b) return;
            for (size_t i = 0; i < nw[j]; i++) wt[i] = (float)((int)(rnd() % 2001) - 1000) / (j ? 20.0f * c : 3000.0f);
            for (size_t i = 0; i < nb[j]; i++) b[i] = (float)((int)(rnd() % 201) - 100) / 100.0f;
            ls[j]->w = wt;
            ls[j]->bias = b;
        } else {
            uint8_t *wt = sc_net_alloc(net, nw[j]);
            int32_t *b = sc_net_alloc(net, sizeof(int32_t) * nb[j]);
            CHECK(wt && b);
            if (!wt || !b) return;
            for (size_t i = 0; i < nw[j]; i++) wt[i] = (uint8_t)rnd();
            for (size_t i = 0; i < nb[j]; i++) b[i] = (int32_t)(rnd() % 2001) - 1000;
            ls[j]->w = wt;
            ls[j]->bias = b;
        }
        CHECK(sc_net_pack_conv(net, ls[j], k) == SC_OK);
    }
    int outs[2] = { p->y, p->mid };
    int n_outs = flags & SHOW_MID ? 2 : 1;
    if (flags & EXTRA_READ) {
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

/* Runs the pair with fusion `mode` on `threads` threads; returns a copy of y. */
static uint8_t *run_pair(pair_net *p, const sc_kernels *k, sc_fuse_mode mode, int threads, size_t *bytes, int *fused)
{
    sc_pool *pool = NULL;
    if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
    sc_net_set_fusion(p->net, mode);
    *fused = sc_net_fused(p->net, k, pool, 0) == 1;
    CHECK(sc_net_fused(p->net, k, pool, 1) == (*fused ? -1 : 0));
    fill_input(p->net, p->x, 77);
    const sc_nn_tensor *m = sc_net_tensor(p->net, p->mid), *y = sc_net_tensor(p->net, p->y);
    memset(sc_net_data(p->net, p->mid), 0x5A, m->bytes);
    memset(sc_net_data(p->net, p->y), 0x5A, y->bytes);
    sc_net_run(p->net, k, pool);
    *bytes = y->bytes;
    uint8_t *copy = malloc(*bytes);
    memcpy(copy, sc_net_data(p->net, p->y), y->bytes);
    sc_pool_destroy(pool);
    return copy;
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
        { 2, 3, 16, 16, 1, 0, 1 },         /* fewer rows than threads */
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
            int want = pc->fuses >= 0 ? pc->fuses : pc->fuses == -1 ? !f32 : f32;
            size_t b0, b;
            int fused;
            uint8_t *ref = run_pair(&p, k, SC_FUSE_OFF, 1, &b0, &fused);
            CHECKF(!fused, "%s %s case %zu: fused with fusion off", level, f32 ? "f32" : "u8", ci);
            /* the pointwise output was written (not left at the 0x5A fill) */
            size_t filler = 0;
            for (size_t i = 0; i < b0; i++) filler += ref[i] == 0x5A;
            CHECKF(filler < b0 / 4, "%s case %zu: output looks unwritten", level, ci);
            for (int threads = 1; threads <= 3; threads++) {
                uint8_t *got = run_pair(&p, k, SC_FUSE_ALL, threads, &b, &fused);
                CHECKF(fused == want, "%s %s case %zu (%dx%dx%d->%d s%d), %d threads: fused %d, want %d", level,
                       f32 ? "f32" : "u8", ci, pc->h, pc->w, pc->c, pc->oc, pc->s, threads, fused, want);
                CHECKF(b == b0 && !memcmp(got, ref, b0), "%s %s case %zu, %d threads: fused bytes differ", level,
                       f32 ? "f32" : "u8", ci, threads);
                free(got);
                if (threads > 1) {   /* unfused on the pool too */
                    got = run_pair(&p, k, SC_FUSE_OFF, threads, &b, &fused);
                    CHECK(!fused);
                    free(got);
                    /* SC_FUSE_AUTO: these depthwise outputs are all under 1 MB */
                    got = run_pair(&p, k, SC_FUSE_AUTO, threads, &b, &fused);
                    CHECK(!fused);
                    CHECKF(!memcmp(got, ref, b0), "%s %s case %zu, %d threads unfused: differ", level,
                           f32 ? "f32" : "u8", ci, threads);
                    free(got);
                }
            }
            free(ref);
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
            int pairs = count_fused(net, k, pool);
            /* auto (the mode at plan): the depthwise outputs of 1 MB or more, float conv1,
             * conv2, conv3, conv5; all after plan: those, and others where the placement
             * happens to allow */
            if (fuse == SC_FUSE_ALL)
                CHECKF(pairs >= (int8 ? 0 : 4), "%s %s, %d threads: only %d fused pairs", level, what, threads, pairs);
            else if (fuse == SC_FUSE_AUTO)
                CHECKF(pairs == (int8 ? 0 : 4), "%s %s, %d threads: %d pairs fused by default", level, what, threads,
                       pairs);
            else
                CHECK_EQ_INT(pairs, 0);
            if (fuse && threads == 1)
                printf("%s %s: %d fused dw -> 1x1 pairs (%s)\n", level, what, pairs, fuse == SC_FUSE_ALL ? "all" : "auto");
            memset(got, 0, sizeof(uint64_t) * (size_t)n);
            poison(net, input, in);
            step_hashes(b, k, pool, got);
            int bad = -1;
            for (int i = 0; i < n && bad < 0; i++)
                if (got[i] != want[i] && sc_net_fused(net, k, pool, i) != 1) bad = i;
            CHECKF(bad < 0, "%s %s, %d threads, fusion %d: layer %d output differs", level, what, threads, fuse, bad);
            poison(net, input, in);
            sc_bench_net_run(b, k, pool);
            CHECKF(arena_equal(net, k, pool, arena0), "%s %s, %d threads, fusion %d: arena after a run differs", level,
                   what, threads, fuse);
        }
        sc_pool_destroy(pool);
    }

    /* the fused pass is the head's: stepping up to a pair, the tail's step alone leaves its
     * output alone, the head's step writes it; sc_net_run_layer runs each layer on its own,
     * the depthwise output included, fusion on or not (float: conv1/dw by default) */
    sc_net_set_fusion(net, SC_FUSE_AUTO);
    int head = -1;
    for (int i = 0; i < n && head < 0; i++)
        if (sc_net_fused(net, k, NULL, i) == 1) head = i;
    CHECK(int8 || (head >= 0 && sc_net_fused(net, k, NULL, head + 1) == -1));
    poison(net, input, in);
    for (int s = 0; head >= 0 && s < sc_bench_net_steps(b); s++) {
        if (sc_bench_net_step_layer(b, s) != head) {
            sc_bench_net_run_step(b, k, NULL, s);
            continue;
        }
        int y = sc_net_layer(net, head + 1)->out, d = sc_net_layer(net, head)->out;
        uint8_t *yd = sc_net_data(net, y);
        size_t yb = sc_net_tensor(net, y)->bytes, kept = 0;
        memset(yd, 0xA5, yb);
        sc_net_run_step(net, k, NULL, head + 1);
        for (size_t i = 0; i < yb; i++) kept += yd[i] == 0xA5;
        CHECKF(kept == yb, "%s %s: the fused tail step wrote its output", level, what);
        sc_bench_net_run_step(b, k, NULL, s);
        CHECKF(fnv(yd, yb) == want[head + 1], "%s %s: the fused head step did not write the tail's output", level,
               what);
        memset(yd, 0xA5, yb);
        sc_net_run_layer(net, k, NULL, head);
        CHECKF(fnv(sc_net_data(net, d), sc_net_tensor(net, d)->bytes) == want[head],
               "%s %s: sc_net_run_layer of a fused head is not the depthwise layer's output", level, what);
        CHECKF(fnv(yd, yb) != want[head + 1], "%s %s: sc_net_run_layer of a fused head ran the pair", level, what);
        sc_net_run_layer(net, k, NULL, head + 1);
        CHECKF(fnv(yd, yb) == want[head + 1], "%s %s: sc_net_run_layer of a fused tail", level, what);
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
            int pairs = count_fused(net, &k, pool);
            if (fuse == SC_FUSE_ALL && threads == 1) printf("coco u8: %d fused dw -> 1x1 pairs (all)\n", pairs);
            /* auto: no uint8 depthwise output reaches 1 MB (and plan made room for none) */
            CHECKF(fuse == SC_FUSE_ALL || pairs == 0, "coco, %d threads, fusion %d: %d fused pairs", threads, fuse,
                   pairs);
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
    test_bench_net(0, &k, "best");
    test_bench_net(1, &k, "best");
    /* the other packed levels this CPU runs take the same packed nets */
    static const char *const levels[] = { "avx2", "portable" };
    for (size_t i = 0; i < SC_ARRAY_LEN(levels); i++) {
        sc_kernels kl;
        if (sc_kernels_init_isa(&kl, levels[i]) != 0) continue;
        test_pairs(&kl, levels[i]);
        test_bench_net(0, &kl, levels[i]);
    }
    test_coco();
    return sc_test_finish();
}
