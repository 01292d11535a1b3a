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

void sc_u8_gemmconv_run(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                        const void *packed, uint8_t *out, int oy0, int oy1, sc_u8_gemm_fn gemm)
{
    const sc_u8_gemm_packed *p = packed;
    size_t ldc = (size_t)s->out_c;
    if (oy1 <= oy0) return;
    if (p->direct) {
        gemm((oy1 - oy0) * s->out_w, in + (size_t)oy0 * s->in_w * s->in_c, (size_t)s->in_c, p, q,
             out + (size_t)oy0 * s->out_w * ldc, ldc);
        return;
    }
    /* + SC_OVERREAD: a row's whole-span copy may spill up to 64 bytes past it */
    _Alignas(64) uint8_t buf[SC_IM2COL_BYTES + SC_OVERREAD];
    size_t lda = (size_t)p->lda, cin = (size_t)s->in_c, span = (size_t)s->k_w * cin;
    int chunk = (int)(SC_IM2COL_BYTES / lda);
    int first = oy0 * s->out_w, total = (oy1 - oy0) * s->out_w;
    for (int p0 = 0; p0 < total; p0 += chunk) {
        int m = SC_MIN(chunk, total - p0);
        for (int i = 0; i < m; i++) {
            int pix = first + p0 + i, oy = pix / s->out_w, ox = pix % s->out_w;
            uint8_t *row = buf + (size_t)i * lda;
            int ix0 = ox * s->stride_w - s->pad_left;
            int cols_in = s->dil_w == 1 && ix0 >= 0 && ix0 + s->k_w <= s->in_w;
            for (int ky = 0; ky < s->k_h; ky++) {
                int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
                if (cols_in && iy >= 0 && iy < s->in_h) {
                    /* the k_w taps of this kernel row are contiguous in the input */
                    copy_span(row, in + ((size_t)iy * s->in_w + ix0) * cin, span);
                    row += span;
                    continue;
                }
                for (int kx = 0; kx < s->k_w; kx++, row += cin) {
                    int ix = ox * s->stride_w - s->pad_left + kx * s->dil_w;
                    if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                        memset(row, q->in_zp, cin);
                    else
                        memcpy(row, in + ((size_t)iy * s->in_w + ix) * cin, cin);
                }
            }
            for (size_t j = (size_t)p->k; j < lda; j++) buf[(size_t)i * lda + j] = 0;   /* < 4 bytes */
        }
        gemm(m, buf, lda, p, q, out + (size_t)(first + p0) * ldc, ldc);
    }
}

void sc_f32_gemmconv_run(const sc_conv_shape *s, float lo, float hi, const float *in,
                         const void *packed, float *out, int oy0, int oy1, sc_f32_gemm_fn gemm)
{
    const sc_f32_gemm_packed *p = packed;
    size_t ldc = (size_t)s->out_c;
    if (oy1 <= oy0) return;
    if (p->direct) {
        gemm((oy1 - oy0) * s->out_w, in + (size_t)oy0 * s->in_w * s->in_c, (size_t)s->in_c, p, lo, hi,
             out + (size_t)oy0 * s->out_w * ldc, ldc);
        return;
    }
    _Alignas(64) float buf[(SC_IM2COL_BYTES + SC_OVERREAD) / sizeof(float)];
    size_t lda = (size_t)p->k, cin = (size_t)s->in_c, span = (size_t)s->k_w * cin;
    int chunk = (int)(SC_IM2COL_BYTES / sizeof(float) / lda);
    int first = oy0 * s->out_w, total = (oy1 - oy0) * s->out_w;
    for (int p0 = 0; p0 < total; p0 += chunk) {
        int m = SC_MIN(chunk, total - p0);
        for (int i = 0; i < m; i++) {
            int pix = first + p0 + i, oy = pix / s->out_w, ox = pix % s->out_w;
            float *row = buf + (size_t)i * lda;
            int ix0 = ox * s->stride_w - s->pad_left;
            int cols_in = s->dil_w == 1 && ix0 >= 0 && ix0 + s->k_w <= s->in_w;
            for (int ky = 0; ky < s->k_h; ky++) {
                int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
                if (cols_in && iy >= 0 && iy < s->in_h) {
                    copy_span(row, in + ((size_t)iy * s->in_w + ix0) * cin, span * sizeof(float));
                    row += span;
                    continue;
                }
                for (int kx = 0; kx < s->k_w; kx++, row += cin) {
                    int ix = ox * s->stride_w - s->pad_left + kx * s->dil_w;
                    if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                        for (size_t c = 0; c < cin; c++) row[c] = 0.0f;
                    else
                        memcpy(row, in + ((size_t)iy * s->in_w + ix) * cin, cin * sizeof(float));
                }
            }
        }
        gemm(m, buf, lda, p, lo, hi, out + (size_t)(first + p0) * ldc, ldc);
    }
}
