/* app/config.c — YAML configuration through libyaml's event API (the only user of libyaml).
 *
 * Why events and not libyaml's document loader: the loader builds the whole node graph first
 * and expands aliases, so a small hostile file could make it allocate a lot; with events we
 * hold one event at a time, refuse aliases, and know each value's line and column.
 *
 * Every key is described once in the `fields` table (section, name, type, storage offset,
 * accepted range); reading, --set, printing, comparing and the did-you-mean suggestions all
 * walk that table, so a new key is one line there plus its default.
 *
 * libyaml convention (STYLE.md §5): its functions return 1 for success and 0 for an error,
 * with parser.problem / problem_mark (0-based line and column) or, for undecodable text,
 * problem_offset (bytes). We add 1 to line and column; for offsets we count lines and
 * characters in the text ourselves. */
#include "app/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "core/log.h"   /* SC_PRINTF only: this file logs nothing */
#include "models/labels.h"

_Static_assert(SC_CONFIG_MAX_NAME == SC_LABELS_MAX_NAME + 1, "a class name holds any label name");

/* ---- the schema ------------------------------------------------------------------------ */

enum { S_SOURCE, S_MODEL, S_DETECTION, S_DISPLAY, S_LOG, N_SECTIONS };
static const char *const section_names[N_SECTIONS] = { "source", "model", "detection", "display", "log" };

typedef enum ftype {
    F_BOOL,       /* int 0/1 */
    F_INT,        /* int in lo..hi */
    F_BYTES,      /* int64_t in lo..hi; K/M/G suffixes */
    F_NUM,        /* double in lo..hi */
    F_STR,        /* char[cap] */
    F_ENUM,       /* an enum stored as int; names in `values` */
    F_RHO,        /* number lo..hi written to model.input_size as round(300·rho); not printed */
    F_NAMES,      /* sc_config_names */
    F_THRESHOLDS  /* detection.n_class_thresholds + class_thresholds[] */
} ftype;

typedef struct field {
    int section;
    const char *key;
    ftype type;
    size_t off;                 /* offsetof(sc_config, ...) */
    size_t cap;                 /* F_STR: size of the array */
    double lo, hi;              /* numbers: accepted range */
    int zero_ok;                /* 0 is accepted besides lo..hi (0 = off / auto) */
    int nonempty;               /* F_STR: "" is refused */
    const char *const *values;  /* F_ENUM: value names, NULL-terminated */
} field;

static const char *const kind_names[] = { "auto", "camera", "image", "dir", "mjpeg-file", NULL };
static const char *const pixfmt_names[] = { "auto", "mjpeg", "yuyv", NULL };
static const char *const display_names[] = { "auto", "on", "off", NULL };
static const char *const decode_scale_names[] = { "auto", "full", NULL };
static const char *const logfmt_names[] = { "jsonl", "csv", NULL };

_Static_assert(sizeof(sc_config_source_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sc_config_pixfmt) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sc_config_display_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sc_config_decode_scale) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(sc_config_log_format) == sizeof(int), "enums are stored as int");

#define OFF(m) offsetof(sc_config, m)
#define SIZE(m) sizeof(((sc_config *)0)->m)
#define BOOLF(s, k, m)          { s, k, F_BOOL, OFF(m), 0, 0, 1, 0, 0, NULL }
#define INTF(s, k, m, lo, hi, z) { s, k, F_INT, OFF(m), 0, lo, hi, z, 0, NULL }
#define NUMF(s, k, m, lo, hi, z) { s, k, F_NUM, OFF(m), 0, lo, hi, z, 0, NULL }
#define STRF(s, k, m, ne)       { s, k, F_STR, OFF(m), SIZE(m), 0, 0, 0, ne, NULL }
#define ENUMF(s, k, m, names)   { s, k, F_ENUM, OFF(m), 0, 0, 0, 0, 0, names }

#define MAX_BYTES_VALUE 1125899906842624.0   /* 2^50 = 1 PiB */

static const field fields[] = {
    ENUMF(S_SOURCE, "kind", source.kind, kind_names),
    STRF(S_SOURCE, "device", source.device, 1),
    ENUMF(S_SOURCE, "pixel_format", source.pixel_format, pixfmt_names),
    INTF(S_SOURCE, "width", source.width, 16, 8192, 0),
    INTF(S_SOURCE, "height", source.height, 16, 8192, 0),
    INTF(S_SOURCE, "fps", source.fps, 1, 240, 0),
    STRF(S_SOURCE, "path", source.path, 0),
    BOOLF(S_SOURCE, "loop", source.loop),
    NUMF(S_SOURCE, "rate", source.rate, 0, 1000, 0),
    INTF(S_SOURCE, "buffers", source.buffers, 3, 8, 0),
    INTF(S_SOURCE, "reconnect_interval_ms", source.reconnect_interval_ms, 100, 60000, 0),
    INTF(S_SOURCE, "frame_timeout_ms", source.frame_timeout_ms, 100, 60000, 0),
    ENUMF(S_SOURCE, "decode_scale", source.decode_scale, decode_scale_names),

    STRF(S_MODEL, "path", model.path, 0),
    STRF(S_MODEL, "labels", model.labels, 0),
    INTF(S_MODEL, "input_size", model.input_size, 64, 1024, 1),
    { S_MODEL, "rho", F_RHO, OFF(model.input_size), 0, 0.5, 1, 0, 0, NULL },
    BOOLF(S_MODEL, "letterbox", model.letterbox),
    INTF(S_MODEL, "threads", model.threads, 0, 64, 0),
    BOOLF(S_MODEL, "float", model.use_float),

    NUMF(S_DETECTION, "threshold", detection.threshold, 0, 1, 0),
    { S_DETECTION, "per_class_thresholds", F_THRESHOLDS, OFF(detection), 0, 0, 1, 0, 0, NULL },
    { S_DETECTION, "allow", F_NAMES, OFF(detection.allow), 0, 0, 0, 0, 0, NULL },
    { S_DETECTION, "deny", F_NAMES, OFF(detection.deny), 0, 0, 0, 0, 0, NULL },
    INTF(S_DETECTION, "max_detections", detection.max_detections, 1, 100, 0),
    NUMF(S_DETECTION, "min_box_area", detection.min_box_area, 0, 1, 0),

    ENUMF(S_DISPLAY, "enabled", display.enabled, display_names),
    BOOLF(S_DISPLAY, "fullscreen", display.fullscreen),
    INTF(S_DISPLAY, "width", display.width, 64, 16384, 1),
    INTF(S_DISPLAY, "height", display.height, 64, 16384, 1),
    BOOLF(S_DISPLAY, "hud", display.hud),
    NUMF(S_DISPLAY, "font_scale", display.font_scale, 0.5, 8, 1),

    STRF(S_LOG, "path", log.path, 0),
    ENUMF(S_LOG, "format", log.format, logfmt_names),
    BOOLF(S_LOG, "every_frame", log.every_frame),
    INTF(S_LOG, "fsync_interval_ms", log.fsync_interval_ms, 0, 3600000, 0),
    { S_LOG, "max_bytes", F_BYTES, OFF(log.max_bytes), 0, 1024, MAX_BYTES_VALUE, 1, 0, NULL },
    INTF(S_LOG, "max_files", log.max_files, 1, 1000, 0),
};
#define N_FIELDS ((int)SC_ARRAY_LEN(fields))

