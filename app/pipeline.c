/* app/pipeline.c — `ssdcam run`: the live pipeline.
 *
 * DESIGN
 * Threads (STYLE.md §2, §6):
 *   sc-capture  (app/capture.c) polls the camera or paces a file source, copies each frame into
 *               a pooled, refcounted sc_frame and pushes one reference to infer_q (capacity 1)
 *               and, with a window, one to show_q (capacity 2). Both drop the oldest frame, so
 *               the detector always gets the newest one and capture never waits.
 *   sc-infer    pops the newest frame, converts it to RGB (MJPEG decode, YUYV conversion or a
 *               view of an RGB file frame), releases the frame, resizes (Pillow-exact; stretch or
 *               letterbox) into the detector's input, runs the network on the worker pool (the
 *               inference thread is worker 0), filters the detections and publishes a result
 *               slot to result_q. With a window, result_q holds 4 and drops the oldest (the newest
 *               boxes win). Headless, where the log is the product, the hand-off is lossless:
 *               result_q can hold every slot and the thread waits for a free slot, so every
 *               processed frame gets its log line (frames meanwhile are dropped at infer_q and
 *               counted as "detector busy"). Result slots come from a fixed free
 *               list (free_q), so nothing is allocated per frame (MJPEG: libjpeg-turbo decodes
 *               into a buffer made at start, at the smallest DCT scale >= the network input
 *               unless source.decode_scale is full; only the stb_image fallback allocates per
 *               frame). YUYV frames are converted inside the resize (core/yuyv.h), with or
 *               without a window: the window converts its own copy of the frame.
 *   main        owns SDL, signals, the log file: with a window it pops show_q, draws the newest
 *               frame with the newest result's boxes (frame ids make any lag visible) and handles
 *               keys; headless it pops result_q and appends one line per result to the log.
 *               SIGINT/SIGTERM stop, SIGHUP reopens the log (logrotate). Signals are blocked in
 *               every thread and taken here with sigtimedwait.
   sc-sysmon   (app/sysmon.c) reads the CPU temperature (sysfs, every 2 s) and `vcgencmd
 *               get_throttled` (every 5 s) and publishes them in atomics; the main thread puts
 *               them in the HUD, the status line and every log line. No fork on the hot path.
 * Every frame and result carries the frame id and the capture timestamp, so a box drawn or
 * logged always belongs to the frame it was computed on. Each result also carries its stage
 * times (decode, resize, network, post-process); the main thread measures the display time
 * and the capture → screen age of each frame shown. The last N_LAT samples of each go into
 * rings allocated at start, for the summary's medians and p95 (sorted only at the end). The resolution multiplier can be
 * changed while running (+/- keys): the inference thread rebuilds the detector between frames.
 * Shutdown: stop flag → sc_capture_stop (joins capture) → close the queues → join inference →
 * unref what the queues still hold → destroy the detector and the capture (whose frame pool
 * asserts every frame came back) → close the window and flush the log → one-line summary. */
#define _GNU_SOURCE
#include "app/pipeline.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/capture.h"
#include "app/cmds.h"
#include "app/detlog.h"
#include "app/image_io.h"
#include "app/paths.h"
#include "app/sysmon.h"
#include "core/clock.h"
#include "core/frame.h"
#include "core/image.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/yuyv.h"
#include "models/detector.h"
#include "models/labels.h"
#include "sc_config.h"
#if SC_HAVE_SDL2
#include "app/overlay.h"
#endif

#define MAX_DETS 100
#define N_RESULTS 8
#define N_LAT 4096
#define SYNC_WAIT_NS 100000000LL

typedef struct result {
    uint64_t frame_id;
    int64_t t_capture_ns, t_done_ns;
    int src_w, src_h, input_size;
    double infer_ms;
    /* per-stage times, ms: frame → RGB (0 for YUYV: converted inside the resize), resize, the
     * network (sc_detector_run: with the SSD decode and NMS), our post-process (letterbox undo,
     * filters) */
    double decode_ms, resize_ms, network_ms, post_ms;
    int n;
    sc_det dets[MAX_DETS];       /* normalised to the source frame */
} result;

typedef struct pipeline {
    const sc_config *cfg;
    sc_capture *cap;
    sc_queue *infer_q, *show_q, *result_q, *free_q;
    result results[N_RESULTS];
    sc_detector *det;
    sc_labels *labels;
    char model_path[SC_CONFIG_MAX_PATH], labels_path[SC_CONFIG_MAX_PATH], source_name[SC_CONFIG_MAX_PATH];
    char source_node[SC_CAPTURE_PATH_MAX * 4];   /* a camera node or the demo dir that resolve_source picked */
    const char *model_name;
    atomic_int stop;
    atomic_int want_size;        /* requested network input side (rho changes) */
    atomic_int cur_size;
    atomic_int n_threads;        /* the detector's worker threads (model.threads 0 = online cores) */
    atomic_uint_fast64_t n_processed, n_decode_errors;
    atomic_uint_fast64_t n_failed;   /* popped frames lost to other errors (resizer, result slot) */
    atomic_uint_fast64_t n_results_dropped;   /* evicted from result_q (window mode only) */
    int lossless_results;        /* headless: wait for a free result slot, never evict one */
    /* inference thread state */
    pthread_t infer_thread;
    int infer_started;
    sc_image rgb;                /* decoded/converted frame (inference thread) */
    sc_resizer *rs;
    int rs_sw, rs_sh, rs_dw, rs_dh;
    sc_jpeg_decoder *jdec;       /* MJPEG frames (inference thread; scaled per decode_scale) */
    sc_jpeg_decoder *jdec_show;  /* MJPEG frames for the window (main thread; full size) */
    sc_yuyv_resizer *yr;         /* YUYV frames: conversion fused with the resize */
    int yr_sw, yr_sh, yr_dw, yr_dh;
    float lb_x0, lb_y0, lb_w, lb_h; /* letterbox placement in the network input, normalised */
} pipeline;

