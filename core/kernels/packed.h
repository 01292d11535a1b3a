/* core/kernels/packed.h — packed weight layouts and helpers shared by the kernel variants.
 * Private to core/kernels: the network sees packed blocks as opaque `const void *`.
 *
 * Every block starts with a 64-byte header, followed by 64-byte aligned arrays:
 *   u8 gemmconv   int32 bias'[n_blocks·16], int8 w'[n_blocks][k_blocks][16][4]
 *                 (w'[nb][kb][j][t] = w[oc = 16·nb + j][k = 4·kb + t] − c; zero past n and K),
 *                 then for a 3×3 conv over 3 channels (c3_groups != 0) int8 g[n_blocks][9][16][4]:
 *                 g[nb][3·ky + gi][j][t] = w'[nb][k = 9·ky + 4·gi + t][j] for 4·gi + t < 9, else
 *                 0 (each kernel row's 9 bytes as three groups of 4 read in place), and lane
 *                 n % 16 of the last block 1 at the 27 taps when xsum_mult != 0 and n % 16 != 0
 *                 (Σx out of the same dot products)
 *   f32 gemmconv  float bias[n_blocks·16], float w[n_blocks][k][16]
 *   u8 dwconv3x3  int32 bias'[c_pad], int16 w'[9][c_pad]   (w' = w − w_zp; zero past c)
 *   f32 dwconv3x3 float bias[c_pad], float w[9][c_pad]
 * K is indexed (ky, kx, ic) like the reference layout [oc][k_h][k_w][in_c]. */
#ifndef SC_CORE_KERNELS_PACKED_H
#define SC_CORE_KERNELS_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "core/kernels/kernels.h"

#define SC_GEMM_NR 16                /* output channels per packed block */
_Static_assert(SC_GEMM_NR == SC_GEMMCONV_OC_STEP, "channel ranges are whole packed blocks");
#define SC_DW_CPAD 64                /* depthwise channel padding: the widest channel tile */
#define SC_IM2COL_BYTES 131072       /* stack buffer for gathered rows (per call): enough rows that
                                      * a 3×3 conv on 256 float channels (K = 2304) gathers 14 pixels
                                      * per pass over its weights, not 3 (threads need >= 256 KB stack) */

typedef struct sc_u8_gemm_packed {
    int32_t k, k_blocks;             /* K = k_h·k_w·in_c; ceil(K / 4) */
    int32_t n, n_blocks;             /* out_c; ceil(out_c / 16) */
    int32_t xsum_mult;               /* c − w_zp: times each row's Σx (0: skip) */
    int32_t direct;                  /* 1×1 s1 unpadded: A is the input itself */
    int32_t lda;                     /* im2col row bytes: K rounded up to 4 */
    int32_t c3_groups;               /* byte offset of g (3×3 over 3 channels), else 0 */
    int32_t reserved[8];
} sc_u8_gemm_packed;

typedef struct sc_f32_gemm_packed {
    int32_t k, n, n_blocks, direct;
    int32_t reserved[12];
} sc_f32_gemm_packed;

typedef struct sc_dw_packed {
    int32_t c, c_pad;
    int32_t reserved[14];
} sc_dw_packed;

_Static_assert(sizeof(sc_u8_gemm_packed) == 64, "64-byte header");
_Static_assert(sizeof(sc_f32_gemm_packed) == 64, "64-byte header");
_Static_assert(sizeof(sc_dw_packed) == 64, "64-byte header");

