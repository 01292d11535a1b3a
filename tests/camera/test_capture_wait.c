/* tests/camera/test_capture_wait.c — a camera that is not there when sc_capture_open() is
 * called (app/capture.h DESIGN: "waiting for camera"), without any device: absent paths and
 * names are waited for in state RECONNECTING, no_wait makes them errors (so is a missing path
 * outside /dev), a present node that is not a camera fails at once, and stop ends the wait
 * promptly. (The camera suite plugs a
 * real USB camera in while ssdcam waits.) */
#include <string.h>

#include "app/capture.h"
#include "core/clock.h"
#include "core/log.h"
#include "tests/harness.h"

static sc_capture_cfg camera_cfg(const char *path)
{
    sc_capture_cfg c;
    memset(&c, 0, sizeof(c));
    c.kind = SC_CAPTURE_CAMERA;
    c.path = path;
    c.width = 640;
    c.height = 480;
    c.format = SC_CAPTURE_FMT_MJPEG;
    return c;
}

/* Opens `path` expecting a wait; checks state, event, info; stops and destroys. */
static void check_waits(sc_queue *q, const char *path, const char *reason_part)
{
    sc_capture_cfg c = camera_cfg(path);
    sc_capture *cap = NULL;
    sc_status st = sc_capture_open(&c, &q, 1, &cap);
    CHECKF(st == SC_OK && cap, "%s: open gave %s, want a wait", path, sc_status_str(st));
    if (!cap) return;
    CHECK_EQ_INT(sc_capture_get_state(cap), SC_CAPTURE_RECONNECTING);
    sc_capture_event ev[4];
    int n = sc_capture_get_events(cap, 0, ev, 4);
    CHECK_EQ_INT(n, 1);
    if (n >= 1) {
        CHECK_EQ_INT(ev[0].state, SC_CAPTURE_RECONNECTING);
        CHECKF(strstr(ev[0].reason, "waiting for camera") && strstr(ev[0].reason, reason_part),
               "%s: reason '%s'", path, ev[0].reason);
    }
    sc_capture_info inf;
    sc_capture_get_info(cap, &inf);
    CHECK_EQ_INT(inf.width, 0);
    CHECK_EQ_INT(inf.height, 0);
    CHECKF(!strcmp(inf.path, path), "info.path '%s'", inf.path);
    /* Let it retry a few times (back-off 0.1, 0.2, 0.4 s): still waiting, still one event. */
    struct timespec ts = { 0, 800000000L };
    nanosleep(&ts, NULL);
    CHECK_EQ_INT(sc_capture_get_state(cap), SC_CAPTURE_RECONNECTING);
    CHECK_EQ_INT(sc_capture_get_events(cap, 0, ev, 4), 1);
    sc_capture_stats s;
    sc_capture_get_stats(cap, &s);
    CHECK_EQ_INT(s.frames, 0);
    CHECK_EQ_INT(s.reconnects, 0);
    int64_t t0 = sc_now_ns();
    sc_capture_stop(cap);
    double stop_ms = (double)(sc_now_ns() - t0) / 1e6;
    CHECKF(stop_ms < 100, "%s: stop took %.1f ms while waiting", path, stop_ms);
    CHECK_EQ_INT(sc_capture_get_state(cap), SC_CAPTURE_STOPPED);
    sc_capture_destroy(cap);
}

int main(void)
{
    sc_queue *q = NULL;
    SC_ASSERT(sc_queue_create(1, &q) == SC_OK);

    /* a node that does not exist (yet), a by-id link, a card name */
    check_waits(q, "/dev/video-sc-test-absent", "No such file");
    check_waits(q, "/dev/v4l/by-id/usb-sc_test_absent-video-index0", "No such file");
    check_waits(q, "SC Test Absent Camera", "no capture device named 'SC Test Absent Camera'");

    /* no_wait: the same absent camera is an error */
    sc_capture_cfg c = camera_cfg("/dev/video-sc-test-absent");
    c.no_wait = 1;
    sc_capture *cap = NULL;
    CHECK_EQ_INT(sc_capture_open(&c, &q, 1, &cap), SC_E_DEVICE);
    CHECK(cap == NULL);
    c = camera_cfg("SC Test Absent Camera");
    c.no_wait = 1;
    CHECK_EQ_INT(sc_capture_open(&c, &q, 1, &cap), SC_E_DEVICE);

    /* a path outside /dev (hotplug makes no nodes there): an error, not a wait */
    c = camera_cfg("/nonexistent/video9");
    CHECK_EQ_INT(sc_capture_open(&c, &q, 1, &cap), SC_E_DEVICE);
    CHECK(cap == NULL);

    /* there, but not a camera: an error at once, not a wait */
    c = camera_cfg("/dev/null");
    int64_t t0 = sc_now_ns();
    CHECK_EQ_INT(sc_capture_open(&c, &q, 1, &cap), SC_E_DEVICE);
    CHECK(cap == NULL);
    CHECK((sc_now_ns() - t0) < 1000000000LL);

    sc_queue_destroy(q);
    return sc_test_finish();
}
