/* The gemmconv drivers shared by every variant: a pointwise layer is one GEMM on the input
 * rows; any other full convolution gathers each output pixel's k_h·k_w·in_c inputs (im2col,
 * padding = the input zero point) into a stack buffer, a chunk of pixels at a time. */
#include <string.h>

#include "core/kernels/packed.h"
#include "core/mem.h"

/* Copies `bytes` from src to dst. Short spans (a 3×3 kernel row of a 3-channel image: 9
 * bytes) are copied as one fixed 16-, 32- or 64-byte block, a single vector move instead of
 * a library call per tap: the copy may read up to SC_OVERREAD bytes past the input (which
 * kernels may) and write as far past `dst + bytes` (the im2col buffer has that slack, and
 * whatever lands past the span is overwritten by the next span, row or the K padding). */
static inline void copy_span(void *dst, const void *src, size_t bytes)
{
    if (bytes <= 16) memcpy(dst, src, 16);
    else if (bytes <= 32) memcpy(dst, src, 32);
    else if (bytes <= 64) memcpy(dst, src, 64);
    else memcpy(dst, src, bytes);
}

/* Rows per gathered chunk: at most this many pixels, so that a small-K chunk (the first
 * layer's 27 or 28 values per pixel) stays in L1 between the gather and the GEMM, while a
 * large-K one (an SSD extra layer: K = 2304) still takes as many rows as the buffer holds,
 * each pass over its weights serving more pixels. */
#define CHUNK_MAX_PIXELS 384

/* Gathers the k_h·k_w·in_c inputs of output pixels [pix0, pix0 + m) (in the order (ky, kx, ic))
 * into rows of `lda` bytes; `elem` bytes per value, padding positions filled with `pad`
 * (every byte), bytes [k·elem, lda) zeroed. Pixels are walked row by row (no division per
 * pixel); an interior pixel copies one contiguous span per kernel row with no bounds checks. */
static void gather(const sc_conv_shape *s, const uint8_t *in, size_t elem, int pad, size_t k_bytes,
                   size_t lda, int pix0, int m, uint8_t *buf)
{
    const size_t px = (size_t)s->in_c * elem, span = (size_t)s->k_w * px, in_row = (size_t)s->in_w * px;
    int oy = pix0 / s->out_w, ox = pix0 % s->out_w;
    for (int i = 0; i < m; i++) {
        uint8_t *row = buf + (size_t)i * lda;
        const int iy0 = oy * s->stride_h - s->pad_top, ix0 = ox * s->stride_w - s->pad_left;
        const int cols_in = s->dil_w == 1 && ix0 >= 0 && ix0 + s->k_w <= s->in_w;
        if (cols_in && s->dil_h == 1 && iy0 >= 0 && iy0 + s->k_h <= s->in_h) {
            const uint8_t *src = in + (size_t)iy0 * in_row + (size_t)ix0 * px;
            for (int ky = 0; ky < s->k_h; ky++, row += span, src += in_row) copy_span(row, src, span);
        } else {
            for (int ky = 0; ky < s->k_h; ky++) {
                int iy = iy0 + ky * s->dil_h;
                if (iy < 0 || iy >= s->in_h) {
                    memset(row, pad, span);
                    row += span;
                } else if (cols_in) {
                    copy_span(row, in + (size_t)iy * in_row + (size_t)ix0 * px, span);
                    row += span;
                } else {
                    for (int kx = 0; kx < s->k_w; kx++, row += px) {
                        int ix = ix0 + kx * s->dil_w;
                        if (ix < 0 || ix >= s->in_w) memset(row, pad, px);
                        else memcpy(row, in + (size_t)iy * in_row + (size_t)ix * px, px);
                    }
                }
            }
        }
        /* the K padding: fewer than 4 bytes (u8), written one by one (a loop became a
         * memset call per pixel) */
        uint8_t *tail = buf + (size_t)i * lda + k_bytes;
        size_t n_tail = lda - k_bytes;
        if (n_tail > 0) tail[0] = 0;
        if (n_tail > 1) tail[1] = 0;
        if (n_tail > 2) tail[2] = 0;
        if (++ox == s->out_w) { ox = 0; oy++; }
    }
}

