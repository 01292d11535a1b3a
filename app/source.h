/* app/source.h — frames from files, for demos and tests without a camera: a still image, a
 * directory of images, or an MJPEG stream file.
 *
 * These are the readers behind the file kinds of sc_capture (app/capture.h), which adds the
 * thread, the pacing (once or looped at a given rate), the frame pool and the queues — so the
 * rest of the app sees a file exactly as it sees a camera. Here everything is synchronous:
 * sc_source_next() fills one frame.
 *
 *   SC_SOURCE_IMAGE  one image file (JPEG, PNG, BMP, GIF, PPM: app/image_io.h), decoded once at
 *                    open; each pass delivers it once as RGB24.
 *   SC_SOURCE_DIR    the image files of a directory (by extension: .jpg .jpeg .png .bmp .gif
 *                    .ppm .pgm, any case; hidden files skipped), in byte order of their names
 *                    (strcmp: "img10" sorts before "img9" — name them with leading zeros),
 *                    decoded one by one as RGB24. Open reads each file's header (JPEG, PNG;
 *                    other formats are decoded once) to size the frames for the largest.
 *   SC_SOURCE_MJPEG  a file of concatenated JPEG images (`cat *.jpg > x.mjpeg`, ffmpeg's
 *                    `-f mjpeg`), delivered as SC_PIXFMT_MJPEG frames exactly like a camera's
 *                    (Huffman tables may be missing). Junk between images is skipped, and
 *                    truncated or corrupt images (app/mjpeg.h) are counted and skipped.
 *
 * Decoding a file allocates (stb_image): file sources are for demos and tests, not the
 * allocation-free camera path. Not thread-safe: one thread uses a source. */
#ifndef SC_APP_SOURCE_H
#define SC_APP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/frame.h"

typedef enum sc_source_kind {
    SC_SOURCE_IMAGE = 0,
    SC_SOURCE_DIR = 1,
    SC_SOURCE_MJPEG = 2
} sc_source_kind;

typedef struct sc_source sc_source;

/* Opens `path`. On failure a one-line message goes to err[errlen] (may be NULL), nothing is
 * logged, and the status is SC_E_IO (missing/unreadable), SC_E_FORMAT (no usable image:
 * empty directory, no JPEG in the stream, undecodable still image), SC_E_UNSUPPORTED,
 * SC_E_RANGE or SC_E_NOMEM. */
sc_status sc_source_open(sc_source_kind kind, const char *path, sc_source **out,
                         char *err, size_t errlen);
void sc_source_close(sc_source *s);   /* NULL is a no-op */

/* Bytes a frame needs to hold any item of this source (the frame pool's frame size). */
size_t sc_source_max_frame_bytes(const sc_source *s);
/* Width and height of the first item (for messages and the sizing of consumers). */
void sc_source_first_size(const sc_source *s, int *width, int *height);
/* Items in one pass: 1, the number of image files, or the number of good JPEGs. */
int sc_source_count(const sc_source *s);

/* Fills f (data, bytes_used, width, height, stride_bytes, fmt; not id/sequence/time) with the
 * next item of this pass. Returns SC_OK; SC_E_CLOSED at the end of the pass (rewind to loop);
 * or SC_E_FORMAT / SC_E_IO when this item was bad and was skipped (counted; the message is in
 * err; call again for the next one). f->capacity must be >= sc_source_max_frame_bytes(). */
sc_status sc_source_next(sc_source *s, sc_frame *f, char *err, size_t errlen);
/* Starts a new pass from the first item. */
void sc_source_rewind(sc_source *s);

/* Items skipped so far: corrupt (undecodable image, bad JPEG structure) and truncated. */
void sc_source_counts(const sc_source *s, uint64_t *corrupt, uint64_t *truncated);

#endif
