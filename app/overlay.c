/* app/overlay.c — the SDL2 window (app/overlay.h). The only file of ssdcam that includes SDL.
 *
 * Why SDL primitives and not core/draw.c: the frame is scaled by the GPU into a window whose
 * size has nothing to do with the camera's, and boxes, labels and HUD must stay sharp at the
 * window's own resolution. Composing a window-sized RGB image on the CPU would cost a CPU
 * resize and a full-window upload per frame (too much on a Pi). So the frame goes up once
 * into a streaming texture, and boxes and text are filled rectangles drawn at output
 * resolution. The font, class colours, contrast rule and tag placement are core/draw.h's,
 * so a snapshot looks like `ssdcam detect --draw` output. */
#define SDL_MAIN_HANDLED
#include "app/overlay.h"

#include <SDL.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/sysmon.h"
#include "core/draw.h"
#include "core/log.h"

/* Glyph-run rectangles per SDL_RenderFillRects call. SDL converts the array into scratch
 * arrays that live on the stack below 128 bytes and are malloc'd above (SDL_small_alloc):
 * 16 bytes per rect as SDL_FRect, and 32 bytes of vertices per rect on the renderers that
 * draw rectangles as triangles (OpenGL, GLES2). Batches of 3 keep drawing allocation-free
 * on all of them. */
#define RECT_BATCH 3
#define HUD_LINES 9
#define HUD_LINE_MAX 160

static const char k_help[] = "q quit  space pause  +/- rho  s snapshot  f fullscreen  h HUD";

struct sc_overlay {
    SDL_Window *win;          /* NULL offscreen */
    SDL_Surface *surface;     /* offscreen target, else NULL */
    SDL_Renderer *ren;
    SDL_Texture *tex;         /* the frame, streaming, in tex_format */
    int tex_w, tex_h;
    Uint32 tex_format;        /* a 32-bit format the renderer takes natively, or RGB24 */
    Uint32 sdl_flags;         /* subsystems we initialised */
    int offscreen, fullscreen, hud, ui_scale_cfg;
    char renderer_name[32];

    int out_w, out_h;         /* output size at the last render */
    SDL_Rect frame_rect;      /* where the frame went at the last render */
    int have_frame;

    int n_dets;               /* the last scene, copied */
    sc_det dets[SC_OVERLAY_MAX_DETS];
    char labels[SC_OVERLAY_MAX_DETS][SC_OVERLAY_LABEL_MAX];
    int have_info;
    sc_overlay_frame_info info;
    char source[64];

    /* Layout of the last render: the HUD (zero rects when hidden) and each tag. */
    SDL_Rect hud_rect, help_rect;
    int hud_n, hud_state_x, hud_u, help_u;
    char hud_lines[HUD_LINES][HUD_LINE_MAX];
    sc_rgb hud_colors[HUD_LINES];
    SDL_Rect tag_rect[SC_OVERLAY_MAX_DETS];
    unsigned char tag_on_top[SC_OVERLAY_MAX_DETS];

    sc_image snap;            /* snapshot read-back, output-sized */
    int n_rects;              /* text batch */
    SDL_Rect rects[RECT_BATCH];
};

void sc_overlay_cfg_default(sc_overlay_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->width = 1280;
    cfg->height = 720;
    cfg->show_hud = 1;
    cfg->vsync = 1;
}

/* ---- drawing primitives (output pixels) ---- */

