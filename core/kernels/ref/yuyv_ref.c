/* core/kernels/ref/yuyv_ref.c — YUYV → RGB24, the scalar reference (the specification; see
 * core/yuyv.h for the formula). */
#include <stddef.h>
#include <stdint.h>

#include "core/yuyv.h"

/* (v + 2^15) >> 16 clamped to 0..255, with the shift on a non-negative value (v >= -2^25 for
 * any input, so the bias of 1024·2^16 keeps it positive and the result is floor division
 * whatever the compiler does with negative shifts; v + bias < 2^27). */
static inline uint8_t fix_to_u8(int32_t v)
{
    int32_t r = (int32_t)(((uint32_t)(v + 32768 + (1024 << 16))) >> 16) - 1024;
    return (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
}

void sc_u8_yuyv2rgb__ref(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride,
                         int width, int y0, int y1, const sc_yuyv_params *params)
{
    int32_t ky, kr_v, kg_u, kg_v, kb_u, y_off;
    if (params->range == SC_YUV_FULL) {
        ky = 65536; kr_v = 91881; kg_u = 22553; kg_v = 46802; kb_u = 116130; y_off = 0;
    } else {
        ky = 76309; kr_v = 104597; kg_u = 25675; kg_v = 53279; kb_u = 132201; y_off = 16;
    }
    for (int y = y0; y < y1; y++) {
        const uint8_t *s = src + (size_t)y * src_stride;
        uint8_t *d = dst + (size_t)y * dst_stride;
        for (int x = 0; x < width; x += 2) {
            int32_t u = s[1] - 128, v = s[3] - 128;
            int32_t r_add = kr_v * v, g_add = -kg_u * u - kg_v * v, b_add = kb_u * u;
            int32_t c0 = ky * (s[0] - y_off);
            d[0] = fix_to_u8(c0 + r_add);
            d[1] = fix_to_u8(c0 + g_add);
            d[2] = fix_to_u8(c0 + b_add);
            if (x + 1 < width) {
                int32_t c1 = ky * (s[2] - y_off);
                d[3] = fix_to_u8(c1 + r_add);
                d[4] = fix_to_u8(c1 + g_add);
                d[5] = fix_to_u8(c1 + b_add);
            }
            s += 4;
            d += 6;
        }
    }
}