/* ---- source → RGB ---------------------------------------------------------------------- */

/* Converts a frame into *rgb (reallocated only when the size changes). For an RGB24 frame,
 * *rgb becomes a view of the frame's bytes (valid while the frame is held), and for an MJPEG
 * frame a view of jd's buffer (valid until jd's next decode), with *is_view = 1. MJPEG frames
 * are decoded at the smallest DCT scale >= min_side × min_side (0: full size); *jf (may be
 * NULL) tells the scale. */
static sc_status frame_to_rgb(const sc_frame *f, sc_image *rgb, int *is_view, sc_jpeg_decoder *jd, int min_side,
                              sc_jpeg_frame *jf)
{
    *is_view = 0;
    if (f->fmt == SC_PIXFMT_RGB24) {
        sc_image_fini(rgb);
        rgb->data = f->data;
        rgb->width = f->width;
        rgb->height = f->height;
        rgb->channels = 3;
        rgb->stride_bytes = f->stride_bytes ? f->stride_bytes : (size_t)f->width * 3;
        *is_view = 1;
        return SC_OK;
    }
    if (f->fmt == SC_PIXFMT_MJPEG) {
        sc_jpeg_frame tmp;
        char err[256];
        sc_status st = sc_jpeg_decoder_run(jd, f->data, f->bytes_used, min_side, min_side, &tmp, err, sizeof(err));
        if (st) return st;
        sc_image_fini(rgb);
        *rgb = tmp.img;
        *is_view = 1;
        if (jf) *jf = tmp;
        return SC_OK;
    }
    if (f->fmt == SC_PIXFMT_YUYV) {
        if (!rgb->data || rgb->width != f->width || rgb->height != f->height) {
            sc_image_fini(rgb);
            sc_status st = sc_image_init(rgb, f->width, f->height, 3);
            if (st) return st;
        }
        sc_yuyv_to_rgb(f->data, f->stride_bytes ? f->stride_bytes : (size_t)f->width * 2, f->width, f->height,
                       SC_YUV_LIMITED, rgb);
        return SC_OK;
    }
    return SC_E_UNSUPPORTED;
}

/* ---- detection filters ----------------------------------------------------------------- */

static int name_in(const sc_config_names *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->name[i], name)) return 1;
    return 0;
}

static int keep_det(const pipeline *p, const sc_det *d)
{
    const sc_config_detection *c = &p->cfg->detection;
    const char *name = sc_labels_name(p->labels, d->class_id);
    double thr = c->threshold;
    for (int i = 0; i < c->n_class_thresholds; i++)
        if (!strcmp(c->class_thresholds[i].name, name)) thr = c->class_thresholds[i].threshold;
    if (d->score < thr) return 0;
    if (c->allow.n && !name_in(&c->allow, name)) return 0;
    if (name_in(&c->deny, name)) return 0;
    double area = (double)(d->xmax - d->xmin) * (double)(d->ymax - d->ymin);
    return area >= c->min_box_area;
}

/* ---- inference thread ------------------------------------------------------------------ */

static sc_status make_detector(pipeline *p, int size)
{
    char err[512];
    sc_detector_cfg dc = { .model_path = p->model_path, .input_size = size, .use_float = p->cfg->model.use_float,
                           .n_threads = p->cfg->model.threads };
    sc_detector *d = NULL;
    sc_status st = sc_detector_create(&dc, &d, err, sizeof(err));
    if (st) { sc_log_error("%s", err); return st; }
    sc_detector_destroy(p->det);
    p->det = d;
    atomic_store(&p->cur_size, sc_detector_input_size(d));
    {
        sc_detector_stats ds;
        sc_detector_get_stats(d, &ds);
        atomic_store(&p->n_threads, ds.n_threads);
    }
    sc_resizer_destroy(p->rs);
    p->rs = NULL;
    return SC_OK;
}

/* Resizes p->rgb — or the YUYV frame `yuyv`, converted on the fly (core/yuyv.h: no RGB frame)
 * — into the detector input: stretched, or letterboxed with the padding at the network's zero
 * (byte 128). Records where the picture landed, to map boxes back. */
static sc_status prepare_input(pipeline *p, const sc_frame *yuyv)
{
    sc_image *in = sc_detector_input(p->det);
    const int sw = yuyv ? yuyv->width : p->rgb.width, sh = yuyv ? yuyv->height : p->rgb.height;
    int S = sc_detector_input_size(p->det), dw = S, dh = S, x0 = 0, y0 = 0;
    if (p->cfg->model.letterbox) {
        if (sw >= sh) dh = SC_MAX(1, (int)lround((double)S * sh / sw));
        else dw = SC_MAX(1, (int)lround((double)S * sw / sh));
        x0 = (S - dw) / 2;
        y0 = (S - dh) / 2;
    }
    if (yuyv) {
        if (!p->yr || p->yr_sw != sw || p->yr_sh != sh || p->yr_dw != dw || p->yr_dh != dh) {
            sc_yuyv_resizer_destroy(p->yr);
            p->yr = NULL;
            sc_status st = sc_yuyv_resizer_create(sw, sh, dw, dh, SC_YUV_LIMITED, &p->yr);
            if (st) return st;
            p->yr_sw = sw; p->yr_sh = sh; p->yr_dw = dw; p->yr_dh = dh;
        }
    } else if (!p->rs || p->rs_sw != p->rgb.width || p->rs_sh != p->rgb.height || p->rs_dw != dw || p->rs_dh != dh) {
        sc_resizer_destroy(p->rs);
        p->rs = NULL;
        sc_status st = sc_resizer_create(p->rgb.width, p->rgb.height, dw, dh, 3, &p->rs);
        if (st) return st;
        p->rs_sw = p->rgb.width; p->rs_sh = p->rgb.height; p->rs_dw = dw; p->rs_dh = dh;
    }
    /* The input tensor shares the arena with later layers: pad again on every frame. */
    if (dw != S || dh != S)
        for (int y = 0; y < S; y++) memset(in->data + (size_t)y * in->stride_bytes, 128, (size_t)S * 3);
    sc_image view = *in;
    view.data = in->data + (size_t)y0 * in->stride_bytes + (size_t)x0 * 3;
    view.width = dw;
    view.height = dh;
    if (yuyv)
        sc_yuyv_resizer_run(p->yr, yuyv->data, yuyv->stride_bytes ? yuyv->stride_bytes : (size_t)yuyv->width * 2, &view);
    else
        sc_resizer_run(p->rs, &p->rgb, &view);
    p->lb_x0 = (float)x0 / (float)S;
    p->lb_y0 = (float)y0 / (float)S;
    p->lb_w = (float)dw / (float)S;
    p->lb_h = (float)dh / (float)S;
    return SC_OK;
}

