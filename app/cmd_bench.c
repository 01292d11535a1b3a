/* app/cmd_bench.c — `ssdcam bench`: the engine's speed, end to end and per layer.
 *
 * Every configuration (network × precision × thread count) runs `warmup` untimed inferences,
 * then `runs` timed ones; we report the median, p10, p90 and minimum (p10 = t[n/10] and p90 =
 * t[9n/10] of the sorted times, as ../shared/bench's report() does), GFLOP/s = 2·MACs / median
 * and that as a percentage of this CPU's fp32 FMA peak (threads × one core's, measured here
 * with independent FMA chains like ../shared/bench/src/fma_peak.c, or given with --peak).
 * uint8/int8 rows use the same fp32 FLOP count and peak (so can exceed 100 %), as the peers'
 * table does. Per-layer times come from separate passes that time each layer of whole
 * inferences (not one layer repeated, which would keep its data in cache).
 *
 * On a shared machine run it SCHED_FIFO (`chrt -f 10 ssdcam bench`) as ../shared/bench does;
 * scripts/bench-peers.py does that and puts the peer engines beside it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/cmds.h"
#include "app/image_io.h"
#include "app/jpeg_turbo.h"
#include "app/mjpeg.h"
#include "app/paths.h"
#include "app/sc_git.h"
#include "core/clock.h"
#include "core/image.h"
#include "core/kernels/kernels.h"
#include "core/log.h"
#include "core/nn/net.h"
#include "core/pool.h"
#include "core/yuyv.h"
#include "models/bench_nets.h"
#include "models/detector.h"
#include "sc_config.h"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#define MAX_THREADS 8
#define MAX_DETS 100
#define FRAME_W 640
#define FRAME_H 480
#define DEFAULT_IMAGE_REL "demo/darknet_dog.jpg"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ssdcam bench [OPTIONS]\n"
        "Time the inference engine: median, p10, p90 and min of N runs after a warm-up, end to end and\n"
        "per layer, with GFLOP/s (2 x mult-adds / median) and %% of this CPU's fp32 FMA peak.\n\n"
        "Benchmarks (--only, comma-separated; default all):\n"
        "  coco     the COCO SSD MobileNet v1 model (uint8) at 300x300: the network\n"
        "  rho      the same at the resolution multiplier sizes 256, 224, 192, 160\n"
        "  detect   a whole detection from a 640x480 RGB frame: resize + network + post-process\n"
        "  ssd      ssd_mnv1_300 of ../shared/bench (random weights; MobileNet-SSD, alpha 1, 21 classes)\n"
        "  mnv1     mnv1_a1_224 of ../shared/bench (random weights; MobileNetV1, alpha 1, 224x224)\n"
        "  decode   MJPEG decode of 640x480 and 1280x720 frames made from the test photos: stb_image,\n"
        "           libjpeg-turbo full size and DCT-scaled (not in the default set)\n"
        "  capture  the capture path per frame, decode/convert + resize to 300x300: MJPEG 640x480 and\n"
        "           1280x720 per decoder, YUYV 640x480 fused and separate; frames/s and thread CPU ms\n"
        "           per frame (not in the default set)\n\n"
        "  --threads LIST   thread counts (default 1,2)\n"
        "  --prec LIST      fp32,int8 for ssd and mnv1 (default both)\n"
        "  --runs N         timed runs per configuration (default 30)\n"
        "  --warmup N       untimed runs first (default 10)\n"
        "  --quick          3 warm-up + 5 timed runs, 300 only (a smoke test; `meson test --benchmark`)\n"
        "  --no-layers      end to end only\n"
        "  --warm-layers    run each layer twice in a row and time the second run: its inputs and\n"
        "                   weights are then in cache (per-layer table minus this = the cold cost)\n"
        "  --peak GFLOPS    one core's fp32 FMA peak (default: measured, ~0.1 s)\n"
        "  --model PATH     the .tflite (default: assets/" SC_DEFAULT_MODEL_REL ")\n"
        "  --image PATH     picture for `detect`, resized to 640x480 first (default: assets/" DEFAULT_IMAGE_REL ")\n"
        "  --result         only machine-readable lines: RESULT engine=ssdcam model=... threads=... prec=...\n"
        "                   median_ms=... p10_ms=... p90_ms=... min_ms=... runs=... (../shared/bench format)\n"
        "Kernel level: the best this CPU runs, or SC_KERNELS=ref|portable|avx2|avx512|neon.\n"
        "SC_FUSE=0|2: no chain of layers as one pass over row bands, or every chain plan made room for\n"
        "           (default: chains linked by tensors >= 1 MB; a chain's row reads \"fused xN\").\n"
        "On a busy machine run it SCHED_FIFO: chrt -f 10 ssdcam bench (scripts/bench-peers.py does).\n"
        "exit codes: 0 ok, 2 usage, 3 model missing or unreadable\n");
}

/* ---- options ---------------------------------------------------------------------------- */

enum { B_COCO = 1, B_RHO = 2, B_DETECT = 4, B_SSD = 8, B_MNV1 = 16, B_ALL = 31, B_DECODE = 32, B_CAPTURE = 64 };

typedef struct opts {
    int only, fp32, int8;
    int threads[MAX_THREADS], n_threads;
    int runs, warmup, layers, warm_layers, result;
    double peak;
    const char *model, *image;
    char model_buf[4096], image_buf[4096];
} opts;

static int parse_int(const char *name, const char *v, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi) {
        sc_log_error("bench: %s '%s': expected an integer from %d to %d", name, v, lo, hi);
        return 0;
    }
    *out = (int)x;
    return 1;
}

static int parse_list(const char *v, const char *const *names, const int *bits, int n, int *out, const char *opt)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", v);
    *out = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(tok, names[i])) { *out |= bits[i]; found = 1; }
        if (!found) {
            sc_log_error("bench: %s: unknown name '%s'", opt, tok);
            return 0;
        }
    }
    return *out != 0;
}

/* ---- timing ----------------------------------------------------------------------------- */

typedef struct stats { double med, p10, p90, min; int n; } stats;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts ns[0..n) and fills s in ms. */
static void summarize(int64_t *ns, int n, stats *s)
{
    qsort(ns, (size_t)n, sizeof(int64_t), cmp_i64);
    s->n = n;
    s->med = ((n & 1) ? (double)ns[n / 2] : 0.5 * ((double)ns[n / 2 - 1] + (double)ns[n / 2])) / 1e6;
    s->p10 = (double)ns[n / 10] / 1e6;
    s->p90 = (double)ns[(n * 9) / 10] / 1e6;
    s->min = (double)ns[0] / 1e6;
}

