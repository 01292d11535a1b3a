/* core/kernels/resize.h — SIMD passes of the Pillow-exact BILINEAR resizer (core/image.c).
 * Private to core: core/image.c builds the tables and picks the variant.
 *
 * Both passes compute, for every output byte, clip8((2^21 + Σ_j in_j · k_j) >> 22) in int32
 * with the same taps and coefficients as the scalar passes in core/image.c (the reference).
 * Every product is below 2^30 and the sums cannot overflow, so integer addition in any order
 * gives the same bits: the variants are byte-exact with the reference by construction, and
 * tests/unit/test_image.c checks it on odd sizes and every channel count.
 *
 * Horizontal pass: the output row (dst_w·channels bytes) is cut into chunks of 8 bytes, each
 * two lanes of 4 consecutive output bytes (4 int32 accumulators, one 128-bit register). A lane
 * runs a few *steps*: load 16 source bytes at a byte offset, shuffle the 4 needed bytes into
 * the low byte of each int32 (pshufb / tbl; index 0x80 gives 0), multiply by 4 coefficients
 * and add. sc_resize_htab_build() assigns every tap of every output byte to exactly one step
 * of its lane (greedily: a step's window starts at the lowest tap still to do, so any scale
 * and channel count works; at 640 → 300 RGB each lane needs just max(count) steps). The two
 * lanes of a chunk get the same number of steps (the shorter one is padded with zero
 * coefficients), so a chunk is one 256-bit loop on AVX2 and two 128-bit ones on NEON.
 * Windows never extend past the source row: no over-read, no write past the output row.
 *
 * Vertical pass: one output row = Σ_y rows[y] · k[y] over `count` source rows, 8 to 32 bytes
 * at a time (zero-extended to int32, vpmulld / vmlaq). */
#ifndef SC_CORE_KERNELS_RESIZE_H
#define SC_CORE_KERNELS_RESIZE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base.h"

#define SC_RESIZE_BITS 22

typedef struct sc_resize_htab {
    int out_bytes;          /* dst_w · channels */
    int n_chunks;           /* ceil(out_bytes / 8); the last may be partial */
    int32_t *step0;         /* [n_chunks + 1]: chunk i runs steps [step0[i], step0[i+1]) */
    int32_t *off;           /* [2 · n_steps]: source byte offsets of the two lanes' windows */
    uint8_t *mask;          /* [32 · n_steps]: shuffle indices, lane 0 then lane 1 (32-byte aligned) */
    int32_t *coef;          /* [8 · n_steps]: coefficients, lane 0 then lane 1 (32-byte aligned) */
} sc_resize_htab;

/* Builds the table for one horizontal axis given as core/image.c keeps it: per output pixel
 * x, first[x], count[x] and coef[x·ksize + j]. Needs src_w · channels >= 16 (else
 * SC_E_UNSUPPORTED: the scalar pass runs). SC_E_NOMEM / SC_E_RANGE on failure. */
sc_status sc_resize_htab_build(sc_resize_htab *t, int src_w, int dst_w, int channels,
                               const int *first, const int *count, const int32_t *coef, int ksize);
void sc_resize_htab_free(sc_resize_htab *t);   /* zeroed or built; leaves it zeroed */

/* Horizontal pass over `rows` rows: src rows of src_w·channels bytes (as given to build), dst
 * rows of t->out_bytes bytes. */
typedef void (*sc_resize_h_fn)(const sc_resize_htab *t, const uint8_t *src, size_t src_stride,
                               int rows, uint8_t *dst, size_t dst_stride);
/* Vertical pass for one output row of n bytes: src points at the first of `count` source rows. */
typedef void (*sc_resize_v_fn)(const uint8_t *src, size_t src_stride, const int32_t *k, int count,
                               int n, uint8_t *dst);

void sc_resize_h__avx2(const sc_resize_htab *t, const uint8_t *src, size_t src_stride, int rows,
                       uint8_t *dst, size_t dst_stride);
void sc_resize_v__avx2(const uint8_t *src, size_t src_stride, const int32_t *k, int count, int n,
                       uint8_t *dst);
void sc_resize_h__neon(const sc_resize_htab *t, const uint8_t *src, size_t src_stride, int rows,
                       uint8_t *dst, size_t dst_stride);
void sc_resize_v__neon(const uint8_t *src, size_t src_stride, const int32_t *k, int count, int n,
                       uint8_t *dst);

#endif
