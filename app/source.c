/* app/source.c — still image, image directory and MJPEG stream file readers (see source.h). */
#include "app/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/image_io.h"
#include "app/mjpeg.h"
#include "core/log.h"

/* Bytes read from a JPEG file to find its frame header (EXIF APP1 segments come first and
 * may carry a thumbnail of up to 64 KB; several APPn segments are possible). */
#define HEADER_PEEK_BYTES ((size_t)1 << 20)

struct sc_source {
    sc_source_kind kind;
    char *path;
    size_t max_bytes;
    int first_w, first_h;
    int count;
    uint64_t corrupt, truncated;
    /* image */
    sc_image still;
    int still_done;
    /* dir */
    char **names;              /* [count] file names, sorted */
    unsigned char *warned;     /* [count] a failure was already logged */
    int next_index;
    /* mjpeg */
    const uint8_t *map;
    size_t map_len;
    size_t pos;
};

static int has_image_ext(const char *name)
{
    static const char *const exts[] = { ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".ppm", ".pgm" };
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.') return 0;
    for (size_t i = 0; i < SC_ARRAY_LEN(exts); i++)
        if (strcasecmp(dot, exts[i]) == 0) return 1;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads up to max bytes of a file. Returns the count, or -1 with errno set. */
static ssize_t read_head(const char *path, uint8_t *buf, size_t max)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    size_t got = 0;
    while (got < max) {
        ssize_t r = read(fd, buf + got, max - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    return (ssize_t)got;
}

/* Width and height from a file's header: JPEG (frame header) or PNG (IHDR); other formats
 * are decoded. Returns SC_OK or the failure with a message in err. */
static sc_status image_size(const char *path, uint8_t *buf, int *w, int *h, char *err, size_t errlen)
{
    ssize_t n = read_head(path, buf, HEADER_PEEK_BYTES);
    if (n < 0) {
        sc_set_err(err, errlen, "%s: %s", path, strerror(errno));
        return SC_E_IO;
    }
    if (n >= 4 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF) {
        sc_mjpeg_info info;
        sc_mjpeg_check(buf, (size_t)n, 0, 0, 4, &info);
        if (info.width > 0 && info.height > 0) {
            *w = info.width;
            *h = info.height;
            return SC_OK;
        }
    } else if (n >= 24 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(buf + 12, "IHDR", 4) == 0) {
        uint32_t pw = (uint32_t)buf[16] << 24 | (uint32_t)buf[17] << 16 | (uint32_t)buf[18] << 8 | buf[19];
        uint32_t ph = (uint32_t)buf[20] << 24 | (uint32_t)buf[21] << 16 | (uint32_t)buf[22] << 8 | buf[23];
        if (pw > 0 && ph > 0 && pw <= SC_IMAGE_MAX_SIDE && ph <= SC_IMAGE_MAX_SIDE) {
            *w = (int)pw;
            *h = (int)ph;
            return SC_OK;
        }
    }
    sc_image img;
    sc_status st = sc_image_load(path, &img, err, errlen);
    if (st != SC_OK) return st;
    *w = img.width;
    *h = img.height;
    sc_image_fini(&img);
    return SC_OK;
}

static sc_status rgb_bytes(int w, int h, size_t *out)
{
    size_t row;
    if (!sc_mul_size((size_t)w, 3, &row) || !sc_mul_size(row, (size_t)h, out)) return SC_E_RANGE;
    return SC_OK;
}

static sc_status open_dir(sc_source *s, char *err, size_t errlen)
{
    DIR *d = opendir(s->path);
    if (!d) {
        sc_set_err(err, errlen, "%s: %s", s->path, strerror(errno));
        return SC_E_IO;
    }
    size_t cap = 0;
    struct dirent *e;
    sc_status st = SC_OK;
    while ((e = readdir(d))) {
        if (!has_image_ext(e->d_name)) continue;
        if ((size_t)s->count == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(s->names, ncap * sizeof(*nn));
            if (!nn) { st = SC_E_NOMEM; break; }
            s->names = nn;
            cap = ncap;
        }
        if (!(s->names[s->count] = strdup(e->d_name))) { st = SC_E_NOMEM; break; }
        s->count++;
        if (s->count >= (1 << 24)) { st = SC_E_RANGE; break; }
    }
    closedir(d);
    if (st != SC_OK) {
        sc_set_err(err, errlen, "%s: %s while listing", s->path, sc_status_str(st));
        return st;
    }
    if (s->count == 0) {
        sc_set_err(err, errlen, "%s: no image files (.jpg .jpeg .png .bmp .gif .ppm .pgm)", s->path);
        return SC_E_FORMAT;
    }
    qsort(s->names, (size_t)s->count, sizeof(*s->names), cmp_names);
    if (!(s->warned = calloc((size_t)s->count, 1))) return SC_E_NOMEM;

    uint8_t *buf = malloc(HEADER_PEEK_BYTES);
    if (!buf) return SC_E_NOMEM;
    size_t pathcap = strlen(s->path) + 2 + 256;
    char *full = malloc(pathcap);
    if (!full) { free(buf); return SC_E_NOMEM; }
    int usable = 0;
    for (int i = 0; i < s->count; i++) {
        int w = 0, h = 0;
        size_t bytes;
        char msg[512];
        snprintf(full, pathcap, "%s/%s", s->path, s->names[i]);
        if (image_size(full, buf, &w, &h, msg, sizeof(msg)) != SC_OK || rgb_bytes(w, h, &bytes) != SC_OK) {
            sc_log_warn("source: %s (skipped)", msg);   /* decoding will fail again: counted then */
            s->warned[i] = 1;
            continue;
        }
        if (!usable++) { s->first_w = w; s->first_h = h; }
        if (bytes > s->max_bytes) s->max_bytes = bytes;
    }
    free(full);
    free(buf);
    if (!usable) {
        sc_set_err(err, errlen, "%s: none of the %d image files can be read", s->path, s->count);
        return SC_E_FORMAT;
    }
    return SC_OK;
}

static sc_status open_mjpeg(sc_source *s, char *err, size_t errlen)
{
    int fd = open(s->path, O_RDONLY);
    struct stat stt;
    if (fd < 0 || fstat(fd, &stt) != 0) {
        sc_set_err(err, errlen, "%s: %s", s->path, strerror(errno));
        if (fd >= 0) close(fd);
        return SC_E_IO;
    }
    if (!S_ISREG(stt.st_mode) || stt.st_size <= 0) {
        close(fd);
        sc_set_err(err, errlen, "%s: not a non-empty regular file", s->path);
        return SC_E_FORMAT;
    }
    void *m = mmap(NULL, (size_t)stt.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        sc_set_err(err, errlen, "%s: mmap: %s", s->path, strerror(e));
        return SC_E_IO;
    }
    s->map = m;
    s->map_len = (size_t)stt.st_size;
    /* One pass to count the good images and find the largest. */
    size_t pos = 0, start, skipped;
    sc_mjpeg_info info;
    int v;
    while ((v = sc_mjpeg_next(s->map, s->map_len, &pos, &start, SC_MJPEG_MIN_BYTES, &info, &skipped)) >= 0) {
        if (v != SC_MJPEG_OK) continue;
        if (!s->count++) { s->first_w = info.width; s->first_h = info.height; }
        if (info.length > s->max_bytes) s->max_bytes = info.length;
    }
    if (s->count == 0) {
        sc_set_err(err, errlen, "%s: no complete JPEG image in %zu bytes", s->path, s->map_len);
        return SC_E_FORMAT;
    }
    return SC_OK;
}

sc_status sc_source_open(sc_source_kind kind, const char *path, sc_source **out,
                         char *err, size_t errlen)
{
    sc_status st;
    *out = NULL;
    if (!path || !*path) {
        sc_set_err(err, errlen, "source: no path given");
        return SC_E_INVAL;
    }
    sc_source *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path))) {
        free(s);
        sc_set_err(err, errlen, "%s: out of memory", path);
        return SC_E_NOMEM;
    }
    s->kind = kind;
    switch (kind) {
    case SC_SOURCE_IMAGE:
        st = sc_image_load(path, &s->still, err, errlen);
        if (st == SC_OK) {
            s->count = 1;
            s->first_w = s->still.width;
            s->first_h = s->still.height;
            st = rgb_bytes(s->still.width, s->still.height, &s->max_bytes);
        }
        break;
    case SC_SOURCE_DIR: st = open_dir(s, err, errlen); break;
    case SC_SOURCE_MJPEG: st = open_mjpeg(s, err, errlen); break;
    default: sc_set_err(err, errlen, "source: unknown kind %d", (int)kind); st = SC_E_INVAL; break;
    }
    if (st != SC_OK) {
        if (st == SC_E_NOMEM) sc_set_err(err, errlen, "%s: out of memory", path);
        sc_source_close(s);
        return st;
    }
    *out = s;
    return SC_OK;
}

