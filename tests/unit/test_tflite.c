/* tests/unit/test_tflite.c — models/tflite.c: the real COCO SSD model's contents (figures
 * checked against an independent Python walk of the flatbuffer), hand-built flatbuffers for
 * exact error messages and the flexbuffer decoder, then truncations and seeded corruptions that
 * must fail cleanly (run under ASan+UBSan too). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/tflite.h"
#include "tests/harness.h"

/* ------------------------------------------------------------------ helpers */

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    uint8_t *buf = NULL;
    long n = -1;
    if (fseek(fp, 0, SEEK_END) == 0) n = ftell(fp);
    if (n > 0 && fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
        fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *size = n > 0 ? (size_t)n : 0;
    return buf;
}

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

/* Everything tflite.h promises about a successfully parsed model. Returns 1 when it holds. */
static int model_invariants(const sc_tflite_model *m)
{
    if (!m || m->n_tensors < 0 || m->n_ops < 0) return 0;
    if (m->n_inputs < 0 || m->n_inputs > SC_TFL_MAX_IO || m->n_outputs < 0 || m->n_outputs > SC_TFL_MAX_IO) return 0;
    for (int i = 0; i < m->n_inputs; i++) if (m->inputs[i] < 0 || m->inputs[i] >= m->n_tensors) return 0;
    for (int i = 0; i < m->n_outputs; i++) if (m->outputs[i] < 0 || m->outputs[i] >= m->n_tensors) return 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const sc_tfl_tensor *t = &m->tensors[i];
        if (!t->name || t->n_dims < 0 || t->n_dims > SC_TFL_MAX_DIMS) return 0;
        (void)strlen(t->name);   /* ASan catches a missing terminator */
        for (int d = 0; d < t->n_dims; d++) if (t->dims[d] < 0) return 0;
        if (t->data) {
            if (t->data < m->file || t->data_bytes > m->file_size ||
                (size_t)(t->data - m->file) > m->file_size - t->data_bytes) return 0;
            size_t es = type_bytes(t->type);
            if (es && t->data_bytes != sc_tfl_tensor_elems(t) * es) return 0;
        }
        if (t->quantized && !(t->scale > 0.0f)) return 0;
    }
    for (int i = 0; i < m->n_ops; i++) {
        const sc_tfl_op *op = &m->ops[i];
        if (!op->op_name || !op->op_name[0] || !op->custom_name) return 0;
        if (op->n_inputs < 0 || op->n_inputs > SC_TFL_MAX_IO || op->n_outputs < 0 ||
            op->n_outputs > SC_TFL_MAX_IO) return 0;
        for (int k = 0; k < op->n_inputs; k++)
            if (op->inputs[k] < -1 || op->inputs[k] >= m->n_tensors) return 0;
        for (int k = 0; k < op->n_outputs; k++)
            if (op->outputs[k] < 0 || op->outputs[k] >= m->n_tensors) return 0;
        if (op->stride_w < 1 || op->stride_h < 1 || op->dilation_w < 1 || op->dilation_h < 1) return 0;
        if (op->n_new_shape < -1 || op->n_new_shape > SC_TFL_MAX_DIMS) return 0;
        if (op->has_postprocess && (op->pp.num_classes < 1 || op->pp.max_detections < 1)) return 0;
    }
    return 1;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Parses and classifies: returns the status; checks the failure contract on the way. */
static sc_status parse_checked(const uint8_t *buf, size_t n, const char *ctx, int *bad)
{
    sc_tflite_model *m = (sc_tflite_model *)(uintptr_t)1;   /* must be reset to NULL on failure */
    char err[256];
    memset(err, 'x', sizeof(err));
    sc_status st = sc_tflite_parse(buf, n, &m, err, sizeof(err));
    if (st == SC_OK) {
        if (!model_invariants(m)) {
            fprintf(stderr, "%s: parsed OK but breaks the model invariants\n", ctx);
            (*bad)++;
        }
        sc_tflite_destroy(m);
    } else {
        if ((st != SC_E_FORMAT && st != SC_E_UNSUPPORTED) || m != NULL || !memchr(err, 0, sizeof(err)) ||
            err[0] == '\0' || strchr(err, '\n')) {
            fprintf(stderr, "%s: bad failure: status %d, model %p, message '%.200s'\n", ctx, (int)st,
                    (void *)m, memchr(err, 0, sizeof(err)) ? err : "(unterminated)");
            (*bad)++;
        }
    }
    return st;
}

/* ------------------------------------------------------------------ the real model */

