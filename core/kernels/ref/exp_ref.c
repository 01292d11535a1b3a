/* y[i] = expf(x[i]): the specification of sc_f32_exp (libm's result, within its own < 1 ulp). */
#include <math.h>

#include "core/kernels/kernels.h"

void sc_f32_exp__ref(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
}
