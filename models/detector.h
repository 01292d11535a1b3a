/* models/detector.h — MobileNet-SSD from a .tflite file, run by our own engine.
 *
 * sc_detector_create() reads the model (models/tflite.h), maps its graph onto core layers
 * (CONV_2D, DEPTHWISE_CONV_2D, ADD, RESHAPE, CONCATENATION, LOGISTIC, and the custom
 * TFLite_Detection_PostProcess), packs the weights once, plans the activation arena for the
 * chosen input size and creates the worker pool. Input sizes other than the file's (the
 * resolution multiplier ρ) get shapes re-inferred and anchors regenerated (models/ssd.h).
 *
 * Per frame: fill sc_detector_input() (an RGB image of input_size × input_size, already
 * resized — see core/image.h), then sc_detector_run(). Nothing is allocated per frame.
 * A detector is used by one thread at a time. */
#ifndef SC_MODELS_DETECTOR_H
#define SC_MODELS_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/image.h"
#include "core/kernels/kernels.h"
#include "models/ssd.h"

typedef struct sc_detector_cfg {
    const char *model_path;
    int input_size;       /* network input side in pixels; 0 = the model file's own (300) */
    int use_float;        /* 1: dequantised float32 path (cross-check), 0: TFLite uint8 arithmetic */
    int n_threads;        /* worker threads including the caller; 0 = one per core */
    int force_ref;        /* 1: scalar reference kernels only (also env SC_KERNELS=ref) */
} sc_detector_cfg;

typedef struct sc_detector sc_detector;

/* On failure err holds one line naming the file and the problem. Returns SC_E_IO (cannot
 * read), SC_E_FORMAT (corrupt), SC_E_UNSUPPORTED (an operator or layout we do not run),
 * SC_E_INVAL (bad cfg, e.g. an input size too small for the network), SC_E_NOMEM. */
sc_status sc_detector_create(const sc_detector_cfg *cfg, sc_detector **out, char *err, size_t errlen);
/* The same from a .tflite file's `size` bytes at `data` (copied; the caller keeps them).
 * cfg->model_path is only the name used in messages (NULL: "(memory)"). Same results as
 * sc_detector_create() on a file holding those bytes, except that SC_E_IO cannot happen. */
sc_status sc_detector_create_mem(const sc_detector_cfg *cfg, const uint8_t *data, size_t size,
                                 sc_detector **out, char *err, size_t errlen);
void sc_detector_destroy(sc_detector *d);   /* NULL is a no-op */

/* The network input, input_size × input_size RGB, owned by the detector: write the resized
 * picture here before each run. For the uint8 path it is the network's own input tensor. */
sc_image *sc_detector_input(sc_detector *d);
int sc_detector_input_size(const sc_detector *d);
int sc_detector_num_classes(const sc_detector *d);  /* without background (90 for COCO) */
int sc_detector_max_detections(const sc_detector *d);

/* Runs the network and the SSD post-process on the current input. Writes at most `cap`
 * detections (decreasing score, boxes normalised to the input) and returns how many. */
int sc_detector_run(sc_detector *d, sc_det *out, int cap);

/* Statistics of the built network. */
typedef struct sc_detector_stats {
    int n_layers;
    int64_t macs, params;
    int64_t macs_by_type[6], params_by_type[6];   /* indexed by sc_layer_type */
    size_t arena_bytes;
    const char *kernels_isa;
    int n_threads;
} sc_detector_stats;
void sc_detector_get_stats(const sc_detector *d, sc_detector_stats *st);

/* Layer-level access for `ssdcam info MODEL` and benchmarks. */
struct sc_net;
struct sc_net *sc_detector_net(sc_detector *d);
const sc_anchor *sc_detector_anchors(const sc_detector *d, int *n);

#endif
