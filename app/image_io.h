/* app/image_io.h — decode image files to 8-bit RGB and write PNGs, through stb_image, and
 * JPEG through libjpeg-turbo when built with it (app/jpeg_turbo.h).
 *
 * This file (image_io.c) is the only place in ssdcam that calls stb_image / stb_image_write.
 *
 * Accepted formats, recognised by their magic bytes (anything else is SC_E_UNSUPPORTED, so
 * stb's less-used, less-tested decoders — TGA, PSD, HDR, PIC — are never reached):
 *   JPEG  baseline and progressive, 8-bit, grey / YCbCr / Adobe CMYK / YCCK. Not supported by
 *         stb_image: 12-bit samples and arithmetic coding (stb's error is passed on). A JPEG
 *         with no Huffman tables before its first scan (Motion-JPEG frames from UVC cameras)
 *         gets the standard tables of ITU T.81 Annex K.3 inserted, as libjpeg/FFmpeg do.
 *   PNG   all colour types and bit depths; 16-bit samples are cut to their high byte, as
 *         Pillow does for RGB. Gamma/ICC chunks are ignored.
 *   BMP   uncompressed 1/4/8/16/24/32 bpp (no RLE).
 *   GIF   the first frame only.
 *   PPM/PGM  binary P6/P5 (not the ASCII P3/P2), maxval up to 65535.
 * Channels: grey and grey+alpha become R=G=B; alpha is dropped without compositing (like
 * Pillow's convert("RGB")).
 *
 * JPEG with libjpeg-turbo (the default when built with it): every JPEG libjpeg reads —
 * baseline, progressive, arithmetic-coded, grey or YCbCr, with or without Huffman tables —
 * decodes to exactly Pillow's pixels; corrupt-data warnings are accepted as Pillow accepts
 * them; CMYK/YCCK and 12-bit JPEGs go to stb_image (see below).
 *
 * Known differences from the reference preprocessing (Pillow 9.4 + libjpeg-turbo):
 *   - JPEG through stb_image (built without libjpeg-turbo, or SC_JPEG=stb): stb's IDCT and
 *     chroma upsampling are not libjpeg-turbo's, so pixels differ a little: on the 19
 *     reference JPEGs at most 3 levels (mean 0.007..0.17) as decoded, and at most 2 levels
 *     after the resize to 300×300 (tests/model/test_preproc.c). Lossless formats (PNG, BMP,
 *     PPM) decode identically.
 *   - Truncated files are refused (SC_E_FORMAT), as Pillow refuses them: stb itself would
 *     fill the missing part of a BMP, JPEG, GIF or PPM with zeros. Damaged but complete data
 *     may still decode (to garbage pixels), as with any decoder.
 *   - CMYK/YCCK JPEG colours are converted differently from Pillow's CMYK→RGB.
 *   - EXIF orientation is ignored, exactly as Pillow's Image.open() ignores it, so a photo
 *     taken in portrait may come out rotated — the same as the reference.
 *   - stb_image is not hardened against hostile files (several fuzzer-found overreads were
 *     fixed after 2.27, the version Debian 12 ships). Size limits below are checked on the
 *     header before decoding; inputs are still meant to be the user's own photos.
 *
 * Thread-safety: all functions may be called from any thread (stb's failure reason is
 * thread-local in this build; we never change stb's global flip settings). */
#ifndef SC_APP_IMAGE_IO_H
#define SC_APP_IMAGE_IO_H

#include <stddef.h>

#include "core/base.h"
#include "core/image.h"

/* Largest image we decode: at most SC_IMAGE_MAX_SIDE pixels on a side and
 * SC_IMAGE_MAX_PIXELS pixels in all (stb needs ~4 bytes per pixel while decoding). */
#define SC_IMAGE_MAX_SIDE 16384
#define SC_IMAGE_MAX_PIXELS 100000000
/* Largest file we read into memory. */
#define SC_IMAGE_MAX_FILE_BYTES ((size_t)256 << 20)

/* Decodes the file at `path` into *out, a fresh 3-channel image from sc_image_init that the
 * caller frees with sc_image_fini. On failure *out is zeroed, nothing is logged, and when
 * err is not NULL a one-line message naming the path and the reason is written to
 * err[errlen] (truncated if needed). Returns SC_E_IO (missing/unreadable file),
 * SC_E_UNSUPPORTED (not one of the formats above), SC_E_FORMAT (corrupt or truncated),
 * SC_E_RANGE (too large) or SC_E_NOMEM. */
sc_status sc_image_load(const char *path, sc_image *out, char *err, size_t errlen);

