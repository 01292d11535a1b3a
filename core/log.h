/* core/log.h — thread-safe logging to stderr, one whole line per call.
 * Lines look like "ssdcam: error: model: detect.tflite: ...". The level threshold is
 * process-wide configuration set once at start-up by main() before threads exist. */
#ifndef SC_CORE_LOG_H
#define SC_CORE_LOG_H

#include <stddef.h>

typedef enum sc_log_level {
    SC_LOG_ERROR = 0,
    SC_LOG_WARN = 1,
    SC_LOG_INFO = 2,
    SC_LOG_DEBUG = 3
} sc_log_level;

/* Messages above `level` are discarded. Call before starting threads. */
void sc_log_set_level(sc_log_level level);
sc_log_level sc_log_get_level(void);

#if defined(__GNUC__)
#define SC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SC_PRINTF(a, b)
#endif

void sc_log(sc_log_level level, const char *fmt, ...) SC_PRINTF(2, 3);
/* Appends ": <strerror(err)>". Pass errno read right after the failing call. */
void sc_log_errno(int err, const char *fmt, ...) SC_PRINTF(2, 3);

/* Formats a one-line message into err[errlen] (truncated if needed) for a caller to log or
 * show: the "char *err, size_t errlen" out-parameter of loaders. err may be NULL or errlen 0
 * (then nothing is written). Does not log. */
void sc_set_err(char *err, size_t errlen, const char *fmt, ...) SC_PRINTF(3, 4);

#define sc_log_error(...) sc_log(SC_LOG_ERROR, __VA_ARGS__)
#define sc_log_warn(...) sc_log(SC_LOG_WARN, __VA_ARGS__)
#define sc_log_info(...) sc_log(SC_LOG_INFO, __VA_ARGS__)
#define sc_log_debug(...) sc_log(SC_LOG_DEBUG, __VA_ARGS__)

#endif
