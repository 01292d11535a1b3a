/* Depthwise 3×3 for AVX-512. uint8: 32 channels per step; the inputs are widened to 16 bits,
 * and vpdpwssd with the int16 weights' odd (then even) channels masked off yields exact
 * int32 products of the even (odd) channels, so no pairs are summed. f32: 16
 * channels per FMA. Padding taps read a tile of the input zero point (0.0f).
 *
 * Every pixel runs at the same speed, edges included: the pixels whose three columns lie
 * inside the input row go in groups of 4 (f32) or 2 (uint8) with independent accumulator
 * chains, the taps being fixed offsets from three row bases; a padding row's base is the pad
 * tile with a pixel stride of 0, so the rows touching the top or bottom padding take the same
 * path. The other pixels (left and right columns, the interior's leftover) go in groups of
 * the same size through per-pixel tap pointers (edge_taps), a short group repeating its
 * last pixel and skipping its store. Each pixel sums its taps in the order t = 0..8 whatever
 * its group, so results do not depend on the grouping, the row split or the thread count.
 *
 * Loop order: output rows in blocks whose input rows stay in L2; within a block, chunks of
 * a pixel's channels (all of them up to CHUNK_BYTES); within a row, channel tiles outside and
 * pixels inside, the tile's 9 weight vectors in registers. Chunks used to be cut so that three
 * input rows of a chunk fit half of L1D (16 float channels for 75-pixel rows), for reuse from
 * L1 as the rows move down; on Zen 5 whole chunks were faster in every case timed, in cache
 * and not, one row per call (as chains call) or whole layers: 75×75×128 stride 2, one row per
 * call, input in L2: 0.051 → 0.039 ms; stride 1, two rows: 0.095 → 0.073; 150×150×32 stride 1:
 * 0.082 → 0.073; 38×38×256 whole: 0.085 → 0.075 ms; 19×19×512 and 10×10×1024 within 3 %
 * (micro-benchmark medians of 300). Inside the float SSD's chains the depthwise layers took
 * 20 % less time. f32 takes the fast groups of two output rows at once
 * (f32_group2: 16 accumulator chains, the input rows the two share loaded once): 10-15 %
 * faster than one row at a time on the float SSD's stride-1 shapes (150×150×32, 75×75×128,
 * 19×19×512; `ssdcam bench` conv layers in cache), stride 2 a few % faster. */
#include <stddef.h>
#include <string.h>

#include "core/kernels/packed.h"
#include "core/kernels/x86/requant_x86.h"

#define CHUNK_BYTES 1024          /* largest chunk of one pixel's channels (the pad tile's size) */
#define L2_BLOCK_BYTES (256 * 1024)

/* Channels per chunk: all c (rounded up to a multiple of `tile`), at most CHUNK_BYTES worth. */
static int chunk_channels(size_t elem, int tile, int c)
{
    int ch = (int)((size_t)CHUNK_BYTES / elem) / tile * tile;
    return SC_MIN(ch, (c + tile - 1) / tile * tile);
}

/* Output rows per block: the block's input rows (all channels) fit L2_BLOCK_BYTES. */
static int block_rows(const sc_conv_shape *s, size_t pixel_bytes)
{
    size_t row = (size_t)s->in_w * pixel_bytes;
    int n = (int)SC_MIN((size_t)L2_BLOCK_BYTES / (row ? row : 1), (size_t)1 << 20);
    return SC_MAX(1, (n - 2) / s->stride_h);
}

/* Row bases for the fast groups: a row's pixel 0 at the chunk's first channel, or the pad
 * tile with pixel stride 0 for a padding row. */
typedef struct fast_rows {
    const char *base[3];
    size_t ps[3];
} fast_rows;

static inline void fast_rows_init(fast_rows *f, const sc_dw3_rows *r, size_t pixel_bytes, size_t coff, const char *pad)
{
    for (int ky = 0; ky < 3; ky++) {
        f->base[ky] = r->row[ky] ? r->row[ky] + coff : pad;
        f->ps[ky] = r->row[ky] ? pixel_bytes : 0;
    }
}

