/* app/cmd_capture.c — `ssdcam capture`: runs the capture (camera or file source) and prints
 * one JSON line per frame and per state change, then a summary. A debugging tool for cameras
 * and the test driver for the camera suite (tests/camera/).
 *
 * The main thread is the consumer: it pops from one queue of capacity 1 (latest-frame
 * semantics, as the detector's), optionally decodes and resizes each frame, and may hold it
 * for --work-ms to play a slow detector. SIGINT/SIGTERM are blocked before the capture thread
 * starts (so it inherits the mask) and polled here with sigtimedwait: Ctrl-C ends the run
 * with the summary. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/capture.h"
#include "app/cmds.h"
#include "app/json_out.h"
#include "app/image_io.h"
#include "core/clock.h"
#include "core/image.h"
#include "core/log.h"
#include "core/yuyv.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ssdcam capture [OPTIONS]\n"
        "Capture frames from a camera (or a file source) and print one JSON line per frame and per\n"
        "state change (streaming, no signal, reconnecting, ended), then a summary line.\n\n"
        "source (default --device /dev/video0):\n"
        "  --device DEV        V4L2 node, e.g. /dev/video0 or /dev/v4l/by-id/..., or a name: a\n"
        "                      /dev/v4l/by-id entry, videoN, or the card name (ssdcam devices)\n"
        "  --image FILE        a still image          --dir DIR   the images of a directory, by name\n"
        "  --mjpeg-file FILE   concatenated JPEGs (delivered as MJPEG frames, like a camera's)\n"
        "camera:\n"
        "  --format F          auto (MJPEG above 640x480 when offered, else YUYV), mjpeg or yuyv\n"
        "  --size WxH          frame size (default: the driver's current one)\n"
        "  --fps N             frame rate to ask for (files: pacing; default: none)\n"
        "  --buffers N         V4L2 buffers, 2..16 (default 4)\n"
        "  --ctrl NAME=VALUE   set a control after every open (repeatable), e.g. \"OSD Text Mode=None\"\n"
        "  --no-signal-ms MS   no frame this long: state 'no signal' (default 1000)\n"
        "  --restart-ms MS     no frame this long: restart streaming (default 3000)\n"
        "  --no-wait           fail at once when the camera is not there (default: wait for it,\n"
        "                      in state 'reconnecting': \"waiting for camera\")\n"
        "files:\n"
        "  --loop              start again after the last image   --no-drop  wait for the consumer\n"
        "run:\n"
        "  --frames N          stop after N frames (default: no limit)\n"
        "  --seconds S         stop after S seconds (default: no limit; Ctrl-C also stops)\n"
        "  --work-ms MS        hold each frame MS milliseconds (a slow consumer)\n"
        "  --crc               CRC-32 of each frame's bytes\n"
        "  --decode            decode each frame to RGB (MJPEG: stb_image; YUYV: BT.601) and report it\n"
        "  --resize WxH        with --decode, resize to WxH (YUYV: the fused YUYV->RGB->resize)\n"
        "  --quiet             no per-frame lines\n"
        "  --verbose           log every reconnect attempt and its reason (debug level)\n"
        "exit codes: 0 ok (N frames, or the source ended, or the time ran out after >= 1 frame),\n"
        "            1 no frame / fewer than N / device failed, 2 usage or what the camera cannot do,\n"
        "            4 input file unreadable\n");
}

typedef struct opts {
    sc_capture_cfg cfg;
    long frames;
    double seconds;
    int work_ms, crc, decode, quiet;
    int resize_w, resize_h;
} opts;

static int parse_size(const char *s, int *w, int *h)
{
    char x;
    return sscanf(s, "%d%c%d", w, &x, h) == 3 && (x == 'x' || x == 'X') && *w > 0 && *h > 0 &&
           *w <= 16384 && *h <= 16384;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static void crc_init(uint32_t tab[256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        tab[i] = c;
    }
}

static uint32_t crc32_of(const uint32_t tab[256], uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) crc = tab[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static int parse_args(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof(*o));
    o->cfg.kind = SC_CAPTURE_CAMERA;
    o->cfg.path = "/dev/video0";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
#define NEED_VALUE() do { if (!v) { sc_log_error("capture: %s needs a value", a); return -1; } i++; } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--device")) {
            NEED_VALUE(); o->cfg.kind = SC_CAPTURE_CAMERA; o->cfg.path = v;
        } else if (!strcmp(a, "--image")) {
            NEED_VALUE(); o->cfg.kind = SC_CAPTURE_IMAGE; o->cfg.path = v;
        } else if (!strcmp(a, "--dir")) {
            NEED_VALUE(); o->cfg.kind = SC_CAPTURE_DIR; o->cfg.path = v;
        } else if (!strcmp(a, "--mjpeg-file")) {
            NEED_VALUE(); o->cfg.kind = SC_CAPTURE_MJPEG_FILE; o->cfg.path = v;
        } else if (!strcmp(a, "--format")) {
            NEED_VALUE();
            if (!sc_capture_format_parse(v, &o->cfg.format)) {
                sc_log_error("capture: --format must be auto, mjpeg or yuyv, not '%s'", v);
                return -1;
            }
        } else if (!strcmp(a, "--size")) {
            NEED_VALUE();
            if (!parse_size(v, &o->cfg.width, &o->cfg.height)) {
                sc_log_error("capture: --size must be WxH, not '%s'", v);
                return -1;
            }
        } else if (!strcmp(a, "--resize")) {
            NEED_VALUE();
            if (!parse_size(v, &o->resize_w, &o->resize_h)) {
                sc_log_error("capture: --resize must be WxH, not '%s'", v);
                return -1;
            }
        } else if (!strcmp(a, "--fps") || !strcmp(a, "--buffers") || !strcmp(a, "--frames") ||
                   !strcmp(a, "--work-ms") || !strcmp(a, "--no-signal-ms") || !strcmp(a, "--restart-ms")) {
            NEED_VALUE();
            if (!parse_long(v, 0, 100000000, &n)) {
                sc_log_error("capture: %s needs a whole number >= 0, not '%s'", a, v);
                return -1;
            }
            if (!strcmp(a, "--fps")) o->cfg.fps = (int)n;
            else if (!strcmp(a, "--buffers")) o->cfg.n_buffers = (int)n;
            else if (!strcmp(a, "--frames")) o->frames = n;
            else if (!strcmp(a, "--work-ms")) o->work_ms = (int)n;
            else if (!strcmp(a, "--no-signal-ms")) o->cfg.no_signal_ns = n * 1000000LL;
            else o->cfg.restart_after_ns = n * 1000000LL;
        } else if (!strcmp(a, "--seconds")) {
            NEED_VALUE();
            char *end;
            o->seconds = strtod(v, &end);
            if (end == v || *end || !(o->seconds >= 0)) {
                sc_log_error("capture: --seconds needs a number >= 0, not '%s'", v);
                return -1;
            }
        } else if (!strcmp(a, "--ctrl")) {
            NEED_VALUE();
            if (o->cfg.n_controls == SC_CAPTURE_MAX_CONTROLS) {
                sc_log_error("capture: at most %d --ctrl", SC_CAPTURE_MAX_CONTROLS);
                return -1;
            }
            o->cfg.controls[o->cfg.n_controls++] = v;
        } else if (!strcmp(a, "--no-wait")) {
            o->cfg.no_wait = 1;
        } else if (!strcmp(a, "--loop")) {
            o->cfg.loop = 1;
        } else if (!strcmp(a, "--no-drop")) {
            o->cfg.no_drop = 1;
        } else if (!strcmp(a, "--crc")) {
            o->crc = 1;
        } else if (!strcmp(a, "--decode")) {
            o->decode = 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--verbose")) {
            sc_log_set_level(SC_LOG_DEBUG);   /* before any thread starts */
        } else {
            sc_log_error("capture: unknown argument '%s' (try --help)", a);
            return -1;
        }