static void test_real_model(const uint8_t *file, size_t size, const char *path)
{
    sc_tflite_model *m = NULL;
    char err[256] = "";
    sc_status st = sc_tflite_parse(file, size, &m, err, sizeof(err));
    CHECKF(st == SC_OK, "parse: %s", err);
    if (st != SC_OK) return;
    CHECK(model_invariants(m));
    CHECK_EQ_INT(m->version, 3);
    CHECK_EQ_INT(m->n_tensors, 176);
    CHECK_EQ_INT(m->n_ops, 64);
    CHECK(m->file != file);   /* a private copy */
    CHECK(((uintptr_t)m->file & 63) == 0);

    int n_conv = 0, n_dw = 0, n_reshape = 0, n_concat = 0, n_logistic = 0, n_pp = 0, n_other = 0;
    for (int i = 0; i < m->n_ops; i++) {
        const sc_tfl_op *op = &m->ops[i];
        switch (op->builtin) {
        case SC_TFL_OP_CONV_2D: n_conv++; CHECK(strcmp(op->op_name, "CONV_2D") == 0); break;
        case SC_TFL_OP_DEPTHWISE_CONV_2D: n_dw++; CHECK(strcmp(op->op_name, "DEPTHWISE_CONV_2D") == 0); break;
        case SC_TFL_OP_RESHAPE: n_reshape++; break;
        case SC_TFL_OP_CONCATENATION: n_concat++; break;
        case SC_TFL_OP_LOGISTIC: n_logistic++; CHECK(strcmp(op->op_name, "LOGISTIC") == 0); break;
        case SC_TFL_OP_CUSTOM:
            n_pp += strcmp(op->custom_name, "TFLite_Detection_PostProcess") == 0 && op->has_postprocess;
            CHECK(strcmp(op->op_name, op->custom_name) == 0);
            break;
        default: n_other++; break;
        }
    }
    CHECK_EQ_INT(n_conv, 34);
    CHECK_EQ_INT(n_dw, 13);
    CHECK_EQ_INT(n_reshape, 13);
    CHECK_EQ_INT(n_concat, 2);
    CHECK_EQ_INT(n_logistic, 1);
    CHECK_EQ_INT(n_pp, 1);
    CHECK_EQ_INT(n_other, 0);

    /* Input tensor. */
    CHECK_EQ_INT(m->n_inputs, 1);
    CHECK_EQ_INT(m->n_outputs, 4);
    const sc_tfl_tensor *in = &m->tensors[m->inputs[0]];
    CHECK(strcmp(in->name, "normalized_input_image_tensor") == 0);
    CHECK_EQ_INT(m->inputs[0], 175);
    CHECK_EQ_INT(in->n_dims, 4);
    CHECK(in->dims[0] == 1 && in->dims[1] == 300 && in->dims[2] == 300 && in->dims[3] == 3);
    CHECK_EQ_INT(in->type, SC_TFL_UINT8);
    CHECK_EQ_INT(in->quantized, 1);
    CHECK(in->scale == 1.0f / 128.0f);
    CHECK_EQ_INT(in->zero_point, 128);
    CHECK(in->data == NULL);
    CHECK_EQ_INT(sc_tfl_tensor_elems(in), 270000);
    /* Outputs 167..170, the post-process results: float32 with an empty shape in this file. */
    for (int k = 0; k < 4; k++) {
        CHECK_EQ_INT(m->outputs[k], 167 + k);
        CHECK_EQ_INT(m->tensors[167 + k].type, SC_TFL_FLOAT32);
        CHECK_EQ_INT(m->tensors[167 + k].n_dims, 0);
        CHECK_EQ_INT(sc_tfl_tensor_elems(&m->tensors[167 + k]), 1);
    }

    /* A weight tensor, the anchors and an unquantised shape constant (values from the Python walk). */
    const sc_tfl_tensor *w = &m->tensors[2];
    CHECK(strcmp(w->name, "BoxPredictor_0/BoxEncodingPredictor/weights_quant/FakeQuantWithMinMaxVars") == 0);
    CHECK(w->n_dims == 4 && w->dims[0] == 12 && w->dims[1] == 1 && w->dims[2] == 1 && w->dims[3] == 384);
    CHECK(w->data != NULL && w->data_bytes == 4608);
    CHECK_NEAR(w->scale, 0.0059021697, 1e-9);
    CHECK_EQ_INT(w->zero_point, 123);
    const sc_tfl_tensor *bias = &m->tensors[1];
    CHECK(bias->type == SC_TFL_INT32 && bias->data_bytes == 48 && bias->quantized);
    const sc_tfl_tensor *anchors = &m->tensors[171];
    CHECK(strcmp(anchors->name, "anchors") == 0);
    CHECK(anchors->n_dims == 2 && anchors->dims[0] == 1917 && anchors->dims[1] == 4);
    CHECK(anchors->type == SC_TFL_UINT8 && anchors->data_bytes == 7668);
    const sc_tfl_tensor *sq = &m->tensors[166];
    CHECK(strcmp(sq->name, "Squeeze_shape") == 0 && sq->type == SC_TFL_INT32 && !sq->quantized);
    if (sq->data && sq->data_bytes == 12) {
        int32_t v[3];
        memcpy(v, sq->data, sizeof(v));
        CHECK(v[0] == 1 && v[1] == 1917 && v[2] == 4);
    } else {
        CHECK(!"Squeeze_shape has 12 bytes of data");
    }

    /* First conv: stride 2, SAME, no fused activation (ReLU6 comes from the u8 output range). */
    const sc_tfl_op *c0 = &m->ops[0];
    CHECK_EQ_INT(c0->builtin, SC_TFL_OP_CONV_2D);
    CHECK(c0->n_inputs == 3 && c0->inputs[0] == 175 && c0->inputs[1] == 86 && c0->inputs[2] == 84);
    CHECK(c0->n_outputs == 1 && c0->outputs[0] == 85);
    CHECK_EQ_INT(c0->stride_w, 2);
    CHECK_EQ_INT(c0->stride_h, 2);
    CHECK_EQ_INT(c0->padding, SC_TFL_PAD_SAME);
    CHECK_EQ_INT(c0->activation, SC_TFL_ACT_NONE);
    CHECK(c0->dilation_w == 1 && c0->dilation_h == 1);
    const sc_tfl_tensor *f0 = &m->tensors[c0->inputs[1]];
    CHECK(f0->n_dims == 4 && f0->dims[0] == 24 && f0->dims[1] == 3 && f0->dims[2] == 3 && f0->dims[3] == 3);
    const sc_tfl_op *d1 = &m->ops[1];
    CHECK(d1->builtin == SC_TFL_OP_DEPTHWISE_CONV_2D && d1->stride_w == 1 && d1->depth_multiplier == 1);
    CHECK(m->ops[3].builtin == SC_TFL_OP_DEPTHWISE_CONV_2D && m->ops[3].stride_w == 2 && m->ops[3].stride_h == 2);

    const sc_tfl_op *cat = &m->ops[57];
    CHECK(cat->builtin == SC_TFL_OP_CONCATENATION && cat->axis == 1 && cat->n_inputs == 6 && cat->outputs[0] == 172);
    const sc_tfl_op *rs = &m->ops[58];
    CHECK(rs->builtin == SC_TFL_OP_RESHAPE && rs->n_new_shape == 3 && rs->new_shape[0] == 1 &&
          rs->new_shape[1] == 1917 && rs->new_shape[2] == 4);
    CHECK(m->ops[62].builtin == SC_TFL_OP_LOGISTIC && m->ops[62].n_new_shape == -1);

    const sc_tfl_op *pp = &m->ops[63];
    CHECK(pp->builtin == SC_TFL_OP_CUSTOM && pp->has_postprocess);
    CHECK(pp->n_inputs == 3 && pp->inputs[0] == 165 && pp->inputs[1] == 174 && pp->inputs[2] == 171);
    CHECK_EQ_INT(pp->pp.num_classes, 90);
    CHECK_EQ_INT(pp->pp.max_detections, 10);
    CHECK_EQ_INT(pp->pp.max_classes_per_detection, 1);
    CHECK_EQ_INT(pp->pp.detections_per_class, 100);   /* absent from the file: the default */
    CHECK_EQ_INT(pp->pp.use_regular_nms, 0);
    CHECK_NEAR(pp->pp.nms_iou_threshold, 0.6, 1e-6);
    CHECK_NEAR(pp->pp.nms_score_threshold, 1e-8, 1e-12);
    CHECK(pp->pp.y_scale == 10.0f && pp->pp.x_scale == 10.0f);
    CHECK(pp->pp.h_scale == 5.0f && pp->pp.w_scale == 5.0f);
    sc_tflite_destroy(m);

    /* sc_tflite_load gives the same model; failures name the path. */
    m = NULL;
    st = sc_tflite_load(path, &m, err, sizeof(err));
    CHECKF(st == SC_OK && m && m->n_tensors == 176 && m->n_ops == 64, "load: %s", err);
    sc_tflite_destroy(m);
    m = (sc_tflite_model *)(uintptr_t)1;
    st = sc_tflite_load("/nonexistent/dir/x.tflite", &m, err, sizeof(err));
    CHECK(st == SC_E_IO && m == NULL);
    CHECKF(strncmp(err, "/nonexistent/dir/x.tflite: ", 27) == 0, "%s", err);
    sc_tflite_destroy(NULL);
}

