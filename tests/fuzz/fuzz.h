/* tests/fuzz/fuzz.h — what every libFuzzer target here defines, and what replay_main.c calls.
 *
 * Each target is one file with LLVMFuzzerTestOneInput() (and LLVMFuzzerInitialize()). Under
 * clang with -Dfuzz=true it links libFuzzer; in every build it also links replay_main.c, a tiny
 * main that feeds it the files named on the command line, so the regression inputs in
 * tests/fuzz/regress/<target>/ run as ordinary unit tests under gcc, ASan and UBSan.
 * A target reports a broken invariant by abort(), as libFuzzer expects. */
#ifndef SC_TESTS_FUZZ_H
#define SC_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
