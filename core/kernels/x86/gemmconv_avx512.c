/* gemmconv for AVX-512: uint8 with VNNI (vpdpbusd: u8 inputs × s8 packed weights, 4 products
 * per int32 lane), f32 with FMA. Tiles of MR rows × up to 4 packed blocks of 16 channels
 * (24 accumulators), over panels of PANEL rows; a short row tile repeats its last row and
 * drops it (f32: a short tile computes 4, 2 or 1 rows, below). Compiled with
 * -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mavx2 -mfma only. */
#include <string.h>

#include "core/kernels/packed.h"
#include "core/kernels/x86/requant_x86.h"

#define MR 6
#define NBMAX 4
/* Rows per panel: a panel's inputs (PANEL·K bytes or floats) stay in L2 while each group of
 * NBMAX weight blocks passes over all its row tiles, so the weights are read from memory once
 * per panel instead of once per MR rows (a 512×512 float layer: 1 MB per 6 pixels before). */
#define PANEL 96
#define PANEL_MAX (PANEL * 3 / 2 + MR)

/* Rows per panel for an m-row GEMM: about PANEL, balanced so that no panel is short (100 rows
 * were 96 + 4, and the 4-row panel streamed every weight again: a 10×10×1024 layer read its
 * 4 MB of float weights twice). A multiple of MR, at most PANEL_MAX. */
static inline int panel_rows(int m)
{
    int n = SC_MAX(1, (m + PANEL / 2) / PANEL);
    int rows = (m + n - 1) / n;
    return SC_MIN((rows + MR - 1) / MR * MR, PANEL_MAX);
}

/* Σ of the first k bytes of a row (for the (c - w_zp)·Σx term). */
static int32_t row_sum_u8(const uint8_t *x, int k)
{
    __m512i s = _mm512_setzero_si512(), z = _mm512_setzero_si512();
    int i = 0;
    for (; i + 64 <= k; i += 64) s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_loadu_si512(x + i), z));
    if (i < k) {
        __mmask64 m = (__mmask64)(~0ULL >> (64 - (k - i)));
        s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(m, x + i), z));
    }
    return (int32_t)_mm512_reduce_add_epi64(s);
}

SC_X86_INLINE void tile_u8(const int nbk, const uint8_t *const ar[MR], const int32_t xs[MR], int kb,
                           const int8_t *w, size_t bstride, const int32_t *bias, int xsum_mult,
                           const sc_rq512 *rq, uint8_t *c, size_t ldc, int mr, int n_left)
{
    __m512i acc[MR][NBMAX];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int b = 0; b < nbk; b++) acc[r][b] = _mm512_setzero_si512();
    for (int k = 0; k < kb; k++) {
        __m512i wv[NBMAX];
#pragma GCC unroll 4
        for (int b = 0; b < nbk; b++) wv[b] = _mm512_load_si512(w + b * bstride + (size_t)k * 64);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            int32_t x4;
            memcpy(&x4, ar[r] + 4 * k, 4);
            __m512i xb = _mm512_set1_epi32(x4);
#pragma GCC unroll 4
            for (int b = 0; b < nbk; b++) acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xb, wv[b]);
        }
    }
    /* a compiler barrier: the requantisation constants are loaded here, after the loop (held
     * across it they pushed the 24 accumulators out of registers, as in tile_f32) */
    __asm__ __volatile__("" ::: "memory");
#pragma GCC unroll 4
    for (int b = 0; b < nbk; b++) {
        __m512i bv = _mm512_load_si512(bias + 16 * b);
        int nj = n_left - 16 * b;
        __mmask16 sm = nj >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            if (r >= mr) break;
            __m512i v = _mm512_add_epi32(acc[r][b], _mm512_add_epi32(bv, _mm512_set1_epi32(xsum_mult * xs[r])));
            __m128i o = _mm512_cvtusepi32_epi8(sc_rq512_apply(v, rq));
            _mm_mask_storeu_epi8(c + (size_t)r * ldc + 16 * b, sm, o);
        }
    }
}

