/* app/capture.c — V4L2 capture through libv4l2, file sources, and the sc-capture thread
 * (see the DESIGN comment in capture.h). This file is the only caller of libv4l2 for
 * streaming: libv4l2's -1 + errno is turned into sc_status and a log line here. */
#define _GNU_SOURCE   /* pthread_setname_np */
#include "app/capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libv4l2.h>
#include <linux/videodev2.h>

#include "app/mjpeg.h"
#include "app/source.h"
#include "core/clock.h"
#include "core/log.h"

#define MAX_BUFFERS 16
#define N_EVENTS 32
#define BACKOFF_FIRST_NS 100000000LL      /* 0.1 s */
#define BACKOFF_MAX_NS 500000000LL        /* 0.5 s */
#define POLL_MS 200

typedef struct vbuf {
    void *start;
    size_t length;
} vbuf;

struct sc_capture {
    sc_capture_cfg cfg;
    char *ctrl_copy[SC_CAPTURE_MAX_CONTROLS];
    sc_queue *outputs[SC_CAPTURE_MAX_OUTPUTS];
    int n_outputs;
    sc_frame_pool *pool;
    size_t frame_bytes;

    /* thread */
    pthread_t thread;
    int thread_started;
    atomic_int stop;
    int stop_pipe[2];
    int inotify_fd;

    /* camera session (capture thread only, after open) */
    int fd;
    vbuf bufs[MAX_BUFFERS];
    int n_bufs;
    uint32_t v4l2_fmt;          /* negotiated fourcc */
    int width, height;
    size_t bytesperline;
    int64_t t_stream_on_ns;
    int have_seq;
    uint32_t last_seq;
    char saved_card[64], saved_bus[64];
    char by_id[256];            /* the camera's /dev/v4l/by-id link in use, or "" */
    char by_id_spec[256];       /* the link cfg.path names (a by-id path or a name), or "" */
    char want_card[64];         /* cfg.path is a name: it may be this card name */
    int opened;                 /* the first open succeeded (the pool exists) */
    int open_errno;             /* errno of open_session's v4l2_open(), 0 if it opened */
    char wait_why[320];         /* the last reason the first open failed, logged once */
    int controls_warned;

    /* files */
    sc_source *source;

    /* shared state */
    atomic_int state;
    _Atomic uint64_t frames, driver_drops, stale, evicted, corrupt, truncated, pool_empty,
        reconnects, restarts;
    _Atomic int64_t t_last_frame_ns;
    uint64_t next_id;           /* capture thread only */

    pthread_mutex_t mu;         /* guards info and the event ring; never held across calls */
    sc_capture_info info;
    sc_capture_event events[N_EVENTS];
    uint64_t n_events;
};

/* ------------------------------------------------------------------ names */

const char *sc_capture_state_name(sc_capture_state s)
{
    switch (s) {
    case SC_CAPTURE_STARTING: return "starting";
    case SC_CAPTURE_STREAMING: return "streaming";
    case SC_CAPTURE_NO_SIGNAL: return "no signal";
    case SC_CAPTURE_RECONNECTING: return "reconnecting";
    case SC_CAPTURE_ENDED: return "ended";
    case SC_CAPTURE_STOPPED: return "stopped";
    }
    return "unknown";
}

const char *sc_capture_format_name(sc_capture_format f)
{
    switch (f) {
    case SC_CAPTURE_FMT_AUTO: return "auto";
    case SC_CAPTURE_FMT_MJPEG: return "mjpeg";
    case SC_CAPTURE_FMT_YUYV: return "yuyv";
    }
    return "unknown";
}

int sc_capture_format_parse(const char *name, sc_capture_format *out)
{
    if (!strcasecmp(name, "auto")) *out = SC_CAPTURE_FMT_AUTO;
    else if (!strcasecmp(name, "mjpeg") || !strcasecmp(name, "mjpg")) *out = SC_CAPTURE_FMT_MJPEG;
    else if (!strcasecmp(name, "yuyv") || !strcasecmp(name, "yuy2")) *out = SC_CAPTURE_FMT_YUYV;
    else return 0;
    return 1;
}

static const char *fourcc_str(uint32_t f, char s[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((f >> (8 * i)) & 0x7F);
        s[i] = c >= 32 && c < 127 ? c : '?';
    }
    s[4] = 0;
    return s;
}

/* ------------------------------------------------------------------ state and events */

static void set_state(sc_capture *cap, sc_capture_state st, int level, const char *fmt, ...)
    SC_PRINTF(4, 5);
static void set_state(sc_capture *cap, sc_capture_state st, int level, const char *fmt, ...)
{
    if (atomic_load(&cap->state) == (int)st) return;
    sc_capture_event ev;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.reason, sizeof(ev.reason), fmt, ap);
    va_end(ap);
    ev.state = st;
    ev.t_ns = sc_now_ns();
    char path[256];
    pthread_mutex_lock(&cap->mu);
    ev.seq = ++cap->n_events;
    cap->events[(ev.seq - 1) % N_EVENTS] = ev;
    memcpy(path, cap->info.path, sizeof(path));
    pthread_mutex_unlock(&cap->mu);
    atomic_store(&cap->state, (int)st);
    sc_log((sc_log_level)level, "capture: %s: %s%s%s", path, sc_capture_state_name(st),
           ev.reason[0] ? ": " : "", ev.reason);
}

sc_capture_state sc_capture_get_state(sc_capture *cap)
{
    return (sc_capture_state)atomic_load(&cap->state);
}

void sc_capture_get_stats(sc_capture *cap, sc_capture_stats *out)
{
    out->state = (sc_capture_state)atomic_load(&cap->state);
    out->frames = atomic_load(&cap->frames);
    out->driver_drops = atomic_load(&cap->driver_drops);
    out->stale = atomic_load(&cap->stale);
    out->evicted = atomic_load(&cap->evicted);
    out->corrupt = atomic_load(&cap->corrupt);
    out->truncated = atomic_load(&cap->truncated);
    out->pool_empty = atomic_load(&cap->pool_empty);
    out->reconnects = atomic_load(&cap->reconnects);
    out->restarts = atomic_load(&cap->restarts);
    out->t_last_frame_ns = atomic_load(&cap->t_last_frame_ns);
}

void sc_capture_get_info(sc_capture *cap, sc_capture_info *out)
{
    pthread_mutex_lock(&cap->mu);
    *out = cap->info;
    pthread_mutex_unlock(&cap->mu);
}

int sc_capture_get_events(sc_capture *cap, uint64_t after_seq, sc_capture_event *out, int max)
{
    int n = 0;
    pthread_mutex_lock(&cap->mu);
    uint64_t first = cap->n_events > N_EVENTS ? cap->n_events - N_EVENTS + 1 : 1;
    if (after_seq + 1 > first) first = after_seq + 1;
    for (uint64_t s = first; s <= cap->n_events && n < max; s++)
        out[n++] = cap->events[(s - 1) % N_EVENTS];
    pthread_mutex_unlock(&cap->mu);
    return n;
}

