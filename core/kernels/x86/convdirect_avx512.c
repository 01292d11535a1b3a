/* f32 gemmconv for AVX-512 without the im2col copy. First, a direct path for 3×3 convolutions
 * over 3 input channels (the first layer of a float MobileNet: 300×300×3 -> 150×150×32,
 * K = 27), which reads the input in place instead of gathering im2col rows: the 3 taps of a
 * kernel row are 9 contiguous floats, so output pixel ox of a tile broadcasts its K values from
 * one pointer plus constant offsets (r·stride·3 + j, one input row further per kernel row).
 * The gathered path spent as long copying those 108-byte rows as multiplying them (0.40 ms ->
 * 0.21 ms in the network). Tiles are up to 24 pixels of one output row × 1-4 packed blocks of
 * 16 channels (24 accumulators); a row's last tile overlaps the one before it (recomputing a
 * few pixels the same way) and pixels whose kernel leaves the image on the left or right read
 * a zero-padded copy of their 3×9 inputs. Kernel rows outside the image (top/bottom padding)
 * are skipped: they add nothing. Every pixel's sum runs in the same order (bias, then k
 * ascending) whatever tile, row band or channel range computes it; so does the second path
 * below (large K). Other shapes go to sc_f32_gemmconv__avx512. Compiled with the AVX-512
 * flags only. (Streaming stores for the 2.9 MB output were tried: the next layer, reading it
 * back from memory, lost twice what this one gained.) */
#include <string.h>

#include "core/kernels/packed.h"
#include "core/kernels/x86/requant_x86.h"

#define ACC 24          /* accumulators per tile: pixels × blocks */
#define NBMAX 4
#define TAPS 9          /* floats per kernel row: 3 taps × 3 channels */

/* 1 when the direct path takes the layer. */
static int is_conv3x3c3(const sc_conv_shape *s)
{
    return sc_conv_is_3x3c3(s) && (s->stride_w == 1 || s->stride_w == 2) && s->stride_h >= 1;
}

/* `mr` pixels × `nbk` blocks. x: the first pixel's inputs at its first kernel row inside the
 * image; pixel r's at x + r·pstep, the next kernel row `row` floats further; n_ky kernel rows.
 * w: packed weights of the tile's first block at that kernel row's first k. */
SC_X86_INLINE void tile(const int nbk, const int mr, const int pstep, const float *x, size_t row, int n_ky,
                        const float *w, size_t bstride, const float *bias, float lo_s, float hi_s, float *c,
                        size_t ldc, int n_left)
{
    __m512 acc[ACC];
#pragma GCC unroll 4
    for (int b = 0; b < nbk; b++) {
        __m512 bv = _mm512_load_ps(bias + 16 * b);
#pragma GCC unroll 24
        for (int r = 0; r < mr; r++) acc[r * nbk + b] = bv;
    }
    for (int ky = 0; ky < n_ky; ky++, x += row, w += TAPS * 16) {
        /* not unrolled: with the 9 taps unrolled GCC spilled the accumulators (0.30 ms -> 0.20
         * ms on the first layer alone) */
#pragma GCC unroll 1
        for (int j = 0; j < TAPS; j++) {
            __m512 wv[NBMAX];
#pragma GCC unroll 4
            for (int b = 0; b < nbk; b++) wv[b] = _mm512_load_ps(w + b * bstride + (size_t)j * 16);
#pragma GCC unroll 24
            for (int r = 0; r < mr; r++) {
                __m512 xb = _mm512_set1_ps(x[r * pstep + j]);
#pragma GCC unroll 4
                for (int b = 0; b < nbk; b++) acc[r * nbk + b] = _mm512_fmadd_ps(xb, wv[b], acc[r * nbk + b]);
            }
        }
    }
    /* as in gemmconv_avx512.c: broadcast the clamp bounds after the loop, not across it */
    __asm__ __volatile__("" : "+m"(lo_s), "+m"(hi_s));
    const __m512 lo = _mm512_set1_ps(lo_s), hi = _mm512_set1_ps(hi_s);
#pragma GCC unroll 4
    for (int b = 0; b < nbk; b++) {
        int nj = n_left - 16 * b;
        __mmask16 sm = nj >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
#pragma GCC unroll 24
        for (int r = 0; r < mr; r++) {
            /* max(lo, v) then min(hi, ·) keep a NaN as the reference clamp does */
            __m512 v = _mm512_min_ps(hi, _mm512_max_ps(lo, acc[r * nbk + b]));
            _mm512_mask_storeu_ps(c + (size_t)r * ldc + 16 * b, sm, v);
        }
    }
}