/* Something to time: a whole inference, and the same as steps (layers). */
typedef struct target {
    char name[48];
    const char *prec;
    int threads;
    int64_t macs;
    void *ctx;
    void (*run)(void *ctx);
    int n_steps;
    void (*run_step)(void *ctx, int i);
    void (*describe)(void *ctx, int i, char *name, size_t name_n, char *kind, size_t kind_n, int64_t *macs);
    int (*hidden)(void *ctx, int i);   /* steps not worth a table row (reshape aliases) */
} target;

static void time_e2e(const target *t, const opts *o, stats *s)
{
    int64_t *ns = malloc(sizeof(int64_t) * (size_t)o->runs);
    if (!ns) { memset(s, 0, sizeof(*s)); return; }
    for (int i = 0; i < o->warmup; i++) t->run(t->ctx);
    for (int i = 0; i < o->runs; i++) {
        int64_t t0 = sc_now_ns();
        t->run(t->ctx);
        ns[i] = sc_now_ns() - t0;
    }
    summarize(ns, o->runs, s);
    free(ns);
}

/* Times every step of `runs` whole inferences; s has n_steps entries. */
static int time_steps(const target *t, const opts *o, stats *s)
{
    int64_t *ns = malloc(sizeof(int64_t) * (size_t)o->runs * (size_t)t->n_steps);
    if (!ns) return 0;
    for (int w = 0; w < SC_MIN(o->warmup, 3); w++)
        for (int i = 0; i < t->n_steps; i++) t->run_step(t->ctx, i);
    for (int r = 0; r < o->runs; r++)
        for (int i = 0; i < t->n_steps; i++) {
            if (o->warm_layers) t->run_step(t->ctx, i);      /* untimed: brings inputs and weights in */
            int64_t t0 = sc_now_ns();
            t->run_step(t->ctx, i);
            ns[(size_t)i * o->runs + r] = sc_now_ns() - t0;
        }
    for (int i = 0; i < t->n_steps; i++) summarize(ns + (size_t)i * o->runs, o->runs, &s[i]);
    free(ns);
    return 1;
}

static double gflops(int64_t macs, double ms) { return ms > 0 && macs > 0 ? 2.0 * (double)macs / (ms * 1e6) : 0.0; }

typedef struct report {
    double peak1;                 /* one core's fp32 FMA peak, GFLOP/s */
    int header_done;
} report;

static void print_e2e_header(void)
{
    printf("%-34s %-4s %3s %9s %9s %9s %9s %8s %7s\n", "benchmark", "prec", "thr", "median ms", "p10 ms", "p90 ms",
           "min ms", "GFLOP/s", "% peak");
}

static void print_e2e(const target *t, const stats *s, const report *rp, const opts *o)
{
    double g = gflops(t->macs, s->med);
    if (o->result) {
        printf("RESULT engine=ssdcam model=%s threads=%d prec=%s median_ms=%.4f p10_ms=%.4f p90_ms=%.4f min_ms=%.4f "
               "runs=%d gflops=%.1f\n", t->name, t->threads, t->prec, s->med, s->p10, s->p90, s->min, s->n, g);
    } else {
        char pk[16] = "-";
        if (g > 0 && rp->peak1 > 0) snprintf(pk, sizeof(pk), "%.1f", 100.0 * g / (rp->peak1 * t->threads));
        printf("%-34s %-4s %3d %9.3f %9.3f %9.3f %9.3f %8.1f %7s\n", t->name, t->prec, t->threads, s->med, s->p10,
               s->p90, s->min, g, pk);
    }
    fflush(stdout);
}

enum { CLS_PW, CLS_DW, CLS_FUSED, CLS_CONV, CLS_OTHER, N_CLS };
static const char *const cls_names[N_CLS] = { "conv 1x1", "dw 3x3", "fused chains", "other conv", "other" };

static int kind_class(const char *kind)
{
    if (!strncmp(kind, "conv 1x1", 8)) return CLS_PW;
    if (!strncmp(kind, "dw 3x3", 6)) return CLS_DW;
    if (!strncmp(kind, "fused x", 7)) return CLS_FUSED;
    if (!strncmp(kind, "conv", 4)) return CLS_CONV;
    return CLS_OTHER;
}

static void print_layers(const target *t, const stats *s, const stats *e2e, const report *rp, int warm)
{
    printf("\nper layer: %s %s, %d thread%s (median of %d inferences, each layer timed inside them%s)\n", t->name,
           t->prec, t->threads, t->threads > 1 ? "s" : "", s[0].n,
           warm ? "; warm: each layer's second run in a row" : "");
    printf("%3s %-40s %-14s %8s %9s %9s %9s %8s %7s %6s\n", "#", "layer", "kind", "MMAC", "median ms", "p10 ms",
           "p90 ms", "GFLOP/s", "% peak", "share");
    double sum = 0, cls_ms[N_CLS] = { 0 };
    int64_t cls_macs[N_CLS] = { 0 };
    for (int i = 0; i < t->n_steps; i++) sum += s[i].med;
    for (int i = 0; i < t->n_steps; i++) {
        char name[128], kind[32];
        int64_t macs = 0;
        t->describe(t->ctx, i, name, sizeof(name), kind, sizeof(kind), &macs);
        int c = kind_class(kind);
        cls_ms[c] += s[i].med;
        cls_macs[c] += macs;
        if (t->hidden && t->hidden(t->ctx, i)) continue;
        double g = gflops(macs, s[i].med);
        char pk[16] = "-", gs[16] = "-";
        if (g > 0) {
            snprintf(gs, sizeof(gs), "%.1f", g);
            if (rp->peak1 > 0) snprintf(pk, sizeof(pk), "%.1f", 100.0 * g / (rp->peak1 * t->threads));
        }
        /* long TFLite names: keep the informative end */
        size_t len = strlen(name);
        const char *shown = len > 40 ? name + len - 40 : name;
        printf("%3d %-40s %-14s %8.2f %9.4f %9.4f %9.4f %8s %7s %5.1f%%\n", i, shown, kind, (double)macs / 1e6,
               s[i].med, s[i].p10, s[i].p90, gs, pk, sum > 0 ? 100.0 * s[i].med / sum : 0.0);
    }
    printf("by kind:");
    for (int c = 0; c < N_CLS; c++) {
        if (cls_ms[c] <= 0) continue;
        printf("  %s %.3f ms (%.0f%%", cls_names[c], cls_ms[c], sum > 0 ? 100.0 * cls_ms[c] / sum : 0.0);
        if (cls_macs[c] > 0) printf(", %.1f GFLOP/s", gflops(cls_macs[c], cls_ms[c]));
        printf(")");
    }
    printf("\nsum of layer medians %.3f ms; end-to-end median %.3f ms\n", sum, e2e->med);
    fflush(stdout);
}

