/* core/draw.h — pixel drawing into an 8-bit sc_image: box outlines, filled boxes and 8×8
 * bitmap text, for detection overlays and saved result pictures.
 *
 * Coordinates are pixels with (0,0) at the top-left. A rectangle is given by two corners,
 * x0,y0 inclusive and x1,y1 exclusive, so its size is (x1-x0)×(y1-y0); an empty or inverted
 * one draws nothing. Everything is clipped to the image: any int coordinates are safe, and
 * nothing outside [0,width)×[0,height) is ever written.
 *
 * Colours are RGB. On 3- and 4-channel images the first three channels get R,G,B (a fourth
 * channel is set to 255); on 1-channel images the luma (299R+587G+114B)/1000 is written.
 * No function allocates or keeps pointers; all are thread-compatible (one image, one
 * writer). */
#ifndef SC_CORE_DRAW_H
#define SC_CORE_DRAW_H

#include <stdint.h>

#include "core/image.h"

typedef struct sc_rgb {
    uint8_t r, g, b;
} sc_rgb;

/* Glyph cell of the built-in font, before scaling. */
#define SC_FONT_W 8
#define SC_FONT_H 8
/* Text scale is clamped to [1, SC_DRAW_MAX_SCALE]. */
#define SC_DRAW_MAX_SCALE 64

/* The 8 rows (top first) of the glyph for `ch`; in each row bit 0 is the leftmost pixel.
 * Printable ASCII 32..126 has its own glyph; any other value gets the glyph of '?'. */
const uint8_t *sc_font8x8_glyph(int ch);

/* Fills [x0,x1)×[y0,y1). */
void sc_draw_fill_rect(sc_image *img, int x0, int y0, int x1, int y1, sc_rgb color);

/* The outline of [x0,x1)×[y0,y1), `thickness` pixels wide, drawn inward (a thickness of
 * half the size or more fills the rectangle). thickness < 1 is taken as 1. */
void sc_draw_rect(sc_image *img, int x0, int y0, int x1, int y1, int thickness, sc_rgb color);

/* Width in pixels of `text` at `scale`: strlen × 8 × scale (saturating at INT32_MAX). */
int sc_draw_text_width(const char *text, int scale);

/* Draws `text` with its top-left corner at (x, y), each glyph pixel as a scale×scale block,
 * glyph cells 8×scale apart; background pixels are left untouched. One line: '\n' and other
 * non-printable bytes show as '?'. Returns sc_draw_text_width(text, scale). */
int sc_draw_text(sc_image *img, int x, int y, const char *text, int scale, sc_rgb color);

/* A fixed, distinct colour per class id (a palette of 20, repeating); negative ids are grey. */
sc_rgb sc_draw_class_color(int class_id);

/* Black for light backgrounds, white for dark ones (by luma, threshold 128). */
sc_rgb sc_draw_contrast_color(sc_rgb background);

/* A detection: the box outline in the class colour, and a label tag — "label 0.87" (or just
 * "label" when score < 0) on a filled class-colour background with contrasting text. The
 * tag sits on the box's top edge, above the box when there is room and inside it otherwise,
 * and is moved left to stay inside the image when the box touches the right edge. A NULL
 * label draws the box only. The text is cut at 63 bytes. */
void sc_draw_detection(sc_image *img, int x0, int y0, int x1, int y1, int class_id,
                       const char *label, float score, int thickness, int text_scale);

#endif
