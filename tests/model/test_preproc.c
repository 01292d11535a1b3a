/* tests/model/test_preproc.c — our decode + resize of the reference photos against the exact
 * network inputs Pillow 9.4 made (shared/testdata/inputs300/NAME.ppm), the loader's error
 * handling on missing, corrupt and truncated files, PNG round trips, and — when python3 with
 * PIL is installed — the resizer against Pillow itself on random images.
 *
 *  - BMP decoding is exact, so decode + resize must reproduce the reference byte for byte.
 *  - JPEG through libjpeg-turbo (the default when ssdcam is built with it): the same library
 *    and settings as Pillow's, so decode + resize must reproduce the reference byte for byte.
 *  - JPEG through stb_image (the fallback; checked in every build): stb is not libjpeg-turbo
 *    (IDCT, chroma upsampling), so the 300×300 inputs differ slightly; the per-photo max/mean
 *    differences are printed and bounded. */
#define _XOPEN_SOURCE 700   /* mkdtemp */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image_write.h>   /* only to make a JPEG with the standard Huffman tables */

#include "app/image_io.h"
#include "app/jpeg_turbo.h"
#include "core/image.h"
#include "tests/harness.h"

/* Bounds for stb_image vs libjpeg-turbo after the resize to 300×300, per photo. Measured on
 * the 19 reference JPEGs (see the printed table): mean |diff| 0.007..0.17 levels, max 2
 * levels, no sample off by more than 2. The bounds leave a margin but catch a wrong resize
 * or colour conversion (a point-sampled bilinear resize gives means of several levels, a
 * swapped channel tens). */
#define JPEG_MAX_MEAN_ABS 0.3
#define JPEG_MAX_ABS 4
#define JPEG_MAX_FRAC_OFF_BY_MORE_THAN_2 0.001

static char tmpdir[256];

static int write_all(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f) return 0;
    ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* A minimal binary PPM/PGM reader (P6 or P5, maxval 255), independent of stb. */
static int read_pnm(const char *path, sc_image *img)
{
    size_t len, pos = 2;
    uint8_t *buf = (uint8_t *)sc_test_read_file(path, &len);
    long v[3];
    int ch;
    memset(img, 0, sizeof(*img));
    if (!buf || len < 3 || buf[0] != 'P' || (buf[1] != '6' && buf[1] != '5')) { free(buf); return 0; }
    ch = buf[1] == '6' ? 3 : 1;
    for (int i = 0; i < 3; i++) {
        while (pos < len && (buf[pos] == ' ' || buf[pos] == '\n' || buf[pos] == '\r' ||
                             buf[pos] == '\t' || buf[pos] == '#')) {
            if (buf[pos] == '#') while (pos < len && buf[pos] != '\n') pos++;
            else pos++;
        }
        v[i] = 0;
        while (pos < len && buf[pos] >= '0' && buf[pos] <= '9') v[i] = v[i] * 10 + (buf[pos++] - '0');
    }
    pos++;                                         /* the single whitespace after maxval */
    if (v[2] != 255 || v[0] <= 0 || v[1] <= 0 || v[0] > 100000 || v[1] > 100000 ||
        len - pos < (size_t)(v[0] * v[1] * ch) ||
        sc_image_init(img, (int)v[0], (int)v[1], ch) != SC_OK) {
        free(buf);
        return 0;
    }
    memcpy(img->data, buf + pos, (size_t)(v[0] * v[1] * ch));
    free(buf);
    return 1;
}

static int write_pnm(const char *path, const sc_image *img)
{
    FILE *f = fopen(path, "wb");
    int ok = 1;
    if (!f) return 0;
    fprintf(f, "P%c\n%d %d\n255\n", img->channels == 3 ? '6' : '5', img->width, img->height);
    for (int y = 0; y < img->height; y++)
        ok &= fwrite(img->data + (size_t)y * img->stride_bytes, 1,
                     (size_t)img->width * img->channels, f) == (size_t)img->width * img->channels;
    return fclose(f) == 0 && ok;
}

