/* tests/unit/test_image.c — sc_image, the Pillow-compatible resizer and core/draw on
 * synthetic images. (Byte-exactness against Pillow itself is tested in the model suite,
 * tests/model/test_preproc.c, on the reference photos and, when PIL is installed, on random
 * images.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/draw.h"
#include "core/image.h"
#include "core/mem.h"
#include "core/pool.h"
#include "sc_config.h"
#include "tests/harness.h"

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint8_t *px(const sc_image *img, int x, int y)
{
    return img->data + (size_t)y * img->stride_bytes + (size_t)x * img->channels;
}

/* Resizes src into a fresh dst image of dst_w×dst_h. */
static int resize(const sc_image *src, int dst_w, int dst_h, sc_image *dst)
{
    sc_resizer *r = NULL;
    if (sc_resizer_create(src->width, src->height, dst_w, dst_h, src->channels, &r) != SC_OK)
        return 0;
    if (sc_image_init(dst, dst_w, dst_h, src->channels) != SC_OK) {
        sc_resizer_destroy(r);
        return 0;
    }
    sc_resizer_run(r, src, dst);
    sc_resizer_destroy(r);
    return 1;
}

/* The resampler's definition in plain double arithmetic, in 2-D at once (no fixed point, no
 * 8-bit intermediate): the triangle filter, widened by the scale factor when shrinking,
 * centred on (i + 0.5) * scale, normalised over the samples inside the image. */
static void exact_weights(int in, int out, int i, double *w, int *lo_out, int *hi_out)
{
    double scale = (double)in / out, fs = scale > 1.0 ? scale : 1.0;
    double c = (i + 0.5) * scale, sum = 0;
    int lo = (int)(c - fs + 0.5), hi = (int)(c + fs + 0.5);
    if (lo < 0) lo = 0;
    if (hi > in) hi = in;
    for (int j = lo; j < hi; j++) {
        double d = (j + 0.5 - c) / fs;
        d = d < 0 ? -d : d;
        w[j - lo] = d < 1 ? 1 - d : 0;
        sum += w[j - lo];
    }
    for (int j = lo; j < hi; j++) w[j - lo] /= sum;
    *lo_out = lo;
    *hi_out = hi;
}

static double exact_sample(const sc_image *src, int dst_w, int dst_h, int x, int y, int c)
{
    double wx[512], wy[512], v = 0;
    int x0, x1, y0, y1;
    exact_weights(src->width, dst_w, x, wx, &x0, &x1);
    exact_weights(src->height, dst_h, y, wy, &y0, &y1);
    for (int j = y0; j < y1; j++)
        for (int i = x0; i < x1; i++) v += wy[j - y0] * wx[i - x0] * px(src, i, j)[c];
    return v;
}

static void fill_random(sc_image *img)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width * img->channels; x++)
            img->data[(size_t)y * img->stride_bytes + x] = (uint8_t)(rnd() >> 24);
}

static void test_image_init(void)
{
    sc_image img;
    CHECK_EQ_INT(sc_image_init(&img, 7, 5, 3), SC_OK);
    CHECK(img.data != NULL && ((uintptr_t)img.data % SC_ALIGN) == 0);
    CHECK_EQ_INT(img.stride_bytes, 21);
    CHECK(img.width == 7 && img.height == 5 && img.channels == 3);
    int zero = 1;
    for (size_t i = 0; i < 21 * 5; i++) zero &= img.data[i] == 0;
    CHECK(zero);
    sc_image_fini(&img);
    CHECK(img.data == NULL && img.width == 0);
    sc_image_fini(&img);                               /* twice is harmless */
    CHECK_EQ_INT(sc_image_init(&img, 0, 5, 3), SC_E_INVAL);
    CHECK_EQ_INT(sc_image_init(&img, 5, -1, 3), SC_E_INVAL);
    CHECK_EQ_INT(sc_image_init(&img, 5, 5, 5), SC_E_INVAL);
    CHECK(img.data == NULL);

    sc_resizer *r = (sc_resizer *)&img;
    CHECK_EQ_INT(sc_resizer_create(0, 1, 1, 1, 3, &r), SC_E_INVAL);
    CHECK(r == NULL);
    CHECK_EQ_INT(sc_resizer_create(4, 4, 4, 4, 0, &r), SC_E_INVAL);
    sc_resizer_destroy(NULL);
}

