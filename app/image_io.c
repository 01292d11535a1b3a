/* app/image_io.c — image files ↔ sc_image through stb_image / stb_image_write.
 *
 * Debian's libstb (pkg-config `stb`) already contains the implementations of stb_image and
 * stb_image_write, so this file includes the headers only (no STB_*_IMPLEMENTATION).
 *
 * stb_image reads zeros past the end of its buffer instead of failing for some formats, so a
 * truncated BMP, JPEG or GIF would "decode" with a black or grey bottom. Pillow (the
 * reference) refuses truncated files, and so do we: before decoding, a light structural walk
 * checks that the data the header announces is present (BMP and PPM pixel array sizes, JPEG
 * segments up to the end-of-image marker, GIF blocks up to the end of the first frame). PNG
 * already fails in stb when truncated (except in the CRC of the final IEND chunk, which
 * holds no image data). */
#include "app/image_io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include "core/log.h"

typedef enum sc_imgfmt {
    SC_IMGFMT_UNKNOWN = 0,
    SC_IMGFMT_JPEG,
    SC_IMGFMT_PNG,
    SC_IMGFMT_BMP,
    SC_IMGFMT_GIF,
    SC_IMGFMT_PNM
} sc_imgfmt;

static const char *const fmt_names[] = { "unknown", "JPEG", "PNG", "BMP", "GIF", "PPM" };

static void set_err(char *err, size_t errlen, const char *fmt, ...) SC_PRINTF(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static sc_imgfmt sniff(const uint8_t *p, size_t n)
{
    static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return SC_IMGFMT_JPEG;
    if (n >= 8 && memcmp(p, png_sig, 8) == 0) return SC_IMGFMT_PNG;
    if (n >= 2 && p[0] == 'B' && p[1] == 'M') return SC_IMGFMT_BMP;
    if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        return SC_IMGFMT_GIF;
    if (n >= 3 && p[0] == 'P' && (p[1] == '5' || p[1] == '6') &&
        (p[2] == ' ' || p[2] == '\t' || p[2] == '\n' || p[2] == '\r' || p[2] == '#'))
        return SC_IMGFMT_PNM;
    return SC_IMGFMT_UNKNOWN;
}

/* Walks the JPEG marker segments from SOI. Returns 1 if it reaches EOI within n bytes (0 if
 * the data stop first); *has_dht tells whether a Huffman table segment (DHT) came before the
 * first scan. Junk between segments is skipped as decoders do; a malformed length is left
 * for stb to report. */
static int jpeg_scan(const uint8_t *p, size_t n, int *has_dht)
{
    size_t i = 2;
    int seen_sos = 0;
    *has_dht = 0;
    while (i < n) {
        unsigned m;
        size_t len;
        if (p[i] != 0xFF) { i++; continue; }
        while (i < n && p[i] == 0xFF) i++;          /* fill bytes */
        if (i >= n) return 0;
        m = p[i++];
        if (m == 0xD9) return 1;                    /* EOI */
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  /* no length */
        if (i + 2 > n) return 0;
        len = (size_t)p[i] << 8 | p[i + 1];
        if (len < 2) return 1;
        if (len > n - i) return 0;
        if (m == 0xC4 && !seen_sos) *has_dht = 1;
        i += len;
        if (m == 0xDA) {                            /* SOS: entropy-coded data follows */
            seen_sos = 1;
            while (i + 1 < n) {
                if (p[i] == 0xFF && p[i + 1] != 0x00 && p[i + 1] != 0xFF &&
                    !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7))
                    break;
                i++;
            }
            if (i + 1 >= n) return 0;
        }
    }
    return 0;
}

/* The "typical" Huffman tables of the JPEG standard (ITU T.81 Annex K.3), as one DHT
 * segment. Motion-JPEG frames from most UVC cameras leave them out (AVI1/MJPEG convention)
 * and stb_image does not supply them, so we insert this segment after SOI when a frame has
 * no DHT of its own. Each table: class/id byte, 16 code counts, then the symbols. */
