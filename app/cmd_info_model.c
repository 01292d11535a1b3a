/* app/cmd_info_model.c — `ssdcam info MODEL.tflite`: the layers of a model file as our engine
 * builds them (type, stride, shapes, params, mult-adds), the totals, the share by layer type,
 * and the cost at each input size of the resolution multiplier. */
#include <stdio.h>

#include "app/cmds.h"
#include "core/log.h"
#include "core/nn/net.h"
#include "models/detector.h"

static const char *layer_kind(const sc_nn_layer *l, char *buf, size_t n)
{
    switch (l->type) {
    case SC_L_CONV: snprintf(buf, n, "conv %dx%d", l->shape.k_h, l->shape.k_w); break;
    case SC_L_DWCONV: snprintf(buf, n, "dw %dx%d", l->shape.k_h, l->shape.k_w); break;
    case SC_L_ADD: snprintf(buf, n, "add"); break;
    case SC_L_CONCAT: snprintf(buf, n, "concat"); break;
    case SC_L_LOGISTIC: snprintf(buf, n, "logistic"); break;
    case SC_L_RESHAPE: snprintf(buf, n, "reshape"); break;
    }
    return buf;
}

static void shape_str(const sc_nn_tensor *t, char *buf, size_t n)
{
    snprintf(buf, n, "%dx%dx%d", t->h, t->w, t->c);
}

/* Cost buckets: 1x1 conv, depthwise, other full convs, everything else. */
static int bucket(const sc_nn_layer *l)
{
    if (l->type == SC_L_CONV) return l->shape.k_h == 1 && l->shape.k_w == 1 ? 0 : 2;
    if (l->type == SC_L_DWCONV) return 1;
    return 3;
}

int sc_cmd_info_model(const char *path)
{
    char err[512];
    sc_detector *d = NULL;
    sc_detector_cfg cfg = { .model_path = path, .n_threads = 1 };
    if (sc_detector_create(&cfg, &d, err, sizeof(err))) {
        sc_log_error("info: %s", err);
        return SC_EXIT_MODEL;
    }
    sc_net *net = sc_detector_net(d);
    int n = sc_net_layer_count(net);
    int n_anchors = 0;
    sc_detector_anchors(d, &n_anchors);
    printf("%s: input %dx%dx3, %d classes, %d anchors, %d layers as built by ssdcam\n\n", path,
           sc_detector_input_size(d), sc_detector_input_size(d), sc_detector_num_classes(d), n_anchors, n);
    printf("%4s  %-9s %2s  %-14s %-14s %12s %15s  %s\n", "#", "type", "s", "input", "output", "params", "mult-adds", "name");
    int64_t macs[4] = { 0 }, params[4] = { 0 }, tm = 0, tp = 0;
    for (int i = 0; i < n; i++) {
        const sc_nn_layer *l = sc_net_layer(net, i);
        char kind[32], in[32], out[32];
        shape_str(sc_net_tensor(net, l->in[0]), in, sizeof(in));
        shape_str(sc_net_tensor(net, l->out), out, sizeof(out));
        int stride = l->type == SC_L_CONV || l->type == SC_L_DWCONV ? l->shape.stride_h : 1;
        printf("%4d  %-9s %2d  %-14s %-14s %12lld %15lld  %s\n", i, layer_kind(l, kind, sizeof(kind)), stride, in, out,
               (long long)l->params, (long long)l->macs, sc_net_tensor(net, l->out)->name);
        macs[bucket(l)] += l->macs;
        params[bucket(l)] += l->params;
        tm += l->macs;
        tp += l->params;
    }
    printf("\ntotal: %.1f M mult-adds, %.2f M parameters (weights and biases)\n", tm / 1e6, tp / 1e6);
    static const char *names[4] = { "conv 1x1", "depthwise", "other conv", "other" };
    printf("\n%-12s %10s %10s\n", "by type", "mult-adds", "params");
    for (int b = 0; b < 4; b++)
        printf("%-12s %9.2f%% %9.2f%%\n", names[b], tm ? 100.0 * macs[b] / tm : 0, tp ? 100.0 * params[b] / tp : 0);
    sc_detector_destroy(d);

    /* The resolution multiplier: cost ~ rho^2. */
    static const int sizes[] = { 300, 256, 224, 192, 160 };
    printf("\n%-10s %6s %14s %10s %8s\n", "input", "rho", "mult-adds", "vs file", "anchors");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        sc_detector_cfg c2 = { .model_path = path, .input_size = sizes[k], .n_threads = 1 };
        sc_detector_stats st;
        if (sc_detector_create(&c2, &d, err, sizeof(err))) {
            printf("%-10d %s\n", sizes[k], err);
            continue;
        }
        sc_detector_get_stats(d, &st);
        int na = 0;
        sc_detector_anchors(d, &na);
        printf("%3dx%-6d %6.3f %12.1f M %9.3f %8d\n", sizes[k], sizes[k], sizes[k] / 300.0, st.macs / 1e6,
               (double)st.macs / (double)tm, na);
        sc_detector_destroy(d);
    }
    return SC_EXIT_OK;
}
