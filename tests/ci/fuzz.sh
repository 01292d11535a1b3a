#!/usr/bin/env bash
# tests/ci/fuzz.sh — the fuzz configuration of scripts/test.sh (issue 8): builds the libFuzzer
# targets (tests/fuzz/*.c) with clang, ASan and UBSan in build-test-fuzz, makes the seed corpora
# (tests/fuzz/seeds.sh), runs each target for a bounded time (SC_FUZZ_SECONDS, default 45 s),
# then replays the regression inputs (tests/fuzz/regress/NAME/) and the real 4 MB model through
# the fuzz builds. Each run starts from a fixed seed (SC_FUZZ_SEED, default 1), so a CI run on a
# fresh clone explores the same way from run to run (libFuzzer is not fully deterministic: the
# time bound and the addresses it sees in comparisons vary; hunt with other seeds by hand:
# SC_FUZZ_SEED=N SC_FUZZ_SECONDS=600). The corpora found are kept in build-test-fuzz/fuzz-corpus/
# and grow from run to run; a crash, leak, timeout or broken invariant leaves its input in build-test-fuzz/fuzz-
# artifacts/ (minimise it, fix the code, and add it to tests/fuzz/regress/NAME/).
# Last line: "N passed, N failed" — one count per target's fuzz run and one per replay.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

dir=build-test-fuzz
secs=${SC_FUZZ_SECONDS:-45}
seed=${SC_FUZZ_SEED:-1}
targets=(config tflite image mjpeg)
declare -A max_len=([config]=4096 [tflite]=32768 [image]=65536 [mjpeg]=65536)
pass=0 fail=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1   # undefined behaviour is a failure too

finish() {
    echo "$pass passed, $fail failed"
    ((fail == 0))
    exit
}

if ! command -v clang >/dev/null; then
    echo "fuzz: clang not found (scripts/setup.sh installs it)"
    fail=1; finish
fi
if ! CC=clang sc_meson_configure "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized ||
   ! nice ninja -C "$dir" "${targets[@]/#/tests/fuzz_}" tests/mkframes; then
    echo "fuzz: BUILD FAILED (libFuzzer needs clang and libclang-rt-14-dev)"
    fail=1; finish
fi
if ! bash tests/fuzz/seeds.sh "$dir/fuzz-seeds" "$dir/tests/mkframes"; then
    echo "fuzz: making the seed corpora failed"
    fail=1; finish
fi

mkdir -p "$dir/fuzz-artifacts" "$dir/fuzz-logs"
for t in "${targets[@]}"; do
    corpus=$dir/fuzz-corpus/$t log=$dir/fuzz-logs/$t.log
    mkdir -p "$corpus"
    echo "== fuzz_$t: ${secs} s, seed $seed, seeds $dir/fuzz-seeds/$t, corpus $corpus"
    if nice "$dir/tests/fuzz_$t" -max_total_time="$secs" -seed="$seed" -timeout=10 -rss_limit_mb=2048 \
            -max_len="${max_len[$t]}" -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/$t-" \
            "$corpus" "$dir/fuzz-seeds/$t" >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1
        grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" | tr '\n' ' '
        echo
        pass=$((pass + 1))
    else
        echo "fuzz_$t: FAILED (log $log)"
        grep -E 'ERROR|SUMMARY|Test unit written|^    #[0-9]' "$log" | head -30
        fail=$((fail + 1))
    fi
done

# Replays: each input once through the fuzz build (libFuzzer runs files given as arguments).
for t in "${targets[@]}"; do
    inputs=()
    while IFS= read -r -d '' f; do inputs+=("$f"); done \
        < <(find "tests/fuzz/regress/$t" -type f ! -name '*.md' -print0 2>/dev/null | sort -z)
    if [[ $t == tflite ]]; then
        while IFS= read -r -d '' f; do inputs+=("$f"); done \
            < <(find "$dir/fuzz-seeds/tflite-real" -type f -print0 2>/dev/null)
    fi
    if ((${#inputs[@]} == 0)); then
        echo "== replay $t: no inputs"
        pass=$((pass + 1))
        continue
    fi
    log=$dir/fuzz-logs/replay-$t.log
    # -malloc_limit_mb: a small input must not make the code allocate 1 GB (regress/image/png_*)
    if "$dir/tests/fuzz_$t" -timeout=60 -rss_limit_mb=2048 -malloc_limit_mb=1024 "${inputs[@]}" >"$log" 2>&1; then
        echo "== replay $t: ${#inputs[@]} inputs ok"
        pass=$((pass + 1))
    else
        echo "replay $t: FAILED (log $log)"
        grep -E 'ERROR|SUMMARY|Running:|^    #[0-9]' "$log" | head -30
        fail=$((fail + 1))
    fi
done
finish