void sc_source_close(sc_source *s)
{
    if (!s) return;
    sc_image_fini(&s->still);
    if (s->names)
        for (int i = 0; i < s->count; i++) free(s->names[i]);
    free(s->names);
    free(s->warned);
    if (s->map) munmap((void *)s->map, s->map_len);
    free(s->path);
    free(s);
}

size_t sc_source_max_frame_bytes(const sc_source *s) { return s->max_bytes; }

void sc_source_first_size(const sc_source *s, int *width, int *height)
{
    *width = s->first_w;
    *height = s->first_h;
}

int sc_source_count(const sc_source *s) { return s->count; }

void sc_source_counts(const sc_source *s, uint64_t *corrupt, uint64_t *truncated)
{
    *corrupt = s->corrupt;
    *truncated = s->truncated;
}

void sc_source_rewind(sc_source *s)
{
    s->still_done = 0;
    s->next_index = 0;
    s->pos = 0;
}

static void put_rgb(sc_frame *f, const sc_image *img)
{
    size_t row = (size_t)img->width * 3;
    for (int y = 0; y < img->height; y++)
        memcpy(f->data + (size_t)y * row, img->data + (size_t)y * img->stride_bytes, row);
    f->fmt = SC_PIXFMT_RGB24;
    f->width = img->width;
    f->height = img->height;
    f->stride_bytes = row;
    f->bytes_used = row * (size_t)img->height;
}