static void bench_target(const target *t, const opts *o, report *rp)
{
    stats e2e;
    time_e2e(t, o, &e2e);
    if (!o->result && !rp->header_done) print_e2e_header();
    rp->header_done = 1;
    print_e2e(t, &e2e, rp, o);
    if (!o->layers || o->result || t->n_steps <= 0) return;
    stats *s = calloc((size_t)t->n_steps, sizeof(stats));
    if (s && time_steps(t, o, s)) {
        print_layers(t, s, &e2e, rp, o->warm_layers);
        printf("\n");
        rp->header_done = 0;
    }
    free(s);
}

/* ---- targets ---------------------------------------------------------------------------- */

static void layer_kind(const sc_nn_layer *l, char *kind, size_t n)
{
    const sc_conv_shape *s = &l->shape;
    switch (l->type) {
    case SC_L_CONV:
        if (s->k_h == 1 && s->k_w == 1) snprintf(kind, n, "conv 1x1");
        else snprintf(kind, n, "conv %dx%d s%d", s->k_h, s->k_w, s->stride_h);
        break;
    case SC_L_DWCONV:
        if (s->k_h == 3 && s->k_w == 3) snprintf(kind, n, "dw 3x3 s%d", s->stride_h);
        else snprintf(kind, n, "pool %dx%d", s->k_h, s->k_w);   /* the bench nets' average pool */
        break;
    case SC_L_ADD: snprintf(kind, n, "add"); break;
    case SC_L_CONCAT: snprintf(kind, n, "concat"); break;
    case SC_L_LOGISTIC: snprintf(kind, n, "logistic"); break;
    case SC_L_RESHAPE: snprintf(kind, n, "reshape"); break;
    }
}

/* A chain of N layers that sc_net runs fused (sc_net_fused) shows as one row on its first
 * layer, kind "fused xN", with the chain's time and mult-adds; the other layers' rows read
 * "(in the chain)", with no time or mult-adds of their own. */
static void net_layer_describe(sc_net *net, const sc_kernels *kern, const sc_pool *pool, int li, char *name,
                               size_t name_n, char *kind, size_t kind_n, int64_t *macs)
{
    const sc_nn_layer *l = sc_net_layer(net, li);
    const sc_nn_tensor *o = sc_net_tensor(net, l->out);
    char k[24];
    layer_kind(l, k, sizeof(k));
    int fused = sc_net_fused(net, kern, pool, li);
    *macs = l->macs;
    if (fused > 0) {
        snprintf(kind, kind_n, "fused x%d", fused);
        for (int j = 1; j < fused; j++) *macs += sc_net_layer(net, li + j)->macs;
    } else if (fused < 0) {
        snprintf(kind, kind_n, "(in the chain)");
        *macs = 0;
    } else {
        snprintf(kind, kind_n, "%s", k);
    }
    snprintf(name, name_n, "%s %dx%dx%d", o->name, o->h, o->w, o->c);
}

/* SC_FUSE=0 runs every layer on its own, SC_FUSE=2 fuses every chain it can
 * (sc_net_set_fusion), for A/B timing; default: the net's own choice. */
static void apply_fuse_env(sc_net *net)
{
    const char *env = getenv("SC_FUSE");
    if (env && !strcmp(env, "0")) sc_net_set_fusion(net, SC_FUSE_OFF);
    else if (env && !strcmp(env, "2")) sc_net_set_fusion(net, SC_FUSE_ALL);
}

/* The COCO network alone, on our own pool (the detector's own is created with 1 thread). */
typedef struct net_ctx {
    sc_net *net;
    sc_kernels k;
    sc_pool *pool;
} net_ctx;

static void net_run(void *c) { net_ctx *x = c; sc_net_run(x->net, &x->k, x->pool); }
static void net_step(void *c, int i) { net_ctx *x = c; sc_net_run_step(x->net, &x->k, x->pool, i); }
static void net_describe(void *c, int i, char *name, size_t nn, char *kind, size_t kn, int64_t *macs)
{
    net_ctx *x = c;
    net_layer_describe(x->net, &x->k, x->pool, i, name, nn, kind, kn, macs);
}
static int net_hidden(void *c, int i) { return sc_net_layer(((net_ctx *)c)->net, i)->type == SC_L_RESHAPE; }

/* The kernels a detector picks (SC_KERNELS or the best): the net is packed for them. */
static void init_kernels(sc_kernels *k)
{
    const char *env = getenv("SC_KERNELS");
    if (env && !strcmp(env, "ref")) sc_kernels_init(k, 1);
    else if (!(env && *env && sc_kernels_init_isa(k, env) == 0)) sc_kernels_init(k, 0);
}

static int make_pool(int threads, sc_pool **pool)
{
    *pool = NULL;
    if (threads <= 1) return 1;
    if (sc_pool_create(threads, pool) != SC_OK) {
        sc_log_error("bench: cannot start %d threads", threads);
        return 0;
    }
    return 1;
}

static int bench_coco(const opts *o, report *rp, int size, int with_layers)
{
    char err[512];
    sc_detector_cfg dc = { .model_path = o->model, .input_size = size, .n_threads = 1 };
    sc_detector *d = NULL;
    if (sc_detector_create(&dc, &d, err, sizeof(err))) {
        sc_log_error("%s", err);
        return SC_EXIT_MODEL;
    }
    net_ctx x = { .net = sc_detector_net(d) };
    apply_fuse_env(x.net);
    init_kernels(&x.k);
    sc_detector_stats st;
    sc_detector_get_stats(d, &st);
    /* the zero input gives the same work as a picture: the kernels do not branch on data */
    for (int ti = 0; ti < o->n_threads; ti++) {
        if (!make_pool(o->threads[ti], &x.pool)) break;
        target t = { .prec = "u8", .threads = o->threads[ti], .macs = st.macs, .ctx = &x, .run = net_run,
                     .n_steps = with_layers ? sc_net_layer_count(x.net) : 0, .run_step = net_step,
                     .describe = net_describe, .hidden = net_hidden };
        snprintf(t.name, sizeof(t.name), "coco_ssd_mnv1_%d", sc_detector_input_size(d));
        bench_target(&t, o, rp);
        sc_pool_destroy(x.pool);
        x.pool = NULL;
    }
    sc_detector_destroy(d);
    return SC_EXIT_OK;
}

