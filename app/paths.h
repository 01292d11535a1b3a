/* app/paths.h — where ssdcam finds its data files (models, demo input) by default. */
#ifndef SC_APP_PATHS_H
#define SC_APP_PATHS_H

#include <stddef.h>

#define SC_DEFAULT_MODEL_REL "models/ssd_mobilenet_v1_coco_quant/detect.tflite"

/* Finds `rel` (a path under assets/) in, in order: $SSDCAM_ASSETS, ./assets, the assets/
 * folder of the source tree the executable was built in (…/build/app/ssdcam → …/assets), and
 * /usr/local/share/ssdcam. Writes the first that exists to buf and returns 1; otherwise
 * writes the ./assets candidate (for the error message) and returns 0. */
int sc_find_asset(const char *rel, char *buf, size_t n);

/* `path` with its last component replaced by `name` ("a/b/detect.tflite" → "a/b/labelmap.txt"). */
void sc_sibling_path(const char *path, const char *name, char *buf, size_t n);

#endif
