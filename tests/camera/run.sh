#!/usr/bin/env bash
# tests/camera/run.sh SSDCAM MKFRAMES — the 'camera' suite: ssdcam's capture against real kernel
# drivers (vivid, v4l2loopback, uvcvideo with a user-space USB camera) in a qemu guest, through
# ../shared/v4l2lab (read its README). The guest runs tests/camera/guest-camera.sh, whose
# "CHECK name PASS|FAIL" lines the lab counts; this script adds the host-side checks and prints
# the lab's summary and a final "N passed, N failed" line.
#
# Frames come from real photos of ../shared/testdata/images: darknet_dog.jpg (also
# darknet_person.jpg and darknet_giraffe.jpg) resized to 640x480 (mkframes) and encoded by
# cjpeg with the standard Huffman tables, coral_cat_720p.jpg as it is (1280x720); all with
# their Huffman tables stripped as webcams send MJPEG; plus a truncated and a corrupt frame.
# Expected CRCs and decodes are computed here with ssdcam itself and passed to the guest in
# /data/expect.env. The guest also runs `ssdcam run --headless` (the model goes in /data) and
# leaves its detection logs in <build>/camera-lab/share (virtio-9p); check_runlog.py checks
# them here, line by line, against `ssdcam detect` on the same JPEG bytes.
#
# Work files go to <build>/camera-lab (guest.log is kept there). The lab's heavy cache (kernel,
# v4l2loopback module; ~540 MB) is shared in $V4L2LAB_CACHE (default ~/.cache/v4l2lab): it is
# filled once under a lock (the first time ~85 s: apt downloads the kernel), then each run uses
# a private work dir that links to it, so parallel runs do not share the guest's files.
# Needs root (apt-get, qemu): exits 77 (skip) otherwise, or when ../shared/v4l2lab is missing.
set -euo pipefail

ssdcam=$(realpath "$1")
mkframes=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shared=${SC_SHARED_DIR:-$here/../../../shared}
lab=$shared/v4l2lab
images=$shared/testdata/images
model_dir=$shared/models/ssd_mobilenet_v1_coco_quant
build=${SC_BUILD_DIR:-$(dirname "$(dirname "$ssdcam")")}
out=$build/camera-lab
cache=${V4L2LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/v4l2lab}

if [[ $(id -u) != 0 ]]; then echo "SKIP: the v4l2lab needs root (apt-get, qemu)"; exit 77; fi
if [[ ! -x $lab/run-vivid-test.sh ]]; then echo "SKIP: no $lab/run-vivid-test.sh"; exit 77; fi
if [[ ! -f $model_dir/detect.tflite ]]; then echo "SKIP: no model $model_dir/detect.tflite"; exit 77; fi
if ! command -v apt-cache >/dev/null; then echo "SKIP: the v4l2lab needs Debian (apt)"; exit 77; fi
if [[ $(dpkg --print-architecture 2>/dev/null) != amd64 ]]; then
    echo "SKIP: the v4l2lab boots an amd64 Debian kernel (this machine is $(dpkg --print-architecture 2>/dev/null))"; exit 77
fi

t0=$SECONDS
mkdir -p "$out" "$cache"
host_pass=0 host_fail=0
hcheck() { # name, command...: a host-side check
    local name=$1
    shift
    if "$@"; then echo "CHECK host-$name PASS"; host_pass=$((host_pass + 1))
    else echo "CHECK host-$name FAIL"; host_fail=$((host_fail + 1)); fi
}

kernel_abi() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1
}

# ---- 1. the shared cache: kernel + v4l2loopback, filled once (a tiny guest run) under a lock
(
    flock 9
    kv=$(kernel_abi)
    if [[ -z $kv || ! -f $cache/kernel-$kv/boot/vmlinuz-$kv || ! -f $cache/v4l2loopback/v4l2loopback.ko ]]; then
        echo "camera: filling the v4l2lab cache $cache (first use: apt downloads a kernel, ~85 s)"
        # guest-min.sh prints no CHECK lines, so the lab's own exit status is "failed" even when
        # the boot worked: judge the seed run by what it leaves in the cache.
        WORK=$cache GUEST_TEST=$lab/guest-min.sh "$lab/run-vivid-test.sh" >"$out/seed.log" 2>&1 || true
        kv=$(kernel_abi)
        if [[ -z $kv || ! -f $cache/kernel-$kv/boot/vmlinuz-$kv || ! -f $cache/v4l2loopback/v4l2loopback.ko ]]; then
            tail -30 "$out/seed.log"
            echo "camera: could not set up the v4l2lab (log: $out/seed.log)"
            exit 1
        fi
    fi
) 9>"$cache/.lock"
kv=$(kernel_abi)
command -v cjpeg >/dev/null || apt-get install -y -qq --no-install-recommends libjpeg-turbo-progs >/dev/null

# ---- 2. a private work dir linking to the cache
work=$out/work
rm -rf "$work"
mkdir -p "$work"
for f in "kernel-$kv" "vmlinux-$kv" v4l2loopback v4l2loopback-pkg .apt-updated; do
    [[ -e $cache/$f ]] && ln -s "$cache/$f" "$work/$f"
done

