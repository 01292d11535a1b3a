/* models/tflite.c — bounds-checked TensorFlow Lite flatbuffer reader (see tflite.h).
 *
 * The file is copied once into a 64-byte aligned buffer (padded with SC_OVERREAD zero bytes)
 * and every structure is validated before anything points into it. Tensor names and custom
 * op names point into that copy: flatbuffer strings carry their own NUL terminator, which is
 * checked, so no per-string allocation is needed and string storage can never exceed the file.
 *
 * Flatbuffers in brief (all little-endian): the file starts with a uoffset (u32) to the root
 * table, then the 4-byte file identifier. A table starts with an soffset (i32); the vtable
 * lives at table - soffset and holds u16 vtable size, u16 table size, then one u16 per field
 * (0 = absent, else the field's offset inside the table). Offset fields hold a uoffset
 * relative to the field itself. Vectors and strings are a u32 length then the elements;
 * strings also end with a NUL. A union field takes two slots: a u8 type, then the offset.
 *
 * Defaults deliberately differ from the schema in one place: an absent stride, dilation,
 * depth multiplier or pool filter size reads as 1 (tflite.h's documented default) instead of
 * the schema's 0, which no valid model relies on. Present values must be >= 1 (depth
 * multiplier >= 0: 0 means "derive from the shapes", as newer TFLite does). */
#include "models/tflite.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/mem.h"

/* ---------------------------------------------------------------- error reporting */

typedef struct fb {
    const uint8_t *b;
    size_t n;
    char *err;
    size_t errlen;
} fb;

static sc_status fail(fb *f, sc_status st, const char *fmt, ...) SC_PRINTF(3, 4);
static sc_status fail(fb *f, sc_status st, const char *fmt, ...)
{
    if (f->err && f->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->err, f->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---------------------------------------------------------------- raw little-endian reads
 * Callers check bounds first (in_file). */

static int in_file(const fb *f, size_t pos, size_t len) { return pos <= f->n && len <= f->n - pos; }

static uint16_t rd_u16(const uint8_t *p) { return (uint16_t)(p[0] | (unsigned)p[1] << 8); }
static uint32_t rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd_u64(const uint8_t *p) { return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32; }
static int32_t rd_i32(const uint8_t *p)
{
    uint32_t u = rd_u32(p);
    return u <= INT32_MAX ? (int32_t)u : (int32_t)((int64_t)u - 0x100000000LL);
}
static int64_t rd_i64(const uint8_t *p)
{
    uint64_t u = rd_u64(p);
    return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}
static float rd_f32(const uint8_t *p)
{
    uint32_t u = rd_u32(p);
    float v;
    memcpy(&v, &u, sizeof(v));
    return v;
}
static double rd_f64(const uint8_t *p)
{
    uint64_t u = rd_u64(p);
    double v;
    memcpy(&v, &u, sizeof(v));
    return v;
}

/* ---------------------------------------------------------------- flatbuffer access */

typedef struct fb_table {
    size_t pos, size;     /* table start and inline size (from the vtable) */
    size_t vt, vsize;     /* vtable start and size */
} fb_table;

typedef struct fb_vec {
    size_t pos;           /* first element */
    size_t len;           /* element count */
} fb_vec;

/* Opens the table starting at `pos`. `what` names it for messages ("tensor 5"). */
static sc_status open_table(fb *f, size_t pos, const char *what, fb_table *t)
{
    if (!in_file(f, pos, 4))
        return fail(f, SC_E_FORMAT, "truncated: %s starts past the end of the file (offset %zu, size %zu)",
                    what, pos, f->n);
    long long vt = (long long)pos - (long long)rd_i32(f->b + pos);
    if (vt < 0)
        return fail(f, SC_E_FORMAT, "corrupt: %s's vtable lies before the start of the file (table at %zu, "
                    "vtable at %lld)", what, pos, vt);
    if (!in_file(f, (size_t)vt, 4))
        return fail(f, SC_E_FORMAT, "truncated: %s's vtable lies past the end of the file (table at %zu, "
                    "vtable at %lld, size %zu)", what, pos, vt, f->n);
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vsize = rd_u16(f->b + t->vt);
    t->size = rd_u16(f->b + t->vt + 2);
    if (t->vsize < 4 || (t->vsize & 1))
        return fail(f, SC_E_FORMAT, "corrupt: %s's vtable at offset %zu has an invalid size %zu", what, t->vt, t->vsize);
    if (!in_file(f, t->vt, t->vsize))
        return fail(f, SC_E_FORMAT, "truncated: %s's vtable runs past the end of the file (offset %zu, size %zu)",
                    what, t->vt, f->n);
    if (t->size < 4)
        return fail(f, SC_E_FORMAT, "corrupt: %s has an invalid table size %zu (offset %zu)", what, t->size, pos);
    if (!in_file(f, pos, t->size))
        return fail(f, SC_E_FORMAT, "truncated: %s runs past the end of the file (offset %zu, size %zu)",
                    what, pos, f->n);
    return SC_OK;
}

/* *pos = position of field `idx` (fsize bytes wide), or 0 when absent (a present field is
 * at least 4 bytes into its table, so 0 is never a real position). */
static sc_status field_pos(fb *f, const fb_table *t, int idx, size_t fsize, const char *what,
                           const char *name, size_t *pos)
{
    size_t slot = 4 + 2 * (size_t)idx;
    *pos = 0;
    if (slot + 2 > t->vsize) return SC_OK;
    size_t vo = rd_u16(f->b + t->vt + slot);
    if (vo == 0) return SC_OK;
    if (vo < 4 || vo + fsize > t->size)
        return fail(f, SC_E_FORMAT, "corrupt: %s's %s lies outside its table (field offset %zu, table size %zu, at %zu)",
                    what, name, vo, t->size, t->pos);
    *pos = t->pos + vo;
    return SC_OK;
}

/* Follows the uoffset stored at `at` (already in bounds); the target must have room for the
 * 4-byte soffset or length that every referenced object starts with. */
static sc_status follow(fb *f, size_t at, const char *what, const char *name, size_t *target)
{
    uint32_t off = rd_u32(f->b + at);
    if (off == 0)
        return fail(f, SC_E_FORMAT, "corrupt: %s's %s is a null offset (at %zu)", what, name, at);
    if (off > f->n - at || f->n - at - off < 4)
        return fail(f, SC_E_FORMAT, "truncated: %s's %s runs past the end of the file (offset %zu, size %zu)",
                    what, name, at + (size_t)off, f->n);
    *target = at + off;
    return SC_OK;
}

static sc_status get_u8(fb *f, const fb_table *t, int idx, uint8_t def, const char *what, const char *name,
                        uint8_t *out)
{
    size_t p;
    sc_status st = field_pos(f, t, idx, 1, what, name, &p);
    if (st) return st;
    *out = p ? f->b[p] : def;
    return SC_OK;
}

static sc_status get_i8(fb *f, const fb_table *t, int idx, const char *what, const char *name, int *out)
{
    uint8_t u;
    sc_status st = get_u8(f, t, idx, 0, what, name, &u);
    if (st) return st;
    *out = u < 128 ? (int)u : (int)u - 256;
    return SC_OK;
}

static sc_status get_u32(fb *f, const fb_table *t, int idx, uint32_t def, const char *what, const char *name,
                         uint32_t *out)
{
    size_t p;
    sc_status st = field_pos(f, t, idx, 4, what, name, &p);
    if (st) return st;
    *out = p ? rd_u32(f->b + p) : def;
    return SC_OK;
}

/* *present tells whether the field was there; *out = def otherwise. */
static sc_status get_i32(fb *f, const fb_table *t, int idx, int32_t def, const char *what, const char *name,
                         int32_t *out, int *present)
{
    size_t p;
    sc_status st = field_pos(f, t, idx, 4, what, name, &p);
    if (st) return st;
    *out = p ? rd_i32(f->b + p) : def;
    if (present) *present = p != 0;
    return SC_OK;
}

static sc_status get_u64(fb *f, const fb_table *t, int idx, const char *what, const char *name, uint64_t *out)
{
    size_t p;
    sc_status st = field_pos(f, t, idx, 8, what, name, &p);
    if (st) return st;
    *out = p ? rd_u64(f->b + p) : 0;
    return SC_OK;
}

/* Vector field of `esize`-byte elements; absent → len 0, *present = 0. */
static sc_status get_vec(fb *f, const fb_table *t, int idx, size_t esize, const char *what, const char *name,
                         fb_vec *v, int *present)
{
    size_t p, tgt;
    v->pos = 0;
    v->len = 0;
    if (present) *present = 0;
    sc_status st = field_pos(f, t, idx, 4, what, name, &p);
    if (st || !p) return st;
    if ((st = follow(f, p, what, name, &tgt))) return st;
    size_t len = rd_u32(f->b + tgt);
    if (len > (f->n - tgt - 4) / esize)
        return fail(f, SC_E_FORMAT, "truncated: %s's %s (%zu elements of %zu bytes) runs past the end of the file "
                    "(offset %zu, size %zu)", what, name, len, esize, tgt, f->n);
    v->pos = tgt + 4;
    v->len = len;
    if (present) *present = 1;
    return SC_OK;
}

/* String field: *s points at the NUL-terminated bytes in the file, "" when absent. */
static sc_status get_str(fb *f, const fb_table *t, int idx, const char *what, const char *name, const char **s)
{
    size_t p, tgt;
    *s = "";
    sc_status st = field_pos(f, t, idx, 4, what, name, &p);
    if (st || !p) return st;
    if ((st = follow(f, p, what, name, &tgt))) return st;
    size_t len = rd_u32(f->b + tgt);
    if (len >= f->n - tgt - 4)   /* needs len bytes plus the NUL */
        return fail(f, SC_E_FORMAT, "truncated: %s's %s runs past the end of the file (offset %zu, size %zu)",
                    what, name, tgt, f->n);
    if (f->b[tgt + 4 + len] != 0)
        return fail(f, SC_E_FORMAT, "corrupt: %s's %s is not NUL-terminated (offset %zu)", what, name, tgt);
    *s = (const char *)f->b + tgt + 4;
    return SC_OK;
}

/* Sub-table field; *present = 0 when absent. */
static sc_status get_table(fb *f, const fb_table *t, int idx, const char *what, const char *name,
                           const char *sub_what, fb_table *sub, int *present)
{
    size_t p, tgt;
    *present = 0;
    sc_status st = field_pos(f, t, idx, 4, what, name, &p);
    if (st || !p) return st;
    if ((st = follow(f, p, what, name, &tgt))) return st;
    if ((st = open_table(f, tgt, sub_what, sub))) return st;
    *present = 1;
    return SC_OK;
}

/* Element i of a vector of tables. */
static sc_status vec_table(fb *f, const fb_vec *v, size_t i, const char *what, fb_table *t)
{
    size_t tgt = 0;
    sc_status st = follow(f, v->pos + 4 * i, what, "offset", &tgt);
    if (st) return st;
    return open_table(f, tgt, what, t);
}

/* ---------------------------------------------------------------- schema tables */

/* Field indices (vtable slot = 4 + 2 × index). Unions take two indices (type, value). */
enum { MODEL_VERSION = 0, MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3, TENSOR_QUANT = 4,
       TENSOR_SPARSITY = 6 };
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DETAILS_TYPE = 4 };
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2 };
enum { OPCODE_DEPRECATED = 0, OPCODE_CUSTOM = 1, OPCODE_BUILTIN = 3 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4,
       OP_CUSTOM_OPTIONS = 5, OP_CUSTOM_FORMAT = 6, OP_LARGE_CUSTOM_OFFSET = 9, OP_LARGE_CUSTOM_SIZE = 10 };

