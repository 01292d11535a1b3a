/* tests/overlay/test_overlay.c — the overlay drawn offscreen (SDL's software renderer on a
 * memory surface; no display needed), read back with sc_overlay_snapshot, and checked pixel
 * by pixel against the geometry app/overlay.h documents: letterbox bars, box outlines in
 * the class colours, label tags, the HUD, the no-signal banner. Also keys → actions through
 * SDL's event queue, and that showing frames allocates nothing in SDL after warm-up. */
#define SDL_MAIN_HANDLED
#include <SDL.h>

#include <stdio.h>
#include <string.h>

#include "app/image_io.h"
#include "app/overlay.h"
#include "tests/overlay/overlay_check.h"
#include "tests/overlay/sdl_alloc_count.h"


static const sc_rgb BLACK = { 0, 0, 0 }, WHITE = { 255, 255, 255 };

static int count_not(const sc_image *img, int x0, int y0, int x1, int y1, sc_rgb c)
{
    return (x1 - x0) * (y1 - y0) - ov_count(img, x0, y0, x1, y1, c);
}

static void push_key(SDL_Keycode sym, int repeat)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.repeat = (Uint8)repeat;
    ev.key.keysym.sym = sym;
    SDL_PushEvent(&ev);
}

static sc_image snapshot(sc_overlay *ov)
{
    const sc_image *img = NULL;
    sc_image none = { 0 };
    sc_status st = sc_overlay_snapshot(ov, &img);
    CHECKF(st == SC_OK && img, "snapshot: %s", sc_status_str(st));
    return img ? *img : none;
}

/* Tag rectangle for a label text tag drawn above/inside per the rule, given where the
 * test expects it (x, y top-left) — checks fill colour share and text pixels. */
static void check_tag(const sc_image *img, int x, int y, const char *txt, int u, sc_rgb bg,
                      const char *what)
{
    const int tw = sc_draw_text_width(txt, u) + 2 * u, th = SC_FONT_H * u + 2 * u;
    const int n_bg = ov_count(img, x, y, x + tw, y + th, bg);
    const int n_fg = ov_count(img, x, y, x + tw, y + th, sc_draw_contrast_color(bg));
    /* The glyphs of "airplane 0.81" etc. cover 15-30 % of the cells. */
    CHECKF(n_bg > tw * th / 2, "%s: tag fill %d of %d pixels", what, n_bg, tw * th);
    CHECKF(n_fg > tw * th / 10, "%s: tag text %d of %d pixels", what, n_fg, tw * th);
    /* The pad row all around is the fill colour. */
    CHECKF(ov_count(img, x, y, x + tw, y + 1, bg) == tw, "%s: tag top row", what);
    CHECKF(ov_count(img, x, y + th - 1, x + tw, y + th, bg) == tw, "%s: tag bottom row", what);
}

