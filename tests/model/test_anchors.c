/* tests/model/test_anchors.c — the anchors models/ssd.c generates for a 300×300 input against
 * the constant anchor tensor inside the real detect.tflite (third input of
 * TFLite_Detection_PostProcess: uint8 [1917,4] = ycenter, xcenter, h, w, quantised), and the
 * post-process options our sc_ssd_pp assumes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/ssd.h"
#include "models/tflite.h"
#include "tests/harness.h"

static const sc_tfl_op *find_postprocess(const sc_tflite_model *m)
{
    for (int i = 0; i < m->n_ops; i++) {
        const sc_tfl_op *op = &m->ops[i];
        if (op->builtin == SC_TFL_OP_CUSTOM && strcmp(op->custom_name, "TFLite_Detection_PostProcess") == 0)
            return op;
    }
    return NULL;
}

int main(void)
{
    char path[600], err[512] = "";
    snprintf(path, sizeof(path), "%s/models/ssd_mobilenet_v1_coco_quant/detect.tflite",
             sc_test_shared_dir());
    sc_tflite_model *m = NULL;
    sc_status st = sc_tflite_load(path, &m, err, sizeof(err));
    CHECKF(st == SC_OK, "%s", err);
    if (!m) return sc_test_finish();

    const sc_tfl_op *op = find_postprocess(m);
    CHECK(op != NULL);
    if (!op) goto done;
    CHECK_EQ_INT(op->n_inputs, 3);
    CHECK(op->has_postprocess);
    /* The settings sc_ssd_pp implements (fast NMS, one class per detection). */
    CHECK_EQ_INT(op->pp.use_regular_nms, 0);
    CHECK_EQ_INT(op->pp.max_classes_per_detection, 1);
    CHECK_EQ_INT(op->pp.num_classes, 90);
    CHECK_EQ_INT(op->pp.max_detections, 10);
    CHECK_NEAR(op->pp.y_scale, 10, 0);
    CHECK_NEAR(op->pp.x_scale, 10, 0);
    CHECK_NEAR(op->pp.h_scale, 5, 0);
    CHECK_NEAR(op->pp.w_scale, 5, 0);
    CHECK_NEAR(op->pp.nms_iou_threshold, 0.6, 1e-6);
    CHECK(op->pp.nms_iou_threshold > 0.0f && op->pp.nms_iou_threshold <= 1.0f);

    const sc_tfl_tensor *t = &m->tensors[op->inputs[2]];
    CHECK_EQ_INT(t->type, SC_TFL_UINT8);
    CHECK_EQ_INT(t->n_dims, 2);
    CHECK(t->data != NULL);
    CHECK(t->quantized);
    if (t->type != SC_TFL_UINT8 || t->n_dims != 2 || !t->data || !t->quantized ||
        t->dims[1] != 4)
        goto done;
    const int n_file = t->dims[0];
    CHECK_EQ_INT(n_file, 1917);
    CHECK(t->data_bytes == (size_t)n_file * 4);
    printf("file anchors: %d, scale %.9g, zero point %d\n", n_file, (double)t->scale,
           (int)t->zero_point);

    sc_ssd_anchor_cfg cfg;
    sc_ssd_anchor_cfg_default(&cfg);
    int fh[SC_SSD_MAX_MAPS], fw[SC_SSD_MAX_MAPS], n = 0;
    CHECK(sc_ssd_feature_map_sizes(300, 300, cfg.n_maps, fh, fw) == SC_OK);
    static sc_anchor gen[1917];
    CHECK(sc_ssd_anchors_generate(&cfg, fh, fw, gen, 1917, &n) == SC_OK);
    CHECK_EQ_INT(n, n_file);
    if (n != n_file) goto done;

    /* Dequantise as TFLite does: (q - zero_point) · scale, in float. */
    const char *names[4] = { "ycenter", "xcenter", "h", "w" };
    double max_err[4] = { 0 };
    int worst[4] = { 0 };
    for (int i = 0; i < n; i++) {
        const float g[4] = { gen[i].yc, gen[i].xc, gen[i].h, gen[i].w };
        for (int k = 0; k < 4; k++) {
            const float f = ((float)t->data[4 * i + k] - (float)t->zero_point) * t->scale;
            const double e = fabs((double)f - (double)g[k]);
            if (e > max_err[k]) {
                max_err[k] = e;
                worst[k] = i;
            }
        }
    }
    /* Requantising the generated table (round to nearest) should give the file's bytes. */
    int byte_diff = 0;
    for (int i = 0; i < n; i++) {
        const float g[4] = { gen[i].yc, gen[i].xc, gen[i].h, gen[i].w };
        for (int k = 0; k < 4; k++) {
            const long q = lround((double)g[k] / t->scale) + t->zero_point;
            byte_diff += q != (long)t->data[4 * i + k];
        }
    }
    printf("requantised generated anchors: %d of %d bytes differ from the file\n", byte_diff, 4 * n);
    CHECK_EQ_INT(byte_diff, 0);
    /* Snapped to the file's grid, the generated table is the file's, bit for bit. */
    static sc_anchor snapped[1917];
    memcpy(snapped, gen, sizeof(snapped));
    sc_ssd_anchors_quantize(snapped, n, t->scale, t->zero_point);
    int float_diff = 0;
    for (int i = 0; i < n; i++) {
        const float g[4] = { snapped[i].yc, snapped[i].xc, snapped[i].h, snapped[i].w };
        for (int k = 0; k < 4; k++) {
            const float f = ((float)t->data[4 * i + k] - (float)t->zero_point) * t->scale;
            float_diff += memcmp(&f, &g[k], sizeof(f)) != 0;
        }
    }
    CHECK_EQ_INT(float_diff, 0);
    double max_all = 0;
    for (int k = 0; k < 4; k++) {
        printf("%-8s max |file - generated| = %.6f (%.3f steps) at anchor %d\n", names[k],
               max_err[k], max_err[k] / t->scale, worst[k]);
        if (max_err[k] > max_all) max_all = max_err[k];
    }
    printf("max error %.6f, one quantisation step %.6f\n", max_all, (double)t->scale);
    /* Within one quantisation step (the brief's bound); rounding to nearest would give half. */
    CHECKF(max_all <= t->scale, "max error %.6f > step %.6f", max_all, (double)t->scale);
    CHECK(max_all < 0.0065);
    CHECKF(max_all <= 0.5 * t->scale + 1e-6, "max error %.6f > half a step", max_all);

done:
    sc_tflite_destroy(m);
    return sc_test_finish();
}