void sc_config_defaults(sc_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    sc_config_source *s = &cfg->source;
    s->kind = SC_CONFIG_SOURCE_AUTO;
    strcpy(s->device, "auto");
    s->pixel_format = SC_CONFIG_PIXFMT_AUTO;
    s->width = 640;
    s->height = 480;
    s->fps = 30;
    s->loop = 0;
    s->rate = 30;
    s->buffers = 4;
    s->reconnect_interval_ms = 1000;
    s->frame_timeout_ms = 2000;

    sc_config_model *m = &cfg->model;
    m->input_size = 0;
    m->letterbox = 0;
    m->threads = 0;
    m->use_float = 0;

    sc_config_detection *d = &cfg->detection;
    d->threshold = 0.5;
    d->max_detections = 10;
    d->min_box_area = 0;

    sc_config_display *w = &cfg->display;
    w->enabled = SC_CONFIG_DISPLAY_AUTO;
    w->fullscreen = 0;
    w->width = 0;
    w->height = 0;
    w->hud = 1;
    w->font_scale = 0;

    sc_config_log *l = &cfg->log;
    l->format = SC_CONFIG_LOG_JSONL;
    l->every_frame = 0;
    l->fsync_interval_ms = 1000;
    l->max_bytes = 0;
    l->max_files = 5;
}

static const char *enum_name(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : "?";
}
const char *sc_config_source_kind_name(sc_config_source_kind k) { return enum_name(kind_names, 5, (int)k); }
const char *sc_config_pixfmt_name(sc_config_pixfmt f) { return enum_name(pixfmt_names, 3, (int)f); }
const char *sc_config_display_mode_name(sc_config_display_mode m) { return enum_name(display_names, 3, (int)m); }
const char *sc_config_log_format_name(sc_config_log_format f) { return enum_name(logfmt_names, 2, (int)f); }

static int find_field(int section, const char *key)
{
    for (int i = 0; i < N_FIELDS; i++)
        if (fields[i].section == section && !strcmp(fields[i].key, key)) return i;
    return -1;
}

static int find_section(const char *name)
{
    for (int i = 0; i < N_SECTIONS; i++)
        if (!strcmp(section_names[i], name)) return i;
    return -1;
}

/* ---- error reports ------------------------------------------------------------------- */

/* Where a value came from: file "F", line 0 → "F: "; file NULL → no prefix. */
typedef struct loc {
    const char *file;
    int line, col;              /* 1-based; 0 = no position */
} loc;

typedef struct report {
    char *buf;
    size_t cap, len;
    int n;                      /* errors found (also those not written) */
    sc_status st;               /* the first error's status */
} report;

static void report_init(report *r, char *err, size_t errlen)
{
    r->buf = errlen ? err : NULL;
    r->cap = err ? errlen : 0;
    r->len = 0;
    r->n = 0;
    r->st = SC_OK;
    if (r->buf) r->buf[0] = 0;
}

static void report_append(report *r, const char *fmt, ...) SC_PRINTF(2, 3);
static void report_append(report *r, const char *fmt, ...)
{
    if (!r->buf || r->len + 1 >= r->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    r->len = SC_MIN(r->len + (size_t)k, r->cap - 1);
}

static void report_add(report *r, sc_status st, loc at, const char *fmt, ...) SC_PRINTF(4, 5);
static void report_add(report *r, sc_status st, loc at, const char *fmt, ...)
{
    if (r->st == SC_OK) r->st = st;
    if (++r->n > SC_CONFIG_MAX_ERRORS || !r->buf) return;
    if (r->len) report_append(r, "\n");
    if (at.file && at.line > 0) report_append(r, "%s:%d:%d: ", at.file, at.line, at.col);
    else if (at.file) report_append(r, "%s: ", at.file);
    if (r->len + 1 >= r->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
    va_end(ap);
    if (k > 0) r->len = SC_MIN(r->len + (size_t)k, r->cap - 1);
}

static void report_finish(report *r)
{
    if (r->n > SC_CONFIG_MAX_ERRORS)   /* reading stopped at the first error past the limit */
        report_append(r, "\n(too many errors: stopped after %d)", SC_CONFIG_MAX_ERRORS);
}

/* A value as text for a message: at most 40 bytes, control bytes as '?'. */
static const char *show(const char *s, size_t len, char *buf, size_t n)
{
    size_t k = 0, lim = SC_MIN(len, (size_t)40);
    if (lim < len)   /* do not cut a UTF-8 sequence */
        while (lim && ((unsigned char)s[lim] & 0xC0) == 0x80) lim--;
    for (size_t i = 0; i < lim && k + 4 < n; i++)
        buf[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (lim < len && k + 4 < n) { memcpy(buf + k, "...", 3); k += 3; }
    buf[k] = 0;
    return buf;
}

/* ---- did you mean ----------------------------------------------------------------------- */

/* Optimal-string-alignment distance (an adjacent swap counts 1), ASCII case folded, capped:
 * returns 3 for anything above 2. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > 2) return 3;
    int row[3][65];
    for (size_t j = 0; j <= lb; j++) row[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int *cur = row[i % 3], *prev = row[(i - 1) % 3], *prev2 = row[(i + 1) % 3];
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = a[i - 1] >= 'A' && a[i - 1] <= 'Z' ? a[i - 1] + 32 : a[i - 1];
            int cb = b[j - 1] >= 'A' && b[j - 1] <= 'Z' ? b[j - 1] + 32 : b[j - 1];
            int cost = ca != cb;
            int v = SC_MIN(SC_MIN(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            if (i > 1 && j > 1) {
                int pa = a[i - 2] >= 'A' && a[i - 2] <= 'Z' ? a[i - 2] + 32 : a[i - 2];
                int pb = b[j - 2] >= 'A' && b[j - 2] <= 'Z' ? b[j - 2] + 32 : b[j - 2];
                if (ca == pb && pa == cb) v = SC_MIN(v, prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
    }
    int d = row[la % 3][lb];
    return d > 2 ? 3 : d;
}

typedef struct suggestion {
    char text[80];
    int score;                  /* lower is better; 99 = none yet */
} suggestion;

/* Considers `cand` (shown as `shown`) for the unknown word: edit distance ≤ 2 (and smaller
 * than the word, so a short word is not "corrected" into anything), or the word is a prefix
 * of the candidate (≥ 2 characters). */
static void consider(suggestion *s, const char *word, const char *cand, const char *shown)
{
    size_t lw = strlen(word);
    int d = edit_distance(word, cand);
    int score = 99;
    if (d <= 2 && (size_t)d < lw) score = d;
    else if (lw >= 2 && strlen(cand) > lw && !strncasecmp(cand, word, lw)) score = 3;
    if (score < s->score) {
        s->score = score;
        snprintf(s->text, sizeof(s->text), "%s", shown);
    }
}

static const char *did_you_mean(const suggestion *s, char *buf, size_t n)
{
    if (s->score >= 99) return "";
    snprintf(buf, n, "; did you mean '%s'?", s->text);
    return buf;
}

/* ---- reading -------------------------------------------------------------------------- */

typedef struct parse {
    yaml_parser_t yp;
    sc_config *cfg;
    report *r;
    const char *file;           /* the name in messages ("--set" for overrides) */
    int is_set;                 /* messages carry no line:column */
    const char *set_key;        /* --set: the KEY, for syntax errors in the value */
    const unsigned char *text;  /* the input, to place reader (encoding) errors */
    size_t text_len;
    loc *origins;               /* per field, where it was last set; NULL = not tracked */
    int stop;                   /* syntax error or too many errors: read no further */
    int seen[N_FIELDS];         /* line of a key's first occurrence (−1 in --set) */
    int sec_seen[N_SECTIONS];
} parse;

static loc at_mark(const parse *p, yaml_mark_t m)
{
    loc l = { p->file, 0, 0 };
    if (!p->is_set) {
        l.line = (int)m.line + 1;
        l.col = (int)m.column + 1;
    }
    return l;
}

static void perr(parse *p, sc_status st, yaml_mark_t m, const char *fmt, ...) SC_PRINTF(4, 5);
static void perr(parse *p, sc_status st, yaml_mark_t m, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    report_add(p->r, st, at_mark(p, m), "%s", msg);
    if (p->r->n > SC_CONFIG_MAX_ERRORS) p->stop = 1;
}

/* Line and column of byte `off` of the text (lines end at \n, \r\n or \r; a column is a
 * character, i.e. a UTF-8 lead byte). */
static void offset_to_line_col(const unsigned char *t, size_t len, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (t[i] == '\n' || (t[i] == '\r' && (i + 1 >= len || t[i + 1] != '\n'))) { l++; c = 1; }
        else if (t[i] == '\r') continue;
        else if ((t[i] & 0xC0) != 0x80) c++;
    }
    *line = l;
    *col = c;
}

static void report_yaml_error(parse *p)
{
    const yaml_parser_t *y = &p->yp;
    p->stop = 1;
    if (y->error == YAML_MEMORY_ERROR) {
        report_add(p->r, SC_E_NOMEM, (loc){ p->file, 0, 0 }, "out of memory while reading YAML");
        return;
    }
    const char *problem = y->problem ? y->problem : "unknown error";
    char extra[160] = "";
    loc l = { p->file, 0, 0 };
    if (y->error == YAML_READER_ERROR) {
        if (y->problem_value != -1) snprintf(extra, sizeof(extra), " (0x%X)", (unsigned)y->problem_value);
        offset_to_line_col(p->text, p->text_len, y->problem_offset, &l.line, &l.col);
    } else {
        l.line = (int)y->problem_mark.line + 1;
        l.col = (int)y->problem_mark.column + 1;
        if (y->context && p->is_set)   /* a one-line value: columns only */
            snprintf(extra, sizeof(extra), " (%s at column %d)", y->context, (int)y->context_mark.column + 1);
        else if (y->context)
            snprintf(extra, sizeof(extra), " (%s at line %d, column %d)", y->context,
                     (int)y->context_mark.line + 1, (int)y->context_mark.column + 1);
    }
    if (p->is_set) {
        char where[48] = "at the end of the value";   /* libyaml puts the end of the text on a new line */
        int n_chars = 0;
        for (const unsigned char *q = p->text; q < p->text + p->text_len; q++) n_chars += (*q & 0xC0) != 0x80;
        if (l.line == 1 && l.col <= n_chars) snprintf(where, sizeof(where), "at column %d of the value", l.col);
        report_add(p->r, SC_E_FORMAT, (loc){ p->file, 0, 0 }, "%s: YAML syntax error %s: %s%s",
                   p->set_key, where, problem, extra);
        return;
    }
    if (y->error == YAML_READER_ERROR)
        report_add(p->r, SC_E_FORMAT, l, "not valid text: %s%s", problem, extra);
    else
        report_add(p->r, SC_E_FORMAT, l, "YAML syntax error: %s%s", problem, extra);
}

/* The next event, or 0 after reporting libyaml's error (ev is then empty). */
static int next_event(parse *p, yaml_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    if (p->stop) return 0;
    if (yaml_parser_parse(&p->yp, ev)) return 1;
    report_yaml_error(p);
    return 0;
}

static int is_start(const yaml_event_t *ev)
{
    return ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT;
}

/* Consumes the rest of the node that begins with `first` (deleted here). Nodes nested deeper
 * than MAX_SKIP_DEPTH stop the reading: libyaml's scanner spends time proportional to the
 * flow nesting depth on every token, so 100 KB of '[' would take seconds. */
#define MAX_SKIP_DEPTH 32
static void skip_node(parse *p, yaml_event_t *first)
{
    int depth = is_start(first) ? 1 : 0;
    yaml_event_delete(first);
    while (depth > 0) {
        yaml_event_t ev;
        if (!next_event(p, &ev)) return;
        if (is_start(&ev) && ++depth > MAX_SKIP_DEPTH) {
            perr(p, SC_E_INVAL, ev.start_mark, "nested deeper than %d levels", MAX_SKIP_DEPTH);
            p->stop = 1;
            yaml_event_delete(&ev);
            return;
        }
        if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) depth--;
        yaml_event_delete(&ev);
    }
}