static void *infer_main(void *arg)
{
    pipeline *p = arg;
    pthread_setname_np(pthread_self(), "sc-infer");
    while (!atomic_load(&p->stop)) {
        void *item;
        sc_status st = sc_queue_pop(p->infer_q, &item, 100000000);
        if (st == SC_E_CLOSED) break;
        if (st) continue;
        sc_frame *f = item;
        int want = atomic_load(&p->want_size);
        if (want != atomic_load(&p->cur_size) && make_detector(p, want) != SC_OK)
            atomic_store(&p->want_size, atomic_load(&p->cur_size));   /* keep the old one */
        int64_t t0 = sc_now_ns();
        int is_view = 0;
        sc_jpeg_frame jf = { .scale_num = 8 };
        const int fused = f->fmt == SC_PIXFMT_YUYV;    /* converted inside the resize, no RGB frame */
        const int min_side = p->cfg->source.decode_scale == SC_CONFIG_DECODE_SCALE_AUTO ? sc_detector_input_size(p->det) : 0;
        if (!fused && frame_to_rgb(f, &p->rgb, &is_view, p->jdec, min_side, &jf) != SC_OK) {
            if (atomic_fetch_add(&p->n_decode_errors, 1) == 0)
                sc_log_warn("run: frame %llu could not be decoded (counted; further ones are not logged)",
                            (unsigned long long)f->id);
            sc_frame_unref(f);
            continue;
        }
        const int64_t t_decoded = sc_now_ns();
        uint64_t id = f->id;
        int64_t t_cap = f->t_capture_ns;
        const int mjpeg = f->fmt == SC_PIXFMT_MJPEG;
        int w = fused ? f->width : mjpeg ? jf.src_w : p->rgb.width, h = fused ? f->height : mjpeg ? jf.src_h : p->rgb.height;
        /* A box normalised to a scaled decode → to the source: the decode spans rgb.width·8/scale
         * source pixels, a little more than w when w·scale/8 is not whole (the last column). */
        const double map_x = mjpeg ? (double)p->rgb.width * 8 / ((double)jf.scale_num * w) : 1;
        const double map_y = mjpeg ? (double)p->rgb.height * 8 / ((double)jf.scale_num * h) : 1;
        st = prepare_input(p, fused ? f : NULL);
        const int64_t t_resized = sc_now_ns();
        if (is_view) { p->rgb.data = NULL; }   /* the view dies with the frame */
        sc_frame_unref(f);
        if (st) { atomic_fetch_add(&p->n_failed, 1); continue; }
        sc_det dets[MAX_DETS];
        int n = sc_detector_run(p->det, dets, MAX_DETS);
        const int64_t t_net = sc_now_ns();
        void *slot_item;
        /* With a window a slot is always free (result_q holds 4 of the 8, main 1). Headless,
         * the main thread may be behind by all 8: wait for it (until stop). */
        sc_status sst;
        while ((sst = sc_queue_pop(p->free_q, &slot_item, p->lossless_results ? 100000000 : 0)) == SC_E_TIMEOUT &&
               p->lossless_results && !atomic_load(&p->stop)) {}
        if (sst != SC_OK) {
            atomic_fetch_add(&p->n_failed, 1);
            continue;
        }
        result *r = slot_item;
        r->frame_id = id;
        r->t_capture_ns = t_cap;
        r->src_w = w;
        r->src_h = h;
        r->input_size = sc_detector_input_size(p->det);
        r->n = 0;
        for (int i = 0; i < n && r->n < p->cfg->detection.max_detections; i++) {
            sc_det d = dets[i];
            /* undo the letterbox: network-normalised → source-normalised */
            d.xmin = (float)((d.xmin - p->lb_x0) / p->lb_w * map_x);
            d.xmax = (float)((d.xmax - p->lb_x0) / p->lb_w * map_x);
            d.ymin = (float)((d.ymin - p->lb_y0) / p->lb_h * map_y);
            d.ymax = (float)((d.ymax - p->lb_y0) / p->lb_h * map_y);
            if (keep_det(p, &d)) r->dets[r->n++] = d;
        }
        r->t_done_ns = sc_now_ns();
        r->infer_ms = (double)(r->t_done_ns - t0) / 1e6;
        r->decode_ms = (double)(t_decoded - t0) / 1e6;
        r->resize_ms = (double)(t_resized - t_decoded) / 1e6;
        r->network_ms = (double)(t_net - t_resized) / 1e6;
        r->post_ms = (double)(r->t_done_ns - t_net) / 1e6;
        atomic_fetch_add(&p->n_processed, 1);
        void *ev;
        sc_queue_push(p->result_q, r, &ev);
        if (ev) {
            atomic_fetch_add(&p->n_results_dropped, 1);
            sc_queue_push(p->free_q, ev, &ev);
        }
    }
    return NULL;
}

