/* app/capture.h — frames from a V4L2 camera (through libv4l2) or from files, delivered by a
 * thread of its own ("sc-capture") into one or more sc_queues.
 *
 * DESIGN
 * Camera: sc_capture_open() opens the device with v4l2_open(), negotiates (format, size, rate;
 * refusing clearly what the driver cannot do), maps 3–4 buffers (v4l2_mmap), starts streaming
 * and the thread. The thread poll()s the device and a stop pipe; when buffers are ready it
 * dequeues all of them, re-queues the older ones at once (counted as `stale`: the detector
 * must never work on an old frame), copies the newest into a frame from a fixed
 * sc_frame_pool, re-queues that buffer too, stamps the frame (id, the driver's sequence
 * number, CLOCK_MONOTONIC time) and pushes one reference to each output queue. Pushing never
 * blocks: a full queue hands back its oldest frame, which the thread unrefs (`evicted`). Gaps
 * in the driver's sequence numbers are frames the driver dropped (`driver_drops`).
 *
 * MJPEG frames are checked before the copy (app/mjpeg.h: SOI, EOI found by walking the data —
 * bytesused may cover the whole buffer —, a frame header of the negotiated size, a minimum
 * size); bad ones are counted (`truncated`, `corrupt`) and skipped. Buffers the driver flags
 * V4L2_BUF_FLAG_ERROR count as corrupt, YUYV buffers shorter than a frame as truncated.
 *
 * States (sc_capture_state), logged once per change and kept in a short event history:
 *   STREAMING    frames arrive;
 *   NO_SIGNAL    the device is open but no frame came for no_signal_ns (default 1 s);
 *   RECONNECTING the device was lost — POLLERR/POLLHUP, ENODEV, EIO or any other ioctl failure:
 *                the thread closes it and tries to reopen the same camera with a back-off of
 *                0.1 s doubling to 0.5 s (and at once when a node appears in /dev, watched with
 *                inotify: systems without udev send no hotplug events). The same camera is its
 *                /dev/v4l/by-id link if udev made one, else the /dev/video* node whose card name
 *                and bus match (scanned, so it may come back as another videoN), else the
 *                original path if its card name matches. Reopening renegotiates the same format
 *                and size and re-applies the controls; a camera that now grants another format
 *                or size is not accepted (it keeps retrying, and says why at debug level).
 *                Also the state of a camera that is not there at sc_capture_open() (its node
 *                under /dev, by-id link or card name absent; a missing path outside /dev is an
 *                error, as hotplug never makes one): "waiting for camera", logged once; the
 *                thread tries again with the same back-off and inotify wake-ups, and the
 *                first open that succeeds negotiates (as sc_capture_open would have) and
 *                creates the frame pool. Until then sc_capture_info has width = height = 0
 *                and path = cfg.path. A camera that is there but refuses (not a capture
 *                device, format or size not granted) fails sc_capture_open at once; found
 *                later, it is logged (once per reason) and waited for. cfg.no_wait makes an
 *                absent camera an error too.
 * A frame timeout (no frame for restart_after_ns, default 3 s, while the device reports no
 * error) restarts streaming on the open device (STREAMOFF, re-queue, STREAMON; `restarts`),
 * again every restart_after_ns while no frame comes; only if that fails is the device closed
 * and reopened. Closing on a mere timeout was tried and is harmful: v4l2loopback 0.12 (with
 * exclusive_caps=1) is left unusable for the next producer once the last reader has closed
 * and anyone queries its capabilities — which a reopen loop does — so a virtual camera whose
 * producer restarts would never come back (tests/camera measures this case).
 *   ENDED        a file source delivered its last frame (not looping); the thread has exited.
 * The reconnect loop never gives up: a lost camera is a state, not an error.
 *
 * Files (SC_CAPTURE_IMAGE/DIR/MJPEG_FILE, read by app/source.h): the same thread, pool and
 * queues, paced at `fps` (0 = as fast as possible). With no_drop the thread waits until every
 * output queue is empty and a pool frame is free before it pushes, so no frame is lost (for
 * tests and batch runs); without it, latest-frame semantics as for a camera.
 *
 * Ownership and shutdown: the capture owns the device, the buffers, the thread and the frame
 * pool; consumers own the references they pop and must unref them. Order: sc_capture_stop()
 * (joins the thread, closes the device; no push after it returns) → close/drain the queues
 * and unref what they held → sc_capture_destroy() (destroys the pool, asserting every frame
 * came back). All sc_capture_get_* functions are thread-safe. */
