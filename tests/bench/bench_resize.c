/* tests/bench/bench_resize.c — the Pillow-exact resizer (core/image.h) per implementation
 * level and thread count: median, p10 and p90 ms over N runs after a warm-up, for the camera
 * sizes the detector sees (640×480, 1280×720 → 300×300 RGB, and 640×480 → 224). Run it
 * pinned or SCHED_FIFO on a busy box. Usage: bench_resize [runs] (default 200); "--once"
 * runs each configuration once (for callgrind instruction counts: valgrind --tool=callgrind
 * bench_resize --once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/image.h"
#include "core/pool.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int once = argc > 1 && !strcmp(argv[1], "--once");
    int runs = once ? 1 : argc > 1 ? atoi(argv[1]) : 200;
    if (runs < 1) runs = 1;
    static const int sizes[][4] = { { 640, 480, 300, 300 }, { 1280, 720, 300, 300 }, { 640, 480, 224, 224 } };
    static const char *const isas[] = { "ref", "avx2", "neon" };
    int64_t *t = malloc(sizeof(int64_t) * (size_t)runs);
    if (!t) return 1;
    printf("%-22s %-5s %3s %9s %9s %9s\n", "resize (RGB)", "isa", "thr", "median ms", "p10 ms", "p90 ms");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        sc_image src, dst;
        if (sc_image_init(&src, sizes[s][0], sizes[s][1], 3) || sc_image_init(&dst, sizes[s][2], sizes[s][3], 3))
            return 1;
        uint32_t st = 1;
        for (size_t i = 0; i < src.stride_bytes * (size_t)src.height; i++) {
            st = st * 1664525u + 1013904223u;
            src.data[i] = (uint8_t)((i % 1920) / 8 + (st >> 29));   /* a gradient plus noise */
        }
        sc_resizer *r = NULL;
        if (sc_resizer_create(src.width, src.height, dst.width, dst.height, 3, &r)) return 1;
        for (size_t l = 0; l < sizeof(isas) / sizeof(isas[0]); l++) {
            if (sc_resizer_set_isa(r, isas[l]) != SC_OK) continue;
            for (int threads = 1; threads <= (once ? 1 : 2); threads++) {
                sc_pool *pool = NULL;
                if (threads > 1 && sc_pool_create(threads, &pool)) return 1;
                for (int i = 0; i < (once ? 0 : 20); i++) sc_resizer_run_pool(r, &src, &dst, pool);
                for (int i = 0; i < runs; i++) {
                    int64_t t0 = sc_now_ns();
                    sc_resizer_run_pool(r, &src, &dst, pool);
                    t[i] = sc_now_ns() - t0;
                }
                qsort(t, (size_t)runs, sizeof(t[0]), cmp_i64);
                char name[64];
                snprintf(name, sizeof(name), "%dx%d -> %dx%d", sizes[s][0], sizes[s][1], sizes[s][2], sizes[s][3]);
                printf("%-22s %-5s %3d %9.4f %9.4f %9.4f\n", name, isas[l], threads, t[runs / 2] / 1e6,
                       t[runs / 10] / 1e6, t[runs * 9 / 10] / 1e6);
                sc_pool_destroy(pool);
            }
        }
        sc_resizer_destroy(r);
        sc_image_fini(&src);
        sc_image_fini(&dst);
    }
    free(t);
    return 0;
}