/* A constant image stays exactly constant, whatever the sizes and channel count. */
static void test_constant(void)
{
    static const int sizes[][4] = {
        { 640, 480, 300, 300 }, { 300, 300, 640, 480 }, { 1, 1, 300, 300 }, { 300, 300, 1, 1 },
        { 7, 3, 5, 11 },        { 1, 9, 4, 1 },         { 1000, 3, 3, 1000 },
    };
    for (size_t s = 0; s < SC_ARRAY_LEN(sizes); s++) {
        for (int ch = 1; ch <= 4; ch++) {
            sc_image src, dst;
            uint8_t val[4] = { 0, 255, 77, 128 };
            int ok = 1;
            if (sc_image_init(&src, sizes[s][0], sizes[s][1], ch) != SC_OK) { CHECK(0); continue; }
            for (int y = 0; y < src.height; y++)
                for (int x = 0; x < src.width; x++)
                    memcpy(px(&src, x, y), val, (size_t)ch);
            if (!resize(&src, sizes[s][2], sizes[s][3], &dst)) { CHECK(0); sc_image_fini(&src); continue; }
            for (int y = 0; y < dst.height && ok; y++)
                for (int x = 0; x < dst.width && ok; x++)
                    ok = memcmp(px(&dst, x, y), val, (size_t)ch) == 0;
            CHECKF(ok, "%dx%d -> %dx%d, %d channels", sizes[s][0], sizes[s][1], sizes[s][2],
                   sizes[s][3], ch);
            sc_image_fini(&src);
            sc_image_fini(&dst);
        }
    }
}

/* Same size: the pixels come back unchanged (Pillow skips both passes). */
static void test_identity(void)
{
    sc_image src, dst;
    SC_ASSERT(sc_image_init(&src, 13, 9, 3) == SC_OK);
    fill_random(&src);
    CHECK(resize(&src, 13, 9, &dst));
    CHECK(memcmp(src.data, dst.data, 13 * 9 * 3) == 0);
    sc_image_fini(&dst);
    sc_image_fini(&src);
}

/* A horizontal ramp 0..255 halved: away from the edges the triangle filter averages a
 * linear function to its value at the window centre, (i + 0.5) * 2 - 0.5 = 2i + 0.5. */
static void test_ramp(void)
{
    sc_image src, dst;
    int worst = 0, rows_same = 1;
    SC_ASSERT(sc_image_init(&src, 256, 4, 1) == SC_OK);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 256; x++) px(&src, x, y)[0] = (uint8_t)x;
    CHECK(resize(&src, 128, 4, &dst));
    for (int x = 1; x < 127; x++) {
        int d = abs(px(&dst, x, 0)[0] - (2 * x + 1));   /* 2x + 0.5 rounds half up */
        if (d > worst) worst = d;
    }
    CHECK_EQ_INT(worst, 0);
    for (int y = 1; y < 4; y++) rows_same &= memcmp(px(&dst, 0, y), px(&dst, 0, 0), 128) == 0;
    CHECK(rows_same);
    /* Monotonic everywhere, including the truncated windows at the edges. */
    int mono = 1;
    for (int x = 1; x < 128; x++) mono &= px(&dst, x, 0)[0] >= px(&dst, x - 1, 0)[0];
    CHECK(mono);
    sc_image_fini(&dst);

    /* Vertical ramp, upscaled 2 -> 8 rows: the ends clamp, the middle interpolates. */
    sc_image_fini(&src);
    SC_ASSERT(sc_image_init(&src, 1, 2, 1) == SC_OK);
    src.data[0] = 0;
    src.data[1] = 255;
    CHECK(resize(&src, 1, 8, &dst));
    static const int want[8] = { 0, 0, 32, 96, 159, 223, 255, 255 };  /* 255*clamp(p,0,1) */
    for (int y = 0; y < 8; y++) CHECK_NEAR(dst.data[y], want[y], 1);
    sc_image_fini(&dst);
    sc_image_fini(&src);
}

/* Random images and sizes (shrink, enlarge, odd, 1-pixel, non-square) against the exact
 * double-precision definition: Pillow's fixed point and 8-bit intermediate keep every
 * sample within 1 level of it. */
