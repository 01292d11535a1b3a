/* app/main.c — the ssdcam executable: subcommand dispatch and exit codes.
 * Only this layer calls exit(); subcommands return an exit code (app/cmds.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app/cmds.h"
#include "app/image_io.h"
#include "core/log.h"
#include "sc_config.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    { "run", sc_cmd_run, "live detection from a camera (the default command)" },
    { "info", sc_cmd_info, "print MobileNet layer costs (paper figures) or a model file's" },
    { "detect", sc_cmd_detect, "detect objects in still images, print JSON" },
    { "devices", sc_cmd_devices, "list the V4L2 cameras with their formats, sizes and rates" },
    { "capture", sc_cmd_capture, "capture frames from a camera or file source, print JSON" },
    { "bench", sc_cmd_bench, "time the engine: end to end and per layer, 1 and 2 threads" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ssdcam [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`ssdcam COMMAND --help` describes each command.\n"
               "\nexit codes: 0 ok, 1 runtime failure, 2 usage or configuration error,\n"
               "            3 model file missing/corrupt/unsupported, 4 input image unreadable\n");
}

int main(int argc, char **argv)
{
    /* The main thread takes the signals (sigtimedwait in app/pipeline.c); every thread
     * started from here on inherits this mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);   /* a closed stdout or log pipe is an error return, not a kill */
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") && strcmp(argv[1], "-h") &&
        strcmp(argv[1], "--version")))
        return sc_cmd_run(argc, argv);   /* `ssdcam [run] [OPTIONS]` */
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return SC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ssdcam %s\n", SC_VERSION);
        /* the JPEG decoder in use (tests/model/test_reference.py reads it) */
        printf("jpeg: %s%s\n", sc_jpeg_backend_name(SC_JPEG_AUTO),
               sc_jpeg_backend_default() == SC_JPEG_TURBO ? " (stb_image for CMYK)" : "");
        return SC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    sc_log_error("unknown command '%s' (try `ssdcam --help`)", argv[1]);
    return SC_EXIT_USAGE;
}
