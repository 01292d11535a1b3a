/* tests/bench/bench_kernels.c — the real COCO SSD layer by layer, for every kernel level this
 * CPU runs (one packed net: the layouts are shared; "ref" runs its reference weights), at 1
 * and 2 threads: median ms per layer class (1×1 conv, depthwise 3×3, other conv, other ops)
 * and GMAC/s (GFLOP/s = 2 × GMAC/s), then the whole net. Run it SCHED_FIFO on a busy box
 * (`chrt -f 50`), as shared/bench does. Usage: bench_kernels [rounds] (default 15). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/kernels/kernels.h"
#include "core/nn/net.h"
#include "core/pool.h"
#include "models/detector.h"

enum { CLS_PW, CLS_DW, CLS_CONV, CLS_OTHER, N_CLS };
static const char *const cls_name[N_CLS] = { "conv 1x1", "dw 3x3", "other conv", "other ops" };

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int layer_class(const sc_nn_layer *l)
{
    if (l->type == SC_L_DWCONV) return CLS_DW;
    if (l->type != SC_L_CONV) return CLS_OTHER;
    return sc_conv_is_pointwise(&l->shape) ? CLS_PW : CLS_CONV;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    if (rounds < 1) rounds = 1;
    const char *shared = getenv("SC_SHARED_DIR");
    char model[700];
    snprintf(model, sizeof(model), "%s/models/ssd_mobilenet_v1_coco_quant/detect.tflite", shared && *shared ? shared : "../shared");
    static const char *const levels[] = { "ref", "portable", "avx2", "avx512", "neon" };
    for (int use_float = 0; use_float <= 1; use_float++) {
        sc_detector_cfg cfg = { .model_path = model, .use_float = use_float, .n_threads = 1 };
        char err[512] = "";
        sc_detector *d = NULL;
        if (sc_detector_create(&cfg, &d, err, sizeof(err)) != SC_OK) {
            fprintf(stderr, "bench_kernels: %s\n", err);
            return 1;
        }
        sc_net *net = sc_detector_net(d);
        int n = sc_net_layer_count(net);
        int64_t macs[N_CLS] = { 0 };
        for (int i = 0; i < n; i++) macs[layer_class(sc_net_layer(net, i))] += sc_net_layer(net, i)->macs;
        int64_t *samples = malloc(sizeof(int64_t) * (size_t)rounds);
        printf("%s network, %d rounds, median per layer class:\n", use_float ? "float" : "uint8", rounds);
        for (int threads = 1; threads <= 2; threads++) {
            sc_pool *pool = NULL;
            if (threads > 1 && sc_pool_create(threads, &pool) != SC_OK) break;
            for (size_t lv = 0; lv < sizeof(levels) / sizeof(levels[0]); lv++) {
                sc_kernels k;
                if (sc_kernels_init_isa(&k, levels[lv]) != 0) continue;
                if (use_float && !strcmp(levels[lv], "ref") && threads > 1) continue;
                double ms[N_CLS] = { 0 }, total = 0;
                for (int i = 0; i < n; i++) {
                    for (int r = 0; r < rounds; r++) {
                        int64_t t0 = sc_now_ns();
                        sc_net_run_layer(net, &k, pool, i);
                        samples[r] = sc_now_ns() - t0;
                    }
                    qsort(samples, (size_t)rounds, sizeof(int64_t), cmp_i64);
                    double m = (double)samples[rounds / 2] / 1e6;
                    ms[layer_class(sc_net_layer(net, i))] += m;
                    total += m;
                }
                printf("  %-8s %d thr:", levels[lv], threads);
                for (int c = 0; c < N_CLS; c++) {
                    if (c == CLS_OTHER) printf("  %s %.2f ms", cls_name[c], ms[c]);
                    else printf("  %s %.2f ms %.1f GMAC/s", cls_name[c], ms[c], ms[c] > 0 ? (double)macs[c] / (ms[c] * 1e6) : 0.0);
                }
                printf("  | net %.2f ms\n", total);
                fflush(stdout);
            }
            sc_pool_destroy(pool);
        }
        free(samples);
        sc_detector_destroy(d);
    }
    return 0;
}
