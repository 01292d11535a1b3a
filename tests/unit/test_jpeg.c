/* tests/unit/test_jpeg.c — the JPEG decoders (app/jpeg_turbo.h, the frame decoder of
 * app/image_io.h) on the real photos of ../shared/testdata/images: libjpeg-turbo against
 * stb_image, frames stripped of their Huffman tables as webcams send them, DCT-domain scaling
 * (sizes, scale choice, the picture it gives), the corrupt-data policy (damage refused in
 * strict mode and counted, padding accepted), and no buffer allocation per frame. Built with
 * or without libjpeg-turbo: without it, the stb_image paths are checked and the libjpeg-turbo
 * ones report SC_E_UNSUPPORTED. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/image_io.h"
#include "app/jpeg_turbo.h"
#include "app/mjpeg.h"
#include "core/image.h"
#include "tests/harness.h"

#define MAX_PHOTOS 32

typedef struct photo {
    char name[64];
    uint8_t *data, *stripped;
    size_t n, sn;
    int w, h;
} photo;

static photo photos[MAX_PHOTOS];
static int n_photos;

static int cmp_str(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static void load_photos(void)
{
    char dir[512], path[1024], names[MAX_PHOTOS][64];
    int n = 0;
    snprintf(dir, sizeof(dir), "%s/testdata/images", sc_test_shared_dir());
    DIR *d = opendir(dir);
    CHECKF(d != NULL, "%s: %s", dir, strerror(errno));
    if (!d) return;
    for (struct dirent *e; (e = readdir(d)) && n < MAX_PHOTOS;) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < 64 && !strcmp(e->d_name + l - 4, ".jpg")) snprintf(names[n++], 64, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 64, cmp_str);
    for (int i = 0; i < n; i++) {
        photo *p = &photos[n_photos];
        sc_mjpeg_info info;
        snprintf(p->name, sizeof(p->name), "%.63s", names[i]);
        snprintf(path, sizeof(path), "%.511s/%.63s", dir, names[i]);
        if (!(p->data = (uint8_t *)sc_test_read_file(path, &p->n))) continue;
        if (sc_mjpeg_check(p->data, p->n, 0, 0, 4, &info) != SC_MJPEG_OK) continue;
        p->w = info.width;
        p->h = info.height;
        p->stripped = malloc(p->n);
        p->sn = sc_mjpeg_strip_dht(p->data, p->n, p->stripped, p->n);
        n_photos++;
    }
    CHECKF(n_photos == 19, "%d JPEG photos", n_photos);
}

static int same_pixels(const sc_image *a, const sc_image *b)
{
    if (a->width != b->width || a->height != b->height || a->channels != b->channels) return 0;
    for (int y = 0; y < a->height; y++)
        if (memcmp(a->data + y * a->stride_bytes, b->data + y * b->stride_bytes, (size_t)a->width * a->channels))
            return 0;
    return 1;
}

static double mean_abs_diff(const sc_image *a, const sc_image *b, int *maxd)
{
    long long sum = 0;
    *maxd = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width * 3; x++) {
            int d = abs(a->data[y * a->stride_bytes + x] - b->data[y * b->stride_bytes + x]);
            sum += d;
            if (d > *maxd) *maxd = d;
        }
    return (double)sum / ((double)a->width * a->height * 3);
}

static int resize300(const sc_image *src, sc_image *dst)
{
    sc_resizer *r = NULL;
    memset(dst, 0, sizeof(*dst));
    if (sc_image_init(dst, 300, 300, 3) != SC_OK) return 0;
    if (sc_resizer_create(src->width, src->height, 300, 300, 3, &r) != SC_OK) return 0;
    sc_resizer_run(r, src, dst);
    sc_resizer_destroy(r);
    return 1;
}

/* The scale rule against a brute-force reading of "smallest power-of-two M/8 still >= the
 * minimum". */
static void test_pick_scale(void)
{
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(1280, 720, 300, 300), 4);   /* 640x360 */
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(640, 480, 300, 300), 8);    /* 5/8 = 400x300 is not used */
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(1920, 1080, 300, 300), 4);  /* 960x540 (2/8 is 480x270) */
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(2560, 1440, 300, 300), 2);  /* 640x360 */
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(4000, 3000, 300, 300), 1);  /* 500x375 */
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(300, 300, 300, 300), 8);
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(299, 500, 300, 300), 8);    /* too small: full */
    CHECK_EQ_INT(sc_jpeg_turbo_pick_scale(1280, 720, 0, 0), 8);
    int bad = 0;
    for (int w = 1; w < 3000; w += 37)
        for (int h = 1; h < 2000; h += 53)
            for (int s = 64; s <= 320; s += 64) {
                int m = sc_jpeg_turbo_pick_scale(w, h, s, s), want = 8;
                for (int k = 8; k >= 1; k /= 2)
                    if ((w * k + 7) / 8 >= s && (h * k + 7) / 8 >= s) want = k;
                bad += m != want;
            }
    CHECK_EQ_INT(bad, 0);
}

