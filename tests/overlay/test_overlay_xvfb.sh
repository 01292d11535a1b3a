#!/bin/bash
# tests/overlay/test_overlay_xvfb.sh — the overlay in a real X window, on a private Xvfb.
# usage: test_overlay_xvfb.sh OVERLAY_WINDOW_EXE
# Screenshots go to $SC_BUILD_DIR/overlay-xvfb/. Exit 77 (meson: skipped) without Xvfb.
set -u
exe=${1:?usage: test_overlay_xvfb.sh OVERLAY_WINDOW_EXE}
if ! command -v Xvfb >/dev/null; then
    echo "SKIP: Xvfb is not installed (Debian package xvfb)"
    exit 77
fi
out=${SC_BUILD_DIR:-.}/overlay-xvfb
rm -rf "$out"
mkdir -p "$out/fb" || exit 1

# -displayfd: Xvfb picks a free display number itself and writes it to fd 3 when ready, so
# parallel runs never collide. -fbdir: the screen is also a file (XWD), an independent
# screenshot of what reached the X server.
Xvfb -displayfd 3 -screen 0 1024x768x24 -fbdir "$out/fb" -nolisten tcp \
    3>"$out/display" 2>"$out/xvfb.log" &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null' EXIT

for _ in $(seq 100); do
    [ -s "$out/display" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || break
    sleep 0.1
done
disp=$(head -n1 "$out/display" 2>/dev/null)
if [ -z "$disp" ]; then
    echo "Xvfb did not start:"
    cat "$out/xvfb.log"
    exit 1
fi
echo "Xvfb on :$disp (pid $xvfb_pid)"

# Under ASan: libdbus and the dlopen'ed Mesa driver keep a few allocations past SDL_Quit,
# which are not ours; leak checking of overlay.c is done by the offscreen test.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
DISPLAY=":$disp" SDL_VIDEODRIVER=x11 "$exe" "$out" "$out/fb/Xvfb_screen0"
