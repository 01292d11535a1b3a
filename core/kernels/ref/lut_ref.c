/* sc_u8_lut's specification (kernels.h): one table lookup per byte. */
#include "core/kernels/kernels.h"

void sc_u8_lut__ref(size_t n, const uint8_t *x, const uint8_t lut[256], uint8_t *y)
{
    for (size_t i = 0; i < n; i++) y[i] = lut[x[i]];
}