static const char *node_kind(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT: return "a mapping";
    case YAML_SEQUENCE_START_EVENT: return "a list";
    case YAML_ALIAS_EVENT: return "an alias";
    default: return "something else";
    }
}

static const char *scalar_text(const yaml_event_t *ev) { return (const char *)ev->data.scalar.value; }

static int is_null(const yaml_event_t *ev)
{
    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = scalar_text(ev);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int is_quoted(const yaml_event_t *ev)
{
    return ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
}

static int has_nul(const yaml_event_t *ev)
{
    return memchr(ev->data.scalar.value, 0, ev->data.scalar.length) != NULL;
}

static void field_name(const field *f, char *buf, size_t n)
{
    snprintf(buf, n, "%s.%s", section_names[f->section], f->key);
}

static void note_origin(parse *p, int fi, yaml_mark_t m)
{
    if (!p->origins) return;
    p->origins[fi] = at_mark(p, m);
    if (p->is_set) p->origins[fi] = (loc){ "--set", 0, 0 };
    if (fields[fi].type == F_RHO) p->origins[find_field(S_MODEL, "input_size")] = p->origins[fi];
}

/* Decimal numbers only: [+-]digits[.digits][e[+-]digits]; no hex, inf or nan. */
static int parse_number(const char *s, double *out)
{
    if (!*s) return 0;
    for (const char *q = s; *q; q++)
        if (!strchr("0123456789+-.eE", *q)) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || isnan(v)) return 0;
    *out = v;   /* ±HUGE_VAL on overflow: then out of any range */
    return 1;
}

static int parse_integer(const char *s, long long *out)
{
    const char *q = s;
    if (*q == '+' || *q == '-') q++;
    if (!*q) return 0;
    for (; *q; q++)
        if (*q < '0' || *q > '9') return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end) return 0;
    *out = v;   /* LLONG_MIN/MAX on overflow: then out of any range */
    return 1;
}

/* Bytes: digits with an optional K, M, G or T (KiB...TiB also), powers of 1024. */
static int parse_bytes(const char *s, double *out)
{
    const char *q = s;
    double v = 0;
    if (*q < '0' || *q > '9') return 0;
    for (; *q >= '0' && *q <= '9'; q++) v = v * 10 + (*q - '0');
    if (*q) {
        static const char units[] = "KMGT";
        const char *u = strchr(units, *q >= 'a' ? *q - 32 : *q);
        if (!u || !*u) return 0;
        q++;
        if (!strcmp(q, "iB")) q += 2;
        if (*q) return 0;
        for (int k = 0; k <= u - units; k++) v *= 1024;
    }
    *out = v;
    return 1;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
    for (int i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i])) { *out = 1; return 1; }
        if (!strcasecmp(s, no[i])) { *out = 0; return 1; }
    }
    return 0;
}

static int in_range(const field *f, double v)
{
    return (v >= f->lo && v <= f->hi) || (f->zero_ok && v == 0);
}

static void range_error(parse *p, const yaml_event_t *ev, const char *name, const field *f)
{
    char b[64];
    const char *txt = show(scalar_text(ev), ev->data.scalar.length, b, sizeof(b));
    if (f->zero_ok)
        perr(p, SC_E_INVAL, ev->start_mark, "%s: %s is not 0 or between %g and %g", name, txt, f->lo, f->hi);
    else
        perr(p, SC_E_INVAL, ev->start_mark, "%s: %s is not between %g and %g", name, txt, f->lo, f->hi);
}

