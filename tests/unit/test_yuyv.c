/* tests/unit/test_yuyv.c — YUYV → RGB (core/yuyv.h): the fixed-point reference against the
 * real-valued BT.601 formulas, pairs, odd widths, row ranges and strides, and the fused
 * YUYV → RGB → resize path against the two steps done separately. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/image.h"
#include "core/yuyv.h"
#include "tests/harness.h"

static void exact_rgb(int y, int u, int v, sc_yuv_range range, double out[3])
{
    double c = range == SC_YUV_LIMITED ? (y - 16) * 255.0 / 219.0 : y;
    double d = (u - 128) * (range == SC_YUV_LIMITED ? 255.0 / 224.0 : 1.0);
    double e = (v - 128) * (range == SC_YUV_LIMITED ? 255.0 / 224.0 : 1.0);
    /* BT.601: Kr = 0.299, Kb = 0.114 */
    out[0] = c + 1.402 * e;
    out[1] = c - (0.114 * 1.772 / 0.587) * d - (0.299 * 1.402 / 0.587) * e;
    out[2] = c + 1.772 * d;
    for (int k = 0; k < 3; k++) out[k] = out[k] < 0 ? 0 : out[k] > 255 ? 255 : out[k];
}

static void convert_one(int y0, int y1, int u, int v, sc_yuv_range range, uint8_t rgb[6])
{
    uint8_t src[4 + 64] = { (uint8_t)y0, (uint8_t)u, (uint8_t)y1, (uint8_t)v };
    sc_yuyv_params p = { .range = range };
    sc_u8_yuyv2rgb__ref(src, 4, rgb, 6, 2, 0, 1, &p);
}

static void test_exactness(void)
{
    for (int r = 0; r < 2; r++) {
        sc_yuv_range range = r ? SC_YUV_FULL : SC_YUV_LIMITED;
        double max_err = 0;
        long n_off_by_one = 0, n = 0;
        for (int y = 0; y < 256; y += 3)
            for (int u = 0; u < 256; u += 3)
                for (int v = 0; v < 256; v += 5) {
                    uint8_t rgb[6];
                    double ex[3];
                    convert_one(y, 255 - y, u, v, range, rgb);
                    exact_rgb(y, u, v, range, ex);
                    for (int k = 0; k < 3; k++) {
                        double err = fabs(rgb[k] - ex[k]);
                        if (err > max_err) max_err = err;
                        if (err > 0.5 + 1e-6) n_off_by_one++;   /* exact ties may go either way */
                        n++;
                    }
                    exact_rgb(255 - y, u, v, range, ex);   /* the second pixel of the pair */
                    for (int k = 0; k < 3; k++) {
                        double err = fabs(rgb[3 + k] - ex[k]);
                        if (err > max_err) max_err = err;
                    }
                }
        /* The 16.16 coefficients are off by < 1e-5 relative: a result can miss the nearest level
         * only when the exact value is within 0.002 of a half-way point. */
        CHECKF(max_err <= 0.502, "range %d: max error %.4f levels", r, max_err);
        CHECKF(n_off_by_one * 2000 < n, "range %d: %ld of %ld samples not the nearest level", r, n_off_by_one, n);
    }
    uint8_t rgb[6];
    convert_one(16, 235, 128, 128, SC_YUV_LIMITED, rgb);
    CHECK(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
    CHECK(rgb[3] == 255 && rgb[4] == 255 && rgb[5] == 255);
    convert_one(0, 255, 128, 128, SC_YUV_FULL, rgb);
    CHECK(rgb[0] == 0 && rgb[3] == 255 && rgb[4] == 255);
    /* Saturated colours clamp instead of wrapping. */
    convert_one(235, 16, 16, 240, SC_YUV_LIMITED, rgb);   /* R over 255, then B under 0 */
    CHECKF(rgb[0] == 255 && rgb[2] == 29, "%d %d %d", rgb[0], rgb[1], rgb[2]);
    CHECKF(rgb[3] == 179 && rgb[5] == 0, "%d %d %d", rgb[3], rgb[4], rgb[5]);
    /* Limited-range pure red (Y=81, U=90, V=240) comes back as red. */
    convert_one(81, 81, 90, 240, SC_YUV_LIMITED, rgb);
    CHECKF(rgb[0] >= 253 && rgb[1] <= 2 && rgb[2] <= 2, "red -> %d %d %d", rgb[0], rgb[1], rgb[2]);
}

static void test_layout(void)
{
    /* 5 pixels wide (odd), 6 rows, strides with padding; convert rows [2, 5) only. */
    enum { W = 5, H = 6, SS = 16, DS = 20 };
    uint8_t src[SS * H + 64], dst[DS * H];
    for (int i = 0; i < (int)sizeof(src); i++) src[i] = (uint8_t)(i * 37 + 11);
    memset(dst, 0xAB, sizeof(dst));
    sc_yuyv_params p = { .range = SC_YUV_LIMITED };
    sc_u8_yuyv2rgb__ref(src, SS, dst, DS, W, 2, 5, &p);
    int untouched = 1, ok = 1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < DS; x++) {
            int in_range = y >= 2 && y < 5 && x < 3 * W;
            if (!in_range && dst[y * DS + x] != 0xAB) untouched = 0;
            if (in_range && x % 3 == 0) {
                int px = x / 3;
                const uint8_t *s = src + y * SS + (px / 2) * 4;
                uint8_t one[6];
                convert_one(s[(px & 1) * 2], s[(px & 1) * 2], s[1], s[3], SC_YUV_LIMITED, one);
                if (memcmp(one, dst + y * DS + x, 3) != 0) ok = 0;
            }
        }
    CHECK(untouched);   /* no write outside the rows, nor past 3·width, nor into padding */
    CHECK(ok);          /* pixel x uses Y of its own position and the pair's U, V */
}

