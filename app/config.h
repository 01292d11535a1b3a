/* app/config.h — the ssdcam configuration: a YAML file (libyaml) → struct sc_config.
 *
 * A configuration is built in layers, each one validated as it is applied:
 *   sc_config_defaults()   the built-in values (the same as config/default.yaml)
 *   sc_config_load()       a YAML file on top (only the keys it names change)
 *   sc_config_set()        `--set KEY=VALUE` overrides from the command line, in order
 *   sc_config_check()      the checks that involve several keys (e.g. a file source needs a path)
 * sc_config_build() does all four in that order, and is what `ssdcam run` calls:
 *
 *     sc_config cfg;   (about 70 KB: keep it in main's frame or on the heap, not in a small thread stack)
 *     char err[4096];
 *     if (sc_config_build(&cfg, config_path_or_NULL, sets, n_sets, err, sizeof(err)) != SC_OK) {
 *         each line of err → sc_log_error("%s", line);  return SC_EXIT_USAGE;
 *     }
 *     --check-config FILE: the same call; on success print "FILE: ok" and exit 0.
 *     --print-config:      the same call, then sc_config_print(&cfg, stdout) and exit 0.
 *
 * File format: one YAML document whose top level is a mapping of sections (source, model,
 * detection, display, log), each a mapping of keys; config/default.yaml documents every key
 * and its default. A section or key left out keeps its current value. An empty file (or one
 * with comments only) changes nothing. Scalars: numbers are decimal (`0.5`, `1e-3`, no hex,
 * no .inf/.nan), integers have no fraction, booleans are true/false, yes/no or on/off (any
 * case); a quoted "0.5" is a string, not a number. A string key given `~`, `null` or nothing
 * is the empty string. A list of class names is a YAML sequence or one comma-separated
 * scalar (`allow: person, car`). Anchors are allowed but aliases (`*name`) are refused (no
 * expansion bombs); tags are ignored.
 *
 * Errors: every problem found is reported, one per line of err (at most SC_CONFIG_MAX_ERRORS,
 * then a line saying how many more), as `FILE:LINE:COLUMN: message` with 1-based line and
 * column (columns count characters, a tab is one), e.g.
 *     config.yaml:7:14: detection.threshold: 1.7 is not between 0 and 1
 *     config.yaml:5:3: detection: unknown key 'treshold'; did you mean 'threshold'?
 *     config.yaml:9:3: detection: duplicate key 'threshold' (first at line 6)
 *     config.yaml:4:9: YAML syntax error: mapping values are not allowed in this context
 * An override's errors begin with "--set: " instead of a file position. Reading stops at a
 * YAML syntax error; other errors are collected and reading goes on. Nothing is logged: the
 * caller logs err. On any failure *cfg is left unchanged.
 *
 * Limits on what is read (a hostile file cannot make us allocate much): the file at most
 * SC_CONFIG_MAX_FILE_BYTES; a path or other string at most SC_CONFIG_MAX_PATH - 1 bytes; a
 * class name at most SC_CONFIG_MAX_NAME - 1 bytes; each list or map at most
 * SC_CONFIG_MAX_CLASSES entries; nesting (possible only under keys that are reported as
 * errors anyway) at most 32 levels, since libyaml's time grows with the square of the flow
 * nesting depth. Reading allocates only the file buffer, one scratch sc_config and
 * libyaml's own (file-size-bounded) parser state. Values echoed in messages are cut to 40
 * bytes with control characters replaced by '?'.
 *
 * Class names (allow, deny, per_class_thresholds) are kept as written (spaces around them
 * trimmed); checking them against the label map is the application's job.
 *
 * Thread-safety: no global state; functions on different sc_config objects may run
 * concurrently. The parser uses the C library's strtod, so numbers need the "C" locale
 * (ssdcam never calls setlocale). */
#ifndef SC_APP_CONFIG_H
#define SC_APP_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base.h"

#define SC_CONFIG_MAX_FILE_BYTES ((size_t)1 << 20)  /* 1 MiB */
#define SC_CONFIG_MAX_PATH 4096      /* bytes of a path or other string, with its NUL */
#define SC_CONFIG_MAX_NAME 128       /* bytes of a class name, with its NUL (labels: 127) */
#define SC_CONFIG_MAX_CLASSES 128    /* entries in allow, deny and per_class_thresholds each */
#define SC_CONFIG_MAX_ERRORS 10      /* error lines written to err before "N more errors" */