static const char *type_text(const field *f)
{
    switch (f->type) {
    case F_BOOL: return "true or false";
    case F_INT: return "an integer";
    case F_BYTES: return "a size in bytes (e.g. 1048576, 64M or 2G)";
    case F_NUM: case F_RHO: return "a number";
    case F_STR: return "a string";
    case F_ENUM: return "one of";
    case F_NAMES: return "a list of class names";
    case F_THRESHOLDS: return "a mapping of class name: threshold";
    }
    return "?";
}

static void type_error(parse *p, const yaml_event_t *ev, const char *name, const field *f)
{
    char b[64];
    if (ev->type == YAML_ALIAS_EVENT)
        perr(p, SC_E_INVAL, ev->start_mark, "%s: aliases (*%s) are not supported", name,
             show((const char *)ev->data.alias.anchor, strlen((const char *)ev->data.alias.anchor), b, sizeof(b)));
    else if (ev->type != YAML_SCALAR_EVENT)
        perr(p, SC_E_INVAL, ev->start_mark, "%s: expected %s, got %s", name, type_text(f), node_kind(ev));
    else if (is_null(ev))
        perr(p, SC_E_INVAL, ev->start_mark, "%s: expected %s, got no value", name, type_text(f));
    else if (is_quoted(ev))
        perr(p, SC_E_INVAL, ev->start_mark, "%s: expected %s, got the string \"%s\" (remove the quotes)",
             name, type_text(f), show(scalar_text(ev), ev->data.scalar.length, b, sizeof(b)));
    else
        perr(p, SC_E_INVAL, ev->start_mark, "%s: expected %s, got '%s'", name, type_text(f),
             show(scalar_text(ev), ev->data.scalar.length, b, sizeof(b)));
}

/* A scalar into field fi. Does not consume the event. */
static void set_scalar(parse *p, int fi, const yaml_event_t *ev)
{
    const field *f = &fields[fi];
    char *base = (char *)p->cfg + f->off;
    char name[64], b[64];
    field_name(f, name, sizeof(name));
    const char *s = scalar_text(ev);
    size_t len = ev->data.scalar.length;
    if (has_nul(ev)) {
        perr(p, SC_E_INVAL, ev->start_mark, "%s: contains a NUL character", name);
        return;
    }
    switch (f->type) {
    case F_BOOL: {
        int v;
        if (is_quoted(ev) || !parse_bool(s, &v)) { type_error(p, ev, name, f); return; }
        *(int *)base = v;
        break;
    }
    case F_INT: {
        long long v;
        if (is_quoted(ev) || !parse_integer(s, &v)) { type_error(p, ev, name, f); return; }
        if (!in_range(f, (double)v)) { range_error(p, ev, name, f); return; }
        *(int *)base = (int)v;
        break;
    }
    case F_BYTES: {
        double v;
        if (is_quoted(ev) || !parse_bytes(s, &v)) { type_error(p, ev, name, f); return; }
        if (!in_range(f, v)) { range_error(p, ev, name, f); return; }
        *(int64_t *)base = (int64_t)v;
        break;
    }
    case F_NUM: case F_RHO: {
        double v;
        if (is_quoted(ev) || !parse_number(s, &v)) { type_error(p, ev, name, f); return; }
        if (!in_range(f, v)) { range_error(p, ev, name, f); return; }
        if (f->type == F_RHO) *(int *)base = (int)(300.0 * v + 0.5);
        else *(double *)base = v;
        break;
    }
    case F_STR:
        if (is_null(ev)) len = 0;
        if (len >= f->cap) {
            perr(p, SC_E_INVAL, ev->start_mark, "%s: longer than %zu bytes", name, f->cap - 1);
            return;
        }
        if (!len && f->nonempty) {
            perr(p, SC_E_INVAL, ev->start_mark, "%s: must not be empty", name);
            return;
        }
        memcpy(base, s, len);
        memset(base + len, 0, f->cap - len);
        break;
    case F_ENUM: {
        int v = -1;
        for (int k = 0; f->values[k]; k++)
            if (!strcasecmp(s, f->values[k])) v = k;
        if (v < 0 && f->values == display_names && !is_quoted(ev) && parse_bool(s, &v))
            v = v ? SC_CONFIG_DISPLAY_ON : SC_CONFIG_DISPLAY_OFF;
        if (v < 0) {
            char list[128] = "", hint[112];
            suggestion sg = { "", 99 };
            for (int k = 0; f->values[k]; k++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof(list) - l, "%s%s", k ? ", " : "", f->values[k]);
                consider(&sg, s, f->values[k], f->values[k]);
            }
            perr(p, SC_E_INVAL, ev->start_mark, "%s: '%s' is not one of %s%s", name,
                 show(s, len, b, sizeof(b)), list, did_you_mean(&sg, hint, sizeof(hint)));
            return;
        }
        *(int *)base = v;
        break;
    }
    case F_NAMES: case F_THRESHOLDS:
        SC_ASSERT(0);
    }
    note_origin(p, fi, ev->start_mark);
}