/* A whole detection from a 640×480 frame: Pillow-exact resize, network, post-process. */
typedef struct detect_ctx {
    sc_detector *d;
    sc_resizer *rs;
    sc_image frame;
    sc_det dets[MAX_DETS];
    int n_dets;
} detect_ctx;

static void detect_resize(detect_ctx *x) { sc_resizer_run(x->rs, &x->frame, sc_detector_input(x->d)); }
static void detect_run(void *c)
{
    detect_ctx *x = c;
    detect_resize(x);
    x->n_dets = sc_detector_run(x->d, x->dets, MAX_DETS);
}
static void detect_step(void *c, int i)
{
    detect_ctx *x = c;
    if (i == 0) detect_resize(x);
    else x->n_dets = sc_detector_run(x->d, x->dets, MAX_DETS);
}
static void detect_describe(void *c, int i, char *name, size_t nn, char *kind, size_t kn, int64_t *macs)
{
    detect_ctx *x = c;
    int s = sc_detector_input_size(x->d);
    if (i == 0) {
        snprintf(name, nn, "resize %dx%d -> %dx%d RGB", FRAME_W, FRAME_H, s, s);
        snprintf(kind, kn, "resize");
        *macs = 0;
    } else {
        sc_detector_stats st;
        sc_detector_get_stats(x->d, &st);
        snprintf(name, nn, "network + dequantise + post-process");
        snprintf(kind, kn, "detector_run");
        *macs = st.macs;
    }
}

/* The frame: the picture (or a synthetic pattern) resized to 640×480, outside the timing. */
static int load_frame(const opts *o, sc_image *frame)
{
    if (sc_image_init(frame, FRAME_W, FRAME_H, 3)) return 0;
    sc_image src = { 0 };
    char err[512];
    if (o->image && sc_image_load(o->image, &src, err, sizeof(err)) == SC_OK) {
        sc_resizer *rs = NULL;
        if (sc_resizer_create(src.width, src.height, FRAME_W, FRAME_H, 3, &rs) == SC_OK) sc_resizer_run(rs, &src, frame);
        sc_resizer_destroy(rs);
        sc_image_fini(&src);
        return 1;
    }
    if (o->image) sc_log_warn("bench: %s; timing detect on a synthetic frame", err);
    for (int y = 0; y < FRAME_H; y++)
        for (int x = 0; x < FRAME_W * 3; x++)
            frame->data[(size_t)y * frame->stride_bytes + x] = (uint8_t)((x * 7 + y * 3) ^ (x / 3 * y / 5));
    return 1;
}

static int bench_detect(const opts *o, report *rp)
{
    detect_ctx x;
    memset(&x, 0, sizeof(x));
    if (!load_frame(o, &x.frame)) return SC_EXIT_FAIL;
    int rc = SC_EXIT_OK;
    for (int ti = 0; ti < o->n_threads && rc == SC_EXIT_OK; ti++) {
        char err[512];
        sc_detector_cfg dc = { .model_path = o->model, .n_threads = o->threads[ti] };
        if (sc_detector_create(&dc, &x.d, err, sizeof(err))) {
            sc_log_error("%s", err);
            rc = SC_EXIT_MODEL;
            break;
        }
        int s = sc_detector_input_size(x.d);
        sc_detector_stats st;
        sc_detector_get_stats(x.d, &st);
        if (sc_resizer_create(FRAME_W, FRAME_H, s, s, 3, &x.rs) == SC_OK) {
            target t = { .prec = "u8", .threads = o->threads[ti], .macs = st.macs, .ctx = &x, .run = detect_run,
                         .n_steps = 2, .run_step = detect_step, .describe = detect_describe };
            snprintf(t.name, sizeof(t.name), "coco_detect_%dx%d_to_%d", FRAME_W, FRAME_H, s);
            bench_target(&t, o, rp);
        } else {
            rc = SC_EXIT_FAIL;
        }
        sc_resizer_destroy(x.rs);
        x.rs = NULL;
        sc_detector_destroy(x.d);
        x.d = NULL;
    }
    sc_image_fini(&x.frame);
    return rc;
}

/* The random-weight networks of ../shared/bench. */
typedef struct bnet_ctx {
    sc_bench_net *b;
    sc_kernels k;
    sc_pool *pool;
} bnet_ctx;

static void bnet_run(void *c) { bnet_ctx *x = c; sc_bench_net_run(x->b, &x->k, x->pool); }
static void bnet_step(void *c, int i) { bnet_ctx *x = c; sc_bench_net_run_step(x->b, &x->k, x->pool, i); }
static void bnet_describe(void *c, int i, char *name, size_t nn, char *kind, size_t kn, int64_t *macs)
{
    bnet_ctx *x = c;
    int li = sc_bench_net_step_layer(x->b, i);
    if (li >= 0) {
        net_layer_describe(sc_bench_net_net(x->b), &x->k, x->pool, li, name, nn, kind, kn, macs);
        return;
    }
    snprintf(name, nn, "%s", sc_bench_net_step_name(x->b, i));
    snprintf(kind, kn, "%s", i == 0 ? "quantise" : "softmax");
    *macs = 0;
}
static int bnet_hidden(void *c, int i)
{
    bnet_ctx *x = c;
    int li = sc_bench_net_step_layer(x->b, i);
    return li >= 0 && sc_net_layer(sc_bench_net_net(x->b), li)->type == SC_L_RESHAPE;
}

static int bench_bnet(const opts *o, report *rp, sc_bench_arch arch)
{
    for (int int8 = 0; int8 <= 1; int8++) {
        if ((int8 && !o->int8) || (!int8 && !o->fp32)) continue;
        bnet_ctx x;
        memset(&x, 0, sizeof(x));
        init_kernels(&x.k);
        sc_bench_net_cfg bc = { .arch = arch, .int8 = int8, .seed = 1234, .kernels = &x.k };
        if (sc_bench_net_create(&bc, &x.b) != SC_OK) {
            sc_log_error("bench: cannot build the %s network", arch == SC_BENCH_SSD_MNV1 ? "ssd" : "mnv1");
            return SC_EXIT_FAIL;
        }
        apply_fuse_env(sc_bench_net_net(x.b));
        for (int ti = 0; ti < o->n_threads; ti++) {
            if (!make_pool(o->threads[ti], &x.pool)) break;
            target t = { .prec = int8 ? "int8" : "fp32", .threads = o->threads[ti], .macs = sc_bench_net_macs(x.b),
                         .ctx = &x, .run = bnet_run, .n_steps = sc_bench_net_steps(x.b), .run_step = bnet_step,
                         .describe = bnet_describe, .hidden = bnet_hidden };
            snprintf(t.name, sizeof(t.name), "%s", sc_bench_net_name(x.b));
            bench_target(&t, o, rp);
            sc_pool_destroy(x.pool);
            x.pool = NULL;
        }
        sc_bench_net_destroy(x.b);
    }
    return SC_EXIT_OK;
}


