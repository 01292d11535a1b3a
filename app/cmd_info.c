/* app/cmd_info.c — `ssdcam info`: MobileNetV1 layer by layer, its cost totals and shares, the
 * separable-vs-full comparison, and (--paper) the MobileNets paper's tables computed live from
 * models/mobilenet.h beside the published figures. `ssdcam info MODEL.tflite` is handed to
 * sc_cmd_info_model() (app/cmd_info_model.c). Output is ASCII so that columns stay aligned. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmds.h"
#include "core/log.h"
#include "models/mobilenet.h"

#define PAPER_REF "Howard et al. 2017, \"MobileNets\", arXiv:1704.04861"
#define DK 3            /* the depthwise kernel size Dk of every separable block */
#define REF_SIZE 224    /* ρ = size / 224 */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ssdcam info [--alpha A] [--size N | --size HxW | --rho R] [--full-conv] [--classes K]\n"
        "       ssdcam info --paper\n"
        "       ssdcam info MODEL.tflite\n"
        "\n"
        "Prints MobileNetV1 (" PAPER_REF ", Table 1) layer by layer:\n"
        "index, type, stride, input and output shape, params and mult-adds; then the totals, the\n"
        "share of each layer type, and per separable block the cost ratio of depthwise separable to\n"
        "full 3x3 convolution next to the paper's 1/N + 1/Dk^2.\n"
        "\n"
        "options:\n"
        "  --alpha A     width multiplier (default 1.0), 0 < A <= %g; channels = max(trunc(A*N), %d)\n"
        "                as in TF-slim's mobilenet_v1 (exact for the paper's 1, 0.75, 0.5, 0.25)\n"
        "  --size N      input resolution N x N (default 224), 1..%d; HxW for a non-square input\n"
        "  --rho R       resolution multiplier: input round(R*224) square (R = 0.857 gives 192)\n"
        "  --full-conv   replace each depthwise separable block (dw 3x3 + conv 1x1) by one full\n"
        "                3x3 convolution, the paper's \"Conv MobileNet\" (Table 4)\n"
        "  --classes K   outputs of the fully connected layer (default 1000), 1..%d\n"
        "  --paper       the paper's Tables 2, 3, 4, 6 and 7 computed from the layer list, beside\n"
        "                the published figures (takes no other option)\n"
        "  -h, --help    this text\n"
        "  MODEL.tflite  describe a TensorFlow Lite model file instead (takes no other option)\n"
        "\n"
        "Counting, as in the paper: params are weights only (batch norm ignored, no biases; a\n"
        "BN-folded model adds one bias per output channel, shown apart); mult-adds are the\n"
        "multiply-accumulates of the conv and fully connected layers, counted on each layer's\n"
        "output size; average pool and softmax count 0. M = 10^6.\n"
        "\n"
        "exit codes: 0 ok, 1 failure, 2 bad option, 3 model file problem\n",
        SC_MOBILENET_MAX_ALPHA, SC_MOBILENET_MIN_DEPTH, SC_MOBILENET_MAX_SIZE,
        SC_MOBILENET_MAX_CLASSES);
}

/* ---- number formatting ---------------------------------------------------------------- */

