/* tests/fuzz/fuzz_image.c — libFuzzer target for the still-image loader: app/image_io.c's
 * sc_image_load_mem() (format sniffing, the truncation walks for JPEG/BMP/GIF/PPM, Huffman table
 * insertion, size limits) and, in the fuzz build, stb_image itself compiled from its header with
 * the same instrumentation (tests/fuzz/stb_impl.c), so overreads inside stb are seen too.
 *
 * On success the image must be 3-channel, within the SC_IMAGE_MAX_* limits, and every pixel is
 * read (ASan checks the rows). On failure *out must be zeroed and the message must start with
 * the name. The input is decoded a second time to check the result does not change (no state).
 * Seeds: tests/fuzz/seeds.sh (small JPEG, PNG, BMP, GIF, PPM/PGM made from ../shared photos). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "app/image_io.h"
#include "core/log.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sc_log_set_level(SC_LOG_ERROR);
    return 0;
}

static uint32_t image_sum(const sc_image *img)
{
    uint32_t h = 2166136261u;
    for (int y = 0; y < img->height; y++) {
        const uint8_t *row = img->data + (size_t)y * img->stride_bytes;
        for (size_t x = 0; x < (size_t)img->width * 3; x++) h = (h ^ row[x]) * 16777619u;
    }
    return h;
}

/* Headers announcing up to 100 M pixels are valid, but decoding them (stb allocates and
 * clears the whole picture for GIF, progressive JPEG...) takes ~1 s each and would slow the
 * fuzzer a hundredfold; those are skipped. Larger ones still go through: they are refused
 * before decoding. */
#define FUZZ_MAX_PIXELS (1 << 22)

/* The size the header announces, roughly: for JPEG the first SOFn-looking marker, for PNG and
 * GIF stbi_info (stb's JPEG and PNM header parsers are not safe on raw input: image_io.c
 * checks those headers before calling stb). 0 when unknown, and for BMP and PPM, whose pixel
 * data must all be present anyway. */
static long long header_pixels(const uint8_t *p, size_t n)
{
    int w = 0, h = 0, c;
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8) {
        for (size_t i = 2; i + 9 <= n; i++)
            if (p[i] == 0xFF && p[i + 1] >= 0xC0 && p[i + 1] <= 0xCF && p[i + 1] != 0xC4 &&
                p[i + 1] != 0xC8 && p[i + 1] != 0xCC)
                return (long long)(p[i + 5] << 8 | p[i + 6]) * (p[i + 7] << 8 | p[i + 8]);
        return 0;
    }
    if (n < 4 || (memcmp(p, "\x89PNG", 4) != 0 && memcmp(p, "GIF8", 4) != 0)) return 0;
    if (n > 0x7fffffff || !stbi_info_from_memory(p, (int)n, &w, &h, &c)) return 0;
    if (w > SC_IMAGE_MAX_SIDE || h > SC_IMAGE_MAX_SIDE) return 0;   /* refused before decoding */
    return (long long)w * h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    sc_image img, again;
    err[0] = 0;
    long long px = header_pixels(data, size);
    if (px > FUZZ_MAX_PIXELS && px <= SC_IMAGE_MAX_PIXELS) return 0;
    sc_status st = sc_image_load_mem(data, size, "fuzz", &img, err, sizeof(err));
    if (st != SC_OK) {
        static const sc_image zero;
        if (memcmp(&img, &zero, sizeof(img)) != 0 || strncmp(err, "fuzz: ", 6) != 0) {
            fprintf(stderr, "failure %d left an image or the message '%s'\n", st, err);
            abort();
        }
        if (st != SC_E_FORMAT && st != SC_E_UNSUPPORTED && st != SC_E_RANGE && st != SC_E_NOMEM) abort();
        return 0;
    }
    if (!img.data || img.channels != 3 || img.width < 1 || img.height < 1 ||
        img.width > SC_IMAGE_MAX_SIDE || img.height > SC_IMAGE_MAX_SIDE ||
        (long long)img.width * img.height > SC_IMAGE_MAX_PIXELS ||
        img.stride_bytes < (size_t)img.width * 3) abort();
    uint32_t h1 = image_sum(&img);
    if (sc_image_load_mem(data, size, "fuzz", &again, err, sizeof(err)) != SC_OK ||
        again.width != img.width || again.height != img.height || image_sum(&again) != h1) {
        fprintf(stderr, "a second decode of the same bytes differs\n");
        abort();
    }
    sc_image_fini(&again);
    sc_image_fini(&img);
    return 0;
}
