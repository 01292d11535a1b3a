/* tests/overlay/overlay_window.c — the real window, run under Xvfb by test_overlay_xvfb.sh.
 *
 * usage: overlay_window OUT_DIR [XVFB_SCREEN_XWD]
 *
 * Opens the overlay (1000×400, so the 500×272 photo is pillarboxed), shows the photo with
 * known boxes for about a second, then checks the picture twice: as the renderer drew it
 * (sc_overlay_snapshot → OUT_DIR/overlay_window.png) and as it reached the X screen (Xvfb's
 * -fbdir framebuffer, an XWD file → OUT_DIR/overlay_screen.png), at the window position.
 * Then resizes the window to 640×480 (now letterboxed) and checks again
 * (overlay_window_resized.png), toggles fullscreen with 'f' and back (state only: Xvfb has
 * no window manager to obey it), and quits with a pushed 'q'. */
#define SDL_MAIN_HANDLED
#include <SDL.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/image_io.h"
#include "app/overlay.h"
#include "core/log.h"
#include "tests/overlay/overlay_check.h"
#include "tests/overlay/sdl_alloc_count.h"

static const sc_rgb BLACK = { 0, 0, 0 }, WHITE = { 255, 255, 255 };


static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int mask_shift(uint32_t m)
{
    int s = 0;
    if (!m) return 0;
    while (!(m & 1)) { m >>= 1; s++; }
    return s;
}

/* Reads Xvfb's screen (an XWD file with a TrueColor 24/32-bit visual) into an RGB image. */
static int read_xwd(const char *path, sc_image *out)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[100];
    int ok = 0;
    if (!f) { perror(path); return 0; }
    if (fread(h, 1, sizeof(h), f) == sizeof(h)) {
        const uint32_t hsize = be32(h), w = be32(h + 16), hgt = be32(h + 20), order = be32(h + 28);
        const uint32_t bpp = be32(h + 44), bpl = be32(h + 48), ncolors = be32(h + 76);
        const uint32_t rm = be32(h + 56), gm = be32(h + 60), bm = be32(h + 64);
        unsigned char *row = NULL;
        if (be32(h + 4) != 7 || bpp != 32 || w < 1 || w > 8192 || hgt < 1 || hgt > 8192 || bpl < w * 4) {
            fprintf(stderr, "%s: unexpected XWD header (version %u, %u bpp, %ux%u)\n", path,
                    be32(h + 4), bpp, w, hgt);
        } else if (fseek(f, (long)hsize + (long)ncolors * 12, SEEK_SET) == 0 &&
                   (row = malloc(bpl)) && sc_image_init(out, (int)w, (int)hgt, 3) == SC_OK) {
            ok = 1;
            for (uint32_t y = 0; y < hgt && ok; y++) {
                if (fread(row, 1, bpl, f) != bpl) { ok = 0; break; }
                for (uint32_t x = 0; x < w; x++) {
                    const unsigned char *p = row + 4 * x;
                    const uint32_t v = order ? be32(p)
                                             : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
                    uint8_t *d = out->data + y * out->stride_bytes + 3 * x;
                    d[0] = (uint8_t)((v & rm) >> mask_shift(rm));
                    d[1] = (uint8_t)((v & gm) >> mask_shift(gm));
                    d[2] = (uint8_t)((v & bm) >> mask_shift(bm));
                }
            }
            if (!ok) sc_image_fini(out);
        }
        free(row);
    }
    fclose(f);
    return ok;
}

static SDL_Window *find_window(void)
{
    for (Uint32 id = 1; id < 64; id++) {
        SDL_Window *w = SDL_GetWindowFromID(id);
        if (w) return w;
    }
    return NULL;
}

static const sc_det DETS[3] = {
    { 4, 0.81f, 71 / 272.f, 12 / 500.f, 206 / 272.f, 449 / 500.f },   /* airplane */
    { 0, 0.66f, 0.f, 330 / 500.f, 60 / 272.f, 480 / 500.f },          /* person, at the top */
    { 17, 0.55f, 215 / 272.f, 440 / 500.f, 262 / 272.f, 1.f },        /* dog, at the right */
};
static const char *const NAMES[3] = { "airplane", "person", "dog" };

