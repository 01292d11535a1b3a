/* core/kernels/resize.c — the step tables of the SIMD horizontal resize pass (see resize.h). */
#include "core/kernels/resize.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* One lane: up to 4 consecutive output bytes starting at o0 (those >= out_bytes are absent).
 * Runs the greedy assignment; with `off` etc. NULL it only counts the steps. Returns the
 * number of steps; writes at most `cap` of them (the caller sized it by a counting run). */
static int lane_steps(int o0, int out_bytes, int channels, int row_bytes, const int *first,
                      const int *count, const int32_t *coef, int ksize,
                      int32_t *off, size_t off_stride, uint8_t *mask, size_t mask_stride,
                      int32_t *k, size_t k_stride)
{
    int next[4] = { 0, 0, 0, 0 }, n_taps[4] = { 0, 0, 0, 0 }, base[4] = { 0, 0, 0, 0 };
    const int32_t *kx[4] = { NULL, NULL, NULL, NULL };
    int steps = 0;
    for (int q = 0; q < 4; q++) {
        int o = o0 + q;
        if (o >= out_bytes) continue;
        int x = o / channels, c = o % channels;
        n_taps[q] = count[x];
        base[q] = first[x] * channels + c;
        kx[q] = coef + (size_t)x * (size_t)ksize;
    }
    for (;;) {
        int lo = -1;
        for (int q = 0; q < 4; q++) {
            if (next[q] >= n_taps[q]) continue;
            int idx = base[q] + next[q] * channels;
            if (lo < 0 || idx < lo) lo = idx;
        }
        if (lo < 0) break;
        if (lo + 16 > row_bytes) lo = row_bytes - 16;   /* stays <= every pending index */
        if (off) {
            off[(size_t)steps * off_stride] = lo;
            memset(mask + (size_t)steps * mask_stride, 0x80, 16);
        }
        for (int q = 0; q < 4; q++) {
            int32_t kq = 0;
            if (next[q] < n_taps[q]) {
                int idx = base[q] + next[q] * channels;
                if (idx < lo + 16) {
                    if (mask) mask[(size_t)steps * mask_stride + 4 * q] = (uint8_t)(idx - lo);
                    kq = kx[q][next[q]];
                    next[q]++;
                }
            }
            if (k) k[(size_t)steps * k_stride + q] = kq;
        }
        steps++;
    }
    return steps;
}

sc_status sc_resize_htab_build(sc_resize_htab *t, int src_w, int dst_w, int channels,
                               const int *first, const int *count, const int32_t *coef, int ksize)
{
    size_t row_bytes = (size_t)src_w * (size_t)channels;
    size_t out_bytes = (size_t)dst_w * (size_t)channels;
    size_t n_steps = 0;

    memset(t, 0, sizeof(*t));
    if (row_bytes < 16) return SC_E_UNSUPPORTED;
    if (row_bytes > INT32_MAX / 2 || out_bytes > INT32_MAX / 2) return SC_E_RANGE;
    t->out_bytes = (int)out_bytes;
    t->n_chunks = (int)((out_bytes + 7) / 8);
    t->step0 = malloc(((size_t)t->n_chunks + 1) * sizeof(int32_t));
    if (!t->step0) return SC_E_NOMEM;
    for (int i = 0; i < t->n_chunks; i++) {
        int s0 = lane_steps(8 * i, (int)out_bytes, channels, (int)row_bytes, first, count, coef,
                            ksize, NULL, 0, NULL, 0, NULL, 0);
        int s1 = lane_steps(8 * i + 4, (int)out_bytes, channels, (int)row_bytes, first, count,
                            coef, ksize, NULL, 0, NULL, 0, NULL, 0);
        t->step0[i] = (int32_t)n_steps;
        n_steps += (size_t)(s0 > s1 ? s0 : s1);
        if (n_steps > INT32_MAX / 64) {
            sc_resize_htab_free(t);
            return SC_E_RANGE;
        }
    }
    t->step0[t->n_chunks] = (int32_t)n_steps;
    /* At least one step overall (out_bytes >= 1), so no allocation is of size 0. */
    t->off = malloc(2 * n_steps * sizeof(int32_t));
    t->mask = sc_aligned_alloc(32 * n_steps);
    t->coef = sc_aligned_alloc(8 * n_steps * sizeof(int32_t));
    if (!t->off || !t->mask || !t->coef) {
        sc_resize_htab_free(t);
        return SC_E_NOMEM;
    }
    /* Padding steps: window at 0, every index 0x80 (a zero byte), coefficient 0. */
    for (size_t s = 0; s < n_steps; s++) {
        t->off[2 * s] = t->off[2 * s + 1] = 0;
        memset(t->mask + 32 * s, 0x80, 32);
        memset(t->coef + 8 * s, 0, 8 * sizeof(int32_t));
    }
    for (int i = 0; i < t->n_chunks; i++) {
        size_t s = (size_t)t->step0[i];
        for (int l = 0; l < 2; l++)
            lane_steps(8 * i + 4 * l, (int)out_bytes, channels, (int)row_bytes, first, count,
                       coef, ksize, t->off + 2 * s + l, 2, t->mask + 32 * s + 16 * l, 32,
                       t->coef + 8 * s + 4 * l, 8);
    }
    return SC_OK;
}

void sc_resize_htab_free(sc_resize_htab *t)
{
    free(t->step0);
    free(t->off);
    sc_aligned_free(t->mask);
    sc_aligned_free(t->coef);
    memset(t, 0, sizeof(*t));
}
