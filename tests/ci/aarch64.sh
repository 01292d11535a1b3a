#!/usr/bin/env bash
# tests/ci/aarch64.sh — the 64-bit Raspberry Pi OS build (Debian bookworm arm64), cross-compiled
# with Debian's gcc-aarch64-linux-gnu and the arm64 -dev packages (multiarch), tested under
# qemu-aarch64 (user mode, -cpu cortex-a53: plain ARMv8.0-A + NEON, what a Pi 3/4 runs) in
# build-test-aarch64 (cross/aarch64-linux-gnu.ini). Run by scripts/test.sh as configuration
# "aarch64"; it can be run by itself.
#
#   1. packages, idempotently: dpkg --add-architecture arm64 when it is missing, then
#      scripts/lib.sh sc_apt_ensure (apt-get update + install only when something is missing;
#      as root, or through sudo; SSDCAM_NO_APT=1 skips installing)
#   2. meson setup --cross-file cross/aarch64-linux-gnu.ini -Ddisplay=disabled, ninja
#   3. meson test --suite unit --suite model: every compiled test runs through the cross
#      file's exe_wrapper; the Python model tests run app/ssdcam through MESON_EXE_WRAPPER, which
#      meson sets for them (binfmt_misc is not needed and not used). Among them: the kernel tests
#      (tests/unit/test_kernels.c: every NEON kernel against the scalar reference on odd shapes;
#      tests/model/test_kernels_net.c: the real network layer by layer, NEON vs reference) and
#      the model against the reference detections (tests/model/test_reference.py).
#   4. checks that NEON really ran: the test logs name neon as the level picked, and
#      `ssdcam detect` under qemu logs "kernels: neon" with SC_KERNELS=neon (the dispatch log),
#      and its detections (all scores) equal SC_KERNELS=ref's and the default's.
# Prints a last line "N passed, N failed" (N = test programs + the checks of step 4).
#
# Environment: SC_AARCH64_TIMEOUT_MULT (default 10: qemu runs the tests ~5-20x slower),
# SC_AARCH64_SUITES (default "unit model").
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/../../scripts/lib.sh"
cd "$SC_ROOT" || exit 1

dir=build-test-aarch64
cross=cross/aarch64-linux-gnu.ini
mult=${SC_AARCH64_TIMEOUT_MULT:-10}
read -ra suites <<<"${SC_AARCH64_SUITES:-unit model}"
pass=0 fail=0
check() {   # check COND-STATUS WHAT
    if (($1 == 0)); then pass=$((pass + 1)); echo "ok: $2"; else fail=$((fail + 1)); echo "FAIL: $2"; fi
}
finish() { echo "$pass passed, $fail failed"; ((fail == 0)); exit; }

# 1. packages ------------------------------------------------------------------------------
if [[ $(dpkg --print-architecture 2>/dev/null) == arm64 ]]; then
    echo "this machine is arm64 itself: the gcc configuration of scripts/test.sh is the native test"
    finish
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    if [[ ${SSDCAM_NO_APT:-0} == 1 ]]; then
        sc_warn "SSDCAM_NO_APT=1 and dpkg has no arm64 architecture: the arm64 -dev packages cannot be there"
    else
        sudo=()
        [[ $(id -u) == 0 ]] || sudo=(sudo)
        sc_say "dpkg --add-architecture arm64 (the arm64 -dev packages, multiarch)"
        "${sudo[@]}" dpkg --add-architecture arm64 || { check 1 "dpkg --add-architecture arm64"; finish; }
    fi
fi
# (sc_apt_ensure runs apt-get update first whenever it has something to install, which fetches
# the arm64 package lists the first time.) These are not in SC_PACKAGES: that list is also the
# Pi's own, where a cross compiler has no place. libjpeg62-turbo-dev:arm64 because the Pi's
# native build has libjpeg-turbo (SC_PACKAGES); SDL2 is left out (see the cross file).
(sc_apt_ensure gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
    libyaml-dev:arm64 libv4l-dev:arm64 libstb-dev:arm64 libjpeg62-turbo-dev:arm64)
check $? "cross compiler, qemu-user and the arm64 -dev packages installed"
((fail == 0)) || finish

