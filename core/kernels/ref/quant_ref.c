/* sc_f32_quant_u8's specification (kernels.h): a product, a sum, a clamp that maps NaN to 0,
 * a truncation. Two statements, so that no compiler contracts the two roundings into an FMA. */
#include "core/kernels/kernels.h"

void sc_f32_quant_u8__ref(size_t n, const float *x, float scale, float offset, uint8_t *y)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * scale;
        v = v + offset;
        v = v > 0.0f ? v : 0.0f;          /* NaN compares false: 0 */
        v = v < 255.0f ? v : 255.0f;
        y[i] = (uint8_t)v;
    }
}
