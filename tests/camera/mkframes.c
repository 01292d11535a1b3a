/* tests/camera/mkframes.c — makes the camera suite's frames from real photos, on the host:
 *
 *   mkframes resize IN W H OUT.ppm   decode IN, resize (Pillow-exact bilinear) to W×H, write
 *                                    a binary PPM (for cjpeg, and YUYV cameras)
 *   mkframes strip IN.jpg OUT.jpg    drop the Huffman tables (as UVC webcams send MJPEG); fails
 *                                    unless OUT decodes to exactly IN's pixels (IN must use the
 *                                    standard tables, as libjpeg does without -optimize)
 *   mkframes corrupt IN.jpg OUT.jpg  IN's headers up to its first scan, then 4000 bytes of
 *                                    noise and an EOI: a frame with no scan (SC_MJPEG_CORRUPT)
 *   mkframes feed DEV FPS K A.jpg B.jpg ...
 *                                    in the guest: the v4l2loopback producer for several
 *                                    photos (v4l2feed sends one): writes A K times, then B K
 *                                    times, ..., round and round at FPS until killed. All must
 *                                    be JPEGs of one size. Prints "FEED n=N WxH".
 * Exit status 0 on success, 1 on failure (with a message). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "app/image_io.h"
#include "app/mjpeg.h"
#include "core/image.h"

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return NULL; }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = len > 0 ? malloc((size_t)len) : NULL;
    *n = p ? fread(p, 1, (size_t)len, f) : 0;
    fclose(f);
    if (!p || *n != (size_t)len) { fprintf(stderr, "%s: read failed\n", path); free(p); return NULL; }
    return p;
}

static int write_all(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); return 0; }
    int ok = fwrite(p, 1, n, f) == n;
    if (fclose(f) != 0 || !ok) { perror(path); return 0; }
    return 1;
}

static int cmd_resize(const char *in, int w, int h, const char *out)
{
    sc_image src, dst;
    sc_resizer *r = NULL;
    char err[512];
    if (sc_image_load(in, &src, err, sizeof(err)) != SC_OK) { fprintf(stderr, "%s\n", err); return 1; }
    if (sc_image_init(&dst, w, h, 3) != SC_OK || sc_resizer_create(src.width, src.height, w, h, 3, &r) != SC_OK)
        return 1;
    sc_resizer_run(r, &src, &dst);
    FILE *f = fopen(out, "wb");
    if (!f) { perror(out); return 1; }
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++) fwrite(dst.data + (size_t)y * dst.stride_bytes, 1, (size_t)w * 3, f);
    int ok = fclose(f) == 0;
    sc_resizer_destroy(r);
    sc_image_fini(&src);
    sc_image_fini(&dst);
    return ok ? 0 : 1;
}

static int cmd_strip(const char *in, const char *out)
{
    size_t n;
    uint8_t *p = read_all(in, &n);
    if (!p) return 1;
    uint8_t *s = malloc(n);
    size_t sn = sc_mjpeg_strip_dht(p, n, s, n);
    sc_image a, b;
    int rc = 1;
    if (!sn) {
        fprintf(stderr, "%s: not a complete JPEG\n", in);
    } else if (sc_image_load_mem(p, n, in, &a, NULL, 0) != SC_OK) {
        fprintf(stderr, "%s: does not decode\n", in);
    } else {
        if (sc_image_load_mem(s, sn, out, &b, NULL, 0) != SC_OK) {
            fprintf(stderr, "%s: the stripped frame does not decode\n", in);
        } else {
            int same = a.width == b.width && a.height == b.height;
            for (int y = 0; same && y < a.height; y++)
                same = !memcmp(a.data + (size_t)y * a.stride_bytes, b.data + (size_t)y * b.stride_bytes, (size_t)a.width * 3);
            if (!same) fprintf(stderr, "%s: not the standard Huffman tables (stripped frame decodes differently)\n", in);
            else if (write_all(out, s, sn)) rc = 0;
            sc_image_fini(&b);
        }
        sc_image_fini(&a);
    }
    free(s);
    free(p);
    return rc;
}

static int cmd_corrupt(const char *in, const char *out)
{
    size_t n;
    uint8_t *p = read_all(in, &n);
    if (!p) return 1;
    size_t sos = 0, i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xFF || p[i + 1] == 0xFF) { i++; continue; }
        if (p[i + 1] == 0xDA) { sos = i; break; }
        i += 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
    }
    if (!sos) { fprintf(stderr, "%s: no scan\n", in); free(p); return 1; }
    size_t m = sos + 4000 + 2;
    uint8_t *o = malloc(m);
    memcpy(o, p, sos);
    uint32_t x = 1;
    for (size_t k = 0; k < 4000; k++) { x = x * 1103515245u + 12345u; o[sos + k] = (uint8_t)((x >> 16) % 0xFF); }
    o[m - 2] = 0xFF;
    o[m - 1] = 0xD9;
    int ok = write_all(out, o, m);
    free(o);
    free(p);
    return ok ? 0 : 1;
}

#define FEED_MAX 16

static int cmd_feed(const char *dev, int fps, int k, int n, char **files)
{
    uint8_t *jpg[FEED_MAX];
    size_t len[FEED_MAX];
    int w = 0, h = 0;
    if (n < 1 || n > FEED_MAX || fps < 1 || k < 1) { fprintf(stderr, "feed: 1..%d files, FPS and K >= 1\n", FEED_MAX); return 2; }
    for (int i = 0; i < n; i++) {
        sc_mjpeg_info info;
        if (!(jpg[i] = read_all(files[i], &len[i]))) return 1;
        if (sc_mjpeg_check(jpg[i], len[i], w, h, SC_MJPEG_MIN_BYTES, &info) != SC_MJPEG_OK) {
            fprintf(stderr, "feed: %s: not a complete JPEG%s\n", files[i], i ? " of the first one's size" : "");
            return 1;
        }
        w = info.width;
        h = info.height;
    }
    int fd = open(dev, O_RDWR);
    if (fd < 0) { perror(dev); return 1; }
    struct v4l2_format f;
    memset(&f, 0, sizeof(f));
    f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    f.fmt.pix.width = (uint32_t)w;
    f.fmt.pix.height = (uint32_t)h;
    f.fmt.pix.pixelformat = V4L2_PIX_FMT_MJPEG;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    f.fmt.pix.sizeimage = (uint32_t)(w * h * 2);   /* room for any JPEG of that size */
    f.fmt.pix.colorspace = V4L2_COLORSPACE_SRGB;
    if (ioctl(fd, VIDIOC_S_FMT, &f) != 0) { perror("feed: VIDIOC_S_FMT"); return 1; }
    struct v4l2_streamparm sp;
    memset(&sp, 0, sizeof(sp));
    sp.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    sp.parm.output.timeperframe.numerator = 1;
    sp.parm.output.timeperframe.denominator = (uint32_t)fps;
    ioctl(fd, VIDIOC_S_PARM, &sp);   /* best effort */
    printf("FEED n=%d %dx%d\n", n, w, h);
    fflush(stdout);
    struct timespec period = { 0, 1000000000L / fps };
    if (fps == 1) { period.tv_sec = 1; period.tv_nsec = 0; }
    for (long i = 0;; i++) {
        int which = (int)((i / k) % n);
        if (write(fd, jpg[which], len[which]) != (ssize_t)len[which]) { perror("feed: write"); return 1; }
        nanosleep(&period, NULL);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 6 && !strcmp(argv[1], "feed")) return cmd_feed(argv[2], atoi(argv[3]), atoi(argv[4]), argc - 5, argv + 5);
    if (argc == 6 && !strcmp(argv[1], "resize")) return cmd_resize(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
    if (argc == 4 && !strcmp(argv[1], "strip")) return cmd_strip(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "corrupt")) return cmd_corrupt(argv[2], argv[3]);
    fprintf(stderr, "usage: mkframes resize IN W H OUT.ppm | strip IN.jpg OUT.jpg | corrupt IN.jpg OUT.jpg | feed DEV FPS K A.jpg...\n");
    return 2;
}
