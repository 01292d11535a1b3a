/* Depthwise 3×3 for AVX2 + FMA. uint8: 16 channels per step, widened to 16 bits; vpmaddwd
 * with the odd (even) channel's weight masked to zero gives exact int32 products of the even
 * (odd) channels, re-interleaved before the requantisation. f32: 8 channels per FMA.
 * Padding taps read a tile of the input zero point (0.0f). Compiled with -mavx2 -mfma only.
 *
 * Pixels go in groups of 4 with independent accumulator chains, edges included: per output
 * row and chunk of channels (CHUNK_BYTES of a pixel, the pad tile's size) each group's 36 tap
 * pointers come from sc_dw3_pixel (padding taps at the pad tile), then the chunk's channel
 * tiles run over them. A short group repeats its last pixel (storing the same values again).
 * Each pixel sums its taps in the order t = 0..8 whatever its group. */
#include <string.h>

#include "core/kernels/packed.h"
#include "core/kernels/x86/requant_x86.h"

#define CHUNK_BYTES 1024
#define GROUP 4

void sc_u8_dwconv3x3__avx2(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                           const void *packed, uint8_t *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const int32_t *bias = sc_u8_dw_bias(p);
    const int16_t *w = sc_u8_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad, oc = (size_t)c;
    _Alignas(32) uint8_t pad[CHUNK_BYTES + 16];
    memset(pad, q->in_zp, sizeof(pad));
    sc_rq256 rq;
    sc_rq256_init(&rq, q);
    const __m256i lo16 = _mm256_set1_epi32(0xFFFF), hi16 = _mm256_set1_epi32((int32_t)0xFFFF0000u);
    for (int oy = oy0; oy < oy1; oy++) {
        sc_dw3_rows rows;
        sc_dw3_rows_init(&rows, s, (const char *)in, (size_t)c, oy);
        uint8_t *orow = out + (size_t)oy * s->out_w * oc;
        for (int cc = 0; cc < c; cc += CHUNK_BYTES) {
            int cn = SC_MIN(CHUNK_BYTES, c - cc);
            for (int k = 0; k < s->out_w; k += GROUP) {
                int ox[GROUP];
                const char *tp[GROUP][9];
                sc_dw3_group(&rows, s, (size_t)c, k, GROUP, 0, 0, (size_t)cc, (const char *)pad, ox, tp);
                for (int t0 = 0; t0 < cn; t0 += 16) {
                    int c0 = cc + t0;
                    __m256i ae[GROUP], ao[GROUP];
                    for (int j = 0; j < GROUP; j++) ae[j] = ao[j] = _mm256_setzero_si256();
                    for (int t = 0; t < 9; t++) {
                        __m256i wv = _mm256_loadu_si256((const __m256i *)(const void *)(w + (size_t)t * cp + c0));
                        __m256i we = _mm256_and_si256(wv, lo16), wo = _mm256_and_si256(wv, hi16);
                        for (int j = 0; j < GROUP; j++) {
                            __m256i xv = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(tp[j][t] + t0)));
                            ae[j] = _mm256_add_epi32(ae[j], _mm256_madd_epi16(xv, we));
                            ao[j] = _mm256_add_epi32(ao[j], _mm256_madd_epi16(xv, wo));
                        }
                    }
                    __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(bias + c0));
                    __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(bias + c0 + 8));
                    int nj = c - c0;
                    for (int j = 0; j < GROUP; j++) {
                        /* ae: channels 0,2,4,6 | 8,10,12,14; ao: 1,3,5,7 | 9,11,13,15 */
                        __m256i lo = _mm256_unpacklo_epi32(ae[j], ao[j]), hi = _mm256_unpackhi_epi32(ae[j], ao[j]);
                        __m256i v0 = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), b0);
                        __m256i v1 = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x31), b1);
                        __m256i p16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(sc_rq256_apply(v0, &rq), sc_rq256_apply(v1, &rq)), 0xD8);
                        __m128i r = _mm_packus_epi16(_mm256_castsi256_si128(p16), _mm256_extracti128_si256(p16, 1));
                        uint8_t *o = orow + (size_t)ox[j] * oc + c0;
                        if (nj >= 16) {
                            _mm_storeu_si128((__m128i *)(void *)o, r);
                        } else {
                            uint8_t tmp[16];
                            _mm_storeu_si128((__m128i *)(void *)tmp, r);
                            memcpy(o, tmp, (size_t)nj);
                        }
                    }
                }
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
    size_t cp = (size_t)p->c_pad, pb = (size_t)c * sizeof(float), oc = (size_t)c;
    enum { CH = CHUNK_BYTES / sizeof(float) };
    _Alignas(32) float zero[CH + 8] = { 0 };
    __m256 lo = _mm256_set1_ps(act_min), hi = _mm256_set1_ps(act_max);
    for (int oy = oy0; oy < oy1; oy++) {
        sc_dw3_rows rows;
        sc_dw3_rows_init(&rows, s, (const char *)in, pb, oy);
        float *orow = out + (size_t)oy * s->out_w * oc;
        for (int cc = 0; cc < c; cc += CH) {
            int cn = SC_MIN(CH, c - cc);
            for (int k = 0; k < s->out_w; k += GROUP) {
                int ox[GROUP];
                const char *tp[GROUP][9];
                sc_dw3_group(&rows, s, pb, k, GROUP, 0, 0, (size_t)cc * sizeof(float), (const char *)zero, ox, tp);
                for (int t0 = 0; t0 < cn; t0 += 8) {
                    int c0 = cc + t0;
                    size_t toff = (size_t)t0 * sizeof(float);
                    __m256 b = _mm256_loadu_ps(bias + c0), a[GROUP];
                    for (int j = 0; j < GROUP; j++) a[j] = b;
                    for (int t = 0; t < 9; t++) {
                        __m256 wv = _mm256_loadu_ps(w + (size_t)t * cp + c0);
                        for (int j = 0; j < GROUP; j++)
                            a[j] = _mm256_fmadd_ps(_mm256_loadu_ps((const float *)(const void *)(tp[j][t] + toff)), wv, a[j]);
                    }
                    int nj = c - c0;
                    for (int j = 0; j < GROUP; j++) {
                        __m256 v = _mm256_min_ps(hi, _mm256_max_ps(lo, a[j]));
                        float *o = orow + (size_t)ox[j] * oc + c0;
                        if (nj >= 8) {
                            _mm256_storeu_ps(o, v);
                        } else {
                            float tmp[8];
                            _mm256_storeu_ps(tmp, v);
                            memcpy(o, tmp, sizeof(float) * (size_t)nj);
                        }
                    }
                }
            }
        }
    }
}
