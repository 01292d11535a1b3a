/* tests/model/test_kernels_net.c — the real COCO SSD (../shared/models) with the packed
 * kernels against the scalar references, on three network inputs (testdata/inputs300):
 *   uint8: every layer's output bytes identical for every kernel level this CPU runs (the
 *          packed layouts are shared, so one packed net runs with each table), and the
 *          detections (boxes, scores, classes) of sc_detector_run identical, 1 vs 2 vs 3 threads;
 *   float: the same detections, scores and box corners within 1e-4.
 * Layer by layer: both nets run layer i on their own previous outputs, so the first layer
 * that differs is the one named. */
#include <stdio.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/nn/net.h"
#include "models/detector.h"
#include "tests/harness.h"

static const char *const images[] = { "darknet_dog.ppm", "coral_owl.ppm", "voc_000067.ppm" };
static const char *const levels[] = { "portable", "avx2", "avx512", "neon" };

/* A binary PPM (P6, maxval 255) of exactly w × h into img. */
static int read_ppm(const char *path, sc_image *img)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    int w = 0, h = 0, maxval = 0, ok = fscanf(f, "P6 %d %d %d", &w, &h, &maxval) == 3 && fgetc(f) != EOF;
    ok = ok && w == img->width && h == img->height && maxval == 255;
    for (int y = 0; ok && y < h; y++)
        ok = fread(img->data + (size_t)y * img->stride_bytes, 3, (size_t)w, f) == (size_t)w;
    fclose(f);
    return ok ? 0 : -1;
}

static sc_detector *open_detector(const char *model, int use_float, int threads, int force_ref)
{
    sc_detector_cfg cfg = { .model_path = model, .use_float = use_float, .n_threads = threads, .force_ref = force_ref };
    char err[512] = "";
    sc_detector *d = NULL;
    sc_status st = sc_detector_create(&cfg, &d, err, sizeof(err));
    CHECKF(st == SC_OK, "%s", err);
    return d;
}

static int load_input(sc_detector *d, const char *name)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/testdata/inputs300/%s", sc_test_shared_dir(), name);
    int r = read_ppm(path, sc_detector_input(d));
    CHECKF(r == 0, "cannot read %s as a 300x300 PPM", path);
    return r;
}

/* Runs both nets layer by layer; returns the number of layers whose outputs differ
 * (uint8: any byte; f32 tensors: NMSE above 1e-6), naming the first. */
static int compare_layers(sc_net *ref_net, const sc_kernels *ref_k, sc_net *net, const sc_kernels *k,
                          const char *what, int *n_packed)
{
    int n = sc_net_layer_count(net), differ = 0;
    *n_packed = 0;
    for (int i = 0; i < n; i++) {
        sc_net_run_layer(ref_net, ref_k, NULL, i);
        sc_net_run_layer(net, k, NULL, i);
        const sc_nn_layer *l = sc_net_layer(net, i);
        *n_packed += l->packing != SC_PACK_NONE;
        const sc_nn_tensor *t = sc_net_tensor(net, l->out);
        size_t elems = sc_nn_tensor_elems(t);
        const void *a = sc_net_data(ref_net, sc_net_layer(ref_net, i)->out), *b = sc_net_data(net, l->out);
        int bad;
        double nmse = 0;
        if (t->dt == SC_DT_U8) {
            bad = memcmp(a, b, elems) != 0;
        } else {
            double num = 0, den = 0;
            for (size_t e = 0; e < elems; e++) {
                double x = ((const float *)a)[e], y = ((const float *)b)[e];
                num += (x - y) * (x - y);
                den += x * x;
            }
            nmse = den > 0 ? num / den : num;
            bad = !(nmse <= 1e-6);
        }
        if (bad && !differ++)
            fprintf(stderr, "%s: layer %d (%s) differs first (nmse %.3g)\n", what, i, t->name, nmse);
    }
    return differ;
}

