/* The gemmconv drivers shared by every variant: a pointwise layer is one GEMM on the input
 * rows; any other full convolution gathers each output pixel's k_h·k_w·in_c inputs (im2col,
 * padding = the input zero point) into a stack buffer, a chunk of pixels at a time. */
#include <string.h>

#include "core/kernels/packed.h"

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
    _Alignas(64) uint8_t buf[SC_IM2COL_BYTES];
    size_t lda = (size_t)p->lda, cin = (size_t)s->in_c;
    int chunk = (int)(SC_IM2COL_BYTES / lda);
    int first = oy0 * s->out_w, total = (oy1 - oy0) * s->out_w;
    for (int p0 = 0; p0 < total; p0 += chunk) {
        int m = SC_MIN(chunk, total - p0);
        for (int i = 0; i < m; i++) {
            int pix = first + p0 + i, oy = pix / s->out_w, ox = pix % s->out_w;
            uint8_t *row = buf + (size_t)i * lda;
            for (int ky = 0; ky < s->k_h; ky++) {
                int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
                for (int kx = 0; kx < s->k_w; kx++, row += cin) {
                    int ix = ox * s->stride_w - s->pad_left + kx * s->dil_w;
                    if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                        memset(row, q->in_zp, cin);
                    else
                        memcpy(row, in + ((size_t)iy * s->in_w + ix) * cin, cin);
                }
            }
            memset(row, 0, lda - (size_t)p->k);
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
    _Alignas(64) float buf[SC_IM2COL_BYTES / sizeof(float)];
    size_t lda = (size_t)p->k, cin = (size_t)s->in_c;
    int chunk = (int)(SC_IM2COL_BYTES / sizeof(float) / lda);
    int first = oy0 * s->out_w, total = (oy1 - oy0) * s->out_w;
    for (int p0 = 0; p0 < total; p0 += chunk) {
        int m = SC_MIN(chunk, total - p0);
        for (int i = 0; i < m; i++) {
            int pix = first + p0 + i, oy = pix / s->out_w, ox = pix % s->out_w;
            float *row = buf + (size_t)i * lda;
            for (int ky = 0; ky < s->k_h; ky++) {
                int iy = oy * s->stride_h - s->pad_top + ky * s->dil_h;
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