/* ---- MJPEG decode and capture (issue 5) ------------------------------------------------------ */

#define CAP_MAX_PHOTOS 20
#define CAP_QUALITY 85

/* In-memory frames made from real photos: each photo resized to w×h (Pillow-exact), encoded as
 * a baseline 4:2:0 JPEG at quality 85 with the Huffman tables stripped, as UVC webcams send
 * MJPEG, and converted to YUYV (BT.601 limited range, chroma averaged over each pair, as
 * the v4l2lab cameras encode). */
typedef struct cap_frames {
    int w, h, n;
    uint8_t *jpg[CAP_MAX_PHOTOS];
    size_t jlen[CAP_MAX_PHOTOS];
    uint8_t *yuyv[CAP_MAX_PHOTOS];
    size_t jpeg_bytes;
} cap_frames;

static void rgb_to_yuyv(const sc_image *rgb, uint8_t *out)
{
    for (int y = 0; y < rgb->height; y++)
        for (int x = 0; x + 1 < rgb->width; x += 2) {
            const uint8_t *p = rgb->data + (size_t)y * rgb->stride_bytes + (size_t)x * 3;
            int Y[2], U = 0, V = 0;
            for (int k = 0; k < 2; k++) {
                int r = p[3 * k], g = p[3 * k + 1], b = p[3 * k + 2];
                Y[k] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
                U += ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
                V += ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
            }
            uint8_t *o = out + ((size_t)y * rgb->width + x) * 2;
            o[0] = (uint8_t)Y[0]; o[1] = (uint8_t)(U / 2); o[2] = (uint8_t)Y[1]; o[3] = (uint8_t)(V / 2);
        }
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The photos: ../shared/testdata/images (SC_SHARED_DIR) when present, else assets/demo. */
static int list_photos(char dir[4096], char *names[CAP_MAX_PHOTOS])
{
    const char *shared = getenv("SC_SHARED_DIR");
    snprintf(dir, 4096, "%s/testdata/images", shared && *shared ? shared : "../shared");
    DIR *d = opendir(dir);
    if (!d && sc_find_asset("demo", dir, 4096)) d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < CAP_MAX_PHOTOS;) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".jpg")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp_name);
    return n;
}

static void cap_frames_free(cap_frames *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->jpg[i]);
        free(f->yuyv[i]);
    }
    memset(f, 0, sizeof(*f));
}

static int cap_frames_make(cap_frames *f, int w, int h, char *dir, char **names, int n_names)
{
    memset(f, 0, sizeof(*f));
    f->w = w;
    f->h = h;
    sc_image small;
    if (sc_image_init(&small, w, h, 3)) return 0;
    for (int i = 0; i < n_names && f->n < CAP_MAX_PHOTOS; i++) {
        char path[8192], err[512];
        sc_image src;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (sc_image_load(path, &src, err, sizeof(err))) continue;
        sc_resizer *rs = NULL;
        int ok = sc_resizer_create(src.width, src.height, w, h, 3, &rs) == SC_OK;
        if (ok) sc_resizer_run(rs, &src, &small);
        sc_resizer_destroy(rs);
        sc_image_fini(&src);
        uint8_t *jpg = NULL, *stripped = NULL;
        size_t len = 0, slen = 0;
        if (!ok || sc_image_encode_jpeg(&small, CAP_QUALITY, &jpg, &len)) continue;
        stripped = malloc(len);
        if (stripped) slen = sc_mjpeg_strip_dht(jpg, len, stripped, len);
        free(jpg);
        uint8_t *yuyv = malloc((size_t)w * h * 2 + 64);
        if (!slen || !yuyv) { free(stripped); free(yuyv); continue; }
        rgb_to_yuyv(&small, yuyv);
        f->jpg[f->n] = stripped;
        f->jlen[f->n] = slen;
        f->yuyv[f->n] = yuyv;
        f->jpeg_bytes += slen;
        f->n++;
    }
    sc_image_fini(&small);
    return f->n > 0;
}

typedef enum cap_mode { CAP_STB, CAP_TURBO_FULL, CAP_TURBO_SCALED, CAP_YUYV_FUSED, CAP_YUYV_SEPARATE } cap_mode;

typedef struct cap_bench {
    const cap_frames *fr;
    cap_mode mode;
    int resize;                 /* also resize to S×S, as the pipeline does */
    int S;
    sc_jpeg_decoder *dec;
    sc_resizer *rs;             /* for the decoded size (rebuilt when it changes) */
    int rs_w, rs_h;
    sc_yuyv_resizer *yr;
    sc_image rgb, out;
    int scale_num, failed;
} cap_bench;

/* One frame through the pipeline's code: MJPEG decode (+ resize), or YUYV fused / separate. */
static void cap_one(cap_bench *b, int i)
{
    const cap_frames *fr = b->fr;
    if (b->mode == CAP_YUYV_FUSED) {
        sc_yuyv_resizer_run(b->yr, fr->yuyv[i], (size_t)fr->w * 2, &b->out);
        return;
    }
    if (b->mode == CAP_YUYV_SEPARATE) {
        sc_yuyv_to_rgb(fr->yuyv[i], (size_t)fr->w * 2, fr->w, fr->h, SC_YUV_LIMITED, &b->rgb);
        sc_resizer_run(b->rs, &b->rgb, &b->out);
        return;
    }
    sc_jpeg_frame jf;
    int min = b->mode == CAP_TURBO_SCALED ? b->S : 0;
    if (sc_jpeg_decoder_run(b->dec, fr->jpg[i], fr->jlen[i], min, min, &jf, NULL, 0) != SC_OK) {
        b->failed++;
        return;
    }
    b->scale_num = jf.scale_num;
    if (!b->resize) return;
    if (!b->rs || b->rs_w != jf.img.width || b->rs_h != jf.img.height) {
        sc_resizer_destroy(b->rs);
        b->rs = NULL;
        if (sc_resizer_create(jf.img.width, jf.img.height, b->S, b->S, 3, &b->rs)) { b->failed++; return; }
        b->rs_w = jf.img.width;
        b->rs_h = jf.img.height;
    }
    sc_resizer_run(b->rs, &jf.img, &b->out);
}

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *cap_mode_name(cap_mode m)
{
    switch (m) {
    case CAP_STB: return "stb_image";
    case CAP_TURBO_FULL: return "libjpeg-turbo full";
    case CAP_TURBO_SCALED: return "libjpeg-turbo scaled";
    case CAP_YUYV_FUSED: return "yuyv fused";
    case CAP_YUYV_SEPARATE: return "yuyv convert+resize";
    }
    return "?";
}

