/* core/base.h — status codes, always-on assertions and checked size arithmetic.
 * Every fallible function in ssdcam returns sc_status: SC_OK (0) or a negative code. */
#ifndef SC_CORE_BASE_H
#define SC_CORE_BASE_H

#include <stddef.h>
#include <stdint.h>

typedef enum sc_status {
    SC_OK = 0,
    SC_E_NOMEM = -1,      /* allocation failed */
    SC_E_INVAL = -2,      /* bad argument or value from the user */
    SC_E_IO = -3,         /* file read/write failed */
    SC_E_DEVICE = -4,     /* camera or other device failed */
    SC_E_FORMAT = -5,     /* malformed or corrupt data (model file, image, frame) */
    SC_E_UNSUPPORTED = -6,/* well-formed but not something we implement */
    SC_E_TIMEOUT = -7,
    SC_E_CLOSED = -8,     /* queue or device closed */
    SC_E_RANGE = -9       /* size or index out of range */
} sc_status;

/* A static English name for a status ("out of memory", ...). Never NULL. */
const char *sc_status_str(sc_status st);

/* Programmer errors only; stays on in release builds. */
void sc_assert_fail(const char *expr, const char *file, int line);
#define SC_ASSERT(e) ((e) ? (void)0 : sc_assert_fail(#e, __FILE__, __LINE__))

#define SC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* *out = a * b; returns 0 on overflow (and leaves *out = 0), 1 otherwise. */
static inline int sc_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) { *out = 0; return 0; }
    *out = a * b;
    return 1;
}

/* *out = a + b; returns 0 on overflow. */
static inline int sc_add_size(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a) { *out = 0; return 0; }
    *out = a + b;
    return 1;
}

#endif
