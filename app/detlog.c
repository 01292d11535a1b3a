/* app/detlog.c — the headless detection log (contract in app/detlog.h).
 *
 * DESIGN. Everything happens on the calling thread, inside sc_detlog_write() / _poll():
 * no background thread and no user-space buffering, so a record is on its way to the
 * page cache as soon as write() returns. The record is formatted into one buffer
 * allocated at open, laid out as
 *     [ '\n' slot ][ CSV header slot ][ record area ...................... ]
 * so that the bytes a write needs in front of the record (a newline after a foreign
 * partial line, the CSV header of a new file) are copied just before it and the whole
 * thing still goes out in one write(). Periodic work (requested reopen, the
 * deleted/renamed check, open retries, fdatasync) is driven by CLOCK_MONOTONIC
 * timestamps compared on each call, so a quiet log costs a clock read. */
#include "app/detlog.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define NS_PER_MS 1000000LL

/* Worst-case bytes per piece of a record (see the caps in detlog.h): JSON escapes a byte
 * to at most 6 ("\u001f", "\ufffd"), CSV to at most 3 (U+FFFD for an invalid byte). */
#define JSON_PREFIX_MAX 4096   /* keys + numbers (~330) + 2 × (2 + 6·256) */
#define JSON_DET_MAX 1024      /* keys + numbers (~130) + 2 + 6·127 */
#define JSON_TAIL_MAX 64       /* ],"dropped":<20 digits>}\n */
#define CSV_PREFIX_MAX 2048    /* 17 fields: numbers (~350) + 2 × (2 + 3·256) */
#define CSV_DET_MAX 512        /* 7 fields: numbers (~80) + 2 + 3·127 */

static const char csv_header[] =
    "time,mono_ms,frame,source,model,input_size,width,height,latency_ms,decode_ms,resize_ms,"
    "network_ms,post_ms,display_ms,screen_ms,cpu_temp_c,throttled,label,class_id,score,x0,y0,x1,y1\n";
#define CSV_HEADER_LEN (sizeof(csv_header) - 1)

struct sc_detlog {
    sc_detlog_cfg cfg;           /* cfg.path points at `path` */
    char *path;
    char *name_a, *name_b;       /* scratch: PATH.N names, parent directories */
    size_t name_size;
    int fd;                      /* -1 while no file is open */
    int regular;                 /* a regular file: rotation, rollback, checks apply */
    dev_t dev;
    ino_t ino;
    uint64_t size;               /* file size as we know it */
    int need_header;             /* CSV: the next write starts with the header */
    int need_newline;            /* the file ends mid-line: the next write starts with '\n' */
    int dirty;                   /* written since the last fdatasync */
    int sync_failing, rotate_failing;
    int64_t last_sync_ns, last_check_ns, last_open_try_ns, rotate_retry_ns;
    uint64_t lost_at_episode;    /* lines_lost when the current error episode began */
    atomic_int reopen_requested;
    sc_detlog_stats st;
    char *buf;
    size_t rec_off, rec_cap;     /* the record area: buf + rec_off, rec_cap bytes */
    char prefix[CSV_PREFIX_MAX]; /* CSV: the frame's fields, repeated on each row */
    size_t prefix_len;
};

/* ---- bounded output buffer ---------------------------------------------------------- */

typedef struct obuf {
    char *p, *end;
    int overflow;                /* once set, further output is dropped */
} obuf;

static void put_mem(obuf *b, const void *s, size_t n)
{
    if (b->overflow) return;
    if ((size_t)(b->end - b->p) < n) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p, s, n);
    b->p += n;
}

static void put_ch(obuf *b, char c) { put_mem(b, &c, 1); }
static void put_str(obuf *b, const char *s) { put_mem(b, s, strlen(s)); }

static void put_u64(obuf *b, uint64_t v)
{
    char t[24];
    int i = (int)sizeof(t);
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_mem(b, t + i, sizeof(t) - (size_t)i);
}

static void put_i64(obuf *b, int64_t v)
{
    if (v < 0) {
        put_ch(b, '-');
        put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(b, (uint64_t)v);
    }
}

