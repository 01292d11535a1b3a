/* app/overlay.h — the live window: the camera picture, detection boxes with labels, a HUD
 * of pipeline figures, and the keys of the desktop demo. SDL2 only.
 *
 * Availability: app/overlay.c is compiled only when meson finds SDL2 (sc_config.h has
 * SC_HAVE_SDL2 1; `-Ddisplay=disabled` turns it off). Guard every use with
 * `#if SC_HAVE_SDL2`. This header includes no SDL header, so the rest of the app builds the
 * same either way.
 *
 * Threads: SDL video belongs to the main thread (STYLE.md §6). Every function must be called
 * on the thread that called sc_overlay_open(), and that should be the main thread. One
 * overlay per process: SDL's event queue is process-wide.
 *
 * Signals: SDL is initialised with SDL_HINT_NO_SIGNAL_HANDLERS, so SIGINT/SIGTERM stay the
 * application's own (SDL would otherwise turn them into a window-close event).
 *
 * Geometry, in output pixels (the renderer's output: the window size, or more on a HiDPI
 * screen; the cfg size in offscreen mode), for an output of W×H and a frame of fw×fh:
 *   frame rectangle  s = min(W/fw, H/fh); dw = round(fw·s), dh = round(fh·s) (each at
 *                    least 1); dx = (W − dw)/2, dy = (H − dh)/2 (integer division). The
 *                    frame is scaled into it with linear filtering; the bars around it are
 *                    black (letterbox / pillarbox, the aspect ratio is kept).
 *   a detection      normalised to the frame (the caller maps letterboxed network inputs
 *                    back first): x0 = dx + clamp(floor(xmin·dw), 0, dw), x1 likewise from
 *                    xmax, y from ymin/ymax and dh; [x0,x1)×[y0,y1) as in core/draw.h. Its
 *                    outline is `thickness` pixels wide, drawn inward, in
 *                    sc_draw_class_color(class_id). Its tag "label 0.87" is filled with the
 *                    same colour, with sc_draw_contrast_color() text, placed as
 *                    sc_draw_detection() places it but kept inside the frame rectangle:
 *                    above the box when there is room, otherwise inside it, moved left at
 *                    the right edge. The best detection (first in the array) is drawn last.
 *                    With the HUD shown, a tag must not end up under the HUD panel or the
 *                    key help line: the first of these places that touches neither is used,
 *                    each kept inside the frame as above: (1) the place above, (2) inside
 *                    the box at its top edge, (3) below the box, (4) inside the box at its
 *                    bottom edge, then (5)-(8) the same four with the tag's left edge moved
 *                    right of the HUD panel (only while it still starts inside the box and
 *                    fits in the frame). When none is free, the tag keeps place (1) and is
 *                    drawn after the HUD, on top of it. Tags never hide under the HUD; box
 *                    outlines may (the panel is translucent).
 *   UI scale u       cfg.ui_scale, or when 0: max(1, (H + 200) / 400) (1 at 480 lines, 2 at
 *                    720, 3 at 1080); at most 16. Text is the 8×8 font of core/draw.h with each glyph
 *                    pixel a u×u block; thickness = max(2, u).
 *   HUD              a translucent black panel at the top-left (margin 4h) with white text
 *                    at scale h = u, or smaller (down to 1) so the panel takes at most half
 *                    the output's width,
 *                    (camera state in green/red/yellow; the CPU line red while the Pi is
 *                    throttled or under-voltage now, yellow when it was since boot), and a
 *                    key help line at the bottom left. When the camera state is not streaming, a large "NO SIGNAL" or
 *                    "RECONNECTING" banner is centred on the frame even with the HUD hidden.
 *
 * Memory: the frame texture is recreated only when the frame size changes, the snapshot
 * image only when the output size changes; showing a frame allocates nothing in ssdcam.
 * SDL's renderers keep pools of draw commands and vertices that grow to the largest scene
 * drawn so far and are then reused, so SDL allocates nothing per frame either once warm
 * (counted by the overlay tests with the software and OpenGL renderers). */
