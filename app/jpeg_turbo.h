/* app/jpeg_turbo.h — JPEG decoding through libjpeg-turbo (its libjpeg API), with DCT-domain
 * scaling, into a buffer the decoder owns and reuses.
 *
 * This file (jpeg_turbo.c) is the only place in ssdcam that calls libjpeg. It is built with
 * libjpeg-turbo when meson finds it (pkg-config `libjpeg`, Debian libjpeg62-turbo-dev; option
 * -Dlibjpeg=disabled turns it off); without it sc_jpeg_turbo_available() is 0 and
 * sc_jpeg_turbo_create() fails with SC_E_UNSUPPORTED, and app/image_io.c uses stb_image.
 *
 * Settings are libjpeg's defaults, which are also what Pillow 9.4 uses: the accurate integer
 * IDCT (JDCT_ISLOW) and "fancy" (triangle) chroma upsampling, output JCS_RGB. Decoded at full
 * size, the pixels are therefore exactly Pillow's on the same libjpeg-turbo (checked on the
 * 19 reference JPEGs by tests/model/test_preproc.c).
 *
 * Scaling: libjpeg-turbo decodes at M/8 of the size (we use M = 1, 2, 4, 8) by running a
 * smaller IDCT on each 8x8 block, which skips most of the work. The output is ceil(W·M/8) × ceil(H·M/8) and
 * output pixel i covers source pixels [i·8/M, (i+1)·8/M), so a box normalised to the output
 * maps to source pixels by x_src = x_norm · out_w · 8 / M (slightly more than W when W·M/8 is
 * not whole: the last output column stands for a partial block).
 *
 * Huffman tables: a frame without DHT (Motion-JPEG from UVC cameras) decodes with the standard
 * tables of ITU T.81 Annex K.3. libjpeg-turbo supplies them only for table slots never set in
 * the decompressor's life, and tables persist from one image to the next, so every decode
 * first loads the standard tables (a tables-only stream) and the frame's own DHT, if any,
 * replaces them. The frame itself is never copied.
 *
 * Corrupt data (damaged entropy-coded data that libjpeg reports as a warning and papers over
 * with grey blocks) — the policy, per decode call:
 *   - "damage" warnings: premature end of data segment, bad Huffman/arithmetic code, a wrong
 *     RST marker (resync), premature end of file, invalid progression/SOS. With
 *     SC_JPEG_TURBO_STRICT the decode stops at the first one and fails with SC_E_FORMAT (the
 *     live path skips and counts such frames: a half-grey picture gives wrong detections);
 *     without it the picture is kept, as Pillow keeps it (still images).
 *   - harmless warnings (extraneous bytes before a marker — many webcams pad their frames so —
 *     unknown JFIF revision or Adobe transform, bad ICC marker) never fail a decode; they are
 *     counted in sc_jpeg_turbo_result.warnings either way.
 * Errors use libjpeg's error_exit → longjmp back into sc_jpeg_turbo_decode(), which calls
 * only libjpeg between its setjmp and return, so no frame of other code is ever jumped over.
 *
 * Memory: the RGB output buffer and libjpeg's decompressor are created once; a decode
 * allocates nothing of ours unless the picture is larger than any before (the buffer then
 * grows once). libjpeg's own memory manager still mallocs and frees its per-image work arrays
 * inside every decode (a handful of blocks; not avoidable through the libjpeg API).
 *
 * Thread-safety: one decoder per thread; different decoders are independent. */
#ifndef SC_APP_JPEG_TURBO_H
#define SC_APP_JPEG_TURBO_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/image.h"

/* The "typical" Huffman tables of ITU T.81 Annex K.3 as one DHT segment (FF C4 ...), for
 * decoders that need them inserted (stb_image in app/image_io.c). */
extern const uint8_t sc_jpeg_std_dht[];
extern const size_t sc_jpeg_std_dht_len;

/* 1 when built with libjpeg-turbo. */
int sc_jpeg_turbo_available(void);
/* "libjpeg-turbo 2.1.5" (the version built against), or "none". */
const char *sc_jpeg_turbo_version(void);

/* The smallest M in {1, 2, 4} whose output ceil(w·M/8) × ceil(h·M/8) is at least
 * min_w × min_h; 8 (full size) when min_w or min_h is <= 0 or none reaches it. Only powers of
 * two: libjpeg-turbo has SIMD IDCTs for 1/4 and 1/2 (the other M/8 run scalar code), and the
 * odd scales cost detections: on the 19 test photos at 300×300, the smallest of all M/8 (3/8 ..
 * 7/8 for most of them) kept 93.8 % of the full-size decode's detections >= 0.4 and added one,
 * while powers of two kept all of them (scripts/decode-scale-agreement.py). A picture barely
 * above the input, resized by a factor near 1, is sharper and more aliased than the reference's
 * area average of the full picture. 1280×720 → 1/2 (640×360); 640×480 → full. */
int sc_jpeg_turbo_pick_scale(int w, int h, int min_w, int min_h);

typedef struct sc_jpeg_turbo sc_jpeg_turbo;

typedef struct sc_jpeg_turbo_result {
    sc_image img;      /* 3-channel RGB view of the decoder's buffer: valid until the next
                        * decode or destroy; never free it */
    int src_w, src_h;  /* the JPEG's own size */
    int scale_num;     /* img is the JPEG decoded at scale_num/8 (8 = full size) */
    int warnings;      /* libjpeg warnings during this decode (accepted ones, see above) */
} sc_jpeg_turbo_result;

/* Flags for sc_jpeg_turbo_decode. */
#define SC_JPEG_TURBO_STRICT 1   /* fail (SC_E_FORMAT) on damage warnings */

/* A decoder whose buffer is allocated for max_w × max_h RGB now (0, 0: at the first decode).
 * SC_E_UNSUPPORTED when built without libjpeg-turbo, SC_E_NOMEM, SC_E_RANGE (size). */
sc_status sc_jpeg_turbo_create(int max_w, int max_h, sc_jpeg_turbo **out);
void sc_jpeg_turbo_destroy(sc_jpeg_turbo *d);   /* NULL is a no-op */

/* Decodes the JPEG in data[0..n) at the scale sc_jpeg_turbo_pick_scale(W, H, min_w, min_h)
 * (min_w = min_h = 0: full size). Refuses pictures over max_side on a side or max_pixels in
 * all (SC_E_RANGE) before allocating anything. On failure *res is zeroed and, when err is not
 * NULL, a one-line reason prefixed by `name` (may be NULL) is written to err[errlen].
 * Returns SC_E_FORMAT (not a JPEG, corrupt, or a damage warning with STRICT), SC_E_UNSUPPORTED
 * (a JPEG libjpeg-turbo cannot turn into RGB, e.g. CMYK/YCCK, or 12-bit samples), SC_E_RANGE,
 * SC_E_NOMEM. */
sc_status sc_jpeg_turbo_decode(sc_jpeg_turbo *d, const void *data, size_t n, int min_w, int min_h,
                               int flags, int max_side, int64_t max_pixels, const char *name,
                               sc_jpeg_turbo_result *res, char *err, size_t errlen);

#endif