static void gemm_u8(int m, const uint8_t *a, size_t lda, const sc_u8_gemm_packed *p, int nb0, int nb1,
                    const sc_requant *q,
                    uint8_t *c, size_t ldc)
{
    const int32_t *bias = sc_u8_gemm_bias(p);
    const int8_t *w = sc_u8_gemm_w(p);
    size_t bstride = (size_t)p->k_blocks * 64;
    sc_rq512 rq;
    sc_rq512_init(&rq, q);
    int32_t xs_panel[PANEL_MAX + MR] = { 0 };
    const int panel = panel_rows(m);
    for (int p0 = 0; p0 < m; p0 += panel) {
        const int pm = SC_MIN(panel, m - p0);
        if (p->xsum_mult)
            for (int r = 0; r < pm; r++) xs_panel[r] = row_sum_u8(a + (size_t)(p0 + r) * lda, p->k);
        for (int nb = nb0; nb < nb1; nb += NBMAX) {
            const int8_t *wb = w + (size_t)nb * bstride;
            const int32_t *bb = bias + nb * 16;
            int n_left = p->n - nb * 16;
            for (int i0 = p0; i0 < p0 + pm; i0 += MR) {
                int mr = SC_MIN(MR, p0 + pm - i0);
                const uint8_t *ar[MR];
                for (int r = 0; r < MR; r++) ar[r] = a + (size_t)(i0 + SC_MIN(r, mr - 1)) * lda;
                const int32_t *xs = xs_panel + (i0 - p0);
                uint8_t *ci = c + (size_t)i0 * ldc + nb * 16;
                switch (SC_MIN(NBMAX, nb1 - nb)) {
                case 4: tile_u8(4, ar, xs, p->k_blocks, wb, bstride, bb, p->xsum_mult, &rq, ci, ldc, mr, n_left); break;
                case 3: tile_u8(3, ar, xs, p->k_blocks, wb, bstride, bb, p->xsum_mult, &rq, ci, ldc, mr, n_left); break;
                case 2: tile_u8(2, ar, xs, p->k_blocks, wb, bstride, bb, p->xsum_mult, &rq, ci, ldc, mr, n_left); break;
                default: tile_u8(1, ar, xs, p->k_blocks, wb, bstride, bb, p->xsum_mult, &rq, ci, ldc, mr, n_left); break;
                }
            }
        }
    }
}

/* Weight prefetch (f32). A layer's weights were last read one inference ago, so the first
 * row tile of each group of NBMAX blocks streamed them from L3 or memory (the 10×10×1024
 * layers ran at 86-91 % of peak so, 97 % with the weights already in L2). Now the row tiles
 * of a group after its first each pull a share of the next group's weights (the panel's next
 * blocks, else the next panel's first ones) into L2, at most two lines per k step, and the
 * first tile of each group prefetches its own weights PF_AHEAD k steps ahead into L1. Only
 * when the call's weights exceed PF_MIN_BYTES: smaller ones stay in L2 between panels, and
 * the prefetches cost the short-K layers (150×150×32→64: -7 %). Prefetches never fault, so
 * the own prefetch may point past the packed block; results do not change. K blocking
 * (kc = 128 or 256, partial sums in C) was 1-7 % slower on every layer: the tile already
 * runs at 96-98 % of peak on weights in L2. */
#define PF_MIN_BYTES (256 << 10)
#define PF_AHEAD 24

enum { PF_NONE, PF_OWN, PF_NEXT };

/* lo and hi are broadcast after the k loop: the 24 accumulators, 4 weight vectors and a
 * broadcast already take 29 of the 32 registers (held across the loop they made GCC spill
 * two weight vectors to the stack and reload them 12 times per k). `pf` selects the
 * prefetch (above); PF_NEXT prefetches lines [0, n_pf) from `next`, n_pf <= 2·k_n.
 * `mrt` rows are computed (6, or 4, 2, 1 for a panel's last tile of mr < 6 rows): a full
 * 6-row tile for the 1 row left of 361 pixels (19×19), the 4 of 100 (10×10) or the 2 of 152
 * (a 4-row band of 38) cost as much as 6 rows. Each row's sum runs in the same order
 * whatever mrt, so results do not change. */
