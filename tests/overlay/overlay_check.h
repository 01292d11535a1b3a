/* tests/overlay/overlay_check.h — what the overlay tests expect, computed here from the
 * geometry app/overlay.h documents (not from the overlay's own functions), and pixel helpers
 * on RGB sc_images. */
#ifndef SC_TESTS_OVERLAY_CHECK_H
#define SC_TESTS_OVERLAY_CHECK_H

#include <math.h>

#include "core/draw.h"
#include "core/image.h"
#include "models/ssd.h"
#include "tests/harness.h"

typedef struct ov_rect { int x0, y0, x1, y1; } ov_rect;

/* The letterbox rectangle of an fw×fh frame in a W×H output. */
static inline ov_rect ov_expect_frame(int W, int H, int fw, int fh)
{
    const double s = fmin((double)W / fw, (double)H / fh);
    const int w = (int)lround(fw * s), h = (int)lround(fh * s);
    ov_rect r = { (W - w) / 2, (H - h) / 2, 0, 0 };
    r.x1 = r.x0 + w;
    r.y1 = r.y0 + h;
    return r;
}

static inline int ov_coord(float v, int n)
{
    double p = floor((double)v * n);
    return p < 0 ? 0 : p > n ? n : (int)p;
}

/* A detection's box in output pixels. */
static inline ov_rect ov_expect_box(ov_rect fr, const sc_det *d)
{
    const int w = fr.x1 - fr.x0, h = fr.y1 - fr.y0;
    ov_rect r = { fr.x0 + ov_coord(d->xmin, w), fr.y0 + ov_coord(d->ymin, h),
                  fr.x0 + ov_coord(d->xmax, w), fr.y0 + ov_coord(d->ymax, h) };
    return r;
}

/* A detection from a box in source pixels of an fw×fh picture. */
static inline sc_det ov_det(int class_id, float score, int x0, int y0, int x1, int y1, int fw, int fh)
{
    sc_det d = { class_id, score, (float)y0 / fh, (float)x0 / fw, (float)y1 / fh, (float)x1 / fw };
    return d;
}

static inline const uint8_t *ov_px(const sc_image *img, int x, int y)
{
    return img->data + (size_t)y * img->stride_bytes + (size_t)x * 3;
}

static inline int ov_is(const sc_image *img, int x, int y, sc_rgb c)
{
    const uint8_t *p;
    if (x < 0 || y < 0 || x >= img->width || y >= img->height) return 0;
    p = ov_px(img, x, y);
    return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

/* Pixels of exactly colour c in [x0,x1)×[y0,y1) (clipped to the image). */
static inline int ov_count(const sc_image *img, int x0, int y0, int x1, int y1, sc_rgb c)
{
    int n = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < img->height; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < img->width; x++) n += ov_is(img, x, y, c);
    return n;
}

/* The box outline of b (thickness t) has colour c at the middle of all four edges, across
 * the full thickness; (dx, dy) shifts into screen coordinates. Returns the number of
 * mismatching pixels and reports the first. */
static inline int ov_check_outline(const sc_image *img, ov_rect b, int t, sc_rgb c, int dx, int dy,
                                   const char *what)
{
    const int xm = (b.x0 + b.x1) / 2, ym = (b.y0 + b.y1) / 2;
    int bad = 0;
    for (int k = 0; k < t; k++) {
        const int pts[4][2] = { { b.x0 + k, ym }, { b.x1 - 1 - k, ym },
                                { xm, b.y1 - 1 - k }, { xm, b.y0 + k } };
        for (int i = 0; i < 4; i++) {
            const int x = pts[i][0] + dx, y = pts[i][1] + dy;
            if (!ov_is(img, x, y, c)) {
                if (!bad) {
                    const uint8_t *p = x >= 0 && y >= 0 && x < img->width && y < img->height
                                       ? ov_px(img, x, y) : NULL;
                    fprintf(stderr, "  %s: edge %d pixel (%d,%d) is %d,%d,%d, expected %d,%d,%d\n",
                            what, i, x, y, p ? p[0] : -1, p ? p[1] : -1, p ? p[2] : -1, c.r, c.g, c.b);
                }
                bad++;
            }
        }
    }
    return bad;
}

#endif
