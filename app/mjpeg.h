/* app/mjpeg.h — sanity checks for Motion-JPEG frames from cameras and stream files.
 *
 * A webcam's MJPEG frame is one baseline JPEG, often without Huffman tables (app/image_io.c
 * inserts the standard ones when decoding). What arrives can be damaged: V4L2's bytesused may
 * cover the whole buffer, not the JPEG (v4l2loopback's first frame, some UVC cameras), so
 * stale bytes of an older frame can follow the image; a USB hiccup truncates a frame; a
 * confused camera sends a few bytes of nothing. sc_mjpeg_check() walks the marker segments
 * from SOI and the entropy-coded data of every scan (0xFF bytes there are stuffed as FF 00 or
 * are RSTn markers), so it finds the EOI that really ends this image — never a stale EOI
 * further on, as a backwards search for FF D9 would — and checks the structure a decoder
 * needs: one frame header (SOFn) with a non-empty size, at least one scan, EOI.
 *
 * It does not decode: damaged entropy-coded data with an intact structure passes, and the
 * decoder reports it. Cost: one memchr() pass over the image (about 0.02 ms for 100 KB).
 * Pure functions over caller memory: thread-safe, no allocation. */
#ifndef SC_APP_MJPEG_H
#define SC_APP_MJPEG_H

#include <stddef.h>
#include <stdint.h>

/* Smaller JPEGs are refused as "too small": a real 160×120 frame needs more than this (the
 * quantisation tables, frame and scan headers alone take ~170 bytes). */
#define SC_MJPEG_MIN_BYTES 256

typedef enum sc_mjpeg_verdict {
    SC_MJPEG_OK = 0,
    SC_MJPEG_TOO_SMALL,       /* fewer than min_bytes from SOI through EOI (or in all) */
    SC_MJPEG_NO_SOI,          /* does not start with FF D8 FF */
    SC_MJPEG_TRUNCATED,       /* the data (or a new SOI) comes before EOI */
    SC_MJPEG_CORRUPT,         /* broken segment structure, no SOFn or scan, zero size */
    SC_MJPEG_SIZE_MISMATCH    /* SOFn size differs from the expected (negotiated) one */
} sc_mjpeg_verdict;
#define SC_MJPEG_N_VERDICTS 6

/* "ok", "too small", "no SOI", "truncated", "corrupt", "size mismatch". */
const char *sc_mjpeg_verdict_str(sc_mjpeg_verdict v);

typedef struct sc_mjpeg_info {
    size_t length;            /* bytes from SOI through EOI (valid when OK or SIZE_MISMATCH) */
    int width, height;        /* from the frame header (0 if none was found) */
    int components;           /* 1 = grey, 3 = YCbCr */
    int has_dht;              /* Huffman tables appear before the first scan */
    int progressive;          /* SOF2/SOF6/SOF10/SOF14 */
} sc_mjpeg_info;

/* Checks the JPEG that starts at data[0]; n is how many bytes may belong to it (bytesused).
 * Bytes after EOI are ignored. expect_w/expect_h: the negotiated size, or 0 to accept any.
 * min_bytes: SC_MJPEG_MIN_BYTES or the caller's choice. *info (may be NULL) is filled as far
 * as the walk got. */
sc_mjpeg_verdict sc_mjpeg_check(const uint8_t *data, size_t n, int expect_w, int expect_h,
                                size_t min_bytes, sc_mjpeg_info *info);

/* Splits a stream of concatenated JPEGs (an .mjpeg file, `cat *.jpg`). Looks for the next SOI
 * at or after data[*pos] and checks the image there. On return *start is where that image
 * begins and *pos where the search for the next one resumes: after EOI when OK; at the SOI
 * that interrupted a truncated image; two bytes on for a corrupt one; n at the end. Returns
 * SC_MJPEG_OK with *info for a good image, another verdict for a bad one (to count and skip),
 * or -1 when no SOI is left (then *skipped_bytes counts the junk that was passed over; it is
 * also set for every other result). */
int sc_mjpeg_next(const uint8_t *data, size_t n, size_t *pos, size_t *start,
                  size_t min_bytes, sc_mjpeg_info *info, size_t *skipped_bytes);

/* Writes `in` without its Huffman table segments (DHT, FF C4) to `out` (capacity out_cap,
 * at least n bytes suffice): the form in which UVC webcams send MJPEG (AVI1 convention; the
 * decoder must know the standard tables of ITU T.81 Annex K.3). Junk bytes between segments
 * before the first scan are left out too (decoders skip them); everything else is copied
 * unchanged. Returns the output length, or 0 when `in` is not a complete JPEG (see
 * sc_mjpeg_check) or out_cap is too small. For tests and tools. */
size_t sc_mjpeg_strip_dht(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap);

#endif