#ifndef SC_APP_CAPTURE_H
#define SC_APP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/frame.h"
#include "core/queue.h"

#define SC_CAPTURE_MAX_OUTPUTS 4
#define SC_CAPTURE_MAX_CONTROLS 16

typedef enum sc_capture_kind {
    SC_CAPTURE_CAMERA = 0,     /* a V4L2 device node */
    SC_CAPTURE_IMAGE = 1,      /* one still image (RGB24 frames) */
    SC_CAPTURE_DIR = 2,        /* a directory of images, sorted by name (RGB24 frames) */
    SC_CAPTURE_MJPEG_FILE = 3  /* concatenated JPEGs (MJPEG frames, as from a camera) */
} sc_capture_kind;

typedef enum sc_capture_format {
    SC_CAPTURE_FMT_AUTO = 0,   /* MJPEG above 640×480 when offered (USB 2 cannot carry YUYV
                                  at full rate there), else YUYV, else MJPEG */
    SC_CAPTURE_FMT_MJPEG = 1,
    SC_CAPTURE_FMT_YUYV = 2
} sc_capture_format;

typedef enum sc_capture_state {
    SC_CAPTURE_STARTING = 0,   /* open, no frame yet */
    SC_CAPTURE_STREAMING = 1,
    SC_CAPTURE_NO_SIGNAL = 2,
    SC_CAPTURE_RECONNECTING = 3,
    SC_CAPTURE_ENDED = 4,      /* file source finished */
    SC_CAPTURE_STOPPED = 5     /* sc_capture_stop() was called */
} sc_capture_state;

/* "starting", "streaming", "no signal", "reconnecting", "ended", "stopped". */
const char *sc_capture_state_name(sc_capture_state s);
/* "auto", "mjpeg", "yuyv"; sc_capture_format_parse returns 0 for an unknown name. */
const char *sc_capture_format_name(sc_capture_format f);
int sc_capture_format_parse(const char *name, sc_capture_format *out);

typedef struct sc_capture_cfg {
    sc_capture_kind kind;
    const char *path;          /* camera: a path (/dev/videoN, /dev/v4l/by-id/...) or a name
                                  without '/': a /dev/v4l/by-id entry ("usb-046d_..."), "videoN",
                                  or a card name ("UVC Camera (1d6b:0102)"); else file or dir */
    /* camera */
    sc_capture_format format;
    int width, height;         /* 0, 0 = keep the driver's current size */
    int fps;                   /* camera: requested rate (0 = driver's); files: pacing (0 = none) */
    int n_buffers;             /* V4L2 buffers, 2..16; 0 = 4 */
    int64_t no_signal_ns;      /* 0 = 1 s */
    int64_t restart_after_ns;  /* 0 = 3 s; must exceed no_signal_ns */
    int no_wait;               /* 1: a camera absent at open is SC_E_DEVICE, not a wait */
    const char *controls[SC_CAPTURE_MAX_CONTROLS];   /* "Name=value" (value: integer or menu
                                  item name), applied after every open; copied by open */
    int n_controls;
    /* files */
    int loop;                  /* start again after the last item */
    int no_drop;               /* wait for consumers instead of dropping (see DESIGN) */
    /* both */
    int n_frames;              /* frame pool size: queue capacities + frames each consumer
                                  holds + 2; 0 = 8 */
} sc_capture_cfg;

