#!/usr/bin/env bash
# scripts/install-service.sh into a temporary root: the files land where the unit says, the
# unit passes `systemd-analyze verify` (when systemd-analyze exists), its ExecStart's config
# checks with the installed binary, and a second install keeps an edited config. The camera:
# the one by-id link found is written to source.device, several or none leave auto, --camera
# sets it. The logrotate rules: installed, parsed by logrotate, and a real rotation of a live
# ssdcam's log (rename, then SIGHUP as the postrotate; ssdcam reopens) loses no line.
set -u
# usage: test_install_service.sh SSDCAM
exe=$(realpath "${1:?usage: test_install_service.sh SSDCAM}")
src=${SC_SOURCE_DIR:?}
pass=0 fail=0
check() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 1
if [[ ! -f assets/models/ssd_mobilenet_v1_coco_quant/detect.tflite ]]; then
    echo "SKIP: needs the model in assets/ (scripts/setup.sh)"; exit 77
fi
./scripts/install-service.sh --root "$tmp" --exe "$exe" > "$tmp/out" 2>&1
rc=$?
check '[[ $rc -eq 0 ]]' "install-service.sh --root exits 0: $(cat "$tmp/out")"
unit=$tmp/etc/systemd/system/ssdcam.service
check '[[ -x $tmp/usr/local/bin/ssdcam && -f $tmp/usr/local/share/ssdcam/models/ssd_mobilenet_v1_coco_quant/detect.tflite ]]' "binary and model installed"
check '[[ -f $tmp/etc/ssdcam/config.yaml && -f $unit ]]' "config and unit installed"
check '! grep -q @ "$unit"' "every placeholder in the unit filled in"
check 'grep -q "^ExecStart=/usr/local/bin/ssdcam run --config /etc/ssdcam/config.yaml" "$unit"' "ExecStart runs the installed binary on the installed config"
check 'grep -q "^Restart=on-failure" "$unit" && grep -q "^ExecReload=/bin/kill -HUP" "$unit"' "restart on failure, reload = SIGHUP"
check '"$tmp/usr/local/bin/ssdcam" run --config "$tmp/etc/ssdcam/config.yaml" --check-config >/dev/null' "the installed config checks"
check 'grep -q "^LogsDirectory=ssdcam" "$unit"' "the unit makes /var/log/ssdcam (LogsDirectory)"
conf_path() {   # the effective value of KEY (e.g. log.path) in the installed config
    "$tmp/usr/local/bin/ssdcam" run --config "$1" --print-config 2>/dev/null |
        awk -v sec="${2%%.*}:" -v key="${2#*.}:" '$0 == sec { in_s = 1; next } /^[^ #]/ { in_s = 0 }
            in_s && $1 == key { sub(/^[^:]*: */, ""); gsub(/"/, ""); print; exit }'
}
check '[[ $(conf_path "$tmp/etc/ssdcam/config.yaml" log.path) == /var/log/ssdcam/detections.jsonl ]]' \
    "pi.yaml logs to /var/log/ssdcam/detections.jsonl (got '$(conf_path "$tmp/etc/ssdcam/config.yaml" log.path)')"
check '[[ $(conf_path "$tmp/etc/ssdcam/config.yaml" source.device) == auto ]]' "--root without a camera: device stays auto"
lr=$tmp/etc/logrotate.d/ssdcam
check '[[ -f $lr ]] && grep -q "^/var/log/ssdcam/\*.jsonl" "$lr"' "logrotate rules installed for /var/log/ssdcam"
check 'grep -q "systemctl reload ssdcam" "$lr" && grep -qw nocreate "$lr" && ! grep -qw "^ *copytruncate" "$lr"' \
    "logrotate: SIGHUP (systemctl reload) and nocreate, not copytruncate"
# camera selection: one by-id capture link (index1 is a UVC metadata node), several, --camera
byid=$tmp/by-id
mkdir -p "$byid"
ln -s ../../video0 "$byid/usb-Foo_Cam_1234-video-index0"
ln -s ../../video1 "$byid/usb-Foo_Cam_1234-video-index1"
SSDCAM_BY_ID_DIR=$byid ./scripts/install-service.sh --root "$tmp/r1" --exe "$exe" > "$tmp/out" 2>&1
check '[[ $(conf_path "$tmp/r1/etc/ssdcam/config.yaml" source.device) == /dev/v4l/by-id/usb-Foo_Cam_1234-video-index0 ]]' \
    "the one camera's by-id link written: $(conf_path "$tmp/r1/etc/ssdcam/config.yaml" source.device) $(cat "$tmp/out")"
ln -s ../../video2 "$byid/usb-Bar_Cam-video-index0"
SSDCAM_BY_ID_DIR=$byid ./scripts/install-service.sh --root "$tmp/r2" --exe "$exe" > "$tmp/out" 2>&1
check '[[ $(conf_path "$tmp/r2/etc/ssdcam/config.yaml" source.device) == auto ]] && grep -q "usb-Bar_Cam-video-index0" "$tmp/out"' \
    "two cameras: auto kept, both names listed"
./scripts/install-service.sh --root "$tmp/r2" --exe "$exe" --camera 'usb-Odd Cam: 2-video-index0' > "$tmp/out" 2>&1
check '[[ $(conf_path "$tmp/r2/etc/ssdcam/config.yaml" source.device) == "usb-Odd Cam: 2-video-index0" ]]' \
    "--camera sets the device of an existing config, quoted: $(conf_path "$tmp/r2/etc/ssdcam/config.yaml" source.device)"
if command -v systemd-analyze >/dev/null; then
    # verify needs the binary at its real path: rewrite ExecStart to the temporary one
    sed "s|/usr/local/bin/ssdcam|$tmp/usr/local/bin/ssdcam|" "$unit" > "$tmp/ssdcam.service"
    out=$(systemd-analyze verify "$tmp/ssdcam.service" 2>&1 | grep -v "Failed to\|not running\|Documentation" )
    check '[[ -z $out ]]' "systemd-analyze verify: $out"
fi
echo "# edited" >> "$tmp/etc/ssdcam/config.yaml"
./scripts/install-service.sh --root "$tmp" --exe "$exe" > "$tmp/out2" 2>&1
check 'grep -q "# edited" "$tmp/etc/ssdcam/config.yaml"' "a second install keeps the edited config"

# logrotate with the installed rules on a live ssdcam: paths moved into $tmp, the postrotate's
# `systemctl reload` (SIGHUP through ExecReload) replaced by the same kill -HUP. (ssdcam may
# also notice the rename by itself first; tests/app/test_run.py checks SIGHUP alone.)
if command -v logrotate >/dev/null; then
    out=$(logrotate -d "$lr" 2>&1)
    check '! grep -qi "error" <<<"$out"' "logrotate -d parses the rules: $out"
    logdir=$tmp/var/log/ssdcam
    mkdir -p "$logdir"
    SSDCAM_ASSETS=$tmp/usr/local/share/ssdcam "$tmp/usr/local/bin/ssdcam" run --config "$tmp/etc/ssdcam/config.yaml" \
        --set display.enabled=off --set source.kind=dir --set source.path="$tmp/usr/local/share/ssdcam/demo" \
        --set source.loop=true --set source.rate=20 --set log.every_frame=true --set log.path="$logdir/detections.jsonl" \
        > "$tmp/run.out" 2>&1 &
    pid=$!
    lines() { if [[ -f $1 ]]; then wc -l < "$1"; else echo 0; fi; }
    for _ in $(seq 100); do (($(lines "$logdir/detections.jsonl") >= 3)) && break; sleep 0.2; done
    sed -e "s|/var/log/ssdcam|$logdir|g" -e "s|systemctl reload ssdcam.service.*|kill -HUP $pid|" "$lr" > "$tmp/lr.conf"
    logrotate -f -s "$tmp/lr.state" "$tmp/lr.conf" > "$tmp/lr.out" 2>&1
    rc=$?
    check '[[ $rc -eq 0 ]]' "logrotate -f runs: $(cat "$tmp/lr.out")"
    for _ in $(seq 100); do (($(lines "$logdir/detections.jsonl") >= 3)) && break; sleep 0.2; done
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    old_n=$(lines "$logdir/detections.jsonl.1") new_n=$(lines "$logdir/detections.jsonl")
    check '[[ $rc -eq 0 ]]' "ssdcam exits 0 after the rotation and SIGTERM ($rc): $(tail -3 "$tmp/run.out")"
    check '((old_n >= 3 && new_n >= 3))' "rotated: $old_n lines in detections.jsonl.1, $new_n in the new detections.jsonl"
    check '[[ ! -e $logdir/detections.jsonl.1.gz ]]' "delaycompress: the file ssdcam may still write is not compressed yet"
    # every processed frame has its line (log.every_frame), in one of the two files
    processed=$(sed -n 's/.*summary:.* processed \([0-9]*\).*/\1/p' "$tmp/run.out" | tail -1)
    check '[[ -n $processed ]] && ((old_n + new_n == processed))' \
        "no line lost across the rotation: $old_n + $new_n lines, ${processed:-?} frames processed"
    # the old file's frames all come before the new file's, none twice
    last_old=$(sed -n 's/.*"frame":\([0-9]*\).*/\1/p' "$logdir/detections.jsonl.1" | tail -1)
    first_new=$(sed -n 's/.*"frame":\([0-9]*\).*/\1/p' "$logdir/detections.jsonl" | head -1)
    check '[[ -n $last_old && -n $first_new ]] && ((last_old < first_new))' \
        "frames in order across the rotation (old file ends at $last_old, new starts at $first_new)"
else
    echo "(logrotate not installed: the live rotation is not tried)"
fi

./scripts/install-service.sh --bogus > /dev/null 2>&1
rc=$?
check '[[ $rc -eq 2 ]]' "unknown option: exit 2"
echo "$pass passed, $fail failed"
((fail == 0))