static void set_color(sc_overlay *ov, sc_rgb c, Uint8 alpha)
{
    SDL_SetRenderDrawBlendMode(ov->ren, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(ov->ren, c.r, c.g, c.b, alpha);
}

static void fill(sc_overlay *ov, int x0, int y0, int x1, int y1)
{
    SDL_Rect r;
    if (x1 <= x0 || y1 <= y0) return;
    r.x = x0;
    r.y = y0;
    r.w = x1 - x0;
    r.h = y1 - y0;
    SDL_RenderFillRect(ov->ren, &r);
}

/* The outline of [x0,x1)×[y0,y1), t pixels inward — sc_draw_rect's rule. */
static void outline(sc_overlay *ov, int x0, int y0, int x1, int y1, int t)
{
    if (x0 >= x1 || y0 >= y1) return;
    if (2 * t >= x1 - x0 || 2 * t >= y1 - y0) {
        fill(ov, x0, y0, x1, y1);
        return;
    }
    fill(ov, x0, y0, x1, y0 + t);
    fill(ov, x0, y1 - t, x1, y1);
    fill(ov, x0, y0 + t, x0 + t, y1 - t);
    fill(ov, x1 - t, y0 + t, x1, y1 - t);
}

static void flush_rects(sc_overlay *ov)
{
    if (ov->n_rects) SDL_RenderFillRects(ov->ren, ov->rects, ov->n_rects);
    ov->n_rects = 0;
}

/* sc_draw_text at output resolution in the current draw colour: each run of set bits in a
 * glyph row is one rectangle. Returns the width drawn. */
static int text(sc_overlay *ov, int x, int y, const char *s, int scale)
{
    int gx = x;
    for (const char *t = s; *t; t++, gx += SC_FONT_W * scale) {
        const uint8_t *rows = sc_font8x8_glyph((unsigned char)*t);
        if (gx >= ov->out_w) break;
        for (int r = 0; r < SC_FONT_H; r++) {
            int b = 0;
            while (b < SC_FONT_W) {
                int e;
                if (!(rows[r] >> b & 1)) { b++; continue; }
                for (e = b; e < SC_FONT_W && (rows[r] >> e & 1); e++) {}
                if (ov->n_rects == RECT_BATCH) flush_rects(ov);
                ov->rects[ov->n_rects].x = gx + b * scale;
                ov->rects[ov->n_rects].y = y + r * scale;
                ov->rects[ov->n_rects].w = (e - b) * scale;
                ov->rects[ov->n_rects].h = scale;
                ov->n_rects++;
                b = e;
            }
        }
    }
    flush_rects(ov);
    return sc_draw_text_width(s, scale);
}

static int ui_scale(const sc_overlay *ov)
{
    int u = ov->ui_scale_cfg > 0 ? ov->ui_scale_cfg : (ov->out_h + 200) / 400;
    return SC_MIN(SC_MAX(u, 1), 16);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* floor(v·n) clamped to [0, n]; NaN goes to 0. */
static int scale_coord(float v, int n)
{
    double p = floor((double)v * n);
    if (!(p > 0)) return 0;
    return p >= n ? n : (int)p;
}

/* ---- the scene ---- */

static void compute_frame_rect(sc_overlay *ov)
{
    SDL_Rect *fr = &ov->frame_rect;
    memset(fr, 0, sizeof(*fr));
    if (!ov->have_frame || ov->out_w < 1 || ov->out_h < 1) return;
    {
        const double s = fmin((double)ov->out_w / ov->tex_w, (double)ov->out_h / ov->tex_h);
        fr->w = clampi((int)lround(ov->tex_w * s), 1, ov->out_w);
        fr->h = clampi((int)lround(ov->tex_h * s), 1, ov->out_h);
        fr->x = (ov->out_w - fr->w) / 2;
        fr->y = (ov->out_h - fr->h) / 2;
    }
}

static int overlaps(const SDL_Rect *a, int x, int y, int w, int h)
{
    return a->w > 0 && a->h > 0 && x < a->x + a->w && a->x < x + w && y < a->y + a->h && a->y < y + h;
}

/* Where the tag of box [x0,x1)×[y0,y1) goes (overlay.h, Geometry): the first candidate place
 * clear of the HUD panel and the help line, else place (1) drawn on top of the HUD. */
static void place_tag(sc_overlay *ov, int x0, int y0, int x1, int y1, int tw, int th, int i)
{
    const SDL_Rect *fr = &ov->frame_rect;
    const int fx1 = fr->x + fr->w, fy1 = fr->y + fr->h;
    int xs[2], n_x = 1;
    const int ys[4] = { y0 - th, y0, y1, y1 - th };

    xs[0] = x0;
    if (xs[0] + tw > fx1) xs[0] = fx1 - tw;   /* keep it on the frame */
    if (xs[0] < fr->x) xs[0] = fr->x;
    if (ov->hud_rect.w > 0) {
        const int xr = ov->hud_rect.x + ov->hud_rect.w;
        if (xr > xs[0] && xr < x1 && xr + tw <= fx1) xs[n_x++] = xr;
    }
    ov->tag_on_top[i] = 0;
    for (int k = 0; k < 4 * n_x; k++) {
        const int tx = xs[k / 4];
        int ty = ys[k % 4];
        if (k % 4 == 0 && ty < fr->y) ty = y0;   /* no room above: inside */
        if (ty > fy1 - th) ty = fy1 - th;
        if (ty < fr->y) ty = fr->y;
        if (k == 0) {   /* place (1), the fallback */
            ov->tag_rect[i].x = tx;
            ov->tag_rect[i].y = ty;
            ov->tag_rect[i].w = tw;
            ov->tag_rect[i].h = th;
        }
        if (!overlaps(&ov->hud_rect, tx, ty, tw, th) && !overlaps(&ov->help_rect, tx, ty, tw, th)) {
            ov->tag_rect[i].x = tx;
            ov->tag_rect[i].y = ty;
            return;
        }
    }
    ov->tag_on_top[i] = 1;
}

static void draw_tag(sc_overlay *ov, int i, int u)
{
    const sc_det *d = &ov->dets[i];
    const sc_rgb bg = sc_draw_class_color(d->class_id);
    const SDL_Rect *r = &ov->tag_rect[i];
    char buf[SC_OVERLAY_LABEL_MAX + 16];
    snprintf(buf, sizeof(buf), "%s %.2f", ov->labels[i], (double)d->score);
    set_color(ov, bg, 255);
    fill(ov, r->x, r->y, r->x + r->w, r->y + r->h);
    set_color(ov, sc_draw_contrast_color(bg), 255);
    text(ov, r->x + u, r->y + u, buf, u);
}

/* pass 0: outlines and the tags placed clear of the HUD; pass 1 (after the HUD): the tags
 * that found no free place. */
static void draw_detections(sc_overlay *ov, int u, int pass)
{
    const SDL_Rect *fr = &ov->frame_rect;
    const int t = SC_MAX(2, u), pad = u;
    char buf[SC_OVERLAY_LABEL_MAX + 16];

    SDL_RenderSetClipRect(ov->ren, fr);
    for (int i = ov->n_dets - 1; i >= 0; i--) {   /* the best one last, on top */
        const sc_det *d = &ov->dets[i];
        const int x0 = fr->x + scale_coord(d->xmin, fr->w), x1 = fr->x + scale_coord(d->xmax, fr->w);
        const int y0 = fr->y + scale_coord(d->ymin, fr->h), y1 = fr->y + scale_coord(d->ymax, fr->h);

        if (pass == 1) {
            if (ov->tag_rect[i].w > 0 && ov->tag_on_top[i]) draw_tag(ov, i, u);
            continue;
        }
        memset(&ov->tag_rect[i], 0, sizeof(ov->tag_rect[i]));
        ov->tag_on_top[i] = 0;
        if (x0 >= x1 || y0 >= y1) continue;
        set_color(ov, sc_draw_class_color(d->class_id), 255);
        outline(ov, x0, y0, x1, y1, t);
        snprintf(buf, sizeof(buf), "%s %.2f", ov->labels[i], (double)d->score);
        place_tag(ov, x0, y0, x1, y1, sc_draw_text_width(buf, u) + 2 * pad, SC_FONT_H * u + 2 * pad, i);
        if (!ov->tag_on_top[i]) draw_tag(ov, i, u);
    }
    SDL_RenderSetClipRect(ov->ren, NULL);
}

static const char *state_name(sc_overlay_cam_state s)
{
    switch (s) {
    case SC_OVERLAY_CAM_STREAMING: return "streaming";
    case SC_OVERLAY_CAM_NO_SIGNAL: return "no signal";
    case SC_OVERLAY_CAM_RECONNECTING: return "reconnecting";
    }
    return "?";
}

static sc_rgb state_color(sc_overlay_cam_state s)
{
    static const sc_rgb green = { 80, 230, 80 }, red = { 255, 70, 70 }, yellow = { 255, 210, 40 };
    return s == SC_OVERLAY_CAM_STREAMING ? green : s == SC_OVERLAY_CAM_NO_SIGNAL ? red : yellow;
}

/* "%.Nf" of v, or "--" when v is negative or not a number. */
static const char *num(char *buf, size_t n, double v, int decimals)
{
    if (!(v >= 0)) snprintf(buf, n, "--");
    else snprintf(buf, n, "%.*f", decimals, v);
    return buf;
}

static void draw_banner(sc_overlay *ov, int u)
{
    static const sc_rgb black = { 0, 0, 0 };
    const sc_overlay_cam_state st = ov->info.cam_state;
    const char *msg = st == SC_OVERLAY_CAM_NO_SIGNAL ? "NO SIGNAL" : "RECONNECTING";
    SDL_Rect area = ov->frame_rect;
    int s = 3 * u, w, h, x, y;

    if (area.w == 0) {
        area.x = area.y = 0;
        area.w = ov->out_w;
        area.h = ov->out_h;
    }
    while (s > 1 && sc_draw_text_width(msg, s) + 4 * s > area.w) s--;
    w = sc_draw_text_width(msg, s);
    h = SC_FONT_H * s;
    x = area.x + (area.w - w) / 2;
    y = area.y + (area.h - h) / 2;
    set_color(ov, black, 180);
    fill(ov, x - 2 * s, y - 2 * s, x + w + 2 * s, y + h + 2 * s);
    set_color(ov, state_color(st), 255);
    text(ov, x, y, msg, s);
}

/* Computes the HUD's lines, colours and rectangles (zero when hidden) for this render. */
static void layout_hud(sc_overlay *ov, int u)
{
    static const sc_rgb white = { 255, 255, 255 }, yellow = { 255, 210, 40 }, red = { 255, 70, 70 };
    const sc_overlay_frame_info *in = &ov->info;
    char a[24], b[24], c[24], d[24], e[24];
    int n = 0, w = 0, hu = u, widest = 0;

    memset(&ov->hud_rect, 0, sizeof(ov->hud_rect));
    memset(&ov->help_rect, 0, sizeof(ov->help_rect));
    ov->hud_n = 0;
    if (!ov->hud) return;
    ov->hud_state_x = 0;
    for (int i = 0; i < HUD_LINES; i++) ov->hud_colors[i] = white;
#define LINE(...) snprintf(ov->hud_lines[n++], HUD_LINE_MAX, __VA_ARGS__)
    if (ov->have_info) {
        LINE("%s  ", ov->source[0] ? ov->source : "camera");
        LINE("camera   %s fps  frame #%llu  boxes #%llu", num(a, sizeof(a), in->camera_fps, 1),
             (unsigned long long)in->frame_id, (unsigned long long)in->result_frame_id);
        LINE("detector %s fps  inference %s ms", num(a, sizeof(a), in->detector_fps, 1),
             num(b, sizeof(b), in->inference_ms, 1));
        if (in->input_size > 0) {
            if (in->n_threads > 0)
                LINE("input    %dx%d  rho %.3f  %d thread%s", in->input_size, in->input_size, (double)in->rho,
                     in->n_threads, in->n_threads == 1 ? "" : "s");
            else
                LINE("input    %dx%d  rho %.3f", in->input_size, in->input_size, (double)in->rho);
        }
        if (in->has_stages)
            LINE("stage ms decode %s resize %s net %s post %s", num(a, sizeof(a), in->decode_ms, 1),
                 num(b, sizeof(b), in->resize_ms, 1), num(c, sizeof(c), in->network_ms, 1),
                 num(d, sizeof(d), in->post_ms, 1));
        if (in->has_stages)
            LINE("age ms   result %s  screen %s  display %s", num(a, sizeof(a), in->result_age_ms, 0),
                 num(b, sizeof(b), in->screen_age_ms, 0), num(e, sizeof(e), in->display_ms, 1));
        else
            LINE("age      result %s ms  screen %s ms", num(b, sizeof(b), in->result_age_ms, 0),
                 num(c, sizeof(c), in->screen_age_ms, 0));
        LINE("drops    camera %llu  detector %llu", (unsigned long long)in->drops_camera,
             (unsigned long long)in->drops_detector);
        if (in->has_cpu_temp || in->has_throttled) {
            char flags[96] = "";
            if (in->has_throttled) {
                sc_sysmon_throttled_str(in->throttled, flags, sizeof(flags));
                if (in->throttled & SC_THROTTLE_NOW_MASK) ov->hud_colors[n] = red;
                else if (in->throttled) ov->hud_colors[n] = yellow;
            }
            if (in->has_cpu_temp) snprintf(a, sizeof(a), "%.1f C", in->cpu_temp_c);
            else snprintf(a, sizeof(a), "-- C");
            LINE("cpu      %s%s%s", a, flags[0] ? "  " : "", flags);
        }
        if (in->paused) {
            ov->hud_colors[n] = yellow;
            LINE("PAUSED");
        }
    } else {
        LINE("ssdcam");
    }
#undef LINE
    ov->hud_n = n;
    /* The panel takes at most half the output's width: a smaller text scale when needed. */
    for (int i = 0; i < n; i++) widest = SC_MAX(widest, sc_draw_text_width(ov->hud_lines[i], 1));
    if (ov->have_info)
        widest = SC_MAX(widest, sc_draw_text_width(ov->hud_lines[0], 1) + sc_draw_text_width(state_name(in->cam_state), 1));
    while (hu > 1 && hu * (widest + 4 + 4) > ov->out_w / 2) hu--;
    ov->hud_u = hu;
    {
        const int pad = 2 * hu, lh = (SC_FONT_H + 3) * hu, m = 4 * hu;
        if (ov->have_info) ov->hud_state_x = sc_draw_text_width(ov->hud_lines[0], hu);   /* state word in colour */
        for (int i = 0; i < n; i++) w = SC_MAX(w, sc_draw_text_width(ov->hud_lines[i], hu));
        if (ov->have_info) w = SC_MAX(w, ov->hud_state_x + sc_draw_text_width(state_name(in->cam_state), hu));
        ov->hud_rect.x = m;
        ov->hud_rect.y = m;
        ov->hud_rect.w = w + 2 * pad;
        ov->hud_rect.h = n * lh - 3 * hu + 2 * pad;
    }

    /* Key help, bottom left, a size smaller when it would not fit. */
    {
        const int m = 4 * u;
        hu = u;
        while (hu > 1 && sc_draw_text_width(k_help, hu) + 2 * (m + hu) > ov->out_w) hu--;
        ov->help_u = hu;
        ov->help_rect.x = m;
        ov->help_rect.y = ov->out_h - m - SC_FONT_H * hu - 2 * hu;
        ov->help_rect.w = sc_draw_text_width(k_help, hu) + 2 * hu;
        ov->help_rect.h = SC_FONT_H * hu + 2 * hu;
    }
}

static void draw_hud(sc_overlay *ov)
{
    static const sc_rgb black = { 0, 0, 0 }, white = { 255, 255, 255 };
    const int u = ov->hud_u, pad = 2 * u, lh = (SC_FONT_H + 3) * u;
    const SDL_Rect *r = &ov->hud_rect, *hr = &ov->help_rect;

    if (!ov->hud_n) return;
    set_color(ov, black, 160);
    fill(ov, r->x, r->y, r->x + r->w, r->y + r->h);
    for (int i = 0; i < ov->hud_n; i++) {
        set_color(ov, ov->hud_colors[i], 255);
        text(ov, r->x + pad, r->y + pad + i * lh, ov->hud_lines[i], u);
    }
    if (ov->have_info) {
        set_color(ov, state_color(ov->info.cam_state), 255);
        text(ov, r->x + pad + ov->hud_state_x, r->y + pad, state_name(ov->info.cam_state), u);
    }
    set_color(ov, black, 160);
    fill(ov, hr->x, hr->y, hr->x + hr->w, hr->y + hr->h);
    set_color(ov, white, 255);
    text(ov, hr->x + ov->help_u, hr->y + ov->help_u, k_help, ov->help_u);
}

static void render_scene(sc_overlay *ov)
{
    static const sc_rgb black = { 0, 0, 0 };
    int w, h, u;

    if (SDL_GetRendererOutputSize(ov->ren, &w, &h) == 0) {
        ov->out_w = w;
        ov->out_h = h;
    }
    compute_frame_rect(ov);
    u = ui_scale(ov);
    set_color(ov, black, 255);
    SDL_RenderClear(ov->ren);
    layout_hud(ov, u);   /* first: tags are placed clear of it */
    if (ov->have_frame) {   /* boxes are relative to the frame: none without one */
        SDL_RenderCopy(ov->ren, ov->tex, NULL, &ov->frame_rect);
        draw_detections(ov, u, 0);
    } else {
        memset(ov->tag_rect, 0, sizeof(ov->tag_rect));
    }
    if (ov->have_info && ov->info.cam_state != SC_OVERLAY_CAM_STREAMING) draw_banner(ov, u);
    draw_hud(ov);
    if (ov->have_frame && ov->hud) draw_detections(ov, u, 1);   /* tags with no free place */
}

static void redraw(sc_overlay *ov)
{
    render_scene(ov);
    SDL_RenderPresent(ov->ren);
}

/* ---- open / close ---- */

sc_status sc_overlay_open(const sc_overlay_cfg *cfg, sc_overlay **out)
{
    sc_overlay *ov;
    SDL_RendererInfo ri;
    int w, h;

    *out = NULL;
    if (!cfg || cfg->ui_scale < 0) return SC_E_INVAL;
    w = cfg->width > 0 ? cfg->width : 1280;
    h = cfg->height > 0 ? cfg->height : 720;
    ov = calloc(1, sizeof(*ov));
    if (!ov) return SC_E_NOMEM;
    ov->offscreen = !!cfg->offscreen;
    ov->hud = !!cfg->show_hud;
    ov->ui_scale_cfg = cfg->ui_scale;

    /* Our SIGINT/SIGTERM handlers stay in charge (app/main.c shuts the pipeline down). */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    ov->sdl_flags = ov->offscreen ? SDL_INIT_EVENTS : SDL_INIT_VIDEO;
    if (SDL_InitSubSystem(ov->sdl_flags) != 0) {
        sc_log_error("display: SDL: %s", SDL_GetError());
        ov->sdl_flags = 0;
        goto fail;
    }

    if (ov->offscreen) {
        ov->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGB888);
        if (!ov->surface) {
            sc_log_error("display: offscreen surface %dx%d: %s", w, h, SDL_GetError());
            goto fail;
        }
        ov->ren = SDL_CreateSoftwareRenderer(ov->surface);
    } else {
        Uint32 wflags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
        if (cfg->fullscreen) wflags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        ov->win = SDL_CreateWindow(cfg->title ? cfg->title : "ssdcam", SDL_WINDOWPOS_UNDEFINED,
                                   SDL_WINDOWPOS_UNDEFINED, w, h, wflags);
        if (!ov->win) {
            sc_log_error("display: cannot open a %dx%d window: %s", w, h, SDL_GetError());
            goto fail;
        }
        ov->fullscreen = !!cfg->fullscreen;
        ov->ren = SDL_CreateRenderer(ov->win, -1, cfg->vsync ? SDL_RENDERER_PRESENTVSYNC : 0);
        if (!ov->ren) {
            sc_log_warn("display: no accelerated renderer (%s); using software", SDL_GetError());
            ov->ren = SDL_CreateRenderer(ov->win, -1, SDL_RENDERER_SOFTWARE);
        }
        SDL_StopTextInput();   /* keys only; no IME composition */
    }
    if (!ov->ren) {
        sc_log_error("display: no renderer: %s", SDL_GetError());
        goto fail;
    }
    if (SDL_GetRendererInfo(ov->ren, &ri) == 0 && ri.name)
        snprintf(ov->renderer_name, sizeof(ov->renderer_name), "%s", ri.name);
    if (SDL_GetRendererOutputSize(ov->ren, &ov->out_w, &ov->out_h) != 0) {
        ov->out_w = w;
        ov->out_h = h;
    }
    redraw(ov);   /* a black window with the HUD until the first frame */
    *out = ov;
    return SC_OK;

fail:
    sc_overlay_close(ov);
    return SC_E_DEVICE;
}

void sc_overlay_close(sc_overlay *ov)
{
    if (!ov) return;
    if (ov->tex) SDL_DestroyTexture(ov->tex);
    if (ov->ren) SDL_DestroyRenderer(ov->ren);
    if (ov->win) SDL_DestroyWindow(ov->win);
    if (ov->surface) SDL_FreeSurface(ov->surface);
    if (ov->sdl_flags) {
        SDL_QuitSubSystem(ov->sdl_flags);
        SDL_Quit();   /* we are ssdcam's only SDL user: also D-Bus, hints, and the rest */
    }
    sc_image_fini(&ov->snap);
    free(ov);
}

/* ---- per frame ---- */

/* The texture format for RGB frames: RGB24 when the renderer takes it as is, else a 32-bit
 * format it does take, filled by our own conversion. (Given RGB24, SDL would convert with
 * SDL_ConvertPixels on every upload, which allocates.) */
static Uint32 pick_texture_format(sc_overlay *ov)
{
    /* In order of preference. XRGB8888 first: it is what the software renderer draws into
     * (a window surface on X11/KMS, our offscreen surface), and a scaled software blit
     * between different formats goes through a frame-sized temporary surface. */
    static const Uint32 ours[] = { SDL_PIXELFORMAT_RGB888, SDL_PIXELFORMAT_ARGB8888,
                                   SDL_PIXELFORMAT_BGR888, SDL_PIXELFORMAT_ABGR8888 };
    SDL_RendererInfo ri;
    if (SDL_GetRendererInfo(ov->ren, &ri) != 0) return SDL_PIXELFORMAT_RGB24;
    for (Uint32 i = 0; i < ri.num_texture_formats; i++)
        if (ri.texture_formats[i] == SDL_PIXELFORMAT_RGB24) return SDL_PIXELFORMAT_RGB24;
    for (size_t k = 0; k < SC_ARRAY_LEN(ours); k++)
        for (Uint32 i = 0; i < ri.num_texture_formats; i++)
            if (ri.texture_formats[i] == ours[k]) return ours[k];
    return SDL_PIXELFORMAT_RGB24;
}

/* RGB24 rows → 32-bit pixels of an SDL packed format (native-endian words; alpha/padding
 * byte 255): ARGB8888/RGB888 are 0xAARRGGBB, ABGR8888/BGR888 are 0xAABBGGRR. */
static void convert_rows(const sc_image *f, uint8_t *dst, int pitch, Uint32 format)
{
    const int swap = format == SDL_PIXELFORMAT_ABGR8888 || format == SDL_PIXELFORMAT_BGR888;
    for (int y = 0; y < f->height; y++) {
        const uint8_t *s = f->data + (size_t)y * f->stride_bytes;
        uint32_t *d = (uint32_t *)(void *)(dst + (size_t)y * (size_t)pitch);
        if (swap) {
            for (int x = 0; x < f->width; x++, s += 3)
                d[x] = 0xFF000000u | (uint32_t)s[2] << 16 | (uint32_t)s[1] << 8 | s[0];
        } else {
            for (int x = 0; x < f->width; x++, s += 3)
                d[x] = 0xFF000000u | (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
        }
    }
}

static sc_status upload(sc_overlay *ov, const sc_image *f)
{
    if (!f->data || f->channels != 3 || f->width < 1 || f->height < 1 ||
        f->stride_bytes < (size_t)f->width * 3 || f->stride_bytes > INT32_MAX)
        return SC_E_INVAL;
    if (!ov->tex || ov->tex_w != f->width || ov->tex_h != f->height) {
        if (ov->tex) SDL_DestroyTexture(ov->tex);
        ov->have_frame = 0;
        ov->tex_format = pick_texture_format(ov);
        ov->tex = SDL_CreateTexture(ov->ren, ov->tex_format, SDL_TEXTUREACCESS_STREAMING,
                                    f->width, f->height);
        if (!ov->tex) {
            sc_log_error("display: cannot create a %dx%d texture: %s", f->width, f->height,
                         SDL_GetError());
            return SC_E_DEVICE;
        }
#if SDL_VERSION_ATLEAST(2, 0, 12)
        SDL_SetTextureScaleMode(ov->tex, SDL_ScaleModeLinear);
#endif
        ov->tex_w = f->width;
        ov->tex_h = f->height;
    }
    if (ov->tex_format == SDL_PIXELFORMAT_RGB24) {
        if (SDL_UpdateTexture(ov->tex, NULL, f->data, (int)f->stride_bytes) != 0) {
            sc_log_error("display: texture upload: %s", SDL_GetError());
            return SC_E_DEVICE;
        }
    } else {
        void *pixels;
        int pitch;
        if (SDL_LockTexture(ov->tex, NULL, &pixels, &pitch) != 0) {
            sc_log_error("display: texture upload: %s", SDL_GetError());
            return SC_E_DEVICE;
        }
        convert_rows(f, pixels, pitch, ov->tex_format);
        SDL_UnlockTexture(ov->tex);
    }
    ov->have_frame = 1;
    return SC_OK;
}

sc_status sc_overlay_show(sc_overlay *ov, const sc_image *frame,
                          const sc_overlay_frame_info *info,
                          const sc_det *dets, int n, const char *const *labels)
{
    SC_ASSERT(ov);
    if (frame) {
        sc_status st = upload(ov, frame);
        if (st != SC_OK) return st;
    }
    if (n < 0 || !dets) n = 0;
    if (n > SC_OVERLAY_MAX_DETS) n = SC_OVERLAY_MAX_DETS;
    for (int i = 0; i < n; i++) {
        ov->dets[i] = dets[i];
        if (labels && labels[i])
            snprintf(ov->labels[i], SC_OVERLAY_LABEL_MAX, "%s", labels[i]);
        else
            snprintf(ov->labels[i], SC_OVERLAY_LABEL_MAX, "class %d", dets[i].class_id);
    }
    ov->n_dets = n;
    ov->have_info = info != NULL;
    if (info) {
        ov->info = *info;
        snprintf(ov->source, sizeof(ov->source), "%s", info->source ? info->source : "");
        ov->info.source = NULL;   /* never dereferenced later; ov->source has the copy */
    }
    redraw(ov);
    return SC_OK;
}

static void toggle_fullscreen(sc_overlay *ov)
{
    if (!ov->win) return;
    if (SDL_SetWindowFullscreen(ov->win, ov->fullscreen ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP) != 0) {
        sc_log_warn("display: fullscreen: %s", SDL_GetError());
        return;
    }
    ov->fullscreen = !ov->fullscreen;
}

/* One event: its action, and *dirty set when the window must be redrawn. */
static sc_overlay_action handle_event(sc_overlay *ov, const SDL_Event *ev, int *dirty)
{
    switch (ev->type) {
    case SDL_QUIT:
        return SC_OVERLAY_QUIT;
    case SDL_WINDOWEVENT:
        switch (ev->window.event) {
        case SDL_WINDOWEVENT_CLOSE:
            return SC_OVERLAY_QUIT;
        case SDL_WINDOWEVENT_SIZE_CHANGED:
        case SDL_WINDOWEVENT_EXPOSED:
        case SDL_WINDOWEVENT_RESTORED:
            *dirty = 1;
            break;
        default:
            break;
        }
        return SC_OVERLAY_NONE;
    case SDL_RENDER_TARGETS_RESET:
    case SDL_RENDER_DEVICE_RESET:
        *dirty = 1;   /* the texture keeps its last upload on the renderers we use on Linux */
        return SC_OVERLAY_NONE;
    case SDL_KEYDOWN: {
        const int repeat = ev->key.repeat != 0;
        switch (ev->key.keysym.sym) {
        case SDLK_q:
        case SDLK_ESCAPE:
            return SC_OVERLAY_QUIT;
        case SDLK_SPACE:
            return repeat ? SC_OVERLAY_NONE : SC_OVERLAY_PAUSE;
        case SDLK_PLUS:
        case SDLK_EQUALS:       /* '+' is shift+'=' on US layouts */
        case SDLK_KP_PLUS:
            return SC_OVERLAY_RHO_UP;
        case SDLK_MINUS:
        case SDLK_KP_MINUS:
            return SC_OVERLAY_RHO_DOWN;
        case SDLK_s:
            return repeat ? SC_OVERLAY_NONE : SC_OVERLAY_SNAPSHOT;
        case SDLK_f:
            if (!repeat) {
                toggle_fullscreen(ov);
                *dirty = 1;
            }
            return SC_OVERLAY_NONE;
        case SDLK_h:
            if (!repeat) {
                ov->hud = !ov->hud;
                *dirty = 1;
            }
            return SC_OVERLAY_NONE;
        default:
            return SC_OVERLAY_NONE;
        }
    }
    default:
        return SC_OVERLAY_NONE;
    }
}

sc_overlay_action sc_overlay_poll(sc_overlay *ov, int timeout_ms)
{
    const Uint32 start = SDL_GetTicks();   /* 32-bit wrap-around is harmless in the difference */
    sc_overlay_action act = SC_OVERLAY_NONE;
    int dirty = 0;
    SDL_Event ev;

    SC_ASSERT(ov);
    for (;;) {
        while (act == SC_OVERLAY_NONE && SDL_PollEvent(&ev)) act = handle_event(ov, &ev, &dirty);
        if (act != SC_OVERLAY_NONE) break;
        if (dirty) {
            redraw(ov);
            dirty = 0;
        }
        if (timeout_ms == 0) break;
        if (timeout_ms < 0) {
            if (SDL_WaitEvent(&ev)) act = handle_event(ov, &ev, &dirty);
        } else {
            const Uint32 spent = SDL_GetTicks() - start;
            if (spent >= (Uint32)timeout_ms) break;
            if (SDL_WaitEventTimeout(&ev, (int)((Uint32)timeout_ms - spent)))
                act = handle_event(ov, &ev, &dirty);
        }
    }
    if (dirty) redraw(ov);
    return act;
}

sc_status sc_overlay_snapshot(sc_overlay *ov, const sc_image **out)
{
    SC_ASSERT(ov && out);
    *out = NULL;
    render_scene(ov);
    if (ov->snap.width != ov->out_w || ov->snap.height != ov->out_h) {
        sc_image_fini(&ov->snap);
        if (sc_image_init(&ov->snap, ov->out_w, ov->out_h, 3) != SC_OK) {
            SDL_RenderPresent(ov->ren);
            return SC_E_NOMEM;
        }
    }
    if (SDL_RenderReadPixels(ov->ren, NULL, SDL_PIXELFORMAT_RGB24, ov->snap.data,
                             (int)ov->snap.stride_bytes) != 0) {
        sc_log_error("display: reading the window back: %s", SDL_GetError());
        SDL_RenderPresent(ov->ren);
        return SC_E_DEVICE;
    }
    SDL_RenderPresent(ov->ren);
    *out = &ov->snap;
    return SC_OK;
}

void sc_overlay_output_size(const sc_overlay *ov, int *w, int *h)
{
    if (w) *w = ov->out_w;
    if (h) *h = ov->out_h;
}

void sc_overlay_frame_rect(const sc_overlay *ov, int *x, int *y, int *w, int *h)
{
    if (x) *x = ov->frame_rect.x;
    if (y) *y = ov->frame_rect.y;
    if (w) *w = ov->frame_rect.w;
    if (h) *h = ov->frame_rect.h;
}

static int get_rect(const SDL_Rect *r, int *x, int *y, int *w, int *h)
{
    if (x) *x = r->x;
    if (y) *y = r->y;
    if (w) *w = r->w;
    if (h) *h = r->h;
    return r->w > 0 && r->h > 0;
}

int sc_overlay_hud_rect(const sc_overlay *ov, int *x, int *y, int *w, int *h)
{
    return get_rect(&ov->hud_rect, x, y, w, h);
}

int sc_overlay_help_rect(const sc_overlay *ov, int *x, int *y, int *w, int *h)
{
    return get_rect(&ov->help_rect, x, y, w, h);
}

int sc_overlay_tag_rect(const sc_overlay *ov, int i, int *x, int *y, int *w, int *h)
{
    static const SDL_Rect none = { 0, 0, 0, 0 };
    return get_rect(i >= 0 && i < ov->n_dets ? &ov->tag_rect[i] : &none, x, y, w, h);
}

int sc_overlay_hud_visible(const sc_overlay *ov)
{
    return ov->hud;
}

int sc_overlay_fullscreen(const sc_overlay *ov)
{
    return ov->fullscreen;
}

const char *sc_overlay_renderer_name(const sc_overlay *ov)
{
    return ov->renderer_name[0] ? ov->renderer_name : "unknown";
}
