/* core/nn/net.h — a small inference graph: tensors, layers, one planned arena.
 *
 * A builder (models/detector.c) adds tensors and layers in execution order, gives each layer
 * its weights (memory owned by the net, from sc_net_alloc), then calls sc_net_plan(), which
 * computes tensor lifetimes, packs activations into one 64-byte aligned arena (tensors whose
 * lifetimes do not overlap share memory) and allocates it. sc_net_run() then allocates nothing.
 *
 * Tensors have batch 1 and are NHWC (h, w, c); uint8 tensors carry TFLite per-tensor
 * quantisation (scale, zero point). A reshape is an alias: the output shares the input's bytes.
 *
 * Thread-safety: a net is used by one thread at a time; sc_net_run() splits each layer over
 * the pool by output rows, one writer per element, so results are identical for any thread
 * count. */
#ifndef SC_CORE_NN_NET_H
#define SC_CORE_NN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"

typedef enum sc_dtype { SC_DT_U8 = 0, SC_DT_F32 = 1 } sc_dtype;

typedef struct sc_nn_tensor {
    sc_dtype dt;
    int h, w, c;
    float scale;                 /* uint8: real = scale · (q - zp) */
    int32_t zp;
    int alias_of;                /* -1, or the tensor whose bytes this one shares */
    /* set by sc_net_plan */
    size_t offset, bytes;
    int first, last;             /* first and last layer that touch it */
    char name[64];
} sc_nn_tensor;

typedef enum sc_layer_type {
    SC_L_CONV = 0, SC_L_DWCONV, SC_L_ADD, SC_L_CONCAT, SC_L_LOGISTIC, SC_L_RESHAPE
} sc_layer_type;

#define SC_NN_MAX_IN 8

/* A conv layer's packed form (core/kernels/kernels.h): none, gemmconv or dwconv3x3. */
typedef enum sc_conv_packing { SC_PACK_NONE = 0, SC_PACK_GEMM, SC_PACK_DW3X3 } sc_conv_packing;

typedef struct sc_nn_layer {
    sc_layer_type type;
    int n_in;
    int in[SC_NN_MAX_IN];
    int out;
    /* conv / depthwise */
    sc_conv_shape shape;
    sc_requant q;                /* uint8 */
    const void *w;               /* uint8 or f32 weights in the reference layout; owned by the net */
    const void *bias;            /* int32 or f32; owned by the net */
    sc_conv_packing packing;     /* set by sc_net_pack_conv: which packed kernel may run it */
    const void *packed;          /* the packed weights (NULL: reference kernels only) */
    float act_min, act_max;      /* f32 clamp */
    /* add (uint8): TFLite's scheme with a left shift of 20 */
    int32_t add_mult[3], add_shift[3];
    /* concat: axis in the (h, w, c) view */
    int axis;
    /* logistic (uint8): 256-entry table */
    uint8_t lut[256];
    /* statistics */
    int64_t macs, params;
    int src_index;               /* operator index in the model file, for messages */
} sc_nn_layer;

typedef struct sc_net sc_net;

sc_status sc_net_create(int max_tensors, int max_layers, sc_net **out);
void sc_net_destroy(sc_net *net);   /* NULL is a no-op; frees weights and arena */

/* Adds a tensor; returns its id, or -1 when full. */
int sc_net_add_tensor(sc_net *net, const sc_nn_tensor *t);
sc_nn_tensor *sc_net_tensor(sc_net *net, int id);
int sc_net_tensor_count(const sc_net *net);
/* Appends a zeroed layer (NULL when full). */
sc_nn_layer *sc_net_add_layer(sc_net *net);
int sc_net_layer_count(const sc_net *net);
const sc_nn_layer *sc_net_layer(const sc_net *net, int i);
/* Memory owned by the net (64-byte aligned, zeroed), freed with it. NULL on failure. */
void *sc_net_alloc(sc_net *net, size_t bytes);

