/* models/labels.c — label map text file → class names. */
#include "models/labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define MAX_FILE_BYTES ((size_t)16 << 20)
#define FALLBACK_LEN 12   /* "class 1023" + NUL fits */

struct sc_labels {
    int count;                  /* class ids named by the file */
    const char **names;         /* [count]; NULL for a blank line */
    char *text;                 /* the names, NUL-terminated, back to back */
    char fallback[SC_LABELS_FALLBACK_IDS][FALLBACK_LEN];
};

typedef struct line_iter {
    const char *buf;
    size_t size, pos;
    int lineno;                 /* 1-based number of the line last returned */
} line_iter;

/* Next line, trimmed of spaces, tabs and a trailing CR; 0 at the end of the buffer. */
static int next_line(line_iter *it, const char **start, size_t *len)
{
    if (it->pos >= it->size) return 0;
    const char *p = it->buf + it->pos;
    const char *nl = memchr(p, '\n', it->size - it->pos);
    const char *end = nl ? nl : it->buf + it->size;
    it->pos = (size_t)(end - it->buf) + (nl ? 1 : 0);
    it->lineno++;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    *start = p;
    *len = (size_t)(end - p);
    return 1;
}

static sc_status read_file(const char *path, char **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        sc_log_errno(errno, "labels: %s", path);
        return SC_E_IO;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    sc_status st = SC_E_NOMEM;
    if (!buf) goto fail;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_FILE_BYTES) {
                sc_log_error("labels: %s: larger than %zu bytes", path, MAX_FILE_BYTES);
                st = SC_E_FORMAT;
                goto fail;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) goto fail;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        sc_log_errno(errno, "labels: %s: read", path);
        st = SC_E_IO;
        goto fail;
    }
    fclose(f);
    *out = buf;
    *size = n;
    return SC_OK;
fail:
    free(buf);
    fclose(f);
    return st;
}

sc_status sc_labels_load(const char *path, int offset, sc_labels **out)
{
    SC_ASSERT(path && out);
    *out = NULL;
    if (offset < 0) {
        sc_log_error("labels: %s: negative line offset %d", path, offset);
        return SC_E_INVAL;
    }
    char *buf;
    size_t size;
    sc_status st = read_file(path, &buf, &size);
    if (st != SC_OK) return st;

    size_t skip = 0;
    if (size >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) skip = 3;   /* UTF-8 BOM */
    if (memchr(buf, '\0', size)) {
        const char *z = memchr(buf, '\0', size);
        int line = 1;
        for (const char *p = buf; p < z; p++) line += *p == '\n';
        sc_log_error("labels: %s:%d: NUL byte in a text file", path, line);
        free(buf);
        return SC_E_FORMAT;
    }

    /* Pass 1: validate, count lines up to the last non-blank one, sum the name bytes. */
    line_iter it = { buf + skip, size - skip, 0, 0 };
    const char *s;
    size_t len, text_bytes = 0;
    int n_lines = 0;
    while (next_line(&it, &s, &len)) {
        if (len > SC_LABELS_MAX_NAME) {
            sc_log_error("labels: %s:%d: name longer than %d bytes", path, it.lineno,
                         SC_LABELS_MAX_NAME);
            free(buf);
            return SC_E_FORMAT;
        }
        if (it.lineno > SC_LABELS_MAX_LINES) {
            sc_log_error("labels: %s:%d: more than %d lines", path, it.lineno, SC_LABELS_MAX_LINES);
            free(buf);
            return SC_E_FORMAT;
        }
        if (len > 0) {
            n_lines = it.lineno;
            text_bytes += len + 1;
        }
    }
    if (n_lines == 0) {
        sc_log_error("labels: %s: empty label file (no names)", path);
        free(buf);
        return SC_E_FORMAT;
    }
    if (offset >= n_lines) {
        sc_log_error("labels: %s: %d line(s), none left after skipping %d (line %d would be class 0)",
                     path, n_lines, offset, offset + 1);
        free(buf);
        return SC_E_FORMAT;
    }

    st = SC_E_NOMEM;
    sc_labels *l = calloc(1, sizeof(*l));
    if (!l) goto fail;
    l->count = n_lines - offset;
    l->names = calloc((size_t)l->count, sizeof(*l->names));
    l->text = malloc(text_bytes);
    if (!l->names || !l->text) goto fail;

    /* Pass 2: copy the names of lines offset..n_lines-1. */
    it = (line_iter){ buf + skip, size - skip, 0, 0 };
    char *t = l->text;
    while (next_line(&it, &s, &len) && it.lineno <= n_lines) {
        const int id = it.lineno - 1 - offset;
        if (id < 0 || len == 0) continue;
        memcpy(t, s, len);
        t[len] = '\0';
        l->names[id] = t;
        t += len + 1;
    }
    for (int i = 0; i < SC_LABELS_FALLBACK_IDS; i++)
        snprintf(l->fallback[i], FALLBACK_LEN, "class %d", i);
    free(buf);
    *out = l;
    return SC_OK;
fail:
    free(buf);
    sc_labels_destroy(l);
    return st;
}

void sc_labels_destroy(sc_labels *l)
{
    if (!l) return;
    free(l->names);
    free(l->text);
    free(l);
}

int sc_labels_count(const sc_labels *l)
{
    SC_ASSERT(l);
    return l->count;
}

int sc_labels_has(const sc_labels *l, int class_id)
{
    SC_ASSERT(l);
    return class_id >= 0 && class_id < l->count && l->names[class_id] != NULL;
}

const char *sc_labels_name(const sc_labels *l, int class_id)
{
    SC_ASSERT(l);
    if (sc_labels_has(l, class_id)) return l->names[class_id];
    if (class_id >= 0 && class_id < SC_LABELS_FALLBACK_IDS) return l->fallback[class_id];
    return "class ?";
}

int sc_labels_find(const sc_labels *l, const char *name)
{
    SC_ASSERT(l && name);
    for (int i = 0; i < l->count; i++)
        if (l->names[i] && strcmp(l->names[i], name) == 0) return i;
    return -1;
}
