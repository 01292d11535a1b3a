/* app/detlog.h — the detection log a headless ssdcam writes: one record per processed frame
 * (or only per frame with detections), as JSON Lines or CSV, appended to a file.
 *
 * Guarantees
 * - A record is one write(2) on an O_APPEND descriptor, so a record is never interleaved
 *   with another writer's bytes and lines written earlier are never touched (an existing
 *   file is appended to; a file whose last byte is not '\n' gets a '\n' first, so our lines
 *   stay whole even after someone else's partial line).
 * - A partial record is never left: on a short write (a full disk mid-line) the file is
 *   ftruncate()d back to its size before the write and the record is counted as lost.
 * - I/O errors never stop the caller. Lost records are counted; the error is logged once
 *   when an error episode starts ("log: PATH: write failed: No space left on device ...")
 *   and once when it ends ("log: PATH: writing resumed after N lost lines").
 * - No allocation per record: sc_detlog_open() allocates one buffer sized for max_dets
 *   detections (worst case: every label byte escaped); a record with more detections is
 *   written with the first max_dets and counted in `lines_truncated` (JSON: "dropped": K).
 *
 * Files
 * - sc_detlog_open() creates missing parent directories (mode 0755, like `mkdir -p`) and
 *   the file (mode 0644 before umask). Failing that it returns SC_E_IO: at start-up an
 *   unusable path is a configuration error. After a successful open every failure is
 *   handled inside (counted, logged once, retried).
 * - Size rotation (max_bytes > 0): before a record that would take the file past
 *   max_bytes (and the file is not empty), PATH.(max_files-1) → PATH.max_files, …,
 *   PATH.1 → PATH.2, PATH → PATH.1, then a new PATH. The oldest file is replaced, so at
 *   most max_files rotated files exist; max_files = 0 keeps none (PATH is removed). A file
 *   only exceeds max_bytes when a single record is larger than max_bytes.
 * - logrotate: sc_detlog_reopen() (the main thread calls it after SIGHUP) closes the
 *   descriptor and opens PATH again, creating it if it is gone. Without a SIGHUP, a file
 *   deleted (fstat st_nlink == 0) or renamed/replaced (stat(PATH) is missing or another
 *   inode) is noticed at most check_interval_ms after it happened and PATH is recreated;
 *   records written in between went to the old inode (lost if it was deleted). A file
 *   truncated under us (logrotate copytruncate) is noticed by the same check (size and CSV
 *   header); O_APPEND already puts new records at its new end.
 * - While the file cannot be opened, records are counted as lost and the open is retried
 *   every check_interval_ms (every 1 s when that is negative).
 * - fsync: fdatasync() from the writing call when fsync_interval_ms has elapsed since the
 *   last one (0 = after every record, < 0 = never, not even at close). Rotation, reopen and
 *   close sync the old descriptor first (unless < 0). Errors are counted in sync_errors and
 *   logged once per episode. Note: on file systems with delayed allocation a full disk may
 *   show only at fdatasync() time; those records are on the page cache only and are not
 *   counted as lost.
 *
 * Record formats (numbers are locale-independent; boxes are source pixels, rounded and
 * clamped to [0, width] × [0, height] exactly as `ssdcam detect` does):
 *   JSONL, one line per record:
 *     {"time":"2024-02-29T17:30:00.123+05:30","mono_ms":1234,"frame":42,
 *      "source":"/dev/video0","model":"detect.tflite","input_size":300,"width":640,
 *      "height":480,"latency_ms":33.125,"decode_ms":1.250,"resize_ms":0.800,
 *      "network_ms":29.900,"post_ms":0.050,"display_ms":2.100,"screen_ms":36.000,
 *      "cpu_temp_c":51.2,"throttled":0,
 *      "detections":[{"label":"person","class_id":0,"score":0.9123,"box":[x0,y0,x1,y1]}]}
 *     latency_ms is omitted when negative; the four stage times unless SC_DETLOG_HAS_STAGES,
 *     display_ms / screen_ms unless SC_DETLOG_HAS_SCREEN, cpu_temp_c / throttled unless
 *     flagged present (a negative or non-finite time is omitted even when flagged),
 *     "dropped":K is appended after "detections" when K detections did not fit. A NULL
 *     source/model is null. Strings: '"', '\\' and control characters escaped (\n, \t,
 *     \u001f, …); valid UTF-8 passed through; each byte of an invalid sequence becomes
 *     \ufffd; source/model are cut to SC_DETLOG_MAX_NAME bytes and labels to
 *     SC_DETLOG_MAX_LABEL bytes, at a character boundary.
 *   CSV (RFC 4180 quoting: a field containing ',', '"', CR or LF is quoted, '"' doubled;
 *     rows end in LF, not CRLF): the header line below when the file is new or empty
 *     (written together with the first row), then one row per detection with the frame's
 *     fields repeated; a frame without detections (every_frame) is one row with the
 *     detection fields empty. Absent optional values are empty fields.
 *     time,mono_ms,frame,source,model,input_size,width,height,latency_ms,decode_ms,
 *     resize_ms,network_ms,post_ms,display_ms,screen_ms,cpu_temp_c,throttled,label,
 *     class_id,score,x0,y0,x1,y1
 *
 * Threads: one thread (the main thread, STYLE.md §6) calls every function on a given
 * sc_detlog, except sc_detlog_request_reopen(), which any thread or a signal handler may
 * call (it only sets an atomic flag). */