/* v with thousands separators: 10838016 → "10,838,016". */
static const char *fmt_count(char buf[32], int64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%lld", (long long)(v < 0 ? -v : v));
    int o = 0;
    if (v < 0) buf[o++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

static const char *fmt_shape(char buf[48], sc_mn_shape s)
{
    snprintf(buf, 48, "%dx%dx%d", s.h, s.w, s.c);
    return buf;
}

static double mega(int64_t v) { return (double)v / 1e6; }

static double pct(int64_t part, int64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

/* ---- the model tables ------------------------------------------------------------------ */

static void print_header(const sc_mobilenet *net)
{
    const sc_mobilenet_cfg *c = &net->cfg;
    printf("MobileNetV1 (%s), alpha %g, input %dx%dx%d", PAPER_REF, c->alpha, c->in_h, c->in_w,
           c->in_c);
    if (c->in_h == c->in_w) printf(" (rho %.3f)", (double)c->in_h / REF_SIZE);
    printf(", %d classes, %s\n\n", c->n_classes,
           c->full_conv ? "full 3x3 convolutions instead of depthwise separable" : "depthwise separable");
}

static void print_layers(const sc_mobilenet *net)
{
    printf("%3s  %-8s  %5s  %1s  %-16s  %-16s  %13s  %17s\n", "#", "type", "block", "s", "input",
           "output", "params", "mult-adds");
    for (int i = 0; i < net->n_layers; i++) {
        const sc_mn_layer *l = &net->layers[i];
        char in[48], out[48], p[32], m[32], blk[16];
        if (l->block > SC_MOBILENET_N_BLOCKS) snprintf(blk, sizeof(blk), "-");
        else snprintf(blk, sizeof(blk), "%d", l->block);
        printf("%3d  %-8s  %5s  %1d  %-16s  %-16s  %13s  %17s\n", i, sc_mobilenet_op_name(l->op), blk,
               l->stride, fmt_shape(in, l->in), fmt_shape(out, l->out), fmt_count(p, l->params),
               fmt_count(m, l->mult_adds));
    }
    printf("\n");
}

static void print_totals(const sc_mobilenet_stats *st)
{
    char m[32], p[32], b[32], pb[32];
    printf("total: %.3f M mult-adds, %.3f M params\n", mega(st->mult_adds), mega(st->params));
    printf("       (%s mult-adds; %s weights, + %s biases in a BN-folded model = %s)\n\n",
           fmt_count(m, st->mult_adds), fmt_count(p, st->params), fmt_count(b, st->biases),
           fmt_count(pb, st->params + st->biases));
}

/* The four layer types of the paper's Table 2, in its order. */
static const sc_mn_op table2_ops[4] = { SC_MN_CONV1X1, SC_MN_DW3X3, SC_MN_CONV3X3, SC_MN_FC };

static void print_shares(const sc_mobilenet_stats *st)
{
    printf("share by layer type   mult-adds     params\n");
    for (int i = 0; i < 4; i++) {
        sc_mn_op op = table2_ops[i];
        printf("  %-18s %8.2f %% %8.2f %%\n", sc_mobilenet_op_name(op),
               pct(st->op_mult_adds[op], st->mult_adds), pct(st->op_params[op], st->params));
    }
    printf("\n");
}

/* Per block, dw + pw of `sep` against the one full conv of `full` (same cfg otherwise). The
 * paper's eq. 5: (Dk²·M·DF² + M·N·DF²) / (Dk²·M·N·DF²) = 1/N + 1/Dk². */
static void print_ratios(const sc_mobilenet *sep, const sc_mobilenet *full)
{
    printf("depthwise separable vs full 3x3 convolution, per block (Dk = %d, N = output channels)\n", DK);
    printf("%5s  %1s  %-13s  %-9s  %13s  %15s  %9s  %12s\n", "block", "s", "M -> N", "DF x DF",
           "separable", "full conv", "ratio", "1/N + 1/Dk^2");
    for (int b = 1; b <= SC_MOBILENET_N_BLOCKS; b++) {
        int64_t sep_ma = 0, full_ma = 0;
        const sc_mn_layer *pw = NULL, *fl = NULL;
        for (int i = 0; i < sep->n_layers; i++)
            if (sep->layers[i].block == b) {
                sep_ma += sep->layers[i].mult_adds;
                if (sep->layers[i].op == SC_MN_CONV1X1) pw = &sep->layers[i];
            }
        for (int i = 0; i < full->n_layers; i++)
            if (full->layers[i].block == b) {
                full_ma += full->layers[i].mult_adds;
                fl = &full->layers[i];
            }
        SC_ASSERT(pw && fl && fl->op == SC_MN_CONV3X3);
        char mn[32], df[32], s[32], f[32];
        snprintf(mn, sizeof(mn), "%d -> %d", fl->in.c, fl->out.c);
        snprintf(df, sizeof(df), "%dx%d", fl->out.h, fl->out.w);
        printf("%5d  %1d  %-13s  %-9s  %13s  %15s  %9.6f  %12.6f\n", b, fl->stride, mn, df,
               fmt_count(s, sep_ma), fmt_count(f, full_ma), (double)sep_ma / (double)full_ma,
               1.0 / pw->out.c + 1.0 / (DK * DK));
    }
    sc_mobilenet_stats ss, fs;
    sc_mobilenet_stats_compute(sep, &ss);
    sc_mobilenet_stats_compute(full, &fs);
    printf("whole network: %.3f M vs %.3f M mult-adds (ratio %.4f, %.1fx fewer), "
           "%.3f M vs %.3f M params\n",
           mega(ss.mult_adds), mega(fs.mult_adds), (double)ss.mult_adds / (double)fs.mult_adds,
           (double)fs.mult_adds / (double)ss.mult_adds, mega(ss.params), mega(fs.params));
}

/* ---- --paper ---------------------------------------------------------------------------- */

static sc_status build(sc_mobilenet *net, double alpha, int size, int full_conv)
{
    sc_mobilenet_cfg cfg;
    sc_mobilenet_cfg_default(&cfg);
    cfg.alpha = alpha;
    cfg.in_h = cfg.in_w = size;
    cfg.full_conv = full_conv;
    return sc_mobilenet_v1_init(net, &cfg);
}

static void print_paper_head(const char *title)
{
    printf("%s\n", title);
    printf("  %-24s %14s %9s  %11s %7s\n", "model", "mult-adds (M)", "paper", "params (M)", "paper");
}

static void print_paper_row(const char *label, double ma, const char *paper_ma, double params,
                            const char *paper_params, const char *mark)
{
    printf("  %-24s %14.3f %9s  %11.3f %7s%s\n", label, ma, paper_ma, params, paper_params, mark);
}

static int print_paper(void)
{
    /* Tables 6 and 7 of the paper: model, published M mult-adds and M params. */
    static const struct { const char *label; double alpha; int size; const char *ma, *params; } t6[] = {
        { "1.0 MobileNet-224", 1.0, 224, "569", "4.2" },
        { "0.75 MobileNet-224", 0.75, 224, "325", "2.6" },
        { "0.5 MobileNet-224", 0.5, 224, "149", "1.3" },
        { "0.25 MobileNet-224", 0.25, 224, "41", "0.5" },
    }, t7[] = {
        { "1.0 MobileNet-224", 1.0, 224, "569", "4.2" },
        { "1.0 MobileNet-192", 1.0, 192, "418", "4.2" },
        { "1.0 MobileNet-160", 1.0, 160, "290", "4.2" },
        { "1.0 MobileNet-128", 1.0, 128, "186", "4.2" },
    };
    /* Table 2 of the paper: % of mult-adds, % of params, in table2_ops order. */
    static const char *const t2[4][2] = {
        { "94.86", "74.59" }, { "3.06", "1.06" }, { "1.19", "0.02" }, { "0.18", "24.33" },
    };
    sc_mobilenet sep, full;
    sc_mobilenet_stats ss, fs;

    printf("MobileNets paper (%s): its tables computed from the layer list\n"
           "(M = 10^6; params are weights only; \"paper\" = the published figure)\n\n", PAPER_REF);

    /* Table 2 */
    if (build(&sep, 1.0, 224, 0) != SC_OK) return SC_EXIT_FAIL;
    sc_mobilenet_stats_compute(&sep, &ss);
    printf("Table 2: resource per layer type, 1.0 MobileNet-224\n");
    printf("  %-12s %12s %8s  %10s %8s\n", "type", "mult-adds", "paper", "params", "paper");
    for (int i = 0; i < 4; i++) {
        sc_mn_op op = table2_ops[i];
        printf("  %-12s %10.2f %% %6s %%  %8.2f %% %6s %%%s\n", sc_mobilenet_op_name(op),
               pct(ss.op_mult_adds[op], ss.mult_adds), t2[i][0], pct(ss.op_params[op], ss.params),
               t2[i][1], op == SC_MN_CONV3X3 ? "  (*)" : "");
    }
    printf("  (*) the published 1.19 %% looks like 1.91 %% with two digits swapped: with 1.19 the\n"
           "      column adds up to 99.29 %%, with 1.91 to 100.01 %% (the first conv is %.2f M).\n\n",
           mega(ss.op_mult_adds[SC_MN_CONV3X3]));

    /* Table 3: one layer with DF = 14, M = N = 512, Dk = 3. */
    {
        const int df = 14, m = 512, df_rho = 14 * 160 / REF_SIZE;   /* ρ = 0.714 = 160/224 */
        const int m75 = sc_mobilenet_channels(0.75, m);
        sc_mn_layer conv = { .op = SC_MN_CONV3X3, .k = DK, .stride = 1,
                             .in = { df, df, m }, .out = { df, df, m } };
        sc_mn_layer dw = { .op = SC_MN_DW3X3, .k = DK, .stride = 1,
                           .in = { df, df, m }, .out = { df, df, m } };
        sc_mn_layer pw = { .op = SC_MN_CONV1X1, .k = 1, .stride = 1,
                           .in = { df, df, m }, .out = { df, df, m } };
        sc_mobilenet_layer_cost(&conv);
        sc_mobilenet_layer_cost(&dw);
        sc_mobilenet_layer_cost(&pw);
        print_paper_head("Table 3: one layer, DF = 14, M = N = 512, Dk = 3");
        print_paper_row("convolution", mega(conv.mult_adds), "462", mega(conv.params), "2.36", "");
        print_paper_row("depthwise separable", mega(dw.mult_adds + pw.mult_adds), "52.3",
                        mega(dw.params + pw.params), "0.27", "");
        dw.in.c = dw.out.c = pw.in.c = pw.out.c = m75;
        sc_mobilenet_layer_cost(&dw);
        sc_mobilenet_layer_cost(&pw);
        print_paper_row("  alpha = 0.75", mega(dw.mult_adds + pw.mult_adds), "29.6",
                        mega(dw.params + pw.params), "0.15", "");
        dw.in.h = dw.in.w = dw.out.h = dw.out.w = df_rho;
        pw.in.h = pw.in.w = pw.out.h = pw.out.w = df_rho;
        sc_mobilenet_layer_cost(&dw);
        sc_mobilenet_layer_cost(&pw);
        print_paper_row("  rho = 0.714 (10x10)", mega(dw.mult_adds + pw.mult_adds), "15.1",
                        mega(dw.params + pw.params), "0.15", "");
        printf("\n");
    }

    /* Table 4 */
    if (build(&full, 1.0, 224, 1) != SC_OK) return SC_EXIT_FAIL;
    sc_mobilenet_stats_compute(&full, &fs);
    print_paper_head("Table 4: depthwise separable vs full convolution MobileNet (224)");
    print_paper_row("Conv MobileNet", mega(fs.mult_adds), "4866", mega(fs.params), "29.3", "  (*)");
    print_paper_row("MobileNet", mega(ss.mult_adds), "569", mega(ss.params), "4.2", "");
    printf("  (*) 4866 matches the convolutions alone, %.2f M; with the %.2f M of the FC layer\n"
           "      it is %.2f M. The paper's 569 M for MobileNet does include the FC layer.\n\n",
           mega(fs.mult_adds - fs.op_mult_adds[SC_MN_FC]), mega(fs.op_mult_adds[SC_MN_FC]),
           mega(fs.mult_adds));

    /* Table 6 */
    print_paper_head("Table 6: width multiplier (224)");
    for (size_t i = 0; i < SC_ARRAY_LEN(t6); i++) {
        if (build(&sep, t6[i].alpha, t6[i].size, 0) != SC_OK) return SC_EXIT_FAIL;
        sc_mobilenet_stats_compute(&sep, &ss);
        print_paper_row(t6[i].label, mega(ss.mult_adds), t6[i].ma, mega(ss.params), t6[i].params, "");
    }
    printf("\n");

    /* Table 7 */
    print_paper_head("Table 7: resolution (alpha 1.0)");
    for (size_t i = 0; i < SC_ARRAY_LEN(t7); i++) {
        if (build(&sep, t7[i].alpha, t7[i].size, 0) != SC_OK) return SC_EXIT_FAIL;
        sc_mobilenet_stats_compute(&sep, &ss);
        print_paper_row(t7[i].label, mega(ss.mult_adds), t7[i].ma, mega(ss.params), t7[i].params,
                        t7[i].size == 160 ? "  (*)" : "");
    }
    if (build(&sep, 1.0, 160, 0) != SC_OK) return SC_EXIT_FAIL;
    sc_mobilenet_stats_compute(&sep, &ss);
    printf("  (*) %.2f M printed as 290: truncated (or the total without the FC layer, %.2f M),\n"
           "      while elsewhere the paper rounds (568.74 M to 569).\n",
           mega(ss.mult_adds), mega(ss.mult_adds - ss.op_mult_adds[SC_MN_FC]));
    return SC_EXIT_OK;
}

/* ---- argument parsing ------------------------------------------------------------------- */

/* Matches argv[*i] against --name or --name=value. Returns 0 (not this option), 1 with *val
 * set (advancing *i past a separate value), or -1 when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') { *val = a + n + 1; return 1; }
    if (a[n] != 0) return 0;
    if (*i + 1 >= argc) return -1;
    *val = argv[++*i];
    return 1;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    if (!*s) return 0;
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* A decimal int in [lo, hi]; *endp receives the first unparsed char (must be checked). */
static int parse_int_prefix(const char *s, int lo, int hi, int *out, const char **endp)
{
    char *end;
    if (*s < '0' || *s > '9') return 0;
    long v = strtol(s, &end, 10);
    if (v < lo || v > hi) return 0;
    *out = (int)v;
    *endp = end;
    return 1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    const char *end;
    return parse_int_prefix(s, lo, hi, out, &end) && !*end;
}

/* "N" or "HxW". */
static int parse_size(const char *s, int *h, int *w)
{
    const char *end;
    if (!parse_int_prefix(s, 1, SC_MOBILENET_MAX_SIZE, h, &end)) return 0;
    if (!*end) { *w = *h; return 1; }
    if (*end != 'x' && *end != 'X') return 0;
    return parse_int(end + 1, 1, SC_MOBILENET_MAX_SIZE, w);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int missing_value(const char *opt)
{
    sc_log_error("info: %s needs a value (see `ssdcam info --help`)", opt);
    return SC_EXIT_USAGE;
}

static int size_twice(void)
{
    sc_log_error("info: give the input size once, with --size or --rho");
    return SC_EXIT_USAGE;
}

static int bad_value(const char *opt, const char *val, const char *want)
{
    sc_log_error("info: %s '%s': expected %s (see `ssdcam info --help`)", opt, val, want);
    return SC_EXIT_USAGE;
}

int sc_cmd_info(int argc, char **argv)
{
    sc_mobilenet_cfg cfg;
    sc_mobilenet_cfg_default(&cfg);
    int paper = 0, n_model_opts = 0, have_size = 0;
    const char *model_path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return SC_EXIT_OK;
        } else if (!strcmp(a, "--paper")) {
            paper = 1;
        } else if (!strcmp(a, "--full-conv")) {
            cfg.full_conv = 1;
            n_model_opts++;
        } else if ((r = opt_value(argc, argv, &i, "--alpha", &v)) != 0) {
            if (r < 0) return missing_value(a);
            if (!parse_double(v, &cfg.alpha) || !(cfg.alpha > 0 && cfg.alpha <= SC_MOBILENET_MAX_ALPHA))
                return bad_value("--alpha", v, "a width multiplier in (0, 16]");
            n_model_opts++;
        } else if ((r = opt_value(argc, argv, &i, "--size", &v)) != 0) {
            if (r < 0) return missing_value(a);
            if (have_size) return size_twice();
            if (!parse_size(v, &cfg.in_h, &cfg.in_w))
                return bad_value("--size", v, "N or HxW with sizes in 1..16384");
            have_size = 1;
            n_model_opts++;
        } else if ((r = opt_value(argc, argv, &i, "--rho", &v)) != 0) {
            double rho;
            if (r < 0) return missing_value(a);
            if (have_size) return size_twice();
            if (!parse_double(v, &rho) || !(rho > 0) || rho * REF_SIZE > SC_MOBILENET_MAX_SIZE ||
                lround(rho * REF_SIZE) < 1)
                return bad_value("--rho", v, "a resolution multiplier with round(R*224) in 1..16384");
            cfg.in_h = cfg.in_w = (int)lround(rho * REF_SIZE);
            have_size = 1;
            n_model_opts++;
        } else if ((r = opt_value(argc, argv, &i, "--classes", &v)) != 0) {
            if (r < 0) return missing_value(a);
            if (!parse_int(v, 1, SC_MOBILENET_MAX_CLASSES, &cfg.n_classes))
                return bad_value("--classes", v, "a number of classes in 1..1000000");
            n_model_opts++;
        } else if (a[0] == '-' && a[1]) {
            sc_log_error("info: unknown option '%s' (see `ssdcam info --help`)", a);
            return SC_EXIT_USAGE;
        } else if (ends_with(a, ".tflite")) {
            if (model_path) {
                sc_log_error("info: one model file at a time ('%s', '%s')", model_path, a);
                return SC_EXIT_USAGE;
            }
            model_path = a;
        } else {
            sc_log_error("info: unexpected argument '%s': a model file must end in .tflite "
                         "(see `ssdcam info --help`)", a);
            return SC_EXIT_USAGE;
        }
    }

    if ((paper || model_path) && (n_model_opts > 0 || (paper && model_path))) {
        sc_log_error("info: %s takes no other option (see `ssdcam info --help`)",
                     paper ? "--paper" : "a model file");
        return SC_EXIT_USAGE;
    }
    if (model_path) return sc_cmd_info_model(model_path);
    if (paper) return print_paper();

    sc_mobilenet net, sep, full;
    if (sc_mobilenet_v1_init(&net, &cfg) != SC_OK) return SC_EXIT_USAGE;
    cfg.full_conv = 0;
    if (sc_mobilenet_v1_init(&sep, &cfg) != SC_OK) return SC_EXIT_USAGE;
    cfg.full_conv = 1;
    if (sc_mobilenet_v1_init(&full, &cfg) != SC_OK) return SC_EXIT_USAGE;

    sc_mobilenet_stats st;
    sc_mobilenet_stats_compute(&net, &st);
    print_header(&net);
    print_layers(&net);
    print_totals(&st);
    print_shares(&st);
    print_ratios(&sep, &full);
    return SC_EXIT_OK;
}
