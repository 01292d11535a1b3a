/* Fills the kernel table: the scalar references first, then the packed kernels of the best
 * level compiled in and supported by this CPU (portable < avx2 < avx512; neon on aarch64). */
#include <string.h>

#include "core/kernels/kernels.h"
#include "sc_config.h"

static void set_ref(sc_kernels *k)
{
    k->u8_conv = sc_u8_conv__ref;
    k->u8_dwconv = sc_u8_dwconv__ref;
    k->f32_conv = sc_f32_conv__ref;
    k->f32_dwconv = sc_f32_dwconv__ref;
    k->u8_gemmconv = NULL;
    k->u8_dwconv3x3 = NULL;
    k->f32_gemmconv = NULL;
    k->f32_dwconv3x3 = NULL;
    k->f32_exp = sc_f32_exp__ref;
    k->f32_quant_u8 = sc_f32_quant_u8__ref;
    k->u8_lut = sc_u8_lut__ref;
    k->f32_softmax = sc_f32_softmax__ref;
    k->isa = "ref";
}

#define SET_PACKED(k, name) do { \
    (k)->u8_gemmconv = sc_u8_gemmconv__##name; \
    (k)->u8_dwconv3x3 = sc_u8_dwconv3x3__##name; \
    (k)->f32_gemmconv = sc_f32_gemmconv__##name; \
    (k)->f32_dwconv3x3 = sc_f32_dwconv3x3__##name; \
    (k)->f32_exp = sc_f32_exp__##name; \
    (k)->f32_softmax = sc_f32_softmax__##name; \
    (k)->isa = #name; \
} while (0)

int sc_kernels_isa_supported(const char *isa)
{
    if (!strcmp(isa, "ref") || !strcmp(isa, "portable")) return 1;
#if SC_HAVE_AVX2
    if (!strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#if SC_HAVE_AVX512
    if (!strcmp(isa, "avx512"))
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
#if SC_HAVE_NEON
    if (!strcmp(isa, "neon")) return 1;   /* baseline on aarch64 */
#endif
    return 0;
}

int sc_kernels_init_isa(sc_kernels *k, const char *isa)
{
    if (!sc_kernels_isa_supported(isa)) return -1;
    set_ref(k);
    if (!strcmp(isa, "ref")) return 0;
    if (!strcmp(isa, "portable")) { SET_PACKED(k, portable); return 0; }
#if SC_HAVE_AVX2
    if (!strcmp(isa, "avx2")) {
        SET_PACKED(k, avx2);
        k->f32_quant_u8 = sc_f32_quant_u8__avx2;
        return 0;
    }
#endif
#if SC_HAVE_AVX512
    if (!strcmp(isa, "avx512")) {
        SET_PACKED(k, avx512);
        k->f32_quant_u8 = sc_f32_quant_u8__avx512;
        k->f32_gemmconv = sc_f32_convdirect__avx512;   /* wraps sc_f32_gemmconv__avx512 */
        if (__builtin_cpu_supports("avx512vbmi")) k->u8_lut = sc_u8_lut__avx512vbmi;
        return 0;
    }
#endif
#if SC_HAVE_NEON
    if (!strcmp(isa, "neon")) {
        SET_PACKED(k, neon);
        k->f32_quant_u8 = sc_f32_quant_u8__neon;
        k->u8_lut = sc_u8_lut__neon;
        return 0;
    }
#endif
    return -1;
}

void sc_kernels_init(sc_kernels *k, int force_ref)
{
    static const char *const order[] = { "avx512", "avx2", "neon", "portable" };
    set_ref(k);
    if (force_ref) return;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (sc_kernels_init_isa(k, order[i]) == 0) return;
}