# 2. build ---------------------------------------------------------------------------------
sc_meson_configure "$dir" --cross-file "$cross" -Ddisplay=disabled -Dbuildtype=debugoptimized &&
    ninja -C "$dir"
check $? "cross build ($cross)"
((fail == 0)) || finish
readelf -h "$dir/app/ssdcam" 2>/dev/null | grep -q 'Machine:.*AArch64'
check $? "app/ssdcam is an AArch64 executable"
grep -q '#define SC_HAVE_NEON 1' "$dir/sc_config.h"
check $? "NEON kernels compiled in (SC_HAVE_NEON 1)"

# 3. the suites under qemu -----------------------------------------------------------------
args=()
for s in "${suites[@]}"; do args+=(--suite "$s"); done
log=$dir/meson-logs/testlog.json
rm -f -- "$log"
t0=$SECONDS
nice -n 10 meson test -C "$dir" --no-rebuild --print-errorlogs --timeout-multiplier "$mult" "${args[@]}"
rc=$?
n_ok=0 n_bad=0
if [[ -f $log ]]; then
    n_ok=$(grep -cE '"result": "(OK|EXPECTEDFAIL|SKIP)"' "$log" || true)
    n_bad=$(grep -cvE '"result": "(OK|EXPECTEDFAIL|SKIP)"' "$log" || true)
fi
((rc != 0 && n_bad == 0)) && n_bad=1
echo "meson test under qemu-aarch64: $n_ok ok, $n_bad failed ($((SECONDS - t0)) s)"
pass=$((pass + n_ok)) fail=$((fail + n_bad))

# 4. NEON really ran -----------------------------------------------------------------------
txt=$dir/meson-logs/testlog.txt
if printf '%s\n' "${suites[@]}" | grep -qx unit; then
    grep -q '^best level here: neon' "$txt" && grep -qE '^neon +[0-9]+ cases, 0 failures' "$txt"
    check $? "tests/unit/test_kernels.c picked neon and ran its NEON cases against the reference"
fi
if printf '%s\n' "${suites[@]}" | grep -qx model; then
    grep -q '^best kernels here: neon' "$txt"
    check $? "tests/model/test_kernels_net.c compared the network with neon (layer by layer, detections)"
fi
shared=${SC_SHARED_DIR:-$SC_ROOT/../shared}
model=$shared/models/ssd_mobilenet_v1_coco_quant/detect.tflite
img=$shared/testdata/images/darknet_dog.jpg
if [[ -f $model && -f $img ]]; then
    # the cross file's exe_wrapper, as meson runs the tests with it
    mapfile -t wrapper < <(/usr/bin/python3 -c 'import ast, configparser, sys
c = configparser.ConfigParser(); c.read(sys.argv[1])
print("\n".join(ast.literal_eval(c["binaries"]["exe_wrapper"])))' "$cross")
    out=$dir/neon-dispatch
    mkdir -p "$out"
    for k in neon ref best; do
        env_k=(); [[ $k == best ]] || env_k=("SC_KERNELS=$k")
        env "${env_k[@]}" "${wrapper[@]}" "$dir/app/ssdcam" detect --model "$model" --all --format compare "$img" \
            > "$out/$k.json" 2> "$out/$k.err"
        echo "$k: exit $?" >> "$out/$k.err"
    done
    grep -q 'kernels: neon (SC_KERNELS)' "$out/neon.err"
    check $? "SC_KERNELS=neon: ssdcam detect logs the NEON kernels under qemu ($(grep -m1 'kernels' "$out/neon.err"))"
    ! grep -q 'SC_KERNELS' "$out/best.err" && grep -q 'exit 0' "$out/best.err" &&
        [[ -s $out/best.json ]] && cmp -s "$out/best.json" "$out/neon.json"
    check $? "without SC_KERNELS (the best level: neon, as test_kernels shows): identical detections"
    [[ -s $out/neon.json ]] && cmp -s "$out/neon.json" "$out/ref.json"
    check $? "NEON and scalar-reference detections identical on darknet_dog.jpg"
else
    echo "(no model or test photo in $shared: the dispatch check is skipped)"
fi
finish
