/* tests/unit/test_config.c — the YAML configuration (app/config.c): every config/ file loads,
 * each tests/fixtures/bad_ file reports its exact FILE:LINE:COLUMN: message, did-you-mean,
 * --set overrides and their errors, print → load round trips, and the size limits. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"
#include "tests/harness.h"

static char err[8192];

static const char *source_dir(void)
{
    const char *d = getenv("SC_SOURCE_DIR");
    return d && *d ? d : ".";
}

static int count_lines(const char *s)
{
    if (!*s) return 0;
    int n = 1;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* A heap config (sc_config is ~70 KB). */
static sc_config *new_defaults(void)
{
    sc_config *c = malloc(sizeof(*c));
    if (!c) abort();
    sc_config_defaults(c);
    return c;
}

static sc_status load_str(sc_config *c, const char *yaml)
{
    return sc_config_load_mem(c, yaml, strlen(yaml), "t.yaml", err, sizeof(err));
}

static void test_defaults(void)
{
    sc_config *a = new_defaults(), *b = malloc(sizeof(*b));
    memset(b, 0xA5, sizeof(*b));
    sc_config_defaults(b);
    CHECK(memcmp(a, b, sizeof(*a)) == 0);
    CHECK(sc_config_equal(a, b));
    CHECK_EQ_INT(a->source.kind, SC_CONFIG_SOURCE_AUTO);
    CHECK(!strcmp(a->source.device, "auto"));
    CHECK_EQ_INT(a->source.width, 640);
    CHECK_EQ_INT(a->source.height, 480);
    CHECK_EQ_INT(a->display.enabled, SC_CONFIG_DISPLAY_AUTO);
    CHECK_NEAR(a->detection.threshold, 0.5, 0);
    CHECK_EQ_INT(a->detection.max_detections, 10);
    CHECK_EQ_INT(a->model.input_size, 0);
    CHECK_EQ_INT(a->log.format, SC_CONFIG_LOG_JSONL);
    CHECK(!strcmp(sc_config_source_kind_name(SC_CONFIG_SOURCE_MJPEG_FILE), "mjpeg-file"));
    CHECK(!strcmp(sc_config_pixfmt_name(SC_CONFIG_PIXFMT_YUYV), "yuyv"));
    CHECK(!strcmp(sc_config_display_mode_name(SC_CONFIG_DISPLAY_OFF), "off"));
    CHECK(!strcmp(sc_config_log_format_name(SC_CONFIG_LOG_CSV), "csv"));
    CHECK(!strcmp(sc_config_log_format_name((sc_config_log_format)7), "?"));
    CHECK(sc_config_check(a, err, sizeof(err)) == SC_OK && err[0] == 0);
    b->detection.threshold = 0.25;
    CHECK(!sc_config_equal(a, b));
    free(a);
    free(b);
}

/* Prints c, loads the text onto fresh defaults, and checks it equals c and prints identically. */
static void check_round_trip(const sc_config *c, const char *what)
{
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f = open_memstream(&t1, &n1);
    CHECK(f && sc_config_print(c, f) == SC_OK);
    fclose(f);
    sc_config *d = new_defaults();
    sc_status st = sc_config_load_mem(d, t1, n1, what, err, sizeof(err));
    CHECKF(st == SC_OK, "%s: reloading the printed config: %s\n%s", what, err, t1);
    CHECKF(sc_config_equal(c, d), "%s: printed config reloads to different values:\n%s", what, t1);
    f = open_memstream(&t2, &n2);
    CHECK(f && sc_config_print(d, f) == SC_OK);
    fclose(f);
    CHECKF(n1 == n2 && !memcmp(t1, t2, n1), "%s: second print differs", what);
    free(t1);
    free(t2);
    free(d);
}

