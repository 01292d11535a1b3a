/* Depthwise 3×3 for AVX2 + FMA. uint8: 16 channels per step, widened to 16 bits; vpmaddwd
 * with the odd (even) channel's weight masked to zero gives exact int32 products of the even
 * (odd) channels, re-interleaved before the requantisation. f32: 8 channels per FMA.
 * Padding taps read a tile of the input zero point (0.0f). Compiled with -mavx2 -mfma only. */
#include <string.h>

#include "core/kernels/packed.h"
#include "core/kernels/x86/requant_x86.h"

void sc_u8_dwconv3x3__avx2(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                           const void *packed, uint8_t *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const int32_t *bias = sc_u8_dw_bias(p);
    const int16_t *w = sc_u8_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad;
    _Alignas(32) uint8_t pad[32];
    memset(pad, q->in_zp, sizeof(pad));
    sc_rq256 rq;
    sc_rq256_init(&rq, q);
    const __m256i lo16 = _mm256_set1_epi32(0xFFFF), hi16 = _mm256_set1_epi32((int32_t)0xFFFF0000u);
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++) {
            const char *base[9];
            int valid[9];
            sc_dw3_taps(s, (const char *)in, (size_t)c, oy, ox, base, valid);
            uint8_t *o = out + ((size_t)oy * s->out_w + ox) * (size_t)c;
            for (int c0 = 0; c0 < c; c0 += 16) {
                __m256i ae = _mm256_setzero_si256(), ao = _mm256_setzero_si256();
                for (int t = 0; t < 9; t++) {
                    const uint8_t *x = valid[t] ? (const uint8_t *)base[t] + c0 : pad;
                    __m256i xv = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)x));
                    __m256i wv = _mm256_loadu_si256((const __m256i *)(const void *)(w + (size_t)t * cp + c0));
                    ae = _mm256_add_epi32(ae, _mm256_madd_epi16(xv, _mm256_and_si256(wv, lo16)));
                    ao = _mm256_add_epi32(ao, _mm256_madd_epi16(xv, _mm256_and_si256(wv, hi16)));
                }
                /* ae: channels 0,2,4,6 | 8,10,12,14; ao: 1,3,5,7 | 9,11,13,15 */
                __m256i lo = _mm256_unpacklo_epi32(ae, ao), hi = _mm256_unpackhi_epi32(ae, ao);
                __m256i v0 = _mm256_permute2x128_si256(lo, hi, 0x20), v1 = _mm256_permute2x128_si256(lo, hi, 0x31);
                v0 = _mm256_add_epi32(v0, _mm256_loadu_si256((const __m256i *)(const void *)(bias + c0)));
                v1 = _mm256_add_epi32(v1, _mm256_loadu_si256((const __m256i *)(const void *)(bias + c0 + 8)));
                __m256i p16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(sc_rq256_apply(v0, &rq), sc_rq256_apply(v1, &rq)), 0xD8);
                __m128i r = _mm_packus_epi16(_mm256_castsi256_si128(p16), _mm256_extracti128_si256(p16, 1));
                int nj = c - c0;
                if (nj >= 16) {
                    _mm_storeu_si128((__m128i *)(void *)(o + c0), r);
                } else {
                    uint8_t tmp[16];
                    _mm_storeu_si128((__m128i *)(void *)tmp, r);
                    memcpy(o + c0, tmp, (size_t)nj);
                }
            }
        }
}

void sc_f32_dwconv3x3__avx2(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                            const void *packed, float *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const float *bias = sc_f32_dw_bias(p), *w = sc_f32_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad;
    _Alignas(32) float zero[8] = { 0 };
    __m256 lo = _mm256_set1_ps(act_min), hi = _mm256_set1_ps(act_max);
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < s->out_w; ox++) {
            const char *base[9];
            int valid[9];
            sc_dw3_taps(s, (const char *)in, (size_t)c * sizeof(float), oy, ox, base, valid);
            float *o = out + ((size_t)oy * s->out_w + ox) * (size_t)c;
            for (int c0 = 0; c0 < c; c0 += 8) {
                __m256 acc = _mm256_loadu_ps(bias + c0);
                for (int t = 0; t < 9; t++) {
                    const float *x = valid[t] ? (const float *)(const void *)base[t] + c0 : zero;
                    acc = _mm256_fmadd_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(w + (size_t)t * cp + c0), acc);
                }
                acc = _mm256_min_ps(hi, _mm256_max_ps(lo, acc));
                int nj = c - c0;
                if (nj >= 8) {
                    _mm256_storeu_ps(o + c0, acc);
                } else {
                    float tmp[8];
                    _mm256_storeu_ps(tmp, acc);
                    memcpy(o + c0, tmp, sizeof(float) * (size_t)nj);
                }
            }
        }
}
