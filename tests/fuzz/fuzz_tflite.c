/* tests/fuzz/fuzz_tflite.c — libFuzzer target for the model loader: models/tflite.c (flatbuffer
 * and flexbuffer reader) and models/detector.c (graph → sc_net, weight packing, arena plan,
 * anchors), through sc_detector_create_mem().
 *
 * Each input is a .tflite file. When it parses, everything tflite.h promises about the result
 * is checked (indices in range, tensor data inside the file and of the announced size, names
 * terminated...). Then a detector is built from it (uint8 path, and the float path for inputs
 * up to 64 KB), and when the network is small (≤ 4 M multiply-adds) it is run once on a fixed
 * picture: the detection count must lie in [0, cap]. A failure must leave an error message.
 * Seeds: tests/fuzz/seeds.sh (the real COCO model and tiny SSD graphs from mktflite.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "models/detector.h"
#include "models/tflite.h"
#include "tests/fuzz/fuzz.h"

static size_t type_bytes(int type)
{
    switch (type) {
    case SC_TFL_FLOAT32: case SC_TFL_INT32: return 4;
    case SC_TFL_UINT8: case SC_TFL_INT8: case SC_TFL_BOOL: return 1;
    case SC_TFL_INT16: case SC_TFL_FLOAT16: return 2;
    case SC_TFL_INT64: return 8;
    default: return 0;
    }
}

/* tflite.h's promises about a parsed model; aborts on the first broken one. */
static void check_model(const sc_tflite_model *m)
{
    if (m->n_tensors < 0 || m->n_ops < 0 || m->n_inputs < 0 || m->n_inputs > SC_TFL_MAX_IO ||
        m->n_outputs < 0 || m->n_outputs > SC_TFL_MAX_IO) abort();
    for (int i = 0; i < m->n_inputs; i++) if (m->inputs[i] < 0 || m->inputs[i] >= m->n_tensors) abort();
    for (int i = 0; i < m->n_outputs; i++) if (m->outputs[i] < 0 || m->outputs[i] >= m->n_tensors) abort();
    for (int i = 0; i < m->n_tensors; i++) {
        const sc_tfl_tensor *t = &m->tensors[i];
        if (!t->name || t->n_dims < 0 || t->n_dims > SC_TFL_MAX_DIMS) abort();
        (void)strlen(t->name);   /* ASan catches a missing terminator */
        for (int d = 0; d < t->n_dims; d++) if (t->dims[d] < 0) abort();
        if (t->data) {
            if (t->data < m->file || t->data_bytes > m->file_size ||
                (size_t)(t->data - m->file) > m->file_size - t->data_bytes) abort();
            size_t es = type_bytes(t->type);
            if (es && t->data_bytes != sc_tfl_tensor_elems(t) * es) abort();
            volatile uint8_t sink = 0;   /* touch the first and last byte */
            if (t->data_bytes) sink = (uint8_t)(t->data[0] ^ t->data[t->data_bytes - 1]);
            (void)sink;
        }
        if (t->quantized && !(t->scale > 0.0f)) abort();
    }
    for (int i = 0; i < m->n_ops; i++) {
        const sc_tfl_op *op = &m->ops[i];
        if (!op->op_name || !op->op_name[0] || !op->custom_name) abort();
        (void)strlen(op->custom_name);
        if (op->n_inputs < 0 || op->n_inputs > SC_TFL_MAX_IO || op->n_outputs < 0 ||
            op->n_outputs > SC_TFL_MAX_IO) abort();
        for (int k = 0; k < op->n_inputs; k++)
            if (op->inputs[k] < -1 || op->inputs[k] >= m->n_tensors) abort();
        for (int k = 0; k < op->n_outputs; k++)
            if (op->outputs[k] < 0 || op->outputs[k] >= m->n_tensors) abort();
        if (op->stride_w < 1 || op->stride_h < 1 || op->dilation_w < 1 || op->dilation_h < 1) abort();
        if (op->n_new_shape < -1 || op->n_new_shape > SC_TFL_MAX_DIMS) abort();
        if (op->has_postprocess && (op->pp.num_classes < 1 || op->pp.max_detections < 1)) abort();
    }
}

static void try_detector(const uint8_t *data, size_t size, int use_float)
{
    char err[512];
    sc_detector *d = NULL;
    sc_detector_cfg cfg = { .model_path = "fuzz.tflite", .use_float = use_float, .n_threads = 1 };
    sc_status st = sc_detector_create_mem(&cfg, data, size, &d, err, sizeof(err));
    if (st != SC_OK) {
        if (d || !err[0] || strncmp(err, "fuzz.tflite: ", 13) != 0) {
            fprintf(stderr, "failed create: status %d, message '%s'\n", st, err);
            abort();
        }
        return;
    }
    if (!d) abort();
    sc_detector_stats stats;
    sc_detector_get_stats(d, &stats);
    int side = sc_detector_input_size(d);
    if (side < 32 || side > 2048 || sc_detector_num_classes(d) < 1) abort();
    if (stats.macs >= 0 && stats.macs <= 4000000 && stats.arena_bytes <= ((size_t)64 << 20)) {
        sc_image *in = sc_detector_input(d);
        if (!in->data || in->width != side || in->height != side || in->channels != 3) abort();
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side * 3; x++)
                in->data[(size_t)y * in->stride_bytes + (size_t)x] = (uint8_t)(x * 7 + y * 13);
        sc_det dets[16];
        int n = sc_detector_run(d, dets, 16);
        if (n < 0 || n > 16) {
            fprintf(stderr, "detector returned %d detections for a capacity of 16\n", n);
            abort();
        }
    }
    sc_detector_destroy(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sc_log_set_level(SC_LOG_ERROR);   /* keep the fuzzer's output readable */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    sc_tflite_model *m = NULL;
    sc_status st = sc_tflite_parse(data, size, &m, err, sizeof(err));
    if (st != SC_OK) {
        if (m || !err[0]) abort();
        return 0;
    }
    if (!m) abort();
    check_model(m);
    sc_tflite_destroy(m);
    try_detector(data, size, 0);
    if (size <= 65536) try_detector(data, size, 1);
    return 0;
}
