/* tests/overlay/sdl_alloc_count.h — counts SDL's allocations through SDL_SetMemoryFunctions, for
 * the overlay tests' "no allocation per frame" checks. Include in one test program (test-only state). */
#ifndef SC_TESTS_SDL_ALLOC_COUNT_H
#define SC_TESTS_SDL_ALLOC_COUNT_H

#include <SDL.h>

/* SDL's allocations, counted through SDL_SetMemoryFunctions (test-only state). */
static SDL_malloc_func real_malloc;
static SDL_calloc_func real_calloc;
static SDL_realloc_func real_realloc;
static SDL_free_func real_free;
static long n_sdl_allocs;

static void *count_malloc(size_t n) { n_sdl_allocs++; return real_malloc(n); }
static void *count_calloc(size_t a, size_t b) { n_sdl_allocs++; return real_calloc(a, b); }
static void *count_realloc(void *p, size_t n) { n_sdl_allocs++; return real_realloc(p, n); }
static void count_free(void *p) { real_free(p); }

/* Routes SDL's allocations through the counters above; call before SDL_Init. */
static void count_sdl_allocs(void)
{
    SDL_GetMemoryFunctions(&real_malloc, &real_calloc, &real_realloc, &real_free);
    SDL_SetMemoryFunctions(count_malloc, count_calloc, count_realloc, count_free);
}

#endif