/* Checks boxes, tags, bars and HUD in `img`, where the output (W×H) starts at (ox, oy). */
static void check_picture(const sc_image *img, int W, int H, int ox, int oy, const char *what)
{
    const ov_rect fr = ov_expect_frame(W, H, 500, 272);
    const int u = SC_MAX(1, (H + 200) / 400), t = SC_MAX(2, u);
    int bad;

    printf("%s: output %dx%d at (%d,%d), frame rect (%d,%d)-(%d,%d), u=%d\n", what, W, H, ox, oy,
           fr.x0, fr.y0, fr.x1, fr.y1, u);
    for (int i = 0; i < 3; i++) {
        const ov_rect b = ov_expect_box(fr, &DETS[i]);
        bad = ov_check_outline(img, b, t, sc_draw_class_color(DETS[i].class_id), ox, oy, NAMES[i]);
        CHECKF(bad == 0, "%s: %s box (%d,%d)-(%d,%d): %d pixels off", what, NAMES[i], b.x0, b.y0,
               b.x1, b.y1, bad);
        printf("  %s box at (%d,%d)-(%d,%d): %s\n", NAMES[i], b.x0 + ox, b.y0 + oy, b.x1 + ox,
               b.y1 + oy, bad ? "MISMATCH" : "class colour on all four edges");
    }
    {   /* the airplane's tag above its box: mostly orange with black text */
        const ov_rect b = ov_expect_box(fr, &DETS[0]);
        const int tw = sc_draw_text_width("airplane 0.81", u) + 2 * u, th = SC_FONT_H * u + 2 * u;
        const sc_rgb c = sc_draw_class_color(4);
        const int n_bg = ov_count(img, ox + b.x0, oy + b.y0 - th, ox + b.x0 + tw, oy + b.y0, c);
        const int n_fg = ov_count(img, ox + b.x0, oy + b.y0 - th, ox + b.x0 + tw, oy + b.y0, BLACK);
        CHECKF(n_bg > tw * th / 2 && n_fg > tw * th / 10, "%s: airplane tag %d fill, %d text of %d",
               what, n_bg, n_fg, tw * th);
    }
    if (fr.x0 > 0) {   /* pillarbox: the right bar is black (the HUD is on the left) */
        CHECKF(ov_count(img, ox + fr.x1, oy, ox + W, oy + H, BLACK) == (W - fr.x1) * H,
               "%s: right bar not black", what);
    } else {           /* letterbox: the right half of the top bar is black */
        CHECKF(ov_count(img, ox + W * 3 / 4, oy, ox + W, oy + fr.y0, BLACK) == (W - W * 3 / 4) * fr.y0,
               "%s: top bar not black", what);
    }
    /* the HUD: white text at the top left */
    bad = ov_count(img, ox, oy, ox + W / 2, oy + 6 * 11 * u + 8 * u, WHITE);
    CHECKF(bad > 600 * u * u, "%s: HUD white pixels %d", what, bad);
}

static double show_ms_total;
static long show_count, show_allocs;   /* SDL allocations inside sc_overlay_show */

/* Shows the photo again and again for `ms`, frame ids counting up (or constant when
 * `advance` is 0: the same scene each time). */
static void pump_ex(sc_overlay *ov, const sc_image *photo, sc_overlay_frame_info *info, int ms,
                    int advance)
{
    const Uint32 t0 = SDL_GetTicks();
    while (SDL_GetTicks() - t0 < (Uint32)ms) {
        const Uint64 c0 = SDL_GetPerformanceCounter();
        const long a0 = n_sdl_allocs;
        info->frame_id += (uint64_t)advance;
        info->result_frame_id = info->frame_id - 1;
        CHECK(sc_overlay_show(ov, photo, info, DETS, 3, NAMES) == SC_OK);
        show_allocs += n_sdl_allocs - a0;
        show_ms_total += (double)(SDL_GetPerformanceCounter() - c0) * 1e3 / (double)SDL_GetPerformanceFrequency();
        show_count++;
        CHECK_EQ_INT(sc_overlay_poll(ov, 15), SC_OVERLAY_NONE);
    }
}

static void pump(sc_overlay *ov, const sc_image *photo, sc_overlay_frame_info *info, int ms)
{
    pump_ex(ov, photo, info, ms, 1);
}

