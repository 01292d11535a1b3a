/* core/clock.h — monotonic time. */
#ifndef SC_CORE_CLOCK_H
#define SC_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t sc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
