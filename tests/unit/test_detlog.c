/* tests/unit/test_detlog.c — the headless detection log (app/detlog.c): exact JSON and CSV
 * records, escaping (checked by a strict JSON validator here and by python3's json/csv
 * modules when python3 is present), truncation, rotation boundaries and numbering, reopen
 * after rename and delete, appending to existing files, error episodes, and a full disk on
 * a 64 KiB tmpfs (skipped with a notice when mount is not permitted). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/detlog.h"
#include "tests/harness.h"

static char g_dir[256];
static int g_have_python = -1;

static const char *tmp_path(const char *name)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof(p[k]), "%s/%s", g_dir, name);
    return p[k];
}

static void write_raw(const char *path, const char *data)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return;
    }
    fputs(data, f);
    fclose(f);
}

static int file_exists(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0;
}

static long file_size(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? (long)s.st_size : -1;
}

/* ---- stderr capture --------------------------------------------------------------------- */

static int g_saved_err = -1;

static void capture_begin(void)
{
    fflush(stderr);
    g_saved_err = dup(2);
    int fd = open(tmp_path("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
}

static char *capture_end(void)
{
    fflush(stderr);
    if (g_saved_err >= 0) {
        dup2(g_saved_err, 2);
        close(g_saved_err);
        g_saved_err = -1;
    }
    size_t n;
    char *s = (char *)sc_test_read_file(tmp_path("stderr.txt"), &n);
    return s ? s : calloc(1, 1);
}

/* ---- a strict JSON validator (RFC 8259) --------------------------------------------------- */

typedef struct jp { const unsigned char *p, *e; } jp;

static void j_ws(jp *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int j_lit(jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->e - j->p) < n || memcmp(j->p, w, n)) return 0;
    j->p += n;
    return 1;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Well-formed UTF-8 sequence length at p (bounded by e), 0 if ill-formed. */
static int utf8_ok(const unsigned char *p, const unsigned char *e)
{
    unsigned c = p[0];
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (e - p < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (int i = 2; i < n; i++) if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

static int j_string(jp *j)
{
    if (j->p >= j->e || *j->p != '"') return 0;
    j->p++;
    while (j->p < j->e) {
        unsigned c = *j->p;
        if (c == '"') { j->p++; return 1; }
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (j->e - j->p < 2) return 0;
            unsigned x = j->p[1];
            if (x == 'u') {
                if (j->e - j->p < 6) return 0;
                for (int i = 2; i < 6; i++) if (!is_hex(j->p[i])) return 0;
                j->p += 6;
            } else if (strchr("\"\\/bfnrt", (int)x) && x) {
                j->p += 2;
            } else {
                return 0;
            }
            continue;
        }
        int n = utf8_ok(j->p, j->e);
        if (!n) return 0;
        j->p += n;
    }
    return 0;
}

static int j_number(jp *j)
{
    const unsigned char *p = j->p, *e = j->e;
    if (p < e && *p == '-') p++;
    if (p >= e) return 0;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < e && is_digit(*p)) p++;
    else return 0;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !is_digit(*p)) return 0;
        while (p < e && is_digit(*p)) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || !is_digit(*p)) return 0;
        while (p < e && is_digit(*p)) p++;
    }
    j->p = p;
    return 1;
}

static int j_value(jp *j, int depth)
{
    if (depth > 32) return 0;
    j_ws(j);
    if (j->p >= j->e) return 0;
    unsigned c = *j->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        j->p++;
        j_ws(j);
        if (j->p < j->e && *j->p == (obj ? '}' : ']')) { j->p++; return 1; }
        for (;;) {
            if (obj) {
                j_ws(j);
                if (!j_string(j)) return 0;
                j_ws(j);
                if (j->p >= j->e || *j->p != ':') return 0;
                j->p++;
            }
            if (!j_value(j, depth + 1)) return 0;
            j_ws(j);
            if (j->p >= j->e) return 0;
            if (*j->p == ',') { j->p++; continue; }
            if (*j->p == (obj ? '}' : ']')) { j->p++; return 1; }
            return 0;
        }
    }
    if (c == '"') return j_string(j);
    if (c == 't') return j_lit(j, "true");
    if (c == 'f') return j_lit(j, "false");
    if (c == 'n') return j_lit(j, "null");
    return j_number(j);
}

/* The line [s, s+n) is exactly one JSON object. */
static int json_line_ok(const char *s, size_t n)
{
    jp j = { (const unsigned char *)s, (const unsigned char *)s + n };
    j_ws(&j);
    if (j.p >= j.e || *j.p != '{') return 0;
    if (!j_value(&j, 0)) return 0;
    j_ws(&j);
    return j.p == j.e;
}

/* Every line of the file is a JSON object, the file ends with '\n' (or is empty) and holds
 * no NUL byte. Returns the number of lines, or -1 (with a message) on the first bad one.
 * Lines before `skip_bytes` (foreign content) are not checked. */
static long check_jsonl(const char *path, size_t skip_bytes)
{
    size_t n;
    char *s = (char *)sc_test_read_file(path, &n);
    if (!s) { fprintf(stderr, "check_jsonl: cannot read %s\n", path); return -1; }
    long lines = 0;
    if (n && s[n - 1] != '\n') { fprintf(stderr, "check_jsonl: %s: no final newline\n", path); free(s); return -1; }
    if (memchr(s, '\0', n)) { fprintf(stderr, "check_jsonl: %s: NUL byte\n", path); free(s); return -1; }
    for (size_t a = skip_bytes; a < n;) {
        char *nl = memchr(s + a, '\n', n - a);
        size_t len = (size_t)(nl - (s + a));
        if (!json_line_ok(s + a, len)) {
            fprintf(stderr, "check_jsonl: %s: line %ld is not JSON: %.*s\n", path, lines + 1, (int)len, s + a);
            free(s);
            return -1;
        }
        lines++;
        a += len + 1;
    }
    free(s);
    return lines;
}

