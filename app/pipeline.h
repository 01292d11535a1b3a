/* app/pipeline.h — the live pipeline behind `ssdcam run`: capture → inference → display or log.
 * See the DESIGN comment in pipeline.c. */
#ifndef SC_APP_PIPELINE_H
#define SC_APP_PIPELINE_H

#include <stdint.h>

#include "app/config.h"

typedef struct sc_run_opts {
    int64_t max_results;     /* stop after this many processed frames (0 = run until stopped) */
    double max_seconds;      /* stop after this long (0 = no limit) */
    int quiet;               /* no periodic status lines on stderr */
} sc_run_opts;

/* Runs until SIGINT/SIGTERM, q/Esc in the window, the end of a non-looping file source, or a
 * limit in opts. Returns a process exit code (app/cmds.h). Must be called on the main thread
 * with SIGINT, SIGTERM and SIGHUP blocked (main.c does it), so that every thread it starts
 * inherits the mask and the main thread alone takes the signals. */
int sc_pipeline_run(const sc_config *cfg, const sc_run_opts *opts);

#endif