/* Full-size libjpeg-turbo decodes: whole and stripped frames give the same pixels when the
 * photo used the standard tables (libjpeg-turbo supplies them); stb_image is close. */
static void test_full_and_stripped(void)
{
    sc_jpeg_decoder *t = NULL, *s = NULL;
    CHECK(sc_jpeg_decoder_create(SC_JPEG_STB, 0, 0, &s) == SC_OK);
    if (!sc_jpeg_turbo_available()) {
        CHECK_EQ_INT(sc_jpeg_decoder_create(SC_JPEG_TURBO, 640, 480, &t), SC_E_UNSUPPORTED);
        CHECK(t == NULL);
        CHECK(sc_jpeg_backend_default() == SC_JPEG_STB);
        printf("SKIP: libjpeg-turbo checks (built without it)\n");
        sc_jpeg_decoder_destroy(s);
        return;
    }
    CHECK(sc_jpeg_decoder_create(SC_JPEG_TURBO, 0, 0, &t) == SC_OK);
    CHECK(t && sc_jpeg_decoder_backend(t) == SC_JPEG_TURBO);
    int n_same = 0, n_std = 0, n_bad_strip = 0;
    double worst_mean = 0;
    int worst_max = 0;
    for (int i = 0; i < n_photos; i++) {
        photo *p = &photos[i];
        char err[256] = "";
        sc_jpeg_frame a, b, c;
        sc_image whole, still;
        CHECKF(sc_jpeg_decoder_run(t, p->data, p->n, 0, 0, &a, err, sizeof(err)) == SC_OK, "%s", err);
        CHECK(a.img.width == p->w && a.img.height == p->h && a.scale_num == 8 && a.src_w == p->w);
        CHECK(sc_image_init(&whole, a.img.width, a.img.height, 3) == SC_OK);
        for (int y = 0; y < a.img.height; y++)
            memcpy(whole.data + y * whole.stride_bytes, a.img.data + y * a.img.stride_bytes, (size_t)a.img.width * 3);
        /* the still-image loader gives the same pixels */
        CHECK(sc_image_load_mem(p->data, p->n, p->name, &still, err, sizeof(err)) == SC_OK);
        CHECKF(same_pixels(&whole, &still), "%s: sc_image_load_mem differs from the frame decoder", p->name);
        sc_image_fini(&still);
        /* stripped of DHT */
        sc_status st = sc_jpeg_decoder_run(t, p->stripped, p->sn, 0, 0, &b, err, sizeof(err));
        int std_tables = st == SC_OK && same_pixels(&whole, &b.img);
        /* stb with its inserted tables must agree with libjpeg-turbo on which photos those are */
        sc_image sb;
        sc_status st2 = sc_image_load_mem_with(p->stripped, p->sn, "s", SC_JPEG_STB, &sb, NULL, 0);
        if (std_tables) {
            n_std++;
            CHECKF(st2 == SC_OK, "%s: stb refuses the stripped frame", p->name);
            if (st2 == SC_OK) {
                int maxd;
                double mean = mean_abs_diff(&whole, &sb, &maxd);
                CHECKF(mean < 0.5 && maxd <= 8, "%s: stb (stripped) vs libjpeg-turbo: mean %.3f max %d", p->name, mean, maxd);
            }
        } else {
            n_bad_strip++;
        }
        if (st2 == SC_OK) sc_image_fini(&sb);
        /* stb on the original vs libjpeg-turbo */
        CHECK(sc_jpeg_decoder_run(s, p->data, p->n, 0, 0, &c, err, sizeof(err)) == SC_OK);
        if (c.img.data) {
            int maxd;
            double mean = mean_abs_diff(&whole, &c.img, &maxd);
            if (mean > worst_mean) worst_mean = mean;
            if (maxd > worst_max) worst_max = maxd;
            n_same += same_pixels(&whole, &c.img);
            CHECK(c.scale_num == 8 && c.warnings == 0);
        }
        sc_image_fini(&whole);
    }
    printf("stb_image vs libjpeg-turbo, full size: %d of %d photos identical, worst mean %.3f, worst max %d\n",
           n_same, n_photos, worst_mean, worst_max);
    printf("stripped frames: %d decode as the original (standard tables), %d do not (optimised tables)\n",
           n_std, n_bad_strip);
    CHECKF(n_std >= 10, "only %d photos decode the same stripped", n_std);
    CHECKF(n_bad_strip >= 1, "every photo decodes the same stripped: the comparison cannot fail?");
    CHECKF(worst_mean > 0 && worst_mean < 0.5 && worst_max <= 8, "stb vs libjpeg-turbo: mean %.3f max %d",
           worst_mean, worst_max);
    sc_jpeg_decoder_destroy(t);
    sc_jpeg_decoder_destroy(s);
}

