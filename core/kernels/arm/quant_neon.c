/* sc_f32_quant_u8 for NEON: 16 floats per iteration. vmaxnmq returns the number when the other
 * operand is NaN (vmaxq would return NaN), so NaN gives 0 as in the reference; vcvtq_u32_f32
 * truncates. The tail as core/kernels/quant_drive.h says. */
#include <arm_neon.h>

#include "core/kernels/kernels.h"
#include "core/kernels/quant_drive.h"

static inline uint16x4_t quant4(const float *x, float32x4_t scale, float32x4_t offset)
{
    float32x4_t v = vaddq_f32(vmulq_f32(vld1q_f32(x), scale), offset);
    v = vmaxnmq_f32(v, vdupq_n_f32(0.0f));
    v = vminq_f32(v, vdupq_n_f32(255.0f));
    return vmovn_u32(vcvtq_u32_f32(v));
}

static inline __attribute__((always_inline)) void quant16(const float *x, float scale_s, float offset_s, uint8_t *y)
{
    const float32x4_t scale = vdupq_n_f32(scale_s), offset = vdupq_n_f32(offset_s);
    uint16x8_t lo = vcombine_u16(quant4(x, scale, offset), quant4(x + 4, scale, offset));
    uint16x8_t hi = vcombine_u16(quant4(x + 8, scale, offset), quant4(x + 12, scale, offset));
    vst1q_u8(y, vcombine_u8(vmovn_u16(lo), vmovn_u16(hi)));
}

void sc_f32_quant_u8__neon(size_t n, const float *x, float scale, float offset, uint8_t *y)
{
    sc_quant_drive(n, x, scale, offset, y, 16, quant16);
}