typedef enum sc_config_source_kind {
    SC_CONFIG_SOURCE_AUTO = 0,       /* "auto": the first camera, else the demo input */
    SC_CONFIG_SOURCE_CAMERA,         /* "camera": a V4L2 device (source.device) */
    SC_CONFIG_SOURCE_IMAGE,          /* "image": one still image file (source.path) */
    SC_CONFIG_SOURCE_DIR,            /* "dir": the images of a directory, in name order */
    SC_CONFIG_SOURCE_MJPEG_FILE      /* "mjpeg-file": concatenated JPEG frames in one file */
} sc_config_source_kind;

typedef enum sc_config_pixfmt {
    SC_CONFIG_PIXFMT_AUTO = 0,       /* "auto": MJPEG above 640×480 when offered, else YUYV */
    SC_CONFIG_PIXFMT_MJPEG,          /* "mjpeg" */
    SC_CONFIG_PIXFMT_YUYV            /* "yuyv" */
} sc_config_pixfmt;

typedef enum sc_config_decode_scale {
    SC_CONFIG_DECODE_SCALE_AUTO = 0, /* "auto": the smallest libjpeg-turbo scale >= the network input */
    SC_CONFIG_DECODE_SCALE_FULL      /* "full": always the whole frame */
} sc_config_decode_scale;

typedef enum sc_config_display_mode {
    SC_CONFIG_DISPLAY_AUTO = 0,      /* "auto": a window when a display is available */
    SC_CONFIG_DISPLAY_ON,            /* "on" (also true/yes): a window, or fail */
    SC_CONFIG_DISPLAY_OFF            /* "off" (also false/no): headless */
} sc_config_display_mode;

typedef enum sc_config_log_format {
    SC_CONFIG_LOG_JSONL = 0,         /* "jsonl": JSON Lines, one object per frame */
    SC_CONFIG_LOG_CSV                /* "csv": one row per detection */
} sc_config_log_format;

/* Strings are NUL-terminated and always fit their arrays; "" means "not set" where a key's
 * comment says so. Booleans are 0 or 1. */
typedef struct sc_config_source {
    sc_config_source_kind kind;
    char device[SC_CONFIG_MAX_PATH];  /* "auto" (first camera), a path, or a /dev/v4l/by-id name */
    sc_config_pixfmt pixel_format;
    int width, height;                /* capture size requested from the camera, 16..8192 */
    int fps;                          /* camera frame rate requested, 1..240 */
    char path[SC_CONFIG_MAX_PATH];    /* image, directory or MJPEG file; required for those kinds */
    int loop;                         /* file sources: start again at the end */
    double rate;                      /* file sources: frames per second, 0 = as fast as detected */
    int buffers;                      /* V4L2 buffers, 3..8 */
    int reconnect_interval_ms;        /* lost camera: retry every ..., 100..60000 */
    int frame_timeout_ms;             /* no frame for this long = camera lost, 100..60000 */
    sc_config_decode_scale decode_scale;  /* MJPEG frames: DCT-domain scaled decode or full size */
} sc_config_source;

typedef struct sc_config_model {
    char path[SC_CONFIG_MAX_PATH];    /* .tflite file; "" = the built-in default model */
    char labels[SC_CONFIG_MAX_PATH];  /* label map; "" = labelmap.txt beside the model */
    int input_size;                   /* network input side, 0 = the model's own (300); the
                                         YAML key rho (0.5..1) sets it to round(300·rho) */
    int letterbox;                    /* 1: keep the aspect ratio (pad), 0: stretch */
    int threads;                      /* worker threads, 0 = one per core, else 1..64 */
    int use_float;                    /* YAML key "float": the float32 network */
} sc_config_model;

typedef struct sc_config_class_threshold {
    char name[SC_CONFIG_MAX_NAME];
    double threshold;                 /* 0..1 */
} sc_config_class_threshold;

typedef struct sc_config_names {
    int n;
    char name[SC_CONFIG_MAX_CLASSES][SC_CONFIG_MAX_NAME];  /* distinct, non-empty */
} sc_config_names;

typedef struct sc_config_detection {
    double threshold;                 /* minimum score, 0..1 */
    int n_class_thresholds;           /* per-class minimum scores, in file order, distinct names */
    sc_config_class_threshold class_thresholds[SC_CONFIG_MAX_CLASSES];
    sc_config_names allow;            /* only these classes (empty = all) */
    sc_config_names deny;             /* never these classes */
    int max_detections;               /* per frame, 1..100 */
    double min_box_area;              /* boxes smaller than this fraction of the image are dropped */
} sc_config_detection;

