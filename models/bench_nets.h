/* models/bench_nets.h — random-weight networks built on the core/nn API, for benchmarks.
 *
 * Timings of our kernels do not depend on weight values, so these networks measure the
 * engine on the exact layouts the peer engines of ../shared/bench run (gen_models.py):
 *
 *   SC_BENCH_SSD_MNV1  "ssd_mnv1_300": MobileNet-SSD in the Caffe (chuanqi305) layout, α = 1,
 *                      300×300, 21 classes: conv0 3×3 s2 (32), 13 depthwise-separable blocks
 *                      (MobileNetV1, up to 1024 channels at 10×10), extras conv14_1..conv17_2
 *                      (1×1 then 3×3 s2: 256/512, 128/256, 128/256, 64/128), and a 1×1 box
 *                      (4·a channels) and class (21·a) head on conv11 (19×19, a = 3), conv13
 *                      (10×10), conv14_2 (5×5), conv15_2 (3×3), conv16_2 (2×2) and conv17_2
 *                      (1×1) (a = 6): 1917 priors. ReLU6 after every conv but the heads,
 *                      symmetric padding 1 for the 3×3 convs (Caffe/PyTorch). The outputs are
 *                      mbox_loc [1917×4] and mbox_conf_softmax [1917×21], as in the peers'
 *                      graphs (priors, decoding and NMS are not part of it).
 *   SC_BENCH_MNV1      "mnv1_a1_224": MobileNetV1 (models/mobilenet.h), α = 1, 224×224, global
 *                      average pool (a 7×7 depthwise conv with weights 1/49), FC 1024 → 1000
 *                      (a 1×1 conv) and softmax.
 *
 * Precision: float32 (ReLU6 as the clamp), or "int8" — our uint8 TFLite arithmetic with
 * symmetric weights (uint8, zero point 128, i.e. int8 values) and per-tensor activation
 * scales, the input quantised from float inside the timed inference and the outputs
 * dequantised, as the peers' int8 graphs do (they take and return float tensors).
 *
 * An inference is a list of steps: [quantise input (int8)], every layer of the net, then
 * the outputs (dequantisation and softmax). sc_bench_net_run() runs them all. Nothing is
 * allocated after create. A bench net is used by one thread at a time. */
#ifndef SC_MODELS_BENCH_NETS_H
#define SC_MODELS_BENCH_NETS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"

typedef enum sc_bench_arch { SC_BENCH_SSD_MNV1 = 0, SC_BENCH_MNV1 = 1 } sc_bench_arch;

typedef struct sc_bench_net_cfg {
    sc_bench_arch arch;
    int int8;                    /* 1: uint8 arithmetic (see above), 0: float32 */
    uint32_t seed;               /* weights and input (any value) */
    const sc_kernels *kernels;   /* the table the net will run with: picks packed layouts */
} sc_bench_net_cfg;

typedef struct sc_bench_net sc_bench_net;

/* SC_E_NOMEM, or SC_E_INVAL for a bad cfg. */
sc_status sc_bench_net_create(const sc_bench_net_cfg *cfg, sc_bench_net **out);
void sc_bench_net_destroy(sc_bench_net *b);   /* NULL is a no-op */

/* "ssd_mnv1_300" or "mnv1_a1_224" (the peers' model names). */
const char *sc_bench_net_name(const sc_bench_net *b);
/* Mult-adds of the conv and FC layers (the peers' FLOP count is 2× this). */
int64_t sc_bench_net_macs(const sc_bench_net *b);
struct sc_net *sc_bench_net_net(sc_bench_net *b);

/* One inference with kernels `k` (the table given to create, or one with the same packed
 * kernels) on `pool` (NULL: serial). */
void sc_bench_net_run(sc_bench_net *b, const sc_kernels *k, sc_pool *pool);

/* The steps of an inference, for per-layer timing: running steps 0..n-1 in order is
 * sc_bench_net_run(). Names are the Caffe layer names ("conv0", "conv1/dw", "conv11_mbox_conf",
 * "input quantise", "outputs"); macs is 0 for steps without convolutions. */
int sc_bench_net_steps(const sc_bench_net *b);
void sc_bench_net_run_step(sc_bench_net *b, const sc_kernels *k, sc_pool *pool, int step);
const char *sc_bench_net_step_name(const sc_bench_net *b, int step);
int64_t sc_bench_net_step_macs(const sc_bench_net *b, int step);
/* The net's layer index of a step, or -1 for the input and output steps. */
int sc_bench_net_step_layer(const sc_bench_net *b, int step);

/* Outputs after a run: SSD: loc [priors × 4] and conf [priors × classes] (softmax); MobileNet:
 * conf = prob [1 × 1000], loc NULL. Valid until the next run. */
const float *sc_bench_net_output(sc_bench_net *b, int conf, int *rows, int *cols);

#endif