/* The same from `len` bytes in memory (e.g. one MJPEG frame). `name` is used in messages
 * only (may be NULL). The bytes are not kept. */
sc_status sc_image_load_mem(const void *data, size_t len, const char *name, sc_image *out,
                            char *err, size_t errlen);

/* JPEG decoders. With libjpeg-turbo (built when meson finds it, see app/jpeg_turbo.h) JPEGs
 * decode exactly as Pillow decodes them; stb_image is the fallback (and is still used for
 * CMYK/YCCK JPEGs, which libjpeg-turbo does not turn into RGB). The environment variable
 * SC_JPEG=stb selects stb_image everywhere (for comparisons). */
typedef enum sc_jpeg_backend {
    SC_JPEG_AUTO = 0,     /* sc_jpeg_backend_default() */
    SC_JPEG_TURBO,        /* libjpeg-turbo */
    SC_JPEG_STB           /* stb_image */
} sc_jpeg_backend;

/* SC_JPEG_TURBO when built with libjpeg-turbo and SC_JPEG is not "stb", else SC_JPEG_STB. */
sc_jpeg_backend sc_jpeg_backend_default(void);
/* "libjpeg-turbo 2.1.5" or "stb_image" (AUTO: the default's name). */
const char *sc_jpeg_backend_name(sc_jpeg_backend b);

/* sc_image_load_mem with a chosen JPEG decoder (other formats: stb_image as always).
 * SC_JPEG_TURBO without libjpeg-turbo built in gives SC_E_UNSUPPORTED for a JPEG. */
sc_status sc_image_load_mem_with(const void *data, size_t len, const char *name,
                                 sc_jpeg_backend jpeg, sc_image *out, char *err, size_t errlen);

/* The Motion-JPEG frame decoder of the live path: one per thread, created at start.
 *   libjpeg-turbo: decodes into a buffer allocated at create for max_w × max_h (it grows once
 *     if a larger frame comes), at the smallest DCT scale M/8 whose output is still at least
 *     min_w × min_h (0, 0: full size); frames whose entropy-coded data libjpeg reports as
 *     damaged are refused with SC_E_FORMAT (count and skip them; see jpeg_turbo.h for which
 *     warnings are damage and which are accepted and counted in `warnings`).
 *   stb_image: full size always (scale_num = 8), allocated per frame by stb; tables inserted
 *     for frames without DHT; damaged data decodes to garbage without a report.
 * The caller checks the frame's structure first (app/mjpeg.h). */
typedef struct sc_jpeg_decoder sc_jpeg_decoder;

typedef struct sc_jpeg_frame {
    sc_image img;        /* RGB; borrowed from the decoder until its next run or destroy */
    int src_w, src_h;    /* the JPEG's own size */
    int scale_num;       /* img = the JPEG at scale_num/8: a box normalised to img spans
                          * img.width·8/scale_num source pixels across (>= src_w) */
    int warnings;        /* accepted libjpeg warnings in this frame */
} sc_jpeg_frame;

/* SC_E_UNSUPPORTED for SC_JPEG_TURBO without libjpeg-turbo; SC_E_NOMEM; logs the reason. */
sc_status sc_jpeg_decoder_create(sc_jpeg_backend backend, int max_w, int max_h,
                                 sc_jpeg_decoder **out);
void sc_jpeg_decoder_destroy(sc_jpeg_decoder *d);   /* NULL is a no-op */
sc_jpeg_backend sc_jpeg_decoder_backend(const sc_jpeg_decoder *d);   /* never AUTO */
/* Decodes one frame; on failure *out is zeroed and err says why (nothing is logged). */
sc_status sc_jpeg_decoder_run(sc_jpeg_decoder *d, const void *data, size_t n, int min_w, int min_h,
                              sc_jpeg_frame *out, char *err, size_t errlen);

/* Encodes a packed 3-channel image (stride = 3·width) as a baseline JPEG with the standard
 * Huffman tables (stb_image_write; 4:2:0 up to quality 90, else 4:4:4) into a malloc'd buffer
 * the caller frees. For benchmarks and tests. SC_E_INVAL, SC_E_NOMEM. */
sc_status sc_image_encode_jpeg(const sc_image *img, int quality, uint8_t **out, size_t *len);

/* Writes a 1-, 3- or 4-channel image as PNG (any stride). SC_E_IO with a message in err on
 * failure (stb_image_write gives no reason; errno is reported when set). */
sc_status sc_image_save_png(const char *path, const sc_image *img, char *err, size_t errlen);

#endif
