/* core/kernels/x86/requant_x86.h — TFLite's uint8 requantisation (sc_requantize: single
 * rounding, (acc·mult + 2^(t-1)) >> t with t = 31 - shift, then + out_zp and the clamp) on
 * 8 (AVX2) or 16 (AVX-512) int32 lanes, bit-exact: 64-bit products of the even and odd lanes,
 * an arithmetic 64-bit shift (AVX2 has none: for t > 32 the high words are shifted instead),
 * the low words kept. Include only from files compiled with the matching -m flags. */
#ifndef SC_CORE_KERNELS_X86_REQUANT_X86_H
#define SC_CORE_KERNELS_X86_REQUANT_X86_H

#include <immintrin.h>

#include "core/kernels/kernels.h"

#define SC_X86_INLINE static inline __attribute__((always_inline))

typedef struct sc_rq256 {
    __m256i mult, round, zp, lo, hi;
    __m128i total, left32, right32;   /* t; 32 - t (t <= 32); t - 32 (t > 32) */
    int wide;                         /* t > 32 */
} sc_rq256;

SC_X86_INLINE void sc_rq256_init(sc_rq256 *r, const sc_requant *q)
{
    int t = 31 - q->shift;            /* 1..62: the packs accept shift in [-31, 30] */
    r->mult = _mm256_set1_epi32(q->mult);
    r->round = _mm256_set1_epi64x((int64_t)1 << (t - 1));
    r->zp = _mm256_set1_epi32(q->out_zp);
    r->lo = _mm256_set1_epi32(q->act_min);
    r->hi = _mm256_set1_epi32(q->act_max);
    r->wide = t > 32;
    r->total = _mm_cvtsi32_si128(t);
    r->left32 = _mm_cvtsi32_si128(t > 32 ? 0 : 32 - t);
    r->right32 = _mm_cvtsi32_si128(t > 32 ? t - 32 : 0);
}

/* requant + out_zp + clamp of 8 accumulators; the result lanes are in [act_min, act_max]. */
SC_X86_INLINE __m256i sc_rq256_apply(__m256i v, const sc_rq256 *r)
{
    __m256i even = _mm256_add_epi64(_mm256_mul_epi32(v, r->mult), r->round);
    __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(v, 32), r->mult), r->round);
    __m256i x;
    if (!r->wide)   /* bits [t, t + 32) of each product: no sign bits needed */
        x = _mm256_blend_epi32(_mm256_srl_epi64(even, r->total), _mm256_sll_epi64(odd, r->left32), 0xAA);
    else            /* (p >> 32) >> (t - 32), on the high words */
        x = _mm256_sra_epi32(_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA), r->right32);
    x = _mm256_add_epi32(x, r->zp);
    return _mm256_min_epi32(_mm256_max_epi32(x, r->lo), r->hi);
}

#ifdef __AVX512F__
/* AVX-512: two forms, both bit-exact. With t >= 33 (shift <= -2: every layer of the COCO
 * model) the rounding constant 2^(t-1) is a multiple of 2^32, so
 *   (p + 2^(t-1)) >> t == (hi32(p) + 2^(t-33)) >> (t - 32)
 * (nested floor division): only the high words of the products are needed, the 64-bit adds
 * and shifts go, and when (t - 32) <= 21 out_zp·2^(t-32) joins the same add (no int32
 * overflow: |hi32(p)| < 2^30, 2^(t-33) <= 2^20, out_zp·2^(t-32) < 2^29). Else the general
 * 64-bit form. */
typedef struct sc_rq512 {
    __m512i mult, round, zp, lo, hi;
    __m128i total;
    __m512i add32;                    /* fast form: 2^(t-33) (+ out_zp·2^(t-32) when folded) */
    __m128i shift32;                  /* t - 32 */
    int fast, zp_folded;
} sc_rq512;

SC_X86_INLINE void sc_rq512_init(sc_rq512 *r, const sc_requant *q)
{
    int t = 31 - q->shift;
    r->mult = _mm512_set1_epi32(q->mult);
    r->round = _mm512_set1_epi64((int64_t)1 << (t - 1));
    r->zp = _mm512_set1_epi32(q->out_zp);
    r->lo = _mm512_set1_epi32(q->act_min);
    r->hi = _mm512_set1_epi32(q->act_max);
    r->total = _mm_cvtsi32_si128(t);
    r->fast = t >= 33;
    r->zp_folded = r->fast && t - 32 <= 21 && q->out_zp >= 0 && q->out_zp <= 255;
    int32_t add = r->fast ? (int32_t)1 << (t - 33) : 0;
    if (r->zp_folded) add += q->out_zp * ((int32_t)1 << (t - 32));
    r->add32 = _mm512_set1_epi32(add);
    r->shift32 = _mm_cvtsi32_si128(r->fast ? t - 32 : 0);
}

/* requant + out_zp, not clamped (int32: the caller saturates, e.g. by packing to bytes). */
SC_X86_INLINE __m512i sc_rq512_apply_raw(__m512i v, const sc_rq512 *r)
{
    __m512i x;
    if (r->fast) {
        __m512i even = _mm512_srli_epi64(_mm512_mul_epi32(v, r->mult), 32);
        __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(v, 32), r->mult);
        x = _mm512_sra_epi32(_mm512_add_epi32(_mm512_mask_blend_epi32(0xAAAA, even, odd), r->add32), r->shift32);
        if (!r->zp_folded) x = _mm512_add_epi32(x, r->zp);
    } else {
        __m512i even = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(v, r->mult), r->round), r->total);
        __m512i odd = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(v, 32), r->mult), r->round), r->total);
        x = _mm512_add_epi32(_mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32)), r->zp);
    }
    return x;
}

/* requant + out_zp + the activation clamp; the result lanes are in [act_min, act_max]. */
SC_X86_INLINE __m512i sc_rq512_apply(__m512i v, const sc_rq512 *r)
{
    return _mm512_min_epi32(_mm512_max_epi32(sc_rq512_apply_raw(v, r), r->lo), r->hi);
}
#endif

#endif