/* Arguments of one output row and one group of blocks. */
typedef struct row_job {
    const float *x;              /* interior pixel ox's inputs at x + ox·pstep + off */
    ptrdiff_t off;               /* −pad_left·3 */
    size_t row;                  /* floats per input row */
    int n_ky;
    const float *w;              /* weights of the group's first block at the first kernel row */
    size_t bstride;
    const float *bias;
    float lo, hi;
    float *c;                    /* output pixel 0 of the row, the group's first channel */
    size_t ldc;
    int n_left;                  /* channels from the group's first to out_c */
} row_job;

/* Interior pixels [ox0, ox1) of a row: full tiles of mr, then one overlapping the one before
 * (or single pixels when the row has fewer than mr). */
SC_X86_INLINE void row_interior(const int nbk, const int mr, const int pstep, const row_job *j, int ox0, int ox1)
{
    int ox = ox0;
    for (; ox + mr <= ox1; ox += mr)
        tile(nbk, mr, pstep, j->x + ((ptrdiff_t)ox * pstep + j->off), j->row, j->n_ky, j->w, j->bstride, j->bias, j->lo, j->hi,
             j->c + (size_t)ox * j->ldc, j->ldc, j->n_left);
    if (ox == ox1) return;
    if (ox1 - ox0 >= mr) {
        ox = ox1 - mr;
        tile(nbk, mr, pstep, j->x + ((ptrdiff_t)ox * pstep + j->off), j->row, j->n_ky, j->w, j->bstride, j->bias, j->lo, j->hi,
             j->c + (size_t)ox * j->ldc, j->ldc, j->n_left);
        return;
    }
    for (; ox < ox1; ox++)
        tile(nbk, 1, pstep, j->x + ((ptrdiff_t)ox * pstep + j->off), j->row, j->n_ky, j->w, j->bstride, j->bias, j->lo, j->hi,
             j->c + (size_t)ox * j->ldc, j->ldc, j->n_left);
}

static void row_interior_s1(int nbk, const row_job *j, int ox0, int ox1)
{
    switch (nbk) {
    case 4: row_interior(4, ACC / 4, 3, j, ox0, ox1); break;
    case 3: row_interior(3, ACC / 3, 3, j, ox0, ox1); break;
    case 2: row_interior(2, ACC / 2, 3, j, ox0, ox1); break;
    default: row_interior(1, ACC, 3, j, ox0, ox1); break;
    }
}

static void row_interior_s2(int nbk, const row_job *j, int ox0, int ox1)
{
    switch (nbk) {
    case 4: row_interior(4, ACC / 4, 6, j, ox0, ox1); break;
    case 3: row_interior(3, ACC / 3, 6, j, ox0, ox1); break;
    case 2: row_interior(2, ACC / 2, 6, j, ox0, ox1); break;
    default: row_interior(1, ACC, 6, j, ox0, ox1); break;
    }
}

/* One pixel from a zero-padded copy of its inputs (kernel rows contiguous, TAPS floats each). */
static void pixel_padded(int nbk, const row_job *j, const float *xpad, float *c)
{
    switch (nbk) {
    case 4: tile(4, 1, 0, xpad, TAPS, j->n_ky, j->w, j->bstride, j->bias, j->lo, j->hi, c, j->ldc, j->n_left); break;
    case 3: tile(3, 1, 0, xpad, TAPS, j->n_ky, j->w, j->bstride, j->bias, j->lo, j->hi, c, j->ldc, j->n_left); break;
    case 2: tile(2, 1, 0, xpad, TAPS, j->n_ky, j->w, j->bstride, j->bias, j->lo, j->hi, c, j->ldc, j->n_left); break;
    default: tile(1, 1, 0, xpad, TAPS, j->n_ky, j->w, j->bstride, j->bias, j->lo, j->hi, c, j->ldc, j->n_left); break;
    }
}

