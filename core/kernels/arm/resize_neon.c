/* Pillow-exact BILINEAR resize passes for NEON (see core/kernels/resize.h). Horizontal: per
 * step and lane one 16-byte window, vqtbl1q_u8 into uint32 lanes (index 0x80 gives 0), vmlaq_u32;
 * four rows share each step's table and coefficients. Vertical: 16 bytes per iteration,
 * widened to uint32, vmlaq_n_u32. The sums are below 2^31, so uint32 arithmetic is exact. */
#include <arm_neon.h>
#include <string.h>

#include "core/kernels/resize.h"

#define ROUND_HALF (1u << (SC_RESIZE_BITS - 1))

/* 8 accumulators → 8 bytes (saturating at 255, as clip8). */
static inline uint8x8_t narrow8(uint32x4_t lo, uint32x4_t hi)
{
    uint16x8_t w = vcombine_u16(vqmovn_u32(vshrq_n_u32(lo, SC_RESIZE_BITS)),
                                vqmovn_u32(vshrq_n_u32(hi, SC_RESIZE_BITS)));
    return vqmovn_u16(w);
}

static inline uint32x4_t step(uint32x4_t acc, const uint8_t *p, uint8x16_t m, uint32x4_t k)
{
    return vmlaq_u32(acc, vreinterpretq_u32_u8(vqtbl1q_u8(vld1q_u8(p), m)), k);
}

static inline void hrows(const sc_resize_htab *t, const uint8_t *src, size_t src_stride,
                         uint8_t *dst, size_t dst_stride, const int R)
{
    const uint32x4_t half = vdupq_n_u32(ROUND_HALF);
    const int full = t->out_bytes / 8;
    for (int i = 0; i < t->n_chunks; i++) {
        uint32x4_t a[4][2];
        for (int r = 0; r < 4; r++) a[r][0] = a[r][1] = half;
        for (int32_t s = t->step0[i]; s < t->step0[i + 1]; s++) {
            const int32_t *off = t->off + 2 * s;
            const uint8x16_t m0 = vld1q_u8(t->mask + 32 * (size_t)s);
            const uint8x16_t m1 = vld1q_u8(t->mask + 32 * (size_t)s + 16);
            const uint32x4_t k0 = vreinterpretq_u32_s32(vld1q_s32(t->coef + 8 * (size_t)s));
            const uint32x4_t k1 = vreinterpretq_u32_s32(vld1q_s32(t->coef + 8 * (size_t)s + 4));
            for (int r = 0; r < R; r++) {
                const uint8_t *row = src + (size_t)r * src_stride;
                a[r][0] = step(a[r][0], row + off[0], m0, k0);
                a[r][1] = step(a[r][1], row + off[1], m1, k1);
            }
        }
        for (int r = 0; r < R; r++) {
            uint8_t *o = dst + (size_t)r * dst_stride + 8 * (size_t)i;
            uint8x8_t b = narrow8(a[r][0], a[r][1]);
            if (i < full) {
                vst1_u8(o, b);
            } else {
                uint8_t tmp[8];
                vst1_u8(tmp, b);
                memcpy(o, tmp, (size_t)(t->out_bytes - 8 * i));
            }
        }
    }
}

void sc_resize_h__neon(const sc_resize_htab *t, const uint8_t *src, size_t src_stride, int rows,
                       uint8_t *dst, size_t dst_stride)
{
    int y = 0;
    for (; y + 4 <= rows; y += 4)
        hrows(t, src + (size_t)y * src_stride, src_stride, dst + (size_t)y * dst_stride, dst_stride, 4);
    for (; y < rows; y++)
        hrows(t, src + (size_t)y * src_stride, src_stride, dst + (size_t)y * dst_stride, dst_stride, 1);
}

void sc_resize_v__neon(const uint8_t *src, size_t src_stride, const int32_t *k, int count, int n,
                       uint8_t *dst)
{
    const uint32x4_t half = vdupq_n_u32(ROUND_HALF);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32x4_t a0 = half, a1 = half, a2 = half, a3 = half;
        for (int y = 0; y < count; y++) {
            const uint8x16_t x = vld1q_u8(src + (size_t)y * src_stride + i);
            const uint16x8_t lo = vmovl_u8(vget_low_u8(x)), hi = vmovl_high_u8(x);
            const uint32_t ky = (uint32_t)k[y];
            a0 = vmlaq_n_u32(a0, vmovl_u16(vget_low_u16(lo)), ky);
            a1 = vmlaq_n_u32(a1, vmovl_high_u16(lo), ky);
            a2 = vmlaq_n_u32(a2, vmovl_u16(vget_low_u16(hi)), ky);
            a3 = vmlaq_n_u32(a3, vmovl_high_u16(hi), ky);
        }
        vst1q_u8(dst + i, vcombine_u8(narrow8(a0, a1), narrow8(a2, a3)));
    }
    for (; i < n; i++) {
        uint32_t a = ROUND_HALF;
        for (int y = 0; y < count; y++) a += (uint32_t)src[(size_t)y * src_stride + i] * (uint32_t)k[y];
        a >>= SC_RESIZE_BITS;
        dst[i] = (uint8_t)(a > 255 ? 255 : a);
    }
}