static void test_config_files(void)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof(dir), "%s/config", source_dir());
    DIR *dp = opendir(dir);
    CHECKF(dp != NULL, "cannot open %s", dir);
    if (!dp) return;
    int n = 0, named = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".yaml")) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        sc_config *c = new_defaults();
        sc_status st = sc_config_build(c, path, NULL, 0, err, sizeof(err));
        CHECKF(st == SC_OK, "%s: %s", path, err);
        check_round_trip(c, de->d_name);
        n++;
        named += !strcmp(de->d_name, "default.yaml") + !strcmp(de->d_name, "pi.yaml") +
                 !strcmp(de->d_name, "headless.yaml");
        free(c);
    }
    closedir(dp);
    CHECK(n >= 3);
    CHECK_EQ_INT(named, 3);

    /* default.yaml documents the built-in defaults: it must load to exactly them. */
    sc_config *d = new_defaults(), *c = new_defaults();
    c->detection.threshold = 0.9;   /* a file applies on top: every key it names is reset */
    snprintf(path, sizeof(path), "%s/config/default.yaml", source_dir());
    CHECK(sc_config_load(c, path, err, sizeof(err)) == SC_OK);
    CHECKF(sc_config_equal(c, d), "config/default.yaml differs from sc_config_defaults()");

    sc_config_defaults(c);
    snprintf(path, sizeof(path), "%s/config/pi.yaml", source_dir());
    CHECK(sc_config_build(c, path, NULL, 0, err, sizeof(err)) == SC_OK);
    CHECK_EQ_INT(c->source.kind, SC_CONFIG_SOURCE_CAMERA);
    CHECK_EQ_INT(c->source.pixel_format, SC_CONFIG_PIXFMT_MJPEG);
    CHECK_EQ_INT(c->source.width, 640);
    CHECK_EQ_INT(c->source.height, 480);
    CHECK_EQ_INT(c->model.input_size, 256);   /* rho 0.853 */
    CHECK_EQ_INT(c->model.threads, 0);        /* one per core */
    CHECK_EQ_INT(c->display.enabled, SC_CONFIG_DISPLAY_OFF);
    CHECK(!strcmp(c->log.path, "/var/log/ssdcam/detections.jsonl"));   /* LogsDirectory, logrotate */
    CHECK_EQ_INT(c->log.format, SC_CONFIG_LOG_JSONL);
    CHECK_EQ_INT(c->log.max_bytes, 0);        /* logrotate rotates, not ssdcam */

    snprintf(path, sizeof(path), "%s/config/headless.yaml", source_dir());
    CHECK(sc_config_build(c, path, NULL, 0, err, sizeof(err)) == SC_OK);
    CHECK_EQ_INT(c->display.enabled, SC_CONFIG_DISPLAY_OFF);
    CHECK(c->log.path[0] != 0);
    CHECK_EQ_INT(c->log.fsync_interval_ms, 1000);
    CHECK_EQ_INT(c->log.max_bytes, 64 << 20);
    CHECK_EQ_INT(c->model.input_size, 0);     /* build starts from the defaults, not from pi.yaml */
    free(c);
    free(d);
}

typedef struct bad_case {
    const char *file;
    int build;          /* 1: through sc_config_build (cross-key checks), 0: sc_config_load */
    sc_status st;
    int line, col;
    const char *msg;    /* after "PATH:LINE:COL: " */
} bad_case;

static const bad_case bad_cases[] = {
    { "bad_unknown_key.yaml", 0, SC_E_INVAL, 3, 3, "detection: unknown key 'treshold'; did you mean 'threshold'?" },
    { "bad_unknown_section.yaml", 0, SC_E_INVAL, 3, 1, "unknown section 'detecton'; did you mean 'detection'?" },
    { "bad_wrong_section.yaml", 0, SC_E_INVAL, 2, 3, "model: unknown key 'threshold'; did you mean 'detection.threshold'?" },
    { "bad_range.yaml", 0, SC_E_INVAL, 2, 14, "detection.threshold: 1.7 is not between 0 and 1" },
    { "bad_type.yaml", 0, SC_E_INVAL, 2, 19, "detection.max_detections: expected an integer, got 'ten'" },
    { "bad_quoted_number.yaml", 0, SC_E_INVAL, 2, 14,
      "detection.threshold: expected a number, got the string \"0.5\" (remove the quotes)" },
    { "bad_duplicate.yaml", 0, SC_E_INVAL, 4, 3, "detection: duplicate key 'threshold' (first at line 2)" },
    { "bad_duplicate_section.yaml", 0, SC_E_INVAL, 3, 1, "duplicate section 'source' (first at line 1)" },
    { "bad_enum.yaml", 0, SC_E_INVAL, 2, 9,
      "source.kind: 'camra' is not one of auto, camera, image, dir, mjpeg-file; did you mean 'camera'?" },
    { "bad_list_item.yaml", 0, SC_E_INVAL, 4, 7, "detection.allow: each entry must be a class name, got a list" },
    { "bad_alias.yaml", 0, SC_E_INVAL, 3, 17, "detection.min_box_area: aliases (*t) are not supported" },
    { "bad_two_docs.yaml", 0, SC_E_INVAL, 3, 1, "a second YAML document: only one is allowed" },
    { "bad_root.yaml", 0, SC_E_INVAL, 1, 1,
      "the top level must be a mapping of sections (source, model, detection, display, log), not a list" },
    { "bad_section_scalar.yaml", 0, SC_E_INVAL, 1, 10, "display: expected a mapping of keys, got 'off'" },
    { "bad_rho_and_size.yaml", 0, SC_E_INVAL, 3, 3, "model: give input_size or rho, not both" },
    { "bad_per_class.yaml", 0, SC_E_INVAL, 4, 22,
      "detection.per_class_thresholds.traffic light: 1.5 is not between 0 and 1" },
    { "bad_bytes.yaml", 0, SC_E_INVAL, 2, 14,
      "log.max_bytes: expected a size in bytes (e.g. 1048576, 64M or 2G), got '10X'" },
    { "bad_source_path.yaml", 1, SC_E_INVAL, 3, 9, "source.path: required when source.kind is image" },
    { "bad_allow_deny.yaml", 1, SC_E_INVAL, 3, 9, "detection.deny: 'car' is also in detection.allow" },
    /* YAML syntax errors: libyaml's problem text and mark, plus its context */
    { "bad_syntax.yaml", 0, SC_E_FORMAT, 3, 22, "YAML syntax error: mapping values are not allowed in this context" },
    { "bad_tab.yaml", 0, SC_E_FORMAT, 2, 1,
      "YAML syntax error: found character that cannot start any token (while scanning for the next token at line 2, column 1)" },
    { "bad_unclosed.yaml", 0, SC_E_FORMAT, 3, 7,
      "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 10)" },
    { "bad_utf8.yaml", 0, SC_E_FORMAT, 3, 14, "not valid text: invalid leading UTF-8 octet (0xFF)" },
};

