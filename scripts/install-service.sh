#!/usr/bin/env bash
# scripts/install-service.sh — install ssdcam as a systemd service (run after scripts/run.sh has
# built it and fetched the model). Installs the binary to /usr/local/bin, the model and demo photos
# to /usr/local/share/ssdcam, the configuration to /etc/ssdcam/config.yaml (config/pi.yaml unless
# --config FILE; an existing /etc/ssdcam/config.yaml is kept), the unit
# /etc/systemd/system/ssdcam.service and the logrotate rules /etc/logrotate.d/ssdcam
# (config/ssdcam.logrotate), then enables and (re)starts it (--no-start: only install).
#
#   sudo ./scripts/install-service.sh [--config FILE] [--camera NAME] [--no-start] [--root DIR] [--exe PATH]
#
# The camera (source.device in a newly installed config): --camera NAME sets it (a
# /dev/v4l/by-id name or path, /dev/videoN, or auto; also in an existing config). Without
# --camera, when exactly one camera is plugged in, its /dev/v4l/by-id/...-video-index0 link is
# written, which names that camera across reboots, replugs and USB ports; otherwise the
# config's own value (auto in pi.yaml) stays. `ssdcam devices` lists the cameras.
# --root DIR installs under DIR instead of / (for tests and packaging; no camera is looked for
# then unless SSDCAM_BY_ID_DIR names the directory of by-id links to look in).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="" config=config/pi.yaml start=1 exe=build/app/ssdcam camera=""
while (($#)); do
    case $1 in
        --config) config=${2:?--config needs a file}; shift 2 ;;
        --camera) camera=${2:?--camera needs a /dev/v4l/by-id name, a path or auto}; shift 2 ;;
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

# set_device FILE VALUE: the first `device:` key of FILE (source.device) becomes "VALUE".
set_device() {
    local v=${2//\\/\\\\}
    v=${v//\"/\\\"}
    grep -qE '^[[:space:]]+device:' "$1" ||
        { echo "warning: no source.device key in $1: add 'device: $2' under source:" >&2; return 0; }
    V=$v awk '!done && /^[[:space:]]+device:/ { match($0, /^[[:space:]]+/);
        print substr($0, 1, RLENGTH) "device: \"" ENVIRON["V"] "\""; done = 1; next } { print }' \
        "$1" > "$1.new" && mv -- "$1.new" "$1"
    echo "camera: source.device = $2 in $confdir/config.yaml"
}
conf=$root$confdir/config.yaml
if [[ -e $conf ]]; then
    echo "keeping the existing $confdir/config.yaml"
    if [[ -n $camera ]]; then set_device "$conf" "$camera"; fi
else
    install -D -m 0644 "$config" "$conf"
    if [[ -z $camera ]] && [[ -z $root || -n ${SSDCAM_BY_ID_DIR:-} ]]; then
        by_id=${SSDCAM_BY_ID_DIR:-/dev/v4l/by-id}
        shopt -s nullglob
        links=("$by_id"/*-video-index0)
        shopt -u nullglob
        if ((${#links[@]} == 1)); then
            camera=/dev/v4l/by-id/$(basename -- "${links[0]}")
        elif ((${#links[@]} > 1)); then
            echo "several cameras in $by_id: keeping source.device from $config; pick one with --camera NAME:" >&2
            printf '  %s\n' "${links[@]##*/}" >&2
        else
            echo "no camera in $by_id now: keeping source.device from $config (--camera NAME to set it)" >&2
        fi
    fi
    if [[ -n $camera ]]; then set_device "$conf" "$camera"; fi
fi
"$exe" run --config "$conf" --check-config >/dev/null
mkdir -p "$root/etc/systemd/system"
sed -e "s|@BINDIR@|$bindir|g" -e "s|@DATADIR@|$datadir|g" -e "s|@CONFDIR@|$confdir|g" \
    config/ssdcam.service > "$root/etc/systemd/system/ssdcam.service"
install -D -m 0644 config/ssdcam.logrotate "$root/etc/logrotate.d/ssdcam"
echo "installed: $bindir/ssdcam, $datadir, $confdir/config.yaml, /etc/systemd/system/ssdcam.service, /etc/logrotate.d/ssdcam"
if ((start)); then
    systemctl daemon-reload
    systemctl enable ssdcam
    systemctl restart ssdcam   # a reinstall runs the new binary and config at once
    echo "started: follow it with 'journalctl -u ssdcam -f'; detections: log.path in $confdir/config.yaml" \
         "(pi.yaml: /var/log/ssdcam/detections.jsonl, rotated daily by logrotate)"
fi