/* Frame ids ("frame":N) of the file's lines, in order. Returns the count. */
static int frames_of(const char *path, long *ids, int cap)
{
    size_t n;
    char *s = (char *)sc_test_read_file(path, &n);
    if (!s) return -1;
    int k = 0;
    for (char *p = s; (p = strstr(p, "\"frame\":")) != NULL; p += 8)
        if (k < cap) ids[k++] = strtol(p + 8, NULL, 10);
    free(s);
    return k;
}

static int python_available(void)
{
    if (g_have_python < 0) {
        g_have_python = system("python3 -c pass >/dev/null 2>&1") == 0;
        if (!g_have_python) printf("notice: python3 not found; python cross-checks skipped\n");
    }
    return g_have_python;
}

/* Runs a python3 snippet with the file as argv[1]; returns its stdout (malloc'd) or NULL. */
static char *python_out(const char *code, const char *path)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "python3 -c '%s' '%s'", code, path);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (n < cap - 1 && (r = fread(b + n, 1, cap - 1 - n, p)) > 0) n += r;
    b[n] = '\0';
    int st = pclose(p);
    if (st != 0) {
        fprintf(stderr, "python3 failed (%d) on %s: %s\n", st, path, b);
        free(b);
        return NULL;
    }
    return b;
}

/* python3's json module accepts every line (and decodes the file as UTF-8). */
static void python_check_jsonl(const char *path)
{
    if (!python_available()) return;
    char *o = python_out("import json,sys\n"
                         "n=0\n"
                         "for l in open(sys.argv[1],encoding=\"utf-8\",errors=\"strict\"):\n"
                         " json.loads(l); n+=1\n"
                         "print(n)", path);
    CHECKF(o != NULL, "python json.loads over %s", path);
    free(o);
}

/* ---- records ----------------------------------------------------------------------------- */

#define WALL_2024_02_29_120000_123 (1709208000LL * 1000000000LL + 123456789LL)

static sc_detlog_record make_rec(uint64_t frame, const sc_det *dets, int n)
{
    sc_detlog_record r = {
        .wall_ns = WALL_2024_02_29_120000_123,
        .t_capture_ns = 123456789012LL,
        .frame_id = frame,
        .source = "/dev/video0",
        .model = "detect.tflite",
        .input_size = 300,
        .width = 640,
        .height = 480,
        .latency_ms = 12.5,
        .dets = dets,
        .n_dets = n,
    };
    return r;
}

static const char *const coco3[] = { "person", "bicycle", "car" };

static sc_detlog_cfg base_cfg(const char *path)
{
    sc_detlog_cfg c;
    sc_detlog_cfg_default(&c);
    c.path = path;
    c.fsync_interval_ms = -1;
    c.max_bytes = 0;
    c.check_interval_ms = -1;
    c.label_names = coco3;
    c.n_label_names = 3;
    return c;
}

static const sc_det one_det[1] = { { 0, 0.75f, 0.25f, 0.25f, 0.75f, 0.75f } };

/* ---- tests ------------------------------------------------------------------------------- */

static void test_json_exact(void)
{
    const char *path = tmp_path("exact.jsonl");
    sc_detlog_cfg c = base_cfg(path);
    sc_detlog *log = NULL;
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_OK);
    if (!log) return;
    sc_det dets[3] = {
        { 0, 0.87654f, 0.1f, 0.25f, 0.9f, 0.5f },
        { 2, 0.99996f, -0.1f, -0.05f, 1.2f, 1.01f },
        { 7, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f },
    };
    sc_detlog_record r = make_rec(42, dets, 3);
    r.latency_ms = 33.1254;
    r.optional = SC_DETLOG_HAS_CPU_TEMP | SC_DETLOG_HAS_THROTTLED;
    r.cpu_temp_c = 51.25;
    r.throttled = 0x50005;
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);

    /* no detections, every_frame off: nothing written */
    sc_detlog_record empty = make_rec(43, NULL, 0);
    CHECK_EQ_INT(sc_detlog_write(log, &empty), SC_OK);

    /* optional values absent, NULL source, negative latency, negative temperature present */
    sc_detlog_record r2 = make_rec(44, dets, 1);
    r2.source = NULL;
    r2.latency_ms = -1;
    r2.wall_ns = WALL_2024_02_29_120000_123 + 877000000LL;   /* .000 of the next second */
    r2.t_capture_ns = 999999;
    CHECK_EQ_INT(sc_detlog_write(log, &r2), SC_OK);
    sc_detlog_record r3 = make_rec(45, dets + 2, 1);
    r3.optional = SC_DETLOG_HAS_CPU_TEMP;
    r3.cpu_temp_c = -3.04;
    r3.latency_ms = 0.0004;
    r3.decode_ms = 5;   /* not flagged: not written */
    r3.screen_ms = 6;
    CHECK_EQ_INT(sc_detlog_write(log, &r3), SC_OK);
    /* stage and screen times: flagged ones written in order, a negative one omitted */
    sc_detlog_record r4 = make_rec(46, dets + 2, 1);
    r4.optional = SC_DETLOG_HAS_STAGES | SC_DETLOG_HAS_SCREEN;
    r4.decode_ms = 1.25;
    r4.resize_ms = 0.8;
    r4.network_ms = 29.9004;
    r4.post_ms = 0.05;
    r4.display_ms = -1;
    r4.screen_ms = 36;
    CHECK_EQ_INT(sc_detlog_write(log, &r4), SC_OK);

    sc_detlog_stats st;
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.lines_written, 4);
    CHECK_EQ_INT(st.lines_lost, 0);
    CHECK_EQ_INT(st.lines_truncated, 0);
    sc_detlog_close(log);

    const char *want =
        "{\"time\":\"2024-02-29T17:30:00.123+05:30\",\"mono_ms\":123456,\"frame\":42,"
        "\"source\":\"/dev/video0\",\"model\":\"detect.tflite\",\"input_size\":300,\"width\":640,"
        "\"height\":480,\"latency_ms\":33.125,\"cpu_temp_c\":51.3,\"throttled\":327685,"
        "\"detections\":[{\"label\":\"person\",\"class_id\":0,\"score\":0.8765,\"box\":[160,48,320,432]},"
        "{\"label\":\"car\",\"class_id\":2,\"score\":1.0000,\"box\":[0,0,640,480]},"
        "{\"label\":\"class 7\",\"class_id\":7,\"score\":0.5000,\"box\":[320,240,320,240]}]}\n"
        "{\"time\":\"2024-02-29T17:30:01.000+05:30\",\"mono_ms\":0,\"frame\":44,"
        "\"source\":null,\"model\":\"detect.tflite\",\"input_size\":300,\"width\":640,"
        "\"height\":480,\"detections\":[{\"label\":\"person\",\"class_id\":0,\"score\":0.8765,"
        "\"box\":[160,48,320,432]}]}\n"
        "{\"time\":\"2024-02-29T17:30:00.123+05:30\",\"mono_ms\":123456,\"frame\":45,"
        "\"source\":\"/dev/video0\",\"model\":\"detect.tflite\",\"input_size\":300,\"width\":640,"
        "\"height\":480,\"latency_ms\":0.000,\"cpu_temp_c\":-3.0,"
        "\"detections\":[{\"label\":\"class 7\",\"class_id\":7,\"score\":0.5000,\"box\":[320,240,320,240]}]}\n"
        "{\"time\":\"2024-02-29T17:30:00.123+05:30\",\"mono_ms\":123456,\"frame\":46,"
        "\"source\":\"/dev/video0\",\"model\":\"detect.tflite\",\"input_size\":300,\"width\":640,"
        "\"height\":480,\"latency_ms\":12.500,\"decode_ms\":1.250,\"resize_ms\":0.800,"
        "\"network_ms\":29.900,\"post_ms\":0.050,\"screen_ms\":36.000,"
        "\"detections\":[{\"label\":\"class 7\",\"class_id\":7,\"score\":0.5000,\"box\":[320,240,320,240]}]}\n";
    size_t n;
    char *got = (char *)sc_test_read_file(path, &n);
    CHECKF(got && strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got ? got : "(none)", want);
    free(got);
    CHECK_EQ_INT(check_jsonl(path, 0), 4);
    python_check_jsonl(path);
}