static void test_bad_fixtures(void)
{
    char path[4096], want[8192];
    for (size_t i = 0; i < SC_ARRAY_LEN(bad_cases); i++) {
        const bad_case *b = &bad_cases[i];
        snprintf(path, sizeof(path), "%s/tests/fixtures/%s", source_dir(), b->file);
        sc_config *c = new_defaults(), *d = new_defaults();
        c->detection.threshold = 0.42;   /* a failing load must leave the config unchanged */
        d->detection.threshold = 0.42;
        sc_status st = b->build ? sc_config_build(c, path, NULL, 0, err, sizeof(err))
                                : sc_config_load(c, path, err, sizeof(err));
        CHECKF(st == b->st, "%s: status %d, expected %d (%s)", b->file, st, b->st, err);
        snprintf(want, sizeof(want), "%s:%d:%d: %s", path, b->line, b->col, b->msg);
        CHECKF(!strcmp(err, want), "%s:\n   got: %s\n  want: %s", b->file, err, want);
        int line = 0, col = 0;
        if (!strncmp(err, path, strlen(path))) sscanf(err + strlen(path), ":%d:%d:", &line, &col);
        CHECK_EQ_INT(line, b->line);
        CHECK_EQ_INT(col, b->col);
        CHECKF(sc_config_equal(c, d) && !memcmp(c, d, sizeof(*c)), "%s: config changed by a failed load", b->file);
        if (b->build) {   /* the same file loads alone: the error needs the cross-key check */
            CHECK(sc_config_load(c, path, err, sizeof(err)) == SC_OK);
            CHECK(sc_config_check(c, err, sizeof(err)) == SC_E_INVAL);
            CHECKF(!strcmp(err, b->msg), "check() without positions: got '%s'", err);
        }
        free(c);
        free(d);
    }

    /* several errors in one file: all reported, in file order */
    snprintf(path, sizeof(path), "%s/tests/fixtures/bad_multi.yaml", source_dir());
    sc_config *c = new_defaults();
    CHECK(sc_config_load(c, path, err, sizeof(err)) == SC_E_INVAL);
    snprintf(want, sizeof(want),
             "%s:2:3: source: unknown key 'widht'; did you mean 'width'?\n"
             "%s:3:8: source.fps: 0 is not between 1 and 240\n"
             "%s:5:12: model.threads: expected an integer, got 'many'\n"
             "%s:7:12: display.enabled: 'maybe' is not one of auto, on, off",
             path, path, path, path);
    CHECKF(!strcmp(err, want), "bad_multi:\n%s", err);
    CHECK_EQ_INT(count_lines(err), 4);

    /* every bad_*.yaml in the folder is in the table above (or is bad_multi) */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/fixtures", source_dir());
    DIR *dp = opendir(dir);
    CHECK(dp != NULL);
    struct dirent *de;
    while (dp && (de = readdir(dp))) {
        if (strncmp(de->d_name, "bad_", 4)) continue;
        int found = !strcmp(de->d_name, "bad_multi.yaml");
        for (size_t i = 0; i < SC_ARRAY_LEN(bad_cases); i++) found |= !strcmp(de->d_name, bad_cases[i].file);
        CHECKF(found, "fixture %s has no expected message", de->d_name);
    }
    if (dp) closedir(dp);
    free(c);
}

