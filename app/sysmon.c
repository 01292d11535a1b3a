/* app/sysmon.c — CPU temperature and Raspberry Pi throttling flags (app/sysmon.h).
 *
 * DESIGN
 * One thread, "sc-sysmon", wakes every temp_interval_ns to read the thermal zone's temp
 * file and every throttle_interval_ns to run `vcgencmd get_throttled`, and publishes the
 * values through atomics. It sleeps on a CLOCK_MONOTONIC condvar, so stop wakes it at once.
 * The spawned vcgencmd gets an empty signal mask (ours blocks SIGINT/SIGTERM/SIGHUP for the
 * main thread's sigtimedwait) and /dev/null as stdin and stderr. */
#define _GNU_SOURCE
#include "app/sysmon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

extern char **environ;

#define PATH_CAP 512
#define TYPE_CAP 48
#define TEMP_ABSENT INT_MIN
#define VCGENCMD_TIMEOUT_MS 2000

struct sc_sysmon {
    char temp_path[PATH_CAP];
    char zone_type[TYPE_CAP];
    char vcgencmd[PATH_CAP];          /* "" = not run */
    int64_t temp_interval_ns, throttle_interval_ns;
    atomic_int temp_mc;               /* milli-degrees C, TEMP_ABSENT when unknown */
    atomic_llong throttled;           /* bits, -1 when unknown */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;                         /* under mu */
    int started;
    pthread_t thread;
};

/* ---- pieces ---- */

static int read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int)n;
}

sc_status sc_sysmon_read_temp(const char *temp_path, double *celsius)
{
    char buf[64], *end;
    if (read_small(temp_path, buf, sizeof(buf)) <= 0) return SC_E_IO;
    errno = 0;
    long v = strtol(buf, &end, 10);
    while (*end == '\n' || *end == ' ') end++;
    if (end == buf || *end || errno) return SC_E_FORMAT;
    /* Plausible range only: some drivers report garbage (e.g. -274000) for a dead sensor. */
    if (v < -60000 || v > 200000) return SC_E_FORMAT;
    *celsius = (double)v / 1000.0;
    return SC_OK;
}

static int zone_number(const char *name)
{
    if (strncmp(name, "thermal_zone", 12) != 0 || !name[12]) return -1;
    char *end;
    long n = strtol(name + 12, &end, 10);
    return *end || n < 0 || n > 100000 ? -1 : (int)n;
}

sc_status sc_sysmon_find_zone(const char *sysfs_root, char *temp_path, size_t path_size,
                              char *type, size_t type_size)
{
    char dir[PATH_CAP], path[PATH_CAP + 272], buf[TYPE_CAP];   /* + "/" d_name (<= 255) "/temp" */
    snprintf(dir, sizeof(dir), "%s/class/thermal", sysfs_root);
    DIR *d = opendir(dir);
    if (!d) return SC_E_IO;
    int best = -1, best_rank = 0;   /* rank 2: preferred type, 1: any readable zone */
    char best_type[TYPE_CAP] = "";
    for (struct dirent *e; (e = readdir(d));) {
        int n = zone_number(e->d_name), rank = 1;
        double c;
        if (n < 0) continue;
        snprintf(path, sizeof(path), "%s/%s/temp", dir, e->d_name);
        if (sc_sysmon_read_temp(path, &c) != SC_OK) continue;
        snprintf(path, sizeof(path), "%s/%s/type", dir, e->d_name);
        if (read_small(path, buf, sizeof(buf)) < 0) buf[0] = 0;
        buf[strcspn(buf, "\n")] = 0;
        if (!strcmp(buf, "cpu-thermal") || !strcmp(buf, "x86_pkg_temp")) rank = 2;
        if (rank > best_rank || (rank == best_rank && n < best)) {
            best = n;
            best_rank = rank;
            snprintf(best_type, sizeof(best_type), "%s", buf);
        }
    }
    closedir(d);
    if (best < 0) return SC_E_IO;
    snprintf(temp_path, path_size, "%s/thermal_zone%d/temp", dir, best);
    snprintf(type, type_size, "%s", best_type[0] ? best_type : "unknown");
    return SC_OK;
}

int sc_sysmon_parse_throttled(const char *text, uint32_t *bits)
{
    const char *s = text;
    while (*s == ' ' || *s == '\t') s++;
    if (!strncmp(s, "throttled=", 10)) s += 10;
    if (!(*s >= '0' && *s <= '9')) return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);   /* 0x... hex, else decimal */
    while (*end == '\n' || *end == '\r' || *end == ' ') end++;
    if (*end || errno || v > UINT32_MAX) return 0;
    *bits = (uint32_t)v;
    return 1;
}