/* CSV: the stage and screen columns sit between latency_ms and cpu_temp_c. */
static void test_csv_stages(void)
{
    const char *path = tmp_path("stages.csv");
    sc_detlog_cfg c = base_cfg(path);
    c.format = SC_DETLOG_CSV;
    sc_detlog *log = NULL;
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_OK);
    if (!log) return;
    sc_det d = { 0, 0.9f, 0.0f, 0.0f, 0.5f, 0.5f };
    sc_detlog_record r = make_rec(3, &d, 1);
    r.optional = SC_DETLOG_HAS_STAGES | SC_DETLOG_HAS_SCREEN | SC_DETLOG_HAS_CPU_TEMP;
    r.decode_ms = 2;
    r.resize_ms = 1.5;
    r.network_ms = 40.0006;
    r.post_ms = NAN;    /* not finite: empty */
    r.display_ms = 3.25;
    r.screen_ms = 60;
    r.cpu_temp_c = 48.31;
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    sc_detlog_close(log);
    size_t n;
    char *got = (char *)sc_test_read_file(path, &n);
    const char *row = got ? strchr(got, '\n') : NULL;
    const char *want = "\n2024-02-29T17:30:00.123+05:30,123456,3,/dev/video0,detect.tflite,300,640,480,12.500,"
                       "2.000,1.500,40.001,,3.250,60.000,48.3,,person,0,0.9000,0,0,320,240\n";
    CHECKF(row && !strcmp(row, want), "stage row: %s", row ? row : "(none)");
    free(got);
}

/* Labels handed out by a callback, including every kind of awkward byte. */
static const char *const tricky[] = {
    "say \"hi\" \\o/",
    "line\nbreak\ttab\x01\x1f\x7f\r\b\f",
    "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82",
    "bad\xff\xc0\200end",
    "surrogate\xed\xa0\x80",
    "overlong\xe0\x80\xaf",
    "cut\xe2\x82",
};
/* What a JSON decoder must give back for each (U+FFFD per ill-formed byte). */
static const char *const tricky_decoded[] = {
    "say \"hi\" \\o/",
    "line\nbreak\ttab\x01\x1f\x7f\r\b\f",
    "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82",
    "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\275end",
    "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
    "overlong\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
    "cut\xef\xbf\xbd\xef\xbf\xbd",
};
static char g_long_label[512];

static const char *tricky_label(const void *ctx, int id)
{
    (void)ctx;
    if (id >= 0 && id < (int)SC_ARRAY_LEN(tricky)) return tricky[id];
    if (id == 50) return g_long_label;
    return NULL;
}

static void hex_of(const char *s, char *out)
{
    for (; *s; s++, out += 2) sprintf(out, "%02x", (unsigned char)*s);
    *out = '\0';
}

