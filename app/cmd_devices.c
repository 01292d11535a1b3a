/* app/cmd_devices.c — `ssdcam devices`: the V4L2 video capture devices, what they are and
 * what they can send.
 *
 * Discovery does not rely on udev: it scans /dev/video* itself (sc_capture_list_nodes) and
 * reads sysfs (/sys/class/video4linux/videoN) for the driver and USB ids; /dev/v4l/by-id and
 * by-path names are shown when udev made them. Each node is opened through libv4l2 (as the
 * capture does), so formats that libv4l2 would convert to are seen and marked "emulated". */
#define _XOPEN_SOURCE 700   /* realpath */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libv4l2.h>
#include <linux/videodev2.h>

#include "app/capture.h"
#include "app/cmds.h"
#include "app/json_out.h"
#include "core/log.h"

#define MAX_NODES 64

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ssdcam devices [--json] [--all] [--controls] [DEVICE...]\n"
        "List the V4L2 video capture devices (/dev/video*, or the DEVICEs given): card name, bus,\n"
        "driver, /dev/v4l/by-id name (when udev made one), capabilities, and every pixel format\n"
        "with its frame sizes and frame rates. Nodes that cannot capture video (e.g. UVC metadata\n"
        "nodes) are listed in one line.\n\n"
        "  --json   one JSON object per device node (JSON Lines)\n"
        "  --all    also the formats libv4l2 would convert to (\"emulated\")\n"
        "  --controls  also the controls (name, type, range, current value; for `capture --ctrl`)\n"
        "exit codes: 0 at least one capture device listed, 1 none found, 2 usage\n");
}

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do r = v4l2_ioctl(fd, req, arg); while (r == -1 && errno == EINTR);
    return r;
}

/* "YUYV"; trailing spaces dropped ("Y16 " -> "Y16"); "-BE" for big-endian variants (bit 31). */
static const char *fourcc_str(uint32_t f, char s[8])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((f >> (8 * i)) & 0x7F);
        s[i] = c >= 32 && c < 127 ? c : '?';
    }
    s[4] = 0;
    for (int i = 3; i > 0 && s[i] == ' '; i--) s[i] = 0;
    if (f & (1u << 31)) strcat(s, "-BE");
    return s;
}

/* First line of a sysfs file, without the newline; "" if unreadable. */
static void read_sysfs(const char *path, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(buf, (int)n, f)) buf[strcspn(buf, "\n")] = 0;
    fclose(f);
}

static int find_link(const char *dir, const char *node, char *buf, size_t n)
{
    char want[PATH_MAX], got[PATH_MAX], link[PATH_MAX];
    if (!realpath(node, want)) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
        if (realpath(link, got) && !strcmp(got, want)) {
            snprintf(buf, n, "%s", link);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

typedef struct sysinfo {
    char name[128], driver[64], vendor[16], product[16], manufacturer[128], usb_product[128];
} sysinfo;

static void read_sysinfo(const char *node, sysinfo *si)
{
    memset(si, 0, sizeof(*si));
    const char *base = strrchr(node, '/');
    base = base ? base + 1 : node;
    char path[PATH_MAX], dev[PATH_MAX], link[PATH_MAX];
    if (snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name", base) >= (int)sizeof(path)) return;
    read_sysfs(path, si->name, sizeof(si->name));
    if (snprintf(path, sizeof(path), "/sys/class/video4linux/%s/device", base) >= (int)sizeof(path)) return;
    if (!realpath(path, dev)) return;
    if (snprintf(path, sizeof(path), "%s/driver", dev) >= (int)sizeof(path)) return;
    ssize_t l = readlink(path, link, sizeof(link) - 1);
    if (l > 0) {
        link[l] = 0;
        const char *s = strrchr(link, '/');
        snprintf(si->driver, sizeof(si->driver), "%.63s", s ? s + 1 : link);
    }
    /* A USB camera's node hangs off an interface; the USB device (with the ids) is its parent. */
    const char *files[4] = { "idVendor", "idProduct", "manufacturer", "product" };
    char *dst[4] = { si->vendor, si->product, si->manufacturer, si->usb_product };
    size_t sz[4] = { sizeof(si->vendor), sizeof(si->product), sizeof(si->manufacturer), sizeof(si->usb_product) };
    for (int i = 0; i < 4; i++) {
        if (snprintf(path, sizeof(path), "%s/../%s", dev, files[i]) < (int)sizeof(path))
            read_sysfs(path, dst[i], sz[i]);
    }
}

static void caps_list(uint32_t caps, char *buf, size_t n)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { V4L2_CAP_VIDEO_CAPTURE, "video-capture" },
        { V4L2_CAP_VIDEO_CAPTURE_MPLANE, "video-capture-mplane" },
        { V4L2_CAP_VIDEO_OUTPUT, "video-output" },
        { V4L2_CAP_VIDEO_M2M, "m2m" },
        { V4L2_CAP_META_CAPTURE, "metadata-capture" },
        { V4L2_CAP_READWRITE, "read-write" },
        { V4L2_CAP_STREAMING, "streaming" },
        { V4L2_CAP_TIMEPERFRAME, "timeperframe" },
        { V4L2_CAP_EXT_PIX_FORMAT, "ext-pix-format" },
    };
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < SC_ARRAY_LEN(names); i++) {
        if (!(caps & names[i].bit)) continue;
        int w = snprintf(buf + len, n - len, "%s%s", len ? " " : "", names[i].name);
        if (w < 0 || (size_t)w >= n - len) break;
        len += (size_t)w;
    }
}

