/* core/kernels/arm/requant_neon.h — TFLite's uint8 requantisation (sc_requantize: single
 * rounding, (acc·mult + 2^(t-1)) >> t with t = 31 - shift, + out_zp, clamp) on 4 int32
 * lanes, bit-exact: 64-bit products, and vrshlq_s64 by -t is exactly the rounding shift. */
#ifndef SC_CORE_KERNELS_ARM_REQUANT_NEON_H
#define SC_CORE_KERNELS_ARM_REQUANT_NEON_H

#include <arm_neon.h>

#include "core/kernels/kernels.h"

typedef struct sc_rq_neon {
    int32x2_t mult;
    int64x2_t shift;             /* -t */
    int32x4_t zp, lo, hi;
} sc_rq_neon;

static inline void sc_rq_neon_init(sc_rq_neon *r, const sc_requant *q)
{
    r->mult = vdup_n_s32(q->mult);
    r->shift = vdupq_n_s64(-(int64_t)(31 - q->shift));
    r->zp = vdupq_n_s32(q->out_zp);
    r->lo = vdupq_n_s32(q->act_min);
    r->hi = vdupq_n_s32(q->act_max);
}

static inline int32x4_t sc_rq_neon_apply(int32x4_t v, const sc_rq_neon *r)
{
    int64x2_t lo = vrshlq_s64(vmull_s32(vget_low_s32(v), r->mult), r->shift);
    int64x2_t hi = vrshlq_s64(vmull_s32(vget_high_s32(v), r->mult), r->shift);
    int32x4_t x = vaddq_s32(vcombine_s32(vmovn_s64(lo), vmovn_s64(hi)), r->zp);
    return vminq_s32(vmaxq_s32(x, r->lo), r->hi);
}

/* 16 requantised lanes (in [0, 255] after the clamp) to bytes. */
static inline uint8x16_t sc_rq_neon_pack16(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d)
{
    uint16x8_t ab = vcombine_u16(vqmovun_s32(a), vqmovun_s32(b));
    uint16x8_t cd = vcombine_u16(vqmovun_s32(c), vqmovun_s32(d));
    return vcombine_u8(vqmovn_u16(ab), vqmovn_u16(cd));
}

#endif