/* The 9 tap pointers of pixel ox from the row bases (as sc_dw3_pixel, without branches):
 * a tap outside the row, or in a padding row, points at the pad tile. */
static inline void edge_taps(const fast_rows *f, const sc_conv_shape *s, int ox, const char *pad, const char *tap[9])
{
    int ix0 = ox * s->stride_w - s->pad_left;
    for (int kx = 0; kx < 3; kx++) {
        int ix = ix0 + kx, ok = ix >= 0 && ix < s->in_w;
        size_t col = ok ? (size_t)ix : 0;
        for (int ky = 0; ky < 3; ky++) tap[ky * 3 + kx] = ok ? f->base[ky] + col * f->ps[ky] : pad;
    }
}

/* ---- uint8 ------------------------------------------------------------------------------ */

#define U8_TILE 32

/* Two pixels: ix0 = first tap column of the first, `sw` columns apart; `reuse` (a constant,
 * with sw 1 or 2) loads each input pixel of a row once. */
SC_X86_INLINE void u8_pair(const fast_rows *f, size_t toff, int ix0, int sw, int reuse, const __m512i we[9], const __m512i wo[9],
                           __m512i be, __m512i bo, const sc_rq512 *rq, __mmask32 sm, uint8_t *o, size_t oc)
{
    __m512i ae0 = be, ao0 = bo, ae1 = be, ao1 = bo;
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
        size_t d = f->ps[ky];
        const char *r = f->base[ky] + (size_t)ix0 * d + toff;
        if (reuse) {
            /* the row's 3 + sw input pixels, each widened once */
            __m512i x[5];
#pragma GCC unroll 5
            for (int j = 0; j < 3 + sw; j++)
                x[j] = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(r + (size_t)j * d)));
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                const int t = ky * 3 + kx;
                ae0 = _mm512_dpwssd_epi32(ae0, x[kx], we[t]);
                ao0 = _mm512_dpwssd_epi32(ao0, x[kx], wo[t]);
                ae1 = _mm512_dpwssd_epi32(ae1, x[kx + sw], we[t]);
                ao1 = _mm512_dpwssd_epi32(ao1, x[kx + sw], wo[t]);
            }
        } else {
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                const int t = ky * 3 + kx;
                __m512i x0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(r + (size_t)kx * d)));
                __m512i x1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(r + (size_t)(kx + sw) * d)));
                ae0 = _mm512_dpwssd_epi32(ae0, x0, we[t]);
                ao0 = _mm512_dpwssd_epi32(ao0, x0, wo[t]);
                ae1 = _mm512_dpwssd_epi32(ae1, x1, we[t]);
                ao1 = _mm512_dpwssd_epi32(ao1, x1, wo[t]);
            }
        }
    }
    __m512i v0 = _mm512_or_si512(sc_rq512_apply(ae0, rq), _mm512_slli_epi32(sc_rq512_apply(ao0, rq), 8));
    _mm256_mask_storeu_epi8(o, sm, _mm512_cvtepi32_epi16(v0));
    __m512i v1 = _mm512_or_si512(sc_rq512_apply(ae1, rq), _mm512_slli_epi32(sc_rq512_apply(ao1, rq), 8));
    _mm256_mask_storeu_epi8(o + oc, sm, _mm512_cvtepi32_epi16(v1));
}

/* Per output row and 32-channel tile: the 9 taps' even/odd-masked weights stay in registers
 * while the row's pixels are computed. */
