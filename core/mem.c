#include "core/mem.h"

#include <stdlib.h>

void *sc_aligned_alloc(size_t size)
{
    void *p = NULL;
    if (size == 0) return NULL;
    if (posix_memalign(&p, SC_ALIGN, sc_align_up(size)) != 0) return NULL;
    return p;
}

void sc_aligned_free(void *p) { free(p); }