SC_X86_INLINE void tile_f32(const int pf, const int mrt, const int nbk, const float *const ar[MR], int k_n,
                            const float *w, size_t bstride, const float *bias, float lo_s, float hi_s, float *c,
                            size_t ldc, int mr, int n_left, const char *next, int n_pf)
{
    __m512 acc[MR][NBMAX];
#pragma GCC unroll 4
    for (int b = 0; b < nbk; b++) {
        __m512 bv = _mm512_load_ps(bias + 16 * b);
#pragma GCC unroll 8
        for (int r = 0; r < mrt; r++) acc[r][b] = bv;
    }
    const int n_even = (n_pf + 1) / 2, n_odd = n_pf / 2;
    for (int k = 0; k < k_n; k++) {
        __m512 wv[NBMAX];
#pragma GCC unroll 4
        for (int b = 0; b < nbk; b++) wv[b] = _mm512_load_ps(w + b * bstride + (size_t)k * 16);
        if (pf == PF_OWN) {
#pragma GCC unroll 4
            for (int b = 0; b < nbk; b++)
                _mm_prefetch((const char *)(w + b * bstride + (size_t)(k + PF_AHEAD) * 16), _MM_HINT_T0);
        } else if (pf == PF_NEXT) {
            if (k < n_even) _mm_prefetch(next + (size_t)k * 128, _MM_HINT_T1);
            if (k < n_odd) _mm_prefetch(next + (size_t)k * 128 + 64, _MM_HINT_T1);
        }
#pragma GCC unroll 8
        for (int r = 0; r < mrt; r++) {
            __m512 xb = _mm512_set1_ps(ar[r][k]);
#pragma GCC unroll 4
            for (int b = 0; b < nbk; b++) acc[r][b] = _mm512_fmadd_ps(xb, wv[b], acc[r][b]);
        }
    }
    /* the empty asm pins the broadcasts here: GCC would otherwise hoist them above the loop */
    __asm__ __volatile__("" : "+m"(lo_s), "+m"(hi_s));
    const __m512 lo = _mm512_set1_ps(lo_s), hi = _mm512_set1_ps(hi_s);
#pragma GCC unroll 4
    for (int b = 0; b < nbk; b++) {
        int nj = n_left - 16 * b;
        __mmask16 sm = nj >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
#pragma GCC unroll 8
        for (int r = 0; r < mrt; r++) {
            if (r >= mr) break;
            /* max(lo, v) then min(hi, ·) keep a NaN as the reference clamp does */
            __m512 v = _mm512_min_ps(hi, _mm512_max_ps(lo, acc[r][b]));
            _mm512_mask_storeu_ps(c + (size_t)r * ldc + 16 * b, sm, v);
        }
    }
}

#define TILE_F32_NB(pf, mrt) \
    switch (SC_MIN(NBMAX, nb1 - nb)) { \
    case 4: tile_f32(pf, mrt, 4, ar, p->k, wb, bstride, bb, lo, hi, ci, ldc, mr, n_left, next, n_pf); break; \
    case 3: tile_f32(pf, mrt, 3, ar, p->k, wb, bstride, bb, lo, hi, ci, ldc, mr, n_left, next, n_pf); break; \
    case 2: tile_f32(pf, mrt, 2, ar, p->k, wb, bstride, bb, lo, hi, ci, ldc, mr, n_left, next, n_pf); break; \
    default: tile_f32(pf, mrt, 1, ar, p->k, wb, bstride, bb, lo, hi, ci, ldc, mr, n_left, next, n_pf); break; \
    }
#define TILE_F32_CASES(pf) \
    switch (mr > 4 ? MR : mr > 2 ? 4 : mr) { \
    case MR: TILE_F32_NB(pf, MR) break; \
    case 4: TILE_F32_NB(pf, 4) break; \
    case 2: TILE_F32_NB(pf, 2) break; \
    default: TILE_F32_NB(pf, 1) break; \
    }

static void gemm_f32(int m, const float *a, size_t lda, const sc_f32_gemm_packed *p, int nb0, int nb1,
                     float lo, float hi,
                     float *c, size_t ldc)
{
    const float *bias = sc_f32_gemm_bias(p), *w = sc_f32_gemm_w(p);
    size_t bstride = (size_t)p->k * 16;   /* floats per block: K lines of 64 bytes */
    const int panel = panel_rows(m);
    const int big = (size_t)(nb1 - nb0) * bstride * sizeof(float) > PF_MIN_BYTES;
    for (int p0 = 0; p0 < m; p0 += panel) {
        const int pm = SC_MIN(panel, m - p0), tiles = (pm + MR - 1) / MR;
        for (int nb = nb0; nb < nb1; nb += NBMAX) {
            const float *wb = w + (size_t)nb * bstride, *bb = bias + nb * 16;
            int n_left = p->n - nb * 16;
            /* the next group's weights, contiguous: its blocks' K lines each (none after the last) */
            int nb_next = nb + NBMAX < nb1 ? nb + NBMAX : p0 + pm < m ? nb0 : nb1;
            const char *next0 = (const char *)(w + (size_t)nb_next * bstride);
            int next_lines = (SC_MIN(nb_next + NBMAX, nb1) - nb_next) * p->k;
            /* shared by the tiles after the first (which prefetches its own weights) */
            int per_tile = tiles > 1 ? SC_MIN((next_lines + tiles - 2) / (tiles - 1), 2 * p->k) : 0;
            for (int i0 = p0, t = 0; i0 < p0 + pm; i0 += MR, t++) {
                int mr = SC_MIN(MR, p0 + pm - i0);
                const float *ar[MR];
                for (int r = 0; r < MR; r++) ar[r] = a + (size_t)(i0 + SC_MIN(r, mr - 1)) * lda;
                float *ci = c + (size_t)i0 * ldc + nb * 16;
                const char *next = next0 + (size_t)SC_MAX(t - 1, 0) * per_tile * 64;
                int n_pf = SC_MAX(0, SC_MIN(per_tile, next_lines - (t - 1) * per_tile));
                if (!big) { TILE_F32_CASES(PF_NONE) }
                else if (i0 == p0) { TILE_F32_CASES(PF_OWN) }
                else { TILE_F32_CASES(PF_NEXT) }
            }
        }
    }
}