#undef NEED_VALUE
    }
    if (o->resize_w && !o->decode) {
        sc_log_error("capture: --resize needs --decode");
        return -1;
    }
    return 0;
}

static void print_events(sc_capture *cap, uint64_t *last_seq)
{
    sc_capture_event ev[8];
    int n;
    while ((n = sc_capture_get_events(cap, *last_seq, ev, 8)) > 0) {
        sc_capture_info inf;
        sc_capture_get_info(cap, &inf);
        for (int i = 0; i < n; i++) {
            printf("{\"event\":\"state\",\"state\":\"%s\",\"t\":%.6f,\"path\":",
                   sc_capture_state_name(ev[i].state), (double)ev[i].t_ns / 1e9);
            sc_json_str(stdout, inf.path);
            fputs(",\"reason\":", stdout);
            sc_json_str(stdout, ev[i].reason);
            fputs("}\n", stdout);
            *last_seq = ev[i].seq;
        }
        fflush(stdout);   /* no frame may follow (waiting, no signal): readers see it now */
    }
}

/* Prints the "open" line (what was negotiated) once it is known; returns 1 if printed. */
static int print_open(sc_capture *cap, int64_t t_start)
{
    sc_capture_info inf;
    sc_capture_get_info(cap, &inf);
    if (inf.width <= 0) return 0;
    printf("{\"event\":\"open\",\"t\":%.6f,\"path\":", (double)t_start / 1e9);
    sc_json_str(stdout, inf.path);
    fputs(",\"by_id\":", stdout);
    sc_json_str(stdout, inf.by_id);
    fputs(",\"driver\":", stdout);
    sc_json_str(stdout, inf.driver);
    fputs(",\"card\":", stdout);
    sc_json_str(stdout, inf.card);
    fputs(",\"bus\":", stdout);
    sc_json_str(stdout, inf.bus);
    printf(",\"format\":\"%s\",\"width\":%d,\"height\":%d,\"fps\":%.6g,\"buffers\":%d,\"frame_bytes\":%zu}\n",
           sc_pixfmt_name(inf.fmt), inf.width, inf.height, inf.fps, inf.n_buffers, inf.frame_bytes);
    fflush(stdout);
    return 1;
}