static const uint8_t std_dht[] = {
    0xFF, 0xC4, 0x01, 0xA2,
    0x00,                                                   /* DC, table 0 (luminance) */
    0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    0x10,                                                   /* AC, table 0 (luminance) */
    0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D,
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51,
    0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1,
    0x15, 0x52, 0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18,
    0x19, 0x1A, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
    0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57,
    0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75,
    0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x92,
    0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
    0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8,
    0xD9, 0xDA, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2,
    0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
    0x01,                                                   /* DC, table 1 (chrominance) */
    0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    0x11,                                                   /* AC, table 1 (chrominance) */
    0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77,
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07,
    0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09,
    0x23, 0x33, 0x52, 0xF0, 0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25,
    0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38,
    0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56,
    0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74,
    0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
    0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA,
    0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6,
    0xD7, 0xD8, 0xD9, 0xDA, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2,
    0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
};

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1 unless an uncompressed BMP's pixel array runs past n bytes. */
static int bmp_complete(const uint8_t *p, size_t n)
{
    uint32_t off, hdr, comp, bpp;
    int64_t w, h;
    uint64_t row, need;
    if (n < 18) return 0;
    off = rd_le32(p + 10);
    hdr = rd_le32(p + 14);
    if (hdr < 40) return 1;                          /* OS/2 core header: leave it to stb */
    if (n < 34) return 0;
    w = (int32_t)rd_le32(p + 18);
    h = (int32_t)rd_le32(p + 22);
    bpp = (uint32_t)p[28] | (uint32_t)p[29] << 8;
    comp = rd_le32(p + 30);
    if (comp != 0 && comp != 3 && comp != 6) return 1;   /* stb refuses RLE itself */
    if (w <= 0 || h == 0 || bpp == 0 || bpp > 32) return 1;
    if (h < 0) h = -h;
    row = ((uint64_t)w * bpp + 31) / 32 * 4;
    need = (uint64_t)off + row * (uint64_t)h;
    return need <= n;
}

/* 1 if a binary PPM/PGM header is complete and all the samples it announces are present. */
static int pnm_complete(const uint8_t *p, size_t n)
{
    uint64_t v[3];
    size_t i = 2;
    for (int k = 0; k < 3; k++) {
        for (;;) {                                           /* whitespace and comments */
            if (i >= n) return 0;
            if (p[i] == '#') {
                while (i < n && p[i] != '\n') i++;
            } else if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
                i++;
            } else {
                break;
            }
        }
        if (p[i] < '0' || p[i] > '9') return 1;              /* malformed: stb reports it */
        v[k] = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (v[k] > 1000000) return 1;
            v[k] = v[k] * 10 + (uint64_t)(p[i++] - '0');
        }
    }
    if (i >= n) return 0;                                    /* the whitespace after maxval */
    i++;
    return v[0] * v[1] * (p[1] == '6' ? 3u : 1u) * (v[2] > 255 ? 2u : 1u) <= n - i;
}

/* Skips GIF data sub-blocks starting at *i; 0 if they run past n. */
static int gif_skip_blocks(const uint8_t *p, size_t n, size_t *i)
{
    while (*i < n) {
        size_t sz = p[(*i)++];
        if (sz == 0) return 1;
        if (sz > n - *i) return 0;
        *i += sz;
    }
    return 0;
}

/* 1 if the GIF's first image (descriptor, colour table, LZW data) is complete in n bytes. */
static int gif_complete(const uint8_t *p, size_t n)
{
    size_t i = 13;
    if (n < 13) return 0;
    if (p[10] & 0x80) i += 3u * (2u << (p[10] & 7));        /* global colour table */
    while (i < n) {
        uint8_t b = p[i++];
        if (b == 0x21) {                                      /* extension */
            if (i >= n) return 0;
            i++;                                              /* label */
            if (!gif_skip_blocks(p, n, &i)) return 0;
        } else if (b == 0x2C) {                               /* image descriptor */
            uint8_t flags;
            if (n - i < 9) return 0;
            flags = p[i + 8];
            i += 9;
            if (flags & 0x80) i += 3u * (2u << (flags & 7));  /* local colour table */
            if (i >= n) return 0;
            i++;                                              /* LZW minimum code size */
            return gif_skip_blocks(p, n, &i);
        } else {
            return 1;     /* trailer or junk before any image: stb reports it */
        }
    }
    return 0;
}