void sc_u8_dwconv3x3__avx512(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                             const void *packed, uint8_t *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const int32_t *bias = sc_u8_dw_bias(p);
    const int16_t *w = sc_u8_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad, oc = (size_t)c;
    _Alignas(64) uint8_t pad[CHUNK_BYTES + U8_TILE];
    memset(pad, q->in_zp, sizeof(pad));
    sc_rq512 rq;
    sc_rq512_init(&rq, q);
    const __m512i lo16 = _mm512_set1_epi32(0xFFFF), hi16 = _mm512_set1_epi32((int32_t)0xFFFF0000u);
    const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd_idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    int sw = s->stride_w, lo, hi;
    sc_dw3_interior(s, &lo, &hi);
    int n_fast = (hi - lo) / 2 * 2, n_edge = s->out_w - n_fast;
    int ch = chunk_channels(1, U8_TILE, c), rb = block_rows(s, (size_t)c);
    for (int yb = oy0; yb < oy1; yb += rb) {
        int ye = SC_MIN(oy1, yb + rb);
        for (int cc = 0; cc < c; cc += ch) {
            int cn = SC_MIN(ch, c - cc);
            for (int oy = yb; oy < ye; oy++) {
                sc_dw3_rows rows;
                sc_dw3_rows_init(&rows, s, (const char *)in, (size_t)c, oy);
                fast_rows f;
                fast_rows_init(&f, &rows, (size_t)c, (size_t)cc, (const char *)pad);
                uint8_t *orow = out + (size_t)oy * s->out_w * oc + cc;
                /* the fast groups: tiles outside, the tile's weights in registers */
                if (n_fast > 0)
                    for (int t0 = 0; t0 < cn; t0 += U8_TILE) {
                        int c0 = cc + t0, nj = c - c0;
                        __mmask32 sm = nj >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << nj) - 1);
                        __m512i we[9], wo[9];
#pragma GCC unroll 9
                        for (int t = 0; t < 9; t++) {
                            __m512i wv = _mm512_loadu_si512(w + (size_t)t * cp + c0);
                            we[t] = _mm512_and_si512(wv, lo16);
                            wo[t] = _mm512_and_si512(wv, hi16);
                        }
                        __m512i b0 = _mm512_loadu_si512(bias + c0), b1 = _mm512_loadu_si512(bias + c0 + 16);
                        __m512i be = _mm512_permutex2var_epi32(b0, even_idx, b1), bo = _mm512_permutex2var_epi32(b0, odd_idx, b1);
                        for (int ox = lo; ox < lo + n_fast; ox += 2) {
                            uint8_t *o = orow + (size_t)ox * oc + t0;
                            int ix0 = ox * sw - s->pad_left;
                            if (sw == 1) u8_pair(&f, (size_t)t0, ix0, 1, 1, we, wo, be, bo, &rq, sm, o, oc);
                            else if (sw == 2) u8_pair(&f, (size_t)t0, ix0, 2, 1, we, wo, be, bo, &rq, sm, o, oc);
                            else u8_pair(&f, (size_t)t0, ix0, sw, 0, we, wo, be, bo, &rq, sm, o, oc);
                        }
                    }
                /* the other pixels in pairs through tap pointers; tiles inside */
                for (int k = 0; k < n_edge; k += 2) {
                    int ox0 = sc_dw3_edge_pixel(k, lo, n_fast), two = k + 1 < n_edge;
                    int ox1 = two ? sc_dw3_edge_pixel(k + 1, lo, n_fast) : ox0;
                    const char *tp0[9], *tp1[9];
                    edge_taps(&f, s, ox0, (const char *)pad, tp0);
                    edge_taps(&f, s, ox1, (const char *)pad, tp1);
                    for (int t0 = 0; t0 < cn; t0 += U8_TILE) {
                        int c0 = cc + t0, nj = c - c0;
                        __mmask32 sm = nj >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << nj) - 1);
                        __m512i b0 = _mm512_loadu_si512(bias + c0), b1 = _mm512_loadu_si512(bias + c0 + 16);
                        __m512i ae0 = _mm512_permutex2var_epi32(b0, even_idx, b1), ao0 = _mm512_permutex2var_epi32(b0, odd_idx, b1);
                        __m512i ae1 = ae0, ao1 = ao0;
#pragma GCC unroll 9
                        for (int t = 0; t < 9; t++) {
                            /* vpdpwssd (multiply int16 pairs, add both products to an int32
                             * lane) with the odd, then the even channel of each pair zeroed in
                             * the weights: exact products of the even and the odd channels */
                            __m512i wv = _mm512_loadu_si512(w + (size_t)t * cp + c0);
                            __m512i wet = _mm512_and_si512(wv, lo16), wot = _mm512_and_si512(wv, hi16);
                            __m512i x0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(tp0[t] + t0)));
                            __m512i x1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(tp1[t] + t0)));
                            ae0 = _mm512_dpwssd_epi32(ae0, x0, wet);
                            ao0 = _mm512_dpwssd_epi32(ao0, x0, wot);
                            ae1 = _mm512_dpwssd_epi32(ae1, x1, wet);
                            ao1 = _mm512_dpwssd_epi32(ao1, x1, wot);
                        }
                        __m512i v0 = _mm512_or_si512(sc_rq512_apply(ae0, &rq), _mm512_slli_epi32(sc_rq512_apply(ao0, &rq), 8));
                        _mm256_mask_storeu_epi8(orow + (size_t)ox0 * oc + t0, sm, _mm512_cvtepi32_epi16(v0));
                        if (two) {
                            __m512i v1 = _mm512_or_si512(sc_rq512_apply(ae1, &rq), _mm512_slli_epi32(sc_rq512_apply(ao1, &rq), 8));
                            _mm256_mask_storeu_epi8(orow + (size_t)ox1 * oc + t0, sm, _mm512_cvtepi32_epi16(v1));
                        }
                    }
                }
            }
        }
    }
}