static void test_json_escaping(void)
{
    const char *path = tmp_path("escape.jsonl");
    sc_detlog_cfg c = base_cfg(path);
    c.label_fn = tricky_label;
    sc_detlog *log = NULL;
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_OK);
    if (!log) return;
    /* 200 × "é" (400 bytes): cut at 127 bytes on a character boundary → 63 × "é". */
    for (int i = 0; i < 200; i++) memcpy(g_long_label + 2 * i, "\xc3\xa9", 2);
    g_long_label[400] = '\0';

    int n = (int)SC_ARRAY_LEN(tricky);
    sc_det dets[16];
    for (int i = 0; i < n; i++) dets[i] = (sc_det){ i, 0.5f, 0, 0, 1, 1 };
    dets[n] = (sc_det){ 50, 0.5f, 0, 0, 1, 1 };
    sc_detlog_record r = make_rec(1, dets, n + 1);
    r.source = "cam \"front\"\\\x02";
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    sc_detlog_close(log);

    size_t len;
    char *got = (char *)sc_test_read_file(path, &len);
    CHECK(got != NULL);
    if (!got) return;
    CHECK(strstr(got, "\"source\":\"cam \\\"front\\\"\\\\\\u0002\"") != NULL);
    CHECK(strstr(got, "\"label\":\"say \\\"hi\\\" \\\\o/\"") != NULL);
    CHECK(strstr(got, "\"label\":\"line\\nbreak\\ttab\\u0001\\u001f\x7f\\r\\b\\f\"") != NULL);
    CHECK(strstr(got, "\"label\":\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82\"") != NULL);
    CHECK(strstr(got, "\"label\":\"bad\\ufffd\\ufffd\\ufffdend\"") != NULL);
    CHECK(strstr(got, "\"label\":\"cut\\ufffd\\ufffd\"") != NULL);
    free(got);
    CHECK_EQ_INT(check_jsonl(path, 0), 1);

    if (!python_available()) return;
    char *o = python_out("import json,sys\n"
                         "d=json.loads(open(sys.argv[1],\"rb\").read().decode(\"utf-8\"))\n"
                         "print(json.dumps(d[\"source\"]))\n"
                         "for x in d[\"detections\"]: print(x[\"label\"].encode(\"utf-8\").hex())",
                         path);
    CHECK(o != NULL);
    if (!o) return;
    char *line = strchr(o, '\n');
    CHECK(line != NULL);
    char want[4096];
    for (int i = 0; i < n && line; i++) {
        hex_of(tricky_decoded[i], want);
        char *next = strchr(line + 1, '\n');
        if (next) *next = '\0';
        CHECKF(strcmp(line + 1, want) == 0, "label %d decoded %s, want %s", i, line + 1, want);
        line = next;
    }
    char long_want[200] = "";
    for (int i = 0; i < 63; i++) strcat(long_want, "\xc3\xa9");
    hex_of(long_want, want);
    char *end = line ? strchr(line + 1, '\n') : NULL;
    if (end) *end = '\0';
    CHECKF(line && strcmp(line + 1, want) == 0, "long label decoded %s", line ? line + 1 : "(none)");
    /* json.dumps re-escapes the decoded source: quote, backslash and U+0002 came back */
    const char *src_want = "\"cam \\\"front\\\"\\\\\\u0002\"\n";
    CHECKF(strncmp(o, src_want, strlen(src_want)) == 0, "python: %s", o);
    free(o);
}

static void test_csv(void)
{
    const char *path = tmp_path("det.csv");
    static const char *const names[] = { "a,b", "say \"hi\"", "two\nlines", "plain", "bad\xff," };
    sc_detlog_cfg c = base_cfg(path);
    c.format = SC_DETLOG_CSV;
    c.every_frame = 1;
    c.label_names = names;
    c.n_label_names = 5;
    sc_detlog *log = NULL;
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_OK);
    if (!log) return;
    CHECK_EQ_INT(file_size(path), 0);   /* the header goes out with the first row */
    sc_det dets[4] = {
        { 0, 0.9f, 0.0f, 0.0f, 0.5f, 0.5f },
        { 1, 0.8f, 0.5f, 0.5f, 1.0f, 1.0f },
        { 2, 0.7f, 0.25f, 0.25f, 0.75f, 0.75f },
        { 3, 0.61236f, 0.1f, 0.1f, 0.2f, 0.2f },
    };
    sc_detlog_record r = make_rec(7, dets, 4);
    r.source = "cam, \"left\"";
    r.optional = SC_DETLOG_HAS_THROTTLED;
    r.throttled = 5;
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    sc_detlog_record e = make_rec(8, NULL, 0);
    e.latency_ms = -1;
    CHECK_EQ_INT(sc_detlog_write(log, &e), SC_OK);
    sc_detlog_close(log);

    const char *pre = "2024-02-29T17:30:00.123+05:30,123456,7,\"cam, \"\"left\"\"\",detect.tflite,300,640,480,12.500,,,,,,,,5,";
    char want[4096];
    snprintf(want, sizeof(want),
             "time,mono_ms,frame,source,model,input_size,width,height,latency_ms,decode_ms,resize_ms,"
             "network_ms,post_ms,display_ms,screen_ms,cpu_temp_c,throttled,label,class_id,score,x0,y0,x1,y1\n"
             "%s\"a,b\",0,0.9000,0,0,320,240\n"
             "%s\"say \"\"hi\"\"\",1,0.8000,320,240,640,480\n"
             "%s\"two\nlines\",2,0.7000,160,120,480,360\n"
             "%splain,3,0.6124,64,48,128,96\n"
             "2024-02-29T17:30:00.123+05:30,123456,8,/dev/video0,detect.tflite,300,640,480,,,,,,,,,,,,,,,,\n",
             pre, pre, pre, pre);
    size_t n;
    char *got = (char *)sc_test_read_file(path, &n);
    CHECKF(got && strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got ? got : "(none)", want);
    free(got);

    /* Append: no second header, earlier rows untouched. */
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_OK);
    if (!log) return;
    r.frame_id = 9;
    r.n_dets = 1;
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    sc_det bad = { 4, 0.5f, 0, 0, 1, 1 };
    sc_detlog_record rb = make_rec(10, &bad, 1);
    CHECK_EQ_INT(sc_detlog_write(log, &rb), SC_OK);
    sc_detlog_close(log);
    got = (char *)sc_test_read_file(path, &n);
    CHECK(got && strncmp(got, want, strlen(want)) == 0);
    CHECK(got && strstr(got + strlen(want), "time,") == NULL);
    CHECK(got && strstr(got + strlen(want), ",9,\"cam, \"\"left\"\"\",") != NULL);
    CHECK(got && strstr(got + strlen(want), ",\"bad\xef\xbf\xbd,\",4,0.5000,0,0,640,480\n") != NULL);
    free(got);

    if (python_available()) {
        char *o = python_out("import csv,sys\n"
                             "rows=list(csv.reader(open(sys.argv[1],newline=\"\",encoding=\"utf-8\")))\n"
                             "print(len(rows), set(len(r) for r in rows))\n"
                             "print(repr([r[17] for r in rows[1:]]))\n"
                             "print(repr(rows[1][3]))", path);
        CHECK(o != NULL);
        if (o) {
            CHECKF(strstr(o, "8 {24}\n") == o, "python csv: %s", o);
            CHECKF(strstr(o, "['a,b', 'say \"hi\"', 'two\\nlines', 'plain', '', 'a,b', 'bad\xef\xbf\xbd,']") != NULL,
                   "python csv: %s", o);
            CHECKF(strstr(o, "'cam, \"left\"'") != NULL, "python csv: %s", o);
            free(o);
        }
    }
}