int main(void)
{
    char err[512], path[1024];
    sc_image photo = { 0 }, grey = { 0 }, mono = { 0 };
    sc_overlay_cfg cfg;
    sc_overlay *ov = NULL;
    sc_status st;

    count_sdl_allocs();

    snprintf(path, sizeof(path), "%s/testdata/images/voc_000067.jpg", sc_test_shared_dir());
    st = sc_image_load(path, &photo, err, sizeof(err));
    if (st != SC_OK) {
        fprintf(stderr, "%s\n", err);
        CHECK(st == SC_OK);
        return sc_test_finish();
    }
    CHECK_EQ_INT(photo.width, 500);
    CHECK_EQ_INT(photo.height, 272);

    sc_overlay_cfg_default(&cfg);
    cfg.offscreen = 1;
    cfg.width = 800;
    cfg.height = 600;
    cfg.show_hud = 0;
    st = sc_overlay_open(&cfg, &ov);
    CHECKF(st == SC_OK, "open offscreen: %s", sc_status_str(st));
    if (st != SC_OK) return sc_test_finish();
    printf("renderer: %s\n", sc_overlay_renderer_name(ov));

    const int W = 800, H = 600, u = 2, t = 2;   /* u = (600 + 200) / 400 */
    {
        int w, h;
        sc_overlay_output_size(ov, &w, &h);
        CHECK_EQ_INT(w, W);
        CHECK_EQ_INT(h, H);
    }

    /* Before any frame: black. */
    {
        sc_image img = snapshot(ov);
        if (img.data) {
            CHECK_EQ_INT(img.width, W);
            CHECK_EQ_INT(img.height, H);
            CHECK_EQ_INT(count_not(&img, 0, 0, W, H, BLACK), 0);
        }
    }

    /* Scene 1: the photo with three boxes, HUD hidden. */
    const ov_rect fr = ov_expect_frame(W, H, 500, 272);
    CHECK_EQ_INT(fr.x0, 0);
    CHECK_EQ_INT(fr.y0, 82);    /* 272·1.6 = 435.2 → 435; (600 − 435) / 2 */
    CHECK_EQ_INT(fr.y1, 517);
    const sc_det dets[3] = {
        ov_det(4, 0.81f, 12, 71, 449, 206, 500, 272),    /* airplane: tag above */
        ov_det(0, 0.66f, 330, 0, 480, 60, 500, 272),     /* person at the top: tag inside */
        ov_det(17, 0.55f, 440, 240, 500, 268, 500, 272), /* at the right edge: tag moved left */
    };
    const char *const names[3] = { "airplane", "person", "dog" };
    const char *const tags[3] = { "airplane 0.81", "person 0.66", "dog 0.55" };
    sc_overlay_frame_info info;
    memset(&info, 0, sizeof(info));
    info.frame_id = 1234;
    info.result_frame_id = 1232;
    info.camera_fps = 30.0;
    info.detector_fps = 12.5;
    info.inference_ms = 41.2;
    info.result_age_ms = 80;
    info.screen_age_ms = -1;
    info.drops_camera = 3;
    info.drops_detector = 17;
    info.input_size = 256;
    info.rho = 0.853f;
    info.n_threads = 4;
    info.source = "/dev/video0";

    st = sc_overlay_show(ov, &photo, &info, NULL, 0, NULL);
    CHECKF(st == SC_OK, "show: %s", sc_status_str(st));
    sc_image img = snapshot(ov);
    if (img.data) {
        /* The photo is there, scaled 1.6×: mean colour of source blocks vs the frame's. */
        for (int by = 0; by < 272 - 20; by += 40) {
            for (int bx = 0; bx < 500 - 20; bx += 60) {
                double ms[3] = { 0 }, md[3] = { 0 };
                for (int y = by; y < by + 20; y++)
                    for (int x = bx; x < bx + 20; x++)
                        for (int k = 0; k < 3; k++) ms[k] += photo.data[(size_t)y * photo.stride_bytes + 3 * x + k] / 400.0;
                for (int y = by * 8 / 5; y < (by + 20) * 8 / 5; y++)
                    for (int x = bx * 8 / 5; x < (bx + 20) * 8 / 5; x++)
                        for (int k = 0; k < 3; k++) md[k] += ov_px(&img, fr.x0 + x, fr.y0 + y)[k] / 1024.0;
                CHECKF(fabs(ms[0] - md[0]) + fabs(ms[1] - md[1]) + fabs(ms[2] - md[2]) < 12,
                       "block (%d,%d): frame %.0f,%.0f,%.0f vs photo %.0f,%.0f,%.0f", bx, by,
                       md[0], md[1], md[2], ms[0], ms[1], ms[2]);
            }
        }
    }
    st = sc_overlay_show(ov, &photo, &info, dets, 3, names);
    CHECKF(st == SC_OK, "show: %s", sc_status_str(st));
    {
        int x, y, w, h;
        sc_overlay_frame_rect(ov, &x, &y, &w, &h);
        CHECK_EQ_INT(x, fr.x0);
        CHECK_EQ_INT(y, fr.y0);
        CHECK_EQ_INT(w, fr.x1 - fr.x0);
        CHECK_EQ_INT(h, fr.y1 - fr.y0);
    }
    img = snapshot(ov);
    if (img.data) {
        /* Bars black, nothing drawn into them; the frame itself mostly not black. */
        CHECK_EQ_INT(count_not(&img, 0, 0, W, fr.y0, BLACK), 0);
        CHECK_EQ_INT(count_not(&img, 0, fr.y1, W, H, BLACK), 0);
        CHECK(ov_count(&img, fr.x0, fr.y0, fr.x1, fr.y1, BLACK) < (fr.x1 - fr.x0) * (fr.y1 - fr.y0) / 20);
        for (int i = 0; i < 3; i++) {
            const ov_rect b = ov_expect_box(fr, &dets[i]);
            const sc_rgb c = sc_draw_class_color(dets[i].class_id);
            CHECK_EQ_INT(ov_check_outline(&img, b, t, c, 0, 0, names[i]), 0);
            /* exactly t wide: the pixel inside the left edge is the photo */
            CHECKF(!ov_is(&img, b.x0 + t, (b.y0 + b.y1) / 2, c), "%s: outline wider than %d", names[i], t);
        }
        {   /* airplane: above the box, at its left edge */
            const ov_rect b = ov_expect_box(fr, &dets[0]);
            check_tag(&img, b.x0, b.y0 - (SC_FONT_H * u + 2 * u), tags[0], u,
                      sc_draw_class_color(4), "airplane tag");
        }
        {   /* person: no room above (box at the frame top) → inside */
            const ov_rect b = ov_expect_box(fr, &dets[1]);
            CHECK_EQ_INT(b.y0, fr.y0);
            check_tag(&img, b.x0, b.y0, tags[1], u, sc_draw_class_color(0), "person tag");
        }
        {   /* dog: right-aligned to the frame's right edge */
            const ov_rect b = ov_expect_box(fr, &dets[2]);
            const int tw = sc_draw_text_width(tags[2], u) + 2 * u;
            CHECK(b.x0 + tw > fr.x1);
            check_tag(&img, fr.x1 - tw, b.y0 - (SC_FONT_H * u + 2 * u), tags[2], u,
                      sc_draw_class_color(17), "dog tag");
        }
    }

    /* Scene 2: 'h' shows the HUD: white text on a dark panel, the state in green. */
    {
        const sc_rgb green = { 80, 230, 80 }, yellow = { 255, 210, 40 };
        int white_on, white_off;
        push_key(SDLK_h, 0);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_NONE);
        CHECK_EQ_INT(sc_overlay_hud_visible(ov), 1);
        img = snapshot(ov);
        white_on = ov_count(&img, 0, 0, W / 2, 6 * 22 + 16, WHITE);
        CHECKF(white_on > 1500, "HUD text pixels: %d", white_on);
        CHECKF(ov_count(&img, 0, 0, W / 2, 30, green) > 100, "state word pixels: %d",
               ov_count(&img, 0, 0, W / 2, 30, green));
        /* the panel darkens: the top-left corner inside the margin is black, the panel too */
        {
            int hx, hy;
            CHECK(sc_overlay_hud_rect(ov, &hx, &hy, NULL, NULL));
            CHECK(ov_is(&img, hx, hy, BLACK) && ov_is(&img, hx + 1, hy + 1, BLACK));
        }
        /* key help line at the bottom left */
        CHECKF(ov_count(&img, 0, H - 30, W, H, WHITE) > 300, "help line pixels: %d",
               ov_count(&img, 0, H - 30, W, H, WHITE));
        info.paused = 1;
        sc_overlay_show(ov, NULL, &info, dets, 3, names);   /* NULL frame: keep the picture */
        img = snapshot(ov);
        CHECKF(ov_count(&img, 0, 0, W / 2, 200, yellow) > 100, "PAUSED pixels: %d",
               ov_count(&img, 0, 0, W / 2, 200, yellow));
        CHECK_EQ_INT(ov_check_outline(&img, ov_expect_box(fr, &dets[0]), t, sc_draw_class_color(4), 0, 0,
                                      "airplane after NULL frame"), 0);
        info.paused = 0;
        push_key(SDLK_h, 0);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_NONE);
        CHECK_EQ_INT(sc_overlay_hud_visible(ov), 0);
        sc_overlay_show(ov, NULL, &info, dets, 3, names);
        img = snapshot(ov);
        white_off = ov_count(&img, 0, 0, W / 2, 6 * 22 + 16, WHITE);
        CHECKF(white_off * 10 < white_on, "HUD hidden: %d white pixels (shown: %d)", white_off, white_on);
        /* a repeated 'h' (key held) does nothing */
        push_key(SDLK_h, 1);
        sc_overlay_poll(ov, 0);
        CHECK_EQ_INT(sc_overlay_hud_visible(ov), 0);
    }

    /* Scene 3: camera state banners, visible with the HUD hidden. */
    {
        const sc_rgb red = { 255, 70, 70 }, yellow = { 255, 210, 40 };
        info.cam_state = SC_OVERLAY_CAM_NO_SIGNAL;
        sc_overlay_show(ov, NULL, &info, NULL, 0, NULL);
        img = snapshot(ov);
        CHECKF(ov_count(&img, W / 4, H / 2 - 30, 3 * W / 4, H / 2 + 30, red) > 500, "NO SIGNAL pixels: %d",
               ov_count(&img, W / 4, H / 2 - 30, 3 * W / 4, H / 2 + 30, red));
        info.cam_state = SC_OVERLAY_CAM_RECONNECTING;
        sc_overlay_show(ov, NULL, &info, NULL, 0, NULL);
        img = snapshot(ov);
        CHECK(ov_count(&img, 0, 0, W, H, red) == 0);
        CHECKF(ov_count(&img, W / 8, H / 2 - 30, 7 * W / 8, H / 2 + 30, yellow) > 500, "RECONNECTING pixels");
        info.cam_state = SC_OVERLAY_CAM_STREAMING;
        sc_overlay_show(ov, NULL, &info, NULL, 0, NULL);
        img = snapshot(ov);
        CHECK(ov_count(&img, 0, 0, W, H, yellow) == 0);
    }

    /* Scene 4: boxes beyond the frame are clipped to it, NaN boxes are dropped; no labels. */
    {
        const sc_det odd[2] = { { 7, 0.5f, -0.5f, -0.2f, 0.5f, 1.3f },
                                { 3, 0.4f, NAN, NAN, NAN, NAN } };
        const sc_rgb c7 = sc_draw_class_color(7);
        sc_overlay_show(ov, NULL, &info, odd, 2, NULL);
        img = snapshot(ov);
        CHECK_EQ_INT(count_not(&img, 0, 0, W, fr.y0, BLACK), 0);
        CHECK_EQ_INT(count_not(&img, 0, fr.y1, W, H, BLACK), 0);
        CHECK(ov_is(&img, 0, fr.y0 + 50, c7) && ov_is(&img, W - 1, fr.y0 + 50, c7));
        CHECK(ov_is(&img, W / 2, fr.y0 + ov_coord(0.5f, fr.y1 - fr.y0) - 1, c7));
        /* "class 7 0.50" tag inside at the top-left corner */
        check_tag(&img, 0, fr.y0, "class 7 0.50", u, c7, "unlabelled tag");
    }

    /* Scene 5: a new frame size (pillarbox), then back. */
    {
        CHECK(sc_image_init(&grey, 300, 300, 3) == SC_OK);
        memset(grey.data, 128, grey.stride_bytes * 300);
        const sc_det sq = ov_det(1, 0.9f, 30, 30, 270, 270, 300, 300);
        st = sc_overlay_show(ov, &grey, &info, &sq, 1, NULL);
        CHECK(st == SC_OK);
        img = snapshot(ov);
        const ov_rect gr = ov_expect_frame(W, H, 300, 300);
        CHECK_EQ_INT(gr.x0, 100);
        CHECK_EQ_INT(count_not(&img, 0, 0, gr.x0, H, BLACK), 0);
        CHECK_EQ_INT(count_not(&img, gr.x1, 0, W, H, BLACK), 0);
        CHECK(ov_is(&img, gr.x0 + 5, gr.y0 + 5, (sc_rgb){ 128, 128, 128 }));
        CHECK_EQ_INT(ov_check_outline(&img, ov_expect_box(gr, &sq), t, sc_draw_class_color(1), 0, 0, "square"), 0);
        /* bad frames: refused, nothing changes */
        CHECK(sc_image_init(&mono, 64, 64, 1) == SC_OK);
        CHECK_EQ_INT(sc_overlay_show(ov, &mono, &info, NULL, 0, NULL), SC_E_INVAL);
        sc_overlay_show(ov, &photo, &info, dets, 3, names);
        img = snapshot(ov);
        CHECK_EQ_INT(ov_check_outline(&img, ov_expect_box(fr, &dets[0]), t, sc_draw_class_color(4), 0, 0,
                                      "airplane again"), 0);
    }

    /* Scene 6: keys and window events → actions; one action per call, the rest queued. */
    {
        SDL_Event ev;
        push_key(SDLK_q, 0);
        push_key(SDLK_ESCAPE, 0);
        push_key(SDLK_SPACE, 0);
        push_key(SDLK_SPACE, 1);          /* held: ignored */
        push_key(SDLK_PLUS, 0);
        push_key(SDLK_EQUALS, 0);
        push_key(SDLK_KP_PLUS, 1);        /* held +/-: repeats */
        push_key(SDLK_MINUS, 0);
        push_key(SDLK_KP_MINUS, 0);
        push_key(SDLK_s, 0);
        push_key(SDLK_x, 0);              /* unbound */
        push_key(SDLK_f, 0);              /* offscreen: no window, nothing to do */
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_QUIT);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_QUIT);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_PAUSE);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_RHO_UP);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_RHO_UP);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_RHO_UP);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_RHO_DOWN);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_RHO_DOWN);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_SNAPSHOT);
        CHECK_EQ_INT(sc_overlay_poll(ov, 0), SC_OVERLAY_NONE);
        CHECK_EQ_INT(sc_overlay_fullscreen(ov), 0);
        memset(&ev, 0, sizeof(ev));
        ev.type = SDL_WINDOWEVENT;
        ev.window.event = SDL_WINDOWEVENT_CLOSE;
        SDL_PushEvent(&ev);
        CHECK_EQ_INT(sc_overlay_poll(ov, 100), SC_OVERLAY_QUIT);
        /* poll(0) may miss an event pushed after SDL_PollEvent's sentinel until the next
         * call; a timeout covers that */
        memset(&ev, 0, sizeof(ev));
        ev.type = SDL_QUIT;
        SDL_PushEvent(&ev);
        CHECK_EQ_INT(sc_overlay_poll(ov, 100), SC_OVERLAY_QUIT);
        /* a timeout with nothing queued waits about that long and returns NONE */
        {
            const Uint32 t0 = SDL_GetTicks();
            CHECK_EQ_INT(sc_overlay_poll(ov, 50), SC_OVERLAY_NONE);
            const Uint32 dt = SDL_GetTicks() - t0;
            CHECKF(dt >= 45 && dt < 500, "poll(50) took %u ms", (unsigned)dt);
        }
    }

    /* Scene 6b: with the HUD on, no tag hides under it (overlay.h: tag places), the panel
     * takes at most half the width, and the stage and CPU lines are drawn (red while
     * throttled now). A 4:3 picture fills the whole 800x600 output, so the HUD is on it. */
    {
        const sc_rgb red = { 255, 70, 70 };
        sc_image pic = { 0 };
        CHECK(sc_image_init(&pic, 400, 300, 3) == SC_OK);
        for (int y = 0; y < 300; y++)
            for (int x = 0; x < 400; x++) {
                uint8_t *q = pic.data + (size_t)y * pic.stride_bytes + 3 * (size_t)x;
                q[0] = (uint8_t)(40 + x / 4);
                q[1] = (uint8_t)(60 + y / 3);
                q[2] = 90;
            }
        const ov_rect pf = ov_expect_frame(W, H, 400, 300);
        CHECK(pf.x0 == 0 && pf.y0 == 0 && pf.x1 == W && pf.y1 == H);
        const sc_det hd[4] = {
            ov_det(0, 0.71f, 20, 10, 80, 150, 400, 300),    /* top-left: tag goes below the box */
            ov_det(5, 0.70f, 2, 2, 398, 40, 400, 300),      /* wide: tag right of the HUD */
            ov_det(17, 0.55f, 100, 5, 150, 30, 400, 300),   /* small, all under the HUD: tag over it */
            ov_det(2, 0.66f, 250, 200, 330, 260, 400, 300), /* far from the HUD: tag above as usual */
        };
        const char *const hn[4] = { "person", "bus", "dog", "car" };
        const char *const ht[4] = { "person 0.71", "bus 0.70", "dog 0.55", "car 0.66" };
        sc_overlay_frame_info hi = info;
        int hx, hy, hw, hh, px, py, pw, ph, tx, ty, tw, th;
        hi.has_stages = 1;
        hi.decode_ms = 3.2;
        hi.resize_ms = 1.1;
        hi.network_ms = 38.7;
        hi.post_ms = 0.1;
        hi.display_ms = 2.4;
        hi.has_cpu_temp = 1;
        hi.cpu_temp_c = 71.5;
        hi.has_throttled = 1;
        hi.throttled = 0x50005;
        push_key(SDLK_h, 0);
        sc_overlay_poll(ov, 0);
        CHECK_EQ_INT(sc_overlay_hud_visible(ov), 1);
        sc_overlay_show(ov, &pic, &hi, hd, 4, hn);
        img = snapshot(ov);
        {
            const char *bd = getenv("SC_BUILD_DIR");
            char out[1024];
            snprintf(out, sizeof(out), "%s/overlay-offscreen-hud-tags.png", bd ? bd : ".");
            if (img.data && sc_image_save_png(out, &img, err, sizeof(err)) == SC_OK) printf("saved %s\n", out);
        }
        CHECK(sc_overlay_hud_rect(ov, &hx, &hy, &hw, &hh));
        CHECK(sc_overlay_help_rect(ov, &px, &py, &pw, &ph));
        printf("HUD panel %dx%d at (%d,%d), help %dx%d at (%d,%d)\n", hw, hh, hx, hy, pw, ph, px, py);
        CHECKF(hw <= W / 2 && hw > W / 4 && hh > 8 * 11, "HUD %dx%d: at most half the width, 8 lines", hw, hh);
        CHECK(hx == hy && hx >= 4);
        CHECK(py + ph == H - 4 * u);
        for (int i = 0; i < 4; i++) {
            const ov_rect b = ov_expect_box(pf, &hd[i]);
            const sc_rgb c = sc_draw_class_color(hd[i].class_id);
            CHECKF(sc_overlay_tag_rect(ov, i, &tx, &ty, &tw, &th), "%s has a tag", hn[i]);
            CHECK_EQ_INT(tw, sc_draw_text_width(ht[i], u) + 2 * u);
            CHECK_EQ_INT(th, SC_FONT_H * u + 2 * u);
            CHECK(tx >= 0 && tx + tw <= W && ty >= 0 && ty + th <= H);
            /* touching its box: above, inside or below it */
            CHECKF(tx < b.x1 && tx + tw > b.x0 && ty <= b.y1 && ty + th >= b.y0, "%s tag (%d,%d) off its box",
                   hn[i], tx, ty);
            /* whatever its place, the tag is whole on the screen: fill, text, pad rows */
            check_tag(&img, tx, ty, ht[i], u, c, hn[i]);
            if (i != 2) {   /* clear of the HUD panel and the help line */
                CHECKF(tx >= hx + hw || tx + tw <= hx || ty >= hy + hh || ty + th <= hy, "%s tag under the HUD", hn[i]);
                CHECK(tx >= px + pw || tx + tw <= px || ty >= py + ph || ty + th <= py);
            }
        }
        {   /* person: its top is under the HUD: below the box */
            const ov_rect b = ov_expect_box(pf, &hd[0]);
            CHECK(b.y0 < hy + hh && b.x0 < hx + hw);
            sc_overlay_tag_rect(ov, 0, &tx, &ty, NULL, NULL);
            CHECK_EQ_INT(tx, b.x0);
            CHECK_EQ_INT(ty, b.y1);
        }
        {   /* bus: every place at its left edge is under the HUD: moved right of the panel */
            const ov_rect b = ov_expect_box(pf, &hd[1]);
            sc_overlay_tag_rect(ov, 1, &tx, &ty, NULL, NULL);
            CHECK_EQ_INT(tx, hx + hw);
            CHECK_EQ_INT(ty, b.y0);   /* no room above: inside at the top */
        }
        {   /* dog: no free place: place (1), inside at the top, drawn over the panel */
            const ov_rect b = ov_expect_box(pf, &hd[2]);
            sc_overlay_tag_rect(ov, 2, &tx, &ty, NULL, NULL);
            CHECK_EQ_INT(tx, b.x0);
            CHECK_EQ_INT(ty, b.y0);
            CHECK(ty + th <= hy + hh && tx + tw <= hx + hw);
        }
        {   /* car: above its box, as without a HUD */
            const ov_rect b = ov_expect_box(pf, &hd[3]);
            sc_overlay_tag_rect(ov, 3, &tx, &ty, NULL, NULL);
            CHECK_EQ_INT(tx, b.x0);
            CHECK_EQ_INT(ty, b.y0 - (SC_FONT_H * u + 2 * u));
        }
        /* throttled now: the CPU line in red; the HUD text still there */
        CHECKF(ov_count(&img, hx, hy, hx + hw, hy + hh, red) > 60, "red CPU line pixels: %d",
               ov_count(&img, hx, hy, hx + hw, hy + hh, red));
        CHECKF(ov_count(&img, hx, hy, hx + hw, hy + hh, WHITE) > 800, "HUD white pixels: %d",
               ov_count(&img, hx, hy, hx + hw, hy + hh, WHITE));
        hi.throttled = 0;
        sc_overlay_show(ov, NULL, &hi, hd, 4, hn);
        img = snapshot(ov);
        CHECK_EQ_INT(ov_count(&img, hx, hy, hx + hw, hy + hh, red), 0);
        /* HUD hidden: no HUD rect, every tag back at place (1) */
        push_key(SDLK_h, 0);
        sc_overlay_poll(ov, 0);
        sc_overlay_show(ov, NULL, &hi, hd, 4, hn);
        CHECK(!sc_overlay_hud_rect(ov, NULL, NULL, NULL, NULL));
        sc_overlay_tag_rect(ov, 0, &tx, &ty, NULL, NULL);
        CHECK_EQ_INT(ty, ov_expect_box(pf, &hd[0]).y0 - (SC_FONT_H * u + 2 * u));
        sc_overlay_tag_rect(ov, 1, &tx, &ty, NULL, NULL);
        CHECK_EQ_INT(tx, ov_expect_box(pf, &hd[1]).x0);
        CHECK(!sc_overlay_tag_rect(ov, 4, NULL, NULL, NULL, NULL));
        sc_image_fini(&pic);
        sc_overlay_show(ov, &photo, &info, dets, 3, names);   /* scene 7 uses the photo's texture size */
    }

    /* Scene 7: no allocation per frame (SDL's, counted) once warm, HUD on, boxes changing. */
    {
        sc_det moving[3];
        long before;
        push_key(SDLK_h, 0);
        sc_overlay_poll(ov, 0);
        for (int i = 0; i < 3; i++) sc_overlay_show(ov, &photo, &info, dets, 3, names);
        before = n_sdl_allocs;
        for (int k = 0; k < 30; k++) {
            memcpy(moving, dets, sizeof(moving));
            for (int i = 0; i < 3; i++) {
                moving[i].xmin += 0.003f * k;
                moving[i].score -= 0.01f * k;
            }
            info.frame_id++;
            info.camera_fps = 29.0 + k * 0.1;
            sc_overlay_show(ov, &photo, &info, moving, 3, names);
        }
        CHECKF(n_sdl_allocs == before, "SDL allocations in 30 frames: %ld", n_sdl_allocs - before);
    }

    sc_overlay_close(ov);
    sc_overlay_close(NULL);
    sc_image_fini(&photo);
    sc_image_fini(&grey);
    sc_image_fini(&mono);
    {
        /* Everything SDL allocated was freed: overlay closed, subsystems quit. */
        SDL_Quit();
        CHECKF(SDL_GetNumAllocations() == 0, "SDL allocations left: %d", SDL_GetNumAllocations());
    }
    return sc_test_finish();
}