/* ---- f32 -------------------------------------------------------------------------------- */

#define F32_TILE 16

SC_X86_INLINE __m512 clampf(__m512 v, __m512 lo, __m512 hi) { return _mm512_min_ps(hi, _mm512_max_ps(lo, v)); }

/* np pixels (a constant) of one row at any stride `step` (one load per tap), ix0 = first tap
 * column of the first; each accumulator takes its taps in the order t = 0..8 (stride 1 and 2
 * go through f32_rows, which loads each input pixel once). */
SC_X86_INLINE void f32_group(const fast_rows *f, size_t toff, int ix0, int np, int step, __mmask16 m,
                             const __m512 wt[9], __m512 b, __m512 lo, __m512 hi, float *o, size_t oc)
{
    __m512 a[8];
#pragma GCC unroll 8
    for (int q = 0; q < np; q++) a[q] = b;
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
        size_t d = f->ps[ky];
        const char *r = f->base[ky] + (size_t)ix0 * d + toff;
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; kx++)
#pragma GCC unroll 8
            for (int q = 0; q < np; q++)
                a[q] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r + ((size_t)q * (size_t)step + (size_t)kx) * d), wt[ky * 3 + kx], a[q]);
    }
#pragma GCC unroll 8
    for (int q = 0; q < np; q++) _mm512_mask_storeu_ps(o + (size_t)q * oc, m, clampf(a[q], lo, hi));
}

/* np pixels (a constant) of `nrow` output rows (1 or 2, a constant), ix0 = first tap column of
 * the first pixel, sw (1 or 2, a constant) columns apart. The input rows rb[] (pixel strides ps):
 * rows 0-2 for the first output row (a); for a second one, `sh` (1 or 2) rows further down,
 * rows sh to sh + 2 (c). Each input pixel is loaded once and taken by every pixel of either
 * row that uses it; two rows give 16 accumulator chains, which keep both FMA pipes busy. Each
 * accumulator takes its taps in the order t = 0..8 (input rows in order, kx in order within
 * one), whatever nrow, so results do not depend on the pairing of rows. */
