/* tests/unit/test_labels.c — label map loading (models/labels.c): the real COCO file and
 * hand-made files with CRLF, BOM, blank lines, overlong lines and other errors. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/labels.h"
#include "tests/harness.h"

static char g_dir[512];

static const char *tmp_path(const char *name)
{
    static char p[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", g_dir, name);
    return p[k];
}

static const char *write_file(const char *name, const char *data, size_t len)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return path;
    }
    fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

/* Loads with stderr captured into `msg`, so the error text can be checked. */
static sc_status load_captured(const char *path, int offset, sc_labels **out, char *msg, size_t cap)
{
    const char *cap_path = tmp_path("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (saved >= 0 && fd >= 0) dup2(fd, 2);
    sc_status st = sc_labels_load(path, offset, out);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
    if (fd >= 0) close(fd);
    msg[0] = '\0';
    FILE *f = fopen(cap_path, "rb");
    if (f) {
        size_t n = fread(msg, 1, cap - 1, f);
        msg[n] = '\0';
        fclose(f);
    }
    unlink(cap_path);
    return st;
}

static void test_coco_file(void)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/models/ssd_mobilenet_v1_coco_quant/labelmap.txt",
             sc_test_shared_dir());
    sc_labels *l = NULL;
    CHECK(sc_labels_load(path, 1, &l) == SC_OK);
    if (!l) return;
    CHECK_EQ_INT(sc_labels_count(l), 90);
    CHECK(strcmp(sc_labels_name(l, 0), "person") == 0);
    CHECK(strcmp(sc_labels_name(l, 1), "bicycle") == 0);
    CHECK(strcmp(sc_labels_name(l, 9), "traffic light") == 0);
    CHECK(strcmp(sc_labels_name(l, 11), "???") == 0);          /* an unused COCO id */
    CHECK(strcmp(sc_labels_name(l, 89), "toothbrush") == 0);
    /* Pairs from testdata/reference (class_index → label), an independent source. */
    CHECK(strcmp(sc_labels_name(l, 16), "cat") == 0);
    CHECK(strcmp(sc_labels_name(l, 61), "chair") == 0);
    CHECK(strcmp(sc_labels_name(l, 66), "dining table") == 0);
    CHECK(strcmp(sc_labels_name(l, 71), "tv") == 0);
    CHECK(strcmp(sc_labels_name(l, 87), "teddy bear") == 0);
    CHECK_EQ_INT(sc_labels_find(l, "person"), 0);
    CHECK_EQ_INT(sc_labels_find(l, "teddy bear"), 87);
    CHECK_EQ_INT(sc_labels_find(l, "toothbrush"), 89);
    CHECK_EQ_INT(sc_labels_find(l, "unicorn"), -1);
    CHECK_EQ_INT(sc_labels_find(l, "???"), 11);                /* the lowest such id */
    /* Unknown ids. */
    CHECK(strcmp(sc_labels_name(l, 90), "class 90") == 0);
    CHECK(strcmp(sc_labels_name(l, 123), "class 123") == 0);
    CHECK(strcmp(sc_labels_name(l, SC_LABELS_FALLBACK_IDS - 1), "class 1023") == 0);
    CHECK(strcmp(sc_labels_name(l, SC_LABELS_FALLBACK_IDS), "class ?") == 0);
    CHECK(strcmp(sc_labels_name(l, -1), "class ?") == 0);
    CHECK(sc_labels_name(l, 123) == sc_labels_name(l, 123));   /* stable storage */
    CHECK(sc_labels_has(l, 89) && !sc_labels_has(l, 90) && !sc_labels_has(l, -1));
    sc_labels_destroy(l);

    /* Offset 0: line 0 is class 0. */
    CHECK(sc_labels_load(path, 0, &l) == SC_OK);
    if (!l) return;
    CHECK_EQ_INT(sc_labels_count(l), 91);
    CHECK(strcmp(sc_labels_name(l, 0), "???") == 0);
    CHECK(strcmp(sc_labels_name(l, 1), "person") == 0);
    sc_labels_destroy(l);
}

