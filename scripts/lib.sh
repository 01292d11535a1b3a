# shellcheck shell=bash
# scripts/lib.sh — helpers sourced by setup.sh, fetch-assets.sh and test.sh (not run by itself).
# Messages go to stderr so that `./scripts/run.sh > out.json` keeps stdout for the program's output.

# shellcheck disable=SC2034  # SC_ROOT and SC_PACKAGES are used by the scripts that source this
SC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The Debian (bookworm) / Raspberry Pi OS packages ssdcam builds, runs and tests with: the one list.
# build-essential..libstb-dev build the program; clang is the second compiler of scripts/test.sh;
# python3 runs ../shared/testdata/compare.py and the Python tests; python3-pil lets tests/model/test_preproc
# check the resizer against Pillow itself (skipped without it); curl, unzip and ca-certificates fetch the
# public model zip; xvfb gives the window test (tests/overlay) a real X server.
# libjpeg62-turbo-dev: libjpeg-turbo decodes JPEG stills exactly as Pillow does and MJPEG frames DCT-scaled.
# xdotool sends keys to ssdcam's window in the app-level window test (tests/app/test_window.py).
# logrotate rotates the service's detection log (config/ssdcam.logrotate; tests/scripts/test_install_service.sh).
# valgrind: memcheck of a headless run and of detect in tests/ci/soak.sh (issue 8).
# libclang-rt-14-dev: libFuzzer and clang's sanitizer runtimes for tests/ci/fuzz.sh (only recommended by clang).
SC_PACKAGES=(build-essential meson ninja-build pkg-config libv4l-dev libyaml-dev libsdl2-dev libstb-dev
             clang python3 python3-pil curl unzip ca-certificates xvfb xdotool libjpeg62-turbo-dev logrotate
             valgrind libclang-rt-14-dev)

sc_say()  { printf '==> %s\n' "$*" >&2; }
sc_warn() { printf 'warning: %s\n' "$*" >&2; }
sc_err()  { printf 'error: %s\n' "$*" >&2; }
sc_die()  { sc_err "$@"; exit 1; }

sc_sha256() { sha256sum -- "$1" | cut -d' ' -f1; }

# sc_apt_ensure PKG...: installs the packages that are not installed yet. Does nothing, and so
# needs neither root nor network, when all are there. SSDCAM_NO_APT=1 skips it (and warns).
sc_apt_ensure() {
    local missing=() p sudo=()
    for p in "$@"; do
        dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        sc_say "Debian packages: all $# needed are installed"
        return 0
    fi
    if [[ ${SSDCAM_NO_APT:-0} == 1 ]]; then
        sc_warn "SSDCAM_NO_APT=1: not installing missing Debian packages: ${missing[*]}"
        return 0
    fi
    command -v apt-get >/dev/null || sc_die "missing packages ${missing[*]} and no apt-get: install them by hand"
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || sc_die "missing packages ${missing[*]}: run as root or install sudo"
        sudo=(sudo)
    fi
    sc_say "installing Debian packages: ${missing[*]}"
    # Wait up to 10 min for another apt/dpkg (unattended-upgrades, a parallel set-up) to finish.
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
    "${apt[@]}" update </dev/null >&2 ||
        sc_die "apt-get update failed (no network?); missing packages: ${missing[*]}"
    "${apt[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null >&2 ||
        sc_die "apt-get install failed for: ${missing[*]}"
}

# sc_meson_configure DIR [MESON-OPTION...]: `meson setup` a new build dir, `--reconfigure` an
# existing one (so options given here win), and start over when DIR is not a usable build dir.
# The compiler comes from $CC when the dir is first set up (meson keeps it after that).
sc_meson_configure() {
    local dir=$1; shift
    if [[ -f $dir/meson-private/coredata.dat ]]; then
        meson setup --reconfigure "$dir" "$@" >&2 && return 0
        sc_warn "reconfiguring $dir failed; wiping it and setting it up again"
        meson setup --wipe "$dir" "$@" >&2
    else
        [[ -e $dir ]] && rm -rf -- "$dir"
        meson setup "$dir" "$@" >&2
    fi
}