/* Frame rates for one size, as "30 25 15" (discrete) or "1..60" (a range). */
static void list_rates(int fd, uint32_t fourcc, uint32_t w, uint32_t h, int json, FILE *out)
{
    int first = 1;
    if (json) fputs("\"fps\":[", out);
    for (unsigned i = 0; i < 64; i++) {
        struct v4l2_frmivalenum fi = { .index = i, .pixel_format = fourcc, .width = w, .height = h };
        if (xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) != 0) break;
        if (fi.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            if (!fi.discrete.numerator) continue;
            double fps = (double)fi.discrete.denominator / fi.discrete.numerator;
            fprintf(out, json ? "%s%.6g" : "%s%.4g", first ? "" : json ? "," : " ", fps);
        } else {
            double lo = fi.stepwise.max.numerator ? (double)fi.stepwise.max.denominator / fi.stepwise.max.numerator : 0;
            double hi = fi.stepwise.min.numerator ? (double)fi.stepwise.min.denominator / fi.stepwise.min.numerator : 0;
            if (json) fprintf(out, "%s%.6g,%.6g", first ? "" : ",", lo, hi);
            else fprintf(out, "%s%.4g..%.4g", first ? "" : " ", lo, hi);
            first = 0;
            break;
        }
        first = 0;
    }
    if (json) fputc(']', out);
    else fputs(first ? "(rates not listed)" : " fps", out);
}

static void list_format(int fd, const struct v4l2_fmtdesc *d, int json, FILE *out)
{
    char fcc[8];
    if (json) {
        fputs("{\"fourcc\":", out);
        sc_json_str(out, fourcc_str(d->pixelformat, fcc));
        fputs(",\"description\":", out);
        sc_json_str(out, (const char *)d->description);
        fprintf(out, ",\"compressed\":%s,\"emulated\":%s,\"sizes\":[",
                d->flags & V4L2_FMT_FLAG_COMPRESSED ? "true" : "false",
                d->flags & V4L2_FMT_FLAG_EMULATED ? "true" : "false");
    } else {
        fprintf(out, "  %-4s  %s%s%s\n", fourcc_str(d->pixelformat, fcc), (const char *)d->description,
                d->flags & V4L2_FMT_FLAG_COMPRESSED ? " (compressed)" : "",
                d->flags & V4L2_FMT_FLAG_EMULATED ? " (emulated by libv4l2)" : "");
    }
    int n = 0;
    for (unsigned i = 0; i < 256; i++) {
        struct v4l2_frmsizeenum fs = { .index = i, .pixel_format = d->pixelformat };
        if (xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) != 0) break;
        if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
            if (json) fprintf(out, "%s{\"width\":%u,\"height\":%u,", n ? "," : "", fs.discrete.width, fs.discrete.height);
            else fprintf(out, "        %5ux%-5u ", fs.discrete.width, fs.discrete.height);
            list_rates(fd, d->pixelformat, fs.discrete.width, fs.discrete.height, json, out);
            fputs(json ? "}" : "\n", out);
            n++;
        } else {
            const struct v4l2_frmsize_stepwise *s = &fs.stepwise;
            if (json)
                fprintf(out, "%s{\"min_width\":%u,\"max_width\":%u,\"step_width\":%u,\"min_height\":%u,"
                        "\"max_height\":%u,\"step_height\":%u,", n ? "," : "", s->min_width, s->max_width,
                        s->step_width, s->min_height, s->max_height, s->step_height);
            else
                fprintf(out, "        %ux%u..%ux%u (steps %u, %u), at the largest: ", s->min_width,
                        s->min_height, s->max_width, s->max_height, s->step_width, s->step_height);
            list_rates(fd, d->pixelformat, s->max_width, s->max_height, json, out);
            fputs(json ? "}" : "\n", out);
            n++;
            break;
        }
    }
    if (json) fputs("]}", out);
    else if (!n) fputs("        (no frame sizes listed)\n", out);
}