typedef struct sc_config_display {
    sc_config_display_mode enabled;
    int fullscreen;
    int width, height;                /* initial window size; 0 = the video's size, else 64..16384 */
    int hud;                          /* the statistics overlay */
    double font_scale;                /* label text scale; 0 = from the window size, else 0.5..8 */
} sc_config_display;

typedef struct sc_config_log {
    char path[SC_CONFIG_MAX_PATH];    /* detections log; "" = no log file */
    sc_config_log_format format;
    int every_frame;                  /* 1: a line for frames without detections too */
    int fsync_interval_ms;            /* fsync() at most this often; 0 = never, else ≤ 3600000 */
    int64_t max_bytes;                /* rotate at this size; 0 = never, else ≥ 1024 */
    int max_files;                    /* rotated files kept (log.1 … log.N), 1..1000 */
} sc_config_log;

typedef struct sc_config {
    sc_config_source source;
    sc_config_model model;
    sc_config_detection detection;
    sc_config_display display;
    sc_config_log log;
} sc_config;

/* Fills *cfg with the defaults (every byte written, so two default configs compare equal
 * with memcmp too). */
void sc_config_defaults(sc_config *cfg);

/* Applies the YAML file at `path` on top of *cfg. Returns SC_OK; SC_E_IO when the file
 * cannot be opened or read ("PATH: cannot open: No such file or directory"); SC_E_RANGE when
 * it is larger than SC_CONFIG_MAX_FILE_BYTES; SC_E_FORMAT for a YAML syntax error or text
 * that is not UTF-8/UTF-16; SC_E_INVAL for unknown keys and bad values; SC_E_NOMEM.
 * err (may be NULL) receives the error lines described above, or "" on success. */
sc_status sc_config_load(sc_config *cfg, const char *path, char *err, size_t errlen);

/* The same for `len` bytes in memory; `name` stands for the file name in messages. */
sc_status sc_config_load_mem(sc_config *cfg, const void *data, size_t len, const char *name,
                             char *err, size_t errlen);

/* Applies one `--set` override "SECTION.KEY=VALUE". VALUE is read as a YAML value, so it
 * takes the forms a file does (`0.6`, `on`, `[person, car]` or `person,car`,
 * `{person: 0.7}`, `"a string # with a hash"`); an empty VALUE is null (the empty string
 * for strings, the empty list/map). Also accepted: "SECTION={key: value, ...}" (those keys
 * of the section) and "detection.per_class_thresholds.NAME=T" (adds or changes one class;
 * an empty T removes it). Errors as for a file, beginning with "--set: "; SC_E_INVAL (or
 * SC_E_FORMAT for a YAML syntax error in VALUE). */
sc_status sc_config_set(sc_config *cfg, const char *assignment, char *err, size_t errlen);

/* Checks that involve several keys: a file source kind needs source.path; a class may not
 * be in both detection.allow and detection.deny. SC_OK or SC_E_INVAL with err lines
 * ("source.path: required when source.kind is image"). */
sc_status sc_config_check(const sc_config *cfg, char *err, size_t errlen);

/* Defaults, then the file `path` (NULL: none), then `n_sets` overrides, then the checks.
 * Every error of every step is reported (cross-key errors name the line:column, or --set,
 * of the key that caused them). On success *cfg holds the result; on failure it is
 * unchanged and the status is that of the first error. */
sc_status sc_config_build(sc_config *cfg, const char *path, const char *const *sets, int n_sets,
                          char *err, size_t errlen);

/* Writes *cfg as a YAML document that sc_config_load reads back to an equal configuration
 * (every key, strings double-quoted and escaped, numbers in their shortest exact form).
 * Returns SC_OK or SC_E_IO when writing failed (ferror). */
sc_status sc_config_print(const sc_config *cfg, FILE *out);

/* 1 when every key of a and b has the same value (numbers compared with ==), else 0. */
int sc_config_equal(const sc_config *a, const sc_config *b);

/* The YAML spelling of an enum value ("mjpeg-file", "yuyv", "off", "csv"), for messages and
 * the HUD. Never NULL ("?" for a value out of range). */
const char *sc_config_source_kind_name(sc_config_source_kind k);
const char *sc_config_pixfmt_name(sc_config_pixfmt f);
const char *sc_config_display_mode_name(sc_config_display_mode m);
const char *sc_config_log_format_name(sc_config_log_format f);

#endif
