/* core/draw.c — clipped rectangles and 8×8 bitmap text on sc_image. */
#include "core/draw.h"

#include <stdio.h>
#include <string.h>

#include "core/base.h"

/* Clips [x0,x1)×[y0,y1) (given as 64-bit so callers may compute edges without overflow) to
 * the image; 0 if nothing is left. */
static int clip_rect(const sc_image *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
                     int *cx0, int *cy0, int *cx1, int *cy1)
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > img->width) x1 = img->width;
    if (y1 > img->height) y1 = img->height;
    if (x0 >= x1 || y0 >= y1) return 0;
    *cx0 = (int)x0;
    *cy0 = (int)y0;
    *cx1 = (int)x1;
    *cy1 = (int)y1;
    return 1;
}

static void fill_clipped(sc_image *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
                         sc_rgb c)
{
    int cx0, cy0, cx1, cy1;
    const int ch = img->channels;
    SC_ASSERT(img->data && ch >= 1 && ch <= 4);
    if (!clip_rect(img, x0, y0, x1, y1, &cx0, &cy0, &cx1, &cy1)) return;
    for (int y = cy0; y < cy1; y++) {
        uint8_t *p = img->data + (size_t)y * img->stride_bytes + (size_t)cx0 * ch;
        if (ch == 1) {
            memset(p, (299 * c.r + 587 * c.g + 114 * c.b) / 1000, (size_t)(cx1 - cx0));
            continue;
        }
        for (int x = cx0; x < cx1; x++, p += ch) {
            p[0] = c.r;
            p[1] = c.g;
            p[2] = c.b;
            if (ch == 4) p[3] = 255;
        }
    }
}

void sc_draw_fill_rect(sc_image *img, int x0, int y0, int x1, int y1, sc_rgb color)
{
    SC_ASSERT(img);
    fill_clipped(img, x0, y0, x1, y1, color);
}

void sc_draw_rect(sc_image *img, int x0, int y0, int x1, int y1, int thickness, sc_rgb color)
{
    int64_t t = thickness < 1 ? 1 : thickness;
    SC_ASSERT(img);
    if (x0 >= x1 || y0 >= y1) return;
    if (2 * t >= (int64_t)x1 - x0 || 2 * t >= (int64_t)y1 - y0) {
        fill_clipped(img, x0, y0, x1, y1, color);
        return;
    }
    fill_clipped(img, x0, y0, x1, y0 + t, color);            /* top */
    fill_clipped(img, x0, (int64_t)y1 - t, x1, y1, color);   /* bottom */
    fill_clipped(img, x0, y0 + t, x0 + t, (int64_t)y1 - t, color);          /* left */
    fill_clipped(img, (int64_t)x1 - t, y0 + t, x1, (int64_t)y1 - t, color); /* right */
}

static int clamp_scale(int scale)
{
    return scale < 1 ? 1 : scale > SC_DRAW_MAX_SCALE ? SC_DRAW_MAX_SCALE : scale;
}

int sc_draw_text_width(const char *text, int scale)
{
    int64_t w;
    if (!text) return 0;
    w = (int64_t)strlen(text) * SC_FONT_W * clamp_scale(scale);
    return w > INT32_MAX ? INT32_MAX : (int)w;
}

int sc_draw_text(sc_image *img, int x, int y, const char *text, int scale, sc_rgb color)
{
    const int s = clamp_scale(scale);
    int64_t gx = x;
    SC_ASSERT(img);
    if (!text) return 0;
    for (const char *t = text; *t; t++, gx += (int64_t)SC_FONT_W * s) {
        const uint8_t *rows;
        if (gx >= img->width) break;                 /* the rest is off the right edge */
        if (gx + (int64_t)SC_FONT_W * s <= 0) continue;
        rows = sc_font8x8_glyph((unsigned char)*t);
        for (int r = 0; r < SC_FONT_H; r++) {
            const int64_t py = (int64_t)y + (int64_t)r * s;
            if (!rows[r]) continue;
            for (int b = 0; b < SC_FONT_W; b++) {
                if (rows[r] >> b & 1) {
                    const int64_t px = gx + (int64_t)b * s;
                    fill_clipped(img, px, py, px + s, py + s, color);
                }
            }
        }
    }
    return sc_draw_text_width(text, s);
}

/* 20 well-separated colours (Kelly's and the Tableau 20 sets, picked by hand). */
static const sc_rgb palette[20] = {
    { 230, 25, 75 },   { 60, 180, 75 },   { 255, 225, 25 },  { 0, 130, 200 },
    { 245, 130, 48 },  { 145, 30, 180 },  { 70, 240, 240 },  { 240, 50, 230 },
    { 210, 245, 60 },  { 250, 190, 212 }, { 0, 128, 128 },   { 220, 190, 255 },
    { 170, 110, 40 },  { 255, 250, 200 }, { 128, 0, 0 },     { 170, 255, 195 },
    { 128, 128, 0 },   { 255, 215, 180 }, { 0, 0, 128 },     { 255, 255, 255 },
};

sc_rgb sc_draw_class_color(int class_id)
{
    if (class_id < 0) {
        sc_rgb grey = { 128, 128, 128 };
        return grey;
    }
    return palette[class_id % (int)SC_ARRAY_LEN(palette)];
}

sc_rgb sc_draw_contrast_color(sc_rgb bg)
{
    const int luma = (299 * bg.r + 587 * bg.g + 114 * bg.b) / 1000;
    sc_rgb black = { 0, 0, 0 }, white = { 255, 255, 255 };
    return luma >= 128 ? black : white;
}

void sc_draw_detection(sc_image *img, int x0, int y0, int x1, int y1, int class_id,
                       const char *label, float score, int thickness, int text_scale)
{
    char text[64];
    const sc_rgb bg = sc_draw_class_color(class_id);
    const int s = clamp_scale(text_scale);
    const int pad = s;                       /* one font pixel of margin around the text */
    int64_t tw, th, tx, ty;

    SC_ASSERT(img);
    if (thickness < 1) thickness = 1;
    sc_draw_rect(img, x0, y0, x1, y1, thickness, bg);
    if (!label) return;
    if (score >= 0.0f)
        snprintf(text, sizeof(text), "%s %.2f", label, (double)score);
    else
        snprintf(text, sizeof(text), "%s", label);

    tw = (int64_t)sc_draw_text_width(text, s) + 2 * pad;
    th = (int64_t)SC_FONT_H * s + 2 * pad;
    tx = x0;
    if (tx + tw > img->width) tx = (int64_t)img->width - tw;   /* keep it on screen */
    if (tx < 0) tx = 0;
    ty = (int64_t)y0 - th;                                      /* above the box ... */
    if (ty < 0) ty = y0 < 0 ? 0 : y0;                           /* ... or inside it */
    if (ty > (int64_t)img->height - th) ty = (int64_t)img->height - th;
    if (ty < 0) ty = 0;
    fill_clipped(img, tx, ty, tx + tw, ty + th, bg);
    sc_draw_text(img, (int)(tx + pad), (int)(ty + pad), text, s, sc_draw_contrast_color(bg));
}