/* Per-run decode state: reused buffers for the YUYV path. */
typedef struct decoder {
    sc_yuyv_resizer *yr;
    int yr_w, yr_h;
    sc_image rgb, small;
    sc_resizer *rs;
    int rs_w, rs_h;
} decoder;

static void decoder_fini(decoder *d)
{
    sc_yuyv_resizer_destroy(d->yr);
    sc_resizer_destroy(d->rs);
    sc_image_fini(&d->rgb);
    sc_image_fini(&d->small);
    memset(d, 0, sizeof(*d));
}

/* Decodes (and resizes) f; prints the JSON fields. Returns 0, or -1 when the frame did not
 * decode (printed as "decode_error"). */
static int decode_frame(const opts *o, decoder *d, const uint32_t *tab, const sc_frame *f)
{
    int64_t t0 = sc_now_ns();
    char err[256] = "";
    sc_image full = { 0 }, *out = NULL;
    int ow = o->resize_w ? o->resize_w : f->width, oh = o->resize_h ? o->resize_h : f->height;
    if (!d->small.data || d->small.width != ow || d->small.height != oh) {
        sc_image_fini(&d->small);
        if (sc_image_init(&d->small, ow, oh, 3) != SC_OK) return -1;
    }
    if (f->fmt == SC_PIXFMT_YUYV) {
        if (!d->yr || d->yr_w != f->width || d->yr_h != f->height) {
            sc_yuyv_resizer_destroy(d->yr);
            d->yr = NULL;
            if (sc_yuyv_resizer_create(f->width, f->height, ow, oh, SC_YUV_LIMITED, &d->yr) != SC_OK) return -1;
            d->yr_w = f->width;
            d->yr_h = f->height;
        }
        sc_yuyv_resizer_run(d->yr, f->data, f->stride_bytes, &d->small);
        out = &d->small;
    } else {
        if (f->fmt == SC_PIXFMT_MJPEG) {
            if (sc_image_load_mem(f->data, f->bytes_used, "frame", &full, err, sizeof(err)) != SC_OK) {
                fputs(",\"decode_error\":", stdout);
                sc_json_str(stdout, err);
                return -1;
            }
        } else {   /* RGB24 from a file source: a view of the frame */
            full.data = f->data;
            full.width = f->width;
            full.height = f->height;
            full.channels = 3;
            full.stride_bytes = f->stride_bytes;
        }
        if (full.width == ow && full.height == oh) {
            for (int y = 0; y < oh; y++)
                memcpy(d->small.data + (size_t)y * d->small.stride_bytes,
                       full.data + (size_t)y * full.stride_bytes, (size_t)ow * 3);
        } else {
            if (!d->rs || d->rs_w != full.width || d->rs_h != full.height) {
                sc_resizer_destroy(d->rs);
                d->rs = NULL;
                if (sc_resizer_create(full.width, full.height, ow, oh, 3, &d->rs) != SC_OK) {
                    if (f->fmt == SC_PIXFMT_MJPEG) sc_image_fini(&full);
                    return -1;
                }
                d->rs_w = full.width;
                d->rs_h = full.height;
            }
            sc_resizer_run(d->rs, &full, &d->small);
        }
        if (f->fmt == SC_PIXFMT_MJPEG) sc_image_fini(&full);
        out = &d->small;
    }
    double ms = (double)(sc_now_ns() - t0) / 1e6;
    uint32_t c = 0;
    double sum[3] = { 0, 0, 0 };
    for (int y = 0; y < out->height; y++) {
        const uint8_t *row = out->data + (size_t)y * out->stride_bytes;
        c = crc32_of(tab, c, row, (size_t)out->width * 3);
        for (int x = 0; x < out->width; x++)
            for (int k = 0; k < 3; k++) sum[k] += row[3 * x + k];
    }
    double px = (double)out->width * out->height;
    printf(",\"rgb\":\"%dx%d\",\"decode_ms\":%.3f,\"rgb_crc\":\"0x%08x\",\"rgb_mean\":[%.2f,%.2f,%.2f]",
           out->width, out->height, ms, c, sum[0] / px, sum[1] / px, sum[2] / px);
    return 0;
}

