/* Portable sc_f32_exp: the method of core/kernels/exp_consts.h in plain C without FMA (the
 * ln2 split with a 9-bit high part keeps the first reduction step exact). Blocks of BLOCK
 * elements with fixed-size loops that compilers vectorise; the tail goes through the same
 * block code on a copy, so an element's result does not depend on its position. */
#include <stdint.h>
#include <string.h>

#include "core/kernels/exp_consts.h"
#include "core/kernels/kernels.h"

#define BLOCK 16

static inline uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static inline float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

static void exp_block(const float *x, float *y)
{
    for (int j = 0; j < BLOCK; j++) {
        float v = x[j];
        v = v < SC_EXP_X_MIN ? SC_EXP_X_MIN : v;          /* NaN compares false: kept */
        v = v > SC_EXP_X_MAX ? SC_EXP_X_MAX : v;
        float t = v * SC_EXP_LOG2E + SC_EXP_MAGIC;
        float k = t - SC_EXP_MAGIC;
        float r = v - k * SC_EXP_LN2_HI9;
        r = r - k * SC_EXP_LN2_LO9;
        float p = SC_EXP_C6;
        p = p * r + SC_EXP_C5;
        p = p * r + SC_EXP_C4;
        p = p * r + SC_EXP_C3;
        p = p * r + SC_EXP_C2;
        p = p * r + SC_EXP_C1;
        p = p * r + 1.0f;
        /* k + 256 in [106, 384] as an unsigned integer (garbage, harmlessly, for NaN) */
        uint32_t kb = float_bits(t) - float_bits(SC_EXP_MAGIC) + 256u;
        uint32_t k1 = (kb >> 1) - 128u, k2 = kb - 256u - k1;
        float s1 = bits_float((k1 + 127u) << 23), s2 = bits_float((k2 + 127u) << 23);
        y[j] = p * s1 * s2;
    }
}

void sc_f32_exp__portable(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) exp_block(x + i, y + i);
    if (i < n) {
        float tx[BLOCK] = { 0 }, ty[BLOCK];
        memcpy(tx, x + i, (n - i) * sizeof(float));
        exp_block(tx, ty);
        memcpy(y + i, ty, (n - i) * sizeof(float));
    }
}
