/* app/image_io.c — image files ↔ sc_image through stb_image / stb_image_write.
 *
 * Debian's libstb (pkg-config `stb`) already contains the implementations of stb_image and
 * stb_image_write, so this file includes the headers only (no STB_*_IMPLEMENTATION).
 *
 * stb_image reads zeros past the end of its buffer instead of failing for some formats, so a
 * truncated BMP, JPEG or GIF would "decode" with a black or grey bottom. Pillow (the
 * reference) refuses truncated files, and so do we: before decoding, a light structural walk
 * checks that the data the header announces is present (BMP and PPM pixel array sizes, JPEG
 * segments up to the end-of-image marker, GIF blocks up to the end of the first frame, PNG
 * chunk lengths). PNG already fails in stb when truncated (except in the CRC of the final IEND
 * chunk, which holds no image data), but only after allocating what the lengths announce.
 * stb_image 2.27 bugs found by fuzzing are also guarded here (dht_segment_ok, the PGM decode,
 * the empty first IDAT in png_walk, the OS/2 BMP palette count in bmp_header);
 * tests/fuzz/regress/image/ keeps the inputs. */
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

#include "app/jpeg_turbo.h"
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

/* 0 if a Huffman table segment (DHT, its len - 2 bytes at seg) defines a table of more than
 * 256 codes or one that runs past the segment, else 1. stb_image 2.27 does not check the count
 * and writes past its 257-entry table arrays while building the table (memory corruption found
 * by tests/fuzz/fuzz_image.c; stb 2.28 checks it) — from stbi_info() too, so callers check
 * this before any stb call. */
static int dht_segment_ok(const uint8_t *seg, size_t len)
{
    for (size_t t = 0; t < len;) {
        size_t codes = 0;
        if (len - t < 17) return 0;
        for (int k = 1; k <= 16; k++) codes += seg[t + (size_t)k];
        if (codes > 256 || codes > len - t - 17) return 0;
        t += 17 + codes;
    }
    return 1;
}

/* Walks the JPEG marker segments from SOI. Returns 1 if it reaches EOI within n bytes (0 if
 * the data stop first); *has_dht tells whether a Huffman table segment (DHT) came before the
 * first scan, *dht_ok whether every DHT segment walked passes dht_segment_ok(). Junk between
 * segments is skipped as decoders do; a malformed length is left for the decoder to report. */