/* Times o->runs frames (at least 30, cycling through the photos) after a warm-up; prints one
 * row: per-frame median/p10/p90 wall time, frames/s over the whole loop and thread CPU time
 * per frame. Returns 0 when the mode is not available here. */
static int cap_run(const opts *o, const cap_frames *fr, cap_mode mode, int resize, const char *label)
{
    cap_bench b = { .fr = fr, .mode = mode, .resize = resize, .S = 300 };
    int ok = 0;
    if (mode == CAP_STB || mode == CAP_TURBO_FULL || mode == CAP_TURBO_SCALED) {
        if (mode != CAP_STB && !sc_jpeg_turbo_available()) return 0;
        if (sc_jpeg_decoder_create(mode == CAP_STB ? SC_JPEG_STB : SC_JPEG_TURBO, fr->w, fr->h, &b.dec)) return 0;
    } else if (mode == CAP_YUYV_FUSED) {
        if (sc_yuyv_resizer_create(fr->w, fr->h, b.S, b.S, SC_YUV_LIMITED, &b.yr)) goto done;
    } else {
        if (sc_image_init(&b.rgb, fr->w, fr->h, 3) || sc_resizer_create(fr->w, fr->h, b.S, b.S, 3, &b.rs)) goto done;
    }
    if (sc_image_init(&b.out, b.S, b.S, 3)) goto done;
    const int runs = SC_MAX(o->runs, 30);
    int64_t *ns = malloc(sizeof(int64_t) * (size_t)runs);
    if (!ns) goto done;
    for (int i = 0; i < SC_MAX(o->warmup, fr->n); i++) cap_one(&b, i % fr->n);
    int64_t w0 = sc_now_ns(), c0 = thread_cpu_ns();
    for (int i = 0; i < runs; i++) {
        int64_t t0 = sc_now_ns();
        cap_one(&b, i % fr->n);
        ns[i] = sc_now_ns() - t0;
    }
    double wall_ms = (double)(sc_now_ns() - w0) / 1e6, cpu_ms = (double)(thread_cpu_ns() - c0) / 1e6;
    stats s;
    summarize(ns, runs, &s);
    free(ns);
    char what[64];
    if (mode == CAP_TURBO_SCALED) snprintf(what, sizeof(what), "%s %d/8", cap_mode_name(mode), b.scale_num);
    else snprintf(what, sizeof(what), "%s", cap_mode_name(mode));
    if (o->result)
        printf("RESULT engine=ssdcam bench=%s frame=%dx%d decoder=\"%s\" resize=%d median_ms=%.4f p10_ms=%.4f "
               "p90_ms=%.4f fps=%.1f cpu_ms=%.4f runs=%d failed=%d\n", label, fr->w, fr->h, what, resize, s.med, s.p10,
               s.p90, 1000.0 * runs / wall_ms, cpu_ms / runs, runs, b.failed);
    else
        printf("%-8s %-9s %-24s %-6s %9.3f %9.3f %9.3f %8.1f %9.3f%s\n", label, "", what, resize ? "300" : "-", s.med,
               s.p10, s.p90, 1000.0 * runs / wall_ms, cpu_ms / runs, b.failed ? "  (decode failures!)" : "");
    ok = 1;
done:
    sc_jpeg_decoder_destroy(b.dec);
    sc_resizer_destroy(b.rs);
    sc_yuyv_resizer_destroy(b.yr);
    sc_image_fini(&b.rgb);
    sc_image_fini(&b.out);
    return ok;
}

static int bench_capture(const opts *o, int decode, int capture)
{
    char dir[4096];
    char *names[CAP_MAX_PHOTOS];
    int n_names = list_photos(dir, names);
    if (!n_names) {
        sc_log_error("bench: no photos for the MJPEG frames (../shared/testdata/images or assets/demo)");
        return SC_EXIT_FAIL;
    }
    static const int sizes[][2] = { { 640, 480 }, { 1280, 720 } };
    cap_frames fr[2];
    int made = 0;
    for (int k = 0; k < 2; k++) made += cap_frames_make(&fr[k], sizes[k][0], sizes[k][1], dir, names, n_names);
    for (int i = 0; i < n_names; i++) free(names[i]);
    if (made < 2) {
        sc_log_error("bench: cannot make the MJPEG frames from %s", dir);
        for (int k = 0; k < made; k++) cap_frames_free(&fr[k]);
        return SC_EXIT_FAIL;
    }
    if (!o->result) {
        printf("frames: %d photos of %s, resized, JPEG q%d 4:2:0 without Huffman tables (as webcams send): "
               "640x480 %.0f KB, 1280x720 %.0f KB average; YUYV from the same pictures\n", fr[0].n, dir, CAP_QUALITY,
               fr[0].jpeg_bytes / 1024.0 / fr[0].n, fr[1].jpeg_bytes / 1024.0 / fr[1].n);
        printf("decoders: default %s; one thread; times per frame; fps = frames / wall time of the loop; "
               "cpu = CLOCK_THREAD_CPUTIME_ID per frame\n\n", sc_jpeg_backend_name(SC_JPEG_AUTO));
        printf("%-8s %-9s %-24s %-6s %9s %9s %9s %8s %9s\n", "bench", "", "path", "resize", "median ms", "p10 ms",
               "p90 ms", "frames/s", "cpu ms");
    }
    for (int k = 0; k < 2; k++) {
        char label[32];
        snprintf(label, sizeof(label), "%dx%d", fr[k].w, fr[k].h);
        if (decode) {
            /* decode alone: the three MJPEG paths */
            if (!o->result) printf("%s MJPEG decode only\n", label);
            cap_run(o, &fr[k], CAP_STB, 0, label);
            cap_run(o, &fr[k], CAP_TURBO_FULL, 0, label);
            cap_run(o, &fr[k], CAP_TURBO_SCALED, 0, label);
        }
        if (capture) {
            if (!o->result) printf("%s MJPEG capture path: decode + resize to 300x300\n", label);
            cap_run(o, &fr[k], CAP_STB, 1, label);
            cap_run(o, &fr[k], CAP_TURBO_FULL, 1, label);
            cap_run(o, &fr[k], CAP_TURBO_SCALED, 1, label);
            if (k == 0 || !o->result) {
                if (!o->result) printf("%s YUYV capture path: convert + resize to 300x300\n", label);
                cap_run(o, &fr[k], CAP_YUYV_FUSED, 1, label);
                cap_run(o, &fr[k], CAP_YUYV_SEPARATE, 1, label);
            }
        }
    }
    for (int k = 0; k < 2; k++) cap_frames_free(&fr[k]);
    return SC_EXIT_OK;
}