/* A finite v with `decimals` digits after the point, rounded half away from zero, in the
 * C locale whatever setlocale() says. |v| is clamped to 1e12. */
static void put_fixed(obuf *b, double v, int decimals)
{
    static const int64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
    SC_ASSERT(decimals >= 0 && decimals < (int)SC_ARRAY_LEN(pow10));
    int neg = v < 0;
    double a = fabs(v);
    if (a > 1e12) a = 1e12;   /* keeps a · 10^6 inside int64_t */
    int64_t scaled = (int64_t)llround(a * (double)pow10[decimals]);
    if (neg && scaled) put_ch(b, '-');
    put_u64(b, (uint64_t)(scaled / pow10[decimals]));
    if (decimals) {
        char t[8];
        int64_t frac = scaled % pow10[decimals];
        for (int i = decimals - 1; i >= 0; i--) {
            t[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        put_ch(b, '.');
        put_mem(b, t, (size_t)decimals);
    }
}

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if s starts an ill-formed one. s is
 * NUL-terminated; a NUL is never a continuation byte, so we never read past it. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Walks s up to `cap` input bytes, one character at a time (an ill-formed byte is a
 * character of its own, len 0 → 1 byte consumed); stops before a character that would
 * cross the cap. Calls emit for each. */
typedef void (*emit_fn)(obuf *b, const unsigned char *s, size_t len);

static void walk_utf8(obuf *b, const char *s, size_t cap, emit_fn emit)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t used = 0;
    while (*u) {
        size_t n = utf8_len(u);
        size_t step = n ? n : 1;
        if (used + step > cap) break;
        emit(b, u, n);
        u += step;
        used += step;
    }
}

static void emit_json(obuf *b, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (n == 0) {
        put_str(b, "\\ufffd");
        return;
    }
    if (n > 1) {
        put_mem(b, s, n);
        return;
    }
    unsigned c = s[0];
    switch (c) {
    case '"': put_str(b, "\\\""); return;
    case '\\': put_str(b, "\\\\"); return;
    case '\n': put_str(b, "\\n"); return;
    case '\r': put_str(b, "\\r"); return;
    case '\t': put_str(b, "\\t"); return;
    case '\b': put_str(b, "\\b"); return;
    case '\f': put_str(b, "\\f"); return;
    default: break;
    }
    if (c < 0x20) {
        char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
        put_mem(b, e, sizeof(e));
    } else {
        put_ch(b, (char)c);
    }
}

static void json_str(obuf *b, const char *s, size_t cap)
{
    if (!s) {
        put_str(b, "null");
        return;
    }
    put_ch(b, '"');
    walk_utf8(b, s, cap, emit_json);
    put_ch(b, '"');
}

static void emit_csv(obuf *b, const unsigned char *s, size_t n)
{
    if (n == 0) put_str(b, UTF8_REPLACEMENT);
    else if (n == 1 && s[0] == '"') put_str(b, "\"\"");
    else put_mem(b, s, n);
}

/* Sets b->overflow (on a scratch obuf) when a character needs quoting. */
static void scan_csv(obuf *b, const unsigned char *s, size_t n)
{
    if (n == 1 && (s[0] == ',' || s[0] == '"' || s[0] == '\r' || s[0] == '\n')) b->overflow = 1;
}

static void csv_str(obuf *b, const char *s, size_t cap)
{
    if (!s) return;
    obuf scan = { NULL, NULL, 0 };
    walk_utf8(&scan, s, cap, scan_csv);
    if (scan.overflow) put_ch(b, '"');
    walk_utf8(b, s, cap, emit_csv);
    if (scan.overflow) put_ch(b, '"');
}

/* ISO-8601 local time with milliseconds and the UTC offset: 2024-02-29T17:30:00.123+05:30. */
static void put_time(obuf *b, int64_t wall_ns)
{
    if (wall_ns <= 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        wall_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    time_t sec = (time_t)(wall_ns / 1000000000LL);
    int ms = (int)((wall_ns % 1000000000LL) / NS_PER_MS);
    struct tm tm;
    char t[64], z[16];
    size_t tn = 0, zn = 0;
    if (localtime_r(&sec, &tm)) {
        tn = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
        zn = strftime(z, sizeof(z), "%z", &tm);
    }
    if (!tn && gmtime_r(&sec, &tm)) {
        tn = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
        zn = 0;
    }
    put_mem(b, t, tn);
    char f[4] = { '.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10) };
    put_mem(b, f, sizeof(f));
    if (zn == 5 && (z[0] == '+' || z[0] == '-')) {   /* "+0530" → "+05:30" */
        char o[6] = { z[0], z[1], z[2], ':', z[3], z[4] };
        put_mem(b, o, sizeof(o));
    } else {
        put_str(b, "+00:00");
    }
}

/* Normalised coordinate → source pixel, rounded and clamped to [0, dim], computed in float
 * exactly as app/cmd_detect.c does so both commands print the same boxes. */
static int to_px(float v, int dim)
{
    float f = v * (float)dim;
    if (!(f > -0.5f)) return 0;          /* also NaN */
    if (f >= (float)dim) return dim < 0 ? 0 : dim;
    return (int)(f + 0.5f);
}

static const char *label_of(const sc_detlog *d, int class_id, char *tmp, size_t tmp_size)
{
    const char *s = NULL;
    if (d->cfg.label_fn) s = d->cfg.label_fn(d->cfg.label_ctx, class_id);
    else if (d->cfg.label_names && class_id >= 0 && class_id < d->cfg.n_label_names)
        s = d->cfg.label_names[class_id];
    if (s) return s;
    snprintf(tmp, tmp_size, "class %d", class_id);
    return tmp;
}

/* ---- record formatting ---------------------------------------------------------------- */

/* The optional per-frame times, in output order, and whether each is present in rec. */
enum { N_TIMES = 6 };
static const char *const k_time_keys[N_TIMES] = { "decode_ms", "resize_ms", "network_ms", "post_ms",
                                                  "display_ms", "screen_ms" };

static int get_times(const sc_detlog_record *rec, double v[N_TIMES], int has[N_TIMES])
{
    v[0] = rec->decode_ms; v[1] = rec->resize_ms; v[2] = rec->network_ms; v[3] = rec->post_ms;
    v[4] = rec->display_ms; v[5] = rec->screen_ms;
    for (int i = 0; i < N_TIMES; i++) {
        unsigned bit = i < 4 ? SC_DETLOG_HAS_STAGES : SC_DETLOG_HAS_SCREEN;
        has[i] = (rec->optional & bit) && v[i] >= 0 && isfinite(v[i]);
    }
    return N_TIMES;
}

/* Formats rec into the record area; returns its length and sets *dropped. */
static size_t format_json(sc_detlog *d, const sc_detlog_record *rec, int n_dets, int *dropped)
{
    char *area = d->buf + d->rec_off;
    obuf b = { area, area + d->rec_cap - JSON_TAIL_MAX, 0 };
    put_str(&b, "{\"time\":\"");
    put_time(&b, rec->wall_ns);
    put_str(&b, "\",\"mono_ms\":");
    put_i64(&b, rec->t_capture_ns / NS_PER_MS);
    put_str(&b, ",\"frame\":");
    put_u64(&b, rec->frame_id);
    put_str(&b, ",\"source\":");
    json_str(&b, rec->source, SC_DETLOG_MAX_NAME);
    put_str(&b, ",\"model\":");
    json_str(&b, rec->model, SC_DETLOG_MAX_NAME);
    put_str(&b, ",\"input_size\":");
    put_i64(&b, rec->input_size);
    put_str(&b, ",\"width\":");
    put_i64(&b, rec->width);
    put_str(&b, ",\"height\":");
    put_i64(&b, rec->height);
    if (rec->latency_ms >= 0 && isfinite(rec->latency_ms)) {
        put_str(&b, ",\"latency_ms\":");
        put_fixed(&b, rec->latency_ms, 3);
    }
    {
        double v[N_TIMES];
        int has[N_TIMES];
        get_times(rec, v, has);
        for (int i = 0; i < N_TIMES; i++) {
            if (!has[i]) continue;
            put_str(&b, ",\"");
            put_str(&b, k_time_keys[i]);
            put_str(&b, "\":");
            put_fixed(&b, v[i], 3);
        }
    }
    if ((rec->optional & SC_DETLOG_HAS_CPU_TEMP) && isfinite(rec->cpu_temp_c)) {
        put_str(&b, ",\"cpu_temp_c\":");
        put_fixed(&b, rec->cpu_temp_c, 1);
    }
    if (rec->optional & SC_DETLOG_HAS_THROTTLED) {
        put_str(&b, ",\"throttled\":");
        put_u64(&b, rec->throttled);
    }
    put_str(&b, ",\"detections\":[");
    SC_ASSERT(!b.overflow);   /* JSON_PREFIX_MAX bounds the prefix; rec_cap exceeds it */

    int i;
    for (i = 0; i < n_dets; i++) {
        const sc_det *det = &rec->dets[i];
        char *mark = b.p;
        char tmp[32];
        put_str(&b, i ? ",{\"label\":" : "{\"label\":");
        json_str(&b, label_of(d, det->class_id, tmp, sizeof(tmp)), SC_DETLOG_MAX_LABEL);
        put_str(&b, ",\"class_id\":");
        put_i64(&b, det->class_id);
        put_str(&b, ",\"score\":");
        if (isfinite(det->score)) put_fixed(&b, det->score, 4);
        else put_str(&b, "null");
        put_str(&b, ",\"box\":[");
        put_i64(&b, to_px(det->xmin, rec->width));
        put_ch(&b, ',');
        put_i64(&b, to_px(det->ymin, rec->height));
        put_ch(&b, ',');
        put_i64(&b, to_px(det->xmax, rec->width));
        put_ch(&b, ',');
        put_i64(&b, to_px(det->ymax, rec->height));
        put_str(&b, "]}");
        if (b.overflow) {
            b.p = mark;
            b.overflow = 0;
            break;
        }
    }
    *dropped = (rec->n_dets > 0 ? rec->n_dets : 0) - i;
    b.end = area + d->rec_cap;
    put_ch(&b, ']');
    if (*dropped) {
        put_str(&b, ",\"dropped\":");
        put_i64(&b, *dropped);
    }
    put_str(&b, "}\n");
    SC_ASSERT(!b.overflow);
    return (size_t)(b.p - area);
}

static size_t format_csv(sc_detlog *d, const sc_detlog_record *rec, int n_dets, int *dropped)
{
    obuf pb = { d->prefix, d->prefix + sizeof(d->prefix), 0 };
    put_time(&pb, rec->wall_ns);
    put_ch(&pb, ',');
    put_i64(&pb, rec->t_capture_ns / NS_PER_MS);
    put_ch(&pb, ',');
    put_u64(&pb, rec->frame_id);
    put_ch(&pb, ',');
    csv_str(&pb, rec->source, SC_DETLOG_MAX_NAME);
    put_ch(&pb, ',');
    csv_str(&pb, rec->model, SC_DETLOG_MAX_NAME);
    put_ch(&pb, ',');
    put_i64(&pb, rec->input_size);
    put_ch(&pb, ',');
    put_i64(&pb, rec->width);
    put_ch(&pb, ',');
    put_i64(&pb, rec->height);
    put_ch(&pb, ',');
    if (rec->latency_ms >= 0 && isfinite(rec->latency_ms)) put_fixed(&pb, rec->latency_ms, 3);
    put_ch(&pb, ',');
    {
        double v[N_TIMES];
        int has[N_TIMES];
        get_times(rec, v, has);
        for (int i = 0; i < N_TIMES; i++) {
            if (has[i]) put_fixed(&pb, v[i], 3);
            put_ch(&pb, ',');
        }
    }
    if ((rec->optional & SC_DETLOG_HAS_CPU_TEMP) && isfinite(rec->cpu_temp_c))
        put_fixed(&pb, rec->cpu_temp_c, 1);
    put_ch(&pb, ',');
    if (rec->optional & SC_DETLOG_HAS_THROTTLED) put_u64(&pb, rec->throttled);
    put_ch(&pb, ',');
    SC_ASSERT(!pb.overflow);   /* CSV_PREFIX_MAX bounds it */
    d->prefix_len = (size_t)(pb.p - d->prefix);

    char *area = d->buf + d->rec_off;
    obuf b = { area, area + d->rec_cap, 0 };
    if (n_dets == 0) {
        put_mem(&b, d->prefix, d->prefix_len);
        put_str(&b, ",,,,,,\n");
        SC_ASSERT(!b.overflow);
        *dropped = 0;
        return (size_t)(b.p - area);
    }
    int i;
    for (i = 0; i < n_dets; i++) {
        const sc_det *det = &rec->dets[i];
        char *mark = b.p;
        char tmp[32];
        put_mem(&b, d->prefix, d->prefix_len);
        csv_str(&b, label_of(d, det->class_id, tmp, sizeof(tmp)), SC_DETLOG_MAX_LABEL);
        put_ch(&b, ',');
        put_i64(&b, det->class_id);
        put_ch(&b, ',');
        if (isfinite(det->score)) put_fixed(&b, det->score, 4);
        put_ch(&b, ',');
        put_i64(&b, to_px(det->xmin, rec->width));
        put_ch(&b, ',');
        put_i64(&b, to_px(det->ymin, rec->height));
        put_ch(&b, ',');
        put_i64(&b, to_px(det->xmax, rec->width));
        put_ch(&b, ',');
        put_i64(&b, to_px(det->ymax, rec->height));
        put_ch(&b, '\n');
        if (b.overflow) {
            b.p = mark;
            b.overflow = 0;
            break;
        }
    }
    *dropped = (rec->n_dets > 0 ? rec->n_dets : 0) - i;
    return (size_t)(b.p - area);
}

/* ---- error episodes ------------------------------------------------------------------ */

static void write_failed(sc_detlog *d, int err, const char *what)
{
    d->st.last_errno = err;
    if (d->st.failing) return;
    d->st.failing = 1;
    d->lost_at_episode = d->st.lines_lost;
    sc_log_errno(err, "log: %s: %s; counting lost lines until it recovers", d->path, what);
}

static void write_recovered(sc_detlog *d)
{
    if (!d->st.failing) return;
    d->st.failing = 0;
    sc_log_warn("log: %s: writing resumed after %llu lost lines", d->path,
                (unsigned long long)(d->st.lines_lost - d->lost_at_episode));
}

static void do_sync(sc_detlog *d, int64_t now)
{
    d->last_sync_ns = now;
    if (d->fd < 0 || !d->dirty) return;
    if (fdatasync(d->fd) == 0) {
        d->dirty = 0;
        d->st.syncs++;
        if (d->sync_failing) {
            d->sync_failing = 0;
            sc_log_warn("log: %s: fdatasync works again", d->path);
        }
        return;
    }
    int e = errno;
    d->st.sync_errors++;
    d->st.last_errno = e;
    if (!d->sync_failing) {
        d->sync_failing = 1;
        sc_log_errno(e, "log: %s: fdatasync (records written since the last sync may be lost)",
                     d->path);
    }
}

/* ---- files --------------------------------------------------------------------------- */

/* mkdir -p of the directories above d->path. Returns 0 or an errno. */
static int make_parents(sc_detlog *d)
{
    char *t = d->name_a;
    memcpy(t, d->path, strlen(d->path) + 1);
    for (char *p = t + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/') continue;
        *p = '\0';
        if (mkdir(t, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            return e;
        }
        *p = '/';
    }
    return 0;
}

static void close_file(sc_detlog *d)
{
    if (d->fd < 0) return;
    if (d->cfg.fsync_interval_ms >= 0) do_sync(d, sc_now_ns());
    close(d->fd);
    d->fd = -1;
    d->dirty = 0;
}

/* Looks at the end (and for CSV the start) of a file we are about to append to. */
static void inspect_existing(sc_detlog *d)
{
    char last;
    if (pread(d->fd, &last, 1, (off_t)(d->size - 1)) == 1 && last != '\n') {
        d->need_newline = 1;
        sc_log_warn("log: %s: the file ends with an unterminated line; starting on a new line",
                    d->path);
    }
    if (d->cfg.format == SC_DETLOG_CSV) {
        char head[CSV_HEADER_LEN];
        ssize_t n = pread(d->fd, head, sizeof(head), 0);
        if (n != (ssize_t)sizeof(head) || memcmp(head, csv_header, sizeof(head)) != 0)
            sc_log_warn("log: %s: the existing file does not start with our CSV header; "
                        "appending anyway", d->path);
    }
}

/* Opens PATH for appending. Returns 0 or an errno (d->fd = -1 then). */
static int open_file(sc_detlog *d)
{
    d->last_open_try_ns = sc_now_ns();
    d->last_check_ns = d->last_open_try_ns;
    d->need_header = 0;
    d->need_newline = 0;
    int e = make_parents(d);
    if (e) return e;
    /* Read access only lets inspect_existing() look at the end and the header. */
    int readable = 1;
    int fd = open(d->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EACCES) {
        readable = 0;
        fd = open(d->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    }
    if (fd < 0) return errno;
    struct stat s;
    if (fstat(fd, &s) != 0) {
        e = errno;
        close(fd);
        return e;
    }
    d->fd = fd;
    d->regular = S_ISREG(s.st_mode);
    d->dev = s.st_dev;
    d->ino = s.st_ino;
    d->size = d->regular ? (uint64_t)s.st_size : 0;
    d->dirty = 0;
    if (d->regular && d->size > 0 && readable) inspect_existing(d);
    d->need_header = d->cfg.format == SC_DETLOG_CSV && d->size == 0;
    return 0;
}

static void reopen(sc_detlog *d)
{
    close_file(d);
    d->st.reopens++;
    int e = open_file(d);
    if (e) write_failed(d, e, "reopen failed");
}

/* Deleted, renamed, replaced or truncated under us? Called at most every check interval. */
static void check_file(sc_detlog *d)
{
    struct stat fs, ps;
    if (!d->regular || fstat(d->fd, &fs) != 0) return;
    if (fs.st_nlink == 0) {
        sc_log_warn("log: %s was deleted; creating it again", d->path);
        reopen(d);
        return;
    }
    int r = stat(d->path, &ps);
    if ((r != 0 && errno == ENOENT) || (r == 0 && (ps.st_dev != fs.st_dev || ps.st_ino != fs.st_ino))) {
        sc_log_info("log: %s was renamed or replaced; reopening it", d->path);
        reopen(d);
        return;
    }
    if ((uint64_t)fs.st_size != d->size) {   /* truncated (copytruncate) or appended by others */
        d->size = (uint64_t)fs.st_size;
        if (d->size == 0) {
            d->need_newline = 0;
            d->need_header = d->cfg.format == SC_DETLOG_CSV;
        }
    }
}

/* PATH → PATH.1 → … → PATH.max_files, then a new PATH. On failure the current file is kept
 * and rotation is retried a second later. */
static void rotate(sc_detlog *d, int64_t now)
{
    int e = 0;
    for (int i = d->cfg.max_files - 1; i >= 1 && !e; i--) {
        snprintf(d->name_a, d->name_size, "%s.%d", d->path, i);
        snprintf(d->name_b, d->name_size, "%s.%d", d->path, i + 1);
        if (rename(d->name_a, d->name_b) != 0 && errno != ENOENT) e = errno;
    }
    if (!e) {
        if (d->cfg.max_files > 0) {
            snprintf(d->name_a, d->name_size, "%s.1", d->path);
            if (rename(d->path, d->name_a) != 0) e = errno;
        } else if (unlink(d->path) != 0) {
            e = errno;
        }
    }
    if (e) {
        d->rotate_retry_ns = now + 1000 * NS_PER_MS;
        if (!d->rotate_failing) {
            d->rotate_failing = 1;
            sc_log_errno(e, "log: %s: rotation failed; appending to the current file", d->path);
        }
        return;
    }
    if (d->rotate_failing) {
        d->rotate_failing = 0;
        sc_log_warn("log: %s: rotation works again", d->path);
    }
    d->st.rotations++;
    close_file(d);
    e = open_file(d);
    if (e) write_failed(d, e, "cannot create a new file after rotation");
}

static void periodic(sc_detlog *d, int64_t now)
{
    if (atomic_exchange(&d->reopen_requested, 0)) reopen(d);
    int64_t check = d->cfg.check_interval_ms;
    if (d->fd < 0) {
        int64_t retry_ns = (check >= 0 ? check : 1000) * NS_PER_MS;
        if (now - d->last_open_try_ns >= retry_ns) {
            int e = open_file(d);
            if (e) write_failed(d, e, "open failed");
        }
    } else if (check >= 0 && now - d->last_check_ns >= check * NS_PER_MS) {
        d->last_check_ns = now;
        check_file(d);
    }
}

static void sync_if_due(sc_detlog *d, int64_t now)
{
    int64_t iv = d->cfg.fsync_interval_ms;
    if (d->dirty && iv >= 0 && now - d->last_sync_ns >= iv * NS_PER_MS) do_sync(d, now);
}

/* One write() of buf[0..len). Returns 0, or an errno after undoing any partial write. */
static int write_whole(sc_detlog *d, const char *p, size_t len)
{
    ssize_t n;
    do n = write(d->fd, p, len);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len) return 0;
    if (n < 0) return errno;

    /* Short write: ask again for the rest only to learn why (ENOSPC, EFBIG, EDQUOT...). */
    size_t done = (size_t)n;
    int e = EIO;
    while (done < len) {
        n = write(d->fd, p + done, len - done);
        if (n > 0) done += (size_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else {
            e = n < 0 ? errno : EIO;
            break;
        }
    }
    if (done == len) return 0;   /* space came back in between: the line is whole */

    struct stat s;
    if (!d->regular) {
        d->need_newline = 1;   /* a pipe or device: end the fragment with the next write */
    } else if (fstat(d->fd, &s) != 0 || ftruncate(d->fd, s.st_size - (off_t)done) != 0) {
        sc_log_errno(errno, "log: %s: cannot remove a partial line", d->path);
        d->need_newline = 1;   /* keep the following lines whole at least */
    } else {
        d->st.partial_undone++;
    }
    return e;
}

/* ---- public -------------------------------------------------------------------------- */

void sc_detlog_cfg_default(sc_detlog_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->format = SC_DETLOG_JSONL;
    cfg->every_frame = 0;
    cfg->fsync_interval_ms = 1000;
    cfg->max_bytes = 10u << 20;
    cfg->max_files = 5;
    cfg->max_dets = 100;
    cfg->check_interval_ms = 1000;
}

sc_status sc_detlog_open(const sc_detlog_cfg *cfg, sc_detlog **out)
{
    *out = NULL;
    if (!cfg->path || !cfg->path[0]) {
        sc_log_error("log: no file name given");
        return SC_E_INVAL;
    }
    if (cfg->format != SC_DETLOG_JSONL && cfg->format != SC_DETLOG_CSV) {
        sc_log_error("log: %s: unknown format %d", cfg->path, (int)cfg->format);
        return SC_E_INVAL;
    }
    if (cfg->max_dets < 1 || cfg->max_dets > SC_DETLOG_MAX_DETS_LIMIT) {
        sc_log_error("log: %s: max detections %d outside 1..%d", cfg->path, cfg->max_dets,
                     SC_DETLOG_MAX_DETS_LIMIT);
        return SC_E_INVAL;
    }
    if (cfg->max_files < 0 || cfg->max_files > 1000) {
        sc_log_error("log: %s: max files %d outside 0..1000", cfg->path, cfg->max_files);
        return SC_E_INVAL;
    }

    sc_detlog *d = calloc(1, sizeof(*d));
    if (!d) return SC_E_NOMEM;
    d->fd = -1;
    atomic_init(&d->reopen_requested, 0);
    d->cfg = *cfg;
    size_t plen = strlen(cfg->path);
    d->name_size = plen + 16;   /* ".1000" and a NUL */
    d->path = malloc(plen + 1);
    d->name_a = malloc(d->name_size);
    d->name_b = malloc(d->name_size);
    size_t per_det = cfg->format == SC_DETLOG_JSONL ? JSON_DET_MAX : CSV_PREFIX_MAX + CSV_DET_MAX;
    size_t fixed = cfg->format == SC_DETLOG_JSONL ? JSON_PREFIX_MAX + JSON_TAIL_MAX
                                                  : CSV_PREFIX_MAX + CSV_DET_MAX;
    d->rec_off = 1 + CSV_HEADER_LEN;
    d->rec_cap = fixed + (size_t)cfg->max_dets * per_det;   /* max_dets ≤ 10000: no overflow */
    d->buf = malloc(d->rec_off + d->rec_cap);
    if (!d->path || !d->name_a || !d->name_b || !d->buf) {
        sc_detlog_close(d);
        return SC_E_NOMEM;
    }
    memcpy(d->path, cfg->path, plen + 1);
    d->cfg.path = d->path;

    int e = open_file(d);
    if (e) {
        sc_log_errno(e, "log: cannot open %s for appending", d->path);
        sc_detlog_close(d);
        return SC_E_IO;
    }
    d->last_sync_ns = sc_now_ns();
    *out = d;
    return SC_OK;
}

sc_status sc_detlog_write(sc_detlog *d, const sc_detlog_record *rec)
{
    int64_t now = sc_now_ns();
    periodic(d, now);
    if (rec->n_dets <= 0 && !d->cfg.every_frame) {
        sync_if_due(d, now);
        return SC_OK;
    }

    int n_dets = rec->n_dets < 0 ? 0 : rec->n_dets;
    if (n_dets > d->cfg.max_dets) n_dets = d->cfg.max_dets;
    int dropped = 0;
    size_t rec_len = d->cfg.format == SC_DETLOG_JSONL ? format_json(d, rec, n_dets, &dropped)
                                                      : format_csv(d, rec, n_dets, &dropped);
    if (d->fd < 0) {
        d->st.lines_lost++;
        return SC_E_IO;
    }

    /* Rotate first if this record would take the file past max_bytes. The check makes
     * sure PATH is still our file, so the right one is renamed. */
    if (d->cfg.max_bytes && d->regular && now >= d->rotate_retry_ns) {
        size_t extra = (size_t)d->need_newline + (d->need_header ? CSV_HEADER_LEN : 0);
        if (d->size > 0 && d->size + extra + rec_len > d->cfg.max_bytes) {
            check_file(d);
            if (d->fd >= 0 && d->size > 0) rotate(d, now);
        }
        if (d->fd < 0) {
            d->st.lines_lost++;
            return SC_E_IO;
        }
    }

    char *start = d->buf + d->rec_off;
    if (d->need_header) {
        start -= CSV_HEADER_LEN;
        memcpy(start, csv_header, CSV_HEADER_LEN);
    }
    if (d->need_newline) *--start = '\n';
    size_t len = (size_t)(d->buf + d->rec_off + rec_len - start);

    int e = write_whole(d, start, len);
    if (e) {
        write_failed(d, e, "write failed");
        d->st.lines_lost++;
        return SC_E_IO;
    }
    d->size += len;
    d->st.bytes_written += len;
    d->st.lines_written++;
    if (dropped) d->st.lines_truncated++;
    d->need_header = 0;
    d->need_newline = 0;
    d->dirty = 1;
    write_recovered(d);
    sync_if_due(d, now);
    return SC_OK;
}

void sc_detlog_reopen(sc_detlog *d)
{
    atomic_store(&d->reopen_requested, 0);
    reopen(d);
}

void sc_detlog_request_reopen(sc_detlog *d)
{
    atomic_store(&d->reopen_requested, 1);
}

void sc_detlog_poll(sc_detlog *d)
{
    int64_t now = sc_now_ns();
    periodic(d, now);
    sync_if_due(d, now);
}

void sc_detlog_get_stats(const sc_detlog *d, sc_detlog_stats *out)
{
    *out = d->st;
}

void sc_detlog_close(sc_detlog *d)
{
    if (!d) return;
    close_file(d);
    free(d->buf);
    free(d->name_a);
    free(d->name_b);
    free(d->path);
    free(d);
}