/* BuiltinOptions union type numbers. */
enum { OPT_CONV2D = 1, OPT_DEPTHWISE = 2, OPT_POOL2D = 5, OPT_FULLY_CONNECTED = 8, OPT_CONCATENATION = 10,
       OPT_ADD = 11, OPT_RESHAPE = 17, OPT_MUL = 21, OPT_SUB = 28, OPT_DIV = 29 };

#define TFL_TYPE_MAX 18          /* BFLOAT16, the last TensorType in the schema */
#define TFL_ACT_MAX 5            /* SIGN_BIT */

static const char *const k_op_names[] = {
    [0] = "ADD", [1] = "AVERAGE_POOL_2D", [2] = "CONCATENATION", [3] = "CONV_2D",
    [4] = "DEPTHWISE_CONV_2D", [5] = "DEPTH_TO_SPACE", [6] = "DEQUANTIZE", [7] = "EMBEDDING_LOOKUP",
    [8] = "FLOOR", [9] = "FULLY_CONNECTED", [10] = "HASHTABLE_LOOKUP", [11] = "L2_NORMALIZATION",
    [12] = "L2_POOL_2D", [13] = "LOCAL_RESPONSE_NORMALIZATION", [14] = "LOGISTIC",
    [15] = "LSH_PROJECTION", [16] = "LSTM", [17] = "MAX_POOL_2D", [18] = "MUL", [19] = "RELU",
    [20] = "RELU_N1_TO_1", [21] = "RELU6", [22] = "RESHAPE", [23] = "RESIZE_BILINEAR", [24] = "RNN",
    [25] = "SOFTMAX", [26] = "SPACE_TO_DEPTH", [27] = "SVDF", [28] = "TANH",
    [29] = "CONCAT_EMBEDDINGS", [30] = "SKIP_GRAM", [31] = "CALL", [32] = "CUSTOM",
    [33] = "EMBEDDING_LOOKUP_SPARSE", [34] = "PAD", [35] = "UNIDIRECTIONAL_SEQUENCE_RNN",
    [36] = "GATHER", [37] = "BATCH_TO_SPACE_ND", [38] = "SPACE_TO_BATCH_ND", [39] = "TRANSPOSE",
    [40] = "MEAN", [41] = "SUB", [42] = "DIV", [43] = "SQUEEZE", [44] = "UNIDIRECTIONAL_SEQUENCE_LSTM",
    [45] = "STRIDED_SLICE", [46] = "BIDIRECTIONAL_SEQUENCE_RNN", [47] = "EXP", [48] = "TOPK_V2",
    [49] = "SPLIT", [50] = "LOG_SOFTMAX", [51] = "DELEGATE", [52] = "BIDIRECTIONAL_SEQUENCE_LSTM",
    [53] = "CAST", [54] = "PRELU", [55] = "MAXIMUM", [56] = "ARG_MAX", [57] = "MINIMUM", [58] = "LESS",
    [59] = "NEG", [60] = "PADV2", [61] = "GREATER", [62] = "GREATER_EQUAL", [63] = "LESS_EQUAL",
    [64] = "SELECT", [65] = "SLICE", [66] = "SIN", [67] = "TRANSPOSE_CONV", [69] = "TILE",
    [70] = "EXPAND_DIMS", [71] = "EQUAL", [72] = "NOT_EQUAL", [73] = "LOG", [74] = "SUM", [75] = "SQRT",
    [76] = "RSQRT", [77] = "SHAPE", [78] = "POW", [79] = "ARG_MIN", [80] = "FAKE_QUANT",
    [81] = "REDUCE_PROD", [82] = "REDUCE_MAX", [83] = "PACK", [88] = "UNPACK", [89] = "REDUCE_MIN",
    [92] = "SQUARE", [94] = "FILL", [97] = "RESIZE_NEAREST_NEIGHBOR", [98] = "LEAKY_RELU",
    [99] = "SQUARED_DIFFERENCE", [100] = "MIRROR_PAD", [101] = "ABS", [102] = "SPLIT_V",
    [106] = "ADD_N", [107] = "GATHER_ND", [111] = "ELU", [114] = "QUANTIZE", [116] = "ROUND",
    [117] = "HARD_SWISH", [123] = "SELECT_V2", [126] = "BATCH_MATMUL", [150] = "GELU",
};

