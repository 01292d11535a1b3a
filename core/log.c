#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The threshold is written once by main() before any thread starts and only read afterwards;
 * the stderr lock (flockfile) keeps each line whole. */
static sc_log_level g_level = SC_LOG_INFO;

void sc_log_set_level(sc_log_level level) { g_level = level; }
sc_log_level sc_log_get_level(void) { return g_level; }

static const char *level_name(sc_log_level l)
{
    switch (l) {
    case SC_LOG_ERROR: return "error: ";
    case SC_LOG_WARN: return "warning: ";
    case SC_LOG_INFO: return "";
    case SC_LOG_DEBUG: return "debug: ";
    }
    return "";
}

static void vlog(sc_log_level level, int err, const char *fmt, va_list ap)
{
    char line[1024];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0) line[0] = 0;
    if (err) {
        char eb[128];
        const char *es = strerror_r(err, eb, sizeof(eb)) == 0 ? eb : "unknown error";
        size_t len = strlen(line);
        snprintf(line + len, sizeof(line) - len, ": %s", es);
    }
    flockfile(stderr);
    fprintf(stderr, "ssdcam: %s%s\n", level_name(level), line);
    funlockfile(stderr);
}

void sc_log(sc_log_level level, const char *fmt, ...)
{
    if (level > g_level) return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, 0, fmt, ap);
    va_end(ap);
}

void sc_log_errno(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SC_LOG_ERROR, err, fmt, ap);
    va_end(ap);
}

void sc_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