/* Trims spaces and tabs; returns the new length. */
static size_t trim(const char **s, size_t len)
{
    while (len && (**s == ' ' || **s == '\t')) { (*s)++; len--; }
    while (len && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t')) len--;
    return len;
}

/* Checks a class name; 1 if it may be used. */
static int check_name(parse *p, const char *what, const char *s, size_t len, yaml_mark_t m)
{
    if (!len) {
        perr(p, SC_E_INVAL, m, "%s: empty class name", what);
        return 0;
    }
    if (len >= SC_CONFIG_MAX_NAME) {
        perr(p, SC_E_INVAL, m, "%s: class name longer than %d bytes", what, SC_CONFIG_MAX_NAME - 1);
        return 0;
    }
    if (memchr(s, 0, len)) {
        perr(p, SC_E_INVAL, m, "%s: contains a NUL character", what);
        return 0;
    }
    return 1;
}

static void add_name(parse *p, sc_config_names *l, const char *what, const char *s, size_t len,
                     yaml_mark_t m, int *full)
{
    char b[64];
    len = trim(&s, len);
    if (!check_name(p, what, s, len, m)) return;
    for (int i = 0; i < l->n; i++)
        if (strlen(l->name[i]) == len && !memcmp(l->name[i], s, len)) {
            perr(p, SC_E_INVAL, m, "%s: '%s' is listed twice", what, show(s, len, b, sizeof(b)));
            return;
        }
    if (l->n >= SC_CONFIG_MAX_CLASSES) {
        if (!*full) perr(p, SC_E_INVAL, m, "%s: more than %d names", what, SC_CONFIG_MAX_CLASSES);
        *full = 1;
        return;
    }
    memset(l->name[l->n], 0, SC_CONFIG_MAX_NAME);
    memcpy(l->name[l->n], s, len);
    l->n++;
}

/* allow/deny: a sequence of names, or one comma-separated scalar, or null. Consumes ev. */
static void set_names(parse *p, int fi, yaml_event_t *ev)
{
    const field *f = &fields[fi];
    sc_config_names *l = (sc_config_names *)((char *)p->cfg + f->off);
    char name[64];
    field_name(f, name, sizeof(name));
    int full = 0;
    if (ev->type == YAML_SCALAR_EVENT) {
        l->n = 0;
        const char *s = scalar_text(ev);
        size_t len = ev->data.scalar.length;
        const char *t = s;
        if (!is_null(ev) && trim(&t, len)) {
            for (;;) {
                const char *comma = memchr(s, ',', len);
                size_t k = comma ? (size_t)(comma - s) : len;
                add_name(p, l, name, s, k, ev->start_mark, &full);
                if (!comma) break;
                s += k + 1;
                len -= k + 1;
            }
        }
        note_origin(p, fi, ev->start_mark);
        yaml_event_delete(ev);
        return;
    }
    if (ev->type != YAML_SEQUENCE_START_EVENT) {
        type_error(p, ev, name, f);
        skip_node(p, ev);
        return;
    }
    l->n = 0;
    note_origin(p, fi, ev->start_mark);
    yaml_event_delete(ev);
    for (;;) {
        yaml_event_t it;
        if (!next_event(p, &it)) return;
        if (it.type == YAML_SEQUENCE_END_EVENT) { yaml_event_delete(&it); return; }
        if (it.type != YAML_SCALAR_EVENT || is_null(&it)) {
            if (it.type == YAML_ALIAS_EVENT) type_error(p, &it, name, f);
            else if (it.type == YAML_SCALAR_EVENT) perr(p, SC_E_INVAL, it.start_mark, "%s: empty class name", name);
            else perr(p, SC_E_INVAL, it.start_mark, "%s: each entry must be a class name, got %s", name, node_kind(&it));
            skip_node(p, &it);
        } else {
            add_name(p, l, name, scalar_text(&it), it.data.scalar.length, it.start_mark, &full);
            yaml_event_delete(&it);
        }
        if (p->stop) return;
    }
}

/* One class threshold: name (untrimmed) and a number event. Returns 1 if stored. */
static int put_class_threshold(parse *p, const char *s, size_t len, const yaml_event_t *val,
                               yaml_mark_t key_mark, int replace, int *full)
{
    sc_config_detection *d = &p->cfg->detection;
    const field *f = &fields[find_field(S_DETECTION, "per_class_thresholds")];
    char what[64 + SC_CONFIG_MAX_NAME], b[64];
    len = trim(&s, len);
    if (!check_name(p, "detection.per_class_thresholds", s, len, key_mark)) return 0;
    snprintf(what, sizeof(what), "detection.per_class_thresholds.%s", show(s, len, b, sizeof(b)));
    int slot = d->n_class_thresholds;
    for (int i = 0; i < d->n_class_thresholds; i++)
        if (strlen(d->class_thresholds[i].name) == len && !memcmp(d->class_thresholds[i].name, s, len)) {
            if (!replace) {
                perr(p, SC_E_INVAL, key_mark, "detection.per_class_thresholds: duplicate key '%s'",
                     show(s, len, b, sizeof(b)));
                return 0;
            }
            slot = i;
        }
    double v;
    if (val->type != YAML_SCALAR_EVENT || is_quoted(val) || has_nul(val) || !parse_number(scalar_text(val), &v)) {
        type_error(p, val, what, &(field){ .type = F_NUM });
        return 0;
    }
    if (!in_range(f, v)) { range_error(p, val, what, f); return 0; }
    if (slot == d->n_class_thresholds) {
        if (slot >= SC_CONFIG_MAX_CLASSES) {
            if (!*full) perr(p, SC_E_INVAL, key_mark, "detection.per_class_thresholds: more than %d classes",
                             SC_CONFIG_MAX_CLASSES);
            *full = 1;
            return 0;
        }
        d->n_class_thresholds++;
        memset(d->class_thresholds[slot].name, 0, SC_CONFIG_MAX_NAME);
        memcpy(d->class_thresholds[slot].name, s, len);
    }
    d->class_thresholds[slot].threshold = v;
    return 1;
}

/* per_class_thresholds: a mapping name → number, or null. Consumes ev. */
static void set_thresholds(parse *p, int fi, yaml_event_t *ev)
{
    const field *f = &fields[fi];
    if (is_null(ev)) {
        p->cfg->detection.n_class_thresholds = 0;
        note_origin(p, fi, ev->start_mark);
        yaml_event_delete(ev);
        return;
    }
    if (ev->type != YAML_MAPPING_START_EVENT) {
        type_error(p, ev, "detection.per_class_thresholds", f);
        skip_node(p, ev);
        return;
    }
    p->cfg->detection.n_class_thresholds = 0;
    note_origin(p, fi, ev->start_mark);
    yaml_event_delete(ev);
    int full = 0;
    for (;;) {
        yaml_event_t k, v;
        if (!next_event(p, &k)) return;
        if (k.type == YAML_MAPPING_END_EVENT) { yaml_event_delete(&k); return; }
        if (k.type != YAML_SCALAR_EVENT) {
            perr(p, SC_E_INVAL, k.start_mark, "detection.per_class_thresholds: a key must be a class name, got %s",
                 node_kind(&k));
            skip_node(p, &k);
            if (!next_event(p, &v)) return;
            skip_node(p, &v);
        } else {
            if (!next_event(p, &v)) { yaml_event_delete(&k); return; }
            put_class_threshold(p, scalar_text(&k), k.data.scalar.length, &v, k.start_mark, 0, &full);
            yaml_event_delete(&k);
            skip_node(p, &v);
        }
        if (p->stop) return;
    }
}

/* The value node of field fi, beginning with ev (consumed). */
static void set_value(parse *p, int fi, yaml_event_t *ev)
{
    const field *f = &fields[fi];
    if (f->type == F_NAMES) { set_names(p, fi, ev); return; }
    if (f->type == F_THRESHOLDS) { set_thresholds(p, fi, ev); return; }
    if (ev->type != YAML_SCALAR_EVENT) {
        char name[64];
        field_name(f, name, sizeof(name));
        type_error(p, ev, name, f);
    } else {
        set_scalar(p, fi, ev);
    }
    skip_node(p, ev);
}

/* A key event that must be a plain name: 1, or 0 after reporting and skipping the key and
 * its value. `where` names the mapping in the message. */
static int key_ok(parse *p, yaml_event_t *k, const char *where)
{
    if (k->type == YAML_SCALAR_EVENT && !has_nul(k)) return 1;
    if (k->type == YAML_SCALAR_EVENT) perr(p, SC_E_INVAL, k->start_mark, "%s: a key contains a NUL character", where);
    else perr(p, SC_E_INVAL, k->start_mark, "%s: a key must be a name, got %s", where, node_kind(k));
    skip_node(p, k);
    yaml_event_t v;
    if (next_event(p, &v)) skip_node(p, &v);
    return 0;
}

/* The key mapping of one section, beginning with ev (consumed). */
static void parse_section(parse *p, int sec, yaml_event_t *ev)
{
    const char *sname = section_names[sec];
    if (is_null(ev)) { yaml_event_delete(ev); return; }
    if (ev->type != YAML_MAPPING_START_EVENT) {
        if (ev->type == YAML_ALIAS_EVENT)
            perr(p, SC_E_INVAL, ev->start_mark, "%s: aliases are not supported", sname);
        else if (ev->type == YAML_SCALAR_EVENT) {
            char b[64];
            perr(p, SC_E_INVAL, ev->start_mark, "%s: expected a mapping of keys, got '%s'", sname,
                 show(scalar_text(ev), ev->data.scalar.length, b, sizeof(b)));
        } else
            perr(p, SC_E_INVAL, ev->start_mark, "%s: expected a mapping of keys, got %s", sname, node_kind(ev));
        skip_node(p, ev);
        return;
    }
    yaml_event_delete(ev);
    int fi_size = find_field(S_MODEL, "input_size"), fi_rho = find_field(S_MODEL, "rho");
    for (;;) {
        yaml_event_t k, v;
        char b[64], hint[112];
        if (!next_event(p, &k)) return;
        if (k.type == YAML_MAPPING_END_EVENT) { yaml_event_delete(&k); return; }
        if (!key_ok(p, &k, sname)) { if (p->stop) return; continue; }
        const char *key = scalar_text(&k);
        int fi = find_field(sec, key);
        int skip = 1;
        if (fi < 0) {
            suggestion sg = { "", 99 };
            for (int i = 0; i < N_FIELDS; i++)
                if (fields[i].section == sec) consider(&sg, key, fields[i].key, fields[i].key);
            if (sg.score >= 99)
                for (int i = 0; i < N_FIELDS; i++)
                    if (fields[i].section != sec && !strcasecmp(key, fields[i].key)) {
                        field_name(&fields[i], sg.text, sizeof(sg.text));
                        sg.score = 0;
                        break;
                    }
            perr(p, SC_E_INVAL, k.start_mark, "%s: unknown key '%s'%s", sname,
                 show(key, k.data.scalar.length, b, sizeof(b)), did_you_mean(&sg, hint, sizeof(hint)));
        } else if (p->seen[fi]) {
            if (p->is_set) perr(p, SC_E_INVAL, k.start_mark, "%s: duplicate key '%s'", sname, key);
            else perr(p, SC_E_INVAL, k.start_mark, "%s: duplicate key '%s' (first at line %d)", sname, key, p->seen[fi]);
        } else if ((fi == fi_size && p->seen[fi_rho]) || (fi == fi_rho && p->seen[fi_size])) {
            perr(p, SC_E_INVAL, k.start_mark, "model: give input_size or rho, not both");
        } else {
            p->seen[fi] = p->is_set ? -1 : (int)k.start_mark.line + 1;
            skip = 0;
        }
        yaml_event_delete(&k);
        if (!next_event(p, &v)) return;
        if (skip) skip_node(p, &v);
        else set_value(p, fi, &v);
        if (p->stop) return;
    }
}

static void parse_root(parse *p, yaml_event_t *ev)
{
    if (is_null(ev)) { yaml_event_delete(ev); return; }
    if (ev->type != YAML_MAPPING_START_EVENT) {
        perr(p, SC_E_INVAL, ev->start_mark,
             "the top level must be a mapping of sections (source, model, detection, display, log), not %s",
             ev->type == YAML_SCALAR_EVENT ? "a scalar" : node_kind(ev));
        skip_node(p, ev);
        return;
    }
    yaml_event_delete(ev);
    for (;;) {
        yaml_event_t k, v;
        char b[64], hint[112];
        if (!next_event(p, &k)) return;
        if (k.type == YAML_MAPPING_END_EVENT) { yaml_event_delete(&k); return; }
        if (!key_ok(p, &k, "top level")) { if (p->stop) return; continue; }
        const char *key = scalar_text(&k);
        int sec = find_section(key);
        if (sec < 0) {
            suggestion sg = { "", 99 };
            for (int i = 0; i < N_SECTIONS; i++) consider(&sg, key, section_names[i], section_names[i]);
            if (sg.score >= 99)
                for (int i = 0; i < N_FIELDS; i++)
                    if (!strcasecmp(key, fields[i].key)) {
                        field_name(&fields[i], sg.text, sizeof(sg.text));
                        sg.score = 0;
                        break;
                    }
            perr(p, SC_E_INVAL, k.start_mark, "unknown section '%s'%s",
                 show(key, k.data.scalar.length, b, sizeof(b)), did_you_mean(&sg, hint, sizeof(hint)));
        } else if (p->sec_seen[sec]) {
            perr(p, SC_E_INVAL, k.start_mark, "duplicate section '%s' (first at line %d)", key, p->sec_seen[sec]);
            sec = -1;
        } else {
            p->sec_seen[sec] = (int)k.start_mark.line + 1;
        }
        yaml_event_delete(&k);
        if (!next_event(p, &v)) return;
        if (sec < 0) skip_node(p, &v);
        else parse_section(p, sec, &v);
        if (p->stop) return;
    }
}

static int parse_begin(parse *p, sc_config *cfg, report *r, const char *file, const void *text, size_t len,
                       loc *origins)
{
    if (!text) text = "";
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->r = r;
    p->file = file;
    p->text = text;
    p->text_len = len;
    p->origins = origins;
    if (!yaml_parser_initialize(&p->yp)) {
        report_add(r, SC_E_NOMEM, (loc){ file, 0, 0 }, "out of memory");
        return 0;
    }
    yaml_parser_set_input_string(&p->yp, text, len);
    return 1;
}

/* A whole file's text on top of cfg. */
static void load_text(sc_config *cfg, const void *data, size_t len, const char *name, report *r, loc *origins)
{
    if (len > SC_CONFIG_MAX_FILE_BYTES) {
        report_add(r, SC_E_RANGE, (loc){ name, 0, 0 }, "larger than %zu bytes (%zu)", SC_CONFIG_MAX_FILE_BYTES, len);
        return;
    }
    parse p;
    if (!parse_begin(&p, cfg, r, name, data, len, origins)) return;
    yaml_event_t ev;
    if (next_event(&p, &ev)) {                                   /* STREAM-START */
        yaml_event_delete(&ev);
        if (next_event(&p, &ev)) {
            if (ev.type == YAML_DOCUMENT_START_EVENT) {
                yaml_event_delete(&ev);
                if (next_event(&p, &ev)) parse_root(&p, &ev);
                if (!p.stop && next_event(&p, &ev)) {            /* DOCUMENT-END */
                    yaml_event_delete(&ev);
                    if (next_event(&p, &ev) && ev.type == YAML_DOCUMENT_START_EVENT)
                        perr(&p, SC_E_INVAL, ev.start_mark, "a second YAML document: only one is allowed");
                }
            }
            yaml_event_delete(&ev);                              /* STREAM-END (empty text) */
        }
    }
    yaml_parser_delete(&p.yp);
}

/* Reads the whole file (at most SC_CONFIG_MAX_FILE_BYTES + 1 bytes) into *out. */
static sc_status read_file(const char *path, unsigned char **out, size_t *len, report *r)
{
    char msg[128];
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (strerror_r(e, msg, sizeof(msg))) snprintf(msg, sizeof(msg), "error %d", e);
        report_add(r, SC_E_IO, (loc){ path, 0, 0 }, "cannot open: %s", msg);
        return SC_E_IO;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    sc_status st = SC_OK;
    while (buf) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t want = SC_MIN(cap - n, SC_CONFIG_MAX_FILE_BYTES + 1 - n);
        size_t k = fread(buf + n, 1, want, f);
        n += k;
        if (k == 0 || n > SC_CONFIG_MAX_FILE_BYTES) break;
    }
    if (!buf) {
        report_add(r, SC_E_NOMEM, (loc){ path, 0, 0 }, "out of memory");
        st = SC_E_NOMEM;
    } else if (ferror(f)) {
        int e = errno;
        if (strerror_r(e, msg, sizeof(msg))) snprintf(msg, sizeof(msg), "error %d", e);
        report_add(r, SC_E_IO, (loc){ path, 0, 0 }, "cannot read: %s", msg);
        st = SC_E_IO;
    } else if (n > SC_CONFIG_MAX_FILE_BYTES) {
        report_add(r, SC_E_RANGE, (loc){ path, 0, 0 }, "larger than %zu bytes", SC_CONFIG_MAX_FILE_BYTES);
        st = SC_E_RANGE;
    }
    fclose(f);
    if (st) { free(buf); return st; }
    *out = buf;
    *len = n;
    return SC_OK;
}