#ifndef SC_APP_OVERLAY_H
#define SC_APP_OVERLAY_H

#include <stdint.h>

#include "core/base.h"
#include "core/image.h"
#include "models/ssd.h"

/* Detections kept per frame; more are ignored (the lowest-scored ones, given sorted input). */
#define SC_OVERLAY_MAX_DETS 100
/* Label text kept per detection, in bytes with the NUL; longer labels are cut. */
#define SC_OVERLAY_LABEL_MAX 40

typedef struct sc_overlay_cfg {
    const char *title;   /* window title (copied); NULL = "ssdcam" */
    int width, height;   /* initial window size in screen units; <= 0 = 1280×720 */
    int fullscreen;      /* 1: start fullscreen (desktop resolution, no mode change) */
    int show_hud;        /* 1: HUD visible at start ('h' toggles it) */
    int vsync;           /* 1: present in step with the display refresh (may block ≤ 1 frame) */
    int ui_scale;        /* text/box scale u (see above); 0 = from the output height */
    int offscreen;       /* 1: no window: a software renderer on a width×height memory
                          * surface. Needs no display; events come from SDL's queue (tests
                          * push them). fullscreen and vsync are ignored. */
} sc_overlay_cfg;

/* title NULL, 1280×720, windowed, HUD on, vsync on, automatic UI scale, a real window. */
void sc_overlay_cfg_default(sc_overlay_cfg *cfg);

typedef enum sc_overlay_cam_state {
    SC_OVERLAY_CAM_STREAMING = 0,
    SC_OVERLAY_CAM_NO_SIGNAL,      /* no frame for a while (the device is open) */
    SC_OVERLAY_CAM_RECONNECTING    /* the device went away; trying to reopen it */
} sc_overlay_cam_state;

/* What the HUD shows; the overlay measures nothing itself. Negative times and rates are
 * "unknown" and shown as "--"; input_size 0 hides the input line. */
typedef struct sc_overlay_frame_info {
    uint64_t frame_id;          /* the frame shown */
    uint64_t result_frame_id;   /* the frame the boxes were computed on (≤ frame_id) */
    double camera_fps;          /* frames captured per second */
    double detector_fps;        /* results per second */
    double inference_ms;        /* resize + network + decode of the latest result */
    double result_age_ms;       /* capture → result of the latest result */
    double screen_age_ms;       /* capture → screen of the previous frame shown */
    /* Per-stage times in ms, shown when has_stages: the latest result's decode (frame →
     * RGB), resize, network, post-process, and the previous frame's display time (RGB,
     * upload, draw, present; negative = unknown). */
    int has_stages;
    double decode_ms, resize_ms, network_ms, post_ms, display_ms;
    /* Raspberry Pi health (app/sysmon.h), each shown only when present. */
    int has_cpu_temp;
    double cpu_temp_c;
    int has_throttled;
    uint32_t throttled;         /* `vcgencmd get_throttled` bits */
    uint64_t drops_camera;      /* frames lost before we got them (V4L2 sequence gaps) */
    uint64_t drops_detector;    /* frames the detector never saw (drop-oldest evictions) */
    int input_size;             /* network input side in pixels (300·ρ rounded) */
    float rho;                  /* resolution multiplier ρ */
    int n_threads;              /* inference threads; <= 0 = not shown */
    sc_overlay_cam_state cam_state;
    int paused;                 /* 1: "PAUSED" is shown */
    const char *source;         /* "/dev/video0", "demo", ...; NULL = "camera"; copied */
} sc_overlay_frame_info;

/* What a key or window event asks the application to do. Fullscreen ('f'), HUD ('h'),
 * resizing and exposure are handled inside the overlay and produce no action. */
typedef enum sc_overlay_action {
    SC_OVERLAY_NONE = 0,   /* nothing (timeout, or only events handled internally) */
    SC_OVERLAY_QUIT,       /* q, Esc, or the window was closed */
    SC_OVERLAY_PAUSE,      /* space: toggle pause (the app owns the paused state) */
    SC_OVERLAY_RHO_UP,     /* '+' / '=' / keypad +: larger network input */
    SC_OVERLAY_RHO_DOWN,   /* '-' / keypad −: smaller network input */
    SC_OVERLAY_SNAPSHOT    /* s: save a snapshot (see sc_overlay_snapshot) */
} sc_overlay_action;