/* ------------------------------------------------------------------ discovery */

static int node_number(const char *name)
{
    if (strncmp(name, "video", 5) != 0 || !name[5]) return -1;
    char *end;
    long v = strtol(name + 5, &end, 10);
    return *end || v < 0 || v > 1000000 ? -1 : (int)v;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int sc_capture_list_nodes(char (*paths)[SC_CAPTURE_PATH_MAX], int max)
{
    int nums[256], n = 0;
    DIR *d = opendir("/dev");
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < (int)SC_ARRAY_LEN(nums)) {
        int k = node_number(e->d_name);
        if (k >= 0) nums[n++] = k;
    }
    closedir(d);
    qsort(nums, (size_t)n, sizeof(int), cmp_int);
    if (n > max) n = max;
    for (int i = 0; i < n; i++) snprintf(paths[i], SC_CAPTURE_PATH_MAX, "/dev/video%d", nums[i]);
    return n;
}

int sc_capture_by_id_name(const char *node, char *buf, size_t n)
{
    char want[PATH_MAX], got[PATH_MAX], link[PATH_MAX];
    if (!realpath(node, want)) return 0;
    DIR *d = opendir("/dev/v4l/by-id");
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(link, sizeof(link), "/dev/v4l/by-id/%s", e->d_name);
        if (realpath(link, got) && strcmp(got, want) == 0) {
            snprintf(buf, n, "%s", link);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

/* QUERYCAP on a node with a plain open (cheap, no libv4l2 state): is it a streaming capture
 * device, and what are its card and bus? */
static int probe_node(const char *path, char *card, size_t card_n, char *bus, size_t bus_n)
{
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    struct v4l2_capability vc;
    memset(&vc, 0, sizeof(vc));
    int ok = ioctl(fd, VIDIOC_QUERYCAP, &vc) == 0;
    close(fd);
    if (!ok) return 0;
    uint32_t caps = vc.capabilities & V4L2_CAP_DEVICE_CAPS ? vc.device_caps : vc.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) return 0;
    snprintf(card, card_n, "%.*s", (int)sizeof(vc.card), (const char *)vc.card);
    snprintf(bus, bus_n, "%.*s", (int)sizeof(vc.bus_info), (const char *)vc.bus_info);
    return 1;
}

/* ------------------------------------------------------------------ libv4l2 session */

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do r = v4l2_ioctl(fd, req, arg); while (r == -1 && errno == EINTR);
    return r;
}

static void close_session(sc_capture *cap)
{
    if (cap->fd < 0) return;
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    xioctl(cap->fd, VIDIOC_STREAMOFF, &type);            /* fails harmlessly when unplugged */
    for (int i = 0; i < cap->n_bufs; i++)
        if (cap->bufs[i].start) v4l2_munmap(cap->bufs[i].start, cap->bufs[i].length);
    /* Freeing the buffers may fail (EBUSY through libv4l2 on v4l2loopback, ENODEV when the
     * device is gone): closing frees them anyway. */
    struct v4l2_requestbuffers rb = { .count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                      .memory = V4L2_MEMORY_MMAP };
    xioctl(cap->fd, VIDIOC_REQBUFS, &rb);
    v4l2_close(cap->fd);
    cap->fd = -1;
    memset(cap->bufs, 0, sizeof(cap->bufs));
    cap->n_bufs = 0;
}

/* Appends "WxH, WxH, ..." (discrete sizes) or "WxH..WxH" (ranges) for one fourcc to buf. */
static void list_sizes(int fd, uint32_t fourcc, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < 64; i++) {
        struct v4l2_frmsizeenum fs = { .index = i, .pixel_format = fourcc };
        if (xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) != 0) break;
        int w;
        if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE)
            w = snprintf(buf + len, n - len, "%s%ux%u", i ? ", " : "", fs.discrete.width,
                         fs.discrete.height);
        else
            w = snprintf(buf + len, n - len, "%s%ux%u..%ux%u", i ? ", " : "",
                         fs.stepwise.min_width, fs.stepwise.min_height, fs.stepwise.max_width,
                         fs.stepwise.max_height);
        if (w < 0 || (size_t)w >= n - len) break;
        len += (size_t)w;
        if (fs.type != V4L2_FRMSIZE_TYPE_DISCRETE) break;
    }
    if (!buf[0]) snprintf(buf, n, "(the driver does not list sizes)");
}

static uint32_t find_control(int fd, const char *name, struct v4l2_queryctrl *out)
{
    struct v4l2_queryctrl q;
    memset(&q, 0, sizeof(q));
    q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
    while (xioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
        if (!(q.flags & V4L2_CTRL_FLAG_DISABLED) && !strcasecmp((const char *)q.name, name)) {
            *out = q;
            return q.id;
        }
        q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
    }
    return 0;
}

