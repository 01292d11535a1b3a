/* core/mem.h — 64-byte aligned allocation and a bump arena sized by a planning pass.
 * Tensors are padded by SC_OVERREAD bytes: kernels may read (never write) past the end. */
#ifndef SC_CORE_MEM_H
#define SC_CORE_MEM_H

#include <stddef.h>

#define SC_ALIGN 64
#define SC_OVERREAD 64

/* NULL on failure or when size is 0. Free with sc_aligned_free. */
void *sc_aligned_alloc(size_t size);
void sc_aligned_free(void *p);

/* Rounds n up to a multiple of SC_ALIGN. */
static inline size_t sc_align_up(size_t n) { return (n + SC_ALIGN - 1) & ~(size_t)(SC_ALIGN - 1); }

#endif
