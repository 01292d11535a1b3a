#!/usr/bin/env bash
# tests/ci/soak.sh — long-run and memory checks of `ssdcam run` (issue 8), one configuration of
# scripts/test.sh. Builds build-test-soak (gcc, release) and runs:
#
#  valgrind (memcheck, --leak-check=full --errors-for-leak-kinds=definite,indirect, any error =
#  exit 99 = failure), on the real model with the kernel level the program picks by itself:
#   kernels     `ssdcam bench` under valgrind names its kernel level: valgrind 3.19 emulates no
#               AVX-512, so the runtime dispatch (CPUID) must not pick avx512 (it would die of
#               SIGILL); on an AVX2 machine it must be avx2
#   vg-run      `ssdcam run --headless --frames 4` on the demo photos (capture, inference and main
#               threads, the JSON Lines log, shutdown)
#   vg-mjpeg    the same on an MJPEG stream file of 3 demo photos (JPEG decode per frame)
#   vg-detect   `ssdcam detect` on two photos
#
#  soak (criteria below; samples in build-test-soak/soak-samples.csv):
#   soak        `ssdcam run --headless` on an MJPEG stream of the demo photos (frames as a webcam
#               sends them, decoded by the inference thread) looped at SOAK_RATE fps (120) in
#               latest-frame mode (the detector at 300×300 cannot keep up on a small machine,
#               so frames are dropped), every frame logged, until SOAK_FRAMES (20000) frames
#               were captured, then SIGTERM. VmRSS (/proc/PID/status) and open fds
#               (/proc/PID/fd) are sampled every second. Passes when:
#               - exit 0, captured >= SOAK_FRAMES;
#               - accounted: captured = processed + detector busy + undecodable + failed + left
#                 at stop (the summary line), and dropped > 0 (latest-frame mode was exercised);
#               - the log has exactly `processed` lines, every one valid JSON, frame ids strictly
#                 increasing;
#               - no growth after warm-up (the first 20 % of the samples): max VmRSS over the
#                 last 80 % <= max VmRSS during warm-up + 1 MiB, and max open fds over the last
#                 80 % <= max during warm-up.
#   nodrop      the demo photos as a directory source (decoded by the capture thread, one file
#               opened per frame) at rate 0 (no-drop mode) for SOAK_NODROP (600) frames: dropped
#               0, captured = processed (+ the one left at stop at most), one line per frame.
#
# Prints one line per check, min/median/max of the samples, and a last line "N passed, N failed";
# exit status 1 on any failure. Environment: SOAK_FRAMES, SOAK_RATE, SOAK_NODROP; SOAK_NO_VALGRIND=1
# skips the valgrind part (it is also skipped, and counted as a failure, when valgrind is missing).
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$SC_ROOT" || exit 1

dir=build-test-soak
frames_goal=${SOAK_FRAMES:-20000}
rate=${SOAK_RATE:-120}
nodrop_frames=${SOAK_NODROP:-600}
pass=0 fail=0
result() {   # result NAME OK DETAIL
    if (($2)); then pass=$((pass + 1)); echo "ok    $1 $3"; else fail=$((fail + 1)); echo "FAIL  $1 $3"; fi
}

if ! CC=${CC:-gcc} sc_meson_configure "$dir" -Dbuildtype=release -Ddisplay=disabled ||
   ! nice -n 10 ninja -C "$dir" app/ssdcam; then
    echo "soak: build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