/* Applies "Name=value". Returns 0 or an English reason in why. */
static int apply_control(int fd, const char *spec, char *why, size_t why_n)
{
    const char *eq = strchr(spec, '=');
    char name[64];
    if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(name)) {
        snprintf(why, why_n, "control '%s' is not Name=value", spec);
        return -1;
    }
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = 0;
    struct v4l2_queryctrl q;
    uint32_t id = find_control(fd, name, &q);
    if (!id) {
        snprintf(why, why_n, "no control named '%s'", name);
        return -1;
    }
    char *end;
    long v = strtol(eq + 1, &end, 0);
    if (*end || end == eq + 1) {
        int found = 0;
        if (q.type == V4L2_CTRL_TYPE_MENU) {
            for (int i = q.minimum; i <= q.maximum && !found; i++) {
                struct v4l2_querymenu m = { .id = id, .index = (uint32_t)i };
                if (xioctl(fd, VIDIOC_QUERYMENU, &m) == 0 && !strcasecmp((const char *)m.name, eq + 1)) {
                    v = i;
                    found = 1;
                }
            }
        }
        if (!found) {
            snprintf(why, why_n, "control '%s': '%s' is not a number or menu item", name, eq + 1);
            return -1;
        }
    }
    struct v4l2_control c = { .id = id, .value = (int32_t)v };
    if (xioctl(fd, VIDIOC_S_CTRL, &c) != 0) {
        snprintf(why, why_n, "control '%s'=%ld: %s", name, v, strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens `path` and negotiates; on success the device is streaming and cap->fd >= 0. `first`:
 * the first open (choose the format; create nothing else here) versus a reopen (must grant the
 * same format and size). Failures return a status with the reason in why (the caller logs). */
static sc_status open_session(sc_capture *cap, const char *path, int first, char *why, size_t why_n)
{
    char fcc[5], fcc2[5];
    int fd = v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    cap->open_errno = fd < 0 ? errno : 0;
    if (fd < 0) {
        snprintf(why, why_n, "open: %s", strerror(cap->open_errno));
        return SC_E_DEVICE;
    }
    cap->fd = fd;
    struct v4l2_capability vc;
    memset(&vc, 0, sizeof(vc));
    if (xioctl(fd, VIDIOC_QUERYCAP, &vc) != 0) {
        snprintf(why, why_n, "not a V4L2 device (VIDIOC_QUERYCAP: %s)", strerror(errno));
        goto fail_device;
    }
    uint32_t caps = vc.capabilities & V4L2_CAP_DEVICE_CAPS ? vc.device_caps : vc.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
        snprintf(why, why_n, "%.32s (%.32s) is not a streaming video capture device%s",
                 (const char *)vc.card, (const char *)vc.driver,
                 caps & V4L2_CAP_META_CAPTURE ? " (a metadata node)" : "");
        goto fail_device;
    }
    if (first) {
        snprintf(cap->saved_card, sizeof(cap->saved_card), "%.*s", (int)sizeof(vc.card), (const char *)vc.card);
        snprintf(cap->saved_bus, sizeof(cap->saved_bus), "%.*s", (int)sizeof(vc.bus_info), (const char *)vc.bus_info);
    }

    for (int i = 0; i < cap->cfg.n_controls; i++) {
        char cwhy[160];
        if (apply_control(fd, cap->cfg.controls[i], cwhy, sizeof(cwhy)) != 0) {
            if (!cap->controls_warned) sc_log_warn("capture: %s: %s", path, cwhy);
        }
    }
    cap->controls_warned = 1;

    /* Native formats (not those libv4l2 would convert to). */
    int has_mjpeg = 0, has_yuyv = 0;
    char offered[256] = "";
    size_t off_len = 0;
    for (unsigned i = 0; i < 128; i++) {
        struct v4l2_fmtdesc d = { .index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
        if (xioctl(fd, VIDIOC_ENUM_FMT, &d) != 0) break;
        if (d.flags & V4L2_FMT_FLAG_EMULATED) continue;
        if (d.pixelformat == V4L2_PIX_FMT_MJPEG) has_mjpeg = 1;
        if (d.pixelformat == V4L2_PIX_FMT_YUYV) has_yuyv = 1;
        int w = snprintf(offered + off_len, sizeof(offered) - off_len, "%s%s", off_len ? " " : "",
                         fourcc_str(d.pixelformat, fcc));
        if (w > 0 && (size_t)w < sizeof(offered) - off_len) off_len += (size_t)w;
    }

    struct v4l2_format f;
    memset(&f, 0, sizeof(f));
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd, VIDIOC_G_FMT, &f) != 0) {
        snprintf(why, why_n, "VIDIOC_G_FMT: %s", strerror(errno));
        goto fail_device;
    }
    int want_w = first ? cap->cfg.width : cap->width, want_h = first ? cap->cfg.height : cap->height;
    if (want_w <= 0 || want_h <= 0) { want_w = (int)f.fmt.pix.width; want_h = (int)f.fmt.pix.height; }
    uint32_t want;
    if (!first) {
        want = cap->v4l2_fmt;
    } else if (cap->cfg.format == SC_CAPTURE_FMT_MJPEG) {
        want = V4L2_PIX_FMT_MJPEG;
    } else if (cap->cfg.format == SC_CAPTURE_FMT_YUYV) {
        want = V4L2_PIX_FMT_YUYV;
    } else {
        int big = (int64_t)want_w * want_h > 640 * 480;
        want = (has_mjpeg && (big || !has_yuyv)) ? V4L2_PIX_FMT_MJPEG : V4L2_PIX_FMT_YUYV;
    }
    if ((want == V4L2_PIX_FMT_MJPEG && !has_mjpeg) || (want == V4L2_PIX_FMT_YUYV && !has_yuyv)) {
        snprintf(why, why_n, "%s does not offer %s (it offers: %s)", cap->saved_card,
                 fourcc_str(want, fcc), offered[0] ? offered : "nothing");
        v4l2_close(fd);
        cap->fd = -1;
        return SC_E_UNSUPPORTED;
    }
    f.fmt.pix.pixelformat = want;
    f.fmt.pix.width = (uint32_t)want_w;
    f.fmt.pix.height = (uint32_t)want_h;
    f.fmt.pix.field = V4L2_FIELD_ANY;
    f.fmt.pix.bytesperline = 0;
    f.fmt.pix.sizeimage = 0;
    if (xioctl(fd, VIDIOC_S_FMT, &f) != 0) {
        snprintf(why, why_n, "VIDIOC_S_FMT %s %dx%d: %s", fourcc_str(want, fcc), want_w, want_h,
                 strerror(errno));
        goto fail_device;
    }
    if (f.fmt.pix.pixelformat != want || (int)f.fmt.pix.width != want_w ||
        (int)f.fmt.pix.height != want_h) {
        char sizes[200];
        list_sizes(fd, want, sizes, sizeof(sizes));
        snprintf(why, why_n, "asked for %s %dx%d, the driver granted %s %ux%u (%s sizes: %s)",
                 fourcc_str(want, fcc), want_w, want_h, fourcc_str(f.fmt.pix.pixelformat, fcc2),
                 f.fmt.pix.width, f.fmt.pix.height, fcc, sizes);
        v4l2_close(fd);
        cap->fd = -1;
        return SC_E_UNSUPPORTED;
    }
    if (f.fmt.pix.field != V4L2_FIELD_NONE && f.fmt.pix.field != V4L2_FIELD_ANY)
        sc_log_debug("capture: %s: field order %u (interlaced frames are used as they are)", path,
                     f.fmt.pix.field);
    size_t bpl = f.fmt.pix.bytesperline;
    if (want == V4L2_PIX_FMT_YUYV && bpl < (size_t)want_w * 2) bpl = (size_t)want_w * 2;

    /* Frame rate: ask, then report what was granted (vivid: 30 asked → 25). */
    double fps = 0;
    struct v4l2_streamparm sp;
    memset(&sp, 0, sizeof(sp));
    sp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (cap->cfg.fps > 0) {
        sp.parm.capture.timeperframe.numerator = 1;
        sp.parm.capture.timeperframe.denominator = (uint32_t)cap->cfg.fps;
        if (xioctl(fd, VIDIOC_S_PARM, &sp) != 0 && first)
            sc_log_warn("capture: %s: cannot set %d fps (VIDIOC_S_PARM: %s)", path, cap->cfg.fps,
                        strerror(errno));
    }
    memset(&sp, 0, sizeof(sp));
    sp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd, VIDIOC_G_PARM, &sp) == 0 && sp.parm.capture.timeperframe.numerator > 0)
        fps = (double)sp.parm.capture.timeperframe.denominator / sp.parm.capture.timeperframe.numerator;

    struct v4l2_requestbuffers rb = { .count = (uint32_t)cap->cfg.n_buffers,
                                      .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                      .memory = V4L2_MEMORY_MMAP };
    if (xioctl(fd, VIDIOC_REQBUFS, &rb) != 0) {
        snprintf(why, why_n, "VIDIOC_REQBUFS: %s", strerror(errno));
        goto fail_device;
    }
    if (rb.count < 2 || rb.count > MAX_BUFFERS) {
        snprintf(why, why_n, "the driver gave %u buffers (need 2..%d)", rb.count, MAX_BUFFERS);
        goto fail_device;
    }
    cap->n_bufs = (int)rb.count;
    for (int i = 0; i < cap->n_bufs; i++) {
        struct v4l2_buffer b = { .index = (uint32_t)i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                 .memory = V4L2_MEMORY_MMAP };
        if (xioctl(fd, VIDIOC_QUERYBUF, &b) != 0) {
            snprintf(why, why_n, "VIDIOC_QUERYBUF: %s", strerror(errno));
            goto fail_device;
        }
        void *p = v4l2_mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, b.m.offset);
        if (p == MAP_FAILED) {
            snprintf(why, why_n, "mmap: %s", strerror(errno));
            goto fail_device;
        }
        cap->bufs[i].start = p;
        cap->bufs[i].length = b.length;
        if (xioctl(fd, VIDIOC_QBUF, &b) != 0) {
            snprintf(why, why_n, "VIDIOC_QBUF: %s", strerror(errno));
            goto fail_device;
        }
    }
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd, VIDIOC_STREAMON, &type) != 0) {
        snprintf(why, why_n, "VIDIOC_STREAMON: %s", strerror(errno));
        goto fail_device;
    }

    cap->v4l2_fmt = want;
    cap->width = want_w;
    cap->height = want_h;
    cap->bytesperline = bpl;
    cap->t_stream_on_ns = sc_now_ns();
    cap->have_seq = 0;
    if (first) {
        /* Pool frames: a packed YUYV frame, or room for any JPEG the driver may send. */
        size_t px, yuyv_bytes;
        if (!sc_mul_size((size_t)want_w, (size_t)want_h, &px) || !sc_mul_size(px, 2, &yuyv_bytes)) {
            snprintf(why, why_n, "%dx%d is too large", want_w, want_h);
            goto fail_device;
        }
        cap->frame_bytes = yuyv_bytes;
        if (want == V4L2_PIX_FMT_MJPEG && f.fmt.pix.sizeimage > yuyv_bytes &&
            f.fmt.pix.sizeimage / 2 <= yuyv_bytes)
            cap->frame_bytes = f.fmt.pix.sizeimage;
    }
    pthread_mutex_lock(&cap->mu);
    snprintf(cap->info.path, sizeof(cap->info.path), "%s", path);
    snprintf(cap->info.by_id, sizeof(cap->info.by_id), "%s", cap->by_id);
    snprintf(cap->info.driver, sizeof(cap->info.driver), "%.*s", (int)sizeof(vc.driver), (const char *)vc.driver);
    snprintf(cap->info.card, sizeof(cap->info.card), "%s", cap->saved_card);
    snprintf(cap->info.bus, sizeof(cap->info.bus), "%s", cap->saved_bus);
    cap->info.fmt = want == V4L2_PIX_FMT_MJPEG ? SC_PIXFMT_MJPEG : SC_PIXFMT_YUYV;
    cap->info.width = want_w;
    cap->info.height = want_h;
    cap->info.fps = fps;
    cap->info.n_buffers = cap->n_bufs;
    cap->info.frame_bytes = cap->frame_bytes;
    pthread_mutex_unlock(&cap->mu);
    return SC_OK;