static void test_against_exact(void)
{
    static const int sizes[][4] = {
        { 64, 48, 30, 30 },  { 30, 30, 64, 48 }, { 17, 13, 5, 7 },  { 5, 7, 17, 13 },
        { 1, 1, 3, 2 },      { 9, 1, 4, 3 },     { 1, 9, 3, 4 },    { 40, 40, 1, 1 },
        { 100, 3, 7, 3 },    { 3, 100, 3, 7 },   { 33, 21, 33, 8 }, { 33, 21, 8, 21 },
        { 97, 61, 41, 59 },  { 12, 12, 25, 5 },
    };
    for (size_t s = 0; s < SC_ARRAY_LEN(sizes); s++) {
        const int ch = (int)(s % 4) + 1;
        sc_image src, dst;
        double worst = 0;
        SC_ASSERT(sc_image_init(&src, sizes[s][0], sizes[s][1], ch) == SC_OK);
        fill_random(&src);
        CHECK(resize(&src, sizes[s][2], sizes[s][3], &dst));
        for (int y = 0; y < dst.height; y++)
            for (int x = 0; x < dst.width; x++)
                for (int c = 0; c < ch; c++) {
                    double e = exact_sample(&src, dst.width, dst.height, x, y, c);
                    double d = px(&dst, x, y)[c] - e;
                    if (d < 0) d = -d;
                    if (d > worst) worst = d;
                }
        CHECKF(worst <= 1.0, "%dx%d -> %dx%d (%d ch): max |out - exact| = %.3f", sizes[s][0],
               sizes[s][1], sizes[s][2], sizes[s][3], ch, worst);
        sc_image_fini(&src);
        sc_image_fini(&dst);
    }
}

/* Channels are independent: a 3-channel resize equals three 1-channel resizes. Also checks
 * that strides wider than width*channels are honoured on both sides. */
static void test_channels_and_stride(void)
{
    sc_image rgb, dst, plane, pdst;
    int same = 1;
    SC_ASSERT(sc_image_init(&rgb, 23, 17, 3) == SC_OK);
    fill_random(&rgb);
    CHECK(resize(&rgb, 10, 29, &dst));
    for (int c = 0; c < 3 && same; c++) {
        SC_ASSERT(sc_image_init(&plane, 23, 17, 1) == SC_OK);
        for (int y = 0; y < 17; y++)
            for (int x = 0; x < 23; x++) px(&plane, x, y)[0] = px(&rgb, x, y)[c];
        CHECK(resize(&plane, 10, 29, &pdst));
        for (int y = 0; y < 29; y++)
            for (int x = 0; x < 10; x++) same &= px(&pdst, x, y)[0] == px(&dst, x, y)[c];
        sc_image_fini(&plane);
        sc_image_fini(&pdst);
    }
    CHECK(same);

    /* The same source and destination as views with padded rows. */
    sc_image big_src, big_dst, vsrc, vdst;
    SC_ASSERT(sc_image_init(&big_src, 40, 17, 3) == SC_OK);
    SC_ASSERT(sc_image_init(&big_dst, 20, 29, 3) == SC_OK);
    memset(big_dst.data, 0xAB, big_dst.stride_bytes * 29);
    vsrc = big_src;
    vsrc.width = 23;
    vdst = big_dst;
    vdst.width = 10;
    for (int y = 0; y < 17; y++) memcpy(px(&vsrc, 0, y), px(&rgb, 0, y), 23 * 3);
    sc_resizer *r = NULL;
    CHECK_EQ_INT(sc_resizer_create(23, 17, 10, 29, 3, &r), SC_OK);
    if (r) {
        int eq = 1, untouched = 1;
        sc_resizer_run(r, &vsrc, &vdst);
        sc_resizer_run(r, &vsrc, &vdst);                /* reusable */
        for (int y = 0; y < 29; y++) {
            eq &= memcmp(px(&vdst, 0, y), px(&dst, 0, y), 30) == 0;
            for (int x = 30; x < 60; x++) untouched &= px(&vdst, 0, y)[x] == 0xAB;
        }
        CHECK(eq);
        CHECK(untouched);
        sc_resizer_destroy(r);
    }
    sc_image_fini(&big_src);
    sc_image_fini(&big_dst);
    sc_image_fini(&rgb);
    sc_image_fini(&dst);
}

/* ---- implementation levels and threads ---- */

/* An image in a buffer of exactly the bytes it covers (rows of `pad` extra bytes, the last
 * row without them), so ASan catches any read or write past the pixels. */
