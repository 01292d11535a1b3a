/* core/kernels/quant_drive.h — the loop of the SIMD sc_f32_quant_u8 variants (AVX2, NEON):
 * whole steps of `vec` elements in place, then the tail (< vec) through the same step on a
 * zero-padded copy, so an element's result does not depend on its position and nothing is
 * read or written past n. `step` quantises vec elements (inlined: a constant argument of an
 * always-inline function). */
#ifndef SC_CORE_KERNELS_QUANT_DRIVE_H
#define SC_CORE_KERNELS_QUANT_DRIVE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SC_QUANT_VEC_MAX 32

static inline __attribute__((always_inline)) void
sc_quant_drive(size_t n, const float *x, float scale, float offset, uint8_t *y, size_t vec,
               void (*step)(const float *x, float scale, float offset, uint8_t *y))
{
    size_t i = 0;
    for (; i + vec <= n; i += vec) step(x + i, scale, offset, y + i);
    if (i < n) {
        float xt[SC_QUANT_VEC_MAX] = { 0 };
        uint8_t yt[SC_QUANT_VEC_MAX];
        memcpy(xt, x + i, (n - i) * sizeof(float));
        step(xt, scale, offset, yt);
        memcpy(y + i, yt, n - i);
    }
}

#endif