static int jpeg_scan(const uint8_t *p, size_t n, int *has_dht, int *dht_ok)
{
    size_t i = 2;
    int seen_sos = 0;
    *has_dht = 0;
    *dht_ok = 1;
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
        if (m == 0xC4) {
            if (!seen_sos) *has_dht = 1;
            if (!dht_segment_ok(p + i + 2, len - 2)) *dht_ok = 0;
        }
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

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A BMP header as stb_image 2.27 reads it: the Windows headers (40 bytes or more) and the
 * OS/2 1.x core header (12 bytes: 16-bit unsigned width and height, no compression field).
 * `colours` is the palette size stb takes, which for the OS/2 header is (offset - 38) / 3,
 * four entries fewer than the file holds (stb counts 12 header bytes twice). */
typedef struct bmp_header {
    uint32_t off, hdr, comp, bpp;
    int64_t w, h, colours;
} bmp_header;

/* 0 if the header is cut short. */
static int bmp_read_header(const uint8_t *p, size_t n, bmp_header *b)
{
    if (n < 18) return 0;
    b->off = rd_le32(p + 10);
    b->hdr = rd_le32(p + 14);
    if (b->hdr == 12) {
        if (n < 26) return 0;
        b->w = p[18] | p[19] << 8;
        b->h = p[20] | p[21] << 8;
        b->bpp = (uint32_t)p[24] | (uint32_t)p[25] << 8;
        b->comp = 0;
        b->colours = ((int64_t)b->off - 38) / 3;
    } else {
        if (n < 34) return 0;
        b->w = (int32_t)rd_le32(p + 18);
        b->h = (int32_t)rd_le32(p + 22);
        b->bpp = (uint32_t)p[28] | (uint32_t)p[29] << 8;
        b->comp = rd_le32(p + 30);
        b->colours = ((int64_t)b->off - 14 - b->hdr) / 4;
    }
    return 1;
}

/* 1 unless an uncompressed BMP's pixel array runs past n bytes, or a palette image has no
 * palette (stb 2.27 then colours the pixels from its uninitialised palette array). */
static int bmp_complete(const bmp_header *hd, size_t n)
{
    const bmp_header b = *hd;
    if (b.hdr != 12 && b.hdr < 40) return 1;            /* stb refuses other header sizes */
    /* stb refuses RLE (1, 2) itself, but 2.27 reads the field as an int and takes any value
     * over 2^31 for uncompressed (fuzz_image.c): those are refused here. */
    if (b.comp != 0 && b.comp != 3 && b.comp != 6) return b.comp == 1 || b.comp == 2;
    if (b.w <= 0 || b.h == 0 || b.bpp == 0 || b.bpp > 32) return 1;
    /* pixels before the end of the header: stb 2.27 then reads the OS/2 kind from byte 26 on
     * and past the end of the file as zeros */
    if (b.off < 14 + (uint64_t)b.hdr) return 0;
    if (b.bpp <= 8 && (b.colours < 1 || b.colours > 256)) return 0;
    uint64_t h = (uint64_t)(b.h < 0 ? -b.h : b.h), row = ((uint64_t)b.w * b.bpp + 31) / 32 * 4;
    return (uint64_t)b.off + row * h <= n;
}

/* 0 if an uncompressed 1/4/8-bit BMP (header b; its pixels all present: bmp_complete) has a
 * pixel whose colour index is past the end of its palette, else 1. A palette shorter than
 * 2^bpp is legal, but stb_image 2.27 then colours such pixels from the uninitialised rest of
 * its palette array (found by tests/fuzz/fuzz_image.c: two decodes of the same bytes differed;
 * for the OS/2 header, with stb's short count, also valid files using their last 4 colours).
 * Only files with a short palette are scanned. */
static int bmp_palette_ok(const uint8_t *p, size_t n, const bmp_header *hd)
{
    const bmp_header b = *hd;
    if ((b.hdr != 12 && b.hdr < 40) || b.comp != 0) return 1;
    if ((b.bpp != 1 && b.bpp != 4 && b.bpp != 8) || b.w <= 0 || b.h == 0 || b.colours < 1) return 1;
    int64_t h = b.h < 0 ? -b.h : b.h;
    uint64_t row = ((uint64_t)b.w * b.bpp + 31) / 32 * 4;
    if (b.colours >= (1 << b.bpp) || (uint64_t)b.off + row * (uint64_t)h > n) return 1;
    for (int64_t y = 0; y < h; y++) {
        const uint8_t *r = p + b.off + (uint64_t)y * row;
        for (int64_t x = 0; x < b.w; x++) {
            unsigned idx = b.bpp == 8 ? r[x] : b.bpp == 4 ? (r[x / 2] >> (x & 1 ? 0 : 4)) & 15u
                                                          : (r[x / 8] >> (7 - x % 8)) & 1u;
            if (idx >= b.colours) return 0;
        }
    }
    return 1;
}

/* 1 if a binary PPM/PGM header is complete and all the samples it announces are present. */
static int pnm_complete(const uint8_t *p, size_t n)
{
    uint64_t v[3];
    size_t i = 2;
    for (int k = 0; k < 3; k++) {
        for (;;) {                                           /* whitespace and comments */
            if (i >= n) return 0;
            if (p[i] == '#') {                                /* to the end of line, as stb */
                while (i < n && p[i] != '\n' && p[i] != '\r') i++;
            } else if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r' || p[i] == '\v' ||
                       p[i] == '\f') {
                i++;
            } else {
                break;
            }
        }
        /* Malformed: refused here, as stb 2.27 takes a missing number for 0 and then leaves the
         * pixels it cannot read uninitialised (heap bytes in the picture: fuzz_image.c). */
        if (p[i] < '0' || p[i] > '9') return 0;
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

/* One walk over a PNG's chunks. Returns 0 if a chunk before IEND announces more bytes than
 * the file has left: stb_image sizes its buffer for the compressed data from the announced
 * lengths before reading them, so a 1 KB file claiming a 1.5 GB IDAT chunk made it allocate
 * 2 GB (found by tests/fuzz/fuzz_image.c: seconds per file under ASan, an out-of-memory
 * failure on a small board). The CRC of IEND may be missing, as stb allows.
 * *empty_idat is set to 1 when an empty IDAT chunk comes before the first IDAT with data. Such
 * a file is valid PNG, but stb_image 2.27 then computes NULL + 0 for its (not yet allocated)
 * compressed-data buffer, undefined behaviour in C (found by fuzz_image.c under UBSan in CI);
 * no encoder we know writes one, and it is refused with its own message. */
static int png_walk(const uint8_t *p, size_t n, int *empty_idat)
{
    size_t i = 8;
    int seen_idat = 0;
    *empty_idat = 0;
    while (n - i >= 8) {
        uint32_t len = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
        if (memcmp(p + i + 4, "IEND", 4) == 0) return 1;
        if (len > n - i - 8 || n - i - 8 - len < 4) return 0;
        if (!seen_idat && memcmp(p + i + 4, "IDAT", 4) == 0) {
            seen_idat = 1;
            *empty_idat = len == 0;
        }
        i += 12 + (size_t)len;
    }
    return 1;   /* no IEND: stb reports it */
}

/* 0 if a number in a binary PPM/PGM header (width, height, maxval) exceeds 10^8: stb_image 2.27
 * reads them into an int without an overflow check (undefined behaviour, found by
 * tests/fuzz/fuzz_image.c). Any picture we accept has far smaller numbers. */
static int pnm_header_ok(const uint8_t *p, size_t n)
{
    size_t i = 2;
    for (int k = 0; k < 3; k++) {
        while (i < n && (p[i] == '#' || p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r' ||
                         p[i] == '\v' || p[i] == '\f')) {
            if (p[i] == '#')
                while (i < n && p[i] != '\n' && p[i] != '\r') i++;
            else
                i++;
        }
        uint64_t v = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            v = v * 10 + (uint64_t)(p[i++] - '0');
            if (v > 100000000) return 0;
        }
    }
    return 1;
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

/* A still JPEG through libjpeg-turbo at full size, lenient about corrupt-data warnings as
 * Pillow is. SC_E_UNSUPPORTED (CMYK/YCCK, 12-bit, no libjpeg-turbo) lets the caller use stb. */
static sc_status load_jpeg_turbo(const uint8_t *p, size_t len, const char *name, sc_image *out,
                                 char *err, size_t errlen)
{
    sc_jpeg_turbo *d = NULL;
    sc_jpeg_turbo_result r;
    sc_status st = sc_jpeg_turbo_create(0, 0, &d);
    if (st != SC_OK) {
        sc_set_err(err, errlen, "%s: cannot set up the JPEG decoder: %s", name, sc_status_str(st));
        return st;
    }
    st = sc_jpeg_turbo_decode(d, p, len, 0, 0, 0, SC_IMAGE_MAX_SIDE, SC_IMAGE_MAX_PIXELS, name, &r,
                              err, errlen);
    if (st == SC_OK) {
        st = sc_image_init(out, r.img.width, r.img.height, 3);
        if (st == SC_OK)
            memcpy(out->data, r.img.data, r.img.stride_bytes * (size_t)r.img.height);
        else
            sc_set_err(err, errlen, "%s: cannot allocate a %dx%d image: %s", name, r.img.width,
                    r.img.height, sc_status_str(st));
    }
    sc_jpeg_turbo_destroy(d);
    return st;
}

sc_jpeg_backend sc_jpeg_backend_default(void)
{
    const char *e = getenv("SC_JPEG");
    if (e && !strcmp(e, "stb")) return SC_JPEG_STB;
    return sc_jpeg_turbo_available() ? SC_JPEG_TURBO : SC_JPEG_STB;
}

const char *sc_jpeg_backend_name(sc_jpeg_backend b)
{
    if (b == SC_JPEG_AUTO) b = sc_jpeg_backend_default();
    return b == SC_JPEG_TURBO ? sc_jpeg_turbo_version() : "stb_image";
}

sc_status sc_image_load_mem(const void *data, size_t len, const char *name, sc_image *out,
                            char *err, size_t errlen)
{
    return sc_image_load_mem_with(data, len, name, SC_JPEG_AUTO, out, err, errlen);
}

sc_status sc_image_load_mem_with(const void *data, size_t len, const char *name,
                                 sc_jpeg_backend jpeg, sc_image *out, char *err, size_t errlen)
{
    const uint8_t *p = data;
    int w = 0, h = 0, comp = 0, w2 = 0, h2 = 0, has_dht = 1, dht_ok = 1, jpeg_whole = 1;
    uint8_t *patched = NULL;
    sc_imgfmt fmt;
    uint8_t *pix;
    sc_status st;

    SC_ASSERT(out);
    memset(out, 0, sizeof(*out));
    if (!name) name = "(memory)";
    if (!p || len == 0) {
        sc_set_err(err, errlen, "%s: empty image data", name);
        return SC_E_FORMAT;
    }
    if (len > (size_t)INT32_MAX || len > SC_IMAGE_MAX_FILE_BYTES) {
        sc_set_err(err, errlen, "%s: %zu bytes is too large for an image file", name, len);
        return SC_E_RANGE;
    }
    fmt = sniff(p, len);
    if (fmt == SC_IMGFMT_UNKNOWN) {
        sc_set_err(err, errlen, "%s: not a JPEG, PNG, BMP, GIF or binary PPM/PGM file", name);
        return SC_E_UNSUPPORTED;
    }
    if (jpeg == SC_JPEG_AUTO) jpeg = sc_jpeg_backend_default();
    if (fmt == SC_IMGFMT_JPEG) jpeg_whole = jpeg_scan(p, len, &has_dht, &dht_ok);   /* one walk for all below */
    if (fmt == SC_IMGFMT_JPEG && jpeg == SC_JPEG_TURBO) {
        if (!jpeg_whole) {
            sc_set_err(err, errlen, "%s: truncated JPEG file (%zu bytes)", name, len);
            return SC_E_FORMAT;
        }
        st = load_jpeg_turbo(p, len, name, out, err, errlen);
        if (st != SC_E_UNSUPPORTED) return st;
        memset(out, 0, sizeof(*out));      /* CMYK/YCCK, 12-bit: stb_image has a go */
    }
    if (fmt == SC_IMGFMT_PNM && !pnm_header_ok(p, len)) {
        sc_set_err(err, errlen, "%s: corrupt PPM header (a number over 10^8)", name);
        return SC_E_FORMAT;
    }
    if (fmt == SC_IMGFMT_JPEG && !dht_ok) {
        sc_set_err(err, errlen, "%s: corrupt JPEG Huffman table (more than 256 codes or cut short)", name);
        return SC_E_FORMAT;
    }
    if (!stbi_info_from_memory(p, (int)len, &w, &h, &comp)) {
        sc_set_err(err, errlen, "%s: corrupt %s header (stb_image: %s)", name, fmt_names[fmt],
                stbi_failure_reason() ? stbi_failure_reason() : "unknown");
        return SC_E_FORMAT;
    }
    if (w <= 0 || h <= 0) {
        sc_set_err(err, errlen, "%s: %s header gives an empty %dx%d image", name, fmt_names[fmt],
                w, h);
        return SC_E_FORMAT;
    }
    if (w > SC_IMAGE_MAX_SIDE || h > SC_IMAGE_MAX_SIDE ||
        (int64_t)w * h > SC_IMAGE_MAX_PIXELS) {
        sc_set_err(err, errlen, "%s: %dx%d image is too large (limits: %d pixels a side, %d pixels)",
                name, w, h, SC_IMAGE_MAX_SIDE, SC_IMAGE_MAX_PIXELS);
        return SC_E_RANGE;
    }
    int png_empty_idat = 0, png_whole = fmt == SC_IMGFMT_PNG ? png_walk(p, len, &png_empty_idat) : 1;
    bmp_header bmp = { 0 };
    int bmp_whole = fmt == SC_IMGFMT_BMP ? bmp_read_header(p, len, &bmp) && bmp_complete(&bmp, len) : 1;
    if ((fmt == SC_IMGFMT_JPEG && !jpeg_whole) ||
        !png_whole ||
        !bmp_whole ||
        (fmt == SC_IMGFMT_GIF && !gif_complete(p, len)) ||
        (fmt == SC_IMGFMT_PNM && !pnm_complete(p, len))) {
        sc_set_err(err, errlen, "%s: truncated %s file (%zu bytes)", name, fmt_names[fmt], len);
        return SC_E_FORMAT;
    }
    if (png_empty_idat) {
        sc_set_err(err, errlen, "%s: PNG whose first IDAT chunk is empty (not supported)", name);
        return SC_E_FORMAT;
    }
    if (fmt == SC_IMGFMT_BMP && !bmp_palette_ok(p, len, &bmp)) {
        sc_set_err(err, errlen, "%s: corrupt BMP: a pixel's colour index is past the end of its palette", name);
        return SC_E_FORMAT;
    }
    if (fmt == SC_IMGFMT_JPEG && !has_dht) {
        /* SOI + the standard tables + everything after SOI. */
        if (len > (size_t)INT32_MAX - sc_jpeg_std_dht_len || !(patched = malloc(len + sc_jpeg_std_dht_len))) {
            sc_set_err(err, errlen, "%s: out of memory", name);
            return SC_E_NOMEM;
        }
        memcpy(patched, p, 2);
        memcpy(patched + 2, sc_jpeg_std_dht, sc_jpeg_std_dht_len);
        memcpy(patched + 2 + sc_jpeg_std_dht_len, p + 2, len - 2);
        p = patched;
        len += sc_jpeg_std_dht_len;
    }
    /* stb_image 2.27 turns a 16-bit PGM (P5, maxval > 255) into 3 channels with its 8-bit
     * converter, then reads twice the bytes that holds (a heap overread found by
     * tests/fuzz/fuzz_image.c; fixed in stb 2.28). So a PGM is decoded as its own single
     * channel and made grey RGB below, as stb would. */
    int want = fmt == SC_IMGFMT_PNM && p[1] == '5' ? 1 : 3;
    pix = stbi_load_from_memory(p, (int)len, &w2, &h2, &comp, want);
    free(patched);
    if (!pix) {
        const char *why = stbi_failure_reason();
        if (why && strcmp(why, "outofmem") == 0) {
            sc_set_err(err, errlen, "%s: out of memory decoding %dx%d %s", name, w, h,
                    fmt_names[fmt]);
            return SC_E_NOMEM;
        }
        sc_set_err(err, errlen, "%s: corrupt %s data (stb_image: %s)", name, fmt_names[fmt],
                why ? why : "unknown");
        return SC_E_FORMAT;
    }
    if (w2 != w || h2 != h) {
        stbi_image_free(pix);
        sc_set_err(err, errlen, "%s: %s decoded as %dx%d but its header says %dx%d", name,
                fmt_names[fmt], w2, h2, w, h);
        return SC_E_FORMAT;
    }
    st = sc_image_init(out, w, h, 3);
    if (st != SC_OK) {
        stbi_image_free(pix);
        sc_set_err(err, errlen, "%s: cannot allocate a %dx%d image: %s", name, w, h,
                sc_status_str(st));
        return st;
    }
    for (int y = 0; y < h; y++) {
        uint8_t *dst = out->data + (size_t)y * out->stride_bytes;
        const uint8_t *src = pix + (size_t)y * w * want;
        if (want == 3) {
            memcpy(dst, src, (size_t)w * 3);
        } else {
            for (int x = 0; x < w; x++) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
        }
    }
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
        sc_set_err(err, errlen, "%s: cannot open: %s", path, strerror(e));
        return SC_E_IO;
    }
    if (fstat(fileno(f), &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            sc_set_err(err, errlen, "%s: is a directory", path);
            goto done;
        }
        if (S_ISREG(sb.st_mode)) {
            if ((uint64_t)sb.st_size > max) {
                sc_set_err(err, errlen, "%s: %lld bytes is too large for an image file", path,
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
                    sc_set_err(err, errlen, "%s: more than %zu bytes, too large for an image file",
                            path, max);
                    st = SC_E_RANGE;
                    goto done;
                }
                cap *= 2;
            }
            nb = realloc(buf, cap);
            if (!nb) {
                sc_set_err(err, errlen, "%s: out of memory reading the file", path);
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
                sc_set_err(err, errlen, "%s: read error: %s", path, strerror(e));
                goto done;
            }
            break;
        }
    }
    if (len > max) {
        sc_set_err(err, errlen, "%s: more than %zu bytes, too large for an image file", path, max);
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
        sc_set_err(err, errlen, "%s: empty file", path);
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
        sc_set_err(err, errlen, "%s: cannot write an invalid image", path);
        return SC_E_INVAL;
    }
    errno = 0;
    if (!stbi_write_png(path, img->width, img->height, img->channels, img->data,
                        (int)img->stride_bytes)) {
        int e = errno;
        sc_set_err(err, errlen, "%s: cannot write PNG: %s", path,
                e ? strerror(e) : "stb_image_write failed");
        return SC_E_IO;
    }
    return SC_OK;
}

/* ---- the MJPEG frame decoder --------------------------------------------------------------- */

struct sc_jpeg_decoder {
    sc_jpeg_backend backend;
    sc_jpeg_turbo *turbo;    /* SC_JPEG_TURBO */
    sc_image stb_img;        /* the last frame stb_image decoded (or CMYK fallback) */
};

sc_status sc_jpeg_decoder_create(sc_jpeg_backend backend, int max_w, int max_h,
                                 sc_jpeg_decoder **out)
{
    sc_status st;
    *out = NULL;
    if (backend == SC_JPEG_AUTO) backend = sc_jpeg_backend_default();
    if (backend == SC_JPEG_TURBO && !sc_jpeg_turbo_available()) {
        sc_log_error("jpeg: this ssdcam was built without libjpeg-turbo");
        return SC_E_UNSUPPORTED;
    }
    sc_jpeg_decoder *d = calloc(1, sizeof(*d));
    if (!d) return SC_E_NOMEM;
    d->backend = backend;
    if (backend == SC_JPEG_TURBO && (st = sc_jpeg_turbo_create(max_w, max_h, &d->turbo)) != SC_OK) {
        sc_log_error("jpeg: cannot set up libjpeg-turbo for %dx%d: %s", max_w, max_h, sc_status_str(st));
        free(d);
        return st;
    }
    *out = d;
    return SC_OK;
}

void sc_jpeg_decoder_destroy(sc_jpeg_decoder *d)
{
    if (!d) return;
    sc_jpeg_turbo_destroy(d->turbo);
    sc_image_fini(&d->stb_img);
    free(d);
}

sc_jpeg_backend sc_jpeg_decoder_backend(const sc_jpeg_decoder *d) { return d->backend; }

sc_status sc_jpeg_decoder_run(sc_jpeg_decoder *d, const void *data, size_t n, int min_w, int min_h,
                              sc_jpeg_frame *out, char *err, size_t errlen)
{
    SC_ASSERT(d && out);
    memset(out, 0, sizeof(*out));
    if (d->backend == SC_JPEG_TURBO) {
        sc_jpeg_turbo_result r;
        sc_status st = sc_jpeg_turbo_decode(d->turbo, data, n, min_w, min_h, SC_JPEG_TURBO_STRICT,
                                            SC_IMAGE_MAX_SIDE, SC_IMAGE_MAX_PIXELS, "frame", &r,
                                            err, errlen);
        if (st != SC_E_UNSUPPORTED) {
            if (st == SC_OK) {
                out->img = r.img;
                out->src_w = r.src_w;
                out->src_h = r.src_h;
                out->scale_num = r.scale_num;
                out->warnings = r.warnings;
            }
            return st;
        }
        /* CMYK/YCCK or 12-bit: stb_image, full size (no camera sends these) */
    }
    sc_image_fini(&d->stb_img);
    sc_status st = sc_image_load_mem_with(data, n, "frame", SC_JPEG_STB, &d->stb_img, err, errlen);
    if (st != SC_OK) return st;
    out->img = d->stb_img;
    out->src_w = d->stb_img.width;
    out->src_h = d->stb_img.height;
    out->scale_num = 8;
    return SC_OK;
}

/* ---- JPEG encoding (benchmarks, tests) --------------------------------------------------------- */

typedef struct enc_buf {
    uint8_t *data;
    size_t len, cap;
    int failed;
} enc_buf;

static void enc_write(void *ctx, void *data, int size)
{
    enc_buf *b = ctx;
    if (b->failed || size <= 0) return;
    if (b->len + (size_t)size > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + (size_t)size) cap *= 2;
        uint8_t *nb = realloc(b->data, cap);
        if (!nb) { b->failed = 1; return; }
        b->data = nb;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, (size_t)size);
    b->len += (size_t)size;
}

sc_status sc_image_encode_jpeg(const sc_image *img, int quality, uint8_t **out, size_t *len)
{
    enc_buf b = { 0 };
    SC_ASSERT(img && out && len);
    *out = NULL;
    *len = 0;
    if (!img->data || img->channels != 3 || img->stride_bytes != (size_t)img->width * 3 || quality < 1 ||
        quality > 100)
        return SC_E_INVAL;
    if (!stbi_write_jpg_to_func(enc_write, &b, img->width, img->height, 3, img->data, quality) || b.failed) {
        free(b.data);
        return b.failed ? SC_E_NOMEM : SC_E_FORMAT;
    }
    *out = b.data;
    *len = b.len;
    return SC_OK;
}
