/* app/sysmon.h — Raspberry Pi health for the HUD and the log: CPU temperature from sysfs and
 * the firmware's throttling flags from `vcgencmd get_throttled`.
 *
 * Temperature: SYSFS/class/thermal/thermal_zone<N>/temp (milli-degrees Celsius). The zone
 * whose `type` is "cpu-thermal" (Raspberry Pi) or "x86_pkg_temp" (Intel package) is used,
 * else the lowest-numbered zone whose temp file reads. SYSFS is cfg.sysfs_root, else the
 * environment variable SSDCAM_SYSFS_ROOT, else "/sys" (tests point it at fake files).
 *
 * Throttling: `vcgencmd get_throttled` prints "throttled=0x50005"; the bits are below. The
 * command is cfg.vcgencmd, else SSDCAM_VCGENCMD, else "vcgencmd" searched in PATH; "" turns
 * it off. It is run with posix_spawn (no shell), its output read with a 2 s limit (then it
 * is killed), never more often than every throttle_interval_ns.
 *
 * Both are read by a thread of their own ("sc-sysmon"), so a slow sysfs read or the spawn
 * never delays a frame; readers get the latest values through atomics. Absent sensors are
 * normal (a PC without thermal zones, a Pi without vcgencmd or without access to
 * /dev/vchiq): the value is reported absent, one info line is logged at start (or at the
 * first failure of vcgencmd, after which it is not run again), and nothing after that.
 *
 * Threads: sc_sysmon_get() from any thread; start/stop from one thread. */
#ifndef SC_APP_SYSMON_H
#define SC_APP_SYSMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base.h"

/* `vcgencmd get_throttled` bits (Raspberry Pi firmware). */
#define SC_THROTTLE_UNDERVOLT_NOW 0x1u       /* under-voltage detected */
#define SC_THROTTLE_CAPPED_NOW 0x2u          /* ARM frequency capped */
#define SC_THROTTLE_THROTTLED_NOW 0x4u       /* currently throttled */
#define SC_THROTTLE_SOFTLIMIT_NOW 0x8u       /* soft temperature limit active */
#define SC_THROTTLE_UNDERVOLT_PAST 0x10000u  /* ... has occurred since boot */
#define SC_THROTTLE_CAPPED_PAST 0x20000u
#define SC_THROTTLE_THROTTLED_PAST 0x40000u
#define SC_THROTTLE_SOFTLIMIT_PAST 0x80000u
#define SC_THROTTLE_NOW_MASK 0xFu

typedef struct sc_sysmon_cfg {
    const char *sysfs_root;         /* NULL: $SSDCAM_SYSFS_ROOT, else "/sys" */
    const char *vcgencmd;           /* NULL: $SSDCAM_VCGENCMD, else "vcgencmd"; "" = never */
    int64_t temp_interval_ns;       /* <= 0: 2 s */
    int64_t throttle_interval_ns;   /* <= 0: 5 s */
} sc_sysmon_cfg;

typedef struct sc_sysmon_reading {
    int has_temp;                   /* 0: no thermal zone (cpu_temp_c is 0) */
    double cpu_temp_c;
    int has_throttled;              /* 0: no vcgencmd, or it failed */
    uint32_t throttled;             /* SC_THROTTLE_* bits */
} sc_sysmon_reading;

typedef struct sc_sysmon sc_sysmon;

/* Finds the sensors, reads them once (so the first sc_sysmon_get already has values), and
 * starts the thread. cfg may be NULL (all defaults). SC_E_NOMEM, or SC_E_IO when the thread
 * cannot start (logged). Absent sensors are not an error. */
sc_status sc_sysmon_start(const sc_sysmon_cfg *cfg, sc_sysmon **out);
/* The latest values. Never blocks. */
void sc_sysmon_get(const sc_sysmon *m, sc_sysmon_reading *out);
/* The thermal zone in use ("cpu-thermal", ...) or NULL when there is none. */
const char *sc_sysmon_zone_type(const sc_sysmon *m);
/* Stops and joins the thread, frees everything. NULL is a no-op. */
void sc_sysmon_stop(sc_sysmon *m);

/* ---- the pieces, public for tests ---- */

/* Picks the zone as described above. On success writes the temp file's path and the zone's
 * type (truncated to the buffers) and returns SC_OK; SC_E_IO when there is no usable zone. */
sc_status sc_sysmon_find_zone(const char *sysfs_root, char *temp_path, size_t path_size,
                              char *type, size_t type_size);
/* Reads a thermal temp file ("51540\n" = 51.54 °C). SC_E_IO (unreadable), SC_E_FORMAT. */
sc_status sc_sysmon_read_temp(const char *temp_path, double *celsius);
/* Parses vcgencmd's "throttled=0x50005" (also a bare hex or decimal number). Returns 1 and
 * sets *bits on success, 0 for anything else. */
int sc_sysmon_parse_throttled(const char *text, uint32_t *bits);
/* Runs `cmd get_throttled` and parses its output. SC_E_IO when it cannot be run (not
 * installed: *not_found = 1), SC_E_TIMEOUT after 2 s, SC_E_FORMAT for a failed run or output
 * that does not parse. */
sc_status sc_sysmon_run_vcgencmd(const char *cmd, uint32_t *bits, int *not_found);
/* Describes bits for people: "ok", or the flags active now ("under-voltage", "throttled",
 * "capped", "soft-limit", comma-separated), then " (since boot: ...)" for past-only flags.
 * Always NUL-terminates buf (size >= 1). Returns buf. Inline: the overlay uses it without
 * linking this module. */
static inline const char *sc_sysmon_throttled_str(uint32_t bits, char *buf, size_t size)
{
    static const struct { uint32_t bit; const char *name; } k_flags[] = {
        { SC_THROTTLE_UNDERVOLT_NOW, "under-voltage" },
        { SC_THROTTLE_THROTTLED_NOW, "throttled" },
        { SC_THROTTLE_CAPPED_NOW, "capped" },
        { SC_THROTTLE_SOFTLIMIT_NOW, "soft-limit" },
    };
    size_t len = 0;
    int n_now = 0, n_past = 0;
    buf[0] = 0;
    for (size_t i = 0; i < SC_ARRAY_LEN(k_flags); i++)
        if (bits & k_flags[i].bit) {
            int w = snprintf(buf + len, size - len, "%s%s", n_now++ ? ", " : "", k_flags[i].name);
            if (w > 0) len = SC_MIN(size - 1, len + (size_t)w);
        }
    for (size_t i = 0; i < SC_ARRAY_LEN(k_flags); i++)
        if ((bits & (k_flags[i].bit << 16)) && !(bits & k_flags[i].bit)) {
            int w = snprintf(buf + len, size - len, "%s%s",
                             n_past++ ? ", " : n_now ? " (since boot: " : "since boot: ", k_flags[i].name);
            if (w > 0) len = SC_MIN(size - 1, len + (size_t)w);
        }
    if (n_past && n_now) snprintf(buf + len, size - len, ")");
    if (!n_now && !n_past) snprintf(buf, size, "ok");
    return buf;
}

#endif
