/* tests/fuzz/fuzz_config.c — libFuzzer target for the YAML configuration (app/config.c).
 *
 * Build: CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
 *        ninja -C build-fuzz tests/fuzz_config
 * Run:   build-fuzz/tests/fuzz_config -max_total_time=60 -max_len=4096 CORPUS_DIR config tests/fixtures
 *
 * Each input is read as a configuration file; when it loads, the printed configuration must
 * load back to equal values and print the same text again (any difference aborts). The
 * input's first line is also tried as a `--set KEY=VALUE` override. Besides the sanitizers'
 * findings, the error text must be one or more "NAME:..." / "--set: ..." lines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void print_to(const sc_config *c, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    if (!f || sc_config_print(c, f) != SC_OK) abort();
    fclose(f);
}

static void check_err_lines(const char *err, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *line = err; *line;) {
        if (strncmp(line, prefix, n) && strncmp(line, "(too many errors", 16)) abort();
        const char *nl = strchr(line, '\n');
        if (!nl) break;
        line = nl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char err[4096];   /* scratch only: not state carried between inputs */
    sc_config *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *ref = malloc(sizeof(*ref));
    if (!a || !b || !ref) abort();
    sc_config_defaults(a);
    sc_config_defaults(ref);

    sc_status st = sc_config_load_mem(a, data, size, "fuzz.yaml", err, sizeof(err));
    if (st == SC_OK) {
        char *t1, *t2;
        size_t n1, n2;
        print_to(a, &t1, &n1);
        sc_config_defaults(b);
        if (sc_config_load_mem(b, t1, n1, "printed.yaml", err, sizeof(err)) != SC_OK) {
            fprintf(stderr, "printed config does not load: %s\n%s", err, t1);
            abort();
        }
        if (!sc_config_equal(a, b)) {
            fprintf(stderr, "printed config loads to other values:\n%s", t1);
            abort();
        }
        print_to(b, &t2, &n2);
        if (n1 != n2 || memcmp(t1, t2, n1)) abort();
        free(t1);
        free(t2);
        sc_config_check(a, err, sizeof(err));
    } else {
        if (!err[0]) abort();
        check_err_lines(err, "fuzz.yaml:");
        if (!sc_config_equal(a, ref) || memcmp(a, ref, sizeof(*a))) abort();   /* unchanged on failure */
    }

    /* the first line as an override */
    size_t n = 0;
    while (n < size && n < 8192 && data[n] != '\n') n++;
    char *line = malloc(n + 1);
    if (!line) abort();
    memcpy(line, data, n);
    line[n] = 0;
    if (!memchr(line, 0, n)) {
        memcpy(b, a, sizeof(*a));
        if (sc_config_set(b, line, err, sizeof(err)) != SC_OK) {
            check_err_lines(err, "--set: ");
            if (memcmp(a, b, sizeof(*a))) abort();
        }
    }
    free(line);
    free(a);
    free(b);
    free(ref);
    return 0;
}