fail_device:
    close_session(cap);
    return SC_E_DEVICE;
}

/* ------------------------------------------------------------------ frames out */

/* Hands f (refs = 1) to every output; evicted frames are released here. */
static void push_frame(sc_capture *cap, sc_frame *f)
{
    for (int i = 1; i < cap->n_outputs; i++) sc_frame_ref(f);
    for (int i = 0; i < cap->n_outputs; i++) {
        void *ev = NULL;
        sc_queue_push(cap->outputs[i], f, &ev);
        if (ev) {
            if (ev != f) atomic_fetch_add(&cap->evicted, 1);
            sc_frame_unref(ev);
        }
    }
    atomic_fetch_add(&cap->frames, 1);
    atomic_store(&cap->t_last_frame_ns, f->t_capture_ns);
}

static int stopping(sc_capture *cap) { return atomic_load(&cap->stop); }

/* Sleeps up to timeout_ns, waking early on stop (returns 1) or, when watch_dev, on a change
 * in /dev (returns 2). */
static int wait_for(sc_capture *cap, int64_t timeout_ns, int watch_dev)
{
    struct pollfd p[2] = { { .fd = cap->stop_pipe[0], .events = POLLIN },
                           { .fd = cap->inotify_fd, .events = POLLIN } };
    int n = watch_dev && cap->inotify_fd >= 0 ? 2 : 1;
    int ms = timeout_ns <= 0 ? 0 : (int)((timeout_ns + 999999) / 1000000);
    int r = poll(p, (nfds_t)n, ms);
    if (stopping(cap)) return 1;
    if (r > 0 && n == 2 && (p[1].revents & POLLIN)) {
        char buf[4096];
        while (read(cap->inotify_fd, buf, sizeof(buf)) > 0) {}
        /* udev may just have made /dev/v4l or /dev/v4l/by-id (no-ops when already watched) */
        inotify_add_watch(cap->inotify_fd, "/dev/v4l", IN_CREATE | IN_MOVED_TO);
        inotify_add_watch(cap->inotify_fd, "/dev/v4l/by-id", IN_CREATE | IN_MOVED_TO);
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------ camera thread */

static void lose_device(sc_capture *cap, const char *fmt, ...) SC_PRINTF(2, 3);
static void lose_device(sc_capture *cap, const char *fmt, ...)
{
    char why[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    close_session(cap);
    set_state(cap, SC_CAPTURE_RECONNECTING, SC_LOG_WARN, "%s; reopening", why);
}

/* Tries to reopen the same camera. Returns 1 when streaming again. */
static int try_reopen(sc_capture *cap, char *why, size_t why_n)
{
    char cand[4][SC_CAPTURE_PATH_MAX + 200];
    int n = 0;
    struct stat st;
    if (cap->by_id[0] && stat(cap->by_id, &st) == 0) snprintf(cand[n++], sizeof(cand[0]), "%s", cap->by_id);
    char nodes[64][SC_CAPTURE_PATH_MAX];
    int nn = sc_capture_list_nodes(nodes, 64);
    for (int i = 0; i < nn && n < 3; i++) {
        char card[64], bus[64];
        if (probe_node(nodes[i], card, sizeof(card), bus, sizeof(bus)) &&
            !strcmp(card, cap->saved_card) && !strcmp(bus, cap->saved_bus))
            snprintf(cand[n++], sizeof(cand[0]), "%.63s", nodes[i]);
    }
    if (n == 0 && cap->cfg.path[0] == '/') {
        char card[64], bus[64];
        if (probe_node(cap->cfg.path, card, sizeof(card), bus, sizeof(bus)) &&
            !strcmp(card, cap->saved_card))
            snprintf(cand[n++], sizeof(cand[0]), "%s", cap->cfg.path);
    }
    /* Named by its card: that card on any bus (plugged into another port). */
    for (int i = 0; i < nn && n < 3 && n == 0 && cap->want_card[0]; i++) {
        char card[64], bus[64];
        if (probe_node(nodes[i], card, sizeof(card), bus, sizeof(bus)) && !strcmp(card, cap->saved_card))
            snprintf(cand[n++], sizeof(cand[0]), "%.63s", nodes[i]);
    }
    if (n == 0) {
        snprintf(why, why_n, "no device with card '%s' on bus '%s'", cap->saved_card, cap->saved_bus);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (open_session(cap, cand[i], 0, why, why_n) == SC_OK) return 1;
        sc_log_debug("capture: reopen %s: %s", cand[i], why);
    }
    return 0;
}

/* The nodes cfg.path may be before the first open: a path as it is; a name (no '/') is the
 * /dev/v4l/by-id link of that name, /dev/videoN for "videoN", or a capture node whose card
 * name it is. Returns how many were written to cand. */
static int first_candidates(sc_capture *cap, char (*cand)[SC_CAPTURE_PATH_MAX + 200], int max)
{
    const char *spec = cap->cfg.path;
    int n = 0;
    if (spec[0] == '/') {
        snprintf(cand[n++], sizeof(cand[0]), "%s", spec);
        return n;
    }
    struct stat st;
    if (cap->by_id_spec[0] && stat(cap->by_id_spec, &st) == 0)
        snprintf(cand[n++], sizeof(cand[0]), "%s", cap->by_id_spec);
    if (node_number(spec) >= 0 && n < max) snprintf(cand[n++], sizeof(cand[0]), "/dev/%.60s", spec);
    char nodes[64][SC_CAPTURE_PATH_MAX];
    int nn = sc_capture_list_nodes(nodes, 64);
    for (int i = 0; i < nn && n < max; i++) {
        char card[64], bus[64];
        if (probe_node(nodes[i], card, sizeof(card), bus, sizeof(bus)) && !strcmp(card, cap->want_card))
            snprintf(cand[n++], sizeof(cand[0]), "%.63s", nodes[i]);
    }
    return n;
}

/* The first open: negotiates on the first candidate that opens. On failure, *absent says
 * whether the camera is simply not there (no candidate, or open() gave ENOENT, ENODEV or
 * ENXIO on a path under /dev, where hotplug makes nodes): a wait, not an error. */
static sc_status first_open(sc_capture *cap, char *why, size_t why_n, int *absent)
{
    char cand[4][SC_CAPTURE_PATH_MAX + 200];
    int n = first_candidates(cap, cand, 4);
    *absent = 1;
    if (n == 0) {
        snprintf(why, why_n, "no capture device named '%s' (card name or /dev/v4l/by-id entry)",
                 cap->cfg.path);
        return SC_E_DEVICE;
    }
    sc_status st = SC_E_DEVICE;
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (cap->by_id_spec[0] && stat(cap->by_id_spec, &sb) == 0)
            snprintf(cap->by_id, sizeof(cap->by_id), "%s", cap->by_id_spec);
        else if (!sc_capture_by_id_name(cand[i], cap->by_id, sizeof(cap->by_id)))
            cap->by_id[0] = 0;
        st = open_session(cap, cand[i], 1, why, why_n);
        if (st == SC_OK) return SC_OK;
        int e = cap->open_errno;
        if ((e != ENOENT && e != ENODEV && e != ENXIO) || strncmp(cand[i], "/dev/", 5) != 0) *absent = 0;
    }
    return st;
}

/* After the first open: the frame pool (sized by what was negotiated) and the log line of
 * what the driver granted. */
static sc_status finish_first_open(sc_capture *cap)
{
    sc_status st = sc_frame_pool_create(cap->cfg.n_frames, cap->frame_bytes, &cap->pool);
    if (st != SC_OK) {
        sc_log_error("capture: %s: cannot allocate %d frames of %zu bytes", cap->cfg.path,
                     cap->cfg.n_frames, cap->frame_bytes);
        return st;
    }
    cap->opened = 1;
    sc_capture_info inf;
    sc_capture_get_info(cap, &inf);
    sc_log_info("capture: %s: %s (%s, %s): %s %dx%d, %.4g fps granted%s, %d buffers%s%s",
                inf.path, inf.card, inf.driver, inf.bus, sc_pixfmt_name(inf.fmt), inf.width,
                inf.height, inf.fps, cap->cfg.fps > 0 ? "" : " (driver default)", inf.n_buffers,
                inf.by_id[0] ? ", " : "", inf.by_id);
    if (cap->cfg.fps > 0 && inf.fps > 0 && (inf.fps < cap->cfg.fps * 0.99 || inf.fps > cap->cfg.fps * 1.01))
        sc_log_warn("capture: %s: asked for %d fps, the driver granted %.4g", inf.path, cap->cfg.fps, inf.fps);
    return SC_OK;
}

/* The thread's first open of a camera that was absent at sc_capture_open(). Returns 1 when
 * streaming. Reasons are logged once each (the camera may be present but refuse). */
static int wait_first_open(sc_capture *cap, char *why, size_t why_n)
{
    int absent;
    if (first_open(cap, why, why_n, &absent) == SC_OK) {
        if (finish_first_open(cap) == SC_OK) return 1;
        close_session(cap);
        snprintf(why, why_n, "out of memory");
    }
    if (strcmp(why, cap->wait_why) != 0) {
        if (!absent) sc_log_warn("capture: %s: %s (still waiting)", cap->cfg.path, why);
        snprintf(cap->wait_why, sizeof(cap->wait_why), "%s", why);
    }
    return 0;
}

/* Is another buffer ready? (A zero-timeout poll: libv4l2 prints an error line for every
 * DQBUF that fails, EAGAIN included, so we never dequeue blindly.) */
static int buffer_ready(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Dequeues every ready buffer; returns the index of the newest (the others are re-queued and
 * counted as stale), -1 when none, or -2 after the device was lost. */
static int dequeue_newest(sc_capture *cap, struct v4l2_buffer *out)
{
    int have = 0;
    for (;;) {
        if (have && !buffer_ready(cap->fd)) break;
        struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP };
        if (xioctl(cap->fd, VIDIOC_DQBUF, &b) != 0) {
            int e = errno;
            if (e == EAGAIN) break;
            if (have) xioctl(cap->fd, VIDIOC_QBUF, out);
            lose_device(cap, "VIDIOC_DQBUF: %s", strerror(e));
            return -2;
        }
        if (b.index >= (uint32_t)cap->n_bufs) {
            lose_device(cap, "VIDIOC_DQBUF gave buffer %u of %d", b.index, cap->n_bufs);
            return -2;
        }
        /* Sequence gaps = frames the driver dropped (it had no free buffer, or lost them). */
        if (cap->have_seq && b.sequence > cap->last_seq + 1)
            atomic_fetch_add(&cap->driver_drops, b.sequence - cap->last_seq - 1);
        if (!cap->have_seq || b.sequence > cap->last_seq) cap->last_seq = b.sequence;
        cap->have_seq = 1;
        if (have) {
            atomic_fetch_add(&cap->stale, 1);
            if (xioctl(cap->fd, VIDIOC_QBUF, out) != 0) {
                int e = errno;
                lose_device(cap, "VIDIOC_QBUF: %s", strerror(e));
                return -2;
            }
        }
        *out = b;
        have = 1;
    }
    return have ? (int)out->index : -1;
}

static int64_t buffer_time_ns(const struct v4l2_buffer *b, int64_t now)
{
    if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC &&
        (b->timestamp.tv_sec || b->timestamp.tv_usec)) {
        int64_t t = (int64_t)b->timestamp.tv_sec * 1000000000LL + (int64_t)b->timestamp.tv_usec * 1000;
        /* Trust it only if plausible (some drivers claim MONOTONIC and are not). */
        if (t <= now && now - t < 1000000000LL) return t;
    }
    return now;
}

/* Validates and copies one dequeued buffer into a pool frame, re-queues it, pushes the frame.
 * Returns 0, or -1 when the device was lost. */
static int deliver_buffer(sc_capture *cap, struct v4l2_buffer *b)
{
    const uint8_t *src = cap->bufs[b->index].start;
    size_t n = b->bytesused ? b->bytesused : cap->bufs[b->index].length;
    if (n > cap->bufs[b->index].length) n = cap->bufs[b->index].length;
    int64_t now = sc_now_ns();
    sc_frame *f = NULL;
    size_t copy = 0;

    if (b->flags & V4L2_BUF_FLAG_ERROR) {
        atomic_fetch_add(&cap->corrupt, 1);
    } else if (cap->v4l2_fmt == V4L2_PIX_FMT_MJPEG) {
        sc_mjpeg_info info;
        sc_mjpeg_verdict v = sc_mjpeg_check(src, n, cap->width, cap->height, SC_MJPEG_MIN_BYTES, &info);
        if (v == SC_MJPEG_TRUNCATED) atomic_fetch_add(&cap->truncated, 1);
        else if (v != SC_MJPEG_OK || info.length > cap->frame_bytes) atomic_fetch_add(&cap->corrupt, 1);
        else copy = info.length;
    } else {
        size_t need = cap->bytesperline * (size_t)(cap->height - 1) + (size_t)cap->width * 2;
        if (n < need) atomic_fetch_add(&cap->truncated, 1);
        else copy = need;
    }
    if (copy) {
        f = sc_frame_pool_acquire(cap->pool);
        if (!f) atomic_fetch_add(&cap->pool_empty, 1);
    }
    if (f) {
        if (cap->v4l2_fmt == V4L2_PIX_FMT_MJPEG) {
            memcpy(f->data, src, copy);
            f->bytes_used = copy;
            f->stride_bytes = 0;
            f->fmt = SC_PIXFMT_MJPEG;
        } else {
            size_t row = (size_t)cap->width * 2;
            if (cap->bytesperline == row) {
                memcpy(f->data, src, row * (size_t)cap->height);
            } else {
                for (int y = 0; y < cap->height; y++)
                    memcpy(f->data + (size_t)y * row, src + (size_t)y * cap->bytesperline, row);
            }
            f->bytes_used = row * (size_t)cap->height;
            f->stride_bytes = row;
            f->fmt = SC_PIXFMT_YUYV;
        }
        f->width = cap->width;
        f->height = cap->height;
        f->sequence = b->sequence;
        f->t_capture_ns = buffer_time_ns(b, now);
    }
    /* Back to the driver at once, before anyone looks at the copy. */
    if (xioctl(cap->fd, VIDIOC_QBUF, b) != 0) {
        int e = errno;
        sc_frame_unref(f);
        lose_device(cap, "VIDIOC_QBUF: %s", strerror(e));
        return -1;
    }
    if (f) {
        f->id = ++cap->next_id;
        push_frame(cap, f);
        if (atomic_load(&cap->state) != SC_CAPTURE_STREAMING) {
            sc_capture_info inf;
            sc_capture_get_info(cap, &inf);
            set_state(cap, SC_CAPTURE_STREAMING, SC_LOG_INFO, "%s %dx%d at %.4g fps, %d buffers%s%s",
                      sc_pixfmt_name(inf.fmt), inf.width, inf.height, inf.fps, inf.n_buffers,
                      inf.by_id[0] ? ", " : "", inf.by_id);
        }
    }
    return 0;
}

/* STREAMOFF, re-queue every buffer, STREAMON, on the open device (a frame timeout). */
static int restart_stream(sc_capture *cap, char *why, size_t why_n)
{
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(cap->fd, VIDIOC_STREAMOFF, &type) != 0) {
        snprintf(why, why_n, "VIDIOC_STREAMOFF: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < cap->n_bufs; i++) {
        struct v4l2_buffer b = { .index = (uint32_t)i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                 .memory = V4L2_MEMORY_MMAP };
        if (xioctl(cap->fd, VIDIOC_QBUF, &b) != 0) {
            snprintf(why, why_n, "VIDIOC_QBUF: %s", strerror(errno));
            return -1;
        }
    }
    if (xioctl(cap->fd, VIDIOC_STREAMON, &type) != 0) {
        snprintf(why, why_n, "VIDIOC_STREAMON: %s", strerror(errno));
        return -1;
    }
    cap->t_stream_on_ns = sc_now_ns();
    cap->have_seq = 0;
    return 0;
}

static void camera_loop(sc_capture *cap)
{
    int64_t backoff = BACKOFF_FIRST_NS;
    while (!stopping(cap)) {
        if (cap->fd < 0 && !cap->opened) {
            char why[320];
            if (wait_first_open(cap, why, sizeof(why))) {
                backoff = BACKOFF_FIRST_NS;
                continue;
            }
            sc_log_debug("capture: waiting for %s: %s", cap->cfg.path, why);
            int w = wait_for(cap, backoff, 1);
            if (w == 1) break;
            /* /dev changed: a camera is arriving (its node, then udev's links): retry soon */
            backoff = w == 2 ? BACKOFF_FIRST_NS : SC_MIN(backoff * 2, BACKOFF_MAX_NS);
            continue;
        }
        if (cap->fd < 0) {
            char why[256];
            if (try_reopen(cap, why, sizeof(why))) {
                atomic_fetch_add(&cap->reconnects, 1);
                backoff = BACKOFF_FIRST_NS;
                sc_capture_info inf;
                sc_capture_get_info(cap, &inf);
                sc_log_info("capture: reopened %s (%s, %s)", inf.path, inf.card, inf.bus);
                continue;
            }
            sc_log_debug("capture: reconnect: %s", why);
            int w = wait_for(cap, backoff, 1);
            if (w == 1) break;
            backoff = w == 2 ? BACKOFF_FIRST_NS : SC_MIN(backoff * 2, BACKOFF_MAX_NS);
            continue;
        }
        struct pollfd p[2] = { { .fd = cap->fd, .events = POLLIN },
                               { .fd = cap->stop_pipe[0], .events = POLLIN } };
        int r = poll(p, 2, POLL_MS);
        if (stopping(cap)) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            lose_device(cap, "poll: %s", strerror(errno));
            continue;
        }
        if (r > 0 && (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
            lose_device(cap, "poll: %s%s%s(device gone or failed)",
                        p[0].revents & POLLERR ? "POLLERR " : "", p[0].revents & POLLHUP ? "POLLHUP " : "",
                        p[0].revents & POLLNVAL ? "POLLNVAL " : "");
            continue;
        }
        if (r > 0 && (p[0].revents & POLLIN)) {
            struct v4l2_buffer b;
            if (dequeue_newest(cap, &b) >= 0 && deliver_buffer(cap, &b) != 0) continue;
            if (cap->fd < 0) continue;
        }
        /* Frames that never come (a stalled camera, a v4l2loopback producer that died) or
         * only bad ones: no signal, then a reopen. */
        int64_t last = atomic_load(&cap->t_last_frame_ns);
        if (last < cap->t_stream_on_ns) last = cap->t_stream_on_ns;
        int64_t quiet = sc_now_ns() - last;
        if (quiet > cap->cfg.restart_after_ns) {
            char why[128];
            uint64_t n = atomic_fetch_add(&cap->restarts, 1);
            set_state(cap, SC_CAPTURE_NO_SIGNAL, SC_LOG_WARN, "no frame for %.1f s", (double)quiet / 1e9);
            if (restart_stream(cap, why, sizeof(why)) != 0)
                lose_device(cap, "no frame for %.1f s, and restarting the stream failed: %s",
                            (double)quiet / 1e9, why);
            else
                sc_log(n == 0 ? SC_LOG_INFO : SC_LOG_DEBUG, "capture: no frame for %.1f s: streaming restarted",
                       (double)quiet / 1e9);
        } else if (quiet > cap->cfg.no_signal_ns)
            set_state(cap, SC_CAPTURE_NO_SIGNAL, SC_LOG_WARN, "no frame for %.1f s", (double)quiet / 1e9);
    }
    close_session(cap);
}

/* ------------------------------------------------------------------ file thread */

/* Waits until a frame is free and every output queue is empty (no_drop). Returns the frame, or
 * NULL on stop. */
static sc_frame *acquire_no_drop(sc_capture *cap)
{
    for (;;) {
        int empty = 1;
        for (int i = 0; i < cap->n_outputs && empty; i++) empty = sc_queue_len(cap->outputs[i]) == 0;
        sc_frame *f = empty ? sc_frame_pool_acquire(cap->pool) : NULL;
        if (f) return f;
        if (wait_for(cap, 1000000, 0) == 1) return NULL;   /* 1 ms */
    }
}

static void file_loop(sc_capture *cap)
{
    int64_t period = cap->cfg.fps > 0 ? 1000000000LL / cap->cfg.fps : 0;
    int64_t due = sc_now_ns();
    int good_in_pass = 0;
    uint64_t seq = 0;
    char err[512];
    while (!stopping(cap)) {
        sc_frame *f;
        if (cap->cfg.no_drop) {
            if (!(f = acquire_no_drop(cap))) break;
        } else if (!(f = sc_frame_pool_acquire(cap->pool))) {
            atomic_fetch_add(&cap->pool_empty, 1);
            if (wait_for(cap, period > 0 ? period : 1000000, 0) == 1) break;
            continue;
        }
        err[0] = 0;
        sc_status st = sc_source_next(cap->source, f, err, sizeof(err));
        uint64_t corrupt, truncated;
        sc_source_counts(cap->source, &corrupt, &truncated);
        atomic_store(&cap->corrupt, corrupt);
        atomic_store(&cap->truncated, truncated);
        if (st == SC_E_CLOSED) {
            sc_frame_unref(f);
            if (cap->cfg.loop && good_in_pass > 0) {
                sc_source_rewind(cap->source);
                good_in_pass = 0;
                continue;
            }
            set_state(cap, SC_CAPTURE_ENDED, SC_LOG_INFO, "%llu frames",
                      (unsigned long long)atomic_load(&cap->frames));
            return;
        }
        if (st != SC_OK) {
            sc_frame_unref(f);
            sc_log_debug("capture: %s", err);
            continue;
        }
        good_in_pass++;
        if (period > 0) {
            int64_t now = sc_now_ns();
            if (due > now && wait_for(cap, due - now, 0) == 1) {
                sc_frame_unref(f);
                break;
            }
            due += period;
            now = sc_now_ns();
            if (due < now - period) due = now;   /* after a stall, do not burst */
        }
        f->id = ++cap->next_id;
        f->sequence = seq++;
        f->t_capture_ns = sc_now_ns();
        push_frame(cap, f);
        if (atomic_load(&cap->state) != SC_CAPTURE_STREAMING)
            set_state(cap, SC_CAPTURE_STREAMING, SC_LOG_INFO, "%d item%s, %s%s", sc_source_count(cap->source),
                      sc_source_count(cap->source) == 1 ? "" : "s",
                      period > 0 ? "paced" : "unpaced", cap->cfg.loop ? ", looping" : "");
    }
}

static void *capture_main(void *arg)
{
    sc_capture *cap = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_setname_np(pthread_self(), "sc-capture");
    if (cap->cfg.kind == SC_CAPTURE_CAMERA) camera_loop(cap);
    else file_loop(cap);
    return NULL;
}

/* ------------------------------------------------------------------ open / stop */

static sc_status check_cfg(const sc_capture_cfg *cfg, int n_outputs)
{
    if (!cfg->path || !*cfg->path) { sc_log_error("capture: no device or file given"); return SC_E_INVAL; }
    if (n_outputs < 1 || n_outputs > SC_CAPTURE_MAX_OUTPUTS) {
        sc_log_error("capture: %d output queues (1..%d)", n_outputs, SC_CAPTURE_MAX_OUTPUTS);
        return SC_E_INVAL;
    }
    if (cfg->width < 0 || cfg->height < 0 || (cfg->width == 0) != (cfg->height == 0) ||
        cfg->width > 16384 || cfg->height > 16384 || cfg->fps < 0 || cfg->fps > 1000 ||
        cfg->n_buffers < 0 || cfg->n_buffers > MAX_BUFFERS || cfg->n_buffers == 1 ||
        cfg->n_frames < 0 || cfg->n_frames > 1024 || cfg->n_controls < 0 ||
        cfg->n_controls > SC_CAPTURE_MAX_CONTROLS || cfg->no_signal_ns < 0 || cfg->restart_after_ns < 0) {
        sc_log_error("capture: %s: bad settings (size %dx%d, fps %d, buffers %d, frames %d)",
                     cfg->path, cfg->width, cfg->height, cfg->fps, cfg->n_buffers, cfg->n_frames);
        return SC_E_INVAL;
    }
    return SC_OK;
}

sc_status sc_capture_open(const sc_capture_cfg *cfg, sc_queue *const *outputs, int n_outputs,
                          sc_capture **out)
{
    sc_status st;
    *out = NULL;
    if ((st = check_cfg(cfg, n_outputs)) != SC_OK) return st;
    sc_capture *cap = calloc(1, sizeof(*cap));
    if (!cap) return SC_E_NOMEM;
    cap->fd = -1;
    cap->stop_pipe[0] = cap->stop_pipe[1] = -1;
    cap->inotify_fd = -1;
    pthread_mutex_init(&cap->mu, NULL);
    atomic_init(&cap->state, SC_CAPTURE_STARTING);
    atomic_init(&cap->stop, 0);
    cap->cfg = *cfg;
    if (!cap->cfg.n_buffers) cap->cfg.n_buffers = 4;
    if (!cap->cfg.n_frames) cap->cfg.n_frames = 8;
    if (!cap->cfg.no_signal_ns) cap->cfg.no_signal_ns = 1000000000LL;
    if (!cap->cfg.restart_after_ns) cap->cfg.restart_after_ns = 3000000000LL;
    if (cap->cfg.restart_after_ns <= cap->cfg.no_signal_ns)
        cap->cfg.restart_after_ns = cap->cfg.no_signal_ns + 1;
    st = SC_E_NOMEM;
    if (!(cap->cfg.path = strdup(cfg->path))) goto fail;
    for (int i = 0; i < cfg->n_controls; i++) {
        if (!cfg->controls[i] || !(cap->ctrl_copy[i] = strdup(cfg->controls[i]))) goto fail;
        cap->cfg.controls[i] = cap->ctrl_copy[i];
    }
    for (int i = 0; i < n_outputs; i++) {
        SC_ASSERT(outputs[i]);
        cap->outputs[i] = outputs[i];
    }
    cap->n_outputs = n_outputs;
    snprintf(cap->info.path, sizeof(cap->info.path), "%s", cfg->path);

    if (cfg->kind == SC_CAPTURE_CAMERA) {
        char why[320];
        int absent;
        if (strncmp(cfg->path, "/dev/v4l/by-id/", 15) == 0)
            snprintf(cap->by_id_spec, sizeof(cap->by_id_spec), "%s", cfg->path);
        else if (!strchr(cfg->path, '/')) {   /* a name: by-id name, videoN or card name */
            snprintf(cap->by_id_spec, sizeof(cap->by_id_spec), "/dev/v4l/by-id/%.200s", cfg->path);
            snprintf(cap->want_card, sizeof(cap->want_card), "%s", cfg->path);
        }
        /* Watched before the first open: a camera that is not there yet is waited for. */
        cap->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (cap->inotify_fd >= 0) {
            inotify_add_watch(cap->inotify_fd, "/dev", IN_CREATE | IN_ATTRIB | IN_MOVED_TO);
            inotify_add_watch(cap->inotify_fd, "/dev/v4l", IN_CREATE | IN_MOVED_TO);
            inotify_add_watch(cap->inotify_fd, "/dev/v4l/by-id", IN_CREATE | IN_MOVED_TO);
        }
        st = first_open(cap, why, sizeof(why), &absent);
        if (st == SC_OK) {
            if ((st = finish_first_open(cap)) != SC_OK) goto fail;
        } else if (absent && !cfg->no_wait) {
            snprintf(cap->wait_why, sizeof(cap->wait_why), "%s", why);
            set_state(cap, SC_CAPTURE_RECONNECTING, SC_LOG_WARN, "waiting for camera (%s)", why);
            st = SC_OK;
        } else {
            sc_log_error("capture: %s: %s", cfg->path, why);
            goto fail;
        }
    } else {
        char err[512];
        sc_source_kind kind = cfg->kind == SC_CAPTURE_IMAGE ? SC_SOURCE_IMAGE
                            : cfg->kind == SC_CAPTURE_DIR ? SC_SOURCE_DIR : SC_SOURCE_MJPEG;
        st = sc_source_open(kind, cfg->path, &cap->source, err, sizeof(err));
        if (st != SC_OK) {
            sc_log_error("capture: %s", err);
            goto fail;
        }
        cap->frame_bytes = sc_source_max_frame_bytes(cap->source);
        sc_source_first_size(cap->source, &cap->info.width, &cap->info.height);
        cap->info.fmt = kind == SC_SOURCE_MJPEG ? SC_PIXFMT_MJPEG : SC_PIXFMT_RGB24;
        cap->info.fps = cfg->fps;
        cap->info.frame_bytes = cap->frame_bytes;
        if ((st = sc_frame_pool_create(cap->cfg.n_frames, cap->frame_bytes, &cap->pool)) != SC_OK) {
            sc_log_error("capture: %s: cannot allocate %d frames of %zu bytes", cfg->path,
                         cap->cfg.n_frames, cap->frame_bytes);
            goto fail;
        }
    }
    int fl;
    if (pipe(cap->stop_pipe) != 0) {
        sc_log_errno(errno, "capture: pipe");
        st = SC_E_NOMEM;
        goto fail;
    }
    fl = fcntl(cap->stop_pipe[0], F_GETFL);
    fcntl(cap->stop_pipe[0], F_SETFL, fl | O_NONBLOCK);
    fcntl(cap->stop_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(cap->stop_pipe[1], F_SETFD, FD_CLOEXEC);
    int e = pthread_create(&cap->thread, NULL, capture_main, cap);
    if (e != 0) {
        sc_log_errno(e, "capture: cannot start the capture thread");
        st = SC_E_NOMEM;
        goto fail;
    }
    cap->thread_started = 1;
    *out = cap;
    return SC_OK;
fail:
    sc_capture_destroy(cap);
    return st;
}

void sc_capture_stop(sc_capture *cap)
{
    if (!cap) return;
    if (cap->thread_started) {
        atomic_store(&cap->stop, 1);
        ssize_t w = write(cap->stop_pipe[1], "x", 1);
        (void)w;
        pthread_join(cap->thread, NULL);
        cap->thread_started = 0;
        if (atomic_load(&cap->state) != SC_CAPTURE_ENDED)
            set_state(cap, SC_CAPTURE_STOPPED, SC_LOG_DEBUG, "%s", "");
    }
    close_session(cap);
}

void sc_capture_destroy(sc_capture *cap)
{
    if (!cap) return;
    sc_capture_stop(cap);
    sc_source_close(cap->source);
    sc_frame_pool_destroy(cap->pool);
    if (cap->stop_pipe[0] >= 0) close(cap->stop_pipe[0]);
    if (cap->stop_pipe[1] >= 0) close(cap->stop_pipe[1]);
    if (cap->inotify_fd >= 0) close(cap->inotify_fd);
    for (int i = 0; i < SC_CAPTURE_MAX_CONTROLS; i++) free(cap->ctrl_copy[i]);
    free((char *)cap->cfg.path);
    pthread_mutex_destroy(&cap->mu);
    free(cap);
}