sc_status sc_image_load_mem(const void *data, size_t len, const char *name, sc_image *out,
                            char *err, size_t errlen)
{
    const uint8_t *p = data;
    int w = 0, h = 0, comp = 0, w2 = 0, h2 = 0, has_dht = 1;
    uint8_t *patched = NULL;
    sc_imgfmt fmt;
    uint8_t *pix;
    sc_status st;

    SC_ASSERT(out);
    memset(out, 0, sizeof(*out));
    if (!name) name = "(memory)";
    if (!p || len == 0) {
        set_err(err, errlen, "%s: empty image data", name);
        return SC_E_FORMAT;
    }
    if (len > (size_t)INT32_MAX || len > SC_IMAGE_MAX_FILE_BYTES) {
        set_err(err, errlen, "%s: %zu bytes is too large for an image file", name, len);
        return SC_E_RANGE;
    }
    fmt = sniff(p, len);
    if (fmt == SC_IMGFMT_UNKNOWN) {
        set_err(err, errlen, "%s: not a JPEG, PNG, BMP, GIF or binary PPM/PGM file", name);
        return SC_E_UNSUPPORTED;
    }
    if (!stbi_info_from_memory(p, (int)len, &w, &h, &comp)) {
        set_err(err, errlen, "%s: corrupt %s header (stb_image: %s)", name, fmt_names[fmt],
                stbi_failure_reason() ? stbi_failure_reason() : "unknown");
        return SC_E_FORMAT;
    }
    if (w <= 0 || h <= 0) {
        set_err(err, errlen, "%s: %s header gives an empty %dx%d image", name, fmt_names[fmt],
                w, h);
        return SC_E_FORMAT;
    }
    if (w > SC_IMAGE_MAX_SIDE || h > SC_IMAGE_MAX_SIDE ||
        (int64_t)w * h > SC_IMAGE_MAX_PIXELS) {
        set_err(err, errlen, "%s: %dx%d image is too large (limits: %d pixels a side, %d pixels)",
                name, w, h, SC_IMAGE_MAX_SIDE, SC_IMAGE_MAX_PIXELS);
        return SC_E_RANGE;
    }
    if ((fmt == SC_IMGFMT_JPEG && !jpeg_scan(p, len, &has_dht)) ||
        (fmt == SC_IMGFMT_BMP && !bmp_complete(p, len)) ||
        (fmt == SC_IMGFMT_GIF && !gif_complete(p, len)) ||
        (fmt == SC_IMGFMT_PNM && !pnm_complete(p, len))) {
        set_err(err, errlen, "%s: truncated %s file (%zu bytes)", name, fmt_names[fmt], len);
        return SC_E_FORMAT;
    }
    if (fmt == SC_IMGFMT_JPEG && !has_dht) {
        /* SOI + the standard tables + everything after SOI. */
        if (len > (size_t)INT32_MAX - sizeof(std_dht) || !(patched = malloc(len + sizeof(std_dht)))) {
            set_err(err, errlen, "%s: out of memory", name);
            return SC_E_NOMEM;
        }
        memcpy(patched, p, 2);
        memcpy(patched + 2, std_dht, sizeof(std_dht));
        memcpy(patched + 2 + sizeof(std_dht), p + 2, len - 2);
        p = patched;
        len += sizeof(std_dht);
    }
    pix = stbi_load_from_memory(p, (int)len, &w2, &h2, &comp, 3);
    free(patched);
    if (!pix) {
        const char *why = stbi_failure_reason();
        if (why && strcmp(why, "outofmem") == 0) {
            set_err(err, errlen, "%s: out of memory decoding %dx%d %s", name, w, h,
                    fmt_names[fmt]);
            return SC_E_NOMEM;
        }
        set_err(err, errlen, "%s: corrupt %s data (stb_image: %s)", name, fmt_names[fmt],
                why ? why : "unknown");
        return SC_E_FORMAT;
    }
    if (w2 != w || h2 != h) {
        stbi_image_free(pix);
        set_err(err, errlen, "%s: %s decoded as %dx%d but its header says %dx%d", name,
                fmt_names[fmt], w2, h2, w, h);
        return SC_E_FORMAT;
    }
    st = sc_image_init(out, w, h, 3);
    if (st != SC_OK) {
        stbi_image_free(pix);
        set_err(err, errlen, "%s: cannot allocate a %dx%d image: %s", name, w, h,
                sc_status_str(st));
        return st;
    }
    for (int y = 0; y < h; y++)
        memcpy(out->data + (size_t)y * out->stride_bytes, pix + (size_t)y * w * 3, (size_t)w * 3);
    stbi_image_free(pix);
    return SC_OK;
}