static void test_empty_and_missing(void)
{
    sc_config *c = new_defaults(), *d = new_defaults();
    c->source.fps = 15;
    d->source.fps = 15;
    static const char *const nothing[] = { "", "\n\n", "# only a comment\n", "---\n", "~\n", "---\n...\n",
                                           "source:\n", "source: ~\ndetection:\n" };
    for (size_t i = 0; i < SC_ARRAY_LEN(nothing); i++) {
        CHECKF(load_str(c, nothing[i]) == SC_OK, "'%s': %s", nothing[i], err);
        CHECK(err[0] == 0);
        CHECK(sc_config_equal(c, d));
    }
    CHECK(sc_config_load_mem(c, NULL, 0, NULL, err, sizeof(err)) == SC_OK);

    /* a real empty file */
    char tmp[] = "/tmp/sc_config_empty_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    CHECK(sc_config_load(c, tmp, err, sizeof(err)) == SC_OK);
    CHECK(sc_config_equal(c, d));
    sc_config *e = new_defaults();
    CHECK(sc_config_build(e, tmp, NULL, 0, err, sizeof(err)) == SC_OK);
    CHECK(sc_config_equal(e, d) == 0 && e->source.fps == 30);   /* build starts from the defaults */
    unlink(tmp);

    /* missing file, directory */
    const char *missing = "/nonexistent/ssdcam/no-such.yaml";
    CHECK(sc_config_load(c, missing, err, sizeof(err)) == SC_E_IO);
    CHECKF(!strcmp(err, "/nonexistent/ssdcam/no-such.yaml: cannot open: No such file or directory"), "%s", err);
    CHECK(sc_config_build(c, missing, NULL, 0, err, sizeof(err)) == SC_E_IO);
    CHECKF(!strcmp(err, "/nonexistent/ssdcam/no-such.yaml: cannot open: No such file or directory"), "%s", err);
    CHECK(sc_config_load(c, "/tmp", err, sizeof(err)) == SC_E_IO);
    CHECKF(!strcmp(err, "/tmp: cannot read: Is a directory"), "%s", err);
    CHECK(sc_config_equal(c, d));
    free(c);
    free(d);
    free(e);
}

/* The error of a one-file YAML text, after "t.yaml:L:C: ". */
static const char *msg_of(const char *yaml)
{
    sc_config *c = new_defaults();
    load_str(c, yaml);
    free(c);
    const char *p = err;
    for (int colons = 0; *p && colons < 3; p++) colons += *p == ':';
    return *p == ' ' ? p + 1 : p;
}

static void test_did_you_mean(void)
{
    CHECK(!strcmp(msg_of("detection:\n  thresh: 0.5\n"), "detection: unknown key 'thresh'; did you mean 'threshold'?"));
    CHECK(!strcmp(msg_of("detection:\n  max_detection: 5\n"),
                  "detection: unknown key 'max_detection'; did you mean 'max_detections'?"));
    CHECK(!strcmp(msg_of("detection:\n  max-detections: 5\n"),
                  "detection: unknown key 'max-detections'; did you mean 'max_detections'?"));
    CHECK(!strcmp(msg_of("source:\n  frame_timout_ms: 500\n"),
                  "source: unknown key 'frame_timout_ms'; did you mean 'frame_timeout_ms'?"));
    CHECK(!strcmp(msg_of("source:\n  hieght: 500\n"), "source: unknown key 'hieght'; did you mean 'height'?"));
    CHECK(!strcmp(msg_of("detection:\n  xyz: 1\n"), "detection: unknown key 'xyz'"));
    CHECK(!strcmp(msg_of("model:\n  size: 1\n"), "model: unknown key 'size'"));
    CHECK(!strcmp(msg_of("Detection:\n  threshold: 0.5\n"), "unknown section 'Detection'; did you mean 'detection'?"));
    CHECK(!strcmp(msg_of("threshold: 0.5\n"), "unknown section 'threshold'; did you mean 'detection.threshold'?"));
    CHECK(!strcmp(msg_of("disp:\n  enabled: off\n"), "unknown section 'disp'; did you mean 'display'?"));
    CHECK(!strcmp(msg_of("log:\n  format: jsnl\n"), "log.format: 'jsnl' is not one of jsonl, csv; did you mean 'jsonl'?"));
    CHECK(!strcmp(msg_of("source:\n  pixel_format: MJPG\n"),
                  "source.pixel_format: 'MJPG' is not one of auto, mjpeg, yuyv; did you mean 'mjpeg'?"));
    CHECKF(!strcmp(msg_of("display:\n  enabled: 2\n"), "display.enabled: '2' is not one of auto, on, off"), "%s", err);
}

static sc_status set1(sc_config *c, const char *a) { return sc_config_set(c, a, err, sizeof(err)); }