static inline const int32_t *sc_u8_gemm_bias(const sc_u8_gemm_packed *p) { return (const int32_t *)(const void *)(p + 1); }
static inline const int8_t *sc_u8_gemm_w(const sc_u8_gemm_packed *p)
{
    return (const int8_t *)(const void *)(sc_u8_gemm_bias(p) + (size_t)p->n_blocks * SC_GEMM_NR);
}
static inline const float *sc_f32_gemm_bias(const sc_f32_gemm_packed *p) { return (const float *)(const void *)(p + 1); }
static inline const float *sc_f32_gemm_w(const sc_f32_gemm_packed *p) { return sc_f32_gemm_bias(p) + (size_t)p->n_blocks * SC_GEMM_NR; }
static inline const int32_t *sc_u8_dw_bias(const sc_dw_packed *p) { return (const int32_t *)(const void *)(p + 1); }
static inline const int16_t *sc_u8_dw_w(const sc_dw_packed *p) { return (const int16_t *)(const void *)(sc_u8_dw_bias(p) + p->c_pad); }
static inline const float *sc_f32_dw_bias(const sc_dw_packed *p) { return (const float *)(const void *)(p + 1); }
static inline const float *sc_f32_dw_w(const sc_dw_packed *p) { return sc_f32_dw_bias(p) + p->c_pad; }

/* GEMM micro-kernels: rows [0, m) of A (row i at a + i·lda; K values, reads may run to the
 * next multiple of 4 for u8) times the packed weight blocks [nb0, nb1) (channels 16·nb0 up to
 * min(16·nb1, n)), bias, requantisation/clamp, into row i of c (c + i·ldc is the row's
 * channel 0). */
typedef void (*sc_u8_gemm_fn)(int m, const uint8_t *a, size_t lda, const sc_u8_gemm_packed *p, int nb0,
                              int nb1, const sc_requant *q, uint8_t *c, size_t ldc);
typedef void (*sc_f32_gemm_fn)(int m, const float *a, size_t lda, const sc_f32_gemm_packed *p, int nb0,
                               int nb1, float lo, float hi, float *c, size_t ldc);

/* The gemmconv drivers: direct GEMM for pointwise layers, else im2col chunks (padding =
 * x_zp, or 0.0f) through a stack buffer, each chunk handed to `gemm`. */
void sc_u8_gemmconv_run(const sc_conv_shape *s, const sc_requant *q, const uint8_t *in,
                        const void *packed, uint8_t *out, int oy0, int oy1, int oc0, int oc1,
                        sc_u8_gemm_fn gemm);
void sc_f32_gemmconv_run(const sc_conv_shape *s, float lo, float hi, const float *in,
                         const void *packed, float *out, int oy0, int oy1, int oc0, int oc1,
                         sc_f32_gemm_fn gemm);

/* Input row iy (0 <= iy < in_h) of a depthwise 3×3: row iy of `in`, or its slot in the ring
 * (sc_conv_shape.ring_rows). */
static inline const char *sc_dw3_in_row(const sc_conv_shape *s, const char *in, size_t pixel_bytes, int iy)
{
    size_t r = s->ring_rows > 0 ? (size_t)((s->ring_first + iy) % s->ring_rows) : (size_t)iy;
    return in + r * (size_t)s->in_w * pixel_bytes;
}

/* Depthwise taps of output pixel (oy, ox): base pointer of each of the 9 taps (channel 0)
 * and whether it lies inside the image (0: a padding tap, to read the pad buffer). */
static inline void sc_dw3_taps(const sc_conv_shape *s, const char *in, size_t pixel_bytes,
                               int oy, int ox, const char *base[9], int valid[9])
{
    for (int ky = 0; ky < 3; ky++) {
        int iy = oy * s->stride_h - s->pad_top + ky;
        int row_ok = iy >= 0 && iy < s->in_h;
        const char *row = row_ok ? sc_dw3_in_row(s, in, pixel_bytes, iy) : NULL;
        for (int kx = 0; kx < 3; kx++) {
            int ix = ox * s->stride_w - s->pad_left + kx;
            int ok = row_ok && ix >= 0 && ix < s->in_w;
            base[ky * 3 + kx] = ok ? row + (size_t)ix * pixel_bytes : NULL;
            valid[ky * 3 + kx] = ok;
        }
    }
}

