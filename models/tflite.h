/* models/tflite.h — a bounds-checked reader of TensorFlow Lite flatbuffers (schema v3).
 *
 * sc_tflite_parse() validates the whole file up front: every offset, vector length, string,
 * tensor index, buffer index and buffer size read from the file is checked against the file's
 * bytes, so later code can use the result without further checks. It describes the file only;
 * turning it into a runnable network is models/detector.c's job.
 *
 * Errors: SC_E_FORMAT for a truncated or corrupt file, SC_E_UNSUPPORTED for a well-formed file
 * using something we do not implement (more than one subgraph, per-channel quantisation, sparse
 * tensors, dynamic (-1) dimensions, schema versions other than 3...).
 * On failure, `err` receives one line naming what and where, e.g.
 *   "operator 12 (CONV_2D): input 1 is tensor 300, but the subgraph has 176 tensors". */
#ifndef SC_MODELS_TFLITE_H
#define SC_MODELS_TFLITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

#define SC_TFL_MAX_DIMS 8
#define SC_TFL_MAX_IO 16      /* max inputs or outputs per operator we accept */

/* TensorType values from the schema. */
enum {
    SC_TFL_FLOAT32 = 0, SC_TFL_FLOAT16 = 1, SC_TFL_INT32 = 2, SC_TFL_UINT8 = 3,
    SC_TFL_INT64 = 4, SC_TFL_STRING = 5, SC_TFL_BOOL = 6, SC_TFL_INT16 = 7, SC_TFL_INT8 = 9
};

/* BuiltinOperator values we name (others keep their number). */
enum {
    SC_TFL_OP_ADD = 0, SC_TFL_OP_AVERAGE_POOL_2D = 1, SC_TFL_OP_CONCATENATION = 2,
    SC_TFL_OP_CONV_2D = 3, SC_TFL_OP_DEPTHWISE_CONV_2D = 4, SC_TFL_OP_DEQUANTIZE = 6,
    SC_TFL_OP_LOGISTIC = 14, SC_TFL_OP_MAX_POOL_2D = 17, SC_TFL_OP_RELU6 = 21,
    SC_TFL_OP_RESHAPE = 22, SC_TFL_OP_CUSTOM = 32, SC_TFL_OP_QUANTIZE = 114
};

/* Padding and fused activations from the schema. */
enum { SC_TFL_PAD_SAME = 0, SC_TFL_PAD_VALID = 1 };
enum { SC_TFL_ACT_NONE = 0, SC_TFL_ACT_RELU = 1, SC_TFL_ACT_RELU_N1_TO_1 = 2, SC_TFL_ACT_RELU6 = 3 };

typedef struct sc_tfl_tensor {
    const char *name;            /* NUL-terminated copy owned by the model; "" when absent */
    int type;                    /* SC_TFL_* tensor type */
    int n_dims;
    int32_t dims[SC_TFL_MAX_DIMS];
    const uint8_t *data;         /* constant data inside the file, or NULL (activation) */
    size_t data_bytes;           /* == element count × element size when data != NULL (checked) */
    int quantized;               /* 1 when a (single) scale is present */
    float scale;
    int32_t zero_point;
} sc_tfl_tensor;

/* Options of TFLite_Detection_PostProcess (flexbuffer map in custom_options). */
typedef struct sc_tfl_postprocess_opts {
    int max_detections;
    int max_classes_per_detection;   /* default 1 */
    int detections_per_class;        /* default 100 */
    int use_regular_nms;             /* default 0 */
    float nms_score_threshold;
    float nms_iou_threshold;
    int num_classes;
    float y_scale, x_scale, h_scale, w_scale;
} sc_tfl_postprocess_opts;

typedef struct sc_tfl_op {
    int builtin;                 /* SC_TFL_OP_*: max(deprecated_builtin_code, builtin_code) */
    const char *custom_name;     /* for SC_TFL_OP_CUSTOM, else "" */
    const char *op_name;         /* "CONV_2D", "DEPTHWISE_CONV_2D", ..., or the custom name */
    int n_inputs, n_outputs;
    int inputs[SC_TFL_MAX_IO];   /* tensor indices, checked in range; -1 = optional input absent */
    int outputs[SC_TFL_MAX_IO];
    /* Builtin options, filled for the ops that have them; schema defaults otherwise. */
    int padding;                 /* SC_TFL_PAD_* (conv, depthwise, pools) */
    int stride_w, stride_h;      /* default 1 */
    int dilation_w, dilation_h;  /* default 1 */
    int depth_multiplier;        /* depthwise; default 1 */
    int filter_w, filter_h;      /* pools (Pool2DOptions); default 1 */
    int activation;              /* SC_TFL_ACT_* (conv, depthwise, add, concatenation) */
    int axis;                    /* concatenation */
    int n_new_shape;             /* reshape options' new_shape, if present (else -1) */
    int32_t new_shape[SC_TFL_MAX_DIMS];
    int has_postprocess;         /* 1 for TFLite_Detection_PostProcess with parsed options */
    sc_tfl_postprocess_opts pp;
} sc_tfl_op;

typedef struct sc_tflite_model {
    uint32_t version;            /* schema version; we accept 3 */
    int n_tensors;
    sc_tfl_tensor *tensors;
    int n_ops;
    sc_tfl_op *ops;              /* in execution order */
    int n_inputs, n_outputs;
    int inputs[SC_TFL_MAX_IO];   /* subgraph input/output tensor indices */
    int outputs[SC_TFL_MAX_IO];
    /* private: the file bytes (tensor data points into them) and string storage */
    uint8_t *file;
    size_t file_size;
    char *strings;
} sc_tflite_model;

/* Parses `size` bytes at `data`; the model takes a private copy of the bytes.
 * On failure *out = NULL and err (errlen > 0) holds a one-line reason. */
sc_status sc_tflite_parse(const uint8_t *data, size_t size, sc_tflite_model **out,
                          char *err, size_t errlen);
/* Reads the file then parses it; the error line starts with the path. */
sc_status sc_tflite_load(const char *path, sc_tflite_model **out, char *err, size_t errlen);
void sc_tflite_destroy(sc_tflite_model *m);   /* NULL is a no-op */

/* Product of the dims (1 for a scalar, n_dims == 0); the parser checks it cannot overflow. */
size_t sc_tfl_tensor_elems(const sc_tfl_tensor *t);

#endif