static void test_set(void)
{
    sc_config *c = new_defaults(), *d = new_defaults();
    CHECK(set1(c, "detection.threshold=0.6") == SC_OK && err[0] == 0);
    CHECK_NEAR(c->detection.threshold, 0.6, 0);
    CHECK(set1(c, " model.rho = 0.747") == SC_OK);
    CHECK_EQ_INT(c->model.input_size, 224);
    CHECK(set1(c, "model.rho=0.533") == SC_OK);
    CHECK_EQ_INT(c->model.input_size, 160);
    CHECK(set1(c, "model.input_size=192") == SC_OK);
    CHECK_EQ_INT(c->model.input_size, 192);
    CHECK(set1(c, "source.kind=mjpeg-file") == SC_OK);
    CHECK_EQ_INT(c->source.kind, SC_CONFIG_SOURCE_MJPEG_FILE);
    CHECK(set1(c, "display.enabled=off") == SC_OK && c->display.enabled == SC_CONFIG_DISPLAY_OFF);
    CHECK(set1(c, "display.enabled=yes") == SC_OK && c->display.enabled == SC_CONFIG_DISPLAY_ON);
    CHECK(set1(c, "display.enabled=auto") == SC_OK && c->display.enabled == SC_CONFIG_DISPLAY_AUTO);
    CHECK(set1(c, "display.hud=off") == SC_OK && c->display.hud == 0);
    CHECK(set1(c, "detection.allow=[person, car]") == SC_OK);
    CHECK_EQ_INT(c->detection.allow.n, 2);
    CHECK(!strcmp(c->detection.allow.name[1], "car"));
    CHECK(set1(c, "detection.allow=person, traffic light ,dog") == SC_OK);
    CHECK_EQ_INT(c->detection.allow.n, 3);
    CHECK(!strcmp(c->detection.allow.name[1], "traffic light"));
    CHECK(set1(c, "detection.allow=") == SC_OK);
    CHECK_EQ_INT(c->detection.allow.n, 0);
    CHECK(set1(c, "detection.per_class_thresholds={person: 0.7, dog: 0.4}") == SC_OK);
    CHECK_EQ_INT(c->detection.n_class_thresholds, 2);
    CHECK(set1(c, "detection.per_class_thresholds.traffic light=0.3") == SC_OK);
    CHECK_EQ_INT(c->detection.n_class_thresholds, 3);
    CHECK(!strcmp(c->detection.class_thresholds[2].name, "traffic light"));
    CHECK(set1(c, "detection.per_class_thresholds.person=0.8") == SC_OK);
    CHECK_EQ_INT(c->detection.n_class_thresholds, 3);
    CHECK_NEAR(c->detection.class_thresholds[0].threshold, 0.8, 0);
    CHECK(set1(c, "detection.per_class_thresholds.person=") == SC_OK);
    CHECK_EQ_INT(c->detection.n_class_thresholds, 2);
    CHECK(!strcmp(c->detection.class_thresholds[0].name, "dog"));
    CHECK(set1(c, "log.max_bytes=64M") == SC_OK);
    CHECK_EQ_INT(c->log.max_bytes, 64 << 20);
    CHECK(set1(c, "log.max_bytes=2GiB") == SC_OK);
    CHECK_EQ_INT(c->log.max_bytes, 2LL << 30);
    CHECK(set1(c, "source.path=\"a #b\"") == SC_OK);
    CHECK(!strcmp(c->source.path, "a #b"));
    CHECK(set1(c, "source.path=/tmp/my photos/x.jpg") == SC_OK);
    CHECK(!strcmp(c->source.path, "/tmp/my photos/x.jpg"));
    CHECK(set1(c, "model.labels=") == SC_OK && c->model.labels[0] == 0);
    CHECK(set1(c, "detection={threshold: 0.3, max_detections: 3}") == SC_OK);
    CHECK_NEAR(c->detection.threshold, 0.3, 0);
    CHECK_EQ_INT(c->detection.max_detections, 3);
    CHECK(set1(c, "model.float=true") == SC_OK && c->model.use_float == 1);

    /* errors: exact messages, config unchanged */
    memcpy(d, c, sizeof(*c));
    static const struct { const char *set; sc_status st; const char *msg; } bad[] = {
        { "detection.threshold=1.7", SC_E_INVAL, "--set: detection.threshold: 1.7 is not between 0 and 1" },
        { "detection.threshold", SC_E_INVAL, "--set: 'detection.threshold' is not KEY=VALUE (e.g. detection.threshold=0.6)" },
        { "detection.treshold=0.6", SC_E_INVAL, "--set: unknown key 'detection.treshold'; did you mean 'detection.threshold'?" },
        { "threshold=0.6", SC_E_INVAL, "--set: unknown key 'threshold'; did you mean 'detection.threshold'?" },
        { "detecton.threshold=0.6", SC_E_INVAL, "--set: unknown key 'detecton.threshold'; did you mean 'detection.threshold'?" },
        { "model.colour=red", SC_E_INVAL, "--set: unknown key 'model.colour'" },
        { "model.threads=2.5", SC_E_INVAL, "--set: model.threads: expected an integer, got '2.5'" },
        { "model.threads=", SC_E_INVAL, "--set: model.threads: expected an integer, got no value" },
        { "model.rho=0.4", SC_E_INVAL, "--set: model.rho: 0.4 is not between 0.5 and 1" },
        { "display.font_scale=0.2", SC_E_INVAL, "--set: display.font_scale: 0.2 is not 0 or between 0.5 and 8" },
        { "log.max_bytes=100", SC_E_INVAL, "--set: log.max_bytes: 100 is not 0 or between 1024 and 1.1259e+15" },
        { "source.device=", SC_E_INVAL, "--set: source.device: must not be empty" },
        { "source.buffers=[3]", SC_E_INVAL, "--set: source.buffers: expected an integer, got a list" },
        { "detection.allow=[person, person]", SC_E_INVAL, "--set: detection.allow: 'person' is listed twice" },
        { "detection.allow=person,,car", SC_E_INVAL, "--set: detection.allow: empty class name" },
        { "detection.per_class_thresholds.cat=high", SC_E_INVAL,
          "--set: detection.per_class_thresholds.cat: expected a number, got 'high'" },
        { "detection={treshold: 0.3}", SC_E_INVAL, "--set: detection: unknown key 'treshold'; did you mean 'threshold'?" },
        { "detection.allow=[person, car", SC_E_FORMAT,
          "--set: detection.allow: YAML syntax error at the end of the value: did not find expected ',' or ']' "
          "(while parsing a flow sequence at column 1)" },
        { "source.path=\"abc", SC_E_FORMAT,
          "--set: source.path: YAML syntax error at the end of the value: found unexpected end of stream "
          "(while scanning a quoted scalar at column 1)" },
        { "source.path=@home", SC_E_FORMAT,
          "--set: source.path: YAML syntax error at column 1 of the value: found character that cannot start any token "
          "(while scanning for the next token at column 1)" },
        { "source.fps=30\n---\n20", SC_E_INVAL, "--set: source.fps: the value '30?---?20' is more than one YAML document" },
    };
    for (size_t i = 0; i < SC_ARRAY_LEN(bad); i++) {
        sc_status st = set1(c, bad[i].set);
        CHECKF(st == bad[i].st, "--set %s: status %d (%s)", bad[i].set, st, err);
        CHECKF(!strcmp(err, bad[i].msg), "--set %s:\n   got: %s\n  want: %s", bad[i].set, err, bad[i].msg);
        CHECKF(!memcmp(c, d, sizeof(*c)), "--set %s changed the config", bad[i].set);
    }

    /* build: file, then overrides in order, then cross-key checks with positions */
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fixtures/bad_source_path.yaml", source_dir());
    const char *fix[] = { "source.path=/tmp/a.jpg", "detection.threshold=0.25" };
    CHECK(sc_config_build(c, path, fix, 2, err, sizeof(err)) == SC_OK);
    CHECK_EQ_INT(c->source.kind, SC_CONFIG_SOURCE_IMAGE);
    CHECK(!strcmp(c->source.path, "/tmp/a.jpg"));
    CHECK_NEAR(c->detection.threshold, 0.25, 0);
    const char *dir_set[] = { "source.kind=dir" };
    CHECK(sc_config_build(c, NULL, dir_set, 1, err, sizeof(err)) == SC_E_INVAL);
    CHECKF(!strcmp(err, "--set: source.path: required when source.kind is dir"), "%s", err);
    const char *two_bad[] = { "detection.threshold=2", "model.threads=x" };
    snprintf(path, sizeof(path), "%s/tests/fixtures/bad_range.yaml", source_dir());
    CHECK(sc_config_build(c, path, two_bad, 2, err, sizeof(err)) == SC_E_INVAL);
    CHECK_EQ_INT(count_lines(err), 3);
    CHECK(!strncmp(err, path, strlen(path)) && strstr(err, "\n--set: detection.threshold: 2 is not between 0 and 1\n"));
    CHECK(!strcmp(strrchr(err, '\n') + 1, "--set: model.threads: expected an integer, got 'x'"));
    free(c);
    free(d);
}