/* Tensor data ranges, so corruption can aim at the structure (everything else) or the weights. */
typedef struct range { size_t lo, hi; } range;

static int cmp_range(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void test_real_model_robustness(const uint8_t *file, size_t size)
{
    sc_tflite_model *m = NULL;
    char err[256];
    if (sc_tflite_parse(file, size, &m, err, sizeof(err)) != SC_OK) return;
    range *data = calloc((size_t)m->n_tensors, sizeof(*data));
    size_t n_data = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].data) {
            data[n_data].lo = (size_t)(m->tensors[i].data - m->file);
            data[n_data].hi = data[n_data].lo + m->tensors[i].data_bytes;
            n_data++;
        }
    sc_tflite_destroy(m);
    qsort(data, n_data, sizeof(*data), cmp_range);
    /* Structure positions: the first 4096 bytes and every byte outside tensor data. */
    size_t *spos = malloc((size + 4096) * sizeof(*spos)), n_s = 0, prev = 0;
    for (size_t k = 0; k <= n_data; k++) {
        size_t lo = k < n_data ? data[k].lo : size;
        for (size_t q = prev; q < lo; q++) spos[n_s++] = q;
        if (k < n_data && data[k].hi > prev) prev = data[k].hi;
    }
    size_t n_meta = n_s;
    for (size_t q = 0; q < 4096 && q < size; q++) spos[n_s++] = q;
    printf("structure bytes outside tensor data: %zu of %zu\n", n_meta, size);
    CHECK(n_meta > 1000 && n_meta < size / 10);

    /* Truncations: every length 0..4096, then 200 spread over the file, then the last 64. */
    int bad = 0, n_ok = 0, n_fmt = 0, n_uns = 0, n_trunc = 0, n_wrong = 0;
    char ctx[64];
    for (size_t len = 0; len < size; ) {
        snprintf(ctx, sizeof(ctx), "truncated to %zu", len);
        sc_status st = parse_checked(file, len, ctx, &bad);
        n_trunc++;
        /* The file's last 8 bytes are an orphan table (a TOCO leftover: no uoffset in the file
         * points at it; checked with an independent Python scan), so only cuts inside them parse. */
        if ((st == SC_OK) != (len >= size - 8)) {
            n_wrong++;
            fprintf(stderr, "%s: status %d\n", ctx, (int)st);
        }
        if (len < 4096) len++;
        else if (len < size - 64) len = SC_MIN(len + size / 200 + 7, size - 64);
        else len++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(n_wrong, 0);
    printf("truncations: %d lengths, all shorter than %zu rejected\n", n_trunc, size - 8);

    /* Seeded corruption of the structure: bit flips, random bytes, and 32-bit words likely to be
     * offsets or lengths (0, -1, INT_MAX, small, huge). */
    uint8_t *work = malloc(size);
    memcpy(work, file, size);
    static const uint32_t words[] = { 0, 0xffffffffu, 0x7fffffffu, 0x80000000u, 1, 4, 0x00010000u, 0xfffffff0u };
    bad = 0;
    n_ok = n_fmt = n_uns = 0;
    for (int it = 0; it < 2000; it++) {
        size_t pos = spos[rng_next() % n_s];
        uint8_t saved[4];
        size_t w = 1;
        int kind = (int)(rng_next() % 3);
        if (kind == 2 && pos + 4 > size) kind = 1;
        memcpy(saved, work + pos, pos + 4 <= size ? 4 : 1);
        if (kind == 0) work[pos] ^= (uint8_t)(1u << (rng_next() % 8));
        else if (kind == 1) work[pos] = (uint8_t)rng_next();
        else {
            uint32_t v = words[rng_next() % SC_ARRAY_LEN(words)];
            w = 4;
            for (int b = 0; b < 4; b++) work[pos + (size_t)b] = (uint8_t)(v >> (8 * b));
        }
        snprintf(ctx, sizeof(ctx), "mutation %d (kind %d at %zu)", it, kind, pos);
        sc_status st = parse_checked(work, size, ctx, &bad);
        n_ok += st == SC_OK;
        n_fmt += st == SC_E_FORMAT;
        n_uns += st == SC_E_UNSUPPORTED;
        memcpy(work + pos, saved, w);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(memcmp(work, file, size) == 0);
    CHECK(n_fmt > 500);   /* most structure hits must be noticed */
    printf("structure mutations: 2000 -> %d ok, %d format, %d unsupported\n", n_ok, n_fmt, n_uns);

    /* Weight bytes do not affect parsing: flips there must still parse, to the same model. */
    int weight_ok = 0;
    for (int it = 0; it < 50; it++) {
        const range *r = &data[rng_next() % n_data];
        size_t pos = r->lo + rng_next() % (r->hi - r->lo);
        work[pos] ^= 0xff;
        m = NULL;
        sc_status st = sc_tflite_parse(work, size, &m, err, sizeof(err));
        weight_ok += st == SC_OK && m->n_tensors == 176 && m->n_ops == 64 && m->file[pos] == work[pos];
        sc_tflite_destroy(m);
        work[pos] ^= 0xff;
    }
    CHECK_EQ_INT(weight_ok, 50);
    free(work);
    free(spos);
    free(data);
}

/* ------------------------------------------------------------------ a tiny flatbuffer builder
 * Written front to back: every uoffset points forward, vtables sit right before their table. */

typedef struct tb {
    uint8_t b[8192];
    size_t n;
} tb;

static void tb_pad(tb *t, size_t align)
{
    while (t->n % align) t->b[t->n++] = 0;
}
static void tb_w16(tb *t, size_t at, unsigned v)
{
    t->b[at] = (uint8_t)v;
    t->b[at + 1] = (uint8_t)(v >> 8);
}
static void tb_w32(tb *t, size_t at, uint32_t v)
{
    for (int k = 0; k < 4; k++) t->b[at + (size_t)k] = (uint8_t)(v >> (8 * k));
}
static void tb_ref(tb *t, size_t at, size_t target) { tb_w32(t, at, (uint32_t)(target - at)); }

/* A table of nf 4-byte slots; bit k of mask = field k present. Returns the table position. */
static size_t tb_table(tb *t, int nf, unsigned mask)
{
    tb_pad(t, 2);
    size_t vt = t->n;
    tb_w16(t, vt, 4 + 2 * (unsigned)nf);
    tb_w16(t, vt + 2, 4 + 4 * (unsigned)nf);
    for (int k = 0; k < nf; k++) tb_w16(t, vt + 4 + 2 * (size_t)k, (mask >> k) & 1 ? 4 + 4 * (unsigned)k : 0);
    t->n = vt + 4 + 2 * (size_t)nf;
    tb_pad(t, 4);
    size_t pos = t->n;
    tb_w32(t, pos, (uint32_t)(pos - vt));
    memset(t->b + pos + 4, 0, 4 * (size_t)nf);
    t->n = pos + 4 + 4 * (size_t)nf;
    return pos;
}
static size_t slot(size_t table, int k) { return table + 4 + 4 * (size_t)k; }

/* Vector of n elements of esize bytes (elements aligned to esize); returns the length's position. */
static size_t tb_vec(tb *t, size_t n, size_t esize, const void *elems)
{
    tb_pad(t, 4);
    while ((t->n + 4) % esize) t->b[t->n++] = 0;
    size_t at = t->n;
    tb_w32(t, at, (uint32_t)n);
    memcpy(t->b + at + 4, elems, n * esize);   /* little-endian host assumed, as TFLite does */
    t->n = at + 4 + n * esize;
    return at;
}
static size_t tb_str(tb *t, const char *s)
{
    size_t at = tb_vec(t, strlen(s), 1, s);
    t->b[t->n++] = 0;
    return at;
}
/* Vector of offsets to be patched; returns the length's position. */
static size_t tb_offvec(tb *t, size_t n)
{
    tb_pad(t, 4);
    size_t at = t->n;
    tb_w32(t, at, (uint32_t)n);
    memset(t->b + at + 4, 0, 4 * n);
    t->n = at + 4 + 4 * n;
    return at;
}

typedef struct spec {
    const char *ident;
    uint32_t version;
    int n_subgraphs;
    int conv_input1;       /* tensor index of the conv's input 1 */
    int n_scales;          /* of tensor 0 */
    int w_bytes;           /* data bytes of tensor 1 (shape needs 4) */
    uint32_t opcode_index; /* of operator 0 */
    const uint8_t *flex;   /* non-NULL: add a TFLite_Detection_PostProcess op with these options */
    size_t flex_len;
    const char *in_name;   /* name of tensor 0 */
} spec;

static const spec k_good = { "TFL3", 3, 1, 1, 1, 4, 0, NULL, 0, "in" };

/* Model: tensors in[1,4,4,1] (quantised), w[1,2,2,1] (constant), out[1,2,2,1];
 * op 0 = CONV_2D(in, w, -1) → out with VALID, stride 2×3, RELU6. */
static size_t build_model(tb *t, const spec *s)
{
    memset(t, 0, sizeof(*t));
    t->n = 8;
    memcpy(t->b + 4, s->ident, 4);
    size_t model = tb_table(t, 5, 0x17);   /* version, operator_codes, subgraphs, buffers */
    tb_ref(t, 0, model);
    tb_w32(t, slot(model, 0), s->version);

    int n_codes = s->flex ? 2 : 1;
    size_t codes = tb_offvec(t, (size_t)n_codes);
    tb_ref(t, slot(model, 1), codes);
    size_t c0 = tb_table(t, 4, 0x1);
    t->b[slot(c0, 0)] = SC_TFL_OP_CONV_2D;
    tb_ref(t, codes + 4, c0);
    if (s->flex) {
        size_t c1 = tb_table(t, 4, 0x3);
        t->b[slot(c1, 0)] = SC_TFL_OP_CUSTOM;
        tb_ref(t, codes + 8, c1);
        tb_ref(t, slot(c1, 1), tb_str(t, "TFLite_Detection_PostProcess"));
    }

    size_t sgs = tb_offvec(t, (size_t)s->n_subgraphs);
    tb_ref(t, slot(model, 2), sgs);
    size_t sg = tb_table(t, 4, 0xf);
    for (int k = 0; k < s->n_subgraphs; k++) tb_ref(t, sgs + 4 + 4 * (size_t)k, sg);

    size_t bufs = tb_offvec(t, 2);
    tb_ref(t, slot(model, 4), bufs);
    size_t b0 = tb_table(t, 1, 0x0);
    tb_ref(t, bufs + 4, b0);
    size_t b1 = tb_table(t, 1, 0x1);
    tb_ref(t, bufs + 8, b1);
    static const uint8_t wdata[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    tb_ref(t, slot(b1, 0), tb_vec(t, (size_t)s->w_bytes, 1, wdata));

    /* Tensors. */
    const char *const names[3] = { s->in_name, "w", "out" };
    static const int32_t shapes[3][4] = { { 1, 4, 4, 1 }, { 1, 2, 2, 1 }, { 1, 2, 2, 1 } };
    size_t tens = tb_offvec(t, 3);
    tb_ref(t, slot(sg, 0), tens);
    for (int i = 0; i < 3; i++) {
        size_t tt = tb_table(t, 5, i == 0 ? 0x1f : 0x0f);
        tb_ref(t, tens + 4 + 4 * (size_t)i, tt);
        t->b[slot(tt, 1)] = SC_TFL_UINT8;
        tb_w32(t, slot(tt, 2), i == 1 ? 1 : 0);
        tb_ref(t, slot(tt, 0), tb_vec(t, 4, 4, shapes[i]));
        tb_ref(t, slot(tt, 3), tb_str(t, names[i]));
        if (i == 0) {
            size_t q = tb_table(t, 4, 0xc);
            tb_ref(t, slot(tt, 4), q);
            static const float scales[2] = { 0.5f, 0.25f };
            static const int64_t zps[2] = { 3, 4 };
            tb_ref(t, slot(q, 2), tb_vec(t, (size_t)s->n_scales, 4, scales));
            tb_ref(t, slot(q, 3), tb_vec(t, (size_t)s->n_scales, 8, zps));
        }
    }
    int32_t io_in[1] = { 0 }, io_out[1] = { 2 };
    tb_ref(t, slot(sg, 1), tb_vec(t, 1, 4, io_in));
    tb_ref(t, slot(sg, 2), tb_vec(t, 1, 4, io_out));

    /* Operators. */
    size_t ops = tb_offvec(t, s->flex ? 2 : 1);
    tb_ref(t, slot(sg, 3), ops);
    size_t op = tb_table(t, 5, 0x1f);
    tb_ref(t, ops + 4, op);
    tb_w32(t, slot(op, 0), s->opcode_index);
    int32_t ins[3] = { 0, s->conv_input1, -1 }, outs[1] = { 2 };
    tb_ref(t, slot(op, 1), tb_vec(t, 3, 4, ins));
    tb_ref(t, slot(op, 2), tb_vec(t, 1, 4, outs));
    t->b[slot(op, 3)] = 1;   /* Conv2DOptions */
    size_t co = tb_table(t, 4, 0xf);
    tb_ref(t, slot(op, 4), co);
    t->b[slot(co, 0)] = SC_TFL_PAD_VALID;
    tb_w32(t, slot(co, 1), 2);
    tb_w32(t, slot(co, 2), 3);
    t->b[slot(co, 3)] = SC_TFL_ACT_RELU6;
    if (s->flex) {
        size_t pp = tb_table(t, 6, 0x27);   /* opcode_index, inputs, outputs, custom_options */
        tb_ref(t, ops + 8, pp);
        tb_w32(t, slot(pp, 0), 1);
        int32_t pin[2] = { 2, 1 }, pout[1] = { 0 };
        tb_ref(t, slot(pp, 1), tb_vec(t, 2, 4, pin));
        tb_ref(t, slot(pp, 2), tb_vec(t, 1, 4, pout));
        tb_ref(t, slot(pp, 5), tb_vec(t, s->flex_len, 1, s->flex));
    }
    return t->n;
}

/* ------------------------------------------------------------------ a hand-made flexbuffer
 * A map of width 8 with every encoding the decoder must handle: INT, UINT, double FLOAT, BOOL,
 * an INDIRECT_FLOAT (float32 stored elsewhere) and an INT where a float is expected. */

typedef struct fxe {
    const char *key;
    int type;          /* flexbuffer type */
    int64_t i;
    double d;
} fxe;

static void put_le(uint8_t *p, uint64_t v, size_t w)
{
    for (size_t k = 0; k < w; k++) p[k] = (uint8_t)(v >> (8 * k));
}

static size_t build_flex(uint8_t *out)
{
    static const fxe e[] = {   /* sorted by key, as FlexBuffers requires */
        { "_output_quantized", 26, 1, 0 },
        { "detections_per_class", 2, 5, 0 },
        { "h_scale", 3, 0, 5.0 },
        { "max_classes_per_detection", 1, 2, 0 },
        { "max_detections", 1, 7, 0 },
        { "nms_iou_threshold", 3, 0, 0.5 },
        { "nms_score_threshold", 3, 0, 0.25 },
        { "num_classes", 1, 3, 0 },
        { "use_regular_nms", 26, 1, 0 },
        { "w_scale", 3, 0, 4.0 },
        { "x_scale", 8, 0, 9.0 },   /* INDIRECT_FLOAT, 32-bit */
        { "y_scale", 1, 8, 0 },     /* an INT read as a float */
    };
    enum { N = sizeof(e) / sizeof(e[0]), W = 8, KW = 2 };
    size_t n = 0, kpos[N], xpos = 0;
    for (size_t i = 0; i < N; i++) {
        kpos[i] = n;
        memcpy(out + n, e[i].key, strlen(e[i].key) + 1);
        n += strlen(e[i].key) + 1;
    }
    while (n % 4) out[n++] = 0;
    float xf = 9.0f;
    memcpy(out + n, &xf, 4);
    xpos = n;
    n += 4;
    /* keys vector: length, then KW-byte offsets back to each key */
    while (n % KW) out[n++] = 0;
    put_le(out + n, N, KW);
    n += KW;
    size_t keys = n;
    for (size_t i = 0; i < N; i++, n += KW) put_le(out + n, n - kpos[i], KW);
    /* map: keys offset, keys width, length, values, types */
    while (n % W) out[n++] = 0;
    put_le(out + n, n - keys, W);
    n += W;
    put_le(out + n, KW, W);
    n += W;
    put_le(out + n, N, W);
    n += W;
    size_t map = n;
    for (size_t i = 0; i < N; i++, n += W) {
        if (e[i].type == 3) {
            uint64_t u;
            memcpy(&u, &e[i].d, 8);
            put_le(out + n, u, W);
        } else if (e[i].type == 8) {
            put_le(out + n, n - xpos, W);
        } else {
            put_le(out + n, (uint64_t)e[i].i, W);
        }
    }
    for (size_t i = 0; i < N; i++)
        out[n++] = (uint8_t)(e[i].type << 2 | (e[i].type == 8 ? 2 : 3));
    /* root: offset back to the map (1 byte), packed type MAP|64-bit, root width 1 */
    out[n] = (uint8_t)(n - map);
    n++;
    out[n++] = 9 << 2 | 3;
    out[n++] = 1;
    return n;
}

static sc_status parse_spec(const spec *s, sc_tflite_model **m, char *err, size_t errlen)
{
    static tb t;
    size_t n = build_model(&t, s);
    return sc_tflite_parse(t.b, n, m, err, errlen);
}

static void expect_error(const spec *s, sc_status want, const char *needle1, const char *needle2)
{
    sc_tflite_model *m = NULL;
    char err[256] = "";
    sc_status st = parse_spec(s, &m, err, sizeof(err));
    CHECKF(st == want && m == NULL, "status %d (want %d): %s", (int)st, (int)want, err);
    CHECKF(strstr(err, needle1) != NULL, "'%s' lacks '%s'", err, needle1);
    if (needle2) CHECKF(strstr(err, needle2) != NULL, "'%s' lacks '%s'", err, needle2);
    sc_tflite_destroy(m);
}

static void test_hand_built(void)
{
    sc_tflite_model *m = NULL;
    char err[256] = "";
    sc_status st = parse_spec(&k_good, &m, err, sizeof(err));
    CHECKF(st == SC_OK, "hand-built model: %s", err);
    if (st == SC_OK) {
        CHECK(model_invariants(m));
        CHECK(m->n_tensors == 3 && m->n_ops == 1 && m->n_inputs == 1 && m->n_outputs == 1);
        CHECK(strcmp(m->tensors[0].name, "in") == 0 && strcmp(m->tensors[2].name, "out") == 0);
        CHECK(m->tensors[0].quantized && m->tensors[0].scale == 0.5f && m->tensors[0].zero_point == 3);
        CHECK(!m->tensors[1].quantized && m->tensors[1].data_bytes == 4 && m->tensors[1].data[3] == 4);
        CHECK(m->tensors[2].data == NULL);
        const sc_tfl_op *op = &m->ops[0];
        CHECK(op->builtin == SC_TFL_OP_CONV_2D && strcmp(op->op_name, "CONV_2D") == 0);
        CHECK(op->n_inputs == 3 && op->inputs[1] == 1 && op->inputs[2] == -1);
        CHECK(op->padding == SC_TFL_PAD_VALID && op->stride_w == 2 && op->stride_h == 3);
        CHECK(op->activation == SC_TFL_ACT_RELU6 && op->dilation_w == 1 && op->has_postprocess == 0);
    }
    sc_tflite_destroy(m);

    spec s = k_good;
    s.conv_input1 = 5;
    expect_error(&s, SC_E_FORMAT, "operator 0 (CONV_2D): input 1 is tensor 5, but the subgraph has 3 tensors", NULL);
    s = k_good;
    s.conv_input1 = -2;
    expect_error(&s, SC_E_FORMAT, "operator 0 (CONV_2D): input 1 is tensor -2", NULL);
    s = k_good;
    s.n_scales = 2;
    expect_error(&s, SC_E_UNSUPPORTED, "tensor 0 'in'", "per-channel quantisation");
    s.in_name = "a\nb";   /* messages stay one line */
    expect_error(&s, SC_E_UNSUPPORTED, "tensor 0 'a?b': per-channel quantisation (2 scales)", NULL);
    s = k_good;
    s.n_subgraphs = 2;
    expect_error(&s, SC_E_UNSUPPORTED, "2 subgraphs", NULL);
    s = k_good;
    s.w_bytes = 3;
    expect_error(&s, SC_E_FORMAT, "tensor 1 'w': buffer 1 holds 3 bytes", "[1,2,2,1] of UINT8 needs 4");
    s = k_good;
    s.version = 2;
    expect_error(&s, SC_E_UNSUPPORTED, "schema version 2", NULL);
    s = k_good;
    s.ident = "TFL2";
    expect_error(&s, SC_E_FORMAT, "file identifier is 'TFL2'", NULL);
    s = k_good;
    s.opcode_index = 7;
    expect_error(&s, SC_E_FORMAT, "operator 0: opcode index 7, but the model has 1 operator codes", NULL);

    /* The post-process options through every flexbuffer encoding. */
    uint8_t flex[1024];
    size_t flen = build_flex(flex);
    s = k_good;
    s.flex = flex;
    s.flex_len = flen;
    m = NULL;
    st = parse_spec(&s, &m, err, sizeof(err));
    CHECKF(st == SC_OK, "hand-built post-process: %s", err);
    if (st == SC_OK) {
        const sc_tfl_op *op = &m->ops[1];
        CHECK(op->builtin == SC_TFL_OP_CUSTOM && op->has_postprocess);
        CHECK(strcmp(op->op_name, "TFLite_Detection_PostProcess") == 0);
        CHECK_EQ_INT(op->pp.detections_per_class, 5);
        CHECK_EQ_INT(op->pp.max_classes_per_detection, 2);
        CHECK_EQ_INT(op->pp.max_detections, 7);
        CHECK_EQ_INT(op->pp.num_classes, 3);
        CHECK_EQ_INT(op->pp.use_regular_nms, 1);
        CHECK(op->pp.nms_iou_threshold == 0.5f && op->pp.nms_score_threshold == 0.25f);
        CHECK(op->pp.h_scale == 5.0f && op->pp.w_scale == 4.0f);
        CHECK(op->pp.x_scale == 9.0f && op->pp.y_scale == 8.0f);
    }
    sc_tflite_destroy(m);

    /* A missing required key: rename "num_classes" so it no longer matches. */
    uint8_t flex2[1024];
    memcpy(flex2, flex, flen);
    uint8_t *k = NULL;
    for (size_t q = 0; q + 11 <= flen && !k; q++)
        if (memcmp(flex2 + q, "num_classes", 11) == 0) k = flex2 + q;
    CHECK(k != NULL);
    if (k) {
        k[0] = 'N';
        s.flex = flex2;
        expect_error(&s, SC_E_FORMAT, "operator 1 (TFLite_Detection_PostProcess): custom options lack 'num_classes'",
                     NULL);
    }

    /* Every truncation and many corruptions of the options: clean failure or a valid result. */
    int bad = 0, n_ok = 0;
    char ctx[64];
    static tb t;
    for (size_t len = 0; len < flen; len++) {
        s.flex = flex;
        s.flex_len = len;
        size_t n = build_model(&t, &s);
        snprintf(ctx, sizeof(ctx), "options cut to %zu", len);
        n_ok += parse_checked(t.b, n, ctx, &bad) == SC_OK;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(n_ok, 0);
    s.flex_len = flen;
    for (int it = 0; it < 3000; it++) {
        memcpy(flex2, flex, flen);
        int nmut = 1 + (int)(rng_next() % 3);
        for (int j = 0; j < nmut; j++) {
            size_t pos = rng_next() % flen;
            if (rng_next() & 1) flex2[pos] ^= (uint8_t)(1u << (rng_next() % 8));
            else flex2[pos] = (uint8_t)rng_next();
        }
        s.flex = flex2;
        size_t n = build_model(&t, &s);
        snprintf(ctx, sizeof(ctx), "options mutation %d", it);
        parse_checked(t.b, n, ctx, &bad);
    }
    CHECK_EQ_INT(bad, 0);

    /* Every truncation and byte corruption of the whole hand-built model. */
    s = k_good;
    s.flex = flex;
    s.flex_len = flen;
    size_t n = build_model(&t, &s);
    static uint8_t copy[8192];
    bad = 0;
    n_ok = 0;
    for (size_t len = 0; len < n; len++) {
        snprintf(ctx, sizeof(ctx), "hand-built cut to %zu", len);
        n_ok += parse_checked(t.b, len, ctx, &bad) == SC_OK;
    }
    CHECK_EQ_INT(bad, 0);
    for (int it = 0; it < 4000; it++) {
        memcpy(copy, t.b, n);
        size_t pos = rng_next() % n;
        copy[pos] = (uint8_t)rng_next();
        snprintf(ctx, sizeof(ctx), "hand-built mutation %d at %zu", it, pos);
        parse_checked(copy, n, ctx, &bad);
    }
    CHECK_EQ_INT(bad, 0);

    /* Argument and edge cases. */
    m = (sc_tflite_model *)(uintptr_t)1;
    CHECK(sc_tflite_parse(NULL, 0, &m, err, sizeof(err)) == SC_E_FORMAT && m == NULL && err[0]);
    CHECK(sc_tflite_parse(NULL, 5, &m, err, sizeof(err)) == SC_E_INVAL);
    CHECK(sc_tflite_parse(t.b, n, NULL, err, sizeof(err)) == SC_E_INVAL);
    CHECK(sc_tflite_parse(t.b, 3, &m, NULL, 0) == SC_E_FORMAT && m == NULL);
    sc_tfl_tensor scalar;
    memset(&scalar, 0, sizeof(scalar));
    CHECK_EQ_INT(sc_tfl_tensor_elems(&scalar), 1);
}

int main(void)
{
    char path[1024];
    size_t size = 0;
    snprintf(path, sizeof(path), "%s/models/ssd_mobilenet_v1_coco_quant/detect.tflite", sc_test_shared_dir());
    uint8_t *file = read_file(path, &size);
    CHECKF(file != NULL, "cannot read %s (set SC_SHARED_DIR)", path);
    if (file) {
        test_real_model(file, size, path);
        test_real_model_robustness(file, size);
    }
    free(file);
    test_hand_built();
    return sc_test_finish();
}