/* Packs a conv or depthwise layer whose l->w / l->bias (reference layouts), shape, q or
 * clamp and output tensor are set, for the packed kernels when its shape has one and `k` provides it (the
 * layouts are the same for every ISA). The reference weights are kept: a table without
 * packed kernels (SC_KERNELS=ref) still runs the layer. Returns SC_OK (also when nothing is
 * packed) or SC_E_NOMEM. */
sc_status sc_net_pack_conv(sc_net *net, sc_nn_layer *l, const sc_kernels *k);

/* Marks the graph's input and outputs (kept alive to the end), plans and allocates the arena. */
sc_status sc_net_plan(sc_net *net, int input, const int *outputs, int n_outputs);
size_t sc_net_arena_bytes(const sc_net *net);
/* The tensor's bytes in the arena (valid after plan). */
void *sc_net_data(sc_net *net, int id);

/* Runs every layer; `pool` may be NULL (serial). `kernels` selects the implementations.
 * A concatenation whose output only the logistic right after it reads runs fused with it:
 * the logistic's output is the same, the concatenation's own output is not written.
 * Chains: a run of packed conv / depthwise 3×3 layers, each reading only the output of the
 * one before (not a graph output), with weights of at most 256 KB and no channel split on this
 * pool, runs fused as sc_net_set_fusion says: one pass over bands of the last layer's output
 * rows, each layer computing the rows the next needs into a few rows of its own output
 * tensor while they are in cache (core/nn/net.c, "chains of layers"). The chain's last output
 * has the same bytes as layer by layer, for any thread count; the tensors inside the chain
 * serve as windows and do not hold the layers' outputs afterwards. (sc_net_plan links layers
 * by structure alone, packed or not, for the fusion mode set then, and keeps all the tensors
 * of a chain apart: the arena's layout does not depend on the kernels; a link it did not make
 * room for is never fused.) */
void sc_net_run(sc_net *net, const sc_kernels *kernels, sc_pool *pool);
/* Runs layer i only, unfused: its output tensor holds the layer's output afterwards (for
 * checking layers one by one). */
void sc_net_run_layer(sc_net *net, const sc_kernels *kernels, sc_pool *pool, int i);
/* Step i of sc_net_run (for per-layer benchmarks): running steps 0..n-1 in order is
 * sc_net_run(). Layer i alone, or for the first layer of a fused chain (sc_net_fused() > 0)
 * or of a concatenation → logistic the fused pass of all of them; the other layers' steps
 * then do nothing, so the first one's time is the chain's. */
void sc_net_run_step(sc_net *net, const sc_kernels *kernels, sc_pool *pool, int i);
/* Chain fusion: SC_FUSE_AUTO (the default) links two layers when the tensor between them is
 * at least 1 MB (would not stay in L2; smaller ones measured slower fused), SC_FUSE_ALL every
 * link sc_net_run may fuse (tests, experiments), SC_FUSE_OFF none (each layer on its own, for
 * A/B timing). Set before sc_net_plan for SC_FUSE_ALL to find room for every link; switching
 * after plan fuses the links plan made room for. Not during a run. */
typedef enum sc_fuse_mode { SC_FUSE_OFF = 0, SC_FUSE_AUTO = 1, SC_FUSE_ALL = 2 } sc_fuse_mode;
void sc_net_set_fusion(sc_net *net, sc_fuse_mode mode);
sc_fuse_mode sc_net_fusion(const sc_net *net);
/* With these kernels and this pool (NULL: 1 thread): the number of layers of the fused chain
 * layer i heads (2 or more), -1 when it is a later layer of one (run with its head), else 0. */
int sc_net_fused(const sc_net *net, const sc_kernels *kernels, const sc_pool *pool, int i);

/* Element size of a dtype, and a tensor's element count. */
static inline size_t sc_dtype_size(sc_dtype dt) { return dt == SC_DT_F32 ? 4 : 1; }
static inline size_t sc_nn_tensor_elems(const sc_nn_tensor *t) { return (size_t)t->h * t->w * t->c; }

#endif