/* Depthwise 3×3 rows for output row oy: each tap row's pointer to pixel 0, channel 0, or
 * NULL when the row lies in the padding; then per pixel the 9 tap pointers at byte offset
 * `c0_bytes`, padding taps pointing at `pad`. Interior pixels need no column checks. */
typedef struct sc_dw3_rows {
    const char *row[3];
} sc_dw3_rows;

static inline void sc_dw3_rows_init(sc_dw3_rows *r, const sc_conv_shape *s, const char *in, size_t pixel_bytes, int oy)
{
    for (int ky = 0; ky < 3; ky++) {
        int iy = oy * s->stride_h - s->pad_top + ky;
        r->row[ky] = iy >= 0 && iy < s->in_h ? sc_dw3_in_row(s, in, pixel_bytes, iy) : NULL;
    }
}

static inline void sc_dw3_pixel(const sc_dw3_rows *r, const sc_conv_shape *s, size_t pixel_bytes, int ox,
                                size_t c0_bytes, const char *pad, const char *tap[9])
{
    int ix0 = ox * s->stride_w - s->pad_left;
    if (ix0 >= 0 && ix0 + 2 < s->in_w) {
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                tap[ky * 3 + kx] = r->row[ky] ? r->row[ky] + (size_t)(ix0 + kx) * pixel_bytes + c0_bytes : pad;
    } else {
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                int ix = ix0 + kx;
                tap[ky * 3 + kx] = r->row[ky] && ix >= 0 && ix < s->in_w ? r->row[ky] + (size_t)ix * pixel_bytes + c0_bytes : pad;
            }
    }
}

/* Output columns [*lo, *hi) whose three taps all lie inside the input row: there the tap
 * addresses are plain offsets from the row, without per-tap padding checks (the "fast"
 * pixels of the SIMD kernels, which take them in groups from lo on). */
static inline void sc_dw3_interior(const sc_conv_shape *s, int *lo, int *hi)
{
    int a = (s->pad_left + s->stride_w - 1) / s->stride_w;   /* ox·stride - pad >= 0 */
    int last = s->in_w - 3 + s->pad_left;                     /* ox·stride - pad + 2 <= in_w - 1 */
    int b = last < 0 ? 0 : last / s->stride_w + 1;
    *lo = SC_MIN(a, s->out_w);
    *hi = SC_MAX(*lo, SC_MIN(b, s->out_w));
}

/* Edge pixel k of a row whose fast groups cover [lo, lo + n_fast): [0, lo), then the pixels
 * after the fast groups. */
static inline int sc_dw3_edge_pixel(int k, int lo, int n_fast) { return k < lo ? k : k + n_fast; }

/* The n pixels of a depthwise group starting at edge pixel k (sc_dw3_edge_pixel; with n_fast 0
 * simply output column k), a short group at the row's end repeating its last pixel, and their
 * 9 tap pointers each, at byte offset `coff` of each pixel (padding taps at `pad`): the AVX2
 * and NEON kernels run a group's independent accumulator chains over them. */
static inline void sc_dw3_group(const sc_dw3_rows *r, const sc_conv_shape *s, size_t pixel_bytes, int k, int n,
                                int lo, int n_fast, size_t coff, const char *pad, int *ox, const char *(*tap)[9])
{
    int n_edge = s->out_w - n_fast;
    for (int j = 0; j < n; j++) {
        ox[j] = sc_dw3_edge_pixel(k + j < n_edge ? k + j : n_edge - 1, lo, n_fast);
        sc_dw3_pixel(r, s, pixel_bytes, ox[j], coff, pad, tap[j]);
    }
}

/* sc_requantize + out_zp + the activation clamp, as the references store it. */
static inline uint8_t sc_requant_u8(int32_t acc, const sc_requant *q)
{
    int32_t v = sc_requantize(acc, q->mult, q->shift) + q->out_zp;
    return (uint8_t)(v < q->act_min ? q->act_min : v > q->act_max ? q->act_max : v);
}

#endif