int sc_cmd_capture(int argc, char **argv)
{
    opts o;
    int pr = parse_args(argc, argv, &o);
    if (pr > 0) return SC_EXIT_OK;
    if (pr < 0) return SC_EXIT_USAGE;
    uint32_t tab[256];
    crc_init(tab);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    sc_queue *q = NULL;
    sc_capture *cap = NULL;
    if (sc_queue_create(1, &q) != SC_OK) return SC_EXIT_FAIL;
    /* Times ("t") are printed as CLOCK_MONOTONIC seconds, the clock of the frames' timestamps. */
    int64_t t_start = sc_now_ns();
    sc_status st = sc_capture_open(&o.cfg, &q, 1, &cap);
    if (st != SC_OK) {
        sc_queue_destroy(q);
        if (st == SC_E_INVAL || st == SC_E_UNSUPPORTED) return SC_EXIT_USAGE;
        if (o.cfg.kind != SC_CAPTURE_CAMERA && (st == SC_E_IO || st == SC_E_FORMAT)) return SC_EXIT_INPUT;
        return SC_EXIT_FAIL;
    }
    /* A camera that is not there yet is waited for: its open line comes when it is. */
    int open_printed = print_open(cap, t_start);

    decoder dec;
    memset(&dec, 0, sizeof(dec));
    uint64_t last_seq = 0, got = 0, decode_errors = 0;
    int64_t t_first = 0, t_last = 0;
    uint64_t seq_first = 0, seq_last = 0;
    double age_sum = 0, age_max = 0;
    int interrupted = 0;
    for (;;) {
        void *item = NULL;
        st = sc_queue_pop(q, &item, 50000000LL);
        if (!open_printed) open_printed = print_open(cap, t_start);
        print_events(cap, &last_seq);
        if (item) {
            sc_frame *f = item;
            int64_t now = sc_now_ns();
            double age = (double)(now - f->t_capture_ns) / 1e6;
            age_sum += age;
            if (age > age_max) age_max = age;
            if (!got) { t_first = f->t_capture_ns; seq_first = f->sequence; }
            t_last = f->t_capture_ns;
            seq_last = f->sequence;
            got++;
            if (!o.quiet || o.decode) {
                printf("{\"frame\":%llu,\"seq\":%llu,\"fmt\":\"%s\",\"width\":%d,\"height\":%d,\"bytes\":%zu,\"t\":%.6f,\"age_ms\":%.2f",
                       (unsigned long long)f->id, (unsigned long long)f->sequence, sc_pixfmt_name(f->fmt),
                       f->width, f->height, f->bytes_used, (double)f->t_capture_ns / 1e9, age);
                if (o.crc) printf(",\"crc\":\"0x%08x\"", crc32_of(tab, 0, f->data, f->bytes_used));
                if (o.decode && decode_frame(&o, &dec, tab, f) != 0) decode_errors++;
                fputs("}\n", stdout);
                fflush(stdout);
            }
            if (o.work_ms > 0) {
                struct timespec ts = { o.work_ms / 1000, (long)(o.work_ms % 1000) * 1000000L };
                nanosleep(&ts, NULL);
            }
            sc_frame_unref(f);
            if (o.frames > 0 && got >= (uint64_t)o.frames) break;
        }
        if (st == SC_E_TIMEOUT && sc_capture_get_state(cap) == SC_CAPTURE_ENDED && sc_queue_len(q) == 0) break;
        if (o.seconds > 0 && (double)(sc_now_ns() - t_start) / 1e9 >= o.seconds) break;
        struct timespec zero = { 0, 0 };
        if (sigtimedwait(&sigs, NULL, &zero) > 0) { interrupted = 1; break; }
    }
    sc_capture_stop(cap);
    sc_queue_close(q);
    void *item;
    while (sc_queue_pop(q, &item, 0) == SC_OK) sc_frame_unref(item);
    print_events(cap, &last_seq);
    sc_capture_stats s;
    sc_capture_get_stats(cap, &s);
    double span = (double)(t_last - t_first) / 1e9;
    /* fps: frames this consumer got per second; seq_fps: the driver's sequence numbers per
     * second over the same span (its production rate, when it numbers every frame it makes). */
    printf("{\"event\":\"summary\",\"frames\":%llu,\"captured\":%llu,\"seconds\":%.3f,\"fps\":%.3f,\"seq_fps\":%.3f,"
           "\"age_ms_mean\":%.2f,\"age_ms_max\":%.2f,\"driver_drops\":%llu,\"stale\":%llu,\"evicted\":%llu,"
           "\"corrupt\":%llu,\"truncated\":%llu,\"pool_empty\":%llu,\"reconnects\":%llu,\"restarts\":%llu,\"decode_errors\":%llu,"
           "\"interrupted\":%s}\n",
           (unsigned long long)got, (unsigned long long)s.frames, (double)(sc_now_ns() - t_start) / 1e9,
           got > 1 && span > 0 ? (double)(got - 1) / span : 0.0,
           got > 1 && span > 0 && seq_last > seq_first ? (double)(seq_last - seq_first) / span : 0.0, got ? age_sum / (double)got : 0.0, age_max,
           (unsigned long long)s.driver_drops, (unsigned long long)s.stale, (unsigned long long)s.evicted,
           (unsigned long long)s.corrupt, (unsigned long long)s.truncated, (unsigned long long)s.pool_empty,
           (unsigned long long)s.reconnects, (unsigned long long)s.restarts, (unsigned long long)decode_errors, interrupted ? "true" : "false");
    fflush(stdout);
    sc_capture_destroy(cap);
    sc_queue_destroy(q);
    decoder_fini(&dec);
    if (got == 0) return SC_EXIT_FAIL;
    if (o.frames > 0 && got < (uint64_t)o.frames && s.state != SC_CAPTURE_ENDED && !interrupted) return SC_EXIT_FAIL;
    return SC_EXIT_OK;
}