static const char *ctrl_type(uint32_t t)
{
    switch (t) {
    case V4L2_CTRL_TYPE_INTEGER: return "int";
    case V4L2_CTRL_TYPE_BOOLEAN: return "bool";
    case V4L2_CTRL_TYPE_MENU: return "menu";
    case V4L2_CTRL_TYPE_INTEGER_MENU: return "intmenu";
    case V4L2_CTRL_TYPE_BUTTON: return "button";
    case V4L2_CTRL_TYPE_INTEGER64: return "int64";
    case V4L2_CTRL_TYPE_CTRL_CLASS: return "class";
    case V4L2_CTRL_TYPE_STRING: return "string";
    case V4L2_CTRL_TYPE_BITMASK: return "bitmask";
    default: return "other";
    }
}

/* The controls, one a line (human) or a JSON array. */
static void list_controls(int fd, int json, FILE *out)
{
    struct v4l2_queryctrl q;
    memset(&q, 0, sizeof(q));
    q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
    int n = 0;
    if (json) fputs(",\"controls\":[", out);
    else fputs("  controls:\n", out);
    while (xioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
        if (!(q.flags & V4L2_CTRL_FLAG_DISABLED) && q.type != V4L2_CTRL_TYPE_CTRL_CLASS) {
            struct v4l2_control c = { .id = q.id };
            int has_value = q.type != V4L2_CTRL_TYPE_BUTTON && q.type != V4L2_CTRL_TYPE_STRING &&
                            q.type != V4L2_CTRL_TYPE_INTEGER64 && !(q.flags & V4L2_CTRL_FLAG_WRITE_ONLY) &&
                            xioctl(fd, VIDIOC_G_CTRL, &c) == 0;
            char name[40];
            snprintf(name, sizeof(name), "%.*s", (int)sizeof(q.name), (const char *)q.name);
            if (json) {
                fputs(n ? ",{\"name\":" : "{\"name\":", out);
                sc_json_str(out, name);
                fprintf(out, ",\"type\":\"%s\",\"min\":%d,\"max\":%d,\"step\":%d,\"default\":%d",
                        ctrl_type(q.type), q.minimum, q.maximum, q.step, q.default_value);
                if (has_value) fprintf(out, ",\"value\":%d", c.value);
                fputc('}', out);
            } else {
                fprintf(out, "    %-32s %-7s", name, ctrl_type(q.type));
                if (q.type != V4L2_CTRL_TYPE_BUTTON)
                    fprintf(out, " %d..%d default %d", q.minimum, q.maximum, q.default_value);
                if (has_value) fprintf(out, " value %d", c.value);
                if (q.type == V4L2_CTRL_TYPE_MENU) {
                    fputs(" [", out);
                    for (int i = q.minimum; i <= q.maximum; i++) {
                        struct v4l2_querymenu m = { .id = q.id, .index = (uint32_t)i };
                        if (xioctl(fd, VIDIOC_QUERYMENU, &m) == 0)
                            fprintf(out, "%s%d=%.*s", i > q.minimum ? ", " : "", i, (int)sizeof(m.name), (const char *)m.name);
                    }
                    fputc(']', out);
                }
                fputc('\n', out);
            }
            n++;
        }
        q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
    }
    if (json) fputc(']', out);
    else if (!n) fputs("    (none)\n", out);
}