static void load_file(sc_config *cfg, const char *path, report *r, loc *origins)
{
    unsigned char *text;
    size_t len;
    if (read_file(path, &text, &len, r)) return;
    load_text(cfg, text, len, path, r, origins);
    free(text);
}

/* The value text of an override as one YAML node, given to fn (which consumes it). */
static void parse_set_value(parse *p, const char *value, void (*fn)(parse *, void *, yaml_event_t *), void *arg)
{
    yaml_event_t ev;
    if (!next_event(p, &ev)) return;                             /* STREAM-START */
    yaml_event_delete(&ev);
    if (!next_event(p, &ev)) return;
    if (ev.type == YAML_STREAM_END_EVENT) {                      /* empty: null */
        yaml_event_delete(&ev);
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)"", 0, 1, 1, YAML_PLAIN_SCALAR_STYLE)) {
            report_add(p->r, SC_E_NOMEM, (loc){ "--set", 0, 0 }, "out of memory");
            return;
        }
        fn(p, arg, &ev);
        return;
    }
    yaml_event_delete(&ev);                                      /* DOCUMENT-START */
    if (!next_event(p, &ev)) return;
    fn(p, arg, &ev);
    if (p->stop || !next_event(p, &ev)) return;                  /* DOCUMENT-END */
    yaml_event_delete(&ev);
    if (next_event(p, &ev) && ev.type != YAML_STREAM_END_EVENT) {
        char b[64];
        report_add(p->r, SC_E_INVAL, (loc){ "--set", 0, 0 }, "%s: the value '%s' is more than one YAML document",
                   p->set_key, show(value, strlen(value), b, sizeof(b)));
    }
    yaml_event_delete(&ev);
}

