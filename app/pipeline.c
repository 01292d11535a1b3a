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
 *               slot to result_q (capacity 4, drop-oldest). Result slots come from a fixed free
 *               list (free_q), so nothing is allocated per frame (except inside stb's JPEG
 *               decoder for MJPEG frames; see the closing notes of issue 5).
 *   main        owns SDL, signals, the log file: with a window it pops show_q, draws the newest
 *               frame with the newest result's boxes (frame ids make any lag visible) and handles
 *               keys; headless it pops result_q and appends one line per result to the log.
 *               SIGINT/SIGTERM stop, SIGHUP reopens the log (logrotate). Signals are blocked in
 *               every thread and taken here with sigtimedwait.
 * Every frame and result carries the frame id and the capture timestamp, so a box drawn or
 * logged always belongs to the frame it was computed on. The resolution multiplier can be
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
static const int k_sizes[] = { 160, 192, 224, 256, 300 };   /* rho = 0.533 .. 1 */

typedef struct result {
    uint64_t frame_id;
    int64_t t_capture_ns, t_done_ns;
    int src_w, src_h, input_size;
    double infer_ms;
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
    const char *model_name;
    atomic_int stop;
    atomic_int want_size;        /* requested network input side (rho changes) */
    atomic_int cur_size;
    atomic_uint_fast64_t n_processed, n_decode_errors;
    /* inference thread state */
    pthread_t infer_thread;
    int infer_started;
    sc_image rgb;                /* decoded/converted frame (inference thread) */
    sc_resizer *rs;
    int rs_sw, rs_sh, rs_dw, rs_dh;
    float lb_x0, lb_y0, lb_w, lb_h; /* letterbox placement in the network input, normalised */
} pipeline;

/* ---- source → RGB ---------------------------------------------------------------------- */

/* Converts a frame into *rgb (reallocated only when the size changes). For an RGB24 frame,
 * *rgb becomes a view of the frame's bytes (valid while the frame is held) and *owned = 0. */
static sc_status frame_to_rgb(const sc_frame *f, sc_image *rgb, int *is_view)
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
        sc_image tmp = { 0 };
        char err[256];
        sc_status st = sc_image_load_mem(f->data, f->bytes_used, "frame", &tmp, err, sizeof(err));
        if (st) return st;
        sc_image_fini(rgb);
        *rgb = tmp;
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
    sc_resizer_destroy(p->rs);
    p->rs = NULL;
    return SC_OK;
}

/* Resizes p->rgb into the detector input: stretched, or letterboxed with the padding at the
 * network's zero (byte 128). Records where the picture landed, to map boxes back. */