/* What was negotiated (camera) or found (files). */
typedef struct sc_capture_info {
    char path[256];            /* node or file in use (after a replug maybe another videoN) */
    char by_id[256];           /* /dev/v4l/by-id link of the camera, or "" */
    char driver[32], card[64], bus[64];
    sc_pixfmt fmt;             /* MJPEG or YUYV for cameras; RGB24 or MJPEG for files */
    int width, height;
    double fps;                /* granted rate (camera; 0 = driver did not say) or pacing */
    int n_buffers;
    size_t frame_bytes;        /* pool frame capacity */
} sc_capture_info;

typedef struct sc_capture_stats {
    sc_capture_state state;
    uint64_t frames;           /* pushed to the outputs (ids 1..frames) */
    uint64_t driver_drops;     /* gaps in the driver's sequence numbers */
    uint64_t stale;            /* older ready buffers skipped for a newer one */
    uint64_t evicted;          /* frames evicted from a full output queue (all outputs) */
    uint64_t corrupt;          /* bad MJPEG structure, buffers flagged ERROR, undecodable files */
    uint64_t truncated;        /* MJPEG without EOI, short YUYV buffers */
    uint64_t pool_empty;       /* frames lost because consumers held every pool frame */
    uint64_t reconnects;       /* successful reopens after a loss */
    uint64_t restarts;         /* stream restarts after a frame timeout */
    int64_t t_last_frame_ns;   /* CLOCK_MONOTONIC of the last pushed frame, 0 if none */
} sc_capture_stats;

/* One state change. seq counts from 1; reason is a short English phrase. */
typedef struct sc_capture_event {
    uint64_t seq;
    sc_capture_state state;
    int64_t t_ns;              /* CLOCK_MONOTONIC */
    char reason[128];
} sc_capture_event;

typedef struct sc_capture sc_capture;

/* Opens the source and starts the thread. outputs: 1..SC_CAPTURE_MAX_OUTPUTS queues (borrowed;
 * they must outlive the capture's thread, i.e. until sc_capture_stop returns). Errors are
 * logged with the detail and returned: SC_E_INVAL (bad cfg), SC_E_DEVICE (cannot open / not a
 * capture device / streaming failed; an absent camera only with no_wait: without it, SC_OK
 * in state RECONNECTING, see DESIGN), SC_E_UNSUPPORTED (format, size the driver does
 * not grant; the message lists what it offers), SC_E_IO / SC_E_FORMAT (files), SC_E_NOMEM. */
sc_status sc_capture_open(const sc_capture_cfg *cfg, sc_queue *const *outputs, int n_outputs,
                          sc_capture **out);
/* Stops and joins the thread and closes the device. Idempotent; NULL is a no-op. */
void sc_capture_stop(sc_capture *cap);
/* Stops if needed, then frees everything. Every frame must have been unreffed. NULL: no-op. */
void sc_capture_destroy(sc_capture *cap);

sc_capture_state sc_capture_get_state(sc_capture *cap);
void sc_capture_get_stats(sc_capture *cap, sc_capture_stats *out);
void sc_capture_get_info(sc_capture *cap, sc_capture_info *out);
/* Copies up to max events with seq > after_seq, oldest first; returns how many. The last 32
 * events are kept. */
int sc_capture_get_events(sc_capture *cap, uint64_t after_seq, sc_capture_event *out, int max);

/* Device discovery, also used by `ssdcam devices`. */
#define SC_CAPTURE_PATH_MAX 64
/* Writes the /dev/videoN nodes, sorted by N, to paths; returns how many (at most max). */
int sc_capture_list_nodes(char (*paths)[SC_CAPTURE_PATH_MAX], int max);
/* Writes the /dev/v4l/by-id link that resolves to `node` to buf and returns 1; 0 if none. */
int sc_capture_by_id_name(const char *node, char *buf, size_t n);

#endif
