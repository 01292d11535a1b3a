/* tests/unit/test_sysmon.c — app/sysmon.h on fake sysfs trees and fake vcgencmd scripts:
 * zone choice (cpu-thermal / x86_pkg_temp preferred, else the first readable zone), temp
 * parsing, throttled parsing and wording, the spawn (output, failure, missing, timeout), the
 * thread publishing values, and a read of this machine's real /sys. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/sysmon.h"
#include "core/clock.h"
#include "tests/harness.h"

static char g_tmp[256];

static void put_file(const char *rel, const char *text, int mode)
{
    char path[512], dir[512];
    snprintf(path, sizeof(path), "%s/%s", g_tmp, rel);
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + strlen(g_tmp) + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(dir, 0755); *p = '/'; }
    /* written aside and renamed: the sysmon thread may be running the old script */
    char tmp[520];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (!f) { fprintf(stderr, "cannot write %s\n", tmp); exit(1); }
    fputs(text, f);
    fclose(f);
    if (mode) chmod(tmp, (mode_t)mode);
    if (rename(tmp, path) != 0) { perror(path); exit(1); }
}

static void zone(const char *root, int n, const char *type, const char *temp)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "%s/class/thermal/thermal_zone%d/type", root, n);
    put_file(rel, type, 0);
    if (temp) {
        snprintf(rel, sizeof(rel), "%s/class/thermal/thermal_zone%d/temp", root, n);
        put_file(rel, temp, 0);
    }
}

static void root_path(const char *root, char *out, size_t n) { snprintf(out, n, "%s/%s", g_tmp, root); }