static const char *builtin_name(int code)
{
    if (code >= 0 && (size_t)code < SC_ARRAY_LEN(k_op_names)) return k_op_names[code];
    return NULL;
}

static const char *type_name(int type)
{
    static const char *const names[] = { "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL",
                                         "INT16", "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64",
                                         "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4", "BFLOAT16" };
    return type >= 0 && (size_t)type < SC_ARRAY_LEN(names) ? names[type] : "?";
}

/* Bytes per element, or 0 when the size is not fixed (STRING, RESOURCE, VARIANT, packed INT4):
 * such tensors' buffer sizes are not checked. */
static size_t type_size(int type)
{
    switch (type) {
    case 0: case 2: case 15: return 4;                  /* FLOAT32, INT32, UINT32 */
    case 1: case 7: case 16: case 18: return 2;         /* FLOAT16, INT16, UINT16, BFLOAT16 */
    case 3: case 6: case 9: return 1;                   /* UINT8, BOOL, INT8 */
    case 4: case 8: case 10: case 12: return 8;         /* INT64, COMPLEX64, FLOAT64, UINT64 */
    case 11: return 16;                                 /* COMPLEX128 */
    default: return 0;
    }
}

/* ---------------------------------------------------------------- parser state */

typedef struct opcode {
    int builtin;
    const char *custom;   /* "" unless CUSTOM */
    const char *name;
} opcode;

typedef struct parser {
    fb f;
    sc_tflite_model *m;
    opcode *opcodes;
    size_t n_opcodes;
    fb_vec buffers;
} parser;