static sc_status prepare_input(pipeline *p)
{
    sc_image *in = sc_detector_input(p->det);
    int S = sc_detector_input_size(p->det), dw = S, dh = S, x0 = 0, y0 = 0;
    if (p->cfg->model.letterbox) {
        if (p->rgb.width >= p->rgb.height) dh = SC_MAX(1, (int)lround((double)S * p->rgb.height / p->rgb.width));
        else dw = SC_MAX(1, (int)lround((double)S * p->rgb.width / p->rgb.height));
        x0 = (S - dw) / 2;
        y0 = (S - dh) / 2;
    }
    if (!p->rs || p->rs_sw != p->rgb.width || p->rs_sh != p->rgb.height || p->rs_dw != dw || p->rs_dh != dh) {
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
        if (frame_to_rgb(f, &p->rgb, &is_view) != SC_OK) {
            if (atomic_fetch_add(&p->n_decode_errors, 1) == 0)
                sc_log_warn("run: frame %llu could not be decoded (counted; further ones are not logged)",
                            (unsigned long long)f->id);
            sc_frame_unref(f);
            continue;
        }
        uint64_t id = f->id;
        int64_t t_cap = f->t_capture_ns;
        int w = p->rgb.width, h = p->rgb.height;
        st = prepare_input(p);
        if (is_view) { p->rgb.data = NULL; }   /* the view dies with the frame */
        sc_frame_unref(f);
        if (st) continue;
        sc_det dets[MAX_DETS];
        int n = sc_detector_run(p->det, dets, MAX_DETS);
        void *slot_item;
        if (sc_queue_pop(p->free_q, &slot_item, 0) != SC_OK) continue;   /* cannot happen: 8 slots */
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
            d.xmin = (d.xmin - p->lb_x0) / p->lb_w;
            d.xmax = (d.xmax - p->lb_x0) / p->lb_w;
            d.ymin = (d.ymin - p->lb_y0) / p->lb_h;
            d.ymax = (d.ymax - p->lb_y0) / p->lb_h;
            if (keep_det(p, &d)) r->dets[r->n++] = d;
        }
        r->t_done_ns = sc_now_ns();
        r->infer_ms = (double)(r->t_done_ns - t0) / 1e6;
        atomic_fetch_add(&p->n_processed, 1);
        void *ev;
        sc_queue_push(p->result_q, r, &ev);
        if (ev) sc_queue_push(p->free_q, ev, &ev);
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
    static char node[SC_CAPTURE_PATH_MAX * 4];
    if (s->kind == SC_CONFIG_SOURCE_AUTO || s->kind == SC_CONFIG_SOURCE_CAMERA) {
        if (strcmp(s->device, "auto") != 0 && s->device[0]) {
            cc->kind = SC_CAPTURE_CAMERA;
            cc->path = s->device;
        } else {
            char nodes[16][SC_CAPTURE_PATH_MAX];
            int n = sc_capture_list_nodes(nodes, 16);
            if (n > 0) {
                snprintf(node, sizeof(node), "%s", nodes[0]);
                cc->kind = SC_CAPTURE_CAMERA;
                cc->path = node;
            } else if (s->kind == SC_CONFIG_SOURCE_CAMERA) {
                sc_log_error("run: source.kind is camera but no /dev/video* capture device was found");
                return SC_E_DEVICE;
            } else {
                if (!sc_find_asset("demo", node, sizeof(node))) {
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

/* Counts a result's capture → result latency and appends its line to the log (if any). */
static void record_result(const pipeline *p, sc_detlog *log, const result *r, double *lat, int64_t *n_lat)
{
    double age = (double)(r->t_done_ns - r->t_capture_ns) / 1e6;
    lat[(*n_lat)++ % N_LAT] = age;
    if (!log) return;
    sc_detlog_record rec = { .t_capture_ns = r->t_capture_ns, .frame_id = r->frame_id,
                             .source = p->source_name, .model = p->model_name,
                             .input_size = r->input_size, .width = r->src_w, .height = r->src_h,
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

static int next_size(int cur, int dir)
{
    int n = (int)SC_ARRAY_LEN(k_sizes), i = 0;
    while (i < n && k_sizes[i] < cur) i++;
    if (dir > 0) return i + 1 < n && k_sizes[i] == cur ? k_sizes[i + 1] : k_sizes[SC_MIN(i, n - 1)];
    return i > 0 ? k_sizes[i - 1] : k_sizes[0];
}

/* ---- run ------------------------------------------------------------------------------- */

int sc_pipeline_run(const sc_config *cfg, const sc_run_opts *opts)
{
    pipeline *p = calloc(1, sizeof(*p));
    if (!p) return SC_EXIT_FAIL;
    p->cfg = cfg;
    int rc = SC_EXIT_FAIL;
    sc_detlog *log = NULL;
    double *lat = calloc(N_LAT, sizeof(double));
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
    if (!lat || make_detector(p, cfg->model.input_size) || sc_labels_load(p->labels_path, 1, &p->labels)) {
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
        sc_queue_create(4, &p->result_q) || sc_queue_create(N_RESULTS, &p->free_q))
        goto out;
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
    sc_log_info("run: %s %dx%d %s, model %s at %dx%d, %s", ci.path, ci.width, ci.height, sc_pixfmt_name(ci.fmt),
                p->model_name, atomic_load(&p->cur_size), atomic_load(&p->cur_size), use_window ? "window" : "headless");
    if (pthread_create(&p->infer_thread, NULL, infer_main, p) != 0) goto out;
    p->infer_started = 1;

    /* main loop */
    int64_t t_start = sc_now_ns(), t_status = t_start, n_res = 0, n_lat = 0;
    result *latest = NULL;
    int paused = 0, ended_seen = 0;
    sc_frame *pending = NULL;
    int64_t pending_t = 0;
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
            record_result(p, log, r, lat, &n_lat);
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
            if (!opts->quiet && !use_window)
                sc_log_info("run: camera %.1f fps, detector %.1f fps, %s, frames %llu, dropped %llu",
                            cam_fps, det_fps, sc_capture_state_name(cs.state), (unsigned long long)cs.frames,
                            (unsigned long long)(cs.evicted + cs.driver_drops));
        }
        /* a finished file source: stop once everything it produced was processed */
        if (sc_capture_get_state(p->cap) == SC_CAPTURE_ENDED) {
            sc_capture_stats cs;
            sc_capture_get_stats(p->cap, &cs);
            if (sc_queue_len(p->infer_q) == 0 && sc_queue_len(p->result_q) == 0 &&
                atomic_load(&p->n_processed) + cs.evicted / (use_window ? 2 : 1) >= cs.frames) {
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
                if (frame_to_rgb(f, &show_rgb, &is_view) == SC_OK) {
                    sc_capture_stats cs;
                    sc_capture_get_stats(p->cap, &cs);
                    sc_capture_state state = cs.state;
                    int size = atomic_load(&p->cur_size);
                    sc_overlay_frame_info info = {
                        .frame_id = f->id, .result_frame_id = latest ? latest->frame_id : 0,
                        .camera_fps = cam_fps, .detector_fps = det_fps,
                        .inference_ms = latest ? latest->infer_ms : -1,
                        .result_age_ms = latest ? (double)(latest->t_done_ns - latest->t_capture_ns) / 1e6 : -1,
                        .screen_age_ms = (double)(sc_now_ns() - f->t_capture_ns) / 1e6,
                        .drops_camera = cs.driver_drops, .drops_detector = sc_queue_evictions(p->infer_q),
                        .input_size = size, .rho = (float)size / 300.0f, .n_threads = cfg->model.threads,
                        .cam_state = state == SC_CAPTURE_NO_SIGNAL ? SC_OVERLAY_CAM_NO_SIGNAL
                                   : state == SC_CAPTURE_RECONNECTING ? SC_OVERLAY_CAM_RECONNECTING
                                   : SC_OVERLAY_CAM_STREAMING,
                        .paused = paused, .source = p->source_name,
                    };
                    const char *names[MAX_DETS];
                    int n = latest ? latest->n : 0;
                    for (int i = 0; i < n; i++) names[i] = sc_labels_name(p->labels, latest->dets[i].class_id);
                    sc_overlay_show(ov, &show_rgb, &info, latest ? latest->dets : NULL, n, names);
                    if (is_view) show_rgb.data = NULL;
                }
                sc_frame_unref(f);
            } else if (pending && paused) {
                sc_frame_unref(pending);
                pending = NULL;
            }
            sc_overlay_action a = sc_overlay_poll(ov, 0);
            if (a == SC_OVERLAY_QUIT) break;
            if (a == SC_OVERLAY_PAUSE) paused = !paused;
            if (a == SC_OVERLAY_RHO_UP || a == SC_OVERLAY_RHO_DOWN)
                atomic_store(&p->want_size, next_size(atomic_load(&p->cur_size), a == SC_OVERLAY_RHO_UP ? 1 : -1));
            if (a == SC_OVERLAY_SNAPSHOT) {
                const sc_image *snap = NULL;
                char path[64], err[256];
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
        record_result(p, log, r, lat, &n_lat);
        void *ev;
        sc_queue_push(p->free_q, r, &ev);
    }
    {
        sc_capture_stats cs;
        sc_capture_get_stats(p->cap, &cs);
        int n = (int)SC_MIN(n_lat, N_LAT);
        qsort(lat, (size_t)n, sizeof(double), cmp_double);
        sc_log_info("run: summary: captured %llu, processed %llu, dropped %llu (detector busy %llu, driver %llu), "
                    "undecodable %llu, latency median %.1f ms, p95 %.1f ms",
                    (unsigned long long)cs.frames, (unsigned long long)atomic_load(&p->n_processed),
                    (unsigned long long)(sc_queue_evictions(p->infer_q) + cs.driver_drops),
                    (unsigned long long)sc_queue_evictions(p->infer_q), (unsigned long long)cs.driver_drops,
                    (unsigned long long)atomic_load(&p->n_decode_errors),
                    n ? lat[n / 2] : 0.0, n ? lat[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1] : 0.0);
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
    sc_detector_destroy(p->det);
    sc_labels_destroy(p->labels);
    free(lat);
    free(p);
    return rc;
}