int main(void)
{
    char path[512], type[64], root[300], buf[160];
    double c = 0;
    uint32_t bits = 0;
    int nf = 0;

    snprintf(g_tmp, sizeof(g_tmp), "/tmp/sc_sysmon_XXXXXX");
    if (!mkdtemp(g_tmp)) { perror("mkdtemp"); return 1; }

    /* --- temp files --- */
    put_file("t_ok", "51540\n", 0);
    put_file("t_neg", "-1250\n", 0);
    put_file("t_bad", "hot\n", 0);
    put_file("t_dead", "-274000\n", 0);
    put_file("t_empty", "", 0);
    snprintf(path, sizeof(path), "%s/t_ok", g_tmp);
    CHECK(sc_sysmon_read_temp(path, &c) == SC_OK);
    CHECK_NEAR(c, 51.54, 1e-9);
    snprintf(path, sizeof(path), "%s/t_neg", g_tmp);
    CHECK(sc_sysmon_read_temp(path, &c) == SC_OK);
    CHECK_NEAR(c, -1.25, 1e-9);
    snprintf(path, sizeof(path), "%s/t_bad", g_tmp);
    CHECK_EQ_INT(sc_sysmon_read_temp(path, &c), SC_E_FORMAT);
    snprintf(path, sizeof(path), "%s/t_dead", g_tmp);
    CHECK_EQ_INT(sc_sysmon_read_temp(path, &c), SC_E_FORMAT);
    snprintf(path, sizeof(path), "%s/t_empty", g_tmp);
    CHECK_EQ_INT(sc_sysmon_read_temp(path, &c), SC_E_IO);
    snprintf(path, sizeof(path), "%s/t_missing", g_tmp);
    CHECK_EQ_INT(sc_sysmon_read_temp(path, &c), SC_E_IO);

    /* --- zone choice --- */
    /* a Pi: cpu-thermal is zone 0 */
    zone("pi", 0, "cpu-thermal\n", "48312\n");
    put_file("pi/class/thermal/cooling_device0/type", "gpio-fan\n", 0);
    root_path("pi", root, sizeof(root));
    CHECK(sc_sysmon_find_zone(root, path, sizeof(path), type, sizeof(type)) == SC_OK);
    CHECK(strstr(path, "/thermal_zone0/temp") != NULL);
    CHECK(!strcmp(type, "cpu-thermal"));
    /* a PC: acpitz first, x86_pkg_temp later (and thermal_zone10 sorts after 2) */
    zone("pc", 0, "acpitz\n", "27800\n");
    zone("pc", 2, "iwlwifi_1\n", "40000\n");
    zone("pc", 10, "x86_pkg_temp\n", "61000\n");
    root_path("pc", root, sizeof(root));
    CHECK(sc_sysmon_find_zone(root, path, sizeof(path), type, sizeof(type)) == SC_OK);
    CHECKF(strstr(path, "/thermal_zone10/temp") != NULL, "pc zone: %s", path);
    CHECK(!strcmp(type, "x86_pkg_temp"));
    /* neither: the lowest-numbered readable zone (zone 1's temp is unreadable) */
    zone("other", 1, "soc\n", "bogus\n");
    zone("other", 3, "gpu\n", "45000\n");
    zone("other", 12, "ddr\n", "44000\n");
    root_path("other", root, sizeof(root));
    CHECK(sc_sysmon_find_zone(root, path, sizeof(path), type, sizeof(type)) == SC_OK);
    CHECKF(strstr(path, "/thermal_zone3/temp") != NULL, "fallback zone: %s", path);
    CHECK(!strcmp(type, "gpu"));
    /* a preferred type whose temp does not read is skipped */
    zone("broken", 0, "cpu-thermal\n", NULL);
    zone("broken", 1, "gpu\n", "45000\n");
    root_path("broken", root, sizeof(root));
    CHECK(sc_sysmon_find_zone(root, path, sizeof(path), type, sizeof(type)) == SC_OK);
    CHECK(strstr(path, "/thermal_zone1/temp") != NULL);
    /* no zones, no directory */
    put_file("empty/class/thermal/cooling_device0/type", "fan\n", 0);
    root_path("empty", root, sizeof(root));
    CHECK_EQ_INT(sc_sysmon_find_zone(root, path, sizeof(path), type, sizeof(type)), SC_E_IO);
    root_path("nothing", root, sizeof(root));
    CHECK_EQ_INT(sc_sysmon_find_zone(root, path, sizeof(path), type, sizeof(type)), SC_E_IO);

    /* --- throttled parsing and wording --- */
    CHECK(sc_sysmon_parse_throttled("throttled=0x50005\n", &bits) && bits == 0x50005);
    CHECK(sc_sysmon_parse_throttled("throttled=0x0\n", &bits) && bits == 0);
    CHECK(sc_sysmon_parse_throttled("0x80008", &bits) && bits == 0x80008);
    CHECK(sc_sysmon_parse_throttled("12", &bits) && bits == 12);
    CHECK(!sc_sysmon_parse_throttled("throttled=", &bits));
    CHECK(!sc_sysmon_parse_throttled("VCHI initialization failed\n", &bits));
    CHECK(!sc_sysmon_parse_throttled("throttled=0x1 junk", &bits));
    CHECK(!sc_sysmon_parse_throttled("throttled=0x1ffffffff", &bits));
    CHECK(!strcmp(sc_sysmon_throttled_str(0, buf, sizeof(buf)), "ok"));
    CHECKF(!strcmp(sc_sysmon_throttled_str(0x50005, buf, sizeof(buf)), "under-voltage, throttled"), "%s", buf);
    CHECKF(!strcmp(sc_sysmon_throttled_str(0x70005, buf, sizeof(buf)),
                   "under-voltage, throttled (since boot: capped)"), "%s", buf);
    CHECKF(!strcmp(sc_sysmon_throttled_str(0x50000, buf, sizeof(buf)),
                   "since boot: under-voltage, throttled"), "%s", buf);
    CHECKF(!strcmp(sc_sysmon_throttled_str(0xA, buf, sizeof(buf)), "capped, soft-limit"), "%s", buf);
    {
        char tiny[8];
        sc_sysmon_throttled_str(0xF000F, tiny, sizeof(tiny));
        CHECK(strlen(tiny) == 7);   /* cut, terminated */
    }

    /* --- the spawn --- */
    char vc_ok[512], vc_fail[512], vc_slow[512], vc_args[512];
    put_file("bin/vc_ok", "#!/bin/sh\necho throttled=0x50005\n", 0755);
    put_file("bin/vc_fail", "#!/bin/sh\necho 'VCHI initialization failed'\nexit 255\n", 0755);
    put_file("bin/vc_slow", "#!/bin/sh\nexec sleep 10\n", 0755);
    /* prints the bits only when called with exactly the argument get_throttled */
    put_file("bin/vc_args", "#!/bin/sh\n[ \"$#\" = 1 ] && [ \"$1\" = get_throttled ] && echo throttled=0x4 && exit 0\nexit 1\n", 0755);
    snprintf(vc_ok, sizeof(vc_ok), "%s/bin/vc_ok", g_tmp);
    snprintf(vc_fail, sizeof(vc_fail), "%s/bin/vc_fail", g_tmp);
    snprintf(vc_slow, sizeof(vc_slow), "%s/bin/vc_slow", g_tmp);
    snprintf(vc_args, sizeof(vc_args), "%s/bin/vc_args", g_tmp);
    bits = 0;
    CHECK(sc_sysmon_run_vcgencmd(vc_ok, &bits, &nf) == SC_OK && bits == 0x50005 && !nf);
    CHECK(sc_sysmon_run_vcgencmd(vc_args, &bits, &nf) == SC_OK && bits == 0x4);
    CHECK_EQ_INT(sc_sysmon_run_vcgencmd(vc_fail, &bits, &nf), SC_E_FORMAT);
    CHECK_EQ_INT(nf, 0);
    CHECK_EQ_INT(sc_sysmon_run_vcgencmd("/nonexistent/vcgencmd", &bits, &nf), SC_E_IO);
    CHECK_EQ_INT(nf, 1);
    CHECK_EQ_INT(sc_sysmon_run_vcgencmd("sc-no-such-command-xyz", &bits, &nf), SC_E_IO);
    CHECK_EQ_INT(nf, 1);
    /* a failed exec reported as exit 127 with no output (qemu-user, OpenBSD): not found too */
    char vc_127[512];
    put_file("bin/vc_127", "#!/bin/sh\nexit 127\n", 0755);
    snprintf(vc_127, sizeof(vc_127), "%s/bin/vc_127", g_tmp);
    CHECK_EQ_INT(sc_sysmon_run_vcgencmd(vc_127, &bits, &nf), SC_E_IO);
    CHECK_EQ_INT(nf, 1);
    {
        int64_t t0 = sc_now_ns();
        CHECK_EQ_INT(sc_sysmon_run_vcgencmd(vc_slow, &bits, &nf), SC_E_TIMEOUT);
        double dt = (double)(sc_now_ns() - t0) / 1e9;
        CHECKF(dt >= 1.9 && dt < 4.0, "timeout after %.2f s", dt);
    }

    /* --- the thread: values published, then updated --- */
    {
        sc_sysmon_cfg cfg = { 0 };
        sc_sysmon *m = NULL;
        sc_sysmon_reading r;
        root_path("pi", root, sizeof(root));
        cfg.sysfs_root = root;
        cfg.vcgencmd = vc_ok;
        cfg.temp_interval_ns = 50000000;       /* 50 ms */
        cfg.throttle_interval_ns = 100000000;  /* 100 ms */
        CHECK(sc_sysmon_start(&cfg, &m) == SC_OK && m);
        sc_sysmon_get(m, &r);
        CHECK(r.has_temp && r.has_throttled);
        CHECK_NEAR(r.cpu_temp_c, 48.312, 1e-9);
        CHECK_EQ_INT(r.throttled, 0x50005);
        CHECK(sc_sysmon_zone_type(m) && !strcmp(sc_sysmon_zone_type(m), "cpu-thermal"));
        zone("pi", 0, "cpu-thermal\n", "71000\n");   /* the Pi heats up */
        put_file("bin/vc_ok", "#!/bin/sh\necho throttled=0x0\n", 0755);
        int64_t t0 = sc_now_ns();
        do {
            usleep(20000);
            sc_sysmon_get(m, &r);
        } while ((r.cpu_temp_c < 70 || r.throttled != 0) && sc_now_ns() - t0 < 3000000000LL);
        CHECK_NEAR(r.cpu_temp_c, 71.0, 1e-9);
        CHECK_EQ_INT(r.throttled, 0);
        t0 = sc_now_ns();
        sc_sysmon_stop(m);
        CHECKF(sc_now_ns() - t0 < 500000000LL, "stop took %.0f ms", (sc_now_ns() - t0) / 1e6);
    }
    {   /* absent everything: fields absent; a failing vcgencmd is not retried */
        sc_sysmon_cfg cfg = { 0 };
        sc_sysmon *m = NULL;
        sc_sysmon_reading r;
        root_path("empty", root, sizeof(root));
        cfg.sysfs_root = root;
        cfg.vcgencmd = vc_fail;
        cfg.temp_interval_ns = 10000000;
        cfg.throttle_interval_ns = 10000000;
        CHECK(sc_sysmon_start(&cfg, &m) == SC_OK);
        put_file("bin/vc_fail", "#!/bin/sh\necho throttled=0x1\n", 0755);   /* would now work */
        usleep(200000);
        sc_sysmon_get(m, &r);
        CHECK(!r.has_temp && !r.has_throttled);
        CHECK(sc_sysmon_zone_type(m) == NULL);
        sc_sysmon_stop(m);
        sc_sysmon_stop(NULL);
    }
    {   /* the environment picks the root and the command when cfg leaves them NULL */
        sc_sysmon *m = NULL;
        sc_sysmon_reading r;
        root_path("pc", root, sizeof(root));
        setenv("SSDCAM_SYSFS_ROOT", root, 1);
        setenv("SSDCAM_VCGENCMD", vc_args, 1);
        CHECK(sc_sysmon_start(NULL, &m) == SC_OK);
        sc_sysmon_get(m, &r);
        CHECK(r.has_temp && r.has_throttled && r.throttled == 0x4);
        CHECK_NEAR(r.cpu_temp_c, 61.0, 1e-9);
        sc_sysmon_stop(m);
        unsetenv("SSDCAM_SYSFS_ROOT");
        unsetenv("SSDCAM_VCGENCMD");
    }

    /* --- this machine's real /sys (whatever it has must be consistent) --- */
    {
        sc_status st = sc_sysmon_find_zone("/sys", path, sizeof(path), type, sizeof(type));
        if (st == SC_OK) {
            CHECK(sc_sysmon_read_temp(path, &c) == SC_OK);
            CHECKF(c > -40 && c < 130, "real %s: %.1f C", path, c);
            printf("real /sys: %s (%s): %.1f C\n", path, type, c);
        } else {
            CHECK_EQ_INT(st, SC_E_IO);
            printf("real /sys: no readable thermal zone (temperature would be omitted)\n");
        }
        int rnf = 0;
        st = sc_sysmon_run_vcgencmd("vcgencmd", &bits, &rnf);
        printf("real vcgencmd: %s\n", st == SC_OK ? "present" : rnf ? "not installed" : sc_status_str(st));
    }

    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmp);
    return sc_test_finish();
}
