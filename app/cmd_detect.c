/* app/cmd_detect.c — `ssdcam detect IMAGE...`: still images through the detector, JSON out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmds.h"
#include "app/json_out.h"
#include "app/image_io.h"
#include "app/paths.h"
#include "core/clock.h"
#include "core/draw.h"
#include "core/image.h"
#include "core/log.h"
#include "models/detector.h"
#include "models/labels.h"

#define MAX_DETS 100
#define MAX_ALLOW 128

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ssdcam detect [OPTIONS] IMAGE...\n"
        "Detect objects in still images (JPEG, PNG, BMP, PPM, GIF) and print one JSON object per image.\n\n"
        "  --model PATH       .tflite model (default: assets/" SC_DEFAULT_MODEL_REL ")\n"
        "  --labels PATH      label map (default: labelmap.txt beside the model)\n"
        "  --threshold T      minimum score, 0..1 (default 0.5)\n"
        "  --all              every detection the model returns (threshold 0)\n"
        "  --size N           network input side in pixels (default: the model's, 300)\n"
        "  --rho R            resolution multiplier: input side = round(300·R) (0 < R <= 1)\n"
        "  --classes A,B,...  only these class names\n"
        "  --max N            at most N detections per image (default: the model's, 10)\n"
        "  --threads N        worker threads (default: one per core)\n"
        "  --float            run the dequantised float32 network instead of uint8 arithmetic\n"
        "  --draw OUT.png     save the picture with boxes and labels (with several images:\n"
        "                     OUT is a directory and each picture is saved as OUT/NAME.png)\n"
        "  --format F         json (default: JSON Lines, boxes in source pixels) or compare\n"
        "                     (one object keyed by image name, for testdata/compare.py)\n"
        "exit codes: 0 ok, 2 usage, 3 model, 4 an image could not be read (the others are still done)\n");
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

typedef struct opts {
    const char *model, *labels, *draw, *format;
    float threshold;
    int size, max, threads, use_float;
    char allow_buf[1024];
    const char *allow[MAX_ALLOW];
    int n_allow;
} opts;

static int parse_num(const char *name, const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || x < lo || x > hi) {
        sc_log_error("detect: %s '%s': expected a number from %g to %g", name, v, lo, hi);
        return 0;
    }
    *out = x;
    return 1;
}

static int allowed(const opts *o, const char *label)
{
    if (!o->n_allow) return 1;
    for (int i = 0; i < o->n_allow; i++)
        if (!strcmp(o->allow[i], label)) return 1;
    return 0;
}

static int clampi(float v, int hi) { int x = (int)(v + 0.5f); return x < 0 ? 0 : x > hi ? hi : x; }

int sc_cmd_detect(int argc, char **argv)
{
    opts o = { .format = "json", .threshold = 0.5f };
    char model_buf[4096], labels_buf[4096];
    const char **images = calloc((size_t)argc, sizeof(char *));
    int n_images = 0;
    if (!images) return SC_EXIT_FAIL;
    int rc = SC_EXIT_USAGE;
    sc_detector *det = NULL;
    sc_labels *labels = NULL;
    sc_resizer *rs = NULL;
    sc_image img = { 0 };
    int rs_w = 0, rs_h = 0, first = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double x;
        int has_val = i + 1 < argc;
#define VAL(name) (has_val ? argv[++i] : (sc_log_error("detect: %s needs a value", name), (char *)NULL))
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); rc = SC_EXIT_OK; goto out; }
        else if (!strcmp(a, "--model")) { if (!(o.model = VAL(a))) goto out; }
        else if (!strcmp(a, "--labels")) { if (!(o.labels = VAL(a))) goto out; }
        else if (!strcmp(a, "--draw")) { if (!(o.draw = VAL(a))) goto out; }
        else if (!strcmp(a, "--format")) {
            if (!(o.format = VAL(a))) goto out;
            if (strcmp(o.format, "json") && strcmp(o.format, "compare")) {
                sc_log_error("detect: --format '%s': expected json or compare", o.format);
                goto out;
            }
        }
        else if (!strcmp(a, "--threshold")) { const char *v = VAL(a); if (!v || !parse_num(a, v, 0, 1, &x)) goto out; o.threshold = (float)x; }
        else if (!strcmp(a, "--all")) o.threshold = 0;
        else if (!strcmp(a, "--size")) { const char *v = VAL(a); if (!v || !parse_num(a, v, 32, 2048, &x)) goto out; o.size = (int)x; }
        else if (!strcmp(a, "--rho")) { const char *v = VAL(a); if (!v || !parse_num(a, v, 0.1, 1, &x)) goto out; o.size = (int)(300 * x + 0.5); }
        else if (!strcmp(a, "--max")) { const char *v = VAL(a); if (!v || !parse_num(a, v, 1, MAX_DETS, &x)) goto out; o.max = (int)x; }
        else if (!strcmp(a, "--threads")) { const char *v = VAL(a); if (!v || !parse_num(a, v, 1, 64, &x)) goto out; o.threads = (int)x; }
        else if (!strcmp(a, "--float")) o.use_float = 1;
        else if (!strcmp(a, "--classes")) {
            const char *v = VAL(a);
            if (!v) goto out;
            snprintf(o.allow_buf, sizeof(o.allow_buf), "%s", v);
            for (char *tok = strtok(o.allow_buf, ","); tok && o.n_allow < MAX_ALLOW; tok = strtok(NULL, ","))
                o.allow[o.n_allow++] = tok;
        }
        else if (a[0] == '-' && a[1]) { sc_log_error("detect: unknown option '%s' (see `ssdcam detect --help`)", a); goto out; }
        else images[n_images++] = a;
#undef VAL
    }
    if (!n_images) { sc_log_error("detect: no image given (see `ssdcam detect --help`)"); goto out; }

    if (!o.model) {
        if (!sc_find_asset(SC_DEFAULT_MODEL_REL, model_buf, sizeof(model_buf)))
            sc_log_warn("detect: default model not found at %s (run scripts/run.sh, or pass --model)", model_buf);
        o.model = model_buf;
    }
    if (!o.labels) {
        sc_sibling_path(o.model, "labelmap.txt", labels_buf, sizeof(labels_buf));
        o.labels = labels_buf;
    }

    char err[512];
    sc_detector_cfg dc = { .model_path = o.model, .input_size = o.size, .use_float = o.use_float, .n_threads = o.threads };
    if (sc_detector_create(&dc, &det, err, sizeof(err))) {
        sc_log_error("%s", err);
        rc = SC_EXIT_MODEL;
        goto out;
    }
    if (sc_labels_load(o.labels, 1, &labels)) { rc = SC_EXIT_MODEL; goto out; }
    for (int i = 0; i < o.n_allow; i++)
        if (sc_labels_find(labels, o.allow[i]) < 0)
            sc_log_warn("detect: --classes: '%s' is not a label of %s", o.allow[i], o.labels);
    int size = sc_detector_input_size(det);
    rc = SC_EXIT_OK;
    int compare = !strcmp(o.format, "compare");
    if (compare) printf("{");

    for (int k = 0; k < n_images; k++) {
        sc_image_fini(&img);
        if (sc_image_load(images[k], &img, err, sizeof(err))) {
            sc_log_error("%s", err);
            rc = SC_EXIT_INPUT;
            continue;
        }
        if (!rs || rs_w != img.width || rs_h != img.height) {
            sc_resizer_destroy(rs);
            rs = NULL;
            if (sc_resizer_create(img.width, img.height, size, size, 3, &rs)) {
                sc_log_error("detect: %s: cannot resize %dx%d to %dx%d", images[k], img.width, img.height, size, size);
                rc = SC_EXIT_FAIL;
                continue;
            }
            rs_w = img.width;
            rs_h = img.height;
        }
        int64_t t0 = sc_now_ns();
        sc_resizer_run(rs, &img, sc_detector_input(det));
        int64_t t1 = sc_now_ns();
        sc_det dets[MAX_DETS];
        int n = sc_detector_run(det, dets, MAX_DETS);
        int64_t t2 = sc_now_ns();

        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (dets[i].score < o.threshold) continue;
            if (!allowed(&o, sc_labels_name(labels, dets[i].class_id))) continue;
            if (o.max && kept >= o.max) break;
            dets[kept++] = dets[i];
        }

        if (compare) {
            printf("%s", first ? "\n " : ",\n ");
            sc_json_str(stdout, base_name(images[k]));
            printf(": [");
            for (int i = 0; i < kept; i++) {
                const sc_det *d = &dets[i];
                printf("%s{\"class_index\": %d, \"label\": ", i ? ", " : "", d->class_id);
                sc_json_str(stdout, sc_labels_name(labels, d->class_id));
                printf(", \"score\": %.6f, \"box_ymin_xmin_ymax_xmax\": [%.6f, %.6f, %.6f, %.6f]}",
                       d->score, d->ymin, d->xmin, d->ymax, d->xmax);
            }
            printf("]");
        } else {
            printf("{\"image\": ");
            sc_json_str(stdout, images[k]);
            printf(", \"width\": %d, \"height\": %d, \"model\": ", img.width, img.height);
            sc_json_str(stdout, base_name(o.model));
            printf(", \"input_size\": %d, \"resize_ms\": %.3f, \"detect_ms\": %.3f, \"detections\": [",
                   size, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
            for (int i = 0; i < kept; i++) {
                const sc_det *d = &dets[i];
                printf("%s{\"label\": ", i ? ", " : "");
                sc_json_str(stdout, sc_labels_name(labels, d->class_id));
                printf(", \"class_id\": %d, \"score\": %.4f, \"box\": [%d, %d, %d, %d], "
                       "\"box_norm\": [%.5f, %.5f, %.5f, %.5f]}",
                       d->class_id, d->score,
                       clampi(d->xmin * img.width, img.width), clampi(d->ymin * img.height, img.height),
                       clampi(d->xmax * img.width, img.width), clampi(d->ymax * img.height, img.height),
                       d->ymin, d->xmin, d->ymax, d->xmax);
            }
            printf("]}\n");
        }
        first = 0;
        fflush(stdout);

        if (o.draw) {
            char out_path[4096];
            if (n_images == 1) snprintf(out_path, sizeof(out_path), "%s", o.draw);
            else snprintf(out_path, sizeof(out_path), "%s/%s.png", o.draw, base_name(images[k]));
            int thick = SC_MAX(2, (img.width + img.height) / 400);
            int scale = SC_MAX(1, (img.width + img.height) / 700);
            for (int i = kept - 1; i >= 0; i--) {   /* the best box drawn last, on top */
                const sc_det *d = &dets[i];
                sc_draw_detection(&img, clampi(d->xmin * img.width, img.width), clampi(d->ymin * img.height, img.height),
                                  clampi(d->xmax * img.width, img.width), clampi(d->ymax * img.height, img.height),
                                  d->class_id, sc_labels_name(labels, d->class_id), d->score, thick, scale);
            }
            if (sc_image_save_png(out_path, &img, err, sizeof(err))) {
                sc_log_error("%s", err);
                rc = SC_EXIT_FAIL;
            }
        }
    }
    if (compare) printf("\n}\n");

out:
    sc_image_fini(&img);
    sc_resizer_destroy(rs);
    sc_labels_destroy(labels);
    sc_detector_destroy(det);
    free(images);
    return rc;
}