static void test_fused(void)
{
    /* camera sizes, then odd ones: odd widths (the last pair's Y1 is padding), 1-pixel sides,
     * enlarging, one axis unchanged, either axis alone */
    static const int sizes[][4] = { { 640, 480, 300, 300 }, { 1280, 720, 300, 300 }, { 320, 240, 320, 240 },
                                    { 642, 362, 224, 224 }, { 333, 77, 211, 123 }, { 7, 5, 1, 1 },
                                    { 1, 37, 9, 4 }, { 13, 11, 29, 29 }, { 301, 299, 300, 300 },
                                    { 640, 481, 640, 300 }, { 641, 480, 300, 480 }, { 2, 2, 300, 300 },
                                    { 1001, 3, 7, 3 } };
    for (size_t t = 0; t < SC_ARRAY_LEN(sizes); t++) {
        int sw = sizes[t][0], sh = sizes[t][1], dw = sizes[t][2], dh = sizes[t][3];
        size_t stride = (size_t)sw * 2 + 32;
        uint8_t *yuyv = malloc(stride * (size_t)sh + 64);
        /* a smooth picture with some texture */
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x += 2) {
                uint8_t *p = yuyv + (size_t)y * stride + (size_t)x * 2;
                p[0] = (uint8_t)(16 + (x * 219) / sw);
                p[1] = (uint8_t)(16 + (y * 224) / sh);
                p[2] = (uint8_t)((16 + ((x + 1) * 219) / sw) ^ (y & 7));
                p[3] = (uint8_t)(240 - (x * 224) / sw);
            }
        uint32_t seed = 99u + (uint32_t)t;   /* and some rows of noise (all 0..255: clamping too) */
        for (int y = 2; y < sh; y += 5)
            for (int x = 0; x < sw * 2; x++) {
                seed = seed * 1664525u + 1013904223u;
                yuyv[(size_t)y * stride + x] = (uint8_t)(seed >> 24);
            }
        sc_image rgb, want, got;
        sc_resizer *rs = NULL;
        sc_yuyv_resizer *yr = NULL;
        CHECK(sc_image_init(&rgb, sw, sh, 3) == SC_OK);
        CHECK(sc_image_init(&want, dw, dh, 3) == SC_OK);
        CHECK(sc_image_init(&got, dw, dh, 3) == SC_OK);
        sc_yuyv_to_rgb(yuyv, stride, sw, sh, SC_YUV_LIMITED, &rgb);
        if (sw == dw && sh == dh) {
            for (int y = 0; y < sh; y++)
                memcpy(want.data + y * want.stride_bytes, rgb.data + y * rgb.stride_bytes, (size_t)sw * 3);
        } else {
            CHECK(sc_resizer_create(sw, sh, dw, dh, 3, &rs) == SC_OK);
            sc_resizer_run(rs, &rgb, &want);
        }
        CHECK(sc_yuyv_resizer_create(sw, sh, dw, dh, SC_YUV_LIMITED, &yr) == SC_OK);
        sc_yuyv_resizer_run(yr, yuyv, stride, &got);
        /* no full-size RGB frame behind it: a band of 8 RGB rows + the dst_w-wide intermediate */
        size_t scratch = sc_yuyv_resizer_scratch_bytes(yr);
        CHECKF(scratch == (size_t)sw * 3 * (size_t)SC_MIN(sh, 8) + (size_t)dw * sh * 3, "%dx%d -> %dx%d: %zu scratch bytes",
               sw, sh, dw, dh, scratch);
        if (sw * sh >= 640 * 480 && dw * 2 <= sw) CHECK(scratch * 2 < (size_t)sw * sh * 3);
        int same = 1;
        for (int y = 0; y < dh; y++)
            if (memcmp(want.data + y * want.stride_bytes, got.data + y * got.stride_bytes, (size_t)dw * 3)) same = 0;
        CHECKF(same, "fused %dx%d -> %dx%d differs from convert + resize", sw, sh, dw, dh);
        sc_yuyv_resizer_destroy(yr);
        sc_resizer_destroy(rs);
        sc_image_fini(&rgb);
        sc_image_fini(&want);
        sc_image_fini(&got);
        free(yuyv);
    }
    sc_yuyv_resizer *yr = NULL;
    CHECK(sc_yuyv_resizer_create(0, 480, 300, 300, SC_YUV_LIMITED, &yr) == SC_E_INVAL && yr == NULL);
    sc_yuyv_resizer_destroy(NULL);
}

