#!/usr/bin/env bash
# tests/ci/tsan.sh — the threaded parts under ThreadSanitizer (issue 8), one configuration of
# scripts/test.sh. Builds build-test-tsan (gcc, -Db_sanitize=thread, no window) and runs:
#   pool, queue, net_sched  fork-join pool, drop-oldest queue, layer scheduling (unit)
#   net_fuse                chains of layers run fused over row bands on 1-3 threads (unit)
#   mjpeg                   the capture thread on file sources, latest-frame and no-drop (unit)
#   detect-threads          ssdcam detect on 3 photos with --threads 1 and --threads 3 (the real
#                           network on the fork-join pool, more workers than cores): identical
#                           output. (tests/model/test_kernels_net.c is too slow under TSan on a
#                           small machine: its scalar reference nets did not finish in 24 min.)
#   faults                  tests/app/test_faults.py: the pipeline under faults (bad frames, full
#                           and deleted/rotated log, SIGTERM/SIGINT at start-up and mid-stream)
#   run                     tests/app/test_run.py: the whole pipeline (capture, inference and main
#                           threads; SIGTERM at start-up and mid-stream, SIGHUP reopen). Some of
#                           its checks assume a normal-speed build (a 3 s run must log 3 lines;
#                           TSan runs a frame in ~3 s here), so only TSan reports fail it here;
#                           its own result is shown (the gcc and asan configurations judge it)
#   run-threads3            ssdcam run on the demo photos at 100 fps in latest-frame mode with
#                           model.threads=3 (two pool workers beside the inference thread, more
#                           than this 2-core machine has) and a SIGHUP, stopped with SIGTERM
# TSAN_OPTIONS: halt_on_error=1 second_deadlock_stack=1; every report also goes to a file under
# build-test-tsan/tsan-reports/ (log_path), and any such file fails the check that produced it.
# Prints one line per check and a last line "N passed, N failed"; exit status 1 on any failure.
# usage: tests/ci/tsan.sh   (CC=clang to use clang instead of gcc)
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$SC_ROOT" || exit 1

dir=build-test-tsan
pass=0 fail=0
result() {   # result NAME OK DETAIL
    if (($2)); then pass=$((pass + 1)); echo "ok    $1 $3"; else fail=$((fail + 1)); echo "FAIL  $1 $3"; fi
}

if ! CC=${CC:-gcc} sc_meson_configure "$dir" -Dbuildtype=debugoptimized -Db_sanitize=thread -Ddisplay=disabled ||
   ! nice -n 10 ninja -C "$dir"; then
    echo "tsan: build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

reports=$PWD/$dir/tsan-reports
rm -rf -- "$reports"
mkdir -p "$reports"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$reports/tsan"

# new_reports: report files written since the last call (and remembers them).
seen=()
new_reports() {
    local f n=()
    for f in "$reports"/tsan*; do
        [[ -e $f ]] || continue
        [[ " ${seen[*]} " == *" $f "* ]] && continue
        n+=("$f")
        seen+=("$f")
    done
    ((${#n[@]})) && printf '%s\n' "${n[@]}"
    return 0
}

for t in pool queue net_sched net_fuse mjpeg faults run; do
    t0=$SECONDS
    rc=0
    nice -n 10 meson test -C "$dir" --no-rebuild --verbose --timeout-multiplier 4 "$t" >"$dir/tsan-$t.log" 2>&1 || rc=$?
    mapfile -t rep < <(new_reports)
    for f in "${rep[@]}"; do sed -n '1,60p' "$f"; done
    own=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$dir/tsan-$t.log" | tail -1)
    ok=$((rc == 0 && ${#rep[@]} == 0))
    [[ $t == run ]] && ok=$((${#rep[@]} == 0))
    result "$t" $ok "(exit $rc: ${own:-no count}; ${#rep[@]} TSan reports, $((SECONDS - t0)) s; log $dir/tsan-$t.log)"
    ((rc == 0)) || grep -E '^FAIL' "$dir/tsan-$t.log" | head -10
done

model=${SC_SHARED_DIR:-$SC_ROOT/../shared}/models/ssd_mobilenet_v1_coco_quant/detect.tflite
[[ -f $model ]] || model=$SC_ROOT/assets/models/ssd_mobilenet_v1_coco_quant/detect.tflite
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# The real network on the pool: 1 thread vs 3 (two workers beside the caller), same output.
t0=$SECONDS
photos=("$SC_ROOT"/assets/demo/*.jpg)
"$dir/app/ssdcam" detect --model "$model" --threads 1 "${photos[@]:0:3}" >"$tmp/d1.json" 2>"$tmp/d1.err"
rc1=$?
"$dir/app/ssdcam" detect --model "$model" --threads 3 "${photos[@]:0:3}" >"$tmp/d3.json" 2>"$tmp/d3.err"
rc3=$?
mapfile -t rep < <(new_reports)
for f in "${rep[@]}"; do sed -n '1,60p' "$f"; done
nres=$(grep -c '"detections"' "$tmp/d3.json")
same=0
# the same detections; the per-image timings (resize_ms, detect_ms) differ of course
untimed() { sed -E 's/"(resize|detect)_ms": [0-9.]+, //g' "$1"; }
[[ -s $tmp/d1.json ]] && cmp -s <(untimed "$tmp/d1.json") <(untimed "$tmp/d3.json") && same=1
result detect-threads $((rc1 == 0 && rc3 == 0 && nres == 3 && same && ${#rep[@]} == 0)) \
    "(exit $rc1/$rc3, $nres results, 1 vs 3 threads identical: $same, ${#rep[@]} TSan reports, $((SECONDS - t0)) s)"

# The pipeline with more pool workers than cores, latest-frame mode (frames are evicted), a
# SIGHUP (log reopen) and SIGTERM mid-stream.
t0=$SECONDS
"$dir/app/ssdcam" run --headless --set model.path="$model" --set model.threads=3 --set source.kind=dir \
    --set source.path="$SC_ROOT/assets/demo" --set source.loop=true --set source.rate=100 \
    --set log.path="$tmp/det.jsonl" --set log.every_frame=true 2>"$tmp/err" &
pid=$!
sleep 8
kill -HUP "$pid" 2>/dev/null
sleep 4
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
mapfile -t rep < <(new_reports)
for f in "${rep[@]}"; do sed -n '1,60p' "$f"; done
summary=$(grep -o 'summary: .*' "$tmp/err" || true)
lines=$(wc -l <"$tmp/det.jsonl" 2>/dev/null || echo 0)
processed=$(sed -n 's/.*processed \([0-9]*\),.*/\1/p' <<<"$summary")
result run-threads3 $((rc == 0 && ${#rep[@]} == 0 && ${processed:-0} > 0 && lines == ${processed:--1})) \
    "(exit $rc, ${#rep[@]} TSan reports, $lines log lines, $((SECONDS - t0)) s; $summary)"
((rc == 0)) || tail -20 "$tmp/err"

echo "$pass passed, $fail failed"
((fail == 0))