sc_status sc_sysmon_run_vcgencmd(const char *cmd, uint32_t *bits, int *not_found)
{
    int fds[2];
    *not_found = 0;
    if (pipe2(fds, O_CLOEXEC) != 0) return SC_E_IO;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none;
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
    char *argv[] = { (char *)cmd, "get_throttled", NULL };
    pid_t pid;
    int e = posix_spawnp(&pid, cmd, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[1]);
    if (e != 0) {
        close(fds[0]);
        *not_found = e == ENOENT || e == EACCES;
        return SC_E_IO;
    }
    char out[128];
    size_t len = 0;
    int64_t deadline = sc_now_ns() + (int64_t)VCGENCMD_TIMEOUT_MS * 1000000;
    sc_status st = SC_OK;
    for (;;) {
        int64_t left_ms = (deadline - sc_now_ns()) / 1000000;
        if (left_ms <= 0) { st = SC_E_TIMEOUT; break; }
        struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
        int r = poll(&pfd, 1, (int)left_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { st = r == 0 ? SC_E_TIMEOUT : SC_E_IO; break; }
        ssize_t n = read(fds[0], out + len, sizeof(out) - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;                       /* EOF: the child closed stdout */
        len += (size_t)n;
        if (len == sizeof(out) - 1) break;       /* more than a throttled= line: parse what we have */
    }
    close(fds[0]);
    if (st == SC_E_TIMEOUT) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (st != SC_OK) return st;
    out[len] = 0;
    /* Exit 127 with no output is the shell's and posix_spawn's "could not execute": some
     * implementations (qemu-user, OpenBSD) report a failed exec that way instead of an error
     * from posix_spawnp. POSIX allows it; treat it as not found. */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && len == 0) {
        *not_found = 1;
        return SC_E_IO;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return SC_E_FORMAT;
    return sc_sysmon_parse_throttled(out, bits) ? SC_OK : SC_E_FORMAT;
}

/* ---- the thread ---- */

static void read_temp_now(sc_sysmon *m)
{
    double c;
    if (!m->temp_path[0]) return;
    if (sc_sysmon_read_temp(m->temp_path, &c) == SC_OK)
        atomic_store(&m->temp_mc, (int)lround(c * 1000.0));
    else
        atomic_store(&m->temp_mc, TEMP_ABSENT);   /* a sensor that went away: absent, no log */
}

static void read_throttled_now(sc_sysmon *m)
{
    uint32_t bits;
    int not_found;
    if (!m->vcgencmd[0]) return;
    sc_status st = sc_sysmon_run_vcgencmd(m->vcgencmd, &bits, &not_found);
    if (st == SC_OK) {
        atomic_store(&m->throttled, (long long)bits);
        return;
    }
    /* Not installed is normal off a Pi: say nothing. A failing one (no /dev/vchiq access,
     * not a Pi) is said once, and it is not run again. */
    if (!not_found)
        sc_log_info("sysmon: `%s get_throttled` %s: throttling is not reported", m->vcgencmd,
                    st == SC_E_TIMEOUT ? "timed out" : "failed");
    m->vcgencmd[0] = 0;
    atomic_store(&m->throttled, -1);
}

static void *sysmon_main(void *arg)
{
    sc_sysmon *m = arg;
    pthread_setname_np(pthread_self(), "sc-sysmon");
    int64_t next_temp = sc_now_ns() + m->temp_interval_ns;
    int64_t next_thr = sc_now_ns() + m->throttle_interval_ns;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        int64_t now = sc_now_ns(), wake = SC_MIN(next_temp, next_thr);
        if (wake > now) {
            struct timespec ts = { (time_t)(wake / 1000000000), (long)(wake % 1000000000) };
            pthread_cond_timedwait(&m->cv, &m->mu, &ts);
            continue;   /* re-check stop and the clock */
        }
        pthread_mutex_unlock(&m->mu);   /* no lock across file reads or the spawn */
        if (now >= next_temp) {
            read_temp_now(m);
            next_temp = now + m->temp_interval_ns;
        }
        if (now >= next_thr) {
            read_throttled_now(m);
            next_thr = now + m->throttle_interval_ns;
        }
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

sc_status sc_sysmon_start(const sc_sysmon_cfg *cfg, sc_sysmon **out)
{
    *out = NULL;
    sc_sysmon *m = calloc(1, sizeof(*m));
    if (!m) return SC_E_NOMEM;
    const char *root = cfg && cfg->sysfs_root ? cfg->sysfs_root : getenv("SSDCAM_SYSFS_ROOT");
    const char *vc = cfg && cfg->vcgencmd ? cfg->vcgencmd : getenv("SSDCAM_VCGENCMD");
    if (!root || !*root) root = "/sys";
    if (!vc) vc = "vcgencmd";
    snprintf(m->vcgencmd, sizeof(m->vcgencmd), "%s", vc);
    m->temp_interval_ns = cfg && cfg->temp_interval_ns > 0 ? cfg->temp_interval_ns : 2000000000LL;
    m->throttle_interval_ns = cfg && cfg->throttle_interval_ns > 0 ? cfg->throttle_interval_ns : 5000000000LL;
    atomic_init(&m->temp_mc, TEMP_ABSENT);
    atomic_init(&m->throttled, -1);
    if (sc_sysmon_find_zone(root, m->temp_path, sizeof(m->temp_path), m->zone_type, sizeof(m->zone_type)) == SC_OK)
        sc_log_info("sysmon: CPU temperature from %s (%s)", m->temp_path, m->zone_type);
    else
        sc_log_info("sysmon: no thermal zone under %s/class/thermal: CPU temperature not reported", root);
    read_temp_now(m);
    read_throttled_now(m);

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    int e = pthread_create(&m->thread, NULL, sysmon_main, m);
    if (e != 0) {
        sc_log_errno(e, "sysmon: starting the thread");
        sc_sysmon_stop(m);
        return SC_E_IO;
    }
    m->started = 1;
    *out = m;
    return SC_OK;
}

void sc_sysmon_get(const sc_sysmon *m, sc_sysmon_reading *out)
{
    memset(out, 0, sizeof(*out));
    if (!m) return;
    int t = atomic_load(&((sc_sysmon *)m)->temp_mc);
    long long th = atomic_load(&((sc_sysmon *)m)->throttled);
    if (t != TEMP_ABSENT) {
        out->has_temp = 1;
        out->cpu_temp_c = t / 1000.0;
    }
    if (th >= 0) {
        out->has_throttled = 1;
        out->throttled = (uint32_t)th;
    }
}

const char *sc_sysmon_zone_type(const sc_sysmon *m)
{
    return m && m->temp_path[0] ? m->zone_type : NULL;
}

void sc_sysmon_stop(sc_sysmon *m)
{
    if (!m) return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_signal(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}