static void test_every_frame_and_truncation(void)
{
    const char *path = tmp_path("trunc.jsonl");
    sc_detlog_cfg c = base_cfg(path);
    c.every_frame = 1;
    c.max_dets = 2;
    sc_detlog *log = NULL;
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_OK);
    if (!log) return;
    sc_det dets[5];
    for (int i = 0; i < 5; i++) dets[i] = (sc_det){ i % 3, 0.9f - 0.1f * (float)i, 0, 0, 0.5f, 0.5f };
    sc_detlog_record r0 = make_rec(1, NULL, 0);
    sc_detlog_record r5 = make_rec(2, dets, 5);
    sc_detlog_record r2 = make_rec(3, dets, 2);
    CHECK_EQ_INT(sc_detlog_write(log, &r0), SC_OK);
    CHECK_EQ_INT(sc_detlog_write(log, &r5), SC_OK);
    CHECK_EQ_INT(sc_detlog_write(log, &r2), SC_OK);
    sc_detlog_record rneg = make_rec(4, dets, -1);   /* a negative count is no detections */
    CHECK_EQ_INT(sc_detlog_write(log, &rneg), SC_OK);
    sc_detlog_stats st;
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.lines_written, 4);
    CHECK_EQ_INT(st.lines_truncated, 1);
    sc_detlog_close(log);
    size_t n;
    char *got = (char *)sc_test_read_file(path, &n);
    CHECK(got && strstr(got, "\"frame\":1,") && strstr(got, "\"detections\":[]}\n"));
    char *l2 = got ? strstr(got, "\"frame\":2,") : NULL;
    char *l3 = got ? strstr(got, "\"frame\":3,") : NULL;
    CHECK(l2 && l3);
    if (l2 && l3) {
        int objs = 0;
        for (char *p = l2; p < l3 && (p = strstr(p, "{\"label\"")) && p < l3; p++) objs++;
        CHECK_EQ_INT(objs, 2);
        const char *tail = "]}],\"dropped\":3}\n";
        char *eol = strchr(l2, '\n');
        CHECK(eol && strncmp(eol + 1 - strlen(tail), tail, strlen(tail)) == 0);
        CHECK(strstr(l3, "dropped") == NULL);
    }
    char *l4 = got ? strstr(got, "\"frame\":4,") : NULL;
    CHECK(l4 && strstr(l4, "\"detections\":[]}\n") != NULL && strstr(l4, "dropped") == NULL);
    free(got);
    CHECK_EQ_INT(check_jsonl(path, 0), 4);

    /* CSV: the rows that fit. */
    const char *cpath = tmp_path("trunc.csv");
    c.path = cpath;
    c.format = SC_DETLOG_CSV;
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_OK);
    if (!log) return;
    CHECK_EQ_INT(sc_detlog_write(log, &r5), SC_OK);
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.lines_truncated, 1);
    sc_detlog_close(log);
    got = (char *)sc_test_read_file(cpath, &n);
    int rows = 0;
    for (size_t i = 0; got && i < n; i++) rows += got[i] == '\n';
    CHECK_EQ_INT(rows, 3);   /* header + 2 */
    free(got);
}

static sc_detlog *open_or_null(const sc_detlog_cfg *c)
{
    sc_detlog *log = NULL;
    sc_status st = sc_detlog_open(c, &log);
    CHECKF(st == SC_OK && log, "open %s: %d", c->path, (int)st);
    return log;
}

/* Length of one record line of the kind the rotation test writes (frames 100..999). */
static long line_len_for_rotation(void)
{
    const char *p = tmp_path("measure.jsonl");
    sc_detlog_cfg c = base_cfg(p);
    sc_detlog *log = open_or_null(&c);
    if (!log) return -1;
    sc_detlog_record r = make_rec(100, one_det, 1);
    sc_detlog_write(log, &r);
    sc_detlog_close(log);
    long n = file_size(p);
    unlink(p);
    return n;
}