/* ---- machine facts ------------------------------------------------------------------------ */

/* One burst of 12 independent FMA chains (written out: an array of accumulators may be
 * kept in memory); returns GFLOP/s. */
#define FMA12(f) do { c0 = f(a, b, c0); c1 = f(a, b, c1); c2 = f(a, b, c2); c3 = f(a, b, c3); \
    c4 = f(a, b, c4); c5 = f(a, b, c5); c6 = f(a, b, c6); c7 = f(a, b, c7); c8 = f(a, b, c8); \
    c9 = f(a, b, c9); c10 = f(a, b, c10); c11 = f(a, b, c11); } while (0)
#if defined(__x86_64__)
__attribute__((target("avx512f"))) static double fma_burst_avx512(long iters)
{
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-7f);
    __m512 c0 = _mm512_set1_ps(0), c1 = _mm512_set1_ps(1), c2 = _mm512_set1_ps(2), c3 = _mm512_set1_ps(3),
           c4 = _mm512_set1_ps(4), c5 = _mm512_set1_ps(5), c6 = _mm512_set1_ps(6), c7 = _mm512_set1_ps(7),
           c8 = _mm512_set1_ps(8), c9 = _mm512_set1_ps(9), c10 = _mm512_set1_ps(10), c11 = _mm512_set1_ps(11);
    int64_t t0 = sc_now_ns();
    for (long i = 0; i < iters; i++) {
        __asm__ __volatile__("" : "+v"(a), "+v"(b));
        FMA12(_mm512_fmadd_ps);
    }
    int64_t dt = sc_now_ns() - t0;
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return (double)iters * 12 * 16 * 2 / (double)dt;
}

__attribute__((target("avx2,fma"))) static double fma_burst_avx2(long iters)
{
    __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-7f);
    __m256 c0 = _mm256_set1_ps(0), c1 = _mm256_set1_ps(1), c2 = _mm256_set1_ps(2), c3 = _mm256_set1_ps(3),
           c4 = _mm256_set1_ps(4), c5 = _mm256_set1_ps(5), c6 = _mm256_set1_ps(6), c7 = _mm256_set1_ps(7),
           c8 = _mm256_set1_ps(8), c9 = _mm256_set1_ps(9), c10 = _mm256_set1_ps(10), c11 = _mm256_set1_ps(11);
    int64_t t0 = sc_now_ns();
    for (long i = 0; i < iters; i++) {
        __asm__ __volatile__("" : "+x"(a), "+x"(b));
        FMA12(_mm256_fmadd_ps);
    }
    int64_t dt = sc_now_ns() - t0;
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    volatile float sink = out[0];
    (void)sink;
    return (double)iters * 12 * 8 * 2 / (double)dt;
}
#elif defined(__aarch64__)
static float32x4_t fma_neon(float32x4_t a, float32x4_t b, float32x4_t c) { return vfmaq_f32(c, a, b); }
static double fma_burst_neon(long iters)
{
    float32x4_t a = vdupq_n_f32(0.999f), b = vdupq_n_f32(1e-7f);
    float32x4_t c0 = vdupq_n_f32(0), c1 = vdupq_n_f32(1), c2 = vdupq_n_f32(2), c3 = vdupq_n_f32(3),
                c4 = vdupq_n_f32(4), c5 = vdupq_n_f32(5), c6 = vdupq_n_f32(6), c7 = vdupq_n_f32(7),
                c8 = vdupq_n_f32(8), c9 = vdupq_n_f32(9), c10 = vdupq_n_f32(10), c11 = vdupq_n_f32(11);
    int64_t t0 = sc_now_ns();
    for (long i = 0; i < iters; i++) {
        __asm__ __volatile__("" : "+w"(a), "+w"(b));
        FMA12(fma_neon);
    }
    int64_t dt = sc_now_ns() - t0;
    float32x4_t s = vaddq_f32(vaddq_f32(vaddq_f32(c0, c1), vaddq_f32(c2, c3)), vaddq_f32(vaddq_f32(c4, c5), vaddq_f32(c6, c7)));
    s = vaddq_f32(s, vaddq_f32(vaddq_f32(c8, c9), vaddq_f32(c10, c11)));
    volatile float sink = vgetq_lane_f32(s, 0);
    (void)sink;
    return (double)iters * 12 * 4 * 2 / (double)dt;
}
#endif

/* One core's fp32 FMA peak with the widest vectors this CPU has: the best of short bursts
 * (the max, so time slices lost to other processes do not count). *isa names the vectors. */
static double measure_peak(int bursts, const char **isa)
{
    double best = 0;
    *isa = "none";
#if defined(__x86_64__)
    __builtin_cpu_init();
    int has512 = __builtin_cpu_supports("avx512f"), has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (!has512 && !has2) return 0;
    *isa = has512 ? "avx512" : "avx2";
    for (int i = 0; i < 20; i++) has512 ? fma_burst_avx512(20000) : fma_burst_avx2(20000);   /* clocks up */
    for (int i = 0; i < bursts; i++) {
        double g = has512 ? fma_burst_avx512(100000) : fma_burst_avx2(100000);
        if (g > best) best = g;
    }
#elif defined(__aarch64__)
    *isa = "neon";
    for (int i = 0; i < bursts; i++) {
        double g = fma_burst_neon(100000);
        if (g > best) best = g;
    }
#else
    (void)bursts;
#endif
    return best;
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "model name", 10) || !strncmp(line, "Model", 5)) {
            char *v = strchr(line, ':');
            if (!v) continue;
            v++;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = 0;
            snprintf(buf, n, "%s", v);
            break;
        }
    }
    fclose(f);
}

/* ---- main ----------------------------------------------------------------------------------- */

