#!/usr/bin/env bash
# scripts/install-service.sh into a temporary root: the files land where the unit says, the
# unit passes `systemd-analyze verify` (when systemd-analyze exists), its ExecStart's config
# checks with the installed binary, and a second install keeps an edited config.
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
if command -v systemd-analyze >/dev/null; then
    # verify needs the binary at its real path: rewrite ExecStart to the temporary one
    sed "s|/usr/local/bin/ssdcam|$tmp/usr/local/bin/ssdcam|" "$unit" > "$tmp/ssdcam.service"
    out=$(systemd-analyze verify "$tmp/ssdcam.service" 2>&1 | grep -v "Failed to\|not running\|Documentation" )
    check '[[ -z $out ]]' "systemd-analyze verify: $out"
fi
echo "# edited" >> "$tmp/etc/ssdcam/config.yaml"
./scripts/install-service.sh --root "$tmp" --exe "$exe" > "$tmp/out2" 2>&1
check 'grep -q "# edited" "$tmp/etc/ssdcam/config.yaml"' "a second install keeps the edited config"
./scripts/install-service.sh --bogus > /dev/null 2>&1
rc=$?
check '[[ $rc -eq 2 ]]' "unknown option: exit 2"
echo "$pass passed, $fail failed"
((fail == 0))