static void test_rotation(void)
{
    long L = line_len_for_rotation();
    CHECK(L > 50);
    if (L <= 0) return;
    mkdir(tmp_path("rot"), 0755);
    const char *path = tmp_path("rot/r.jsonl");
    sc_detlog_cfg c = base_cfg(path);
    c.max_bytes = (uint64_t)(3 * L);   /* exactly three lines fit */
    c.max_files = 2;
    sc_detlog *log = open_or_null(&c);
    if (!log) return;
    for (int f = 100; f < 110; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, one_det, 1);
        CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
        if (f == 102) CHECK_EQ_INT(file_size(path), 3 * L);   /* full but not rotated yet */
    }
    sc_detlog_stats st;
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.rotations, 3);
    CHECK_EQ_INT(st.lines_written, 10);
    sc_detlog_close(log);
    long ids[16];
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    CHECK_EQ_INT(ids[0], 109);
    CHECK_EQ_INT(frames_of(tmp_path("rot/r.jsonl.1"), ids, 16), 3);
    CHECK(ids[0] == 106 && ids[1] == 107 && ids[2] == 108);
    CHECK_EQ_INT(frames_of(tmp_path("rot/r.jsonl.2"), ids, 16), 3);
    CHECK(ids[0] == 103 && ids[1] == 104 && ids[2] == 105);
    CHECK(!file_exists(tmp_path("rot/r.jsonl.3")));
    CHECK_EQ_INT(file_size(tmp_path("rot/r.jsonl.1")), 3 * L);
    CHECK_EQ_INT(check_jsonl(tmp_path("rot/r.jsonl.2"), 0), 3);

    /* One byte less: rotation after two lines. Reopening the same path continues rotation
     * from the existing file's size. */
    mkdir(tmp_path("rot2"), 0755);
    path = tmp_path("rot2/r.jsonl");
    c.path = path;
    c.max_bytes = (uint64_t)(3 * L - 1);
    c.max_files = 3;
    log = open_or_null(&c);
    if (!log) return;
    for (int f = 100; f < 103; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, one_det, 1);
        sc_detlog_write(log, &r);
    }
    sc_detlog_close(log);
    CHECK_EQ_INT(frames_of(tmp_path("rot2/r.jsonl.1"), ids, 16), 2);
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    log = open_or_null(&c);
    if (!log) return;
    for (int f = 103; f < 106; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, one_det, 1);
        sc_detlog_write(log, &r);
    }
    sc_detlog_close(log);
    CHECK_EQ_INT(frames_of(path, ids, 16), 2);          /* 104, 105 */
    CHECK_EQ_INT(ids[0], 104);
    CHECK_EQ_INT(frames_of(tmp_path("rot2/r.jsonl.1"), ids, 16), 2);   /* 102, 103 */
    CHECK_EQ_INT(ids[0], 102);
    CHECK_EQ_INT(frames_of(tmp_path("rot2/r.jsonl.2"), ids, 16), 2);   /* 100, 101 */
    CHECK_EQ_INT(ids[0], 100);
    CHECK(!file_exists(tmp_path("rot2/r.jsonl.3")));

    /* max_files = 0: nothing kept; a record larger than max_bytes gets a file of its own. */
    mkdir(tmp_path("rot3"), 0755);
    path = tmp_path("rot3/r.jsonl");
    c.path = path;
    c.max_bytes = (uint64_t)(L / 2);
    c.max_files = 0;
    log = open_or_null(&c);
    if (!log) return;
    for (int f = 100; f < 104; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, one_det, 1);
        CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    }
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.rotations, 3);
    sc_detlog_close(log);
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    CHECK_EQ_INT(ids[0], 103);
    CHECK(!file_exists(tmp_path("rot3/r.jsonl.1")));

    /* CSV: every rotated file starts with the header. */
    mkdir(tmp_path("rot4"), 0755);
    path = tmp_path("rot4/r.csv");
    c.path = path;
    c.format = SC_DETLOG_CSV;
    c.max_bytes = 600;
    c.max_files = 2;
    log = open_or_null(&c);
    if (!log) return;
    for (int f = 100; f < 110; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, one_det, 1);
        CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    }
    sc_detlog_close(log);
    const char *files[3] = { path, tmp_path("rot4/r.csv.1"), tmp_path("rot4/r.csv.2") };
    for (int i = 0; i < 3; i++) {
        size_t n;
        char *s = (char *)sc_test_read_file(files[i], &n);
        CHECKF(s && strncmp(s, "time,mono_ms,", 13) == 0, "%s starts with the header", files[i]);
        CHECKF(s && strstr(s + 1, "time,mono_ms,") == NULL, "%s has one header", files[i]);
        CHECKF(n <= 600, "%s: %zu bytes", files[i], n);
        free(s);
    }
}

static void test_append_existing(void)
{
    const char *path = tmp_path("existing.jsonl");
    const char *old = "{\"old\":1}\nnot json, someone else's line\n";
    write_raw(path, old);
    sc_detlog_cfg c = base_cfg(path);
    sc_detlog *log = open_or_null(&c);
    if (!log) return;
    for (int f = 1; f <= 2; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, one_det, 1);
        CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    }
    sc_detlog_close(log);
    size_t n;
    char *got = (char *)sc_test_read_file(path, &n);
    CHECK(got && strncmp(got, old, strlen(old)) == 0);
    CHECK_EQ_INT(check_jsonl(path, strlen(old)), 2);
    free(got);

    /* A file ending mid-line: its bytes stay, our first record starts on a new line. */
    path = tmp_path("partial.jsonl");
    write_raw(path, "{\"old\":1}\n{\"cut\":");
    c.path = path;
    capture_begin();
    log = open_or_null(&c);
    char *msg = capture_end();
    CHECKF(strstr(msg, "unterminated line") != NULL, "stderr: %s", msg);
    free(msg);
    if (!log) return;
    sc_detlog_record r = make_rec(5, one_det, 1);
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    sc_detlog_close(log);
    got = (char *)sc_test_read_file(path, &n);
    CHECK(got && strncmp(got, "{\"old\":1}\n{\"cut\":\n{\"time\":", 26) == 0);
    CHECK_EQ_INT(check_jsonl(path, 18), 1);
    free(got);
}

