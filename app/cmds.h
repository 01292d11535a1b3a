/* app/cmds.h — the subcommands of the ssdcam executable. Each takes the arguments after its
 * own name (argv[0] is the subcommand name) and returns a process exit code (see main.c). */
#ifndef SC_APP_CMDS_H
#define SC_APP_CMDS_H

/* Exit codes, documented in README.md and `ssdcam --help`. */
enum {
    SC_EXIT_OK = 0,
    SC_EXIT_FAIL = 1,      /* runtime failure (I/O, device lost for good, ...) */
    SC_EXIT_USAGE = 2,     /* bad command line or configuration */
    SC_EXIT_MODEL = 3,     /* model file missing, corrupt or unsupported */
    SC_EXIT_INPUT = 4      /* an input image could not be read or decoded */
};

int sc_cmd_info(int argc, char **argv);
/* `ssdcam info MODEL.tflite` (app/cmd_info_model.c): describes a model file's layers; called by
 * sc_cmd_info() when its one argument ends in .tflite. Returns an exit code. */
int sc_cmd_info_model(const char *path);
int sc_cmd_detect(int argc, char **argv);
/* `ssdcam [run]`: the live pipeline (app/cmd_run.c, app/pipeline.c). */
int sc_cmd_run(int argc, char **argv);
/* `ssdcam devices` (app/cmd_devices.c): the V4L2 capture devices and their formats. */
int sc_cmd_devices(int argc, char **argv);
/* `ssdcam capture` (app/cmd_capture.c): frames from a camera or file source as JSON Lines. */
int sc_cmd_capture(int argc, char **argv);
/* `ssdcam bench` (app/cmd_bench.c): engine timings end to end and per layer. */
int sc_cmd_bench(int argc, char **argv);

#endif