static void test_formats(void)
{
    sc_labels *l = NULL;
    /* BOM, CRLF, spaces around names, a blank line inside, no final newline. */
    static const char crlf[] = "\xEF\xBB\xBF" "background\r\n  cat \t\r\n\r\nhot dog";
    const char *p = write_file("crlf.txt", crlf, sizeof(crlf) - 1);
    CHECK(sc_labels_load(p, 1, &l) == SC_OK);
    if (l) {
        CHECK_EQ_INT(sc_labels_count(l), 3);
        CHECK(strcmp(sc_labels_name(l, 0), "cat") == 0);
        CHECK(!sc_labels_has(l, 1));
        CHECK(strcmp(sc_labels_name(l, 1), "class 1") == 0);
        CHECK(strcmp(sc_labels_name(l, 2), "hot dog") == 0);
        CHECK_EQ_INT(sc_labels_find(l, "hot dog"), 2);
        sc_labels_destroy(l);
        l = NULL;
    }
    /* Blank lines at the end do not count. */
    static const char tail[] = "a\nb\n\n  \n\n";
    p = write_file("tail.txt", tail, sizeof(tail) - 1);
    CHECK(sc_labels_load(p, 0, &l) == SC_OK);
    if (l) {
        CHECK_EQ_INT(sc_labels_count(l), 2);
        CHECK(strcmp(sc_labels_name(l, 1), "b") == 0);
        sc_labels_destroy(l);
        l = NULL;
    }
    /* A name of exactly SC_LABELS_MAX_NAME bytes is fine. */
    char longest[SC_LABELS_MAX_NAME + 2];
    memset(longest, 'x', SC_LABELS_MAX_NAME);
    longest[SC_LABELS_MAX_NAME] = '\n';
    p = write_file("longest.txt", longest, SC_LABELS_MAX_NAME + 1);
    CHECK(sc_labels_load(p, 0, &l) == SC_OK);
    if (l) {
        CHECK_EQ_INT((long long)strlen(sc_labels_name(l, 0)), SC_LABELS_MAX_NAME);
        sc_labels_destroy(l);
        l = NULL;
    }
}

static void test_errors(void)
{
    sc_labels *l = (sc_labels *)&l;
    char msg[2048];
    const char *p;

    p = tmp_path("does-not-exist.txt");
    CHECK(load_captured(p, 1, &l, msg, sizeof(msg)) == SC_E_IO);
    CHECK(l == NULL);
    CHECKF(strstr(msg, p) && strstr(msg, "No such file"), "message: %s", msg);

    p = write_file("empty.txt", "", 0);
    CHECK(load_captured(p, 1, &l, msg, sizeof(msg)) == SC_E_FORMAT);
    CHECKF(strstr(msg, p) && strstr(msg, "empty"), "message: %s", msg);

    p = write_file("blank.txt", "\n \r\n\t\n", 6);
    CHECK(load_captured(p, 0, &l, msg, sizeof(msg)) == SC_E_FORMAT);
    CHECKF(strstr(msg, "empty"), "message: %s", msg);

    /* Overlong name on line 3. */
    char big[3 * 200];
    size_t n = 0;
    n += (size_t)sprintf(big + n, "bg\nperson\n");
    memset(big + n, 'y', SC_LABELS_MAX_NAME + 1);
    n += SC_LABELS_MAX_NAME + 1;
    n += (size_t)sprintf(big + n, "\ncar\n");
    p = write_file("long.txt", big, n);
    CHECK(load_captured(p, 1, &l, msg, sizeof(msg)) == SC_E_FORMAT);
    char want[700];
    snprintf(want, sizeof(want), "%s:3:", p);
    CHECKF(strstr(msg, want) && strstr(msg, "longer"), "message: %s", msg);
    CHECK(l == NULL);

    static const char nul[] = "bg\nca\0t\n";
    p = write_file("nul.txt", nul, sizeof(nul) - 1);
    CHECK(load_captured(p, 1, &l, msg, sizeof(msg)) == SC_E_FORMAT);
    snprintf(want, sizeof(want), "%s:2:", p);
    CHECKF(strstr(msg, want) && strstr(msg, "NUL"), "message: %s", msg);

    /* Nothing left after the offset; negative offset. */
    p = write_file("one.txt", "???\n", 4);
    CHECK(load_captured(p, 1, &l, msg, sizeof(msg)) == SC_E_FORMAT);
    CHECKF(strstr(msg, p) != NULL, "message: %s", msg);
    CHECK(load_captured(p, -1, &l, msg, sizeof(msg)) == SC_E_INVAL);
    CHECK(load_captured(p, 0, &l, msg, sizeof(msg)) == SC_OK);
    CHECK(l && sc_labels_count(l) == 1);
    sc_labels_destroy(l);

    /* A directory: opens, but reading fails. */
    l = NULL;
    CHECK(load_captured(g_dir, 0, &l, msg, sizeof(msg)) == SC_E_IO);
    CHECKF(strstr(msg, g_dir) != NULL, "message: %s", msg);
    sc_labels_destroy(NULL);
}

static void cleanup(void)
{
    static const char *names[] = { "crlf.txt", "tail.txt", "longest.txt", "empty.txt", "blank.txt",
                                   "long.txt", "nul.txt", "one.txt" };
    for (size_t i = 0; i < SC_ARRAY_LEN(names); i++) unlink(tmp_path(names[i]));
    rmdir(g_dir);
}

int main(void)
{
    const char *base = getenv("SC_BUILD_DIR");
    snprintf(g_dir, sizeof(g_dir), "%s/test_labels_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror(g_dir);
        return 1;
    }
    test_coco_file();
    test_formats();
    test_errors();
    cleanup();
    return sc_test_finish();
}