/* Lists one node. Returns 1 if it is a video capture device. */
static int list_node(const char *node, int json, int all, int controls, FILE *out)
{
    char by_id[PATH_MAX] = "", by_path[PATH_MAX] = "", caps_s[256];
    sysinfo si;
    read_sysinfo(node, &si);
    find_link("/dev/v4l/by-id", node, by_id, sizeof(by_id));
    find_link("/dev/v4l/by-path", node, by_path, sizeof(by_path));

    int fd = v4l2_open(node, O_RDWR | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (json) {
            fputs("{\"path\":", out);
            sc_json_str(out, node);
            fputs(",\"error\":", out);
            sc_json_str(out, strerror(e));
            fputs("}\n", out);
        } else {
            fprintf(out, "%s: cannot open: %s\n", node, strerror(e));
        }
        return 0;
    }
    struct v4l2_capability vc;
    memset(&vc, 0, sizeof(vc));
    if (xioctl(fd, VIDIOC_QUERYCAP, &vc) != 0) {
        int e = errno;
        v4l2_close(fd);
        if (json) {
            fputs("{\"path\":", out);
            sc_json_str(out, node);
            fputs(",\"error\":", out);
            sc_json_str(out, strerror(e));
            fputs("}\n", out);
        } else {
            fprintf(out, "%s: not a V4L2 device (%s)\n", node, strerror(e));
        }
        return 0;
    }
    char card[40], driver[20], bus[40];
    snprintf(card, sizeof(card), "%.*s", (int)sizeof(vc.card), (const char *)vc.card);
    snprintf(driver, sizeof(driver), "%.*s", (int)sizeof(vc.driver), (const char *)vc.driver);
    snprintf(bus, sizeof(bus), "%.*s", (int)sizeof(vc.bus_info), (const char *)vc.bus_info);
    uint32_t caps = vc.capabilities & V4L2_CAP_DEVICE_CAPS ? vc.device_caps : vc.capabilities;
    int is_capture = (caps & V4L2_CAP_VIDEO_CAPTURE) != 0;
    caps_list(caps, caps_s, sizeof(caps_s));

    if (json) {
        fputs("{\"path\":", out);
        sc_json_str(out, node);
        fputs(",\"by_id\":", out);
        if (by_id[0]) sc_json_str(out, by_id); else fputs("null", out);
        fputs(",\"by_path\":", out);
        if (by_path[0]) sc_json_str(out, by_path); else fputs("null", out);
        fputs(",\"card\":", out); sc_json_str(out, card);
        fputs(",\"driver\":", out); sc_json_str(out, driver);
        fputs(",\"bus\":", out); sc_json_str(out, bus);
        fputs(",\"sysfs_name\":", out); sc_json_str(out, si.name);
        fputs(",\"sysfs_driver\":", out); sc_json_str(out, si.driver);
        if (si.vendor[0]) {
            fputs(",\"usb\":{\"vendor\":", out); sc_json_str(out, si.vendor);
            fputs(",\"product\":", out); sc_json_str(out, si.product);
            fputs(",\"manufacturer\":", out); sc_json_str(out, si.manufacturer);
            fputs(",\"name\":", out); sc_json_str(out, si.usb_product);
            fputc('}', out);
        }
        fprintf(out, ",\"capture\":%s,\"capabilities\":", is_capture ? "true" : "false");
        sc_json_str(out, caps_s);
        fputs(",\"formats\":[", out);
    } else if (!is_capture) {
        fprintf(out, "%s: %s (%s, %s): not a video capture node (%s)\n", node, card, driver, bus, caps_s);
        v4l2_close(fd);
        return 0;
    } else {
        fprintf(out, "%s: %s\n", node, card);
        fprintf(out, "  driver %s, bus %s", driver, bus);
        if (si.vendor[0]) fprintf(out, ", USB %s:%s%s%s%s%s", si.vendor, si.product,
                                  si.manufacturer[0] ? " " : "", si.manufacturer,
                                  si.usb_product[0] ? " " : "", si.usb_product);
        fputc('\n', out);
        fprintf(out, "  by-id: %s\n", by_id[0] ? by_id : "(none: no udev link)");
        if (by_path[0]) fprintf(out, "  by-path: %s\n", by_path);
        fprintf(out, "  capabilities: %s\n", caps_s);
    }
    int nf = 0;
    if (is_capture) {
        for (unsigned i = 0; i < 256; i++) {
            struct v4l2_fmtdesc d = { .index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
            if (xioctl(fd, VIDIOC_ENUM_FMT, &d) != 0) break;
            if ((d.flags & V4L2_FMT_FLAG_EMULATED) && !all) continue;
            if (json && nf) fputc(',', out);
            list_format(fd, &d, json, out);
            nf++;
        }
    }
    if (json) fputc(']', out);
    else if (!nf) fputs("  (no formats listed)\n", out);
    if (controls && is_capture) list_controls(fd, json, out);
    if (json) fputs("}\n", out);
    v4l2_close(fd);
    return is_capture;
}

int sc_cmd_devices(int argc, char **argv)
{
    int json = 0, all = 0, controls = 0, n_given = 0;
    const char *given[MAX_NODES];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return SC_EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--all")) {
            all = 1;
        } else if (!strcmp(argv[i], "--controls")) {
            controls = 1;
        } else if (argv[i][0] == '-') {
            sc_log_error("devices: unknown option '%s'", argv[i]);
            usage(stderr);
            return SC_EXIT_USAGE;
        } else if (n_given < MAX_NODES) {
            given[n_given++] = argv[i];
        }
    }
    char nodes[MAX_NODES][SC_CAPTURE_PATH_MAX];
    int n = 0;
    if (n_given) {
        for (int i = 0; i < n_given; i++) snprintf(nodes[n++], SC_CAPTURE_PATH_MAX, "%s", given[i]);
    } else {
        n = sc_capture_list_nodes(nodes, MAX_NODES);
    }
    int n_capture = 0;
    for (int i = 0; i < n; i++) {
        n_capture += list_node(nodes[i], json, all, controls, stdout);
        if (!json && i + 1 < n) fputc('\n', stdout);
    }
    fflush(stdout);
    if (!n_capture) {
        if (!n) sc_log_error("devices: no /dev/video* nodes (no camera, or its driver is not loaded)");
        else sc_log_error("devices: none of the %d video nodes can capture video", n);
        return SC_EXIT_FAIL;
    }
    return SC_EXIT_OK;
}