/* DCT-domain scaling: the documented sizes, M = 8 equal to the full decode, and each scaled
 * picture, resized to the network input, close to the full one resized (same picture). */
static void test_scaled(void)
{
    if (!sc_jpeg_turbo_available()) return;
    sc_jpeg_turbo *d = NULL;
    CHECK(sc_jpeg_turbo_create(1400, 1000, &d) == SC_OK);
    if (!d) return;
    int checked = 0;
    double worst[9] = { 0 };
    for (int i = 0; i < n_photos; i++) {
        photo *p = &photos[i];
        sc_jpeg_turbo_result full, r;
        sc_image ref = { 0 };
        CHECK(sc_jpeg_turbo_decode(d, p->data, p->n, 0, 0, 1, 16384, 100000000, p->name, &full, NULL, 0) == SC_OK);
        CHECK(sc_image_init(&ref, full.img.width, full.img.height, 3) == SC_OK);
        memcpy(ref.data, full.img.data, full.img.stride_bytes * (size_t)full.img.height);
        for (int m = 1; m <= 8; m++) {
            /* ask for exactly the size of scale m */
            int ow = (p->w * m + 7) / 8, oh = (p->h * m + 7) / 8;
            char err[256] = "";
            sc_status st = sc_jpeg_turbo_decode(d, p->data, p->n, ow, oh, 1, 16384, 100000000, p->name, &r, err,
                                                sizeof(err));
            int want_m = sc_jpeg_turbo_pick_scale(p->w, p->h, ow, oh);
            CHECKF(st == SC_OK && r.scale_num == want_m && r.img.width == (p->w * want_m + 7) / 8 &&
                   r.img.height == (p->h * want_m + 7) / 8 && r.src_w == p->w && r.src_h == p->h,
                   "%s at %d/8: %s %dx%d (scale %d)", p->name, m, err, r.img.width, r.img.height, r.scale_num);
            if (st != SC_OK) continue;
            if (r.scale_num == 8) {
                CHECK(same_pixels(&r.img, &ref));
                continue;
            }
            if (r.img.width < 300 || r.img.height < 300) continue;   /* the live path never does this */
            /* what the network sees: both resized to 300x300 (Pillow's filter) */
            sc_image small_ref, small;
            CHECK(resize300(&ref, &small_ref) && resize300(&r.img, &small));
            int maxd;
            double mean = mean_abs_diff(&small_ref, &small, &maxd);
            if (mean > worst[r.scale_num]) worst[r.scale_num] = mean;
            checked++;
            CHECKF(mean < 2.0, "%s at %d/8: mean |scaled - full| after the resize to 300x300: %.2f", p->name,
                   r.scale_num, mean);
            sc_image_fini(&small_ref);
            sc_image_fini(&small);
        }
        sc_image_fini(&ref);
    }
    printf("scaled vs full decode, both resized to 300x300, worst mean |diff| per scale:");
    for (int m = 1; m < 8; m *= 2) printf(" %d/8 %.2f", m, worst[m]);
    printf("\n");
    CHECKF(checked >= 2, "%d scaled decodes compared", checked);
    sc_jpeg_turbo_destroy(d);
}

/* The buffer is allocated at create and reused: every frame up to the size given lands at the
 * same address; a larger one makes it grow once, and then it stays. */