/* ---- uint8 3×3 over 3 channels (a first layer on the image) ----------------------------
 *
 * Reads each pixel's three kernel rows in place instead of gathering them: a kernel row is 9
 * contiguous bytes, taken as three 4-byte groups at offsets 0, 4 and 8 (the last group's 3
 * bytes past the row meet zero weights), so 9 dot products of 4 instead of the gathered 7. The
 * gather was half the layer's time (a 300×300×3 -> 150×150×32 layer: 0.175 ms, 0.098 without
 * it). The weights come in those groups from the pack (packed.h: c3_groups); this path takes
 * up to two blocks per call (out_c <= 32 in the call's range). Σx, when xsum_mult needs it,
 * comes out of the same dot products: the pack gives the last block's first unused lane
 * weights 1 for the 27 taps; layers with no unused lane take the gathered path.
 * A pixel whose kernel leaves the image reads a copy of its rows padded with x_zp, as the
 * gather pads. Results are the gathered path's, bit for bit. */
#define C3_MR 6
#define C3_GROUPS 9

typedef struct c3_job {
    const int8_t *wd;                /* [block][group] 64 bytes: lane-major, 4 bytes a lane */
    const int32_t *bias;             /* the call's first block */
    int xsum_mult, ones_lane;        /* Σx is lane ones_lane of the last block (xsum_mult != 0) */
    const sc_rq512 *rq;
    size_t ldc;
    int n_left;
} c3_job;

/* mr <= C3_MR pixels (ar[r]: kernel row 0 of pixel r, row ky at ar[r] + ky·stride) × nbk blocks */
SC_X86_INLINE void c3_tile(const int nbk, const uint8_t *const ar[C3_MR], size_t stride, const c3_job *j, uint8_t *c,
                           int mr)
{
    __m512i acc[C3_MR][2];
#pragma GCC unroll 6
    for (int r = 0; r < C3_MR; r++)
#pragma GCC unroll 2
        for (int b = 0; b < nbk; b++) acc[r][b] = _mm512_setzero_si512();
    for (int ky = 0; ky < 3; ky++) {
        const size_t off = (size_t)ky * stride;
#pragma GCC unroll 3
        for (int g = 0; g < 3; g++) {
            __m512i wv[2];
#pragma GCC unroll 2
            for (int b = 0; b < nbk; b++) wv[b] = _mm512_load_si512(j->wd + ((size_t)b * C3_GROUPS + ky * 3 + g) * 64);
#pragma GCC unroll 6
            for (int r = 0; r < C3_MR; r++) {
                int32_t x4;
                memcpy(&x4, ar[r] + off + 4 * g, 4);
                __m512i xb = _mm512_set1_epi32(x4);
#pragma GCC unroll 2
                for (int b = 0; b < nbk; b++) acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xb, wv[b]);
            }
        }
    }
    __asm__ __volatile__("" ::: "memory");
    const __m512i xm = _mm512_set1_epi32(j->xsum_mult), lane = _mm512_set1_epi32(j->ones_lane);
