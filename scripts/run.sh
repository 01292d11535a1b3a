#!/usr/bin/env bash
# scripts/run.sh — set up (scripts/setup.sh) and run ssdcam's main job. Extra arguments go to
# ssdcam, before the input list. Set-up messages go to stderr; stdout is ssdcam's own output.
#
#   ./scripts/run.sh                         detect objects in the demo photos, print JSON
#   ./scripts/run.sh --threshold 0.3         the same, with extra options for `ssdcam detect`
#
# Environment: SSDCAM_ASSETS (assets folder, default assets/), SSDCAM_MODEL_MIRROR,
# SSDCAM_DEMO_MIRROR, SSDCAM_OFFLINE, MESON_ARGS (see scripts/setup.sh, scripts/fetch-assets.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh

exe=build/app/ssdcam
assets=${SSDCAM_ASSETS:-assets}
model_dir=$assets/models/ssd_mobilenet_v1_coco_quant

# TODO(issue 6): once the live pipeline lands, run `ssdcam run` here instead: the camera when
# one is present, else the demo photos; a window when DISPLAY is set, else headless.
if "$exe" detect --help >/dev/null 2>&1; then
    echo "==> ssdcam detect on the demo photos ($assets/demo)" >&2
    exec "$exe" detect --model "$model_dir/detect.tflite" --labels "$model_dir/labelmap.txt" \
        "$@" "$assets"/demo/*
fi
# `detect` is not built in this tree yet: show what the binary can do today.
echo "==> ssdcam detect is not implemented in this build yet; running \`ssdcam info\`" >&2
exec "$exe" info "$@"