#ifndef SC_APP_DETLOG_H
#define SC_APP_DETLOG_H

#include <stdint.h>

#include "core/base.h"
#include "models/ssd.h"

#define SC_DETLOG_MAX_NAME 256     /* bytes of source / model name kept in a record */
#define SC_DETLOG_MAX_LABEL 127    /* bytes of a label kept (= SC_LABELS_MAX_NAME) */
#define SC_DETLOG_MAX_DETS_LIMIT 10000

typedef enum sc_detlog_format {
    SC_DETLOG_JSONL = 0,
    SC_DETLOG_CSV = 1
} sc_detlog_format;

/* Class id → label. Must return a string (or NULL for "class N") valid during the call. */
typedef const char *(*sc_detlog_label_fn)(const void *ctx, int class_id);

typedef struct sc_detlog_cfg {
    const char *path;            /* the log file; copied at open */
    sc_detlog_format format;
    int every_frame;             /* 1: a record for every frame; 0: only frames with detections */
    int64_t fsync_interval_ms;   /* 0 = every record, < 0 = never, > 0 = at most that often */
    uint64_t max_bytes;          /* rotate before exceeding this; 0 = never rotate */
    int max_files;               /* rotated files kept: PATH.1 … PATH.max_files (0..1000) */
    int max_dets;                /* detections a record can hold (1..SC_DETLOG_MAX_DETS_LIMIT) */
    int64_t check_interval_ms;   /* deleted/renamed-file check: 0 = every record, < 0 = never */
    /* Labels: label_fn if set, else label_names[class_id] when 0 <= class_id < n_label_names
     * and the entry is not NULL, else "class N". The names must outlive the sc_detlog. */
    sc_detlog_label_fn label_fn;
    const void *label_ctx;
    const char *const *label_names;
    int n_label_names;
} sc_detlog_cfg;

/* JSONL, detections only, fsync every 1000 ms, 10 MiB × 5 files, 100 detections, 1 s check,
 * no labels (the caller sets path and labels). */
void sc_detlog_cfg_default(sc_detlog_cfg *cfg);

/* Optional per-record values; set the bit when the value is present. */
#define SC_DETLOG_HAS_CPU_TEMP 1u
#define SC_DETLOG_HAS_THROTTLED 2u
#define SC_DETLOG_HAS_STAGES 4u      /* decode_ms, resize_ms, network_ms, post_ms */
#define SC_DETLOG_HAS_SCREEN 8u      /* display_ms, screen_ms (a window ran) */