#pragma GCC unroll 2
    for (int b = 0; b < nbk; b++) {
        __m512i bv = _mm512_load_si512(j->bias + 16 * b);
        int nj = j->n_left - 16 * b;
        __mmask16 sm = nj >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
#pragma GCC unroll 6
        for (int r = 0; r < C3_MR; r++) {
            if (r >= mr) break;
            __m512i v = _mm512_add_epi32(acc[r][b], bv);
            /* + xsum_mult · Σx, Σx from the lane of ones (xsum_mult 0: adds 0) */
            __m512i xs = _mm512_permutexvar_epi32(lane, acc[r][nbk - 1]);
            v = _mm512_add_epi32(v, _mm512_mullo_epi32(xs, xm));
            __m128i o = _mm512_cvtusepi32_epi8(sc_rq512_apply(v, j->rq));
            _mm_mask_storeu_epi8(c + (size_t)r * j->ldc + 16 * b, sm, o);
        }
    }
}

/* The call's blocks [nb0, nb1) can take the in-place path. */
static int c3_ok(const sc_u8_gemm_packed *p, int nb0, int nb1)
{
    if (!p->c3_groups || nb1 - nb0 > 2) return 0;
    /* Σx rides in the last block's first unused lane, which must be in the call */
    return p->xsum_mult == 0 || (p->n % 16 != 0 && nb1 == p->n_blocks);
}

static void conv3x3c3_u8(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in, const sc_u8_gemm_packed *p,
                         uint8_t *out, int oy0, int oy1, int nb0, int nb1)
{
    const int nbk = nb1 - nb0;
    const int8_t *wd = (const int8_t *)(const void *)p + p->c3_groups + (size_t)nb0 * C3_GROUPS * 64;
    sc_rq512 rq;
    sc_rq512_init(&rq, q);
    const c3_job j = { wd, sc_u8_gemm_bias(p) + nb0 * 16, p->xsum_mult, p->n % 16, &rq, (size_t)s->out_c,
                       p->n - nb0 * 16 };
    const size_t in_row = (size_t)s->in_w * 3;
    _Alignas(16) uint8_t patch[C3_MR][3][16];
    for (int oy = oy0; oy < oy1; oy++) {
        const int iy0 = oy * s->stride_h - s->pad_top;
        const int rows_in = iy0 >= 0 && iy0 + 3 <= s->in_h;
        for (int ox0 = 0; ox0 < s->out_w; ox0 += C3_MR) {
            const int mr = SC_MIN(C3_MR, s->out_w - ox0);
            const int ix_first = ox0 * s->stride_w - s->pad_left, ix_last = (ox0 + mr - 1) * s->stride_w - s->pad_left;
            const uint8_t *ar[C3_MR];
            size_t stride = in_row;
            if (rows_in && ix_first >= 0 && ix_last + 3 <= s->in_w) {
                for (int r = 0; r < C3_MR; r++)
                    ar[r] = in + (size_t)iy0 * in_row + (size_t)(ix_first + SC_MIN(r, mr - 1) * s->stride_w) * 3;
            } else {
                /* some kernel leaves the image: the tile reads copies padded with x_zp */
                stride = 16;
                for (int r = 0; r < C3_MR; r++) {
                    const int ix0 = ix_first + SC_MIN(r, mr - 1) * s->stride_w;
                    memset(patch[r], q->in_zp, sizeof(patch[r]));
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            const int iy = iy0 + ky, ix = ix0 + kx;
                            if (iy >= 0 && iy < s->in_h && ix >= 0 && ix < s->in_w)
                                memcpy(patch[r][ky] + 3 * kx, in + (size_t)iy * in_row + (size_t)ix * 3, 3);
                        }
                    ar[r] = patch[r][0];
                }
            }
            uint8_t *c = out + ((size_t)oy * s->out_w + ox0) * j.ldc + (size_t)nb0 * 16;
            if (nbk == 2) c3_tile(2, ar, stride, &j, c, mr);
            else c3_tile(1, ar, stride, &j, c, mr);
        }
    }
}

void sc_u8_gemmconv__avx512(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                            const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1)
{
    const sc_u8_gemm_packed *p = packed;
    const int nb0 = oc0 / SC_GEMM_NR, nb1 = (SC_MIN(oc1, p->n) + SC_GEMM_NR - 1) / SC_GEMM_NR;
    if (oy1 > oy0 && nb1 > nb0 && c3_ok(p, nb0, nb1)) {
        conv3x3c3_u8(s, q, in, p, out, oy0, oy1, nb0, nb1);
        return;
    }
    sc_u8_gemmconv_run(s, q, in, packed, out, oy0, oy1, oc0, oc1, gemm_u8);
}

void sc_f32_gemmconv__avx512(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                             const void *packed, float *out, int oy0, int oy1, int oc0, int oc1)
{
    sc_f32_gemmconv_run(s, act_min, act_max, in, packed, out, oy0, oy1, oc0, oc1, gemm_f32);
}