/* Reads a whole file (regular or not) into a malloc'd buffer of at most max bytes. */
static sc_status read_file(const char *path, size_t max, uint8_t **out, size_t *out_len,
                           char *err, size_t errlen)
{
    sc_status st = SC_E_IO;
    struct stat sb;
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *out_len = 0;
    if (!f) {
        int e = errno;
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(e));
        return SC_E_IO;
    }
    if (fstat(fileno(f), &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            set_err(err, errlen, "%s: is a directory", path);
            goto done;
        }
        if (S_ISREG(sb.st_mode)) {
            if ((uint64_t)sb.st_size > max) {
                set_err(err, errlen, "%s: %lld bytes is too large for an image file", path,
                        (long long)sb.st_size);
                st = SC_E_RANGE;
                goto done;
            }
            cap = (size_t)sb.st_size + 1;   /* +1 so EOF is seen without growing */
        }
    }
    if (cap < 4096) cap = 4096;
    for (;;) {
        size_t want, got;
        if (!buf || len == cap) {
            uint8_t *nb;
            if (buf) {
                if (cap > max) {
                    set_err(err, errlen, "%s: more than %zu bytes, too large for an image file",
                            path, max);
                    st = SC_E_RANGE;
                    goto done;
                }
                cap *= 2;
            }
            nb = realloc(buf, cap);
            if (!nb) {
                set_err(err, errlen, "%s: out of memory reading the file", path);
                st = SC_E_NOMEM;
                goto done;
            }
            buf = nb;
        }
        want = cap - len;
        got = fread(buf + len, 1, want, f);
        len += got;
        if (got < want) {            /* end of file or an error */
            if (ferror(f)) {
                int e = errno;
                set_err(err, errlen, "%s: read error: %s", path, strerror(e));
                goto done;
            }
            break;
        }
    }
    if (len > max) {
        set_err(err, errlen, "%s: more than %zu bytes, too large for an image file", path, max);
        st = SC_E_RANGE;
        goto done;
    }
    *out = buf;
    *out_len = len;
    buf = NULL;
    st = SC_OK;
done:
    free(buf);
    fclose(f);
    return st;
}

sc_status sc_image_load(const char *path, sc_image *out, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    sc_status st;
    SC_ASSERT(path && out);
    memset(out, 0, sizeof(*out));
    st = read_file(path, SC_IMAGE_MAX_FILE_BYTES, &buf, &len, err, errlen);
    if (st != SC_OK) return st;
    if (len == 0) {
        free(buf);
        set_err(err, errlen, "%s: empty file", path);
        return SC_E_FORMAT;
    }
    st = sc_image_load_mem(buf, len, path, out, err, errlen);
    free(buf);
    return st;
}

sc_status sc_image_save_png(const char *path, const sc_image *img, char *err, size_t errlen)
{
    SC_ASSERT(path && img);
    if (!img->data || img->width <= 0 || img->height <= 0 || img->channels < 1 ||
        img->channels > 4 || img->stride_bytes > (size_t)INT32_MAX) {
        set_err(err, errlen, "%s: cannot write an invalid image", path);
        return SC_E_INVAL;
    }
    errno = 0;
    if (!stbi_write_png(path, img->width, img->height, img->channels, img->data,
                        (int)img->stride_bytes)) {
        int e = errno;
        set_err(err, errlen, "%s: cannot write PNG: %s", path,
                e ? strerror(e) : "stb_image_write failed");
        return SC_E_IO;
    }
    return SC_OK;
}