SC_X86_INLINE void f32_rows(const char *const rb[], const size_t ps[], int nrow, int sh, size_t toff, int ix0, int np,
                            int sw, __mmask16 m, const __m512 wt[9], __m512 b, __m512 lo, __m512 hi, float *o0,
                            float *o1, size_t oc)
{
    __m512 a[8], c[8];
#pragma GCC unroll 8
    for (int q = 0; q < np; q++) a[q] = c[q] = b;
    const int n_in = nrow == 2 ? 3 + sh : 3;
#pragma GCC unroll 5
    for (int r = 0; r < n_in; r++) {
        size_t d = ps[r];
        const char *row = rb[r] + (size_t)ix0 * d + toff;
#pragma GCC unroll 20
        for (int j = 0; j < (np - 1) * sw + 3; j++) {
            __m512 x = _mm512_maskz_loadu_ps(m, row + (size_t)j * d);
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                int q = (j - kx) / sw;
                if (j < kx || (j - kx) % sw != 0 || q >= np) continue;
                if (r <= 2) a[q] = _mm512_fmadd_ps(x, wt[r * 3 + kx], a[q]);
                if (nrow == 2 && r >= sh) c[q] = _mm512_fmadd_ps(x, wt[(r - sh) * 3 + kx], c[q]);
            }
        }
    }
#pragma GCC unroll 8
    for (int q = 0; q < np; q++) {
        _mm512_mask_storeu_ps(o0 + (size_t)q * oc, m, clampf(a[q], lo, hi));
        if (nrow == 2) _mm512_mask_storeu_ps(o1 + (size_t)q * oc, m, clampf(c[q], lo, hi));
    }
}