static void test_no_alloc_per_frame(void)
{
    if (!sc_jpeg_turbo_available()) return;
    sc_jpeg_decoder *d = NULL;
    const photo *big = NULL;
    for (int i = 0; i < n_photos; i++)
        if (!big || (int64_t)photos[i].w * photos[i].h > (int64_t)big->w * big->h) big = &photos[i];
    CHECK(sc_jpeg_decoder_create(SC_JPEG_TURBO, 800, 600, &d) == SC_OK);
    if (!d || !big) return;
    uint8_t *first = NULL;
    int same = 1, n = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < n_photos; i++) {
            const photo *p = &photos[i];
            sc_jpeg_frame f;
            if ((int64_t)p->w * p->h > 800 * 600) continue;
            CHECK(sc_jpeg_decoder_run(d, p->data, p->n, round == 1 ? 300 : 0, round == 1 ? 300 : 0, &f, NULL, 0) == SC_OK);
            if (!first) first = f.img.data;
            same &= f.img.data == first;
            n++;
        }
    CHECKF(same && n >= 30, "%d frames, buffer moved", n);
    sc_jpeg_frame f;
    CHECK(sc_jpeg_decoder_run(d, big->data, big->n, 0, 0, &f, NULL, 0) == SC_OK);
    uint8_t *grown = f.img.data;
    CHECK(sc_jpeg_decoder_run(d, photos[0].data, photos[0].n, 0, 0, &f, NULL, 0) == SC_OK);
    CHECK(f.img.data == grown);
    CHECK(sc_jpeg_decoder_run(d, big->data, big->n, 0, 0, &f, NULL, 0) == SC_OK);
    CHECK(f.img.data == grown);
    sc_jpeg_decoder_destroy(d);
}

/* Offset of the first byte of entropy-coded data (after the SOS segment). */
static size_t scan_start(const uint8_t *p, size_t n)
{
    for (size_t i = 2; i + 4 < n; i++)
        if (p[i] == 0xFF && p[i + 1] == 0xDA) return i + 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
    return 0;
}

/* The corrupt-data policy (jpeg_turbo.h): damage refused in strict mode (the live path) and
 * kept in lenient mode (stills, like Pillow), padding accepted and counted; random damage
 * never crashes and never returns a picture of the wrong size. */
