/* sc_u8_lut for NEON (aarch64): the table as four 64-byte groups; tbl looks a byte up in the
 * first group (indices >= 64 give 0), then tbx in the others with the index less 64, 128 and
 * 192 (out-of-range indices leave the byte as it is). 16 bytes per step; the tail goes through
 * a 16-byte stack copy, so nothing is read or written past n. */
#include <arm_neon.h>
#include <string.h>

#include "core/kernels/kernels.h"

static inline uint8x16_t lookup16(uint8x16_t x, const uint8x16x4_t t[4])
{
    uint8x16_t r = vqtbl4q_u8(t[0], x);
    r = vqtbx4q_u8(r, t[1], vsubq_u8(x, vdupq_n_u8(64)));
    r = vqtbx4q_u8(r, t[2], vsubq_u8(x, vdupq_n_u8(128)));
    return vqtbx4q_u8(r, t[3], vsubq_u8(x, vdupq_n_u8(192)));
}

void sc_u8_lut__neon(size_t n, const uint8_t *x, const uint8_t lut[256], uint8_t *y)
{
    uint8x16x4_t t[4];
    for (int g = 0; g < 4; g++) t[g] = vld1q_u8_x4(lut + 64 * g);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) vst1q_u8(y + i, lookup16(vld1q_u8(x + i), t));
    if (i < n) {
        uint8_t buf[16] = { 0 };
        memcpy(buf, x + i, n - i);
        vst1q_u8(buf, lookup16(vld1q_u8(buf), t));
        memcpy(y + i, buf, n - i);
    }
}