static sc_image tight_image(int w, int h, int ch, int pad)
{
    sc_image img = { NULL, w, h, ch, (size_t)w * ch + (size_t)pad };
    img.data = malloc(img.stride_bytes * (size_t)(h - 1) + (size_t)w * ch);
    SC_ASSERT(img.data);
    return img;
}

/* Every level this build and CPU run, at 1, 2 and 3 threads, against "ref" (the scalar
 * passes) byte for byte: odd sizes, every channel count, up- and downscaling by up to 7×
 * (many steps per lane), rows shorter than one SIMD window, padded strides, and no byte
 * written outside the destination pixels. */
static void test_levels_and_threads(void)
{
    static const int sizes[][4] = {
        { 640, 480, 300, 300 }, { 1280, 720, 300, 300 }, { 640, 480, 224, 224 },
        { 97, 61, 41, 59 },     { 41, 59, 97, 61 },      { 17, 13, 5, 7 },  { 5, 7, 17, 13 },
        { 300, 9, 43, 11 },     { 9, 300, 11, 43 },      { 16, 16, 3, 3 },  { 6, 5, 2, 9 },
        { 211, 37, 211, 19 },   { 211, 37, 29, 37 },     { 33, 3, 1, 1 },   { 15, 2, 40, 3 },
    };
    static const char *const isas[] = { "avx2", "neon" };
    sc_pool *pools[3] = { NULL, NULL, NULL };
    SC_ASSERT(sc_pool_create(2, &pools[1]) == SC_OK && sc_pool_create(3, &pools[2]) == SC_OK);
    int n_levels = 0;
    for (size_t s = 0; s < SC_ARRAY_LEN(sizes); s++) {
        for (int ch = 1; ch <= 4; ch++) {
            const int sw = sizes[s][0], sh = sizes[s][1], dw = sizes[s][2], dh = sizes[s][3];
            const int pad = (int)(s % 3) * 5;
            sc_image src = tight_image(sw, sh, ch, pad);
            sc_image want = tight_image(dw, dh, ch, pad), got = tight_image(dw, dh, ch, pad);
            for (int y = 0; y < sh; y++)
                for (int x = 0; x < sw * ch; x++)   /* noise, with saturated patches */
                    src.data[(size_t)y * src.stride_bytes + x] =
                        (x / 7 + y / 5) % 4 == 0 ? 255 : (uint8_t)(rnd() >> 24);
            sc_resizer *r = NULL;
            SC_ASSERT(sc_resizer_create(sw, sh, dw, dh, ch, &r) == SC_OK);
            SC_ASSERT(sc_resizer_set_isa(r, "ref") == SC_OK);
            CHECK(strcmp(sc_resizer_isa(r), "ref") == 0);
            memset(want.data, 0x5A, want.stride_bytes * (size_t)(dh - 1) + (size_t)dw * ch);
            sc_resizer_run(r, &src, &want);
            for (size_t l = 0; l < SC_ARRAY_LEN(isas); l++) {
                if (sc_resizer_set_isa(r, isas[l]) != SC_OK) continue;
                if (s == 0 && ch == 1) n_levels++;
                for (int t = 0; t < 3; t++) {
                    int same = 1;
                    memset(got.data, 0x5A, got.stride_bytes * (size_t)(dh - 1) + (size_t)dw * ch);
                    sc_resizer_run_pool(r, &src, &got, pools[t]);
                    /* The row padding bytes too: still the 0x5A canary in both. */
                    same = memcmp(got.data, want.data,
                                  got.stride_bytes * (size_t)(dh - 1) + (size_t)dw * ch) == 0;
                    CHECKF(same, "%s, %d threads: %dx%d -> %dx%d, %d channels, row pad %d",
                           isas[l], t + 1, sw, sh, dw, dh, ch, pad);
                }
            }
            /* The reference itself split over 3 threads. */
            SC_ASSERT(sc_resizer_set_isa(r, "ref") == SC_OK);
            memset(got.data, 0x5A, got.stride_bytes * (size_t)(dh - 1) + (size_t)dw * ch);
            sc_resizer_run_pool(r, &src, &got, pools[2]);
            CHECK(memcmp(got.data, want.data, got.stride_bytes * (size_t)(dh - 1) + (size_t)dw * ch) == 0);
            sc_resizer_destroy(r);
            free(src.data);
            free(want.data);
            free(got.data);
        }
    }
    printf("resize levels checked against ref: %d\n", n_levels);
#if SC_HAVE_AVX2 && defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) CHECK(n_levels >= 1);
#endif
#if SC_HAVE_NEON
    CHECK(n_levels >= 1);
#endif
    sc_pool_destroy(pools[1]);
    sc_pool_destroy(pools[2]);
}