static sc_status next_dir(sc_source *s, sc_frame *f, char *err, size_t errlen)
{
    if (s->next_index >= s->count) return SC_E_CLOSED;
    int i = s->next_index++;
    char full[4096];
    if (snprintf(full, sizeof(full), "%s/%s", s->path, s->names[i]) >= (int)sizeof(full)) {
        sc_set_err(err, errlen, "%s/%s: path too long", s->path, s->names[i]);
        s->corrupt++;
        return SC_E_IO;
    }
    sc_image img;
    sc_status st = sc_image_load(full, &img, err, errlen);
    if (st != SC_OK) {
        if (!s->warned[i]) sc_log_warn("source: %s (skipped)", err ? err : full);
        s->warned[i] = 1;
        s->corrupt++;
        return st == SC_E_NOMEM ? st : SC_E_FORMAT;
    }
    size_t bytes;
    if (rgb_bytes(img.width, img.height, &bytes) != SC_OK || bytes > f->capacity) {
        /* The file changed since open and grew: skip it rather than resize the pool. */
        sc_set_err(err, errlen, "%s: %dx%d is larger than when the directory was opened", full,
                img.width, img.height);
        if (!s->warned[i]) sc_log_warn("source: %s (skipped)", err ? err : full);
        s->warned[i] = 1;
        sc_image_fini(&img);
        s->corrupt++;
        return SC_E_FORMAT;
    }
    put_rgb(f, &img);
    sc_image_fini(&img);
    return SC_OK;
}

static sc_status next_mjpeg(sc_source *s, sc_frame *f, char *err, size_t errlen)
{
    size_t start, skipped;
    sc_mjpeg_info info;
    int v = sc_mjpeg_next(s->map, s->map_len, &s->pos, &start, SC_MJPEG_MIN_BYTES, &info, &skipped);
    if (v < 0) return SC_E_CLOSED;
    if (v != SC_MJPEG_OK) {
        if (v == SC_MJPEG_TRUNCATED) s->truncated++;
        else s->corrupt++;
        sc_set_err(err, errlen, "%s: %s JPEG at byte %zu (skipped)", s->path,
                sc_mjpeg_verdict_str((sc_mjpeg_verdict)v), start);
        return SC_E_FORMAT;
    }
    if (info.length > f->capacity) {          /* only if the file changed since open */
        s->corrupt++;
        sc_set_err(err, errlen, "%s: JPEG at byte %zu is larger than at open (skipped)", s->path, start);
        return SC_E_FORMAT;
    }
    memcpy(f->data, s->map + start, info.length);
    f->fmt = SC_PIXFMT_MJPEG;
    f->width = info.width;
    f->height = info.height;
    f->stride_bytes = 0;
    f->bytes_used = info.length;
    return SC_OK;
}

sc_status sc_source_next(sc_source *s, sc_frame *f, char *err, size_t errlen)
{
    SC_ASSERT(f->capacity >= s->max_bytes);
    switch (s->kind) {
    case SC_SOURCE_IMAGE:
        if (s->still_done) return SC_E_CLOSED;
        s->still_done = 1;
        put_rgb(f, &s->still);
        return SC_OK;
    case SC_SOURCE_DIR: return next_dir(s, f, err, errlen);
    case SC_SOURCE_MJPEG: return next_mjpeg(s, f, err, errlen);
    }
    return SC_E_INVAL;
}