static int resize_to(const sc_image *src, int w, int h, sc_image *dst)
{
    sc_resizer *r = NULL;
    memset(dst, 0, sizeof(*dst));
    if (sc_resizer_create(src->width, src->height, w, h, src->channels, &r) != SC_OK) return 0;
    if (sc_image_init(dst, w, h, src->channels) != SC_OK) { sc_resizer_destroy(r); return 0; }
    sc_resizer_run(r, src, dst);
    sc_resizer_destroy(r);
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every photo in testdata/images: decode, resize to 300×300, compare with inputs300. */
static void test_photos(const char *td)
{
    char dir[1024], path[2048], ref_path[2048];
    char *names[64];
    int n = 0, n_jpeg = 0, bmp_seen = 0, n_exact = 0;
    const int turbo = sc_jpeg_backend_default() == SC_JPEG_TURBO;
    double worst_mean = 0;
    int worst_max = 0;
    DIR *d;
    struct dirent *e;

    snprintf(dir, sizeof(dir), "%s/images", td);
    d = opendir(dir);
    CHECKF(d != NULL, "cannot open %s", dir);
    if (!d) return;
    while ((e = readdir(d)) && n < 64) {
        const char *dot = strrchr(e->d_name, '.');
        if (dot && (strcmp(dot, ".jpg") == 0 || strcmp(dot, ".bmp") == 0))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
    CHECK_EQ_INT(n, 20);

    printf("%-24s %9s %6s %8s %8s\n", "photo", "size", "max", "mean", ">2 (%)");
    for (int i = 0; i < n; i++) {
        sc_image img, out, ref;
        char err[512] = "";
        const int is_bmp = strstr(names[i], ".bmp") != NULL;
        size_t over2 = 0, total = 0;
        long long sum = 0;
        int maxd = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(ref_path, sizeof(ref_path), "%s/inputs300/%.*s.ppm", td,
                 (int)(strrchr(names[i], '.') - names[i]), names[i]);
        sc_status st = sc_image_load(path, &img, err, sizeof(err));
        CHECKF(st == SC_OK, "%s", err);
        CHECKF(read_pnm(ref_path, &ref), "cannot read %s", ref_path);
        if (st != SC_OK || !ref.data) { sc_image_fini(&ref); continue; }
        CHECK(img.channels == 3 && img.width > 0 && img.height > 0);
        CHECK(ref.width == 300 && ref.height == 300 && ref.channels == 3);
        CHECK(resize_to(&img, 300, 300, &out));
        total = (size_t)300 * 300 * 3;
        for (size_t k = 0; k < total; k++) {
            int dd = abs((int)out.data[k] - (int)ref.data[k]);
            sum += dd;
            if (dd > maxd) maxd = dd;
            over2 += dd > 2;
        }
        const double mean = (double)sum / (double)total;
        printf("%-24s %4dx%-4d %6d %8.4f %8.4f\n", names[i], img.width, img.height, maxd, mean,
               100.0 * (double)over2 / (double)total);
        if (is_bmp) {
            bmp_seen = 1;
            CHECKF(memcmp(out.data, ref.data, total) == 0,
                   "%s: decode + resize must equal Pillow's bytes (max diff %d)", names[i], maxd);
        } else if (turbo) {
            n_jpeg++;
            n_exact += maxd == 0;
            CHECKF(memcmp(out.data, ref.data, total) == 0,
                   "%s: libjpeg-turbo decode + resize must equal Pillow's bytes (max diff %d)", names[i], maxd);
            /* stb_image, the fallback, on the same file: within its tolerance */
            size_t flen;
            uint8_t *file = (uint8_t *)sc_test_read_file(path, &flen);
            sc_image simg, sout;
            CHECK(file && sc_image_load_mem_with(file, flen, names[i], SC_JPEG_STB, &simg, err, sizeof(err)) == SC_OK);
            free(file);
            if (simg.data && resize_to(&simg, 300, 300, &sout)) {
                long long ssum = 0;
                int smax = 0;
                size_t sover2 = 0;
                for (size_t k = 0; k < total; k++) {
                    int dd = abs((int)sout.data[k] - (int)ref.data[k]);
                    ssum += dd;
                    if (dd > smax) smax = dd;
                    sover2 += dd > 2;
                }
                const double smean = (double)ssum / (double)total;
                CHECKF(smean <= JPEG_MAX_MEAN_ABS && smax <= JPEG_MAX_ABS &&
                       (double)sover2 / (double)total <= JPEG_MAX_FRAC_OFF_BY_MORE_THAN_2,
                       "%s: stb_image mean %.4f max %d", names[i], smean, smax);
                if (smean > worst_mean) worst_mean = smean;
                if (smax > worst_max) worst_max = smax;
                sc_image_fini(&sout);
            }
            sc_image_fini(&simg);
        } else {
            n_jpeg++;
            CHECKF(mean <= JPEG_MAX_MEAN_ABS, "%s: mean |diff| %.4f", names[i], mean);
            CHECKF(maxd <= JPEG_MAX_ABS, "%s: max |diff| %d", names[i], maxd);
            CHECKF((double)over2 / (double)total <= JPEG_MAX_FRAC_OFF_BY_MORE_THAN_2,
                   "%s: %.4f%% of samples off by more than 2", names[i],
                   100.0 * (double)over2 / (double)total);
            if (mean > worst_mean) worst_mean = mean;
            if (maxd > worst_max) worst_max = maxd;
        }
        sc_image_fini(&img);
        sc_image_fini(&out);
        sc_image_fini(&ref);
    }
    printf("JPEG decoder %s: %d photos", sc_jpeg_backend_name(SC_JPEG_AUTO), n_jpeg);
    if (turbo) printf(", %d byte-identical with Pillow after the resize", n_exact);
    printf("; stb_image vs libjpeg-turbo (Pillow), after resize: worst mean %.4f, worst max %d\n", worst_mean,
           worst_max);
    if (turbo) CHECK_EQ_INT(n_exact, 19);
    CHECK(worst_mean > 0);   /* stb is measurably not libjpeg-turbo: the comparison can fail */
    CHECK(bmp_seen);
    CHECK_EQ_INT(n_jpeg, 19);
    for (int i = 0; i < n; i++) free(names[i]);

    /* The PPM path of the loader reads the reference inputs exactly. */
    sc_image a, b;
    char err[512];
    snprintf(ref_path, sizeof(ref_path), "%s/inputs300/darknet_dog.ppm", td);
    CHECK(read_pnm(ref_path, &a));
    CHECKF(sc_image_load(ref_path, &b, err, sizeof(err)) == SC_OK, "%s", err);
    CHECK(a.data && b.data && memcmp(a.data, b.data, 300 * 300 * 3) == 0);
    sc_image_fini(&a);
    sc_image_fini(&b);
}

/* A load that must fail: a non-OK status, a zeroed image, a message naming the file. */
static void expect_fail(const char *path, sc_status want, const char *why)
{
    sc_image img;
    char err[512] = "";
    memset(&img, 0x5A, sizeof(img));
    sc_status st = sc_image_load(path, &img, err, sizeof(err));
    if (want) CHECKF(st == want, "%s: %s: got %s (%s)", why, path, sc_status_str(st), err);
    else CHECKF(st != SC_OK, "%s: %s loaded", why, path);
    CHECK(img.data == NULL && img.width == 0);
    CHECKF(strstr(err, path) != NULL, "%s: message '%s' does not name the file", why, err);
    if (st == SC_OK) sc_image_fini(&img);
}

static void make_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Truncations of a valid file: all must fail cleanly (checked under ASan/UBSan in CI). */
/* An empty IDAT chunk (valid PNG) before the first IDAT with data is refused with a message
 * (stb_image 2.27 computes NULL + 0 for it: image_io.c png_idat_ok); after it, the picture
 * loads unchanged. png holds one IDAT chunk after IHDR (as stb_image_write writes it). */
static void empty_idat(const uint8_t *png, size_t len, const sc_image *want)
{
    static const uint8_t empty[12] = { 0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E };
    size_t idat = 8 + 25;                                 /* signature, IHDR chunk */
    size_t idat_len = (size_t)png[idat] << 24 | png[idat + 1] << 16 | png[idat + 2] << 8 | png[idat + 3];
    SC_ASSERT(memcmp(png + idat + 4, "IDAT", 4) == 0 && idat + 12 + idat_len <= len);
    uint8_t *buf = malloc(len + 12);
    SC_ASSERT(buf);
    char err[256] = "";
    sc_image img;
    for (int before = 0; before < 2; before++) {
        size_t at = before ? idat : idat + 12 + idat_len;
        memcpy(buf, png, at);
        memcpy(buf + at, empty, 12);
        memcpy(buf + at + 12, png + at, len - at);
        sc_status st = sc_image_load_mem(buf, len + 12, "idat.png", &img, err, sizeof(err));
        if (before) {
            CHECKF(st == SC_E_FORMAT && strstr(err, "idat.png") && strstr(err, "IDAT"),
                   "empty IDAT first: %s (%s)", sc_status_str(st), err);
        } else {
            CHECKF(st == SC_OK, "empty IDAT after the data: %s", err);
            CHECK(st != SC_OK || (img.width == want->width && img.height == want->height &&
                                  memcmp(img.data, want->data, (size_t)want->width * want->height * 3) == 0));
        }
        if (st == SC_OK) sc_image_fini(&img);
    }
    free(buf);
}

/* An OS/2 1.x BMP (12-byte core header) of img: 24-bit, bottom-up, rows padded to 4 bytes.
 * Returns the malloc'ed file and its length in *len. */
static uint8_t *os2_bmp24(const sc_image *img, size_t *len)
{
    size_t row = ((size_t)img->width * 3 + 3) / 4 * 4, n = 26 + row * (size_t)img->height;
    uint8_t *b = calloc(1, n);
    SC_ASSERT(b);
    b[0] = 'B', b[1] = 'M';
    b[2] = (uint8_t)n, b[3] = (uint8_t)(n >> 8), b[4] = (uint8_t)(n >> 16), b[5] = (uint8_t)(n >> 24);
    b[10] = 26, b[14] = 12;
    b[18] = (uint8_t)img->width, b[19] = (uint8_t)(img->width >> 8);
    b[20] = (uint8_t)img->height, b[21] = (uint8_t)(img->height >> 8);
    b[22] = 1, b[24] = 24;
    for (int y = 0; y < img->height; y++) {
        const uint8_t *src = img->data + (size_t)(img->height - 1 - y) * img->stride_bytes;
        uint8_t *dst = b + 26 + (size_t)y * row;
        for (int x = 0; x < img->width; x++)
            dst[3 * x] = src[3 * x + 2], dst[3 * x + 1] = src[3 * x + 1], dst[3 * x + 2] = src[3 * x];
    }
    *len = n;
    return b;
}

/* OS/2 BMPs with a palette: stb_image 2.27 takes four entries fewer than the file holds
 * (image_io.c bmp_header), so pixels using only the first ones decode, a pixel using one of
 * the last four is refused (stb would colour it from uninitialised memory), and so is a file
 * whose pixel offset leaves no palette (tests/fuzz/regress/image/stb227_os2_bmp_no_palette.bmp). */
static void os2_palette(void)
{
    /* 2×2, 8 bits, 8 palette entries (stb takes 4): entry i is (10i, 20i, 30i) as BGR */
    uint8_t f[50 + 8] = { 'B', 'M', 58, 0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 0, 12, 0, 0, 0, 2, 0, 2, 0, 1, 0, 8, 0 };
    for (int i = 0; i < 8; i++) f[26 + 3 * i] = (uint8_t)(30 * i), f[27 + 3 * i] = (uint8_t)(20 * i), f[28 + 3 * i] = (uint8_t)(10 * i);
    static const uint8_t px[8] = { 3, 1, 0, 0, 0, 2, 0, 0 };   /* bottom row 3 1, top row 0 2 */
    memcpy(f + 50, px, 8);
    sc_image img;
    char err[256] = "";
    CHECKF(sc_image_load_mem(f, sizeof(f), "os2.bmp", &img, err, sizeof(err)) == SC_OK, "%s", err);
    static const int want[4] = { 0, 2, 3, 1 };                   /* top-down */
    int ok = img.data && img.width == 2 && img.height == 2;
    for (int i = 0; ok && i < 4; i++) {
        const uint8_t *q = img.data + (size_t)(i / 2) * img.stride_bytes + 3 * (i % 2);
        ok = q[0] == 10 * want[i] && q[1] == 20 * want[i] && q[2] == 30 * want[i];
    }
    CHECK(ok);
    if (img.data) sc_image_fini(&img);
    f[51] = 5;                                                   /* one of the last four entries */
    sc_status st = sc_image_load_mem(f, sizeof(f), "os2.bmp", &img, err, sizeof(err));
    CHECKF(st == SC_E_FORMAT && strstr(err, "os2.bmp") && strstr(err, "palette"), "%s (%s)", sc_status_str(st), err);
    f[51] = 1;
    f[10] = 26;                                                  /* pixels right after the header */
    st = sc_image_load_mem(f, sizeof(f), "os2.bmp", &img, err, sizeof(err));
    CHECKF(st == SC_E_FORMAT && strstr(err, "os2.bmp"), "no palette: %s (%s)", sc_status_str(st), err);
}

static void truncations(const char *label, const uint8_t *data, size_t len, const char *ext,
                        size_t tail_ok)
{
    const size_t cuts[] = { 1, 2, 3, 10, 30, 100, 200, len / 4, len / 2, len * 3 / 4,
                            len - 100, len - 10, len - 2, len - 1 };
    char path[512], name[64], why[128];
    for (size_t i = 0; i < SC_ARRAY_LEN(cuts); i++) {
        if (cuts[i] == 0 || cuts[i] >= len) continue;
        snprintf(name, sizeof(name), "trunc_%s_%zu.%s", label, cuts[i], ext);
        make_path(path, sizeof(path), name);
        if (!write_all(path, data, cuts[i])) { CHECK(0); continue; }
        snprintf(why, sizeof(why), "%s cut to %zu of %zu bytes", label, cuts[i], len);
        if (len - cuts[i] < tail_ok) {
            /* Only a trailer without pixel data is cut: it may load, then in full. */
            sc_image img, full;
            char err[512];
            if (sc_image_load(path, &img, err, sizeof(err)) == SC_OK) {
                CHECK(sc_image_load_mem(data, len, label, &full, err, sizeof(err)) == SC_OK);
                CHECKF(full.data && img.width == full.width && img.height == full.height &&
                       memcmp(img.data, full.data, img.stride_bytes * img.height) == 0, "%s", why);
                sc_image_fini(&full);
                sc_image_fini(&img);
            }
        } else {
            expect_fail(path, 0, why);
        }
        unlink(path);
    }
}

/* Random byte damage must never crash; a decode that still succeeds must have the right size. */
static void corruptions(const char *label, const uint8_t *data, size_t len, int w, int h)
{
    uint8_t *copy = malloc(len);
    uint32_t seed = 99;
    int ok_count = 0, fail_count = 0, same_size = 0;
    SC_ASSERT(copy);
    for (int round = 0; round < 40; round++) {
        sc_image img;
        char err[512] = "";
        memcpy(copy, data, len);
        /* damage 1..16 bytes, half the rounds inside the first 1 KiB (headers) */
        int nhits = 1 + round % 16;
        for (int k = 0; k < nhits; k++) {
            seed = seed * 1664525u + 1013904223u;
            size_t at = (round & 1) ? (seed >> 8) % (len < 1024 ? len : 1024) : (seed >> 8) % len;
            if (at < 3) at = 3;                       /* keep the magic so stb gets to decode */
            copy[at] ^= (uint8_t)(1 + (seed >> 24) % 255);
        }
        sc_status st = sc_image_load_mem(copy, len, label, &img, err, sizeof(err));
        if (st == SC_OK) {
            ok_count++;
            CHECK(img.channels == 3 && img.data != NULL);
            /* Damage in the header may change the size; it still passed the limits. */
            CHECKF(img.width > 0 && img.width <= SC_IMAGE_MAX_SIDE && img.height > 0 &&
                   img.height <= SC_IMAGE_MAX_SIDE, "%s: decoded as %dx%d", label, img.width,
                   img.height);
            same_size += img.width == w && img.height == h;
            sc_image_fini(&img);
        } else {
            fail_count++;
            CHECKF(strstr(err, label) != NULL && img.data == NULL, "%s: '%s'", label, err);
        }
    }
    printf("%s: 40 damaged copies: %d decoded (%d at the original size), %d refused\n", label,
           ok_count, same_size, fail_count);
    free(copy);
}

static void test_errors(const char *td)
{
    char path[512], src[1024];
    uint8_t *jpg, *bmp;
    size_t jlen, blen;

    make_path(path, sizeof(path), "does_not_exist.jpg");
    expect_fail(path, SC_E_IO, "missing file");
    expect_fail(tmpdir, SC_E_IO, "directory");
    make_path(path, sizeof(path), "empty.jpg");
    CHECK(write_all(path, "", 0));
    expect_fail(path, SC_E_FORMAT, "empty file");
    make_path(path, sizeof(path), "text.jpg");
    CHECK(write_all(path, "hello, this is not an image\n", 28));
    expect_fail(path, SC_E_UNSUPPORTED, "text file");
    make_path(path, sizeof(path), "ascii.ppm");
    CHECK(write_all(path, "P3\n1 1\n255\n1 2 3\n", 17));
    expect_fail(path, SC_E_UNSUPPORTED, "ASCII PPM");

    /* Headers announcing absurd sizes are refused before anything is allocated. */
    uint8_t big_png[] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0, 0, 0x2E, 0xE0, 0, 0, 0x2E, 0xE0, 8, 2, 0, 0, 0, 0, 0, 0, 0,      /* 12000×12000 */
    };
    make_path(path, sizeof(path), "huge.png");
    CHECK(write_all(path, big_png, sizeof(big_png)));
    expect_fail(path, SC_E_RANGE, "144 Mpixel PNG header");
    big_png[18] = 0x4E, big_png[19] = 0x20, big_png[22] = 0, big_png[23] = 1;  /* 20000×1 */
    CHECK(write_all(path, big_png, sizeof(big_png)));
    expect_fail(path, SC_E_RANGE, "20000-wide PNG header");
    uint8_t wide_bmp[54] = { 'B', 'M' };
    wide_bmp[10] = 54;                                  /* pixel offset */
    wide_bmp[14] = 40;                                  /* BITMAPINFOHEADER */
    wide_bmp[18] = 0x01; wide_bmp[19] = 0x00; wide_bmp[20] = 0x01;  /* width 65537 */
    wide_bmp[22] = 2;                                   /* height 2 */
    wide_bmp[26] = 1;                                   /* planes */
    wide_bmp[28] = 24;                                  /* bpp */
    make_path(path, sizeof(path), "wide.bmp");
    CHECK(write_all(path, wide_bmp, sizeof(wide_bmp)));
    expect_fail(path, SC_E_RANGE, "65537-wide BMP header");

    sc_image img;
    char err[256];
    CHECK_EQ_INT(sc_image_load_mem(NULL, 0, "nothing", &img, err, sizeof(err)), SC_E_FORMAT);
    CHECK(strstr(err, "nothing") != NULL);
    CHECK_EQ_INT(sc_image_load_mem("x", 1, NULL, &img, NULL, 0), SC_E_UNSUPPORTED);

    snprintf(src, sizeof(src), "%s/images/darknet_dog.jpg", td);
    jpg = (uint8_t *)sc_test_read_file(src, &jlen);
    snprintf(src, sizeof(src), "%s/images/coral_grace_hopper.bmp", td);
    bmp = (uint8_t *)sc_test_read_file(src, &blen);
    CHECK(jpg && bmp);
    if (jpg && bmp) {
        truncations("jpeg", jpg, jlen, "jpg", 0);
        truncations("bmp", bmp, blen, "bmp", 0);
        corruptions("damaged.jpg", jpg, jlen, 768, 576);
        corruptions("damaged.bmp", bmp, blen, 512, 600);

        /* PNG and PPM made from the BMP: exact round trips, then truncations. */
        sc_image pic, back;
        CHECKF(sc_image_load_mem(bmp, blen, "bmp", &pic, err, sizeof(err)) == SC_OK, "%s", err);
        make_path(path, sizeof(path), "round.png");
        CHECKF(sc_image_save_png(path, &pic, err, sizeof(err)) == SC_OK, "%s", err);
        CHECKF(sc_image_load(path, &back, err, sizeof(err)) == SC_OK, "%s", err);
        CHECK(back.data && back.width == 512 && back.height == 600 &&
              memcmp(back.data, pic.data, (size_t)512 * 600 * 3) == 0);
        sc_image_fini(&back);
        size_t plen;
        uint8_t *png = (uint8_t *)sc_test_read_file(path, &plen);
        if (png) truncations("png", png, plen, "png", 12);   /* IEND */
        if (png) empty_idat(png, plen, &pic);
        free(png);
        make_path(path, sizeof(path), "round.ppm");
        CHECK(write_pnm(path, &pic));
        CHECKF(sc_image_load(path, &back, err, sizeof(err)) == SC_OK, "%s", err);
        CHECK(back.data && memcmp(back.data, pic.data, (size_t)512 * 600 * 3) == 0);
        sc_image_fini(&back);
        uint8_t *ppm = (uint8_t *)sc_test_read_file(path, &plen);
        if (ppm) truncations("ppm", ppm, plen, "ppm", 0);
        free(ppm);
        /* The OS/2 1.x kind of BMP: exact round trip, then truncations. */
        uint8_t *os2 = os2_bmp24(&pic, &plen);
        CHECKF(sc_image_load_mem(os2, plen, "os2.bmp", &back, err, sizeof(err)) == SC_OK, "%s", err);
        CHECK(back.data && back.width == 512 && back.height == 600 &&
              memcmp(back.data, pic.data, (size_t)512 * 600 * 3) == 0);
        if (back.data) sc_image_fini(&back);
        truncations("os2bmp", os2, plen, "bmp", 0);
        free(os2);
        os2_palette();
        make_path(path, sizeof(path), "no_such_dir/out.png");
        CHECK_EQ_INT(sc_image_save_png(path, &pic, err, sizeof(err)), SC_E_IO);
        CHECK(strstr(err, path) != NULL);
        sc_image_fini(&pic);
    }
    free(jpg);
    free(bmp);

    /* Grey and RGBA PNGs become RGB: grey is replicated, alpha dropped. */
    sc_image g, rgba, back;
    SC_ASSERT(sc_image_init(&g, 3, 2, 1) == SC_OK && sc_image_init(&rgba, 3, 2, 4) == SC_OK);
    for (int i = 0; i < 6; i++) g.data[i] = (uint8_t)(40 * i + 7);
    for (int i = 0; i < 24; i++) rgba.data[i] = (uint8_t)(11 * i);
    make_path(path, sizeof(path), "grey.png");
    CHECK(sc_image_save_png(path, &g, err, sizeof(err)) == SC_OK);
    CHECKF(sc_image_load(path, &back, err, sizeof(err)) == SC_OK, "%s", err);
    int ok = back.data && back.channels == 3;
    for (int i = 0; ok && i < 6; i++)
        ok = back.data[3 * i] == g.data[i] && back.data[3 * i + 1] == g.data[i] &&
             back.data[3 * i + 2] == g.data[i];
    CHECK(ok);
    sc_image_fini(&back);
    make_path(path, sizeof(path), "rgba.png");
    CHECK(sc_image_save_png(path, &rgba, err, sizeof(err)) == SC_OK);
    CHECKF(sc_image_load(path, &back, err, sizeof(err)) == SC_OK, "%s", err);
    ok = back.data && back.channels == 3;
    for (int i = 0; ok && i < 6; i++)
        ok = memcmp(back.data + 3 * i, rgba.data + 4 * i, 3) == 0;
    CHECK(ok);
    sc_image_fini(&back);
    sc_image_fini(&g);
    sc_image_fini(&rgba);

    /* A 2×1 GIF (first frame only) and its truncations. */
    static const uint8_t gif[] = {
        'G', 'I', 'F', '8', '9', 'a', 2, 0, 1, 0, 0x80, 0, 0,      /* 2×1, 2-colour table */
        255, 0, 0, 0, 0, 255,                                       /* red, blue */
        0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0,                            /* image descriptor */
        2, 2, 0x44, 0x0A, 0, 0x3B,                                  /* LZW: clear 0 1 end */
    };
    CHECKF(sc_image_load_mem(gif, sizeof(gif), "tiny.gif", &back, err, sizeof(err)) == SC_OK,
           "%s", err);
    CHECK(back.data && back.width == 2 && back.height == 1);
    if (back.data) {
        const uint8_t want[6] = { 255, 0, 0, 0, 0, 255 };
        CHECKF(memcmp(back.data, want, 6) == 0, "gif pixels %d %d %d / %d %d %d", back.data[0],
               back.data[1], back.data[2], back.data[3], back.data[4], back.data[5]);
    }
    sc_image_fini(&back);
    for (size_t cut = 1; cut < sizeof(gif) - 1; cut++) {
        char name[32];
        snprintf(name, sizeof(name), "gif[%zu]", cut);
        sc_status st = sc_image_load_mem(gif, cut, name, &back, err, sizeof(err));
        CHECKF(st != SC_OK && strstr(err, name), "GIF cut to %zu bytes: %s", cut, err);
        if (st == SC_OK) sc_image_fini(&back);
    }
}

typedef struct membuf {
    uint8_t *data;
    size_t len, cap;
} membuf;

static void membuf_write(void *ctx, void *data, int size)
{
    membuf *m = ctx;
    if (size <= 0 || !m->data || m->len + (size_t)size > m->cap) return;
    memcpy(m->data + m->len, data, (size_t)size);
    m->len += (size_t)size;
}

/* Motion-JPEG frames usually carry no Huffman tables (DHT); the loader must supply the
 * standard ones. A JPEG written with those tables decodes the same with its DHT removed. */
static void test_mjpeg_without_dht(const char *td)
{
    char src[1024], err[512];
    sc_image pic, a, b;
    membuf jpg = { malloc((size_t)4 << 20), 0, (size_t)4 << 20 };
    snprintf(src, sizeof(src), "%s/images/coral_grace_hopper.bmp", td);
    CHECKF(sc_image_load(src, &pic, err, sizeof(err)) == SC_OK, "%s", err);
    if (!pic.data || !jpg.data) { sc_image_fini(&pic); free(jpg.data); return; }
    for (int q = 50; q <= 95; q += 45) {                   /* 4:2:0 and 4:4:4 */
        jpg.len = 0;
        CHECK(stbi_write_jpg_to_func(membuf_write, &jpg, pic.width, pic.height, 3, pic.data, q));
        CHECKF(sc_image_load_mem(jpg.data, jpg.len, "with-dht", &a, err, sizeof(err)) == SC_OK,
               "%s", err);
        /* Remove every DHT segment (FF C4 + length) before the scan. */
        uint8_t *stripped = malloc(jpg.len);
        size_t i = 2, o = 2, removed = 0;
        memcpy(stripped, jpg.data, 2);
        while (i + 4 <= jpg.len && jpg.data[i] == 0xFF && jpg.data[i + 1] != 0xDA) {
            size_t seg = 2 + ((size_t)jpg.data[i + 2] << 8 | jpg.data[i + 3]);
            if (jpg.data[i + 1] == 0xC4) removed++;
            else { memcpy(stripped + o, jpg.data + i, seg); o += seg; }
            i += seg;
        }
        memcpy(stripped + o, jpg.data + i, jpg.len - i);
        o += jpg.len - i;
        CHECK(removed >= 1);
        CHECKF(sc_image_load_mem(stripped, o, "no-dht", &b, err, sizeof(err)) == SC_OK, "%s", err);
        CHECKF(a.data && b.data && a.width == b.width && a.height == b.height &&
               memcmp(a.data, b.data, a.stride_bytes * a.height) == 0,
               "quality %d: decoding without DHT differs", q);
        free(stripped);
        sc_image_fini(&a);
        sc_image_fini(&b);
    }
    sc_image_fini(&pic);
    free(jpg.data);
}

/* When python3 with PIL is available: our resizer vs Pillow's Image.resize(BILINEAR) on
 * random RGB and grey images of awkward sizes, byte for byte. */
static const char pil_script[] =
    "import sys\n"
    "from PIL import Image\n"
    "d = sys.argv[1]\n"
    "for line in open(d + '/cases.txt'):\n"
    "    name, w, h = line.split()\n"
    "    im = Image.open(d + '/' + name + '.in.pnm')\n"
    "    im.resize((int(w), int(h)), Image.BILINEAR).save(d + '/' + name + '.out.pnm')\n";

static const char *find_pil_python(void)
{
    static const char *const cands[] = { "/usr/bin/python3", "python3" };
    const char *env = getenv("SC_PYTHON");
    char cmd[512];
    if (env && *env) {
        snprintf(cmd, sizeof(cmd), "%s -c 'import PIL' >/dev/null 2>&1", env);
        return system(cmd) == 0 ? env : NULL;
    }
    for (size_t i = 0; i < SC_ARRAY_LEN(cands); i++) {
        snprintf(cmd, sizeof(cmd), "%s -c 'import PIL' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0) return cands[i];
    }
    return NULL;
}

static void test_against_pil(void)
{
    static const int cases[][5] = {   /* src w, h, dst w, h, channels */
        { 640, 480, 300, 300, 3 }, { 300, 300, 640, 480, 3 }, { 1, 1, 5, 3, 3 },
        { 7, 5, 1, 1, 3 },         { 1, 37, 9, 4, 3 },        { 37, 1, 4, 9, 1 },
        { 301, 299, 300, 300, 3 }, { 299, 301, 300, 300, 1 }, { 100, 100, 300, 7, 3 },
        { 13, 11, 13, 29, 3 },     { 13, 11, 29, 11, 1 },     { 1280, 720, 300, 300, 3 },
        { 333, 77, 211, 123, 3 },  { 2, 2, 300, 300, 1 },     { 1000, 3, 7, 3, 3 },
        { 5, 997, 5, 300, 1 },
    };
    const char *py = find_pil_python();
    char path[512], cmd[1024];
    if (!py) {
        printf("SKIP: comparison with Pillow (no python3 with PIL; apt-get install python3-pil)\n");
        return;
    }
    uint32_t seed = 4242;
    make_path(path, sizeof(path), "cases.txt");
    FILE *list = fopen(path, "w");
    CHECK(list != NULL);
    if (!list) return;
    for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
        sc_image src;
        char name[32];
        SC_ASSERT(sc_image_init(&src, cases[i][0], cases[i][1], cases[i][4]) == SC_OK);
        /* Smooth-ish random content (a random walk) with some pure noise rows. */
        for (int y = 0; y < src.height; y++) {
            int v = 128;
            for (int x = 0; x < src.width * src.channels; x++) {
                seed = seed * 1664525u + 1013904223u;
                v += (int)(seed >> 28) - 8;
                v = v < 0 ? 0 : v > 255 ? 255 : v;
                src.data[(size_t)y * src.stride_bytes + x] = (y % 7 == 3) ? (uint8_t)(seed >> 24)
                                                                          : (uint8_t)v;
            }
        }
        snprintf(name, sizeof(name), "case%02zu", i);
        snprintf(path, sizeof(path), "%s/%s.in.pnm", tmpdir, name);
        CHECK(write_pnm(path, &src));
        fprintf(list, "%s %d %d\n", name, cases[i][2], cases[i][3]);
        sc_image_fini(&src);
    }
    fclose(list);
    make_path(path, sizeof(path), "resize.py");
    CHECK(write_all(path, pil_script, sizeof(pil_script) - 1));
    snprintf(cmd, sizeof(cmd), "%s %s %s", py, path, tmpdir);
    int rc = system(cmd);
    CHECKF(rc == 0, "%s failed (%d)", cmd, rc);
    if (rc != 0) return;
    int exact = 0;
    for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
        sc_image src, ref, out;
        snprintf(path, sizeof(path), "%s/case%02zu.in.pnm", tmpdir, i);
        CHECK(read_pnm(path, &src));
        snprintf(path, sizeof(path), "%s/case%02zu.out.pnm", tmpdir, i);
        CHECK(read_pnm(path, &ref));
        if (!src.data || !ref.data) { sc_image_fini(&src); sc_image_fini(&ref); continue; }
        CHECK(resize_to(&src, cases[i][2], cases[i][3], &out));
        size_t n = (size_t)cases[i][2] * cases[i][3] * cases[i][4], diff = 0;
        for (size_t k = 0; k < n; k++) diff += out.data[k] != ref.data[k];
        CHECKF(ref.width == cases[i][2] && ref.height == cases[i][3] && diff == 0,
               "%dx%d -> %dx%d (%d ch): %zu of %zu bytes differ from Pillow", cases[i][0],
               cases[i][1], cases[i][2], cases[i][3], cases[i][4], diff, n);
        exact += diff == 0;
        sc_image_fini(&src);
        sc_image_fini(&ref);
        sc_image_fini(&out);
    }
    printf("Pillow (%s): %d of %zu random resizes byte-identical\n", py, exact,
           SC_ARRAY_LEN(cases));
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[1024];
    if (!d) return;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(tmpdir);
}

int main(void)
{
    char td[512];
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/sc_preproc_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(td, sizeof(td), "%s/testdata", sc_test_shared_dir());
    test_photos(td);
    test_errors(td);
    test_mjpeg_without_dht(td);
    test_against_pil();
    remove_tmpdir();
    return sc_test_finish();
}
