/* sc_f32_exp for NEON (AArch64): the method of core/kernels/exp_consts.h, 4 floats per step
 * and two steps per iteration; the tail (< 4) goes through the same code on a copy, so an
 * element's result does not depend on its position. */
#include <arm_neon.h>
#include <string.h>

#include "core/kernels/exp_consts.h"
#include "core/kernels/kernels.h"

static inline float32x4_t exp4(float32x4_t x)
{
    /* the comparisons are false for NaN, so bsl keeps x there */
    x = vbslq_f32(vcltq_f32(x, vdupq_n_f32(SC_EXP_X_MIN)), vdupq_n_f32(SC_EXP_X_MIN), x);
    x = vbslq_f32(vcgtq_f32(x, vdupq_n_f32(SC_EXP_X_MAX)), vdupq_n_f32(SC_EXP_X_MAX), x);
    const float32x4_t magic = vdupq_n_f32(SC_EXP_MAGIC);
    float32x4_t t = vfmaq_f32(magic, x, vdupq_n_f32(SC_EXP_LOG2E));
    float32x4_t k = vsubq_f32(t, magic);
    float32x4_t r = vfmsq_f32(x, k, vdupq_n_f32(SC_EXP_LN2_HI));
    r = vfmsq_f32(r, k, vdupq_n_f32(SC_EXP_LN2_LO));
    float32x4_t p = vdupq_n_f32(SC_EXP_C6);
    p = vfmaq_f32(vdupq_n_f32(SC_EXP_C5), p, r);
    p = vfmaq_f32(vdupq_n_f32(SC_EXP_C4), p, r);
    p = vfmaq_f32(vdupq_n_f32(SC_EXP_C3), p, r);
    p = vfmaq_f32(vdupq_n_f32(SC_EXP_C2), p, r);
    p = vfmaq_f32(vdupq_n_f32(SC_EXP_C1), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    /* k in [-150, 128] is the low bits of t minus those of magic; 2^k = 2^k1 · 2^k2 */
    int32x4_t ki = vsubq_s32(vreinterpretq_s32_f32(t), vreinterpretq_s32_f32(magic));
    int32x4_t k1 = vshrq_n_s32(ki, 1);
    int32x4_t k2 = vsubq_s32(ki, k1);
    const int32x4_t bias = vdupq_n_s32(127);
    float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k1, bias), 23));
    float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k2, bias), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

void sc_f32_exp__neon(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
        vst1q_f32(y + i, exp4(a));
        vst1q_f32(y + i + 4, exp4(b));
    }
    for (; i < n; i += 4) {
        size_t left = n - i < 4 ? n - i : 4;
        float tx[4] = { 0 }, ty[4];
        memcpy(tx, x + i, left * sizeof(float));
        vst1q_f32(ty, exp4(vld1q_f32(tx)));
        memcpy(y + i, ty, left * sizeof(float));
    }
}