static void save(const sc_image *img, const char *dir, const char *name)
{
    char path[1024], err[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    CHECKF(sc_image_save_png(path, img, err, sizeof(err)) == SC_OK, "%s", err);
    printf("saved %s\n", path);
}

int main(int argc, char **argv)
{
    char path[1024], err[512];
    sc_image photo = { 0 }, screen = { 0 };
    const sc_image *snap = NULL;
    sc_overlay_cfg cfg;
    sc_overlay *ov = NULL;
    sc_overlay_frame_info info;
    SDL_Window *win;
    int W, H, wx = 0, wy = 0;

    count_sdl_allocs();
    if (argc < 2) {
        fprintf(stderr, "usage: overlay_window OUT_DIR [XVFB_SCREEN_XWD]\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/testdata/images/voc_000067.jpg", sc_test_shared_dir());
    if (sc_image_load(path, &photo, err, sizeof(err)) != SC_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    sc_overlay_cfg_default(&cfg);
    cfg.title = "ssdcam overlay test";
    cfg.width = 1000;
    cfg.height = 400;
    if (sc_overlay_open(&cfg, &ov) != SC_OK) {
        CHECK(!"sc_overlay_open");
        return sc_test_finish();
    }
    win = find_window();
    CHECK(win != NULL);
    if (win) SDL_GetWindowPosition(win, &wx, &wy);
    sc_overlay_output_size(ov, &W, &H);
    printf("renderer %s, window at (%d,%d), output %dx%d\n", sc_overlay_renderer_name(ov), wx, wy, W, H);
    CHECK_EQ_INT(W, 1000);
    CHECK_EQ_INT(H, 400);

    memset(&info, 0, sizeof(info));
    info.camera_fps = 30.0;
    info.detector_fps = 11.9;
    info.inference_ms = 62.5;
    info.result_age_ms = 95;
    info.screen_age_ms = 120;
    info.drops_detector = 42;
    info.input_size = 300;
    info.rho = 1.0f;
    info.n_threads = 4;
    info.source = "voc_000067.jpg";
    pump(ov, &photo, &info, 700);
    {   /* Warm, the same scene: showing frames allocates nothing in SDL (with this
         * renderer). SDL's command and vertex pools grow to the largest scene drawn so far
         * (more HUD digits, more rectangles), so changing text may still grow them now and
         * then; event handling in poll may allocate too (X events): both only reported. */
        const long before = n_sdl_allocs, shown_before = show_allocs, n0 = show_count;
        pump_ex(ov, &photo, &info, 100, 0);
        const long warm = show_allocs;
        pump_ex(ov, &photo, &info, 300, 0);
        printf("%ld frames: %ld SDL allocations in sc_overlay_show (%ld while warming), %ld in all; "
               "sc_overlay_show %.2f ms on average\n", show_count - n0, show_allocs - warm,
               warm - shown_before, n_sdl_allocs - before, show_ms_total / show_count);
        CHECKF(show_allocs == warm, "SDL allocated %ld times in sc_overlay_show",
               show_allocs - warm);
    }

    CHECK(sc_overlay_snapshot(ov, &snap) == SC_OK && snap);
    if (snap) {
        CHECK_EQ_INT(snap->width, W);
        CHECK_EQ_INT(snap->height, H);
        save(snap, argv[1], "overlay_window.png");
        check_picture(snap, W, H, 0, 0, "snapshot");
    }

    if (argc > 2) {   /* the same on the X screen itself */
        pump(ov, &photo, &info, 300);
        if (read_xwd(argv[2], &screen)) {
            save(&screen, argv[1], "overlay_screen.png");
            check_picture(&screen, W, H, wx, wy, "X screen");
            sc_image_fini(&screen);
        } else {
            CHECK(!"reading the Xvfb screen");
        }
    }

    /* Resize: 640×480 letterboxes the photo. */
    if (win) {
        SDL_SetWindowSize(win, 640, 480);
        pump(ov, &photo, &info, 500);
        sc_overlay_output_size(ov, &W, &H);
        CHECK_EQ_INT(W, 640);
        CHECK_EQ_INT(H, 480);
        if (sc_overlay_snapshot(ov, &snap) == SC_OK) {
            save(snap, argv[1], "overlay_window_resized.png");
            check_picture(snap, W, H, 0, 0, "resized");
        }
        if (argc > 2) {
            pump(ov, &photo, &info, 300);
            if (read_xwd(argv[2], &screen)) {
                SDL_GetWindowPosition(win, &wx, &wy);
                check_picture(&screen, W, H, wx, wy, "X screen, resized");
                sc_image_fini(&screen);
            }
        }
    }

    /* 'f' asks the window manager for fullscreen (_NET_WM_STATE). Plain Xvfb has none: SDL
     * then believes the window is screen-sized while the X window keeps its size (also
     * when opened with cfg.fullscreen), so only the state is checked here. */
    {
        SDL_Event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = SDL_KEYDOWN;
        ev.key.keysym.sym = SDLK_f;
        SDL_PushEvent(&ev);
        CHECK_EQ_INT(sc_overlay_poll(ov, 200), SC_OVERLAY_NONE);
        CHECK_EQ_INT(sc_overlay_fullscreen(ov), 1);
        pump(ov, &photo, &info, 200);
        SDL_PushEvent(&ev);
        CHECK_EQ_INT(sc_overlay_poll(ov, 200), SC_OVERLAY_NONE);
        CHECK_EQ_INT(sc_overlay_fullscreen(ov), 0);
        ev.key.keysym.sym = SDLK_q;
        SDL_PushEvent(&ev);
        CHECK_EQ_INT(sc_overlay_poll(ov, 1000), SC_OVERLAY_QUIT);
    }
    sc_overlay_close(ov);
    sc_image_fini(&photo);
    return sc_test_finish();
}