static void test_reopen(void)
{
    mkdir(tmp_path("ro"), 0755);
    const char *path = tmp_path("ro/a.jsonl");
    const char *moved = tmp_path("ro/a.jsonl.1");
    sc_detlog_cfg c = base_cfg(path);
    c.check_interval_ms = -1;   /* only explicit reopens */
    sc_detlog *log = open_or_null(&c);
    if (!log) return;
    long ids[16];
    sc_detlog_record r = make_rec(1, one_det, 1);
    sc_detlog_write(log, &r);
    r.frame_id = 2;
    sc_detlog_write(log, &r);
    /* logrotate "create": rename, create an empty file, then SIGHUP */
    CHECK_EQ_INT(rename(path, moved), 0);
    write_raw(path, "");
    r.frame_id = 3;
    sc_detlog_write(log, &r);   /* no SIGHUP yet: goes to the renamed file */
    sc_detlog_reopen(log);
    r.frame_id = 4;
    sc_detlog_write(log, &r);
    r.frame_id = 5;
    sc_detlog_write(log, &r);
    sc_detlog_stats st;
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.reopens, 1);
    CHECK_EQ_INT(st.lines_written, 5);
    CHECK_EQ_INT(frames_of(moved, ids, 16), 3);
    CHECK(ids[0] == 1 && ids[2] == 3);
    CHECK_EQ_INT(frames_of(path, ids, 16), 2);
    CHECK(ids[0] == 4 && ids[1] == 5);

    /* Deleted; the check interval (-1) never fires, so only a request brings it back. */
    CHECK_EQ_INT(unlink(path), 0);
    r.frame_id = 6;
    sc_detlog_write(log, &r);
    CHECK(!file_exists(path));
    sc_detlog_request_reopen(log);   /* what a SIGHUP handler would do */
    r.frame_id = 7;
    sc_detlog_write(log, &r);
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    CHECK_EQ_INT(ids[0], 7);
    sc_detlog_close(log);

    /* Detected without a signal, checking on every record: delete, then rename. */
    c.check_interval_ms = 0;
    log = open_or_null(&c);
    if (!log) return;
    unlink(path);
    unlink(moved);
    r.frame_id = 10;
    capture_begin();
    sc_detlog_write(log, &r);
    char *msg = capture_end();
    CHECKF(strstr(msg, "was deleted") != NULL, "stderr: %s", msg);
    free(msg);
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    CHECK_EQ_INT(ids[0], 10);
    CHECK_EQ_INT(rename(path, moved), 0);   /* logrotate without create and without SIGHUP */
    r.frame_id = 11;
    capture_begin();
    sc_detlog_write(log, &r);
    msg = capture_end();
    CHECKF(strstr(msg, "renamed or replaced") != NULL, "stderr: %s", msg);
    free(msg);
    CHECK_EQ_INT(frames_of(moved, ids, 16), 1);
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    CHECK_EQ_INT(ids[0], 11);
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.reopens, 2);
    sc_detlog_close(log);

    /* A 150 ms check interval: a delete goes unnoticed for the next record, then is seen. */
    c.check_interval_ms = 150;
    log = open_or_null(&c);
    if (!log) return;
    unlink(path);
    r.frame_id = 20;
    sc_detlog_write(log, &r);
    CHECK(!file_exists(path));
    struct timespec ts = { 0, 200 * 1000000L };
    nanosleep(&ts, NULL);
    r.frame_id = 21;
    capture_begin();
    sc_detlog_write(log, &r);
    free(capture_end());
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    CHECK_EQ_INT(ids[0], 21);
    /* copytruncate: the file emptied under us; the next record lands at offset 0 */
    CHECK_EQ_INT(truncate(path, 0), 0);
    nanosleep(&ts, NULL);
    r.frame_id = 22;
    sc_detlog_write(log, &r);
    CHECK_EQ_INT(frames_of(path, ids, 16), 1);
    CHECK_EQ_INT(check_jsonl(path, 0), 1);
    sc_detlog_close(log);
}

static void test_open_errors_and_episode(void)
{
    sc_detlog *log = (sc_detlog *)1;
    sc_detlog_cfg c = base_cfg(tmp_path("x.jsonl"));
    c.max_dets = 0;
    capture_begin();
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_E_INVAL);
    CHECK(log == NULL);
    c = base_cfg(NULL);
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_E_INVAL);
    /* a regular file where a directory should be */
    write_raw(tmp_path("afile"), "x");
    c = base_cfg(tmp_path("afile/sub/log.jsonl"));
    CHECK_EQ_INT(sc_detlog_open(&c, &log), SC_E_IO);
    CHECK(log == NULL);
    char *msg = capture_end();
    CHECKF(strstr(msg, "afile/sub/log.jsonl") != NULL, "stderr: %s", msg);
    free(msg);
    sc_detlog_close(NULL);

    /* parent directories are created */
    c = base_cfg(tmp_path("p/q/r/log.jsonl"));
    log = open_or_null(&c);
    if (!log) return;
    sc_detlog_record r = make_rec(1, one_det, 1);
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    sc_detlog_close(log);
    CHECK_EQ_INT(check_jsonl(tmp_path("p/q/r/log.jsonl"), 0), 1);

    /* The directory is replaced by a file under us: records are lost and counted, the
     * error is logged once, and once the path works again writing resumes. */
    mkdir(tmp_path("ep"), 0755);
    const char *path = tmp_path("ep/log.jsonl");
    c = base_cfg(path);
    c.check_interval_ms = 0;
    log = open_or_null(&c);
    if (!log) return;
    r.frame_id = 1;
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    unlink(path);
    rmdir(tmp_path("ep"));
    write_raw(tmp_path("ep"), "in the way");
    capture_begin();
    int lost = 0;
    for (int f = 2; f <= 6; f++) {
        r.frame_id = (uint64_t)f;
        lost += sc_detlog_write(log, &r) == SC_E_IO;
    }
    sc_detlog_stats st;
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(lost, 5);
    CHECK_EQ_INT(st.lines_lost, 5);
    CHECK_EQ_INT(st.failing, 1);
    CHECK_EQ_INT(st.last_errno, ENOTDIR);
    unlink(tmp_path("ep"));
    r.frame_id = 7;
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    r.frame_id = 8;
    CHECK_EQ_INT(sc_detlog_write(log, &r), SC_OK);
    msg = capture_end();
    int errors = 0;
    for (char *p = msg; (p = strstr(p, "error: log:")) != NULL; p++) errors++;
    CHECKF(errors == 1, "one error line per episode, got %d: %s", errors, msg);
    CHECKF(strstr(msg, "writing resumed after 5 lost lines") != NULL, "stderr: %s", msg);
    free(msg);
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.failing, 0);
    CHECK_EQ_INT(st.lines_written, 3);
    sc_detlog_close(log);
    long ids[8];
    CHECK_EQ_INT(frames_of(path, ids, 8), 2);
    CHECK(ids[0] == 7 && ids[1] == 8);
}

