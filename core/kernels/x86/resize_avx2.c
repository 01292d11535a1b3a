/* Pillow-exact BILINEAR resize passes for AVX2 (see core/kernels/resize.h). Horizontal: per
 * step two 16-byte windows (one per lane), vpshufb into int32 lanes, vpmulld, vpaddd; four
 * rows share each step's shuffle and coefficients. Vertical: 32 bytes per iteration, 8-byte
 * vpmovzxbd loads times the broadcast row coefficient. Compiled with -mavx2 -mfma only. */
#include <immintrin.h>
#include <string.h>

#include "core/kernels/resize.h"

#define ROUND_HALF (1 << (SC_RESIZE_BITS - 1))

/* 8 int32 accumulators (output bytes 0-3 in the low lane, 4-7 in the high) → 8 bytes. The
 * sums are never negative (the coefficients are not), and packus saturates at 255 as clip8. */
static inline __m128i pack8(__m256i acc)
{
    __m256i v = _mm256_srai_epi32(acc, SC_RESIZE_BITS);
    v = _mm256_packus_epi32(v, v);
    v = _mm256_packus_epi16(v, v);
    return _mm_unpacklo_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

static inline __m256i window(const uint8_t *row, const int32_t *off)
{
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(row + off[0]))),
        _mm_loadu_si128((const __m128i *)(row + off[1])), 1);
}

/* R rows (1..4, a constant after inlining) of the horizontal pass. */
static inline void hrows(const sc_resize_htab *t, const uint8_t *src, size_t src_stride,
                         uint8_t *dst, size_t dst_stride, const int R)
{
    const __m256i half = _mm256_set1_epi32(ROUND_HALF);
    const int full = t->out_bytes / 8;
    for (int i = 0; i < t->n_chunks; i++) {
        __m256i a0 = half, a1 = half, a2 = half, a3 = half;
        for (int32_t s = t->step0[i]; s < t->step0[i + 1]; s++) {
            const int32_t *off = t->off + 2 * s;
            const __m256i m = _mm256_load_si256((const __m256i *)(t->mask + 32 * (size_t)s));
            const __m256i k = _mm256_load_si256((const __m256i *)(t->coef + 8 * (size_t)s));
            a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_shuffle_epi8(window(src, off), m), k));
            if (R > 1) a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(
                           _mm256_shuffle_epi8(window(src + src_stride, off), m), k));
            if (R > 2) a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(
                           _mm256_shuffle_epi8(window(src + 2 * src_stride, off), m), k));
            if (R > 3) a3 = _mm256_add_epi32(a3, _mm256_mullo_epi32(
                           _mm256_shuffle_epi8(window(src + 3 * src_stride, off), m), k));
        }
        const __m256i acc[4] = { a0, a1, a2, a3 };
        for (int r = 0; r < R; r++) {
            uint8_t *o = dst + (size_t)r * dst_stride + 8 * (size_t)i;
            __m128i b = pack8(acc[r]);
            if (i < full) {
                _mm_storel_epi64((__m128i *)o, b);
            } else {
                uint8_t tmp[16];
                _mm_storeu_si128((__m128i *)tmp, b);
                memcpy(o, tmp, (size_t)(t->out_bytes - 8 * i));
            }
        }
    }
}

void sc_resize_h__avx2(const sc_resize_htab *t, const uint8_t *src, size_t src_stride, int rows,
                       uint8_t *dst, size_t dst_stride)
{
    int y = 0;
    for (; y + 4 <= rows; y += 4)
        hrows(t, src + (size_t)y * src_stride, src_stride, dst + (size_t)y * dst_stride, dst_stride, 4);
    for (; y < rows; y++)
        hrows(t, src + (size_t)y * src_stride, src_stride, dst + (size_t)y * dst_stride, dst_stride, 1);
}

static inline __m256i widen8(const uint8_t *p)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

void sc_resize_v__avx2(const uint8_t *src, size_t src_stride, const int32_t *k, int count, int n,
                       uint8_t *dst)
{
    const __m256i half = _mm256_set1_epi32(ROUND_HALF);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = half, a1 = half, a2 = half, a3 = half;
        for (int y = 0; y < count; y++) {
            const uint8_t *p = src + (size_t)y * src_stride + i;
            const __m256i ky = _mm256_set1_epi32(k[y]);
            a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(widen8(p), ky));
            a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(widen8(p + 8), ky));
            a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(widen8(p + 16), ky));
            a3 = _mm256_add_epi32(a3, _mm256_mullo_epi32(widen8(p + 24), ky));
        }
        a0 = _mm256_srai_epi32(a0, SC_RESIZE_BITS);
        a1 = _mm256_srai_epi32(a1, SC_RESIZE_BITS);
        a2 = _mm256_srai_epi32(a2, SC_RESIZE_BITS);
        a3 = _mm256_srai_epi32(a3, SC_RESIZE_BITS);
        /* The packs work per 128-bit lane: the dwords come out as a0[0:4] a1[0:4] a2[0:4]
         * a3[0:4] | a0[4:8] a1[4:8] a2[4:8] a3[4:8]; the permute restores the byte order. */
        __m256i b = _mm256_packus_epi16(_mm256_packus_epi32(a0, a1), _mm256_packus_epi32(a2, a3));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_permutevar8x32_epi32(b, order));
    }
    for (; i + 8 <= n; i += 8) {
        __m256i a = half;
        for (int y = 0; y < count; y++)
            a = _mm256_add_epi32(a, _mm256_mullo_epi32(widen8(src + (size_t)y * src_stride + i),
                                                       _mm256_set1_epi32(k[y])));
        _mm_storel_epi64((__m128i *)(dst + i), pack8(a));
    }
    for (; i < n; i++) {
        int32_t a = ROUND_HALF;
        for (int y = 0; y < count; y++) a += src[(size_t)y * src_stride + i] * k[y];
        a >>= SC_RESIZE_BITS;
        dst[i] = (uint8_t)(a < 0 ? 0 : a > 255 ? 255 : a);
    }
}