static void conv3x3c3(const sc_conv_shape *s, float lo, float hi, const float *in, const sc_f32_gemm_packed *p,
                      float *out, int oy0, int oy1, int nb0, int nb1)
{
    const float *bias = sc_f32_gemm_bias(p), *w = sc_f32_gemm_w(p);
    const size_t bstride = (size_t)p->k * 16, in_row = (size_t)s->in_w * 3, ldc = (size_t)s->out_c;
    const int sw = s->stride_w;
    /* interior columns: the kernel's 3 columns inside the image */
    int ox_lo = SC_MIN((s->pad_left + sw - 1) / sw, s->out_w);
    int ox_hi = s->in_w - 3 + s->pad_left >= 0 ? SC_MIN((s->in_w - 3 + s->pad_left) / sw + 1, s->out_w) : 0;
    if (ox_hi < ox_lo) ox_hi = ox_lo;
    for (int oy = oy0; oy < oy1; oy++) {
        const int iy0 = oy * s->stride_h - s->pad_top;
        const int ky0 = SC_MAX(0, -iy0), ky1 = SC_MIN(3, s->in_h - iy0);
        const int n_ky = SC_MAX(0, ky1 - ky0), ky_w = n_ky ? ky0 : 0;
        /* input row of kernel row ky0 (a row of padding only: no kernel row is read) */
        const float *x = n_ky ? in + (size_t)(iy0 + ky0) * in_row : in;
        float *c_row = out + (size_t)oy * s->out_w * ldc;
        for (int nb = nb0; nb < nb1; nb += NBMAX) {
            const int nbk = SC_MIN(NBMAX, nb1 - nb);
            row_job j = { x, -(ptrdiff_t)s->pad_left * 3, in_row, n_ky, w + (size_t)nb * bstride + (size_t)ky_w * TAPS * 16, bstride,
                          bias + nb * 16, lo, hi, c_row + nb * 16, ldc, p->n - nb * 16 };
            if (ox_hi > ox_lo) {
                if (sw == 2) row_interior_s2(nbk, &j, ox_lo, ox_hi);
                else row_interior_s1(nbk, &j, ox_lo, ox_hi);
            }
        }
        /* edge pixels: their valid inputs copied into zeros, each once for every group */
        for (int ox = 0; ox < s->out_w; ox++) {
            if (ox == ox_lo) ox = ox_hi;
            if (ox >= s->out_w) break;
            float xpad[3 * TAPS];
            memset(xpad, 0, sizeof(xpad));
            const int ix0 = ox * sw - s->pad_left;
            for (int ky = 0; ky < n_ky; ky++)
                for (int kx = 0; kx < 3; kx++) {
                    int ix = ix0 + kx;
                    if (ix >= 0 && ix < s->in_w)
                        memcpy(xpad + ky * TAPS + kx * 3, in + (size_t)(iy0 + ky0 + ky) * in_row + (size_t)ix * 3,
                               3 * sizeof(float));
                }
            for (int nb = nb0; nb < nb1; nb += NBMAX) {
                const int nbk = SC_MIN(NBMAX, nb1 - nb);
                row_job j = { xpad, 0, TAPS, n_ky, w + (size_t)nb * bstride + (size_t)ky_w * TAPS * 16, bstride,
                              bias + nb * 16, lo, hi, NULL, ldc, p->n - nb * 16 };
                pixel_padded(nbk, &j, xpad, c_row + (size_t)ox * ldc + nb * 16);
            }
        }
    }
}

/* ---- Large-K convolutions (the SSD extras: 3×3 s2 over 64-512 channels, K up to 2304) ----
 *
 * An indirect GEMM: each output pixel's K inputs are k_h segments of k_w·in_c contiguous floats
 * (one per kernel row), read where they lie in the input; a kernel row outside the image reads
 * a zero segment, and a pixel whose kernel leaves the image left or right reads a zero-padded
 * copy of its segments. The gathered path copied every pixel's K floats once per channel group
 * (a 10×10×256 -> 5×5×512 layer: 9 KB per pixel, in two chunks of 14 and 11 pixels, each
 * streaming the group's weights). Tiles of mr <= 6 pixels × up to 4 blocks, with mr chosen so
 * the tiles divide the pixels evenly (25 pixels: 5 tiles of 5, not 6, 6, 6, 6, 1). (Software
 * prefetch of the next channel group's weights while a group's tiles run was tried: no faster
 * on the 5×5×512 layer, 50 % slower on the 2×2×256 one.) */
#define SEG_MR 6
#define SEG_MAX_PIXELS 120
#define PAD_FLOATS 24576                 /* zero segment + padded copies: 96 KB of stack */