/* The level picked at create: the best available, or "ref" with SC_KERNELS=ref. */
static void test_level_choice(void)
{
    sc_resizer *r = NULL;
    const char *old = getenv("SC_KERNELS");
    char saved[64] = "";
    if (old) snprintf(saved, sizeof(saved), "%s", old);
    setenv("SC_KERNELS", "ref", 1);
    SC_ASSERT(sc_resizer_create(64, 48, 30, 30, 3, &r) == SC_OK);
    CHECK(strcmp(sc_resizer_isa(r), "ref") == 0);
    sc_resizer_destroy(r);
    unsetenv("SC_KERNELS");
    SC_ASSERT(sc_resizer_create(64, 48, 30, 30, 3, &r) == SC_OK);
#if SC_HAVE_AVX2 && defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) CHECK(strcmp(sc_resizer_isa(r), "avx2") == 0);
#elif SC_HAVE_NEON
    CHECK(strcmp(sc_resizer_isa(r), "neon") == 0);
#else
    CHECK(strcmp(sc_resizer_isa(r), "ref") == 0);
#endif
    CHECK_EQ_INT(sc_resizer_set_isa(r, "bogus"), SC_E_UNSUPPORTED);
    sc_resizer_destroy(r);
    if (old) setenv("SC_KERNELS", saved, 1);
}

/* ---- drawing ---- */

static const sc_rgb BG = { 10, 20, 30 }, RED = { 255, 0, 0 };

static void clear(sc_image *img, sc_rgb c)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            uint8_t *p = px(img, x, y);
            p[0] = c.r;
            p[1] = c.g;
            p[2] = c.b;
        }
}

static int is(const sc_image *img, int x, int y, sc_rgb c)
{
    const uint8_t *p = px(img, x, y);
    return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

static void test_draw_rect(void)
{
    sc_image img;
    SC_ASSERT(sc_image_init(&img, 50, 40, 3) == SC_OK);
    for (int t = 1; t <= 3; t++) {
        int exact = 1;
        clear(&img, BG);
        sc_draw_rect(&img, 5, 7, 30, 25, t, RED);
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 50; x++) {
                int in = x >= 5 && x < 30 && y >= 7 && y < 25;
                int edge = in && (x < 5 + t || x >= 30 - t || y < 7 + t || y >= 25 - t);
                exact &= is(&img, x, y, edge ? RED : BG);
            }
        CHECKF(exact, "outline of thickness %d", t);
    }
    /* filled */
    int exact = 1;
    clear(&img, BG);
    sc_draw_fill_rect(&img, 3, 4, 9, 6, RED);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 50; x++)
            exact &= is(&img, x, y, (x >= 3 && x < 9 && y >= 4 && y < 6) ? RED : BG);
    CHECK(exact);
    /* empty and inverted rectangles draw nothing */
    clear(&img, BG);
    sc_draw_rect(&img, 10, 10, 10, 20, 2, RED);
    sc_draw_rect(&img, 20, 10, 10, 20, 2, RED);
    sc_draw_fill_rect(&img, 10, 20, 20, 10, RED);
    int none = 1;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 50; x++) none &= is(&img, x, y, BG);
    CHECK(none);
    sc_image_fini(&img);
}

/* A 30×20 view inside a 50×40 canvas: drawing off every edge, with huge and extreme
 * coordinates, never writes outside the view. */
