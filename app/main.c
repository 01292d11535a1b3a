/* app/main.c — the ssdcam executable: subcommand dispatch and exit codes.
 * Only this layer calls exit(); subcommands return an exit code (app/cmds.h). */
#include <stdio.h>
#include <string.h>

#include "app/cmds.h"
#include "core/log.h"
#include "sc_config.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    { "info", sc_cmd_info, "print MobileNet layer costs (paper figures) or a model file's" },
    { "detect", sc_cmd_detect, "detect objects in still images, print JSON" },
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
    if (argc < 2) { usage(stderr); return SC_EXIT_USAGE; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return SC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ssdcam %s\n", SC_VERSION);
        return SC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    sc_log_error("unknown command '%s' (try `ssdcam --help`)", argv[1]);
    return SC_EXIT_USAGE;
}