ssdcam=$PWD/$dir/app/ssdcam
model=$SC_ROOT/assets/models/ssd_mobilenet_v1_coco_quant/detect.tflite
shared_model=${SC_SHARED_DIR:-$SC_ROOT/../shared}/models/ssd_mobilenet_v1_coco_quant/detect.tflite
[[ -f $model ]] || model=$shared_model
demo=$SC_ROOT/assets/demo
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null; rm -rf -- "$tmp"; }
trap cleanup EXIT
run=("$ssdcam" run --headless --set model.path="$model" --set source.kind=dir --set source.path="$demo")
cat "$demo"/*.jpg >"$tmp/demo.mjpeg"

# summary_field FILE NAME: a count from the run's summary line ("captured 12" → 12).
summary_field() { grep -o 'summary: .*' "$1" | tail -1 | grep -oE "$2 [0-9]+" | head -1 | grep -oE '[0-9]+$'; }

# ---- valgrind ---------------------------------------------------------------------------------
if [[ ${SOAK_NO_VALGRIND:-0} == 1 ]]; then
    echo "(valgrind part skipped: SOAK_NO_VALGRIND=1)"
elif ! command -v valgrind >/dev/null; then
    result valgrind 0 "(valgrind is not installed: scripts/setup.sh installs it)"
else
    # shellcheck disable=SC2054  # the commas belong to valgrind's option values
    vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
        --show-leak-kinds=definite,indirect --track-fds=no --num-callers=30)
    t0=$SECONDS
    # bench prints its kernel level before it starts timing: read it, then stop the (slow) run.
    # On a pty (script) its stdout is line-buffered, so the line shows at once.
    script -qfec "valgrind --tool=none --log-file='$tmp/vg-kernels.log' '$ssdcam' bench --only mnv1 --runs 1 \
        --warmup 0 --no-layers --peak 1 --threads 1" /dev/null >"$tmp/kernels.out" 2>&1 </dev/null &
    vpid=$!
    for _ in $(seq 600); do
        grep -q '^threads:' "$tmp/kernels.out" 2>/dev/null || ! kill -0 "$vpid" 2>/dev/null && break
        sleep 0.2
    done
    pkill -TERM -P "$vpid" 2>/dev/null   # valgrind, the child of this script(1)
    kill -TERM "$vpid" 2>/dev/null
    wait "$vpid" 2>/dev/null
    rc=0
    grep -q 'SIGILL\|unhandled instruction' "$tmp/vg-kernels.log" && rc=1
    level=$(tr -d '\r' <"$tmp/kernels.out" | sed -n 's/^kernels: //p')
    native=$("$ssdcam" bench --only mnv1 --runs 1 --warmup 0 --no-layers --peak 1 --threads 1 2>/dev/null |
             sed -n 's/^kernels: //p')
    want_ok=1
    [[ $level == avx512* || -z $level ]] && want_ok=0
    grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && [[ $level != avx2 ]] && want_ok=0
    result kernels $((rc == 0 && want_ok)) "(under valgrind: '$level', natively: '$native', exit $rc, $((SECONDS - t0)) s)"

    t0=$SECONDS
    "${vg[@]}" --log-file="$tmp/vg-run.log" "${run[@]}" --quiet --set source.loop=true --set source.rate=0 \
        --set log.path="$tmp/vg-run.jsonl" --set log.every_frame=true --frames 4 2>"$tmp/vg-run.err"
    rc=$?
    n=$(wc -l <"$tmp/vg-run.jsonl" 2>/dev/null || echo 0)
    errs=$(grep -oE 'ERROR SUMMARY: [0-9]+' "$tmp/vg-run.log" | tail -1)
    result vg-run $((rc == 0 && n >= 4)) "(exit $rc, $n log lines, $errs, $((SECONDS - t0)) s)"
    ((rc == 0)) || { grep -A12 -E 'Invalid|uninitialised|definitely|indirectly' "$tmp/vg-run.log" | head -80; tail -5 "$tmp/vg-run.err"; }

    t0=$SECONDS
    photos=("$demo"/*.jpg)
    cat "${photos[@]:0:3}" >"$tmp/demo3.mjpeg"
    "${vg[@]}" --log-file="$tmp/vg-mjpeg.log" "$ssdcam" run --headless --quiet --set model.path="$model" \
        --set source.kind=mjpeg-file --set source.path="$tmp/demo3.mjpeg" --set source.rate=0 \
        --set log.path="$tmp/vg-mjpeg.jsonl" --set log.every_frame=true 2>"$tmp/vg-mjpeg.err"
    rc=$?
    n=$(wc -l <"$tmp/vg-mjpeg.jsonl" 2>/dev/null || echo 0)
    errs=$(grep -oE 'ERROR SUMMARY: [0-9]+' "$tmp/vg-mjpeg.log" | tail -1)
    result vg-mjpeg $((rc == 0 && n == 3)) "(exit $rc, $n log lines for 3 frames, $errs, $((SECONDS - t0)) s)"
    ((rc == 0)) || { grep -A12 -E 'Invalid|uninitialised|definitely|indirectly' "$tmp/vg-mjpeg.log" | head -80; tail -5 "$tmp/vg-mjpeg.err"; }

    t0=$SECONDS
    "${vg[@]}" --log-file="$tmp/vg-detect.log" "$ssdcam" detect --model "$model" "${photos[0]}" "${photos[1]}" \
        >"$tmp/vg-detect.out" 2>"$tmp/vg-detect.err"
    rc=$?
    n=$(grep -c '"detections"' "$tmp/vg-detect.out")
    errs=$(grep -oE 'ERROR SUMMARY: [0-9]+' "$tmp/vg-detect.log" | tail -1)
    result vg-detect $((rc == 0 && n == 2)) "(exit $rc, $n results, $errs, $((SECONDS - t0)) s)"
    ((rc == 0)) || { grep -A12 -E 'Invalid|uninitialised|definitely|indirectly' "$tmp/vg-detect.log" | head -80; tail -5 "$tmp/vg-detect.err"; }
    cp -- "$tmp"/vg-*.log "$dir/" 2>/dev/null
fi

# ---- soak ---------------------------------------------------------------------------------------
csv=$PWD/$dir/soak-samples.csv
log=$tmp/soak.jsonl
t0=$SECONDS
"$ssdcam" run --headless --set model.path="$model" --set source.kind=mjpeg-file --set source.path="$tmp/demo.mjpeg" \
    --set source.loop=true --set source.rate="$rate" --set log.path="$log" --set log.every_frame=true \
    2>"$tmp/soak.err" &
pid=$!
echo "t_s,rss_kib,fds,captured" >"$csv"
captured=0 limit=$(( (frames_goal / rate) * 3 + 120 ))
while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    # shell builtins only: a sample costs no process start (a busy machine makes those slow)
    rss=
    while read -r key val _; do [[ $key == VmRSS: ]] && rss=$val; done 2>/dev/null <"/proc/$pid/status"
    fdl=("/proc/$pid/fd/"*)
    fds=${#fdl[@]}
    while read -r line; do
        [[ $line =~ frames\ ([0-9]+), ]] && captured=${BASH_REMATCH[1]}
    done <"$tmp/soak.err"
    [[ -n $rss ]] && echo "$((SECONDS - t0)),$rss,$fds,${captured:-0}" >>"$csv"
    if ((${captured:-0} >= frames_goal)) || ((SECONDS - t0 > limit)); then
        kill -TERM "$pid"
        break
    fi
done
wait "$pid"
rc=$?
pid=
secs=$((SECONDS - t0))
cap=$(summary_field "$tmp/soak.err" captured)
proc=$(summary_field "$tmp/soak.err" processed)
busy=$(summary_field "$tmp/soak.err" busy)
undec=$(summary_field "$tmp/soak.err" undecodable)
failed=$(summary_field "$tmp/soak.err" failed)
left=$(summary_field "$tmp/soak.err" stop)
summary=$(grep -o 'summary: .*' "$tmp/soak.err" | tail -1)
cp -- "$tmp/soak.err" "$dir/soak-stderr.log"
echo "soak: $secs s, $summary"
if [[ -z $cap || -z $proc || -z $busy || -z $undec || -z $failed || -z $left ]]; then
    result soak-accounting 0 "(no complete summary line; exit $rc)"
    tail -20 "$tmp/soak.err"
else
    result soak-run $((rc == 0 && cap >= frames_goal)) "(exit $rc, captured $cap >= $frames_goal in $secs s at $rate fps)"
    result soak-accounting $((cap == proc + busy + undec + failed + left && busy > 0)) \
        "(captured $cap = processed $proc + detector busy $busy + undecodable $undec + failed $failed + left at stop $left)"
    # the log: exactly one valid JSON line per processed frame, ids strictly increasing
    chk=$(python3 - "$log" <<'EOF'
import json, sys
n, last, bad, order = 0, 0, 0, 0
for line in open(sys.argv[1], 'rb'):
    n += 1
    try:
        f = json.loads(line)['frame']
    except (ValueError, KeyError):
        bad += 1
        continue
    order += f <= last
    last = f
print(n, bad, order, last)
EOF
)
    read -r lines bad order lastid <<<"$chk"
    result soak-log $((lines == proc && bad == 0 && order == 0)) \
        "($lines lines for $proc processed frames, $bad not JSON, $order out of order, last frame id $lastid)"
    # growth after warm-up
    stats=$(awk -F, 'NR > 1 { t[++n] = $1; r[n] = $2; f[n] = $3 }
        END {
            w = int(n / 5); if (w < 1) w = 1
            for (i = 1; i <= w; i++) if (r[i] > wmax) wmax = r[i]
            for (i = 1; i <= w; i++) if (f[i] > wfd) wfd = f[i]
            lmax = 0; lfd = 0
            for (i = w + 1; i <= n; i++) { if (r[i] > lmax) lmax = r[i]; if (f[i] > lfd) lfd = f[i] }
            print n, w, wmax, lmax, wfd, lfd
        }' "$csv")
    read -r ns _ wmax lmax wfd lfd <<<"$stats"
    result soak-rss $((ns >= 10 && lmax <= wmax + 1024)) \
        "($ns samples; VmRSS max after warm-up $lmax KiB <= warm-up max $wmax KiB + 1024)"
    result soak-fds $((ns >= 10 && lfd <= wfd)) "(open fds max after warm-up $lfd <= warm-up max $wfd)"
    for col in 2 3; do
        name=$([[ $col == 2 ]] && echo "VmRSS KiB" || echo "open fds")
        tail -n +2 "$csv" | cut -d, -f$col | sort -n |
            awk -v name="$name" '{ v[++n] = $1 } END { printf "soak: %s min %d, median %d, max %d (%d samples)\n",
                name, v[1], v[int((n + 1) / 2)], v[n], n }'
    done
    echo "soak: samples in $csv"
fi

# ---- no-drop mode -------------------------------------------------------------------------------
t0=$SECONDS
"${run[@]}" --quiet --set source.loop=true --set source.rate=0 --set log.path="$tmp/nodrop.jsonl" \
    --set log.every_frame=true --frames "$nodrop_frames" 2>"$tmp/nodrop.err"
rc=$?
cap=$(summary_field "$tmp/nodrop.err" captured)
proc=$(summary_field "$tmp/nodrop.err" processed)
drop=$(summary_field "$tmp/nodrop.err" dropped)
left=$(summary_field "$tmp/nodrop.err" stop)
lines=$(wc -l <"$tmp/nodrop.jsonl" 2>/dev/null || echo 0)
# --frames N stops the main loop after N results; one more may finish meanwhile (logged too).
result nodrop $((rc == 0 && ${proc:-0} >= nodrop_frames && ${proc:-0} <= nodrop_frames + 1 && ${drop:-1} == 0 &&
                 ${cap:-0} == ${proc:-0} + ${left:-9} && ${left:-9} <= 1 && lines == ${proc:-0})) \
    "(exit $rc, captured ${cap:-?}, processed ${proc:-?}, dropped ${drop:-?}, left at stop ${left:-?}, $lines log lines, $((SECONDS - t0)) s)"

echo "$pass passed, $fail failed"
((fail == 0))