static void test_round_trips(void)
{
    sc_config *c = new_defaults();
    check_round_trip(c, "defaults");
    /* every kind of value, awkward strings included */
    const char *sets[] = {
        "source.kind=dir", "source.device=/dev/v4l/by-id/usb-046d_C920-video-index0", "source.pixel_format=yuyv",
        "source.width=1280", "source.height=720", "source.fps=60", "source.loop=true", "source.rate=29.97",
        "source.buffers=8", "source.reconnect_interval_ms=250", "source.frame_timeout_ms=60000",
        "source.path=\"quote \\\" backslash \\\\ tab \\t newline \\n bell \\a caf\\u00e9 \\u2028 \\x85 \\uFEFF \\U0001F600 end\"",
        "model.path=models/ssd.tflite", "model.labels='it''s here: #1'", "model.rho=0.853", "model.letterbox=yes",
        "model.threads=64", "model.float=on",
        "detection.threshold=0.1", "detection.per_class_thresholds={person: 0.333333333333333315, \"a, b\": 1e-7}",
        "detection.allow=[person, \"traffic light\", \"x,y\", \"  spaced  \"]", "detection.deny=[dog]",
        "detection.max_detections=100", "detection.min_box_area=0.0001",
        "display.enabled=on", "display.fullscreen=true", "display.width=1920", "display.height=1080",
        "display.hud=false", "display.font_scale=1.5",
        "log.path=/var/log/ssdcam/d.csv", "log.format=csv", "log.every_frame=true", "log.fsync_interval_ms=0",
        "log.max_bytes=1T", "log.max_files=1000",
    };
    for (size_t i = 0; i < SC_ARRAY_LEN(sets); i++)
        CHECKF(set1(c, sets[i]) == SC_OK, "%s: %s", sets[i], err);
    CHECK(strstr(c->source.path, "caf\xc3\xa9 \xe2\x80\xa8 \xc2\x85 \xef\xbb\xbf \xf0\x9f\x98\x80 end") != NULL);
    CHECK(strstr(c->source.path, "bell \a") != NULL);
    CHECK(!strcmp(c->model.labels, "it's here: #1"));
    CHECK(!strcmp(c->detection.allow.name[3], "spaced"));
    CHECK_EQ_INT(c->log.max_bytes, 1LL << 40);
    check_round_trip(c, "everything set");
    /* values no file could hold exactly in fewer digits */
    c->detection.threshold = 1.0 / 3;
    c->source.rate = 30000.0 / 1001;
    c->detection.min_box_area = 5e-324;
    check_round_trip(c, "exact doubles");
    free(c);
}