static void set_field_cb(parse *p, void *arg, yaml_event_t *ev) { set_value(p, *(int *)arg, ev); }
static void set_section_cb(parse *p, void *arg, yaml_event_t *ev) { parse_section(p, *(int *)arg, ev); }

typedef struct class_arg { const char *name; int removed; } class_arg;

static void set_class_cb(parse *p, void *arg, yaml_event_t *ev)
{
    const class_arg *a = arg;
    int full = 0;
    if (is_null(ev)) {                                           /* remove the class */
        sc_config_detection *d = &p->cfg->detection;
        const char *s = a->name;
        size_t len = trim(&s, strlen(s));
        for (int i = 0; i < d->n_class_thresholds; i++)
            if (strlen(d->class_thresholds[i].name) == len && !memcmp(d->class_thresholds[i].name, s, len)) {
                memmove(&d->class_thresholds[i], &d->class_thresholds[i + 1],
                        (size_t)(d->n_class_thresholds - i - 1) * sizeof(d->class_thresholds[0]));
                d->n_class_thresholds--;
                memset(&d->class_thresholds[d->n_class_thresholds], 0, sizeof(d->class_thresholds[0]));
                break;
            }
    } else if (put_class_threshold(p, a->name, strlen(a->name), ev, ev->start_mark, 1, &full)) {
        note_origin(p, find_field(S_DETECTION, "per_class_thresholds"), ev->start_mark);
    }
    skip_node(p, ev);
}

static void apply_set(sc_config *cfg, const char *assignment, report *r, loc *origins)
{
    const loc at = { "--set", 0, 0 };
    char key[256], b[64], hint[112];
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        report_add(r, SC_E_INVAL, at, "'%s' is not KEY=VALUE (e.g. detection.threshold=0.6)",
                   show(assignment, strlen(assignment), b, sizeof(b)));
        return;
    }
    const char *ks = assignment;
    size_t klen = trim(&ks, (size_t)(eq - assignment));
    if (klen >= sizeof(key)) {
        report_add(r, SC_E_INVAL, at, "unknown key '%s'", show(ks, klen, b, sizeof(b)));
        return;
    }
    memcpy(key, ks, klen);
    key[klen] = 0;
    const char *value = eq + 1;

    char *dot = strchr(key, '.');
    int sec = -1, fi = -1;
    class_arg ca = { NULL, 0 };
    if (dot) {
        *dot = 0;
        sec = find_section(key);
        *dot = '.';
        static const char pct[] = "detection.per_class_thresholds.";
        if (!strncmp(key, pct, sizeof(pct) - 1) && key[sizeof(pct) - 1]) ca.name = key + sizeof(pct) - 1;
        else if (sec >= 0) fi = find_field(sec, dot + 1);
    } else {
        sec = find_section(key);
    }
    if (!ca.name && (dot ? fi < 0 : sec < 0)) {
        suggestion sg = { "", 99 };
        char full[80];
        for (int i = 0; i < N_FIELDS; i++) {
            field_name(&fields[i], full, sizeof(full));
            consider(&sg, key, full, full);
        }
        for (int i = 0; i < N_SECTIONS && !dot; i++) consider(&sg, key, section_names[i], section_names[i]);
        const char *last = dot ? strrchr(key, '.') + 1 : key;
        if (sg.score >= 99)
            for (int i = 0; i < N_FIELDS; i++)
                if (!strcasecmp(last, fields[i].key)) {
                    field_name(&fields[i], sg.text, sizeof(sg.text));
                    sg.score = 0;
                    break;
                }
        report_add(r, SC_E_INVAL, at, "unknown key '%s'%s", show(key, klen, b, sizeof(b)),
                   did_you_mean(&sg, hint, sizeof(hint)));
        return;
    }

    parse p;
    if (!parse_begin(&p, cfg, r, "--set", value, strlen(value), origins)) return;
    p.is_set = 1;
    p.set_key = key;
    if (ca.name) parse_set_value(&p, value, set_class_cb, &ca);
    else if (fi >= 0) parse_set_value(&p, value, set_field_cb, &fi);
    else parse_set_value(&p, value, set_section_cb, &sec);
    yaml_parser_delete(&p.yp);
}

/* ---- cross-key checks --------------------------------------------------------------- */

static void check_cfg(const sc_config *c, report *r, const loc *origins)
{
    static const loc none = { NULL, 0, 0 };
    const sc_config_source *s = &c->source;
    if ((s->kind == SC_CONFIG_SOURCE_IMAGE || s->kind == SC_CONFIG_SOURCE_DIR ||
         s->kind == SC_CONFIG_SOURCE_MJPEG_FILE) && !s->path[0]) {
        loc at = origins ? origins[find_field(S_SOURCE, "kind")] : none;
        report_add(r, SC_E_INVAL, at, "source.path: required when source.kind is %s",
                   sc_config_source_kind_name(s->kind));
    }
    const sc_config_detection *d = &c->detection;
    for (int i = 0; i < d->deny.n; i++)
        for (int j = 0; j < d->allow.n; j++)
            if (!strcmp(d->deny.name[i], d->allow.name[j])) {
                loc at = origins ? origins[find_field(S_DETECTION, "deny")] : none;
                char b[64];
                report_add(r, SC_E_INVAL, at, "detection.deny: '%s' is also in detection.allow",
                           show(d->deny.name[i], strlen(d->deny.name[i]), b, sizeof(b)));
            }
}

/* ---- the public functions ------------------------------------------------------------ */

/* Runs fn on a scratch copy of *cfg and keeps the result only when no error was found. */
static sc_status transact(sc_config *cfg, report *r, void (*fn)(sc_config *, report *, const void *), const void *arg)
{
    sc_config *tmp = malloc(sizeof(*tmp));
    if (!tmp) {
        report_add(r, SC_E_NOMEM, (loc){ NULL, 0, 0 }, "out of memory");
        return SC_E_NOMEM;
    }
    memcpy(tmp, cfg, sizeof(*tmp));
    fn(tmp, r, arg);
    report_finish(r);
    if (r->st == SC_OK) memcpy(cfg, tmp, sizeof(*tmp));
    free(tmp);
    return r->st;
}

