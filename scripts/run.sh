#!/usr/bin/env bash
# scripts/run.sh — set up (scripts/setup.sh) and run ssdcam's main job: live detection.
# The first camera if there is one, else the demo photos (looped); a window when a display is
# available, else headless with one JSON line per processed frame on stdout. Ctrl-C stops it
# (with a one-line summary on stderr). Extra arguments go to `ssdcam run`:
#
#   ./scripts/run.sh                                  live detection, as above
#   ./scripts/run.sh --config config/pi.yaml          a configuration file (see config/default.yaml)
#   ./scripts/run.sh --set detection.threshold=0.3    one setting
#   ./scripts/run.sh --headless --frames 20           20 frames, no window
#
# Environment: SSDCAM_ASSETS (assets folder, default assets/), SSDCAM_MODEL_MIRROR,
# SSDCAM_DEMO_MIRROR, SSDCAM_OFFLINE, MESON_ARGS (see scripts/setup.sh, scripts/fetch-assets.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh

echo "==> ssdcam run (Ctrl-C to stop)" >&2
exec build/app/ssdcam run "$@"