static void test_draw_clip(void)
{
    sc_image canvas, view;
    int outside_ok = 1, inside_drawn = 0;
    SC_ASSERT(sc_image_init(&canvas, 50, 40, 3) == SC_OK);
    clear(&canvas, BG);
    view = canvas;
    view.data = px(&canvas, 10, 10);
    view.width = 30;
    view.height = 20;
    sc_draw_rect(&view, -5, -5, 10, 10, 3, RED);
    sc_draw_rect(&view, 25, 15, 40, 30, 4, RED);
    sc_draw_rect(&view, -100, 5, 100, 8, 1, RED);
    sc_draw_rect(&view, INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, INT32_MAX, RED);
    sc_draw_fill_rect(&view, INT32_MIN, 3, 2, INT32_MAX, RED);
    sc_draw_text(&view, 25, 15, "Wide text", 3, RED);
    sc_draw_text(&view, -20, -3, "xyz", 2, RED);
    sc_draw_text(&view, INT32_MAX - 5, INT32_MAX - 5, "q", 64, RED);
    sc_draw_text(&view, INT32_MIN, INT32_MIN, "q", 64, RED);
    sc_draw_detection(&view, 20, 0, 60, 25, 3, "a long label that cannot fit", 0.5f, 2, 2);
    sc_draw_detection(&view, INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, 7, "x", 1.0f,
                      INT32_MAX, INT32_MAX);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 50; x++) {
            int in = x >= 10 && x < 40 && y >= 10 && y < 30;
            if (!in) outside_ok &= is(&canvas, x, y, BG);
            else inside_drawn |= !is(&canvas, x, y, BG);
        }
    CHECK(outside_ok);
    CHECK(inside_drawn);
    sc_image_fini(&canvas);
}

static void test_font_and_text(void)
{
    int all_nonempty = 1;
    for (int c = 33; c <= 126; c++) {
        const uint8_t *g = sc_font8x8_glyph(c);
        int bits = 0;
        for (int r = 0; r < 8; r++) bits |= g[r];
        all_nonempty &= bits != 0;
    }
    CHECK(all_nonempty);
    const uint8_t *sp = sc_font8x8_glyph(' ');
    CHECK(memcmp(sp, "\0\0\0\0\0\0\0\0", 8) == 0);
    CHECK(sc_font8x8_glyph(200) == sc_font8x8_glyph('?'));
    CHECK(sc_font8x8_glyph(-1) == sc_font8x8_glyph('?'));
    CHECK(sc_font8x8_glyph('\n') == sc_font8x8_glyph('?'));
    CHECK(sc_font8x8_glyph('A') != sc_font8x8_glyph('B'));
    CHECK_EQ_INT(sc_draw_text_width("dog", 2), 48);
    CHECK_EQ_INT(sc_draw_text_width("", 5), 0);
    CHECK_EQ_INT(sc_draw_text_width("ab", 0), 16);         /* scale clamps to 1 */

    /* "Hi" at scale 2: exactly the glyph bits, as 2×2 blocks, inside the 32×16 cell. */
    sc_image img;
    SC_ASSERT(sc_image_init(&img, 60, 30, 3) == SC_OK);
    clear(&img, BG);
    CHECK_EQ_INT(sc_draw_text(&img, 7, 5, "Hi", 2, RED), 32);
    int exact = 1, count = 0;
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 60; x++) {
            int on = 0;
            if (x >= 7 && x < 39 && y >= 5 && y < 21) {
                int ci = (x - 7) / 16, col = (x - 7) % 16 / 2, row = (y - 5) / 2;
                on = sc_font8x8_glyph("Hi"[ci])[row] >> col & 1;
            }
            exact &= is(&img, x, y, on ? RED : BG);
            count += on;
        }
    CHECK(exact);
    CHECK(count > 20);
    /* spaces draw nothing */
    clear(&img, BG);
    sc_draw_text(&img, 0, 0, "   ", 3, RED);
    int none = 1;
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 60; x++) none &= is(&img, x, y, BG);
    CHECK(none);
    sc_image_fini(&img);
}

static int luma(sc_rgb c) { return (299 * c.r + 587 * c.g + 114 * c.b) / 1000; }

static void test_colors(void)
{
    sc_rgb white = { 255, 255, 255 }, black = { 0, 0, 0 }, yellow = { 255, 255, 0 },
           navy = { 0, 0, 128 };
    CHECK(luma(sc_draw_contrast_color(white)) == 0);
    CHECK(luma(sc_draw_contrast_color(yellow)) == 0);
    CHECK(luma(sc_draw_contrast_color(black)) == 255);
    CHECK(luma(sc_draw_contrast_color(navy)) == 255);
    int contrast_ok = 1, distinct = 1;
    for (int id = 0; id < 91; id++) {
        sc_rgb c = sc_draw_class_color(id), t = sc_draw_contrast_color(c);
        contrast_ok &= abs(luma(c) - luma(t)) >= 100;
        if (id > 0 && id < 20) {
            sc_rgb p = sc_draw_class_color(id - 1);
            distinct &= c.r != p.r || c.g != p.g || c.b != p.b;
        }
    }
    CHECK(contrast_ok);
    CHECK(distinct);
    sc_rgb a = sc_draw_class_color(17), b = sc_draw_class_color(17);
    CHECK(a.r == b.r && a.g == b.g && a.b == b.b);
    sc_rgb g = sc_draw_class_color(-1);
    CHECK(g.r == g.g && g.g == g.b);
}