typedef struct mem_arg { const void *data; size_t len; const char *name; } mem_arg;

static void do_load(sc_config *c, report *r, const void *arg) { load_file(c, arg, r, NULL); }
static void do_load_mem(sc_config *c, report *r, const void *arg)
{
    const mem_arg *m = arg;
    load_text(c, m->data, m->len, m->name, r, NULL);
}
static void do_set(sc_config *c, report *r, const void *arg) { apply_set(c, arg, r, NULL); }

sc_status sc_config_load(sc_config *cfg, const char *path, char *err, size_t errlen)
{
    report r;
    report_init(&r, err, errlen);
    return transact(cfg, &r, do_load, path);
}

sc_status sc_config_load_mem(sc_config *cfg, const void *data, size_t len, const char *name, char *err, size_t errlen)
{
    report r;
    report_init(&r, err, errlen);
    mem_arg m = { data, len, name ? name : "(config)" };
    return transact(cfg, &r, do_load_mem, &m);
}

sc_status sc_config_set(sc_config *cfg, const char *assignment, char *err, size_t errlen)
{
    report r;
    report_init(&r, err, errlen);
    return transact(cfg, &r, do_set, assignment);
}

sc_status sc_config_check(const sc_config *cfg, char *err, size_t errlen)
{
    report r;
    report_init(&r, err, errlen);
    check_cfg(cfg, &r, NULL);
    report_finish(&r);
    return r.st;
}

sc_status sc_config_build(sc_config *cfg, const char *path, const char *const *sets, int n_sets,
                          char *err, size_t errlen)
{
    report r;
    report_init(&r, err, errlen);
    sc_config *tmp = malloc(sizeof(*tmp));
    if (!tmp) {
        report_add(&r, SC_E_NOMEM, (loc){ NULL, 0, 0 }, "out of memory");
        return SC_E_NOMEM;
    }
    loc origins[N_FIELDS];
    for (int i = 0; i < N_FIELDS; i++) origins[i] = (loc){ NULL, 0, 0 };
    sc_config_defaults(tmp);
    if (path) load_file(tmp, path, &r, origins);
    for (int i = 0; i < n_sets && r.n <= SC_CONFIG_MAX_ERRORS; i++) apply_set(tmp, sets[i], &r, origins);
    if (r.st == SC_OK) check_cfg(tmp, &r, origins);
    report_finish(&r);
    if (r.st == SC_OK) memcpy(cfg, tmp, sizeof(*tmp));
    free(tmp);
    return r.st;
}

/* ---- printing and comparing -------------------------------------------------------- */

/* The shortest %g form that reads back to exactly v (whole numbers without an exponent). */
static void format_number(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* Decodes one UTF-8 sequence at s (len ≥ 1 bytes left); returns its length, or 0 if invalid. */
static int utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n || (size_t)n > len) return 0;
    unsigned v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    static const unsigned min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

/* A YAML double-quoted string. Characters libyaml would not read back as themselves
 * (controls, line and paragraph separators, NEL, BOM, non-characters) are escaped. */
static void print_string(FILE *out, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    fputc('"', out);
    for (size_t i = 0; i < len;) {
        unsigned cp;
        int n = utf8_decode(u + i, len - i, &cp);
        if (!n) { fprintf(out, "\\x%02X", u[i]); i++; continue; }   /* not UTF-8: cannot round-trip */
        if (cp == '"') fputs("\\\"", out);
        else if (cp == '\\') fputs("\\\\", out);
        else if (cp == '\n') fputs("\\n", out);
        else if (cp == '\t') fputs("\\t", out);
        else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) fprintf(out, "\\x%02X", cp);
        else if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || (cp >= 0xFFFE && cp <= 0xFFFF))
            fprintf(out, "\\u%04X", cp);
        else fwrite(u + i, 1, (size_t)n, out);
        i += (size_t)n;
    }
    fputc('"', out);
}

sc_status sc_config_print(const sc_config *cfg, FILE *out)
{
    char num[40];
    fputs("# ssdcam configuration (effective values; see config/default.yaml for what each key means)\n", out);
    int sec = -1;
    for (int i = 0; i < N_FIELDS; i++) {
        const field *f = &fields[i];
        const char *base = (const char *)cfg + f->off;
        if (f->type == F_RHO) continue;
        if (f->section != sec) {
            sec = f->section;
            fprintf(out, "%s:\n", section_names[sec]);
        }
        fprintf(out, "  %s:%s", f->key, f->type == F_THRESHOLDS && cfg->detection.n_class_thresholds ? "" : " ");
        switch (f->type) {
        case F_BOOL: fputs(*(const int *)base ? "true" : "false", out); break;
        case F_INT:
            fprintf(out, "%d", *(const int *)base);
            if (f->off == OFF(model.input_size) && *(const int *)base)
                fprintf(out, "   # rho %.3f", *(const int *)base / 300.0);
            break;
        case F_BYTES: fprintf(out, "%lld", (long long)*(const int64_t *)base); break;
        case F_NUM: format_number(num, sizeof(num), *(const double *)base); fputs(num, out); break;
        case F_STR: print_string(out, base); break;
        case F_ENUM: {
            int v = *(const int *)base, n = 0;
            while (f->values[n]) n++;
            fputs(enum_name(f->values, n, v), out);
            break;
        }
        case F_NAMES: {
            const sc_config_names *l = (const sc_config_names *)base;
            fputc('[', out);
            for (int k = 0; k < l->n; k++) {
                if (k) fputs(", ", out);
                print_string(out, l->name[k]);
            }
            fputc(']', out);
            break;
        }
        case F_THRESHOLDS: {
            const sc_config_detection *d = &cfg->detection;
            if (!d->n_class_thresholds) fputs("{}", out);
            for (int k = 0; k < d->n_class_thresholds; k++) {
                fputs("\n    ", out);
                print_string(out, d->class_thresholds[k].name);
                format_number(num, sizeof(num), d->class_thresholds[k].threshold);
                fprintf(out, ": %s", num);
            }
            break;
        }
        case F_RHO: break;
        }
        fputc('\n', out);
    }
    return ferror(out) ? SC_E_IO : SC_OK;
}

int sc_config_equal(const sc_config *a, const sc_config *b)
{
    for (int i = 0; i < N_FIELDS; i++) {
        const field *f = &fields[i];
        const char *x = (const char *)a + f->off, *y = (const char *)b + f->off;
        switch (f->type) {
        case F_BOOL: case F_INT: case F_ENUM:
            if (*(const int *)x != *(const int *)y) return 0;
            break;
        case F_BYTES: if (*(const int64_t *)x != *(const int64_t *)y) return 0; break;
        case F_NUM: if (*(const double *)x != *(const double *)y) return 0; break;
        case F_STR: if (strcmp(x, y)) return 0; break;
        case F_RHO: break;
        case F_NAMES: {
            const sc_config_names *l = (const sc_config_names *)x, *m = (const sc_config_names *)y;
            if (l->n != m->n) return 0;
            for (int k = 0; k < l->n; k++)
                if (strcmp(l->name[k], m->name[k])) return 0;
            break;
        }
        case F_THRESHOLDS: {
            const sc_config_detection *d = &a->detection, *e = &b->detection;
            if (d->n_class_thresholds != e->n_class_thresholds) return 0;
            for (int k = 0; k < d->n_class_thresholds; k++)
                if (strcmp(d->class_thresholds[k].name, e->class_thresholds[k].name) ||
                    d->class_thresholds[k].threshold != e->class_thresholds[k].threshold) return 0;
            break;
        }
        }
    }
    return 1;
}
