/* models/bench_nets: the random-weight networks have exactly the peers' layouts (mult-adds of
 * ../shared/bench/gen_models.py: ssd_mnv1_300 1,148,479,168 and mnv1_a1_224 568,740,352;
 * 1917 priors × 21 classes), their outputs are sane (softmax rows sum to 1, finite boxes),
 * and they are identical for 1, 2 and 3 threads, float and int8 (this runs the pixel-split
 * pointwise layers and the parallel element-wise steps on the real shapes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/nn/net.h"
#include "core/pool.h"
#include "models/bench_nets.h"
#include "tests/harness.h"

static float *run_copy(sc_bench_net *b, const sc_kernels *k, int threads, int conf, size_t *count)
{
    sc_pool *pool = NULL;
    if (threads > 1) CHECK(sc_pool_create(threads, &pool) == SC_OK);
    sc_bench_net_run(b, k, pool);
    sc_bench_net_run(b, k, pool);   /* twice: a run must not depend on the previous one */
    int rows, cols;
    const float *o = sc_bench_net_output(b, conf, &rows, &cols);
    *count = (size_t)rows * (size_t)cols;
    float *copy = malloc(sizeof(float) * *count);
    if (copy && o) memcpy(copy, o, sizeof(float) * *count);
    sc_pool_destroy(pool);
    return copy;
}

static void check_net(sc_bench_arch arch, int int8, const sc_kernels *k)
{
    const char *what = arch == SC_BENCH_SSD_MNV1 ? (int8 ? "ssd int8" : "ssd fp32") : (int8 ? "mnv1 int8" : "mnv1 fp32");
    sc_bench_net_cfg cfg = { .arch = arch, .int8 = int8, .seed = 7, .kernels = k };
    sc_bench_net *b = NULL;
    CHECK(sc_bench_net_create(&cfg, &b) == SC_OK);
    if (!b) return;
    int ssd = arch == SC_BENCH_SSD_MNV1;
    CHECKF(!strcmp(sc_bench_net_name(b), ssd ? "ssd_mnv1_300" : "mnv1_a1_224"), "%s: name %s", what, sc_bench_net_name(b));
    CHECK_EQ_INT(sc_bench_net_macs(b), ssd ? 1148479168LL : 568740352LL);
    /* steps: [quantise] + layers + outputs, and per-step MACs add up */
    int n = sc_bench_net_steps(b);
    CHECK_EQ_INT(n, sc_net_layer_count(sc_bench_net_net(b)) + 1 + int8);
    int64_t sum = 0;
    int convs = 0;
    for (int i = 0; i < n; i++) {
        sum += sc_bench_net_step_macs(b, i);
        int li = sc_bench_net_step_layer(b, i);
        if (li >= 0) convs += sc_net_layer(sc_bench_net_net(b), li)->type <= SC_L_DWCONV;
    }
    CHECK_EQ_INT(sum, sc_bench_net_macs(b));
    /* SSD: 1 + 13·2 backbone + 8 extras + 12 heads; MobileNet: 27 + pool + FC */
    CHECK_EQ_INT(convs, ssd ? 47 : 29);
    CHECK(!strcmp(sc_bench_net_step_name(b, n - 1), "outputs"));
    if (int8) CHECK(!strcmp(sc_bench_net_step_name(b, 0), "input quantise"));
    CHECK(!strcmp(sc_bench_net_step_name(b, int8), "conv0"));

    size_t count = 0, count2 = 0;
    float *ref = run_copy(b, k, 1, 1, &count);
    CHECK(ref != NULL);
    if (!ref) { sc_bench_net_destroy(b); return; }
    CHECK_EQ_INT(count, ssd ? 1917 * 21 : 1000);
    int rows = ssd ? 1917 : 1, cols = ssd ? 21 : 1000, bad = 0, spread = 0;
    for (int r = 0; r < rows; r++) {
        double s = 0;
        for (int c = 0; c < cols; c++) {
            float v = ref[(size_t)r * cols + c];
            if (!(v >= 0 && v <= 1)) bad++;
            s += v;
            spread |= fabsf(v - ref[0]) > 1e-6f;
        }
        if (fabs(s - 1.0) > 1e-4) bad++;
    }
    CHECKF(bad == 0, "%s: %d softmax values or rows out of range", what, bad);
    CHECKF(spread, "%s: constant output", what);   /* a net that computes nothing would pass the rest */
    for (int t = 2; t <= 3; t++) {
        float *got = run_copy(b, k, t, 1, &count2);
        CHECKF(got && count2 == count && memcmp(got, ref, sizeof(float) * count) == 0, "%s: %d threads differ from 1",
               what, t);
        free(got);
    }
    if (ssd) {
        float *loc1 = run_copy(b, k, 1, 0, &count), *loc2 = run_copy(b, k, 2, 0, &count2);
        CHECK_EQ_INT(count, 1917 * 4);
        int finite = 1;
        for (size_t i = 0; loc1 && i < count; i++) finite &= isfinite(loc1[i]);
        CHECK(loc1 && finite);
        CHECKF(loc1 && loc2 && memcmp(loc1, loc2, sizeof(float) * count) == 0, "%s: boxes differ at 2 threads", what);
        free(loc1);
        free(loc2);
    }
    free(ref);
    sc_bench_net_destroy(b);
}

int main(void)
{
    sc_kernels k;
    sc_kernels_init(&k, 0);
    for (int int8 = 0; int8 <= 1; int8++) {
        check_net(SC_BENCH_SSD_MNV1, int8, &k);
        check_net(SC_BENCH_MNV1, int8, &k);
    }
    /* the portable level too, if this build has it: its packed kernels take the same nets */
    sc_kernels kp;
    if (sc_kernels_init_isa(&kp, "portable") == 0) check_net(SC_BENCH_SSD_MNV1, 1, &kp);
    sc_bench_net_cfg bad = { .arch = (sc_bench_arch)7, .kernels = &k };
    sc_bench_net *b = NULL;
    CHECK(sc_bench_net_create(&bad, &b) == SC_E_INVAL && b == NULL);
    sc_bench_net_destroy(NULL);
    return sc_test_finish();
}
