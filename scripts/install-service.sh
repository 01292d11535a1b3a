#!/usr/bin/env bash
# scripts/install-service.sh — install ssdcam as a systemd service (run after scripts/run.sh has
# built it and fetched the model). Installs the binary to /usr/local/bin, the model and demo photos
# to /usr/local/share/ssdcam, the configuration to /etc/ssdcam/config.yaml (config/pi.yaml unless
# --config FILE; an existing /etc/ssdcam/config.yaml is kept), and the unit
# /etc/systemd/system/ssdcam.service, then enables and starts it (--no-start: only install).
#
#   sudo ./scripts/install-service.sh [--config FILE] [--no-start] [--root DIR] [--exe PATH]
#
# --root DIR installs under DIR instead of / (for tests and packaging). The camera is best named by
# its /dev/v4l/by-id link in the config (source.device), which survives re-enumeration.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="" config=config/pi.yaml start=1 exe=build/app/ssdcam
while (($#)); do
    case $1 in
        --config) config=${2:?--config needs a file}; shift 2 ;;
        --no-start) start=0; shift ;;
        --exe) exe=${2:?--exe needs the ssdcam binary}; shift 2 ;;
        --root) root=${2:?--root needs a directory}; start=0; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "install-service.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
bindir=/usr/local/bin datadir=/usr/local/share/ssdcam confdir=/etc/ssdcam
[[ -x $exe ]] || { echo "error: $exe is missing: run ./scripts/run.sh first" >&2; exit 1; }
[[ -f assets/models/ssd_mobilenet_v1_coco_quant/detect.tflite ]] ||
    { echo "error: the model is not in assets/models: run ./scripts/run.sh first" >&2; exit 1; }
"$exe" run --config "$config" --check-config >/dev/null

install -D -m 0755 "$exe" "$root$bindir/ssdcam"
mkdir -p "$root$datadir"
cp -r assets/models "$root$datadir/"
[[ -d assets/demo ]] && cp -r assets/demo "$root$datadir/"
install -m 0644 README.md "$root$datadir/README.md"
if [[ -e $root$confdir/config.yaml ]]; then
    echo "keeping the existing $confdir/config.yaml"
else
    install -D -m 0644 "$config" "$root$confdir/config.yaml"
fi
mkdir -p "$root/etc/systemd/system"
sed -e "s|@BINDIR@|$bindir|g" -e "s|@DATADIR@|$datadir|g" -e "s|@CONFDIR@|$confdir|g" \
    config/ssdcam.service > "$root/etc/systemd/system/ssdcam.service"
echo "installed: $bindir/ssdcam, $datadir, $confdir/config.yaml, /etc/systemd/system/ssdcam.service"
if ((start)); then
    systemctl daemon-reload
    systemctl enable --now ssdcam
    echo "started: follow it with 'journalctl -u ssdcam -f'; detections: see log.path in $confdir/config.yaml"
fi