# ---- 3. frames from real photos
data=$out/data
rm -rf "$data"
mkdir -p "$data"
"$mkframes" resize "$images/darknet_dog.jpg" 640 480 "$data/dog640.ppm"
cjpeg -quality 85 -baseline "$data/dog640.ppm" >"$data/dog640.jpg"
hcheck strip-dog "$mkframes" strip "$data/dog640.jpg" "$data/dog640s.jpg"
for p in person giraffe; do   # more 640x480 frames for the detection run
    "$mkframes" resize "$images/darknet_$p.jpg" 640 480 "$data/$p.ppm"
    cjpeg -quality 85 -baseline "$data/$p.ppm" >"$data/$p.jpg"
    hcheck "strip-$p" "$mkframes" strip "$data/$p.jpg" "$data/${p}640s.jpg"
done
hcheck strip-cat "$mkframes" strip "$images/coral_cat_720p.jpg" "$data/cat720s.jpg"
size=$(stat -c %s "$data/dog640s.jpg")
head -c $((size / 2)) "$data/dog640s.jpg" >"$data/trunc.jpg"
hcheck corrupt-frame "$mkframes" corrupt "$data/dog640s.jpg" "$data/corrupt.jpg"

# expected values, with ssdcam's own file sources
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -1; }
frame1() { "$ssdcam" capture "$@" --frames 1 --crc --decode 2>/dev/null | grep '"frame"' | head -1; }
dog=$(frame1 --mjpeg-file "$data/dog640s.jpg")
dog_full=$(frame1 --image "$data/dog640.jpg")
cat=$(frame1 --mjpeg-file "$data/cat720s.jpg")
ppm=$(frame1 --image "$data/dog640.ppm")
hcheck stripped-decodes-same test "$(field rgb_crc <<<"$dog")" = "$(field rgb_crc <<<"$dog_full")"
hcheck stripped-bytes test "$(field bytes <<<"$dog")" = "$size"
read -r pr pg pb < <(sed -n 's/.*"rgb_mean":\[\([^,]*\),\([^,]*\),\([^]]*\)\].*/\1 \2 \3/p' <<<"$ppm")
cat >"$data/expect.env" <<EOF
DOG_BYTES=$size
DOG_CRC=$(field crc <<<"$dog")
DOG_RGB_CRC=$(field rgb_crc <<<"$dog")
CAT_BYTES=$(stat -c %s "$data/cat720s.jpg")
CAT_CRC=$(field crc <<<"$cat")
CAT_RGB_CRC=$(field rgb_crc <<<"$cat")
PPM_MEAN_R=$pr
PPM_MEAN_G=$pg
PPM_MEAN_B=$pb
EOF
cat "$data/expect.env"
# the lab's own /data/test.jpg and test.ppm (default gadgetcam input): ours
cp "$data/dog640s.jpg" "$work/test.jpg"
cp "$data/dog640.ppm" "$work/test.ppm"

# ---- 4. boot the guest
echo "camera: set-up $((SECONDS - t0)) s; booting the guest"
rc=0
share=$out/share
rm -rf "$share"
mkdir -p "$share"
WORK=$work GUEST_TEST=$here/guest-camera.sh EXTRA_BIN="$ssdcam $mkframes" SHARE=$share \
    EXTRA_FILES="$data/dog640s.jpg $data/person640s.jpg $data/giraffe640s.jpg $data/cat720s.jpg $data/dog640.ppm $data/trunc.jpg $data/corrupt.jpg $data/expect.env $model_dir/detect.tflite $model_dir/labelmap.txt" \
    QEMU_TIMEOUT=${CAMERA_QEMU_TIMEOUT:-420} \
    "$lab/run-vivid-test.sh" >"$out/lab.log" 2>&1 || rc=$?
cp -f "$work/guest.log" "$out/guest.log" 2>/dev/null || true
grep -E '^(CHECK|TIMING|MEASURE|NOTE) ' "$out/guest.log" 2>/dev/null || tail -40 "$out/lab.log"
sed -n 's/^\(==== SUMMARY.*\)/\1/p; s/^\[ *[0-9.]*s\] \(qemu exited.*\)/\1/p' "$out/lab.log"
guest_pass=$(grep -c '^CHECK .* PASS' "$out/guest.log" 2>/dev/null || true)
guest_fail=$(grep -c '^CHECK .* FAIL' "$out/guest.log" 2>/dev/null || true)
if ! grep -q '^GUEST test.sh exit=' "$out/guest.log" 2>/dev/null; then
    echo "camera: the guest did not finish (log: $out/lab.log)"
    guest_fail=$((guest_fail + 1))
fi

# ---- 5. the guest's detection logs, line by line (check_runlog.py prints CHECK lines)
runlog() { # NAME W H MIN_LINES [PHOTO...]
    local name=$1
    shift
    python3 "$here/check_runlog.py" "$name" "$share/run-$name.jsonl" "$ssdcam" "$model_dir/detect.tflite" 0.5 "$@" >"$out/check-$name.txt" 2>&1 || true
    cat "$out/check-$name.txt"
    host_pass=$((host_pass + $(grep -c '^CHECK .* PASS' "$out/check-$name.txt" || true)))
    host_fail=$((host_fail + $(grep -c '^CHECK .* FAIL' "$out/check-$name.txt" || true)))
    grep -q '^CHECK ' "$out/check-$name.txt" || host_fail=$((host_fail + 1))
}
runlog loop 640 480 "8" "$data/dog640s.jpg" "$data/person640s.jpg" "$data/giraffe640s.jpg"
runlog uvc 640 480 4 "$data/dog640s.jpg"
runlog vivid 640 480 3
echo "camera: total $((SECONDS - t0)) s (logs: $out/lab.log, $out/guest.log)"
echo "$((host_pass + guest_pass)) passed, $((host_fail + guest_fail)) failed"
[[ $rc == 0 && $host_fail == 0 && $guest_fail == 0 && $guest_pass -gt 0 ]]
