/* sc_f32_quant_u8 for NEON: 16 floats per iteration. vmaxnmq returns the number when the other
 * operand is NaN (vmaxq would return NaN), so NaN gives 0 as in the reference; vcvtq_u32_f32
 * truncates. The tail (< 16) goes through the same code on a zero-padded copy, so an element's
 * result does not depend on its position. */
#include <arm_neon.h>
#include <string.h>

#include "core/kernels/kernels.h"

static inline uint16x4_t quant4(const float *x, float32x4_t scale, float32x4_t offset)
{
    float32x4_t v = vaddq_f32(vmulq_f32(vld1q_f32(x), scale), offset);
    v = vmaxnmq_f32(v, vdupq_n_f32(0.0f));
    v = vminq_f32(v, vdupq_n_f32(255.0f));
    return vmovn_u32(vcvtq_u32_f32(v));
}

static inline void quant16(const float *x, float32x4_t scale, float32x4_t offset, uint8_t *y)
{
    uint16x8_t lo = vcombine_u16(quant4(x, scale, offset), quant4(x + 4, scale, offset));
    uint16x8_t hi = vcombine_u16(quant4(x + 8, scale, offset), quant4(x + 12, scale, offset));
    vst1q_u8(y, vcombine_u8(vmovn_u16(lo), vmovn_u16(hi)));
}

void sc_f32_quant_u8__neon(size_t n, const float *x, float scale, float offset, uint8_t *y)
{
    const float32x4_t vs = vdupq_n_f32(scale), vo = vdupq_n_f32(offset);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) quant16(x + i, vs, vo, y + i);
    if (i < n) {
        float xt[16] = { 0 };
        uint8_t yt[16];
        memcpy(xt, x + i, (n - i) * sizeof(float));
        quant16(xt, vs, vo, yt);
        memcpy(y + i, yt, n - i);
    }
}
