/* tests/fuzz/fuzz_mjpeg.c — libFuzzer target for the Motion-JPEG path: app/mjpeg.c (frame
 * checks, stream splitting, Huffman-table stripping) and the decode of each frame through
 * app/image_io.c (standard Huffman tables inserted when a frame has none).
 *
 * Each input is read as an MJPEG stream file (app/source.c) — concatenated JPEGs with junk
 * between them — and each item is also handed to sc_mjpeg_check() as a camera buffer would be
 * (app/capture.c). Invariants: sc_mjpeg_next() always moves forward and stays inside the data;
 * its verdicts agree with sc_mjpeg_check() on the same bytes; an OK frame's length lies within
 * what it was given; stripping the tables gives a frame that still checks OK, has no DHT, is no
 * longer than the input and has the same size; and a frame that decodes has the size its SOF
 * header announced. Seeds: tests/fuzz/seeds.sh (small frames with and without tables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/image_io.h"
#include "app/mjpeg.h"
#include "core/log.h"
#include "tests/fuzz/fuzz.h"

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sc_log_set_level(SC_LOG_ERROR);
    return 0;
}

/* One frame as the capture thread and the inference thread see it. */
static void check_frame(const uint8_t *p, size_t n, const sc_mjpeg_info *info)
{
    /* The camera path: the negotiated size is the SOF size; then a wrong one. */
    sc_mjpeg_info ci;
    sc_mjpeg_verdict v = sc_mjpeg_check(p, n, info->width, info->height, 4, &ci);
    if (v != SC_MJPEG_OK || ci.length != n || ci.width != info->width) FAIL("camera check: %d", v);
    v = sc_mjpeg_check(p, n, info->width + 1, info->height, 4, NULL);
    if (v != SC_MJPEG_SIZE_MISMATCH) FAIL("size mismatch not seen: %d", v);

    /* Stripped of its Huffman tables, as a UVC camera sends it. */
    uint8_t *s = malloc(n);
    if (!s) abort();
    size_t sn = sc_mjpeg_strip_dht(p, n, s, n);
    if (sn == 0 || sn > n) FAIL("strip gave %zu of %zu bytes", sn, n);
    v = sc_mjpeg_check(s, sn, info->width, info->height, 4, &ci);
    if (v != SC_MJPEG_OK || ci.has_dht || ci.length != sn) FAIL("stripped frame: %d, has_dht %d", v, ci.has_dht);
    if (sc_mjpeg_strip_dht(p, n, s, sn - 1) != 0) FAIL("strip wrote past out_cap");

    /* Decode both (the stripped one gets the standard tables), unless the header announces a
     * picture so large that decoding it would slow the fuzzer down a hundredfold. */
    if ((long long)info->width * info->height > (1 << 22)) {
        free(s);
        return;
    }
    const uint8_t *frames[2] = { p, s };
    size_t lens[2] = { n, sn };
    for (int k = 0; k < 2; k++) {
        sc_image img;
        char err[256];
        sc_status st = sc_image_load_mem(frames[k], lens[k], "frame", &img, err, sizeof(err));
        if (st == SC_OK) {
            if (img.width != info->width || img.height != info->height)
                FAIL("decoded %dx%d, SOF says %dx%d", img.width, img.height, info->width, info->height);
            volatile uint8_t sink = img.data[(size_t)(img.height - 1) * img.stride_bytes + (size_t)img.width * 3 - 1];
            (void)sink;
            sc_image_fini(&img);
        } else if (!err[0]) {
            FAIL("decode failed without a message");
        }
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, start, skipped;
    sc_mjpeg_info info;
    int items = 0;

    /* A camera buffer: the whole input at once (bytes after EOI are ignored). */
    sc_mjpeg_verdict whole = sc_mjpeg_check(data, size, 0, 0, SC_MJPEG_MIN_BYTES, &info);
    if (whole == SC_MJPEG_OK && (info.length < SC_MJPEG_MIN_BYTES || info.length > size)) FAIL("whole length");

    /* A stream file. */
    for (;;) {
        size_t before = pos;
        int v = sc_mjpeg_next(data, size, &pos, &start, 4, &info, &skipped);
        if (v < 0) {
            if (pos != size || start != size || skipped != size - before) FAIL("end of stream");
            break;
        }
        if (pos <= before || pos > size || start < before || start >= pos || skipped != start - before)
            FAIL("next: before %zu start %zu pos %zu skipped %zu", before, start, pos, skipped);
        if (v > SC_MJPEG_SIZE_MISMATCH) FAIL("verdict %d", v);
        /* The same bytes as one buffer give the same verdict. */
        sc_mjpeg_info ci;
        sc_mjpeg_verdict cv = sc_mjpeg_check(data + start, size - start, 0, 0, 4, &ci);
        if (v == SC_MJPEG_OK) {
            if (cv != SC_MJPEG_OK || ci.length != info.length || start + info.length != pos ||
                ci.width != info.width || ci.height != info.height || ci.has_dht != info.has_dht)
                FAIL("next says OK (%zu bytes), check says %d (%zu bytes)", info.length, cv, ci.length);
            if (info.width < 1 || info.height < 1 || info.components < 1) FAIL("OK without a size");
            if (items < 4) check_frame(data + start, info.length, &info);
        } else if (v == SC_MJPEG_TRUNCATED) {
            if (cv == SC_MJPEG_OK) FAIL("next says truncated, check says OK");
        }
        items++;
    }
    return 0;
}