/* Packed blocks [*nb0, *nb1) of channels [oc0, oc1) (see kernels.h); 0 when empty. */
static int block_range(int oc0, int oc1, int n, int *nb0, int *nb1)
{
    SC_ASSERT(oc0 >= 0 && oc0 % SC_GEMM_NR == 0 && (oc1 % SC_GEMM_NR == 0 || oc1 == n));
    *nb0 = oc0 / SC_GEMM_NR;
    *nb1 = (SC_MIN(oc1, n) + SC_GEMM_NR - 1) / SC_GEMM_NR;
    return *nb1 > *nb0;
}

void sc_u8_gemmconv_run(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                        const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1,
                        sc_u8_gemm_fn gemm)
{
    const sc_u8_gemm_packed *p = packed;
    size_t ldc = (size_t)s->out_c;
    int nb0, nb1;
    if (oy1 <= oy0 || !block_range(oc0, oc1, p->n, &nb0, &nb1)) return;
    if (p->direct) {
        gemm((oy1 - oy0) * s->out_w, in + (size_t)oy0 * s->in_w * s->in_c, (size_t)s->in_c, p, nb0, nb1, q,
             out + (size_t)oy0 * s->out_w * ldc, ldc);
        return;
    }
    /* + SC_OVERREAD: a row's whole-span copy may spill up to 64 bytes past it */
    _Alignas(64) uint8_t buf[SC_IM2COL_BYTES + SC_OVERREAD];
    size_t lda = (size_t)p->lda;
    int chunk = SC_MIN((int)(SC_IM2COL_BYTES / lda), CHUNK_MAX_PIXELS);
    if ((size_t)chunk * lda * 2 < SC_IM2COL_BYTES && (size_t)p->k * (size_t)p->n > 65536)
        chunk = (int)(SC_IM2COL_BYTES / lda);   /* big weights: amortise each pass over them */
    int first = oy0 * s->out_w, total = (oy1 - oy0) * s->out_w;
    for (int p0 = 0; p0 < total; p0 += chunk) {
        int m = SC_MIN(chunk, total - p0);
        gather(s, in, 1, q->in_zp, (size_t)p->k, lda, first + p0, m, buf);
        gemm(m, buf, lda, p, nb0, nb1, q, out + (size_t)(first + p0) * ldc, ldc);
    }
}

void sc_f32_gemmconv_run(const sc_conv_shape *s, float lo, float hi, const float *in,
                         const void *packed, float *out, int oy0, int oy1, int oc0, int oc1,
                         sc_f32_gemm_fn gemm)
{
    const sc_f32_gemm_packed *p = packed;
    size_t ldc = (size_t)s->out_c;
    int nb0, nb1;
    if (oy1 <= oy0 || !block_range(oc0, oc1, p->n, &nb0, &nb1)) return;
    if (p->direct) {
        gemm((oy1 - oy0) * s->out_w, in + (size_t)oy0 * s->in_w * s->in_c, (size_t)s->in_c, p, nb0, nb1, lo, hi,
             out + (size_t)oy0 * s->out_w * ldc, ldc);
        return;
    }
    _Alignas(64) float buf[(SC_IM2COL_BYTES + SC_OVERREAD) / sizeof(float)];
    size_t lda = (size_t)p->k;
    int chunk = SC_MIN((int)(SC_IM2COL_BYTES / sizeof(float) / lda), CHUNK_MAX_PIXELS);
    if ((size_t)chunk * lda * sizeof(float) * 2 < SC_IM2COL_BYTES && (size_t)p->k * (size_t)p->n > 65536)
        chunk = (int)(SC_IM2COL_BYTES / sizeof(float) / lda);
    int first = oy0 * s->out_w, total = (oy1 - oy0) * s->out_w;
    for (int p0 = 0; p0 < total; p0 += chunk) {
        int m = SC_MIN(chunk, total - p0);
        /* 0.0f is all zero bytes */
        gather(s, (const uint8_t *)in, sizeof(float), 0, lda * sizeof(float), lda * sizeof(float),
               first + p0, m, (uint8_t *)buf);
        gemm(m, buf, lda, p, nb0, nb1, lo, hi, out + (size_t)(first + p0) * ldc, ldc);
    }
}