/* RGB → YUYV with the encoder formula the v4l2lab cameras use (BT.601 limited, chroma averaged
 * over the pair), then back: smooth pictures survive within a few levels. */
static void test_round_trip(void)
{
    enum { W = 64, H = 48 };
    uint8_t rgb[W * H * 3], yuyv[W * H * 2 + 64], back[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = rgb + (y * W + x) * 3;
            p[0] = (uint8_t)(x * 4);
            p[1] = (uint8_t)(y * 5);
            p[2] = (uint8_t)(128 + 100 * sin((x + y) / 9.0));
        }
    for (int i = 0; i < W * H; i += 2) {
        int Y[2], U = 0, V = 0;
        for (int k = 0; k < 2; k++) {
            int r = rgb[3 * (i + k)], g = rgb[3 * (i + k) + 1], b = rgb[3 * (i + k) + 2];
            Y[k] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
            U += ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
            V += ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
        }
        yuyv[2 * i] = (uint8_t)Y[0]; yuyv[2 * i + 1] = (uint8_t)(U / 2);
        yuyv[2 * i + 2] = (uint8_t)Y[1]; yuyv[2 * i + 3] = (uint8_t)(V / 2);
    }
    sc_yuyv_params p = { .range = SC_YUV_LIMITED };
    sc_u8_yuyv2rgb__ref(yuyv, W * 2, back, W * 3, W, 0, H, &p);
    double sum = 0;
    int max = 0;
    for (int i = 0; i < W * H * 3; i++) {
        int d = abs(back[i] - rgb[i]);
        sum += d;
        if (d > max) max = d;
    }
    CHECKF(sum / (W * H * 3) < 2.0, "round trip mean error %.3f", sum / (W * H * 3));
    CHECKF(max <= 12, "round trip max error %d", max);
}

int main(void)
{
    test_exactness();
    test_layout();
    test_fused();
    test_round_trip();
    return sc_test_finish();
}