static int is_segmented(const sc_conv_shape *s)
{
    int span = s->k_w * s->in_c;
    return s->dil_w == 1 && span >= 32 && s->k_h <= 7 && (size_t)s->k_h * span + span <= PAD_FLOATS;
}

/* mr pixels × nbk blocks over k_h segments of `span` floats; a[r·k_h + ky] is pixel r's segment
 * ky. */
SC_X86_INLINE void seg_tile(const int nbk, const int mr, const float *const *a, int k_h, int span, const float *w,
                            size_t bstride, const float *bias, float lo_s, float hi_s, float *c, size_t ldc,
                            int n_left)
{
    __m512 acc[ACC];
#pragma GCC unroll 4
    for (int b = 0; b < nbk; b++) {
        __m512 bv = _mm512_load_ps(bias + 16 * b);
#pragma GCC unroll 6
        for (int r = 0; r < mr; r++) acc[r * nbk + b] = bv;
    }
    for (int ky = 0; ky < k_h; ky++, w += (size_t)span * 16) {
        const float *ar[SEG_MR];
#pragma GCC unroll 6
        for (int r = 0; r < mr; r++) ar[r] = a[r * k_h + ky];
        for (int k = 0; k < span; k++) {
            __m512 wv[NBMAX];
#pragma GCC unroll 4
            for (int b = 0; b < nbk; b++) wv[b] = _mm512_load_ps(w + b * bstride + (size_t)k * 16);
#pragma GCC unroll 6
            for (int r = 0; r < mr; r++) {
                __m512 xb = _mm512_set1_ps(ar[r][k]);
#pragma GCC unroll 4
                for (int b = 0; b < nbk; b++) acc[r * nbk + b] = _mm512_fmadd_ps(xb, wv[b], acc[r * nbk + b]);
            }
        }
    }
    __asm__ __volatile__("" : "+m"(lo_s), "+m"(hi_s));
    const __m512 lo = _mm512_set1_ps(lo_s), hi = _mm512_set1_ps(hi_s);
#pragma GCC unroll 4
    for (int b = 0; b < nbk; b++) {
        int nj = n_left - 16 * b;
        __mmask16 sm = nj >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nj) - 1);
#pragma GCC unroll 6
        for (int r = 0; r < mr; r++) {
            __m512 v = _mm512_min_ps(hi, _mm512_max_ps(lo, acc[r * nbk + b]));
            _mm512_mask_storeu_ps(c + (size_t)r * ldc + 16 * b, sm, v);
        }
    }
}

typedef struct seg_job {
    int k_h, span;
    const float *w;              /* the group's first block */
    size_t bstride;
    const float *bias;
    float lo, hi;
    size_t ldc;
    int n_left;
} seg_job;

#define SEG_TILE_CASE(NBK, MR) \
    case MR: seg_tile(NBK, MR, a, j->k_h, j->span, j->w, j->bstride, j->bias, j->lo, j->hi, c, j->ldc, j->n_left); break;
#define SEG_TILE_SWITCH(NBK) \
    switch (mr) { SEG_TILE_CASE(NBK, 6) SEG_TILE_CASE(NBK, 5) SEG_TILE_CASE(NBK, 4) SEG_TILE_CASE(NBK, 3) \
                  SEG_TILE_CASE(NBK, 2) default: SEG_TILE_CASE(NBK, 1) }

static void seg_tile_any(int nbk, int mr, const float *const *a, const seg_job *j, float *c)
{
    switch (nbk) {
    case 4: SEG_TILE_SWITCH(4) break;
    case 3: SEG_TILE_SWITCH(3) break;
    case 2: SEG_TILE_SWITCH(2) break;
    default: SEG_TILE_SWITCH(1) break;
    }
}

/* Pixels [pix0, pix0 + m) (row-major over the output) of blocks [nb0, nb1); seg holds their
 * segment pointers (m·k_h). */
static void seg_chunk(const sc_conv_shape *s, float lo, float hi, const sc_f32_gemm_packed *p, const float *const *seg,
                      int pix0, int m, float *out, int nb0, int nb1)
{
    const float *bias = sc_f32_gemm_bias(p), *w = sc_f32_gemm_w(p);
    const size_t bstride = (size_t)p->k * 16, ldc = (size_t)s->out_c;
    const int n_t = (m + SEG_MR - 1) / SEG_MR, mr = (m + n_t - 1) / n_t;
    for (int nb = nb0; nb < nb1; nb += NBMAX) {
        const int nbk = SC_MIN(NBMAX, nb1 - nb);
        seg_job j = { s->k_h, s->k_w * s->in_c, w + (size_t)nb * bstride, bstride, bias + nb * 16, lo, hi, ldc,
                      p->n - nb * 16 };
        for (int i = 0; i < m;) {
            const int rows = SC_MIN(mr, m - i);
            seg_tile_any(nbk, rows, seg + (size_t)i * s->k_h, &j, out + (size_t)(pix0 + i) * ldc + nb * 16);
            i += rows;
        }
    }
}

