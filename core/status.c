#include "core/base.h"

#include <stdio.h>
#include <stdlib.h>

const char *sc_status_str(sc_status st)
{
    switch (st) {
    case SC_OK: return "ok";
    case SC_E_NOMEM: return "out of memory";
    case SC_E_INVAL: return "invalid argument";
    case SC_E_IO: return "input/output error";
    case SC_E_DEVICE: return "device error";
    case SC_E_FORMAT: return "malformed data";
    case SC_E_UNSUPPORTED: return "unsupported";
    case SC_E_TIMEOUT: return "timed out";
    case SC_E_CLOSED: return "closed";
    case SC_E_RANGE: return "out of range";
    }
    return "unknown status";
}

void sc_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "ssdcam: assertion failed: %s (%s:%d)\n", expr, file, line);
    fflush(stderr);
    abort();
}