/* "[1,300,300,3]" into buf. */
static const char *shape_str(const sc_tfl_tensor *t, char *buf, size_t n)
{
    size_t k = 0;
    k += (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->n_dims && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, "%s%ld", d ? "," : "", (long)t->dims[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

/* A name for a one-line message: at most 80 bytes, control bytes shown as '?'. */
static const char *printable(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    for (; s[k] && k < 80 && k + 1 < n; k++) {
        unsigned char c = (unsigned char)s[k];
        buf[k] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[k] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- operator codes */

static sc_status parse_opcodes(parser *p, const fb_vec *v)
{
    fb *f = &p->f;
    size_t n_unnamed = 0;
    p->n_opcodes = v->len;
    if (v->len == 0) return SC_OK;
    p->opcodes = calloc(v->len, sizeof(*p->opcodes));
    if (!p->opcodes) return fail(f, SC_E_NOMEM, "out of memory for %zu operator codes", v->len);
    for (size_t i = 0; i < v->len; i++) {
        char what[48];
        fb_table t;
        int dep;
        int32_t code;
        sc_status st;
        snprintf(what, sizeof(what), "operator code %zu", i);
        if ((st = vec_table(f, v, i, what, &t))) return st;
        if ((st = get_i8(f, &t, OPCODE_DEPRECATED, what, "deprecated_builtin_code", &dep))) return st;
        if ((st = get_i32(f, &t, OPCODE_BUILTIN, 0, what, "builtin_code", &code, NULL))) return st;
        if ((st = get_str(f, &t, OPCODE_CUSTOM, what, "custom_code", &p->opcodes[i].custom))) return st;
        /* Files older than schema 3a only fill the byte field; newer ones fill both, with 127
         * (PLACEHOLDER_FOR_GREATER_OP_CODES) in the byte field for codes above it. */
        int b = SC_MAX(dep, (int)code);
        if (b < 0)
            return fail(f, SC_E_FORMAT, "corrupt: %s has a negative builtin code %d", what, b);
        p->opcodes[i].builtin = b;
        if (b == SC_TFL_OP_CUSTOM) {
            if (!p->opcodes[i].custom[0])
                return fail(f, SC_E_FORMAT, "corrupt: %s is CUSTOM but has no custom_code", what);
            p->opcodes[i].name = p->opcodes[i].custom;
        } else {
            p->opcodes[i].custom = "";
            p->opcodes[i].name = builtin_name(b);
            if (!p->opcodes[i].name) n_unnamed++;
        }
    }
    if (n_unnamed) {
        enum { NAME_LEN = 24 };   /* "BUILTIN_" + up to 10 digits + NUL */
        char *s = malloc(n_unnamed * NAME_LEN);   /* n_unnamed <= file size / 4 */
        if (!s) return fail(f, SC_E_NOMEM, "out of memory for operator names");
        p->m->strings = s;
        for (size_t i = 0; i < v->len; i++) {
            if (p->opcodes[i].name) continue;
            snprintf(s, NAME_LEN, "BUILTIN_%d", p->opcodes[i].builtin);
            p->opcodes[i].name = s;
            s += NAME_LEN;
        }
    }
    return SC_OK;
}

/* ---------------------------------------------------------------- tensors */

static sc_status parse_quant(parser *p, const fb_table *q, const char *what, const char *label,
                             sc_tfl_tensor *t)
{
    fb *f = &p->f;
    uint8_t details;
    fb_vec sc, zp;
    sc_status st;
    if ((st = get_u8(f, q, QUANT_DETAILS_TYPE, 0, what, "details_type", &details))) return st;
    if (details != 0)
        return fail(f, SC_E_UNSUPPORTED, "%s: custom quantisation details (type %u) are not supported",
                    label, details);
    if ((st = get_vec(f, q, QUANT_SCALE, 4, what, "scale", &sc, NULL))) return st;
    if ((st = get_vec(f, q, QUANT_ZERO_POINT, 8, what, "zero_point", &zp, NULL))) return st;
    if (sc.len == 0) return SC_OK;   /* min/max only, or empty: not quantised */
    if (sc.len > 1)
        return fail(f, SC_E_UNSUPPORTED, "%s: per-channel quantisation (%zu scales) is not supported",
                    label, sc.len);
    float s = rd_f32(f->b + sc.pos);
    if (!isfinite(s) || s <= 0.0f)
        return fail(f, SC_E_FORMAT, "%s: quantisation scale %g is not a positive finite number", label, (double)s);
    if (zp.len > 1)
        return fail(f, SC_E_FORMAT, "%s: %zu zero points for one scale", label, zp.len);
    int64_t z = zp.len ? rd_i64(f->b + zp.pos) : 0;
    if (z < INT32_MIN || z > INT32_MAX)
        return fail(f, SC_E_FORMAT, "%s: zero point %lld is out of range", label, (long long)z);
    t->quantized = 1;
    t->scale = s;
    t->zero_point = (int32_t)z;
    return SC_OK;
}

static sc_status parse_buffer(parser *p, uint32_t index, const char *label, const uint8_t **data,
                              size_t *bytes)
{
    fb *f = &p->f;
    char what[48];
    fb_table t;
    fb_vec d;
    uint64_t off, size;
    sc_status st;
    *data = NULL;
    *bytes = 0;
    if (index >= p->buffers.len) {
        if (index == 0) return SC_OK;   /* no buffers at all: every tensor is an activation */
        return fail(f, SC_E_FORMAT, "%s: buffer index %u, but the model has %zu buffers",
                    label, index, p->buffers.len);
    }
    snprintf(what, sizeof(what), "buffer %u", index);
    if ((st = vec_table(f, &p->buffers, index, what, &t))) return st;
    if ((st = get_vec(f, &t, BUFFER_DATA, 1, what, "data", &d, NULL))) return st;
    if (d.len > 0) {
        *data = f->b + d.pos;
        *bytes = d.len;
        return SC_OK;
    }
    /* Schema 3c: data outside the flatbuffer, at a file offset (valid when > 1). */
    if ((st = get_u64(f, &t, BUFFER_OFFSET, what, "offset", &off))) return st;
    if ((st = get_u64(f, &t, BUFFER_SIZE, what, "size", &size))) return st;
    if (off > 1 && size > 0) {
        if (off > f->n || size > f->n - off)
            return fail(f, SC_E_FORMAT, "truncated: %s's external data runs past the end of the file "
                        "(offset %llu, %llu bytes, size %zu)", what, (unsigned long long)off,
                        (unsigned long long)size, f->n);
        *data = f->b + off;
        *bytes = (size_t)size;
    }
    return SC_OK;
}

static sc_status parse_tensor(parser *p, const fb_vec *v, int i, sc_tfl_tensor *t)
{
    fb *f = &p->f;
    char what[48], label[160], shp[128];
    fb_table tt, q;
    fb_vec shape;
    int type, has;
    uint32_t buffer;
    size_t elems = 1, p_sparse;
    sc_status st;

    snprintf(what, sizeof(what), "tensor %d", i);
    if ((st = vec_table(f, v, (size_t)i, what, &tt))) return st;
    if ((st = get_str(f, &tt, TENSOR_NAME, what, "name", &t->name))) return st;
    char pname[96];
    snprintf(label, sizeof(label), "tensor %d '%s'", i, printable(t->name, pname, sizeof(pname)));

    if ((st = get_vec(f, &tt, TENSOR_SHAPE, 4, what, "shape", &shape, NULL))) return st;
    if (shape.len > SC_TFL_MAX_DIMS)
        return fail(f, SC_E_UNSUPPORTED, "%s has %zu dimensions; at most %d are supported",
                    label, shape.len, SC_TFL_MAX_DIMS);
    t->n_dims = (int)shape.len;
    for (size_t d = 0; d < shape.len; d++) {
        int32_t dim = rd_i32(f->b + shape.pos + 4 * d);
        if (dim == -1)
            return fail(f, SC_E_UNSUPPORTED, "%s: dimension %zu is -1 (dynamic shapes are not supported)", label, d);
        if (dim < 0)
            return fail(f, SC_E_FORMAT, "%s: dimension %zu is negative (%ld)", label, d, (long)dim);
        t->dims[d] = dim;
        if (!sc_mul_size(elems, (size_t)dim, &elems))
            return fail(f, SC_E_FORMAT, "%s: element count of shape %s overflows", label,
                        shape_str(t, shp, sizeof(shp)));
    }

    if ((st = get_i8(f, &tt, TENSOR_TYPE, what, "type", &type))) return st;
    if (type < 0 || type > TFL_TYPE_MAX)
        return fail(f, SC_E_UNSUPPORTED, "%s: unknown tensor type %d", label, type);
    t->type = type;
    size_t esize = type_size(type), need = 0;
    if (esize && !sc_mul_size(elems, esize, &need))
        return fail(f, SC_E_FORMAT, "%s: byte size of shape %s overflows", label, shape_str(t, shp, sizeof(shp)));

    if ((st = get_u32(f, &tt, TENSOR_BUFFER, 0, what, "buffer", &buffer))) return st;
    if ((st = parse_buffer(p, buffer, label, &t->data, &t->data_bytes))) return st;
    if (t->data && esize && t->data_bytes != need)
        return fail(f, SC_E_FORMAT, "%s: buffer %u holds %zu bytes, but shape %s of %s needs %zu",
                    label, buffer, t->data_bytes, shape_str(t, shp, sizeof(shp)), type_name(type), need);

    if ((st = field_pos(f, &tt, TENSOR_SPARSITY, 4, what, "sparsity", &p_sparse))) return st;
    if (p_sparse)
        return fail(f, SC_E_UNSUPPORTED, "%s: sparse tensors are not supported", label);

    char qwhat[64];
    snprintf(qwhat, sizeof(qwhat), "tensor %d's quantization", i);
    if ((st = get_table(f, &tt, TENSOR_QUANT, what, "quantization", qwhat, &q, &has))) return st;
    if (has && (st = parse_quant(p, &q, qwhat, label, t))) return st;
    return SC_OK;
}

/* ---------------------------------------------------------------- FlexBuffers (custom options) */

enum { FX_INT = 1, FX_UINT = 2, FX_FLOAT = 3, FX_INDIRECT_INT = 6, FX_INDIRECT_UINT = 7,
       FX_INDIRECT_FLOAT = 8, FX_MAP = 9, FX_BOOL = 26 };

typedef struct fx {
    const uint8_t *p;
    size_t n;
} fx;

static int fx_width_ok(uint64_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

/* Unsigned integer of width w (1/2/4/8) at pos; 0 if out of bounds. */
static int fx_uint(const fx *x, size_t pos, size_t w, uint64_t *out)
{
    if (pos > x->n || w > x->n - pos) return 0;
    uint64_t v = 0;
    for (size_t k = 0; k < w; k++) v |= (uint64_t)x->p[pos + k] << (8 * k);
    *out = v;
    return 1;
}

static int fx_int(const fx *x, size_t pos, size_t w, int64_t *out)
{
    uint64_t u;
    if (!fx_uint(x, pos, w, &u)) return 0;
    if (w < 8 && (u >> (8 * w - 1)) & 1) u |= ~(uint64_t)0 << (8 * w);   /* sign-extend */
    *out = u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
    return 1;
}

static int fx_float(const fx *x, size_t pos, size_t w, double *out)
{
    if (pos > x->n || w > x->n - pos) return 0;
    if (w == 4) *out = rd_f32(x->p + pos);
    else if (w == 8) *out = rd_f64(x->p + pos);
    else return 0;   /* 8/16-bit floats are not produced by TFLite's writers */
    return 1;
}

/* A numeric map value: is_float selects i or d. */
typedef struct fx_num {
    int is_float;
    int64_t i;
    double d;
} fx_num;

/* Decodes the map value at vpos (parent width bw, packed type byte ptype).
 * Returns 1 on success, 0 for a bounds problem, -1 for a non-numeric type. */
static int fx_value(const fx *x, size_t vpos, size_t bw, uint8_t ptype, fx_num *v)
{
    unsigned type = ptype >> 2;
    size_t w = (size_t)1 << (ptype & 3);
    uint64_t off, u;
    size_t pos = vpos;
    memset(v, 0, sizeof(*v));
    if (type == FX_INDIRECT_INT || type == FX_INDIRECT_UINT || type == FX_INDIRECT_FLOAT) {
        if (!fx_uint(x, vpos, bw, &off) || off > vpos) return 0;
        pos = vpos - (size_t)off;
        bw = w;   /* the target is stored at the child's own width */
        type -= FX_INDIRECT_INT - FX_INT;
    }
    switch (type) {
    case FX_INT: return fx_int(x, pos, bw, &v->i);
    case FX_UINT: case FX_BOOL:
        if (!fx_uint(x, pos, bw, &u)) return 0;
        if (u > INT64_MAX) { v->is_float = 1; v->d = (double)u; }
        else v->i = (int64_t)u;
        return 1;
    case FX_FLOAT: v->is_float = 1; return fx_float(x, pos, bw, &v->d);
    default: return -1;
    }
}

enum { PP_MAX_DET, PP_MAX_CLS, PP_DET_PER_CLS, PP_REGULAR, PP_SCORE, PP_IOU, PP_NUM_CLS,
       PP_Y, PP_X, PP_H, PP_W, PP_N };

static const struct { const char *key; int is_int, required; } k_pp_keys[PP_N] = {
    [PP_MAX_DET] = { "max_detections", 1, 1 },
    [PP_MAX_CLS] = { "max_classes_per_detection", 1, 0 },
    [PP_DET_PER_CLS] = { "detections_per_class", 1, 0 },
    [PP_REGULAR] = { "use_regular_nms", 1, 0 },
    [PP_SCORE] = { "nms_score_threshold", 0, 1 },
    [PP_IOU] = { "nms_iou_threshold", 0, 1 },
    [PP_NUM_CLS] = { "num_classes", 1, 1 },
    [PP_Y] = { "y_scale", 0, 1 },
    [PP_X] = { "x_scale", 0, 1 },
    [PP_H] = { "h_scale", 0, 1 },
    [PP_W] = { "w_scale", 0, 1 },
};

/* TFLite_Detection_PostProcess options: a flexbuffer map. Keys we do not know are ignored. */
static sc_status parse_postprocess(fb *f, const char *label, const uint8_t *opts, size_t n,
                                   sc_tfl_postprocess_opts *pp)
{
    fx x = { opts, n };
    uint64_t off = 0, len = 0, koff = 0, kbw = 0, klen = 0;
    int seen[PP_N] = { 0 };
    fx_num val[PP_N];

    if (n < 3)
        return fail(f, SC_E_FORMAT, "%s: custom options (%zu bytes) are too short for a flexbuffer", label, n);
    size_t rbw = opts[n - 1];
    uint8_t rtype = opts[n - 2];
    if (!fx_width_ok(rbw) || n < 2 + rbw)
        return fail(f, SC_E_FORMAT, "%s: custom options have an invalid flexbuffer root width %zu", label, rbw);
    if ((rtype >> 2) != FX_MAP)
        return fail(f, SC_E_FORMAT, "%s: custom options are not a flexbuffer map (root type %u)", label, rtype >> 2);
    size_t rpos = n - 2 - rbw;
    size_t bw = (size_t)1 << (rtype & 3);
    if (!fx_uint(&x, rpos, rbw, &off) || off > rpos || rpos - off < 3 * bw)
        return fail(f, SC_E_FORMAT, "%s: custom options' map offset %llu is out of range", label,
                    (unsigned long long)off);
    size_t mpos = rpos - (size_t)off;
    if (!fx_uint(&x, mpos - bw, bw, &len) || len > (n - mpos) / (bw + 1))
        return fail(f, SC_E_FORMAT, "%s: custom options' map of %llu entries runs past the end of the options",
                    label, (unsigned long long)len);
    size_t kslot = mpos - 3 * bw;
    if (!fx_uint(&x, kslot, bw, &koff) || koff > kslot || !fx_uint(&x, mpos - 2 * bw, bw, &kbw) ||
        !fx_width_ok(kbw) || kslot - koff < kbw)
        return fail(f, SC_E_FORMAT, "%s: custom options' map keys are out of range", label);
    size_t kpos = kslot - (size_t)koff;
    if (!fx_uint(&x, kpos - kbw, kbw, &klen) || klen != len || len > (n - kpos) / kbw)
        return fail(f, SC_E_FORMAT, "%s: custom options' key vector (%llu keys) does not match the map "
                    "(%llu values)", label, (unsigned long long)klen, (unsigned long long)len);

    for (size_t i = 0; i < len; i++) {
        size_t slot = kpos + i * kbw;
        uint64_t so;
        if (!fx_uint(&x, slot, kbw, &so) || so > slot)
            return fail(f, SC_E_FORMAT, "%s: custom options' key %zu is out of range", label, i);
        size_t kp = slot - (size_t)so;
        const uint8_t *nul = memchr(opts + kp, 0, n - kp);
        if (!nul)
            return fail(f, SC_E_FORMAT, "%s: custom options' key %zu is not NUL-terminated", label, i);
        const char *key = (const char *)opts + kp;
        for (int k = 0; k < PP_N; k++) {
            if (seen[k] || strcmp(key, k_pp_keys[k].key) != 0) continue;
            uint8_t ptype = opts[mpos + len * bw + i];
            int r = fx_value(&x, mpos + i * bw, bw, ptype, &val[k]);
            if (r < 0)
                return fail(f, SC_E_FORMAT, "%s: option '%s' has flexbuffer type %u, not a number",
                            label, key, ptype >> 2);
            if (r == 0)
                return fail(f, SC_E_FORMAT, "%s: option '%s' lies outside the custom options", label, key);
            seen[k] = 1;
        }
    }

    int iv[PP_N] = { 0 };
    double dv[PP_N] = { 0 };
    for (int k = 0; k < PP_N; k++) {
        if (!seen[k]) {
            if (k_pp_keys[k].required)
                return fail(f, SC_E_FORMAT, "%s: custom options lack '%s'", label, k_pp_keys[k].key);
            continue;
        }
        double d = val[k].is_float ? val[k].d : (double)val[k].i;
        if (k_pp_keys[k].is_int) {
            if (val[k].is_float ? !(d >= INT_MIN && d <= INT_MAX && d == floor(d))
                                : (val[k].i < INT_MIN || val[k].i > INT_MAX))
                return fail(f, SC_E_FORMAT, "%s: option '%s' (%g) is not an int", label, k_pp_keys[k].key, d);
            iv[k] = val[k].is_float ? (int)d : (int)val[k].i;
        } else {
            if (!isfinite(d))
                return fail(f, SC_E_FORMAT, "%s: option '%s' is not finite", label, k_pp_keys[k].key);
            dv[k] = d;
        }
    }
    pp->max_detections = iv[PP_MAX_DET];
    pp->max_classes_per_detection = seen[PP_MAX_CLS] ? iv[PP_MAX_CLS] : 1;
    pp->detections_per_class = seen[PP_DET_PER_CLS] ? iv[PP_DET_PER_CLS] : 100;
    pp->use_regular_nms = iv[PP_REGULAR] != 0;
    pp->nms_score_threshold = (float)dv[PP_SCORE];
    pp->nms_iou_threshold = (float)dv[PP_IOU];
    pp->num_classes = iv[PP_NUM_CLS];
    pp->y_scale = (float)dv[PP_Y];
    pp->x_scale = (float)dv[PP_X];
    pp->h_scale = (float)dv[PP_H];
    pp->w_scale = (float)dv[PP_W];
    if (pp->max_detections < 1 || pp->max_classes_per_detection < 1 || pp->detections_per_class < 1 ||
        pp->num_classes < 1)
        return fail(f, SC_E_FORMAT, "%s: max_detections %d, max_classes_per_detection %d, detections_per_class %d "
                    "and num_classes %d must all be >= 1", label, pp->max_detections,
                    pp->max_classes_per_detection, pp->detections_per_class, pp->num_classes);
    if (!(pp->nms_iou_threshold > 0.0f && pp->nms_iou_threshold <= 1.0f))
        return fail(f, SC_E_FORMAT, "%s: nms_iou_threshold %g is not in (0, 1]", label,
                    (double)pp->nms_iou_threshold);
    if (!(pp->y_scale > 0.0f && pp->x_scale > 0.0f && pp->h_scale > 0.0f && pp->w_scale > 0.0f))
        return fail(f, SC_E_FORMAT, "%s: box scales must be positive (y %g, x %g, h %g, w %g)", label,
                    (double)pp->y_scale, (double)pp->x_scale, (double)pp->h_scale, (double)pp->w_scale);
    return SC_OK;
}

/* ---------------------------------------------------------------- operators */

/* Reads and validates the builtin options tables we understand. */
static sc_status parse_options(parser *p, const fb_table *o, const char *what, const char *label,
                               sc_tfl_op *op)
{
    fb *f = &p->f;
    uint8_t otype;
    int expect = 0, has, act = 0, pad = 0, pres;
    fb_table t;
    sc_status st;
    char owhat[64];

    switch (op->builtin) {
    case SC_TFL_OP_CONV_2D: expect = OPT_CONV2D; break;
    case SC_TFL_OP_DEPTHWISE_CONV_2D: expect = OPT_DEPTHWISE; break;
    case SC_TFL_OP_AVERAGE_POOL_2D: case SC_TFL_OP_MAX_POOL_2D: case 12 /* L2_POOL_2D */:
        expect = OPT_POOL2D; break;
    case SC_TFL_OP_CONCATENATION: expect = OPT_CONCATENATION; break;
    case SC_TFL_OP_ADD: expect = OPT_ADD; break;
    case SC_TFL_OP_RESHAPE: expect = OPT_RESHAPE; break;
    case 9 /* FULLY_CONNECTED */: expect = OPT_FULLY_CONNECTED; break;
    case 18 /* MUL */: expect = OPT_MUL; break;
    case 41 /* SUB */: expect = OPT_SUB; break;
    case 42 /* DIV */: expect = OPT_DIV; break;
    default: return SC_OK;   /* options of other ops are not read */
    }
    if ((st = get_u8(f, o, OP_OPTIONS_TYPE, 0, what, "builtin_options_type", &otype))) return st;
    if (otype == 0) return SC_OK;   /* defaults */
    if (otype != expect)
        return fail(f, SC_E_FORMAT, "%s: builtin options have union type %u, expected %d", label, otype, expect);
    snprintf(owhat, sizeof(owhat), "%s's options", what);
    if ((st = get_table(f, o, OP_OPTIONS, what, "builtin_options", owhat, &t, &has))) return st;
    if (!has) return SC_OK;

    /* Field indices per options table (schema order). */
    int i_pad = -1, i_sw = -1, i_sh = -1, i_act = -1, i_dw = -1, i_dh = -1, i_dm = -1, i_fw = -1, i_fh = -1;
    switch (otype) {
    case OPT_CONV2D: i_pad = 0; i_sw = 1; i_sh = 2; i_act = 3; i_dw = 4; i_dh = 5; break;
    case OPT_DEPTHWISE: i_pad = 0; i_sw = 1; i_sh = 2; i_dm = 3; i_act = 4; i_dw = 5; i_dh = 6; break;
    case OPT_POOL2D: i_pad = 0; i_sw = 1; i_sh = 2; i_fw = 3; i_fh = 4; i_act = 5; break;
    case OPT_CONCATENATION: i_act = 1; break;
    case OPT_ADD: case OPT_MUL: case OPT_SUB: case OPT_DIV: case OPT_FULLY_CONNECTED: i_act = 0; break;
    default: break;
    }
    if (i_pad >= 0) {
        if ((st = get_i8(f, &t, i_pad, owhat, "padding", &pad))) return st;
        if (pad != SC_TFL_PAD_SAME && pad != SC_TFL_PAD_VALID)
            return fail(f, SC_E_FORMAT, "%s: unknown padding %d", label, pad);
        op->padding = pad;
    }
    if (i_act >= 0) {
        if ((st = get_i8(f, &t, i_act, owhat, "fused_activation_function", &act))) return st;
        if (act < 0 || act > TFL_ACT_MAX)
            return fail(f, SC_E_FORMAT, "%s: unknown fused activation %d", label, act);
        op->activation = act;
    }
    /* Positive int fields: absent → 1 (see the file comment). */
    const struct { int idx; const char *name; int *dst; int min; } ints[] = {
        { i_sw, "stride_w", &op->stride_w, 1 }, { i_sh, "stride_h", &op->stride_h, 1 },
        { i_dw, "dilation_w_factor", &op->dilation_w, 1 }, { i_dh, "dilation_h_factor", &op->dilation_h, 1 },
        { i_dm, "depth_multiplier", &op->depth_multiplier, 0 },
        { i_fw, "filter_width", &op->filter_w, 1 }, { i_fh, "filter_height", &op->filter_h, 1 },
    };
    for (size_t k = 0; k < SC_ARRAY_LEN(ints); k++) {
        int32_t v;
        if (ints[k].idx < 0) continue;
        if ((st = get_i32(f, &t, ints[k].idx, 1, owhat, ints[k].name, &v, &pres))) return st;
        if (v < ints[k].min)
            return fail(f, SC_E_FORMAT, "%s: %s is %ld (must be >= %d)", label, ints[k].name, (long)v, ints[k].min);
        *ints[k].dst = (int)v;
    }
    if (otype == OPT_CONCATENATION) {
        int32_t axis;
        if ((st = get_i32(f, &t, 0, 0, owhat, "axis", &axis, NULL))) return st;
        op->axis = (int)axis;   /* range against the tensor rank is the graph builder's check */
    }
    if (otype == OPT_RESHAPE) {
        fb_vec ns;
        if ((st = get_vec(f, &t, 0, 4, owhat, "new_shape", &ns, &pres))) return st;
        if (pres) {
            if (ns.len > SC_TFL_MAX_DIMS)
                return fail(f, SC_E_UNSUPPORTED, "%s: new_shape has %zu dimensions; at most %d are supported",
                            label, ns.len, SC_TFL_MAX_DIMS);
            op->n_new_shape = (int)ns.len;
            for (size_t d = 0; d < ns.len; d++) op->new_shape[d] = rd_i32(f->b + ns.pos + 4 * d);
        }
    }
    return SC_OK;
}

static sc_status parse_io(parser *p, const fb_table *o, int idx, const char *what, const char *label,
                          const char *kind, int allow_absent, int *n_out, int *out)
{
    fb *f = &p->f;
    fb_vec v;
    sc_status st;
    char field[16];
    snprintf(field, sizeof(field), "%ss", kind);
    if ((st = get_vec(f, o, idx, 4, what, field, &v, NULL))) return st;
    if (v.len > SC_TFL_MAX_IO)
        return fail(f, SC_E_UNSUPPORTED, "%s has %zu %ss; at most %d are supported", label, v.len, kind, SC_TFL_MAX_IO);
    *n_out = (int)v.len;
    for (size_t k = 0; k < v.len; k++) {
        int32_t ti = rd_i32(f->b + v.pos + 4 * k);
        if (ti == -1 && allow_absent) {
            out[k] = -1;
            continue;
        }
        if (ti < 0 || ti >= p->m->n_tensors)
            return fail(f, SC_E_FORMAT, "%s: %s %zu is tensor %ld, but the subgraph has %d tensors",
                        label, kind, k, (long)ti, p->m->n_tensors);
        out[k] = (int)ti;
    }
    return SC_OK;
}

static sc_status parse_op(parser *p, const fb_vec *v, int i, sc_tfl_op *op)
{
    fb *f = &p->f;
    char what[48], label[160];
    fb_table o;
    uint32_t oi;
    sc_status st;

    op->padding = SC_TFL_PAD_SAME;
    op->stride_w = op->stride_h = 1;
    op->dilation_w = op->dilation_h = 1;
    op->depth_multiplier = 1;
    op->filter_w = op->filter_h = 1;
    op->activation = SC_TFL_ACT_NONE;
    op->n_new_shape = -1;

    snprintf(what, sizeof(what), "operator %d", i);
    if ((st = vec_table(f, v, (size_t)i, what, &o))) return st;
    if ((st = get_u32(f, &o, OP_OPCODE, 0, what, "opcode_index", &oi))) return st;
    if (oi >= p->n_opcodes)
        return fail(f, SC_E_FORMAT, "%s: opcode index %u, but the model has %zu operator codes",
                    what, oi, p->n_opcodes);
    op->builtin = p->opcodes[oi].builtin;
    op->custom_name = p->opcodes[oi].custom;
    op->op_name = p->opcodes[oi].name;
    char pname[96];
    snprintf(label, sizeof(label), "operator %d (%s)", i, printable(op->op_name, pname, sizeof(pname)));

    if ((st = parse_io(p, &o, OP_INPUTS, what, label, "input", 1, &op->n_inputs, op->inputs))) return st;
    if ((st = parse_io(p, &o, OP_OUTPUTS, what, label, "output", 0, &op->n_outputs, op->outputs))) return st;
    if ((st = parse_options(p, &o, what, label, op))) return st;

    if (op->builtin == SC_TFL_OP_CUSTOM && strcmp(op->custom_name, "TFLite_Detection_PostProcess") == 0) {
        fb_vec co;
        int fmt;
        uint64_t loff, lsize;
        const uint8_t *opts = NULL;
        size_t n = 0;
        if ((st = get_i8(f, &o, OP_CUSTOM_FORMAT, what, "custom_options_format", &fmt))) return st;
        if (fmt != 0)
            return fail(f, SC_E_UNSUPPORTED, "%s: custom options format %d (only FLEXBUFFERS)", label, fmt);
        if ((st = get_vec(f, &o, OP_CUSTOM_OPTIONS, 1, what, "custom_options", &co, NULL))) return st;
        if (co.len) {
            opts = f->b + co.pos;
            n = co.len;
        } else {
            if ((st = get_u64(f, &o, OP_LARGE_CUSTOM_OFFSET, what, "large_custom_options_offset", &loff))) return st;
            if ((st = get_u64(f, &o, OP_LARGE_CUSTOM_SIZE, what, "large_custom_options_size", &lsize))) return st;
            if (loff > 1) {
                if (loff > f->n || lsize > f->n - loff)
                    return fail(f, SC_E_FORMAT, "truncated: %s's custom options run past the end of the file "
                                "(offset %llu, size %zu)", what, (unsigned long long)loff, f->n);
                opts = f->b + loff;
                n = (size_t)lsize;
            }
        }
        if (!opts)
            return fail(f, SC_E_FORMAT, "%s has no custom options", label);
        if ((st = parse_postprocess(f, label, opts, n, &op->pp))) return st;
        op->has_postprocess = 1;
    }
    return SC_OK;
}

/* ---------------------------------------------------------------- model */

static sc_status parse_model(parser *p)
{
    fb *f = &p->f;
    sc_tflite_model *m = p->m;
    fb_table root, sg;
    fb_vec opcodes, subgraphs, tensors, ops;
    sc_status st;

    if (f->n < 8)
        return fail(f, SC_E_FORMAT, "truncated: file is %zu bytes, too small for a flatbuffer header", f->n);
    if (memcmp(f->b + 4, "TFL3", 4) != 0) {
        char id[20];
        size_t k = 0;
        for (int c = 4; c < 8; c++) {
            unsigned ch = f->b[c];
            k += (size_t)snprintf(id + k, sizeof(id) - k, ch >= 0x20 && ch < 0x7f ? "%c" : "\\x%02x", ch);
        }
        return fail(f, SC_E_FORMAT, "not a TFLite model: file identifier is '%s', expected 'TFL3'", id);
    }
    size_t at;
    if ((st = follow(f, 0, "file header", "root offset", &at))) return st;
    if ((st = open_table(f, at, "model table", &root))) return st;

    if ((st = get_u32(f, &root, MODEL_VERSION, 0, "model", "version", &m->version))) return st;
    if (m->version != 3)
        return fail(f, SC_E_UNSUPPORTED, "schema version %u (only version 3 is supported)", m->version);

    if ((st = get_vec(f, &root, MODEL_SUBGRAPHS, 4, "model", "subgraphs", &subgraphs, NULL))) return st;
    if (subgraphs.len == 0) return fail(f, SC_E_FORMAT, "corrupt: the model has no subgraphs");
    if (subgraphs.len > 1)
        return fail(f, SC_E_UNSUPPORTED, "the model has %zu subgraphs; only single-subgraph models are supported",
                    subgraphs.len);
    if ((st = get_vec(f, &root, MODEL_OPCODES, 4, "model", "operator_codes", &opcodes, NULL))) return st;
    if ((st = get_vec(f, &root, MODEL_BUFFERS, 4, "model", "buffers", &p->buffers, NULL))) return st;
    if ((st = parse_opcodes(p, &opcodes))) return st;

    if ((st = vec_table(f, &subgraphs, 0, "subgraph 0", &sg))) return st;
    if ((st = get_vec(f, &sg, SG_TENSORS, 4, "subgraph 0", "tensors", &tensors, NULL))) return st;
    if ((st = get_vec(f, &sg, SG_OPERATORS, 4, "subgraph 0", "operators", &ops, NULL))) return st;
    /* Vector lengths are bounded by the file size (4 bytes per entry); int must hold them too. */
    if (tensors.len > INT_MAX || ops.len > INT_MAX)
        return fail(f, SC_E_UNSUPPORTED, "subgraph 0 has too many tensors or operators");

    if (tensors.len) {
        m->tensors = calloc(tensors.len, sizeof(*m->tensors));
        if (!m->tensors) return fail(f, SC_E_NOMEM, "out of memory for %zu tensors", tensors.len);
    }
    m->n_tensors = (int)tensors.len;
    for (int i = 0; i < m->n_tensors; i++)
        if ((st = parse_tensor(p, &tensors, i, &m->tensors[i]))) return st;

    if ((st = parse_io(p, &sg, SG_INPUTS, "subgraph 0", "subgraph 0", "input", 0, &m->n_inputs, m->inputs)))
        return st;
    if ((st = parse_io(p, &sg, SG_OUTPUTS, "subgraph 0", "subgraph 0", "output", 0, &m->n_outputs, m->outputs)))
        return st;

    if (ops.len) {
        m->ops = calloc(ops.len, sizeof(*m->ops));
        if (!m->ops) return fail(f, SC_E_NOMEM, "out of memory for %zu operators", ops.len);
    }
    m->n_ops = (int)ops.len;
    for (int i = 0; i < m->n_ops; i++)
        if ((st = parse_op(p, &ops, i, &m->ops[i]))) return st;
    return SC_OK;
}

/* Parses the n bytes at b. `owned` is NULL for a validation pass over the caller's bytes, or
 * b itself when b came from sc_aligned_alloc (n + SC_OVERREAD bytes): the model then owns it,
 * and frees it on failure too. */
static sc_status run_parse(const uint8_t *b, size_t n, uint8_t *owned, sc_tflite_model **out,
                           char *err, size_t errlen)
{
    parser p;
    memset(&p, 0, sizeof(p));
    p.f.b = b;
    p.f.n = n;
    p.f.err = err;
    p.f.errlen = errlen;
    if (err && errlen) err[0] = '\0';
    if (owned) memset(owned + n, 0, SC_OVERREAD);

    p.m = calloc(1, sizeof(*p.m));
    if (!p.m) {
        sc_aligned_free(owned);
        return fail(&p.f, SC_E_NOMEM, "out of memory");
    }
    p.m->file = owned;
    p.m->file_size = n;
    sc_status st = parse_model(&p);
    free(p.opcodes);
    if (st != SC_OK) {
        if (err && errlen && !err[0]) snprintf(err, errlen, "%s", sc_status_str(st));
        sc_tflite_destroy(p.m);
        return st;
    }
    *out = p.m;
    return SC_OK;
}

sc_status sc_tflite_parse(const uint8_t *data, size_t size, sc_tflite_model **out, char *err, size_t errlen)
{
    size_t alloc;
    sc_tflite_model *check = NULL;
    if (err && errlen) err[0] = '\0';
    if (!out || (!data && size)) {
        if (err && errlen) snprintf(err, errlen, "sc_tflite_parse: invalid arguments");
        if (out) *out = NULL;
        return SC_E_INVAL;
    }
    *out = NULL;
    /* Validate the caller's bytes first, so a bad file costs no copy; the parse of the copy
     * then sees identical bytes and can only fail for lack of memory. */
    sc_status st = run_parse(data, size, NULL, &check, err, errlen);
    sc_tflite_destroy(check);
    if (st != SC_OK) return st;
    if (!sc_add_size(size, SC_OVERREAD, &alloc)) {
        if (err && errlen) snprintf(err, errlen, "model of %zu bytes is too large", size);
        return SC_E_NOMEM;
    }
    uint8_t *buf = sc_aligned_alloc(alloc);
    if (!buf) {
        if (err && errlen) snprintf(err, errlen, "out of memory for a %zu-byte model", size);
        return SC_E_NOMEM;
    }
    memcpy(buf, data, size);
    return run_parse(buf, size, buf, out, err, errlen);
}

sc_status sc_tflite_load(const char *path, sc_tflite_model **out, char *err, size_t errlen)
{
    char msg[512];
    struct stat sb;
    uint8_t *buf = NULL;
    size_t size = 0, alloc;
    sc_status st;
    FILE *fp;

    if (err && errlen) err[0] = '\0';
    if (!path || !out) {
        if (err && errlen) snprintf(err, errlen, "sc_tflite_load: invalid arguments");
        if (out) *out = NULL;
        return SC_E_INVAL;
    }
    *out = NULL;
    fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        if (err && errlen) snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        return SC_E_IO;
    }
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0) {
        if (err && errlen) snprintf(err, errlen, "%s: not a regular file", path);
        fclose(fp);
        return SC_E_IO;
    }
    if ((uintmax_t)sb.st_size > SIZE_MAX - SC_OVERREAD) {
        if (err && errlen) snprintf(err, errlen, "%s: file is too large", path);
        fclose(fp);
        return SC_E_NOMEM;
    }
    size = (size_t)sb.st_size;
    alloc = size + SC_OVERREAD;
    buf = sc_aligned_alloc(alloc);
    if (!buf) {
        if (err && errlen) snprintf(err, errlen, "%s: out of memory for %zu bytes", path, size);
        fclose(fp);
        return SC_E_NOMEM;
    }
    if (size && fread(buf, 1, size, fp) != size) {
        int e = ferror(fp) ? errno : 0;
        if (err && errlen)
            snprintf(err, errlen, "%s: short read: %s", path, e ? strerror(e) : "file shrank while reading");
        fclose(fp);
        sc_aligned_free(buf);
        return SC_E_IO;
    }
    fclose(fp);
    msg[0] = '\0';
    st = run_parse(buf, size, buf, out, msg, sizeof(msg));
    if (st != SC_OK && err && errlen) snprintf(err, errlen, "%s: %s", path, msg);
    return st;
}

void sc_tflite_destroy(sc_tflite_model *m)
{
    if (!m) return;
    free(m->tensors);
    free(m->ops);
    free(m->strings);
    sc_aligned_free(m->file);
    free(m);
}

size_t sc_tfl_tensor_elems(const sc_tfl_tensor *t)
{
    size_t n = 1;
    for (int d = 0; d < t->n_dims && d < SC_TFL_MAX_DIMS; d++) n *= t->dims[d] > 0 ? (size_t)t->dims[d] : 0;
    return n;
}
