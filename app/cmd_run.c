/* app/cmd_run.c — `ssdcam run` (the default command): configuration, then the live pipeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmds.h"
#include "app/config.h"
#include "app/paths.h"
#include "app/pipeline.h"
#include "core/log.h"

#define MAX_SETS 64

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ssdcam [run] [OPTIONS]\n"
        "Live detection: the first camera (else the demo photos), in a window when a display is\n"
        "available (else headless, logging detections as JSON Lines to log.path or stdout).\n\n"
        "  --config FILE        YAML settings (see config/default.yaml; default: built-in defaults)\n"
        "  --set KEY=VALUE      override one setting, e.g. --set detection.threshold=0.6 (repeatable)\n"
        "  --headless           same as --set display.enabled=off\n"
        "  --check-config       validate the configuration and exit (0 ok, 2 errors)\n"
        "  --print-config       print the effective configuration as YAML and exit\n"
        "  --frames N           stop after N processed frames\n"
        "  --seconds S          stop after S seconds\n"
        "  --quiet              no periodic status lines\n"
        "Signals: SIGINT/SIGTERM stop cleanly, SIGHUP reopens the log file (logrotate).\n"
        "Log lines carry per-stage times (decode_ms, resize_ms, network_ms, post_ms; with a window\n"
        "display_ms, screen_ms) and, where present, cpu_temp_c and throttled (vcgencmd bits).\n"
        "Environment: SSDCAM_SYSFS_ROOT (instead of /sys for the CPU temperature), SSDCAM_VCGENCMD\n"
        "(instead of vcgencmd; empty: none).\n"
        "Keys in the window: q/Esc quit, space pause, +/- rho, s snapshot, f fullscreen, h HUD.\n"
        "exit codes: 0 ok, 1 runtime failure, 2 configuration or usage error, 3 model error\n");
}

int sc_cmd_run(int argc, char **argv)
{
    const char *config_path = NULL;
    const char *sets[MAX_SETS];
    int n_sets = 0, check = 0, print = 0;
    sc_run_opts opts = { 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return SC_EXIT_OK; }
        else if (!strcmp(a, "--config") && more) config_path = argv[++i];
        else if (!strcmp(a, "--set") && more) {
            if (n_sets == MAX_SETS) { sc_log_error("run: more than %d --set options", MAX_SETS); return SC_EXIT_USAGE; }
            sets[n_sets++] = argv[++i];
        }
        else if (!strcmp(a, "--headless")) {
            if (n_sets == MAX_SETS) return SC_EXIT_USAGE;
            sets[n_sets++] = "display.enabled=off";
        }
        else if (!strcmp(a, "--check-config")) check = 1;
        else if (!strcmp(a, "--print-config")) print = 1;
        else if (!strcmp(a, "--quiet")) opts.quiet = 1;
        else if ((!strcmp(a, "--frames") || !strcmp(a, "--seconds")) && more) {
            char *end;
            double v = strtod(argv[++i], &end);
            if (*end || v <= 0 || v > 1e12) { sc_log_error("run: %s '%s': expected a positive number", a, argv[i]); return SC_EXIT_USAGE; }
            if (a[2] == 'f') opts.max_results = (int64_t)v; else opts.max_seconds = v;
        }
        else {
            sc_log_error("run: %s '%s' (see `ssdcam run --help`)", a[0] == '-' ? "unknown option or missing value:" : "unexpected argument", a);
            return SC_EXIT_USAGE;
        }
    }
    sc_config *cfg = malloc(sizeof(*cfg));
    char *err = malloc(8192);
    int rc = SC_EXIT_USAGE;
    if (!cfg || !err) { free(cfg); free(err); return SC_EXIT_FAIL; }
    if (sc_config_build(cfg, config_path, sets, n_sets, err, 8192) != SC_OK) {
        /* one error per line, each already "file:line:column: message" */
        for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n")) sc_log_error("%s", line);
        goto out;
    }
    if (check) { printf("%s: ok\n", config_path ? config_path : "(defaults)"); rc = SC_EXIT_OK; goto out; }
    if (print) { rc = sc_config_print(cfg, stdout) == SC_OK ? SC_EXIT_OK : SC_EXIT_FAIL; goto out; }
    rc = sc_pipeline_run(cfg, &opts);
out:
    free(err);
    free(cfg);
    return rc;
}