static int count_color(const sc_image *img, int x0, int y0, int x1, int y1, sc_rgb c)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += is(img, x, y, c);
    return n;
}

static void test_detection(void)
{
    sc_image img;
    const int cls = 17;
    const sc_rgb col = sc_draw_class_color(cls), txt = sc_draw_contrast_color(col);
    SC_ASSERT(sc_image_init(&img, 200, 120, 3) == SC_OK);
    clear(&img, BG);
    /* Room above: the tag ("dog 0.87" = 8 glyphs × 8 + 2 = 66 wide, 10 tall at scale 1)
     * sits on the box's top edge, outside it. */
    sc_draw_detection(&img, 40, 50, 120, 100, cls, "dog", 0.87f, 2, 1);
    CHECK(is(&img, 40, 50, col) && is(&img, 119, 99, col) && is(&img, 41, 51, col));
    CHECK(is(&img, 42, 52, BG));                                      /* interior */
    CHECK_EQ_INT(count_color(&img, 40, 40, 106, 50, col) + count_color(&img, 40, 40, 106, 50, txt),
                 66 * 10);
    CHECK(count_color(&img, 41, 41, 105, 49, txt) > 40);              /* the text itself */
    CHECK(is(&img, 106, 45, BG) && is(&img, 39, 45, BG) && is(&img, 60, 39, BG));
    /* No room above: the tag goes inside the box, from its top edge. */
    clear(&img, BG);
    sc_draw_detection(&img, 10, 3, 150, 60, cls, "dog", 0.87f, 1, 1);
    CHECK(count_color(&img, 11, 4, 75, 12, txt) > 40);
    CHECK_EQ_INT(count_color(&img, 0, 0, 200, 3, col), 0);
    /* At the right edge: the tag moves left to stay whole. */
    clear(&img, BG);
    sc_draw_detection(&img, 180, 60, 200, 100, cls, "dog", 0.87f, 1, 1);
    CHECK(count_color(&img, 134, 50, 200, 60, col) + count_color(&img, 134, 50, 200, 60, txt) ==
          66 * 10);
    /* No score: just the label; no label: just the box. */
    clear(&img, BG);
    sc_draw_detection(&img, 40, 50, 120, 100, cls, "dog", -1.0f, 1, 1);
    CHECK_EQ_INT(count_color(&img, 40, 40, 200, 50, col) + count_color(&img, 40, 40, 200, 50, txt),
                 26 * 10);
    clear(&img, BG);
    sc_draw_detection(&img, 40, 50, 120, 100, cls, NULL, 0.5f, 1, 1);
    CHECK_EQ_INT(count_color(&img, 0, 0, 200, 50, col), 0);
    CHECK_EQ_INT(count_color(&img, 0, 0, 200, 120, col), 2 * 80 + 2 * 48);
    sc_image_fini(&img);

    /* Grey and RGBA targets. */
    sc_image grey, rgba;
    SC_ASSERT(sc_image_init(&grey, 10, 10, 1) == SC_OK);
    SC_ASSERT(sc_image_init(&rgba, 10, 10, 4) == SC_OK);
    sc_draw_fill_rect(&grey, 2, 2, 4, 4, RED);
    sc_draw_fill_rect(&rgba, 2, 2, 4, 4, RED);
    CHECK_EQ_INT(px(&grey, 3, 3)[0], 76);                 /* 299 * 255 / 1000 */
    CHECK_EQ_INT(px(&grey, 4, 3)[0], 0);
    CHECK(px(&rgba, 2, 2)[0] == 255 && px(&rgba, 2, 2)[1] == 0 && px(&rgba, 2, 2)[3] == 255);
    CHECK(px(&rgba, 4, 2)[3] == 0);
    sc_image_fini(&grey);
    sc_image_fini(&rgba);
}

int main(void)
{
    test_image_init();
    test_constant();
    test_identity();
    test_ramp();
    test_against_exact();
    test_channels_and_stride();
    test_levels_and_threads();
    test_level_choice();
    test_draw_rect();
    test_draw_clip();
    test_font_and_text();
    test_colors();
    test_detection();
    return sc_test_finish();
}
