/* models/labels.h — class id ↔ name, read from a label map text file.
 *
 * The file has one name per line ("\n" or "\r\n" endings; a final line without a newline
 * counts; a UTF-8 byte-order mark is skipped). Spaces and tabs around a name are trimmed;
 * inner spaces stay ("traffic light"). Blank lines at the very end are ignored.
 * Line `offset + k` (0-based) names output class k: the COCO file labelmap.txt has line 0
 * "???" for the background, so load it with offset 1 and class 0 is "person". Names are
 * kept as written, including the "???" the COCO file uses for its unused ids.
 *
 * An sc_labels is immutable after load: every function below is thread-safe. */
#ifndef SC_MODELS_LABELS_H
#define SC_MODELS_LABELS_H

#include "core/base.h"

#define SC_LABELS_MAX_NAME 127        /* bytes in one name (after trimming) */
#define SC_LABELS_MAX_LINES 65536     /* lines in a file */
#define SC_LABELS_FALLBACK_IDS 1024   /* ids 0..1023 get a "class N" fallback text */

typedef struct sc_labels sc_labels;

/* Loads `path`. Errors are logged once, naming the file (and the line where one applies):
 * SC_E_IO when it cannot be opened or read; SC_E_FORMAT for an empty file, a line longer
 * than SC_LABELS_MAX_NAME, a NUL byte, more than SC_LABELS_MAX_LINES lines, or no line left
 * after `offset`; SC_E_INVAL for a negative offset; SC_E_NOMEM. On failure *out = NULL. */
sc_status sc_labels_load(const char *path, int offset, sc_labels **out);

/* NULL is a no-op. Every string returned by sc_labels_name dies with the object. */
void sc_labels_destroy(sc_labels *l);

/* Number of class ids named by the file: lines - offset (>= 1). */
int sc_labels_count(const sc_labels *l);

/* The name of class_id. Never NULL. For an id without a name — outside 0..count-1, or a
 * blank line — it returns "class N" (e.g. "class 123") for 0 <= N < SC_LABELS_FALLBACK_IDS,
 * and "class ?" for any other id. Storage: the names and the fallback texts are built at
 * load time inside the sc_labels (the "class ?" text is a string literal), so the pointer
 * stays valid until sc_labels_destroy, and concurrent calls are safe. */
const char *sc_labels_name(const sc_labels *l, int class_id);

/* 1 when class_id has a name from the file (in range, not a blank line), else 0. */
int sc_labels_has(const sc_labels *l, int class_id);

/* The lowest class id whose name equals `name` exactly, or -1. */
int sc_labels_find(const sc_labels *l, const char *name);

#endif