/* ---- helpers for main ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *detlog_label(const void *ctx, int class_id) { return sc_labels_name(ctx, class_id); }

static int has_display(void)
{
    const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    return (d && *d) || (w && *w);
}

/* Picks the source: a camera (first one for "auto"), a file source, or the demo photos. */
static sc_status resolve_source(pipeline *p, sc_capture_cfg *cc)
{
    const sc_config_source *s = &p->cfg->source;
    memset(cc, 0, sizeof(*cc));
    cc->width = s->width;
    cc->height = s->height;
    cc->fps = s->fps;
    cc->n_buffers = s->buffers;
    cc->restart_after_ns = (int64_t)s->frame_timeout_ms * 1000000;
    cc->no_signal_ns = SC_MIN((int64_t)1000000000, cc->restart_after_ns / 2);
    cc->format = s->pixel_format == SC_CONFIG_PIXFMT_MJPEG ? SC_CAPTURE_FMT_MJPEG
               : s->pixel_format == SC_CONFIG_PIXFMT_YUYV ? SC_CAPTURE_FMT_YUYV : SC_CAPTURE_FMT_AUTO;
    char *node = p->source_node;   /* cc->path may point here: it lives as long as p */
    if (s->kind == SC_CONFIG_SOURCE_AUTO || s->kind == SC_CONFIG_SOURCE_CAMERA) {
        if (strcmp(s->device, "auto") != 0 && s->device[0]) {
            cc->kind = SC_CAPTURE_CAMERA;
            cc->path = s->device;
        } else {
            char nodes[16][SC_CAPTURE_PATH_MAX];
            int n = sc_capture_list_nodes(nodes, 16);
            if (n > 0) {
                snprintf(node, sizeof(p->source_node), "%s", nodes[0]);
                cc->kind = SC_CAPTURE_CAMERA;
                cc->path = node;
            } else if (s->kind == SC_CONFIG_SOURCE_CAMERA) {
                sc_log_error("run: source.kind is camera but no /dev/video* capture device was found");
                return SC_E_DEVICE;
            } else {
                if (!sc_find_asset("demo", node, sizeof(p->source_node))) {
                    sc_log_error("run: no camera found and no demo input at %s (run scripts/run.sh once to install it)", node);
                    return SC_E_IO;
                }
                sc_log_info("run: no camera found: using the demo photos in %s (looped, %.0f fps)", node, s->rate);
                cc->kind = SC_CAPTURE_DIR;
                cc->path = node;
                cc->loop = 1;
                cc->fps = (int)lround(s->rate);
            }
        }
    } else {
        cc->kind = s->kind == SC_CONFIG_SOURCE_IMAGE ? SC_CAPTURE_IMAGE
                 : s->kind == SC_CONFIG_SOURCE_DIR ? SC_CAPTURE_DIR : SC_CAPTURE_MJPEG_FILE;
        cc->path = s->path;
        cc->loop = s->loop;
        cc->fps = (int)lround(s->rate);
        cc->no_drop = s->rate == 0;   /* as fast as detected: every frame, none dropped */
    }
    snprintf(p->source_name, sizeof(p->source_name), "%s", cc->path);
    return SC_OK;
}

/* The last N_LAT samples of each measured time, for the summary's median and p95; one block
 * allocated at start. The window's two are per frame shown, the others per result. */
enum { T_LATENCY, T_DECODE, T_RESIZE, T_NETWORK, T_POST, T_SCREEN, T_DISPLAY, N_TIMES };
typedef struct timings {
    double *v;                   /* N_TIMES × N_LAT */
    int64_t n[N_TIMES];
    double last_screen_ms, last_display_ms;   /* the latest frame shown; < 0 before the first */
} timings;

static void add_time(timings *t, int which, double ms)
{
    t->v[(size_t)which * N_LAT + (size_t)(t->n[which]++ % N_LAT)] = ms;
}

/* Sorts the kept samples of `which` in place (only at the end) and returns the q-quantile. */
static double quantile(timings *t, int which, double q)
{
    int n = (int)SC_MIN(t->n[which], N_LAT);
    double *v = t->v + (size_t)which * N_LAT;
    if (!n) return 0;
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    int i = (int)((int64_t)n * lround(q * 1000) / 1000);   /* integer: p95 of 20 is index 19 */
    return v[i < n ? i : n - 1];
}

/* Counts a result's times and appends its line to the log (if any), with the latest window
 * times (when a window runs) and the Pi's temperature and throttling when known. */
static void record_result(const pipeline *p, sc_detlog *log, const result *r, timings *tm, const sc_sysmon *mon)
{
    double age = (double)(r->t_done_ns - r->t_capture_ns) / 1e6;
    add_time(tm, T_LATENCY, age);
    add_time(tm, T_DECODE, r->decode_ms);
    add_time(tm, T_RESIZE, r->resize_ms);
    add_time(tm, T_NETWORK, r->network_ms);
    add_time(tm, T_POST, r->post_ms);
    if (!log) return;
    sc_sysmon_reading hw;
    sc_sysmon_get(mon, &hw);
    sc_detlog_record rec = { .t_capture_ns = r->t_capture_ns, .frame_id = r->frame_id,
                             .source = p->source_name, .model = p->model_name,
                             .input_size = r->input_size, .width = r->src_w, .height = r->src_h,
                             .decode_ms = r->decode_ms, .resize_ms = r->resize_ms, .network_ms = r->network_ms,
                             .post_ms = r->post_ms, .display_ms = tm->last_display_ms,
                             .screen_ms = tm->last_screen_ms, .cpu_temp_c = hw.cpu_temp_c, .throttled = hw.throttled,
                             .optional = SC_DETLOG_HAS_STAGES | (tm->last_screen_ms >= 0 ? SC_DETLOG_HAS_SCREEN : 0u) |
                                         (hw.has_temp ? SC_DETLOG_HAS_CPU_TEMP : 0u) |
                                         (hw.has_throttled ? SC_DETLOG_HAS_THROTTLED : 0u),
                             .latency_ms = age, .dets = r->dets, .n_dets = r->n };
    sc_detlog_write(log, &rec);
}