/* One processed frame. Pointers are only read during sc_detlog_write(). */
typedef struct sc_detlog_record {
    int64_t wall_ns;             /* CLOCK_REALTIME of the capture; 0 = now */
    int64_t t_capture_ns;        /* CLOCK_MONOTONIC of the capture (logged as mono_ms) */
    uint64_t frame_id;
    const char *source;          /* e.g. "/dev/video0" or "demo"; NULL = null */
    const char *model;           /* e.g. "detect.tflite"; NULL = null */
    int input_size;              /* network input side (300·ρ) */
    int width, height;           /* source frame size: boxes are scaled by these */
    double latency_ms;           /* capture → result; < 0 = omitted */
    /* Per-stage times of this frame, in ms (SC_DETLOG_HAS_STAGES): frame → RGB (MJPEG
     * decode or YUYV conversion), resize into the network input, the network (with the SSD
     * decode and NMS inside the detector), the app's post-process (letterbox undo, filters). */
    double decode_ms, resize_ms, network_ms, post_ms;
    /* With a window (SC_DETLOG_HAS_SCREEN): the main thread's time to put the most recently
     * shown frame on the screen (RGB conversion, upload, draw, present), and that frame's
     * age capture → screen. The line is written when the result arrives, so these belong to
     * the latest frame shown by then, not necessarily to this record's frame. */
    double display_ms, screen_ms;
    const sc_det *dets;          /* boxes normalised to the SOURCE frame (letterbox undone) */
    int n_dets;
    unsigned optional;           /* SC_DETLOG_HAS_* bits */
    double cpu_temp_c;
    uint32_t throttled;          /* e.g. `vcgencmd get_throttled` bits */
} sc_detlog_record;

typedef struct sc_detlog_stats {
    uint64_t lines_written;      /* records written whole (for CSV a frame's rows count once) */
    uint64_t lines_lost;         /* records not written: I/O error, no file */
    uint64_t lines_truncated;    /* written with fewer detections than given (over max_dets) */
    uint64_t bytes_written;
    uint64_t rotations;
    uint64_t reopens;            /* requested (SIGHUP) or after a delete/rename was noticed */
    uint64_t partial_undone;     /* short writes rolled back with ftruncate */
    uint64_t syncs, sync_errors;
    int last_errno;              /* errno of the most recent failure; 0 = none so far */
    int failing;                 /* 1 during an error episode */
} sc_detlog_stats;

typedef struct sc_detlog sc_detlog;

/* Validates cfg (SC_E_INVAL, logged: no path, bad format, max_dets or max_files out of
 * range), creates parent directories and opens the file for appending (SC_E_IO, logged),
 * SC_E_NOMEM. On failure *out = NULL. */
sc_status sc_detlog_open(const sc_detlog_cfg *cfg, sc_detlog **out);

/* Appends one record (skipped, SC_OK, when it has no detections and every_frame is 0).
 * Does the periodic work first (pending reopen, deleted-file check, rotation), then one
 * write(), then fdatasync() when due. SC_OK when written; SC_E_IO when the record was lost
 * (counted; logged once per episode). Never blocks beyond the file system calls. */
sc_status sc_detlog_write(sc_detlog *log, const sc_detlog_record *rec);

/* Closes and reopens PATH now (creating it, and its directories, if missing). Call after
 * SIGHUP. A failure starts an error episode; records are counted lost until an open works. */
void sc_detlog_reopen(sc_detlog *log);

/* Async-signal-safe and thread-safe: asks for a reopen at the next write or poll. */
void sc_detlog_request_reopen(sc_detlog *log);

/* The periodic work without a record: pending reopen, deleted/renamed check, open retry,
 * a due fdatasync. Cheap (a clock read) when nothing is due; call it when idle. */
void sc_detlog_poll(sc_detlog *log);

void sc_detlog_get_stats(const sc_detlog *log, sc_detlog_stats *out);

/* fdatasync (unless fsync_interval_ms < 0), close and free. NULL is a no-op. */
void sc_detlog_close(sc_detlog *log);

#endif