static void segmented(const sc_conv_shape *s, float lo, float hi, const float *in, const sc_f32_gemm_packed *p,
                      float *out, int oy0, int oy1, int nb0, int nb1)
{
    const int span = s->k_w * s->in_c, k_h = s->k_h;
    const size_t px = (size_t)s->in_c, in_row = (size_t)s->in_w * px;
    /* more pixels per chunk while their inputs stay in L2 (256 KB) */
    const int chunk_max = SC_MAX(SEG_MR, SC_MIN(SEG_MAX_PIXELS, (int)(262144 / ((size_t)p->k * sizeof(float)))));
    _Alignas(64) float pad[PAD_FLOATS];
    const float *seg[SEG_MAX_PIXELS * 3];
    const int seg_cap = (int)(SC_ARRAY_LEN(seg) / (size_t)k_h);
    memset(pad, 0, (size_t)span * sizeof(float));     /* the zero segment */
    const int first = oy0 * s->out_w, total = (oy1 - oy0) * s->out_w;
    int done = 0;
    while (done < total) {
        size_t used = (size_t)span;
        int m = 0;
        for (; done + m < total && m < SC_MIN(chunk_max, seg_cap); m++) {
            const int pix = first + done + m, oy = pix / s->out_w, ox = pix % s->out_w;
            const int iy0 = oy * s->stride_h - s->pad_top, ix0 = ox * s->stride_w - s->pad_left;
            const int cols_in = ix0 >= 0 && ix0 + s->k_w <= s->in_w;
            if (!cols_in && used + (size_t)k_h * span > PAD_FLOATS) break;
            const float **ps = seg + (size_t)m * k_h;
            for (int ky = 0; ky < k_h; ky++) {
                const int iy = iy0 + ky * s->dil_h;
                if (iy < 0 || iy >= s->in_h) {
                    ps[ky] = pad;
                } else if (cols_in) {
                    ps[ky] = in + (size_t)iy * in_row + (size_t)ix0 * px;
                } else {
                    float *d = pad + used;
                    used += (size_t)span;
                    for (int kx = 0; kx < s->k_w; kx++) {
                        const int ix = ix0 + kx;
                        if (ix >= 0 && ix < s->in_w) memcpy(d + kx * px, in + (size_t)iy * in_row + (size_t)ix * px, px * sizeof(float));
                        else memset(d + kx * px, 0, px * sizeof(float));
                    }
                    ps[ky] = d;
                }
            }
        }
        SC_ASSERT(m > 0);
        seg_chunk(s, lo, hi, p, seg, first + done, m, out, nb0, nb1);
        done += m;
    }
}

void sc_f32_convdirect__avx512(const sc_conv_shape *s, float act_min, float act_max, const float *in,
                               const void *packed, float *out, int oy0, int oy1, int oc0, int oc1)
{
    const sc_f32_gemm_packed *p = packed;
    const int c3 = !p->direct && is_conv3x3c3(s), segs = !p->direct && !c3 && is_segmented(s);
    if (!c3 && !segs) {
        sc_f32_gemmconv__avx512(s, act_min, act_max, in, packed, out, oy0, oy1, oc0, oc1);
        return;
    }
    SC_ASSERT(oc0 >= 0 && oc0 % SC_GEMM_NR == 0 && (oc1 % SC_GEMM_NR == 0 || oc1 == p->n));
    const int nb0 = oc0 / SC_GEMM_NR, nb1 = (SC_MIN(oc1, p->n) + SC_GEMM_NR - 1) / SC_GEMM_NR;
    if (oy1 <= oy0 || nb1 <= nb0) return;
    if (c3) conv3x3c3(s, act_min, act_max, in, p, out, oy0, oy1, nb0, nb1);
    else segmented(s, act_min, act_max, in, p, out, oy0, oy1, nb0, nb1);
}
