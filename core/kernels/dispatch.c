#include "core/kernels/kernels.h"

void sc_kernels_init(sc_kernels *k, int force_ref)
{
    k->u8_conv = sc_u8_conv__ref;
    k->u8_dwconv = sc_u8_dwconv__ref;
    k->f32_conv = sc_f32_conv__ref;
    k->f32_dwconv = sc_f32_dwconv__ref;
    k->isa = "ref";
    (void)force_ref;   /* SIMD variants come with issue 4 */
}