void sc_f32_dwconv3x3__avx512(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                              const void *packed, float *out, int oy0, int oy1)
{
    const sc_dw_packed *p = packed;
    const float *bias = sc_f32_dw_bias(p), *w = sc_f32_dw_w(p);
    int c = p->c;
    size_t cp = (size_t)p->c_pad, pb = (size_t)c * sizeof(float), oc = (size_t)c;
    _Alignas(64) float zero[CHUNK_BYTES / sizeof(float)] = { 0 };
    __m512 vlo = _mm512_set1_ps(act_min), vhi = _mm512_set1_ps(act_max);
    int sw = s->stride_w, lo, hi;
    sc_dw3_interior(s, &lo, &hi);
    int n_fast = (hi - lo) / 4 * 4, n_edge = s->out_w - n_fast;
    int ch = chunk_channels(sizeof(float), F32_TILE, c), rb = block_rows(s, pb);
    for (int yb = oy0; yb < oy1; yb += rb) {
        int ye = SC_MIN(oy1, yb + rb);
        for (int cc = 0; cc < c; cc += ch) {
            int cn = SC_MIN(ch, c - cc);
            size_t coff = (size_t)cc * sizeof(float);
            for (int oy = yb; oy < ye;) {
                /* two rows at once (stride 1 or 2 down: they share input rows) */
                const int sh = s->stride_h, two = (sh == 1 || sh == 2) && oy + 1 < ye && (sw == 1 || sw == 2);
                fast_rows fr[2];
                float *orows[2];
                for (int i = 0; i <= two; i++) {
                    sc_dw3_rows rows;
                    sc_dw3_rows_init(&rows, s, (const char *)in, pb, oy + i);
                    fast_rows_init(&fr[i], &rows, pb, coff, (const char *)zero);
                    orows[i] = out + (size_t)(oy + i) * s->out_w * oc + cc;
                }
                /* the input rows of both: the first's three, then the second's below them */
                const char *rbase[5] = { fr[0].base[0], fr[0].base[1], fr[0].base[2], fr[two].base[1], fr[two].base[2] };
                size_t rps[5] = { fr[0].ps[0], fr[0].ps[1], fr[0].ps[2], fr[two].ps[1], fr[two].ps[2] };
                if (sh == 1) { rbase[3] = rbase[4]; rps[3] = rps[4]; }
                /* the fast groups: tiles outside, the tile's weights in registers */
                if (n_fast > 0)
                    for (int t0 = 0; t0 < cn; t0 += F32_TILE) {
                        int c0 = cc + t0, nj = c - c0;
                        __mmask16 m = nj >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
                        __m512 wt[9];
#pragma GCC unroll 9
                        for (int t = 0; t < 9; t++) wt[t] = _mm512_loadu_ps(w + (size_t)t * cp + c0);
                        __m512 b = _mm512_loadu_ps(bias + c0);
                        size_t toff = (size_t)t0 * sizeof(float);
                        int ox = lo;
                        /* constants for each (rows, sh, sw): the group's loops unroll fully */
#define F32_ROWS(NROW, SH, SW) \
    do { \
        for (; ox + 8 <= lo + n_fast; ox += 8) \
            f32_rows(rbase, rps, NROW, SH, toff, (SW) * ox - s->pad_left, 8, SW, m, wt, b, vlo, vhi, \
                     orows[0] + (size_t)ox * oc + t0, orows[NROW - 1] + (size_t)ox * oc + t0, oc); \
        for (; ox < lo + n_fast; ox += 4) \
            f32_rows(rbase, rps, NROW, SH, toff, (SW) * ox - s->pad_left, 4, SW, m, wt, b, vlo, vhi, \
                     orows[0] + (size_t)ox * oc + t0, orows[NROW - 1] + (size_t)ox * oc + t0, oc); \
    } while (0)
                        if (two && sh == 1 && sw == 1) F32_ROWS(2, 1, 1);
                        else if (two && sh == 1) F32_ROWS(2, 1, 2);
                        else if (two && sw == 1) F32_ROWS(2, 2, 1);
                        else if (two) F32_ROWS(2, 2, 2);
                        else if (sw == 1) F32_ROWS(1, 1, 1);
                        else if (sw == 2) F32_ROWS(1, 1, 2);
                        else
                            for (; ox < lo + n_fast; ox += 4)
                                f32_group(&fr[0], toff, ox * sw - s->pad_left, 4, sw, m, wt, b, vlo, vhi,
                                          orows[0] + (size_t)ox * oc + t0, oc);
#undef F32_ROWS
                    }
                /* the other pixels in fours through tap pointers; tiles inside */
                for (int i = 0; i <= two; i++)
                for (int k = 0; k < n_edge; k += 4) {
                    const fast_rows *fe = &fr[i];
                    float *const orow_e = orows[i];
                    int np = SC_MIN(4, n_edge - k), ox[4];
                    const char *tp[4][9];
                    for (int j = 0; j < 4; j++) {
                        ox[j] = sc_dw3_edge_pixel(k + SC_MIN(j, np - 1), lo, n_fast);
                        edge_taps(fe, s, ox[j], (const char *)zero, tp[j]);
                    }
                    for (int t0 = 0; t0 < cn; t0 += F32_TILE) {
                        int c0 = cc + t0, nj = c - c0;
                        __mmask16 m = nj >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
                        size_t toff = (size_t)t0 * sizeof(float);
                        __m512 b = _mm512_loadu_ps(bias + c0);
                        __m512 a0 = b, a1 = b, a2 = b, a3 = b;
#pragma GCC unroll 9
                        for (int t = 0; t < 9; t++) {
                            __m512 wv = _mm512_loadu_ps(w + (size_t)t * cp + c0);
                            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, tp[0][t] + toff), wv, a0);
                            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, tp[1][t] + toff), wv, a1);
                            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, tp[2][t] + toff), wv, a2);
                            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, tp[3][t] + toff), wv, a3);
                        }
                        /* a repeated pixel stores the same values again: no branches here
                         * (GCC would sink the skipped pixels' chains behind them) */
                        _mm512_mask_storeu_ps(orow_e + (size_t)ox[0] * oc + t0, m, clampf(a0, vlo, vhi));
                        _mm512_mask_storeu_ps(orow_e + (size_t)ox[1] * oc + t0, m, clampf(a1, vlo, vhi));
                        _mm512_mask_storeu_ps(orow_e + (size_t)ox[2] * oc + t0, m, clampf(a2, vlo, vhi));
                        _mm512_mask_storeu_ps(orow_e + (size_t)ox[3] * oc + t0, m, clampf(a3, vlo, vhi));
                    }
                }
                oy += 1 + two;
            }
        }
    }
}