typedef struct sc_overlay sc_overlay;

/* Initialises SDL video (or only events, offscreen), opens the window and its renderer.
 * Returns SC_E_DEVICE with a logged message when there is no display or no renderer,
 * SC_E_NOMEM, SC_E_INVAL for a bad cfg. *out is NULL on failure. */
sc_status sc_overlay_open(const sc_overlay_cfg *cfg, sc_overlay **out);
/* Destroys the window and shuts SDL down (SDL_Quit: this module is ssdcam's only SDL user).
 * NULL is a no-op. */
void sc_overlay_close(sc_overlay *ov);

/* Draws one picture and presents it. frame: 3-channel RGB (any stride), uploaded to the
 * streaming texture; NULL keeps the last frame uploaded (boxes and HUD are still replaced).
 * dets[0..n): boxes normalised to the frame, best first; labels[i] names dets[i] (NULL
 * array or entry: "class N"). info NULL draws no HUD figures. Nothing is kept pointing to the
 * arguments: detections, labels and info are copied, so a later redraw (window resize,
 * exposure, snapshot) shows the same scene. Returns once SDL_RenderPresent has returned,
 * which with vsync may wait for the display refresh, so sc_now_ns() right after is the
 * time the picture went to the screen. SC_E_INVAL for a frame that is not 3-channel or has
 * no pixels (nothing drawn), SC_E_DEVICE if the texture cannot be (re)created for a new
 * frame size (larger than the renderer's maximum, or out of video memory). */
sc_status sc_overlay_show(sc_overlay *ov, const sc_image *frame,
                          const sc_overlay_frame_info *info,
                          const sc_det *dets, int n, const char *const *labels);

/* Waits up to timeout_ms (0 = just look, < 0 = forever) for an event, handles every event
 * that is pending then, and returns the first action among them; events after that one stay
 * queued for the next call. Internally handled events (fullscreen, HUD, resize, exposure)
 * redraw the last scene and do not end the wait early unless they come with an action. */
sc_overlay_action sc_overlay_poll(sc_overlay *ov, int timeout_ms);

/* Redraws the last scene (exactly what sc_overlay_show last drew, with the HUD as it is
 * now), reads it back, and presents it. *out is the picture as RGB of the output size,
 * owned by the overlay and valid until the next sc_overlay_snapshot or sc_overlay_close;
 * save it with sc_image_save_png (app/image_io.h). Before any frame was shown it is black
 * (with the HUD). SC_E_DEVICE if the renderer cannot read pixels, SC_E_NOMEM. */
sc_status sc_overlay_snapshot(sc_overlay *ov, const sc_image **out);

/* The renderer's output size, and where the current frame lands in it (see Geometry above;
 * all zero before the first frame). Pointers may be NULL. */
void sc_overlay_output_size(const sc_overlay *ov, int *w, int *h);
void sc_overlay_frame_rect(const sc_overlay *ov, int *x, int *y, int *w, int *h);
/* Where the last render put the HUD panel (returns 0, all zero, when the HUD is hidden), the
 * key help line (likewise), and detection i's tag (0 when i has no tag: out of range, or
 * its box was empty). [x, x+w) × [y, y+h) in output pixels. Pointers may be NULL. */
int sc_overlay_hud_rect(const sc_overlay *ov, int *x, int *y, int *w, int *h);
int sc_overlay_help_rect(const sc_overlay *ov, int *x, int *y, int *w, int *h);
int sc_overlay_tag_rect(const sc_overlay *ov, int i, int *x, int *y, int *w, int *h);

int sc_overlay_hud_visible(const sc_overlay *ov);
int sc_overlay_fullscreen(const sc_overlay *ov);
/* SDL's name of the renderer in use ("opengl", "opengles2", "software", ...). */
const char *sc_overlay_renderer_name(const sc_overlay *ov);

#endif