int main(void)
{
    char model[600];
    snprintf(model, sizeof(model), "%s/models/ssd_mobilenet_v1_coco_quant/detect.tflite", sc_test_shared_dir());
    sc_kernels ref_k, best_k;
    sc_kernels_init(&ref_k, 1);
    sc_kernels_init(&best_k, 0);
    printf("best kernels here: %s\n", best_k.isa);

    for (int use_float = 0; use_float <= 1; use_float++) {
        sc_detector *ref = open_detector(model, use_float, 1, 1);
        sc_detector *fast = open_detector(model, use_float, 2, 0);
        sc_detector *fast1 = use_float ? NULL : open_detector(model, 0, 1, 0);
        sc_detector *fast3 = use_float ? NULL : open_detector(model, 0, 3, 0);
        if (!ref || !fast || (!use_float && (!fast1 || !fast3))) {
            sc_detector_destroy(ref);
            sc_detector_destroy(fast);
            sc_detector_destroy(fast1);
            sc_detector_destroy(fast3);
            continue;
        }
        for (size_t im = 0; im < SC_ARRAY_LEN(images); im++) {
            if (load_input(ref, images[im]) || load_input(fast, images[im])) continue;
            /* Per layer, for every level (the float path converts its input inside
             * sc_detector_run, so it is compared on the whole run below). */
            if (!use_float) {
                for (size_t lv = 0; lv < SC_ARRAY_LEN(levels); lv++) {
                    sc_kernels k;
                    if (sc_kernels_init_isa(&k, levels[lv]) != 0) continue;
                    char what[128];
                    snprintf(what, sizeof(what), "uint8 %s %s", levels[lv], images[im]);
                    int n_packed = 0, differ = compare_layers(sc_detector_net(ref), &ref_k, sc_detector_net(fast), &k, what, &n_packed);
                    CHECKF(differ == 0, "%s: %d layers differ from the references", what, differ);
                    CHECKF(n_packed >= 30, "%s: only %d layers packed", what, n_packed);
                }
                /* the layer runs reused the arena, input included: load it again */
                if (load_input(ref, images[im]) || load_input(fast, images[im]) || load_input(fast1, images[im]) ||
                    load_input(fast3, images[im]))
                    continue;
            }
            sc_det a[100], b[100], c[100], e[100];
            memset(a, 0, sizeof(a));
            memset(b, 0, sizeof(b));
            memset(c, 0, sizeof(c));
            memset(e, 0, sizeof(e));
            int na = sc_detector_run(ref, a, 100), nb = sc_detector_run(fast, b, 100);
            CHECK(na > 0);
            if (!use_float) {
                int nc = sc_detector_run(fast1, c, 100);
                CHECKF(na == nb && memcmp(a, b, sizeof(a)) == 0, "%s: detections differ (ref %d, %s 2 threads %d)",
                       images[im], na, best_k.isa, nb);
                CHECKF(nb == nc && memcmp(b, c, sizeof(b)) == 0, "%s: 1 vs 2 threads differ", images[im]);
                int ne = sc_detector_run(fast3, e, 100);
                CHECKF(nb == ne && memcmp(b, e, sizeof(b)) == 0, "%s: 2 vs 3 threads differ", images[im]);
            } else {
                /* same boxes in the same order, scores within float rounding */
                int same = na == nb;
                for (int i = 0; same && i < na; i++)
                    same = a[i].class_id == b[i].class_id && fabsf(a[i].score - b[i].score) <= 1e-4f &&
                           fabsf(a[i].ymin - b[i].ymin) <= 1e-4f && fabsf(a[i].xmax - b[i].xmax) <= 1e-4f;
                CHECKF(same, "%s float: detections differ beyond rounding (ref %d, %s %d)", images[im], na, best_k.isa, nb);
            }
        }
        sc_detector_destroy(ref);
        sc_detector_destroy(fast);
        sc_detector_destroy(fast1);
        sc_detector_destroy(fast3);
    }
    return sc_test_finish();
}
