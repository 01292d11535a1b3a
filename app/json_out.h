/* app/json_out.h — small helpers for the commands that print JSON (detect, devices, capture). */
#ifndef SC_APP_JSON_OUT_H
#define SC_APP_JSON_OUT_H

#include <stdio.h>

/* Writes s as a JSON string literal: quotes, backslashes and control characters escaped,
 * other bytes (UTF-8 included) as they are. */
void sc_json_str(FILE *f, const char *s);

#endif
