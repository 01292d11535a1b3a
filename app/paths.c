#include "app/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exists(const char *p) { return access(p, R_OK) == 0; }

int sc_find_asset(const char *rel, char *buf, size_t n)
{
    if (!buf || n == 0) return 0;
    const char *env = getenv("SSDCAM_ASSETS");
    if (env && *env) {
        snprintf(buf, n, "%s/%s", env, rel);
        if (exists(buf)) return 1;
    }
    snprintf(buf, n, "assets/%s", rel);
    if (exists(buf)) return 1;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len > 0) {
        exe[len] = 0;
        /* build/app/ssdcam → strip three components to reach the source tree */
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash) break;
            *slash = 0;
        }
        snprintf(buf, n, "%s/assets/%s", exe, rel);
        if (exists(buf)) return 1;
    }
    snprintf(buf, n, "/usr/local/share/ssdcam/%s", rel);
    if (exists(buf)) return 1;
    snprintf(buf, n, "assets/%s", rel);
    return exists(buf);
}

void sc_sibling_path(const char *path, const char *name, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash) { snprintf(buf, n, "%s", name); return; }
    snprintf(buf, n, "%.*s/%s", (int)(slash - path), path, name);
}