static void test_limits(void)
{
    sc_config *c = new_defaults(), *d = new_defaults();
    size_t cap = 400000;
    char *y = malloc(cap);

    /* lists: 128 names fit, the 129th is refused */
    for (int n = 128; n <= 129; n++) {
        size_t k = (size_t)snprintf(y, cap, "detection:\n  allow:\n");
        for (int i = 0; i < n; i++) k += (size_t)snprintf(y + k, cap - k, "    - class%d\n", i);
        sc_status st = load_str(c, y);
        if (n == 128) {
            CHECK(st == SC_OK && c->detection.allow.n == 128);
        } else {
            CHECK(st == SC_E_INVAL);
            CHECKF(!strcmp(err, "t.yaml:131:7: detection.allow: more than 128 names"), "%s", err);
        }
    }
    /* strings: 4095 bytes fit, 4096 do not; class names 127 / 128 */
    for (int n = 4095; n <= 4096; n++) {
        int k = snprintf(y, cap, "model:\n  path: ");
        memset(y + k, 'p', (size_t)n);
        y[k + n] = '\n';
        y[k + n + 1] = 0;
        sc_status st = load_str(c, y);
        CHECK(n == 4095 ? st == SC_OK && strlen(c->model.path) == 4095 : st == SC_E_INVAL);
        if (n == 4096) CHECKF(!strcmp(err, "t.yaml:2:9: model.path: longer than 4095 bytes"), "%s", err);
    }
    for (int n = 127; n <= 128; n++) {
        int k = snprintf(y, cap, "detection:\n  deny: [");
        memset(y + k, 'c', (size_t)n);
        strcpy(y + k + n, "]\n");
        sc_status st = load_str(c, y);
        CHECK(n == 127 ? st == SC_OK && strlen(c->detection.deny.name[0]) == 127 : st == SC_E_INVAL);
        if (n == 128) CHECKF(!strcmp(err, "t.yaml:2:10: detection.deny: class name longer than 127 bytes"), "%s", err);
    }
    /* a NUL inside a quoted string */
    CHECK(load_str(c, "model:\n  path: \"a\\0b\"\n") == SC_E_INVAL);
    CHECKF(!strcmp(err, "t.yaml:2:9: model.path: contains a NUL character"), "%s", err);
    /* control characters in echoed names are neutralised (no terminal escapes in logs) */
    CHECK(load_str(c, "detection:\n  per_class_thresholds:\n    \"a\\e[31m\": 2\n") == SC_E_INVAL);
    CHECKF(!strcmp(err, "t.yaml:3:16: detection.per_class_thresholds.a?[31m: 2 is not between 0 and 1"), "%s", err);
    /* numbers: overflow and non-decimal forms */
    CHECK(load_str(c, "source:\n  fps: 99999999999999999999999\n") == SC_E_INVAL);
    CHECKF(!strcmp(err, "t.yaml:2:8: source.fps: 99999999999999999999999 is not between 1 and 240"), "%s", err);
    CHECK(load_str(c, "detection:\n  threshold: 1e999\n") == SC_E_INVAL);
    CHECK(load_str(c, "detection:\n  threshold: .nan\n") == SC_E_INVAL);
    CHECK(load_str(c, "detection:\n  threshold: 0x1p-1\n") == SC_E_INVAL);
    CHECK(load_str(c, "source:\n  fps: 0x1e\n") == SC_E_INVAL);

    /* too many errors: the first SC_CONFIG_MAX_ERRORS and a count */
    size_t k = (size_t)snprintf(y, cap, "source:\n");
    for (int i = 0; i < 15; i++) k += (size_t)snprintf(y + k, cap - k, "  bogus%d: 1\n", i);
    CHECK(load_str(c, y) == SC_E_INVAL);
    CHECK_EQ_INT(count_lines(err), SC_CONFIG_MAX_ERRORS + 1);
    CHECKF(strstr(err, "\n(too many errors: stopped after 10)") != NULL, "%s", err);
    /* a tiny or absent error buffer */
    char small[16];
    CHECK(sc_config_load_mem(c, y, strlen(y), "t.yaml", small, sizeof(small)) == SC_E_INVAL);
    CHECK(strlen(small) == 15 && !strncmp(small, "t.yaml:2:3: sou", 15));
    CHECK(sc_config_load_mem(c, y, strlen(y), "t.yaml", NULL, 0) == SC_E_INVAL);

    /* deep nesting under an unknown key: reading stops at depth 32 (libyaml's scanner is
     * quadratic in the flow depth: 50000 levels took 5 s before this limit) */
    k = (size_t)snprintf(y, cap, "junk: ");
    for (int i = 0; i < 50000; i++) y[k++] = '[';
    for (int i = 0; i < 50000; i++) y[k++] = ']';
    strcpy(y + k, "\ndetection:\n  threshold: 0.7\n");
    CHECK(load_str(c, y) == SC_E_INVAL);
    CHECKF(!strcmp(err, "t.yaml:1:1: unknown section 'junk'\nt.yaml:1:39: nested deeper than 32 levels"), "%s", err);
    CHECK_NEAR(c->detection.threshold, 0.5, 0);

    /* an alias bomb is refused at the first alias, never expanded */
    CHECK(load_str(c, "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ndetection:\n  allow: *c\n") == SC_E_INVAL);
    CHECKF(strstr(err, "t.yaml:5:10: detection.allow: aliases (*c) are not supported") != NULL, "%s", err);

    /* the file size limit, in memory and on disk */
    CHECK(sc_config_load_mem(c, y, SC_CONFIG_MAX_FILE_BYTES + 1, "big.yaml", err, sizeof(err)) == SC_E_RANGE);
    CHECKF(!strcmp(err, "big.yaml: larger than 1048576 bytes (1048577)"), "%s", err);
    char tmp[] = "/tmp/sc_config_big_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    if (fd >= 0) {
        FILE *f = fdopen(fd, "w");
        for (size_t i = 0; i <= SC_CONFIG_MAX_FILE_BYTES / 8; i++) fputs("#234567\n", f);
        fclose(f);
        CHECK(sc_config_load(c, tmp, err, sizeof(err)) == SC_E_RANGE);
        char want[200];
        snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", tmp);
        CHECKF(!strcmp(err, want), "%s", err);
        /* exactly at the limit is fine */
        CHECK(truncate(tmp, (off_t)SC_CONFIG_MAX_FILE_BYTES) == 0);
        CHECKF(sc_config_load(c, tmp, err, sizeof(err)) == SC_OK, "%s", err);
        unlink(tmp);
    }
    CHECK(sc_config_equal(c, c));
    free(y);
    free(c);
    free(d);
}

int main(void)
{
    test_defaults();
    test_config_files();
    test_bad_fixtures();
    test_empty_and_missing();
    test_did_you_mean();
    test_set();
    test_round_trips();
    test_limits();
    return sc_test_finish();
}