static void test_fsync_policy(void)
{
    int64_t intervals[3] = { 0, -1, 3600 * 1000 };
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof(name), "sync%d.jsonl", k);
        sc_detlog_cfg c = base_cfg(tmp_path(name));
        c.fsync_interval_ms = intervals[k];
        sc_detlog *log = open_or_null(&c);
        if (!log) return;
        for (int f = 0; f < 5; f++) {
            sc_detlog_record r = make_rec((uint64_t)f, one_det, 1);
            sc_detlog_write(log, &r);
        }
        sc_detlog_poll(log);
        sc_detlog_stats st;
        sc_detlog_get_stats(log, &st);
        CHECKF(st.syncs == (k == 0 ? 5u : 0u), "interval %lld: %llu syncs", (long long)intervals[k],
               (unsigned long long)st.syncs);
        sc_detlog_close(log);
    }
}

/* A 64 KiB tmpfs: fill it until writes fail, check that no partial line is left and every
 * lost record is counted, free space and check that writing resumes. */
static void test_full_disk(void)
{
    if (geteuid() != 0) {
        printf("notice: not root; full-disk test skipped\n");
        return;
    }
    char mnt[300];
    snprintf(mnt, sizeof(mnt), "%s/tmpfs", g_dir);
    mkdir(mnt, 0755);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mount -t tmpfs -o size=64k tmpfs '%s' 2>/dev/null", mnt);
    if (system(cmd) != 0) {
        printf("notice: cannot mount a tmpfs (no privilege?); full-disk test skipped\n");
        rmdir(mnt);
        return;
    }
    char path[600], pad[600];
    snprintf(path, sizeof(path), "%s/log.jsonl", mnt);
    snprintf(pad, sizeof(pad), "%s/pad", mnt);
    {
        FILE *f = fopen(pad, "wb");
        static char z[16384];
        CHECK(f && fwrite(z, 1, sizeof(z), f) == sizeof(z));
        if (f) fclose(f);
    }
    sc_detlog_cfg c = base_cfg(path);
    c.fsync_interval_ms = 0;
    sc_detlog *log = open_or_null(&c);
    if (!log) goto out;

    enum { MAXF = 4000 };
    static unsigned char ok[MAXF];
    sc_det dets[8];
    for (int i = 0; i < 8; i++) dets[i] = (sc_det){ i % 3, 0.9f, 0.1f * (float)i, 0.1f, 0.9f, 0.95f };
    int f = 0, lost = 0, consecutive = 0;
    capture_begin();
    for (; f < MAXF / 2 && consecutive < 20; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, dets, 1 + f % 8);   /* lines of 8 lengths */
        sc_status s = sc_detlog_write(log, &r);
        ok[f] = s == SC_OK;
        if (s == SC_OK) consecutive = 0;
        else {
            lost++;
            consecutive++;
        }
    }
    sc_detlog_stats st;
    sc_detlog_get_stats(log, &st);
    CHECK(lost >= 20);
    CHECK_EQ_INT(st.lines_lost, lost);
    CHECK_EQ_INT(st.failing, 1);
    CHECK_EQ_INT(st.last_errno, ENOSPC);
    CHECKF(st.partial_undone >= 1, "%llu short writes rolled back", (unsigned long long)st.partial_undone);
    printf("full disk: %llu lines written, %d lost, %llu short writes undone, file %ld bytes\n",
           (unsigned long long)st.lines_written, lost, (unsigned long long)st.partial_undone,
           file_size(path));

    /* The file holds exactly the records reported written, each a whole valid line. */
    long written_lines = check_jsonl(path, 0);
    CHECK_EQ_INT(written_lines, (long)st.lines_written);
    CHECK_EQ_INT(file_size(path), (long)st.bytes_written);
    static long ids[MAXF];
    int k = frames_of(path, ids, MAXF), m = 0;
    for (int i = 0; i < f; i++)
        if (ok[i]) {
            if (m < k && ids[m] != i) break;
            m++;
        }
    CHECK_EQ_INT(m, k);

    /* Free space: writing resumes, the episode ends with one message. */
    unlink(pad);
    int f0 = f;
    for (; f < f0 + 20; f++) {
        sc_detlog_record r = make_rec((uint64_t)f, dets, 1 + f % 8);
        ok[f] = sc_detlog_write(log, &r) == SC_OK;
        CHECK(ok[f]);
    }
    /* A smaller record may still fit after a bigger one failed, so filling can take several
     * episodes: each is one error line and one "resumed" line, and the counts add up. */
    char *msg = capture_end();
    int starts = 0, ends = 0, sum = 0;
    for (char *p = msg; (p = strstr(p, "No space left on device")) != NULL; p++) starts++;
    for (char *p = msg; (p = strstr(p, "writing resumed after ")) != NULL; p++) {
        ends++;
        sum += atoi(p + strlen("writing resumed after "));
    }
    CHECKF(starts >= 1 && starts == ends, "%d error lines, %d resumed lines: %s", starts, ends, msg);
    CHECK_EQ_INT(sum, lost);
    free(msg);
    sc_detlog_get_stats(log, &st);
    CHECK_EQ_INT(st.failing, 0);
    sc_detlog_close(log);
    CHECK_EQ_INT(check_jsonl(path, 0), (long)st.lines_written);
    k = frames_of(path, ids, MAXF);
    m = 0;
    int order_ok = 1;
    for (int i = 0; i < f; i++)
        if (ok[i]) {
            if (m >= k || ids[m] != i) order_ok = 0;
            m++;
        }
    CHECK(order_ok && m == k);
    python_check_jsonl(path);
out:
    snprintf(cmd, sizeof(cmd), "umount '%s'", mnt);
    CHECK_EQ_INT(system(cmd), 0);
    rmdir(mnt);
}

int main(void)
{
    setenv("TZ", "XST-5:30", 1);   /* UTC+05:30, to see the offset printed */
    tzset();
    snprintf(g_dir, sizeof(g_dir), "/tmp/sc_detlog_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_json_exact();
    test_json_escaping();
    test_csv();
    test_csv_stages();
    test_every_frame_and_truncation();
    test_rotation();
    test_append_existing();
    test_reopen();
    test_open_errors_and_episode();
    test_fsync_policy();
    test_full_disk();

    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_dir);
    return sc_test_finish();
}
