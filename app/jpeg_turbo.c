/* app/jpeg_turbo.c — libjpeg-turbo decoder with DCT-domain scaling (see jpeg_turbo.h). */
#include "app/jpeg_turbo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "sc_config.h"

#if SC_HAVE_LIBJPEG
#include <setjmp.h>
/* jpeglib.h needs size_t and FILE declared first (stdio.h above). */
#include <jpeglib.h>
#include <jerror.h>
#endif

/* The "typical" Huffman tables of the JPEG standard (ITU T.81 Annex K.3), as one DHT
 * segment. Motion-JPEG frames from most UVC cameras leave them out (AVI1/MJPEG convention).
 * Each table: class/id byte, 16 code counts, then the symbols. */
const uint8_t sc_jpeg_std_dht[] = {
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
const size_t sc_jpeg_std_dht_len = sizeof(sc_jpeg_std_dht);

int sc_jpeg_turbo_pick_scale(int w, int h, int min_w, int min_h)
{
    if (w <= 0 || h <= 0 || min_w <= 0 || min_h <= 0) return 8;
    for (int m = 1; m < 8; m *= 2) {
        /* ceil(w·m/8), as libjpeg computes the output size */
        int64_t ow = ((int64_t)w * m + 7) / 8, oh = ((int64_t)h * m + 7) / 8;
        if (ow >= min_w && oh >= min_h) return m;
    }
    return 8;
}

#if SC_HAVE_LIBJPEG

#define SC_STR2(x) #x
#define SC_STR(x) SC_STR2(x)

int sc_jpeg_turbo_available(void) { return 1; }

const char *sc_jpeg_turbo_version(void)
{
#ifdef LIBJPEG_TURBO_VERSION
    return "libjpeg-turbo " SC_STR(LIBJPEG_TURBO_VERSION);
#else
    return "libjpeg " SC_STR(JPEG_LIB_VERSION);
#endif
}

/* libjpeg's error manager, extended with where to jump and what happened. */
typedef struct err_mgr {
    struct jpeg_error_mgr pub;   /* first: libjpeg casts cinfo->err to this */
    jmp_buf jump;
    int strict;                  /* this decode: damage warnings are errors */
    int warnings;
    int jumped;                  /* this decode ended in a longjmp */
    int damaged;                 /* ... for a damage warning */
    int code;                    /* ... with this libjpeg message code */
    char msg[JMSG_LENGTH_MAX];   /* the first error or damage warning */
} err_mgr;

struct sc_jpeg_turbo {
    struct jpeg_decompress_struct cinfo;
    err_mgr jerr;
    int cinfo_ok;
    uint8_t *buf;                /* RGB output, cap bytes (+ SC_OVERREAD) */
    size_t cap;
    uint8_t std_tables[2 + sizeof(sc_jpeg_std_dht) + 2];   /* SOI, the standard DHT, EOI */
};

static int is_damage(int code)
{
    switch (code) {
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_JPEG_EOF:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
        return 1;
    default:
        return 0;
    }
}

static void on_error_exit(j_common_ptr cinfo)
{
    err_mgr *e = (err_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    e->code = cinfo->err->msg_code;
    e->jumped = 1;
    longjmp(e->jump, 1);
}

/* msg_level < 0: a warning (corrupt data); >= 0: trace messages, ignored. Nothing is printed:
 * libjpeg's default would write to stderr from the decoding thread. */
static void on_emit_message(j_common_ptr cinfo, int msg_level)
{
    err_mgr *e = (err_mgr *)cinfo->err;
    if (msg_level >= 0) return;
    cinfo->err->num_warnings++;
    e->warnings++;
    if (is_damage(cinfo->err->msg_code)) {
        if (!e->msg[0]) (*cinfo->err->format_message)(cinfo, e->msg);
        if (e->strict) {
            e->damaged = 1;
            e->jumped = 1;
            e->code = cinfo->err->msg_code;
            longjmp(e->jump, 1);
        }
    }
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

/* 1 when the decompressor was created (0: libjpeg ran out of memory). */
static int create_cinfo(sc_jpeg_turbo *d)
{
    if (setjmp(d->jerr.jump)) return 0;
    jpeg_create_decompress(&d->cinfo);
    d->cinfo_ok = 1;
    return 1;
}

sc_status sc_jpeg_turbo_create(int max_w, int max_h, sc_jpeg_turbo **out)
{
    size_t px, bytes = 0;
    *out = NULL;
    if (max_w < 0 || max_h < 0) return SC_E_INVAL;
    if (max_w > 0 && max_h > 0 &&
        (!sc_mul_size((size_t)max_w, (size_t)max_h, &px) || !sc_mul_size(px, 3, &bytes)))
        return SC_E_RANGE;
    sc_jpeg_turbo *d = calloc(1, sizeof(*d));
    if (!d) return SC_E_NOMEM;
    d->cinfo.err = jpeg_std_error(&d->jerr.pub);
    d->jerr.pub.error_exit = on_error_exit;
    d->jerr.pub.emit_message = on_emit_message;
    d->jerr.pub.output_message = on_output_message;
    memcpy(d->std_tables, "\xFF\xD8", 2);
    memcpy(d->std_tables + 2, sc_jpeg_std_dht, sizeof(sc_jpeg_std_dht));
    memcpy(d->std_tables + 2 + sizeof(sc_jpeg_std_dht), "\xFF\xD9", 2);
    if (!create_cinfo(d)) {                  /* only out of memory can fail there */
        free(d);
        return SC_E_NOMEM;
    }
    if (bytes) {
        d->buf = sc_aligned_alloc(bytes + SC_OVERREAD);
        if (!d->buf) {
            sc_jpeg_turbo_destroy(d);
            return SC_E_NOMEM;
        }
        d->cap = bytes;
    }
    *out = d;
    return SC_OK;
}

void sc_jpeg_turbo_destroy(sc_jpeg_turbo *d)
{
    if (!d) return;
    if (d->cinfo_ok) jpeg_destroy_decompress(&d->cinfo);
    sc_aligned_free(d->buf);
    free(d);
}

/* The libjpeg calls, between one setjmp and its returns. Everything that must survive a
 * longjmp lives in *d (not in automatic variables), so nothing needs to be volatile.
 * Returns SC_OK, or the status for a libjpeg error (message in d->jerr.msg) or one of ours
 * (message in err). Leaves the decompressor reusable. */
static sc_status run_decode(sc_jpeg_turbo *d, const uint8_t *data, size_t n, int min_w, int min_h,
                            int max_side, int64_t max_pixels, const char *name,
                            sc_jpeg_turbo_result *res, char *err, size_t errlen)
{
    struct jpeg_decompress_struct *ci = &d->cinfo;
    if (setjmp(d->jerr.jump)) {
        jpeg_abort_decompress(ci);
        return SC_E_FORMAT;
    }
    /* Huffman tables persist in a decompressor from one image to the next (JPEG's abbreviated
     * streams), and libjpeg-turbo fills only table slots that were never set with the standard
     * ones. So a frame without DHT after a frame with its own tables would be decoded with
     * those. Loading the standard tables first (a tables-only stream: it overwrites the
     * slots in place, no allocation) gives every frame the standard tables unless it defines
     * its own. */
    jpeg_mem_src(ci, d->std_tables, (unsigned long)sizeof(d->std_tables));
    if (jpeg_read_header(ci, FALSE) != JPEG_HEADER_TABLES_ONLY) {
        jpeg_abort_decompress(ci);
        sc_set_err(err, errlen, "%s: cannot load the standard Huffman tables", name);
        return SC_E_FORMAT;
    }
    jpeg_mem_src(ci, data, (unsigned long)n);
    if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK) {
        jpeg_abort_decompress(ci);
        sc_set_err(err, errlen, "%s: JPEG has no image", name);
        return SC_E_FORMAT;
    }
    const int w = (int)ci->image_width, h = (int)ci->image_height;
    if (ci->image_width > (JDIMENSION)max_side || ci->image_height > (JDIMENSION)max_side ||
        (int64_t)w * h > max_pixels) {
        jpeg_abort_decompress(ci);
        sc_set_err(err, errlen, "%s: JPEG of %ux%u pixels is too large (limits %d a side, %lld in all)",
                name, ci->image_width, ci->image_height, max_side, (long long)max_pixels);
        return SC_E_RANGE;
    }
    if (ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK) {
        jpeg_abort_decompress(ci);
        sc_set_err(err, errlen, "%s: CMYK/YCCK JPEG (libjpeg-turbo does not convert it to RGB)", name);
        return SC_E_UNSUPPORTED;
    }
    const int m = sc_jpeg_turbo_pick_scale(w, h, min_w, min_h);
    ci->out_color_space = JCS_RGB;
    ci->dct_method = JDCT_ISLOW;
    ci->do_fancy_upsampling = TRUE;
    ci->scale_num = (unsigned)m;
    ci->scale_denom = 8;
    jpeg_calc_output_dimensions(ci);
    const size_t ow = ci->output_width, oh = ci->output_height;
    const size_t row = ow * 3;
    if (ci->output_components != 3 || ow == 0 || oh == 0) {
        jpeg_abort_decompress(ci);
        sc_set_err(err, errlen, "%s: JPEG cannot be decoded to RGB", name);
        return SC_E_UNSUPPORTED;
    }
    if (row * oh > d->cap) {                    /* larger than any before: grow once */
        uint8_t *nb = sc_aligned_alloc(row * oh + SC_OVERREAD);
        if (!nb) {
            jpeg_abort_decompress(ci);
            sc_set_err(err, errlen, "%s: out of memory for a %zux%zu picture", name, ow, oh);
            return SC_E_NOMEM;
        }
        sc_aligned_free(d->buf);
        d->buf = nb;
        d->cap = row * oh;
    }
    jpeg_start_decompress(ci);
    while (ci->output_scanline < ci->output_height) {
        JSAMPROW rows[16];
        JDIMENSION y = ci->output_scanline, k = 0;
        for (; k < 16 && y + k < ci->output_height; k++) rows[k] = d->buf + (size_t)(y + k) * row;
        if (jpeg_read_scanlines(ci, rows, k) == 0) break;   /* suspension cannot happen (memory source) */
    }
    jpeg_finish_decompress(ci);
    res->img.data = d->buf;
    res->img.width = (int)ow;
    res->img.height = (int)oh;
    res->img.channels = 3;
    res->img.stride_bytes = row;
    res->src_w = w;
    res->src_h = h;
    res->scale_num = m;
    return SC_OK;
}

sc_status sc_jpeg_turbo_decode(sc_jpeg_turbo *d, const void *data, size_t n, int min_w, int min_h,
                               int flags, int max_side, int64_t max_pixels, const char *name,
                               sc_jpeg_turbo_result *res, char *err, size_t errlen)
{
    SC_ASSERT(d && res);
    memset(res, 0, sizeof(*res));
    if (!name) name = "(memory)";
    if (!data || n < 4) {
        sc_set_err(err, errlen, "%s: too short for a JPEG", name);
        return SC_E_FORMAT;
    }
    d->jerr.strict = (flags & SC_JPEG_TURBO_STRICT) != 0;
    d->jerr.warnings = 0;
    d->jerr.damaged = 0;
    d->jerr.jumped = 0;
    d->jerr.code = 0;
    d->jerr.msg[0] = 0;
    d->jerr.pub.num_warnings = 0;
    sc_status st = run_decode(d, data, n, min_w, min_h, max_side, max_pixels, name, res, err, errlen);
    if (st == SC_OK) {
        res->warnings = d->jerr.warnings;
        return SC_OK;
    }
    if (d->jerr.jumped) {   /* a libjpeg error, or a damage warning in strict mode */
        sc_set_err(err, errlen, "%s: %s", name, d->jerr.msg);
        if (!d->jerr.damaged && (d->jerr.code == JERR_BAD_PRECISION || d->jerr.code == JERR_CONVERSION_NOTIMPL))
            st = SC_E_UNSUPPORTED;
    }
    memset(res, 0, sizeof(*res));
    return st;
}

#else /* !SC_HAVE_LIBJPEG */

int sc_jpeg_turbo_available(void) { return 0; }
const char *sc_jpeg_turbo_version(void) { return "none"; }

sc_status sc_jpeg_turbo_create(int max_w, int max_h, sc_jpeg_turbo **out)
{
    (void)max_w;
    (void)max_h;
    *out = NULL;
    return SC_E_UNSUPPORTED;
}

void sc_jpeg_turbo_destroy(sc_jpeg_turbo *d) { (void)d; }

sc_status sc_jpeg_turbo_decode(sc_jpeg_turbo *d, const void *data, size_t n, int min_w, int min_h,
                               int flags, int max_side, int64_t max_pixels, const char *name,
                               sc_jpeg_turbo_result *res, char *err, size_t errlen)
{
    (void)d; (void)data; (void)n; (void)min_w; (void)min_h; (void)flags; (void)max_side; (void)max_pixels;
    memset(res, 0, sizeof(*res));
    sc_set_err(err, errlen, "%s: built without libjpeg-turbo", name ? name : "(memory)");
    return SC_E_UNSUPPORTED;
}

#endif