int sc_cmd_bench(int argc, char **argv)
{
    opts o;
    memset(&o, 0, sizeof(o));
    o.only = B_ALL;
    o.fp32 = o.int8 = 1;
    o.threads[0] = 1;
    o.threads[1] = 2;
    o.n_threads = 2;
    o.runs = 30;
    o.warmup = 10;
    o.layers = 1;
    int quick = 0, runs_set = 0, warm_set = 0;
    static const char *const bnames[] = { "coco", "rho", "detect", "ssd", "mnv1", "decode", "capture" };
    static const int bbits[] = { B_COCO, B_RHO, B_DETECT, B_SSD, B_MNV1, B_DECODE, B_CAPTURE };
    static const char *const pnames[] = { "fp32", "int8" };
    static const int pbits[] = { 1, 2 };

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "--threads") || !strcmp(a, "--prec") || !strcmp(a, "--runs") || !strcmp(a, "--warmup") ||
                    !strcmp(a, "--peak") || !strcmp(a, "--model") || !strcmp(a, "--image") || !strcmp(a, "--only");
        if (takes && !v) { sc_log_error("bench: %s needs a value", a); return SC_EXIT_USAGE; }
        if (takes) i++;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return SC_EXIT_OK; }
        else if (!strcmp(a, "--quick")) quick = 1;
        else if (!strcmp(a, "--no-layers")) o.layers = 0;
        else if (!strcmp(a, "--warm-layers")) o.warm_layers = 1;
        else if (!strcmp(a, "--result")) o.result = 1;
        else if (!strcmp(a, "--runs")) { if (!parse_int(a, v, 1, 100000, &o.runs)) return SC_EXIT_USAGE; runs_set = 1; }
        else if (!strcmp(a, "--warmup")) { if (!parse_int(a, v, 0, 100000, &o.warmup)) return SC_EXIT_USAGE; warm_set = 1; }
        else if (!strcmp(a, "--model")) o.model = v;
        else if (!strcmp(a, "--image")) o.image = v;
        else if (!strcmp(a, "--peak")) {
            char *end;
            o.peak = strtod(v, &end);
            if (end == v || *end || !(o.peak > 0 && o.peak < 1e6)) {
                sc_log_error("bench: --peak '%s': expected GFLOP/s of one core, e.g. 232", v);
                return SC_EXIT_USAGE;
            }
        }
        else if (!strcmp(a, "--only")) { if (!parse_list(v, bnames, bbits, 7, &o.only, a)) return SC_EXIT_USAGE; }
        else if (!strcmp(a, "--prec")) {
            int p = 0;
            if (!parse_list(v, pnames, pbits, 2, &p, a)) return SC_EXIT_USAGE;
            o.fp32 = p & 1;
            o.int8 = (p & 2) != 0;
        }
        else if (!strcmp(a, "--threads")) {
            char buf[128];
            snprintf(buf, sizeof(buf), "%s", v);
            o.n_threads = 0;
            for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (o.n_threads == MAX_THREADS) { sc_log_error("bench: --threads: at most %d counts", MAX_THREADS); return SC_EXIT_USAGE; }
                if (!parse_int(a, tok, 1, 64, &o.threads[o.n_threads++])) return SC_EXIT_USAGE;
            }
            if (!o.n_threads) { sc_log_error("bench: --threads: empty list"); return SC_EXIT_USAGE; }
        }
        else { sc_log_error("bench: unknown argument '%s' (see `ssdcam bench --help`)", a); return SC_EXIT_USAGE; }
    }
    if (quick) {
        if (!runs_set) o.runs = 5;
        if (!warm_set) o.warmup = 3;
        o.only &= ~B_RHO;
    }
    if (!o.model) {
        if (!sc_find_asset(SC_DEFAULT_MODEL_REL, o.model_buf, sizeof(o.model_buf))) {
            /* the shared data folder beside the source tree, as the tests use */
            const char *shared = getenv("SC_SHARED_DIR");
            char alt[4096];
            snprintf(alt, sizeof(alt), "%s/models/ssd_mobilenet_v1_coco_quant/detect.tflite",
                     shared && *shared ? shared : "../shared");
            FILE *f = fopen(alt, "rb");
            if (f) { fclose(f); snprintf(o.model_buf, sizeof(o.model_buf), "%s", alt); }
        }
        o.model = o.model_buf;
    }
    if (!o.image && (o.only & B_DETECT) && sc_find_asset(DEFAULT_IMAGE_REL, o.image_buf, sizeof(o.image_buf)))
        o.image = o.image_buf;

    report rp = { .peak1 = o.peak };
    const char *peak_isa = "given";
    if (!(rp.peak1 > 0) && !o.result) rp.peak1 = measure_peak(quick ? 11 : 41, &peak_isa);
    sc_kernels k;
    init_kernels(&k);
    if (!o.result) {
        char cpu[256];
        cpu_model(cpu, sizeof(cpu));
        printf("ssdcam bench — ssdcam %s, git %s\n", SC_VERSION, SC_GIT_REV);
        printf("cpu: %s (%ld online)\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
        printf("kernels: %s\n", k.isa);
        printf("threads:");
        for (int i = 0; i < o.n_threads; i++) printf(" %d", o.threads[i]);
        printf("\nruns: %d timed after %d warm-up per configuration\n", o.runs, o.warmup);
        if (rp.peak1 > 0)
            printf("fma peak: %.1f GFLOP/s per core (fp32, %s%s); %% peak = GFLOP/s / (threads x this)\n", rp.peak1,
                   peak_isa, o.peak > 0 ? "" : ", measured");
        else
            printf("fma peak: unknown (pass --peak)\n");
        printf("model: %s\n\n", o.model);
        fflush(stdout);
    }

    int rc = SC_EXIT_OK;
    if (o.only & B_COCO) rc = bench_coco(&o, &rp, 300, o.layers);
    if (rc == SC_EXIT_OK && (o.only & B_RHO)) {
        static const int sizes[] = { 256, 224, 192, 160 };
        for (size_t i = 0; i < SC_ARRAY_LEN(sizes) && rc == SC_EXIT_OK; i++) rc = bench_coco(&o, &rp, sizes[i], 0);
    }
    if (rc == SC_EXIT_OK && (o.only & B_DETECT)) rc = bench_detect(&o, &rp);
    if (rc == SC_EXIT_OK && (o.only & B_SSD)) rc = bench_bnet(&o, &rp, SC_BENCH_SSD_MNV1);
    if (rc == SC_EXIT_OK && (o.only & B_MNV1)) rc = bench_bnet(&o, &rp, SC_BENCH_MNV1);
    if (rc == SC_EXIT_OK && (o.only & (B_DECODE | B_CAPTURE)))
        rc = bench_capture(&o, (o.only & B_DECODE) != 0, (o.only & B_CAPTURE) != 0);
    return rc;
}