static void test_corrupt(void)
{
    const photo *p = NULL;
    for (int i = 0; i < n_photos && !p; i++)
        if (photos[i].w == 1280) p = &photos[i];
    CHECK(p != NULL);
    if (!p || !sc_jpeg_turbo_available()) return;
    sc_jpeg_turbo *d = NULL;
    CHECK(sc_jpeg_turbo_create(1280, 720, &d) == SC_OK);
    if (!d) return;
    const size_t n = p->sn, s0 = scan_start(p->stripped, n);
    uint8_t *buf = malloc(n + 64);
    SC_ASSERT(buf);
    sc_jpeg_turbo_result r;
    char err[256];
    CHECK(s0 > 0 && s0 < n / 2);

    /* the clean frame: no warning */
    CHECK(sc_jpeg_turbo_decode(d, p->stripped, n, 0, 0, 1, 16384, 100000000, "clean", &r, NULL, 0) == SC_OK);
    CHECK_EQ_INT(r.warnings, 0);

    /* half the entropy-coded data lost, EOI still there (a frame sc_mjpeg_check passes) */
    size_t cut = s0 + (n - s0) / 2;
    memcpy(buf, p->stripped, cut);
    buf[cut] = 0xFF;
    buf[cut + 1] = 0xD9;
    CHECK(sc_mjpeg_check(buf, cut + 2, 0, 0, 4, NULL) == SC_MJPEG_OK);
    err[0] = 0;
    CHECK_EQ_INT(sc_jpeg_turbo_decode(d, buf, cut + 2, 0, 0, SC_JPEG_TURBO_STRICT, 16384, 100000000, "cut", &r, err,
                                      sizeof(err)), SC_E_FORMAT);
    CHECKF(strstr(err, "cut: ") == err && strstr(err, "Corrupt JPEG data") != NULL, "message '%s'", err);
    CHECK(r.img.data == NULL && r.warnings == 0);
    CHECK(sc_jpeg_turbo_decode(d, buf, cut + 2, 0, 0, 0, 16384, 100000000, "cut", &r, NULL, 0) == SC_OK);
    CHECKF(r.warnings >= 1 && r.img.width == p->w, "lenient: %d warnings", r.warnings);
    /* scaled decodes follow the same policy */
    CHECK_EQ_INT(sc_jpeg_turbo_decode(d, buf, cut + 2, 300, 300, SC_JPEG_TURBO_STRICT, 16384, 100000000, "cut", &r,
                                      NULL, 0), SC_E_FORMAT);
    /* the frame decoder of the live path is strict */
    sc_jpeg_decoder *fd = NULL;
    sc_jpeg_frame f;
    CHECK(sc_jpeg_decoder_create(SC_JPEG_TURBO, 1280, 720, &fd) == SC_OK);
    CHECK_EQ_INT(sc_jpeg_decoder_run(fd, buf, cut + 2, 300, 300, &f, NULL, 0), SC_E_FORMAT);
    CHECK(sc_jpeg_decoder_run(fd, p->stripped, n, 300, 300, &f, NULL, 0) == SC_OK &&
          f.scale_num == sc_jpeg_turbo_pick_scale(p->w, p->h, 300, 300) && f.scale_num < 8);
    /* the still loader keeps the damaged picture, as Pillow does */
    sc_image img;
    CHECK(sc_image_load_mem(buf, cut + 2, "cut", &img, NULL, 0) == SC_OK);
    sc_image_fini(&img);

    /* padding before EOI ("N extraneous bytes before marker 0xd9", common from webcams) */
    memcpy(buf, p->stripped, n - 2);
    memset(buf + n - 2, 0, 40);
    buf[n + 38] = 0xFF;
    buf[n + 39] = 0xD9;
    CHECK(sc_jpeg_turbo_decode(d, buf, n + 40, 0, 0, SC_JPEG_TURBO_STRICT, 16384, 100000000, "pad", &r, NULL, 0) == SC_OK);
    CHECKF(r.warnings == 1 && r.img.width == p->w && r.img.height == p->h, "padded: %d warnings", r.warnings);
    CHECK(sc_jpeg_decoder_run(fd, buf, n + 40, 0, 0, &f, NULL, 0) == SC_OK && f.warnings == 1);

    /* not a JPEG, empty, a header only */
    CHECK_EQ_INT(sc_jpeg_turbo_decode(d, "abcdefgh", 8, 0, 0, 1, 16384, 100000000, "txt", &r, NULL, 0), SC_E_FORMAT);
    CHECK_EQ_INT(sc_jpeg_turbo_decode(d, buf, 0, 0, 0, 1, 16384, 100000000, "empty", &r, NULL, 0), SC_E_FORMAT);
    CHECK(sc_jpeg_turbo_decode(d, p->stripped, s0, 0, 0, 1, 16384, 100000000, "hdr", &r, NULL, 0) != SC_OK);
    /* size limits are checked on the header */
    err[0] = 0;
    CHECK_EQ_INT(sc_jpeg_turbo_decode(d, p->stripped, n, 0, 0, 1, 600, 100000000, "big", &r, err, sizeof(err)),
                 SC_E_RANGE);
    CHECK(strstr(err, "too large") != NULL);
    CHECK_EQ_INT(sc_jpeg_turbo_decode(d, p->stripped, n, 0, 0, 1, 16384, 1000, "big", &r, NULL, 0), SC_E_RANGE);

    /* random damage: never a crash (ASan/UBSan in CI), OK results have the right size */
    uint32_t seed = 7;
    int ok = 0, refused = 0, wrong = 0;
    for (int round = 0; round < 200; round++) {
        memcpy(buf, p->stripped, n);
        for (int k = 0; k < 1 + round % 8; k++) {
            seed = seed * 1664525u + 1013904223u;
            size_t at = round & 1 ? s0 + (seed >> 8) % (n - s0 - 2) : 2 + (seed >> 8) % (s0 - 2);
            buf[at] ^= (uint8_t)(1 + (seed >> 24) % 255);
        }
        sc_status st = sc_jpeg_turbo_decode(d, buf, n, round % 3 ? 300 : 0, round % 3 ? 300 : 0,
                                            round & 2 ? SC_JPEG_TURBO_STRICT : 0, 16384, 100000000, "rnd", &r, NULL, 0);
        if (st == SC_OK) {
            ok++;
            wrong += r.img.width <= 0 || r.img.height <= 0 || !r.img.data;
        } else {
            refused++;
        }
    }
    printf("200 damaged frames: %d decoded, %d refused\n", ok, refused);
    CHECK(wrong == 0 && ok > 0 && refused > 0);
    /* and the decoder is still fine afterwards */
    CHECK(sc_jpeg_turbo_decode(d, p->stripped, n, 0, 0, 1, 16384, 100000000, "again", &r, NULL, 0) == SC_OK &&
          r.warnings == 0);
    sc_jpeg_decoder_destroy(fd);
    sc_jpeg_turbo_destroy(d);
    free(buf);
}

int main(void)
{
    printf("JPEG decoder: %s (libjpeg-turbo %s)\n", sc_jpeg_backend_name(SC_JPEG_AUTO),
           sc_jpeg_turbo_available() ? "built in" : "not built");
    load_photos();
    test_pick_scale();
    test_full_and_stripped();
    test_scaled();
    test_no_alloc_per_frame();
    test_corrupt();
    for (int i = 0; i < n_photos; i++) {
        free(photos[i].data);
        free(photos[i].stripped);
    }
    return sc_test_finish();
}