static int pending_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    struct timespec zero = { 0, 0 };
    int sig = sigtimedwait(&set, NULL, &zero);
    return sig > 0 ? sig : 0;
}

#if SC_HAVE_SDL2
static const int k_sizes[] = { 160, 192, 224, 256, 300 };   /* rho = 0.533 .. 1 */

/* The next network input size up (dir > 0) or down from cur: the window's +/- keys. */
static int next_size(int cur, int dir)
{
    int n = (int)SC_ARRAY_LEN(k_sizes), i = 0;
    while (i < n && k_sizes[i] < cur) i++;
    if (dir > 0) return i + 1 < n && k_sizes[i] == cur ? k_sizes[i + 1] : k_sizes[SC_MIN(i, n - 1)];
    return i > 0 ? k_sizes[i - 1] : k_sizes[0];
}
#endif

/* ---- run ------------------------------------------------------------------------------- */

int sc_pipeline_run(const sc_config *cfg, const sc_run_opts *opts)
{
    pipeline *p = calloc(1, sizeof(*p));
    if (!p) return SC_EXIT_FAIL;
    p->cfg = cfg;
    int rc = SC_EXIT_FAIL;
    sc_detlog *log = NULL;
    timings tm = { .v = calloc((size_t)N_TIMES * N_LAT, sizeof(double)), .last_screen_ms = -1, .last_display_ms = -1 };
    sc_sysmon *mon = NULL;
#if SC_HAVE_SDL2
    sc_overlay *ov = NULL;
    sc_image show_rgb = { 0 };
#endif
    int use_window = 0;

    /* model and labels */
    if (cfg->model.path[0]) snprintf(p->model_path, sizeof(p->model_path), "%s", cfg->model.path);
    else if (!sc_find_asset(SC_DEFAULT_MODEL_REL, p->model_path, sizeof(p->model_path)))
        sc_log_warn("run: default model not found at %s (run scripts/run.sh once, or set model.path)", p->model_path);
    if (cfg->model.labels[0]) snprintf(p->labels_path, sizeof(p->labels_path), "%s", cfg->model.labels);
    else sc_sibling_path(p->model_path, "labelmap.txt", p->labels_path, sizeof(p->labels_path));
    const char *slash = strrchr(p->model_path, '/');
    p->model_name = slash ? slash + 1 : p->model_path;
    if (!tm.v || make_detector(p, cfg->model.input_size) || sc_labels_load(p->labels_path, 1, &p->labels)) {
        rc = SC_EXIT_MODEL;
        goto out;
    }
    atomic_store(&p->want_size, atomic_load(&p->cur_size));

    /* display or headless */
    use_window = cfg->display.enabled == SC_CONFIG_DISPLAY_ON ||
                 (cfg->display.enabled == SC_CONFIG_DISPLAY_AUTO && SC_HAVE_SDL2 && has_display());
#if SC_HAVE_SDL2
    if (use_window) {
        sc_overlay_cfg oc;
        sc_overlay_cfg_default(&oc);
        oc.fullscreen = cfg->display.fullscreen;
        oc.show_hud = cfg->display.hud;
        if (cfg->display.width > 0) { oc.width = cfg->display.width; oc.height = cfg->display.height; }
        if (sc_overlay_open(&oc, &ov) != SC_OK) {
            if (cfg->display.enabled == SC_CONFIG_DISPLAY_ON) { rc = SC_EXIT_FAIL; goto out; }
            sc_log_warn("run: no window could be opened: running headless");
            use_window = 0;
        }
    }
#else
    if (use_window) {
        sc_log_error("run: display.enabled is on, but this ssdcam was built without SDL2 (-Ddisplay=disabled)");
        rc = SC_EXIT_USAGE;
        goto out;
    }
#endif
    if (!use_window || cfg->log.path[0]) {
        sc_detlog_cfg lc;
        sc_detlog_cfg_default(&lc);
        lc.path = cfg->log.path[0] ? cfg->log.path : "/dev/stdout";
        lc.format = cfg->log.format == SC_CONFIG_LOG_CSV ? SC_DETLOG_CSV : SC_DETLOG_JSONL;
        lc.every_frame = cfg->log.every_frame;
        lc.fsync_interval_ms = cfg->log.fsync_interval_ms > 0 ? cfg->log.fsync_interval_ms : -1;
        lc.max_bytes = cfg->log.path[0] ? (uint64_t)cfg->log.max_bytes : 0;
        lc.max_files = cfg->log.max_files;
        lc.label_fn = detlog_label;
        lc.label_ctx = p->labels;
        if (!cfg->log.path[0]) { lc.check_interval_ms = -1; lc.fsync_interval_ms = -1; }
        if (sc_detlog_open(&lc, &log) != SC_OK) { rc = SC_EXIT_FAIL; goto out; }
    }

    /* queues, results, capture */
    if (sc_queue_create(1, &p->infer_q) || sc_queue_create(2, &p->show_q) ||
        sc_queue_create(use_window ? 4 : N_RESULTS, &p->result_q) || sc_queue_create(N_RESULTS, &p->free_q))
        goto out;
    p->lossless_results = !use_window;
    for (int i = 0; i < N_RESULTS; i++) {
        void *ev;
        sc_queue_push(p->free_q, &p->results[i], &ev);
    }
    sc_capture_cfg cc;
    if (resolve_source(p, &cc)) { rc = SC_EXIT_FAIL; goto out; }
    sc_queue *outs[2] = { p->infer_q, p->show_q };
    if (sc_capture_open(&cc, outs, use_window ? 2 : 1, &p->cap) != SC_OK) { rc = SC_EXIT_FAIL; goto out; }
    sc_capture_info ci;
    sc_capture_get_info(p->cap, &ci);
    if (ci.width > 0)
        sc_log_info("run: %s %dx%d %s, model %s at %dx%d, %s", ci.path, ci.width, ci.height, sc_pixfmt_name(ci.fmt),
                    p->model_name, atomic_load(&p->cur_size), atomic_load(&p->cur_size), use_window ? "window" : "headless");
    else   /* a camera not plugged in yet: capture waits for it and logs when it streams */
        sc_log_info("run: %s (waiting for the camera), model %s at %dx%d, %s", ci.path, p->model_name,
                    atomic_load(&p->cur_size), atomic_load(&p->cur_size), use_window ? "window" : "headless");
    /* MJPEG decoders, their buffers sized for the negotiated frame now (not per frame) */
    if (sc_jpeg_decoder_create(SC_JPEG_AUTO, ci.width, ci.height, &p->jdec) ||
        (use_window && sc_jpeg_decoder_create(SC_JPEG_AUTO, ci.width, ci.height, &p->jdec_show)))
        goto out;
    if (ci.fmt == SC_PIXFMT_MJPEG)
        sc_log_info("run: MJPEG decoder %s%s", sc_jpeg_backend_name(sc_jpeg_decoder_backend(p->jdec)),
                    sc_jpeg_decoder_backend(p->jdec) != SC_JPEG_TURBO ? " (full size)"
                    : cfg->source.decode_scale == SC_CONFIG_DECODE_SCALE_AUTO ? ", DCT-scaled to the network input"
                    : ", full size (source.decode_scale: full)");
    /* CPU temperature and Pi throttling, read on a thread of their own; none is fine */
    if (sc_sysmon_start(NULL, &mon) != SC_OK) mon = NULL;
    sc_log_info("run: %d inference thread%s (model.threads %d%s)", atomic_load(&p->n_threads),
                atomic_load(&p->n_threads) == 1 ? "" : "s", cfg->model.threads,
                cfg->model.threads ? "" : ": one per online core");
    if (pthread_create(&p->infer_thread, NULL, infer_main, p) != 0) goto out;
    p->infer_started = 1;

    /* main loop */
    int64_t t_start = sc_now_ns(), t_status = t_start, n_res = 0;
    result *latest = NULL;
    int ended_seen = 0;
    sc_frame *pending = NULL;
#if SC_HAVE_SDL2
    int paused = 0;
    int64_t pending_t = 0;
    /* the scene last shown, kept to redraw it (pause) after its result slot was recycled */
    sc_det shown_dets[MAX_DETS];
    const char *shown_names[MAX_DETS];
    int shown_n = 0, have_shown = 0;
    sc_overlay_frame_info shown_info;
    memset(&shown_info, 0, sizeof(shown_info));
#endif
    double det_fps = 0, cam_fps = 0;
    uint64_t last_frames = 0, last_res = 0;
    rc = SC_EXIT_OK;
    for (;;) {
        int sig = pending_signal();
        if (sig == SIGHUP) { if (log) sc_detlog_reopen(log); }
        else if (sig) { sc_log_info("run: %s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM"); break; }
        if (opts->max_seconds > 0 && (sc_now_ns() - t_start) / 1e9 >= opts->max_seconds) break;
        if (opts->max_results > 0 && n_res >= opts->max_results) break;

        /* results: log each (headless), keep the newest (window) */
        void *item;
        /* headless: wait for results; window: wait briefly only while a frame awaits its result */
        int64_t wait_ns = use_window ? (pending ? 2000000 : 0) : 100000000;
        while (sc_queue_pop(p->result_q, &item, wait_ns) == SC_OK) {
            wait_ns = 0;
            result *r = item;
            n_res++;
            record_result(p, log, r, &tm, mon);
            if (latest) { void *ev; sc_queue_push(p->free_q, latest, &ev); }
            latest = r;
            if (opts->max_results > 0 && n_res >= opts->max_results) break;
        }
        if (log) sc_detlog_poll(log);

        int64_t now = sc_now_ns();
        if (now - t_status >= 2000000000LL) {
            sc_capture_stats cs;
            sc_capture_get_stats(p->cap, &cs);
            double dt = (double)(now - t_status) / 1e9;
            uint64_t np = atomic_load(&p->n_processed);
            cam_fps = (double)(cs.frames - last_frames) / dt;
            det_fps = (double)(np - last_res) / dt;
            last_frames = cs.frames;
            last_res = np;
            t_status = now;
            if (!opts->quiet && !use_window) {
                sc_sysmon_reading hw;
                char temp[32] = "", thr[128] = "";
                sc_sysmon_get(mon, &hw);
                if (hw.has_temp) snprintf(temp, sizeof(temp), ", cpu %.1f C", hw.cpu_temp_c);
                if (hw.has_throttled) {
                    char flags[96];
                    snprintf(thr, sizeof(thr), ", throttling %s",
                             sc_sysmon_throttled_str(hw.throttled, flags, sizeof(flags)));
                }
                sc_log_info("run: camera %.1f fps, detector %.1f fps, %s, frames %llu, dropped %llu%s%s",
                            cam_fps, det_fps, sc_capture_state_name(cs.state), (unsigned long long)cs.frames,
                            (unsigned long long)(cs.evicted + cs.driver_drops), temp, thr);
            }
        }
        /* a finished file source: stop once everything it produced was processed */
        if (sc_capture_get_state(p->cap) == SC_CAPTURE_ENDED) {
            sc_capture_stats cs;
            sc_capture_get_stats(p->cap, &cs);
            /* every frame is accounted for: processed, evicted from infer_q, undecodable or failed */
            if (sc_queue_len(p->infer_q) == 0 && sc_queue_len(p->result_q) == 0 &&
                atomic_load(&p->n_processed) + sc_queue_evictions(p->infer_q) + atomic_load(&p->n_decode_errors) +
                atomic_load(&p->n_failed) >= cs.frames) {
                if (ended_seen++ > 2) break;   /* give the last result a few turns */
            }
        }

#if SC_HAVE_SDL2
        if (use_window) {
            /* Hold the newest frame until its own result arrives (up to SYNC_WAIT_NS), so the
             * boxes drawn belong to the picture shown whenever the detector keeps up; a newer
             * frame replaces a held one. When the detector is slower, frames are shown with the
             * newest boxes and the HUD's frame ids show the lag. */
            if (sc_queue_pop(p->show_q, &item, pending ? 0 : 10000000) == SC_OK) {
                sc_frame_unref(pending);
                pending = item;
                pending_t = sc_now_ns();
            }
            if (pending && !paused &&
                ((latest && latest->frame_id >= pending->id) || sc_now_ns() - pending_t > SYNC_WAIT_NS)) {
                sc_frame *f = pending;
                pending = NULL;
                int is_view = 0;
                const int64_t t_show0 = sc_now_ns();
                if (frame_to_rgb(f, &show_rgb, &is_view, p->jdec_show, 0, NULL) == SC_OK) {
                    sc_capture_stats cs;
                    sc_capture_get_stats(p->cap, &cs);
                    sc_capture_state state = cs.state;
                    int size = atomic_load(&p->cur_size);
                    sc_overlay_frame_info info = {
                        .frame_id = f->id, .result_frame_id = latest ? latest->frame_id : 0,
                        .camera_fps = cam_fps, .detector_fps = det_fps,
                        .inference_ms = latest ? latest->infer_ms : -1,
                        .result_age_ms = latest ? (double)(latest->t_done_ns - latest->t_capture_ns) / 1e6 : -1,
                        .screen_age_ms = tm.last_screen_ms,
                        .has_stages = latest != NULL,
                        .decode_ms = latest ? latest->decode_ms : -1, .resize_ms = latest ? latest->resize_ms : -1,
                        .network_ms = latest ? latest->network_ms : -1, .post_ms = latest ? latest->post_ms : -1,
                        .display_ms = tm.last_display_ms,
                        .drops_camera = cs.driver_drops, .drops_detector = sc_queue_evictions(p->infer_q),
                        .input_size = size, .rho = (float)size / 300.0f, .n_threads = atomic_load(&p->n_threads),
                        .cam_state = state == SC_CAPTURE_NO_SIGNAL ? SC_OVERLAY_CAM_NO_SIGNAL
                                   : state == SC_CAPTURE_RECONNECTING ? SC_OVERLAY_CAM_RECONNECTING
                                   : SC_OVERLAY_CAM_STREAMING,
                        .paused = paused, .source = p->source_name,
                    };
                    sc_sysmon_reading hw;
                    sc_sysmon_get(mon, &hw);
                    info.has_cpu_temp = hw.has_temp;
                    info.cpu_temp_c = hw.cpu_temp_c;
                    info.has_throttled = hw.has_throttled;
                    info.throttled = hw.throttled;
                    shown_n = latest ? latest->n : 0;
                    if (shown_n) memcpy(shown_dets, latest->dets, sizeof(sc_det) * (size_t)shown_n);
                    for (int i = 0; i < shown_n; i++) shown_names[i] = sc_labels_name(p->labels, shown_dets[i].class_id);
                    sc_overlay_show(ov, &show_rgb, &info, shown_dets, shown_n, shown_names);
                    if (is_view) show_rgb.data = NULL;
                    /* SDL_RenderPresent has returned: the frame is on its way to the screen */
                    const int64_t t_show1 = sc_now_ns();
                    tm.last_display_ms = (double)(t_show1 - t_show0) / 1e6;
                    tm.last_screen_ms = (double)(t_show1 - f->t_capture_ns) / 1e6;
                    add_time(&tm, T_DISPLAY, tm.last_display_ms);
                    add_time(&tm, T_SCREEN, tm.last_screen_ms);
                    shown_info = info;
                    shown_info.source = NULL;   /* the overlay keeps its copy */
                    have_shown = 1;
                }
                sc_frame_unref(f);
            } else if (pending && paused) {
                sc_frame_unref(pending);
                pending = NULL;
            }
            sc_overlay_action a = sc_overlay_poll(ov, 0);
            if (a == SC_OVERLAY_QUIT) break;
            if (a == SC_OVERLAY_PAUSE) {
                paused = !paused;
                if (have_shown) {   /* redraw the frozen picture with (or without) PAUSED */
                    shown_info.paused = paused;
                    shown_info.source = p->source_name;
                    sc_overlay_show(ov, NULL, &shown_info, shown_dets, shown_n, shown_names);
                }
            }
            if (a == SC_OVERLAY_RHO_UP || a == SC_OVERLAY_RHO_DOWN)
                atomic_store(&p->want_size, next_size(atomic_load(&p->cur_size), a == SC_OVERLAY_RHO_UP ? 1 : -1));
            if (a == SC_OVERLAY_SNAPSHOT) {
                const sc_image *snap = NULL;
                char path[64], err[256] = "the window could not be read back";
                snprintf(path, sizeof(path), "ssdcam-snapshot-%lld.png", (long long)(sc_now_ns() / 1000000));
                if (sc_overlay_snapshot(ov, &snap) == SC_OK && sc_image_save_png(path, snap, err, sizeof(err)) == SC_OK)
                    sc_log_info("run: snapshot saved to %s", path);
                else
                    sc_log_error("run: snapshot: %s", err);
            }
        }
#endif
    }

    /* shutdown */
    sc_frame_unref(pending);
    atomic_store(&p->stop, 1);
    sc_capture_stop(p->cap);
    sc_queue_close(p->infer_q);
    sc_queue_close(p->show_q);
    if (p->infer_started) pthread_join(p->infer_thread, NULL);
    p->infer_started = 0;
    /* Results finished after the loop stopped are logged too: every processed frame has its line. */
    for (void *item; sc_queue_pop(p->result_q, &item, 0) == SC_OK;) {
        result *r = item;
        record_result(p, log, r, &tm, mon);
        void *ev;
        sc_queue_push(p->free_q, r, &ev);
    }
    {
        /* Frames captured but never taken by the inference thread (the queue's content at stop). */
        uint64_t n_left = 0;
        for (void *item; sc_queue_pop(p->infer_q, &item, 0) == SC_OK; n_left++) sc_frame_unref(item);
        sc_capture_stats cs;
        sc_capture_get_stats(p->cap, &cs);
        /* Per-stage medians, and with a window capture → screen and the display time. */
        char stages[256] = "", screen[128] = "";
        if (tm.n[T_LATENCY])
            snprintf(stages, sizeof(stages), ", stage medians decode %.2f, resize %.2f, network %.1f, post %.2f ms",
                     quantile(&tm, T_DECODE, 0.5), quantile(&tm, T_RESIZE, 0.5), quantile(&tm, T_NETWORK, 0.5),
                     quantile(&tm, T_POST, 0.5));
        if (tm.n[T_SCREEN])
            snprintf(screen, sizeof(screen), ", capture to screen median %.1f ms, p95 %.1f ms, display median %.1f ms",
                     quantile(&tm, T_SCREEN, 0.5), quantile(&tm, T_SCREEN, 0.95), quantile(&tm, T_DISPLAY, 0.5));
        /* Accounting (tests/ci/soak.sh checks it): captured = processed + detector busy + undecodable
         * + failed + left at stop. Driver drops and the source's skipped items (corrupt, truncated)
         * never became frames, so they are outside "captured". */
        sc_log_info("run: summary: captured %llu, processed %llu, dropped %llu (detector busy %llu, driver %llu), "
                    "undecodable %llu, failed %llu, left at stop %llu, skipped corrupt %llu, truncated %llu, "
                    "latency median %.1f ms, p95 %.1f ms%s%s",
                    (unsigned long long)cs.frames, (unsigned long long)atomic_load(&p->n_processed),
                    (unsigned long long)(sc_queue_evictions(p->infer_q) + cs.driver_drops),
                    (unsigned long long)sc_queue_evictions(p->infer_q), (unsigned long long)cs.driver_drops,
                    (unsigned long long)atomic_load(&p->n_decode_errors), (unsigned long long)atomic_load(&p->n_failed),
                    (unsigned long long)n_left, (unsigned long long)cs.corrupt, (unsigned long long)cs.truncated,
                    quantile(&tm, T_LATENCY, 0.5), quantile(&tm, T_LATENCY, 0.95), stages, screen);
        /* The log's own account: lines written + lost = the results it was given (with
         * log.every_frame, = processed; tests/app/test_faults.py checks it on a full disk). */
        if (log && cfg->log.path[0]) {
            sc_detlog_stats ls;
            sc_detlog_get_stats(log, &ls);
            sc_log_info("run: log %s: %llu lines written, %llu lost, %llu reopens, %llu rotations%s; "
                        "%llu results superseded before logging (window mode)",
                        cfg->log.path, (unsigned long long)ls.lines_written, (unsigned long long)ls.lines_lost,
                        (unsigned long long)ls.reopens, (unsigned long long)ls.rotations,
                        ls.failing ? " (still failing)" : "", (unsigned long long)atomic_load(&p->n_results_dropped));
        }
    }

out:
    atomic_store(&p->stop, 1);
    if (p->cap) sc_capture_stop(p->cap);
    if (p->infer_q) sc_queue_close(p->infer_q);
    if (p->show_q) sc_queue_close(p->show_q);
    if (p->infer_started) pthread_join(p->infer_thread, NULL);
    void *item;
    while (p->infer_q && sc_queue_pop(p->infer_q, &item, 0) == SC_OK) sc_frame_unref(item);
    while (p->show_q && sc_queue_pop(p->show_q, &item, 0) == SC_OK) sc_frame_unref(item);
    sc_capture_destroy(p->cap);
#if SC_HAVE_SDL2
    sc_overlay_close(ov);
    sc_image_fini(&show_rgb);
#endif
    sc_detlog_close(log);
    sc_queue_destroy(p->infer_q);
    sc_queue_destroy(p->show_q);
    sc_queue_destroy(p->result_q);
    sc_queue_destroy(p->free_q);
    sc_image_fini(&p->rgb);
    sc_resizer_destroy(p->rs);
    sc_yuyv_resizer_destroy(p->yr);
    sc_jpeg_decoder_destroy(p->jdec);
    sc_jpeg_decoder_destroy(p->jdec_show);
    sc_detector_destroy(p->det);
    sc_labels_destroy(p->labels);
    free(tm.v);
    sc_sysmon_stop(mon);
    free(p);
    return rc;
}
