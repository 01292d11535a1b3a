#!/bin/sh
# tests/camera/guest-camera.sh — runs INSIDE the v4l2lab guest (busybox sh) as /test.sh, started
# by tests/camera/run.sh. Drives `ssdcam capture` / `ssdcam devices` against vivid, v4l2loopback
# and uvcvideo (gadgetcam on dummy_hcd). Every check prints "CHECK <name> PASS|FAIL (detail)";
# measurements print "TIMING ..." and "MEASURE ..." lines.
# In the guest: /usr/bin/ssdcam, v4l2cap, v4l2feed, gadgetcam; /data/*.jpg, dog640.ppm, expect.env.
. /data/expect.env

up() { cut -d' ' -f1 /proc/uptime; }
check() { # name, 0|1 (0 = pass), detail
	if [ "$2" = 0 ]; then echo "CHECK $1 PASS${3:+ ($3)}"; else echo "CHECK $1 FAIL${3:+ ($3)}"; fi
}
t() { "$@" >/dev/null 2>&1 && echo 0 || echo 1; }        # a test as 0/1
fcmp() { awk "BEGIN { exit !(($1) $2 ($3)) }" 2>/dev/null; }   # fcmp 1.5 '<' "2 + 1"
# field NAME FILE: NAME's value in the summary line
sumf() { grep '"event":"summary"' "$2" | tail -1 | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
openf() { grep '"event":"open"' "$2" | head -1 | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
# frames FILE: the frame lines
frames() { grep '"frame":' "$1"; }
nframes() { grep -c '"frame":' "$1"; }
# every frame line of FILE has "NAME":VALUE
allf() { n=$(nframes "$3"); m=$(grep '"frame":' "$3" | grep -c "\"$1\":\"\{0,1\}$2[\",}]"); [ "$n" -gt 0 ] && [ "$n" = "$m" ]; }
# ids and driver sequence numbers strictly increase
increasing() {
	frames "$1" | sed -n 's/.*"frame":\([0-9]*\),"seq":\([0-9]*\).*/\1 \2/p' |
		awk 'NR > 1 && ($1 <= id || $2 <= sq) { bad = 1 } { id = $1; sq = $2 } END { exit bad || NR == 0 }'
}
cap() { # cap OUT ARGS...: ssdcam capture ARGS > OUT.json, stderr to OUT.err; RC
	o=$1; shift
	timeout 90 ssdcam capture "$@" >"$o.json" 2>"$o.err"; RC=$?   # a camera that never comes is waited for
	grep '"event"' "$o.json" | sed 's/^/  /'
	grep -v '^libv4l2' "$o.err" | head -8 | sed 's/^/  stderr: /'
}
wait_frames() { # FILE N TIMEOUT_S
	i=0
	while :; do
		n=$(grep -c '"frame":' "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.1; i=$((i + 1)); [ $i -ge $(($3 * 10)) ] && return 1
	done
}
# resumed FILE [STATE]: a "streaming" state event after the last STATE (default reconnecting) one
resumed() {
	awk -v st="\"state\":\"${2:-reconnecting}\"" 'index($0, st) { r = NR } /"state":"streaming"/ { if (r && NR > r) s = 1 } END { exit !s }' "$1"
}
wait_resumed() { # FILE TIMEOUT_S [STATE]; also notes when /dev/video0 reappears (NODE_BACK)
	i=0; NODE_BACK=""
	while ! resumed "$1" "$3"; do
		[ -z "$NODE_BACK" ] && [ -e /dev/video0 ] && NODE_BACK=$(up)
		sleep 0.05; i=$((i + 1)); [ $i -ge $(($2 * 20)) ] && return 1
	done
	[ -z "$NODE_BACK" ] && NODE_BACK=$(up)
	return 0
}
# event_t FILE STATE [after-line-of-STATE2]: t of the first STATE event (after the first STATE2)
event_t() {
	awk -v s="\"state\":\"$2\"" -v a="${3:+\"state\":\"$3\"}" '
		a != "" && index($0, a) { seen = 1 }
		(a == "" || seen) && index($0, s) { sub(/.*"t":/, ""); sub(/,.*/, ""); print; exit }' "$1"
}
bg_start() { # OUT ARGS...: ssdcam capture in the background
	o=$1; shift
	: >"$o.json"
	ssdcam capture "$@" >"$o.json" 2>"$o.err" &
	BG=$!
}
bg_stop() { kill -INT "$BG" 2>/dev/null; wait "$BG"; RC=$?; grep '"event"' "$1.json" | sed 's/^/  /'; }
ctrl() { v4l2cap -d /dev/video0 -n 1 -q -c "$1" 2>&1 | grep '^CTRL'; }   # set a control from another process
wait_state() { # FILE STATE TIMEOUT_S: until a STATE event is in FILE; W_T = /proc/uptime then
	i=0
	while ! grep -q "\"state\":\"$2\"" "$1" 2>/dev/null; do
		sleep 0.05; i=$((i + 1)); [ $i -ge $(($3 * 20)) ] && return 1
	done
	W_T=$(up)
}
nstate() { grep -c "\"state\":\"$2\"" "$1"; }   # FILE STATE: how many STATE events
wait_grep() { # FILE PATTERN TIMEOUT_S: until PATTERN is in FILE; W_T = /proc/uptime then
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.05; i=$((i + 1)); [ $i -ge $(($3 * 20)) ] && return 1
	done
	W_T=$(up)
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
blk() { BLK_T=$(up); }                                        # blk; ...; blk_end NAME: its guest time
blk_end() { echo "TIMING block $1: $(sub "$(up)" "$BLK_T") s"; }
# last_frame_t FILE STATE: t of the last frame line before the first STATE event
last_frame_t() {
	awk -v s="\"state\":\"$2\"" 'index($0, s) { exit } /"frame":/ { x = $0; sub(/.*"t":/, "", x); sub(/,.*/, "", x); t = x } END { print t }' "$1"
}
# headless detection runs: the model and labels are in /data; logs go to /host for the host's
# checks. rho 0.5 (150x150) keeps the emulated inference short; decode_scale full decodes MJPEG
# frames whole, as `ssdcam detect` does (auto would decode at 1/2 scale for a 150 input, and the
# detections would then differ slightly from detect's).
RUN="timeout 240 ssdcam run --headless --quiet --set model.path=/data/detect.tflite --set log.every_frame=true --set detection.threshold=0.5 --set model.rho=0.5 --set source.decode_scale=full"
# stops background process $1 (SIGINT), waiting up to $2 s for it to exit on its own first
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 "$1" 2>/dev/null && { echo "  (still running after $2 s: SIGINT)"; kill -INT "$1"; }
	wait "$1"
}

echo "== clocks: ssdcam prints CLOCK_MONOTONIC seconds; the script uses /proc/uptime =="
u0=$(up)
cap /tmp/clk --image /data/dog640.ppm --frames 1 --quiet
tclk=$(openf t /tmp/clk.json)
check clock-same $(fcmp "$tclk" '>=' "$u0" && fcmp "$tclk" '<' "$u0 + 1.0" && echo 0 || echo 1) "uptime $u0, monotonic $tclk"

echo "== vivid =="
modprobe vivid n_devs=1 node_types=0x1 vid_cap_nr=0 || echo "CHECK modprobe-vivid FAIL"
ssdcam devices >/tmp/dev.txt 2>&1; rc=$?
sed -n '1,6p' /tmp/dev.txt
check vivid-devices $([ $rc = 0 ] && grep -q '^/dev/video0: vivid' /tmp/dev.txt && grep -q 'YUYV 4:2:2' /tmp/dev.txt &&
	grep -q '640x480 .*25 fps' /tmp/dev.txt && echo 0 || echo 1) "rc $rc"
ssdcam devices --json --controls >/tmp/dev.json 2>&1
check vivid-devices-json $(grep -q '"driver":"vivid"' /tmp/dev.json && grep -q '"fourcc":"YUYV"' /tmp/dev.json &&
	grep -q '"width":1280,"height":720,"fps":\[' /tmp/dev.json && grep -q '"name":"Disconnect"' /tmp/dev.json && echo 0 || echo 1)
ssdcam devices --controls /dev/video0 | sed -n '/controls:/,$p' | grep -E 'OSD|Dropped|Inject|Disconnect'

# 640x480 YUYV: ask 30 fps, vivid grants 25
cap /tmp/v1 --device /dev/video0 --format yuyv --size 640x480 --fps 30 --frames 50 --ctrl "OSD Text Mode=None"
fps=$(sumf fps /tmp/v1.json); sfps=$(sumf seq_fps /tmp/v1.json)
check vivid-yuyv-640 $([ $RC = 0 ] && [ "$(sumf frames /tmp/v1.json)" = 50 ] && echo 0 || echo 1) "rc $RC"
check vivid-granted-25 $([ "$(openf fps /tmp/v1.json)" = 25 ] && grep -q 'granted 25' /tmp/v1.err && echo 0 || echo 1)
check vivid-bytes $(allf bytes 614400 /tmp/v1.json && echo 0 || echo 1)
check vivid-increasing $(increasing /tmp/v1.json && echo 0 || echo 1)
# vivid numbers every frame it makes: its rate must be the granted one; what we got may be less
# when the emulated guest stalls (the drops are then counted)
check vivid-fps-25 $(fcmp "$sfps" '>' 23 && fcmp "$sfps" '<' 27 && fcmp "$fps" '>' 15 && echo 0 || echo 1) "driver $sfps fps, received $fps fps"
echo "MEASURE vivid yuyv 640x480@25: received $fps fps (driver $sfps), age mean $(sumf age_ms_mean /tmp/v1.json) ms max $(sumf age_ms_max /tmp/v1.json) ms, driver drops $(sumf driver_drops /tmp/v1.json), stale $(sumf stale /tmp/v1.json)"

# other sizes and rates (vivid: 320x180 up to 60, 640x360 up to 40, 1280x720 up to 12.5 fps)
for sr in 320x180:30 640x360:40 1280x720:10; do
	s=${sr%:*}; r=${sr#*:}; w=${s%x*}; h=${s#*x}
	cap /tmp/vs --device /dev/video0 --format yuyv --size "$s" --fps "$r" --frames 20
	fps=$(sumf fps /tmp/vs.json); sfps=$(sumf seq_fps /tmp/vs.json)
	check "vivid-$s@$r" $([ $RC = 0 ] && [ "$(openf width /tmp/vs.json)" = "$w" ] && [ "$(openf fps /tmp/vs.json)" = "$r" ] &&
		allf bytes $((w * h * 2)) /tmp/vs.json && fcmp "$sfps" '>' "$r * 0.92" && fcmp "$sfps" '<' "$r * 1.08" &&
		fcmp "$fps" '>' "$r * 0.6" && echo 0 || echo 1) "driver $sfps fps, received $fps fps"
	echo "MEASURE vivid yuyv $s@$r: received $fps fps (driver $sfps), age max $(sumf age_ms_max /tmp/vs.json) ms, drops $(sumf driver_drops /tmp/vs.json)"
done

# YUYV -> RGB -> 300x300 (the fused path) on real frames
cap /tmp/vd --device /dev/video0 --format yuyv --size 640x480 --frames 10 --decode --resize 300x300 --ctrl "OSD Text Mode=None"
check vivid-decode $([ $RC = 0 ] && allf rgb 300x300 /tmp/vd.json && echo 0 || echo 1)
echo "MEASURE yuyv 640x480 -> rgb 300x300 (fused, in the TCG guest): $(frames /tmp/vd.json | tail -5 | sed -n 's/.*"decode_ms":\([0-9.]*\).*/\1/p' | tr '\n' ' ')ms"

# what vivid cannot do is refused clearly (exit 2)
cap /tmp/vr --device /dev/video0 --format mjpeg --frames 3
check vivid-refuse-mjpeg $([ $RC = 2 ] && grep -q 'does not offer MJPG' /tmp/vr.err && echo 0 || echo 1) "rc $RC"
cap /tmp/vr --device /dev/video0 --format yuyv --size 1000x1000 --frames 3
check vivid-refuse-size $([ $RC = 2 ] && grep -q 'granted YUYV 1280x720' /tmp/vr.err && grep -q '640x480' /tmp/vr.err && echo 0 || echo 1) "rc $RC"
cap /tmp/vr --device /dev/video0 --format auto --size 1280x720 --frames 3
check vivid-auto-720-yuyv $([ $RC = 0 ] && [ "$(openf format /tmp/vr.json)" = yuyv ] && echo 0 || echo 1) "no MJPEG offered"
cap /tmp/vr --device /dev/video9 --no-wait --frames 3
check no-device $([ $RC = 1 ] && grep -q 'No such file' /tmp/vr.err && echo 0 || echo 1) "rc $RC"

# latest-frame semantics: a consumer taking 200 ms a frame at 25 fps gets fresh frames only
cap /tmp/vl --device /dev/video0 --format yuyv --size 640x480 --fps 25 --work-ms 200 --seconds 3 --quiet
got=$(sumf frames /tmp/vl.json); ev=$(sumf evicted /tmp/vl.json); age=$(sumf age_ms_mean /tmp/vl.json)
check vivid-latest-frame $([ "$got" -ge 8 ] && [ "$got" -le 16 ] && [ "$ev" -ge 30 ] && fcmp "$age" '<' 60 && echo 0 || echo 1) \
	"consumed $got, evicted $ev, frames $age ms old on average (max $(sumf age_ms_max /tmp/vl.json))"

# the driver drops half the buffers: sequence gaps are counted
cap /tmp/vp --device /dev/video0 --format yuyv --size 640x480 --fps 25 --frames 30 --quiet --ctrl "Percentage of Dropped Buffers=50"
dd=$(sumf driver_drops /tmp/vp.json)
check vivid-driver-drops $([ $RC = 0 ] && [ "$dd" -ge 12 ] && [ "$dd" -le 60 ] && echo 0 || echo 1) "$dd dropped for 30 frames"
ctrl "Percentage of Dropped Buffers=0" >/dev/null

# error injection mid-stream, from another process (controls are per device)
bg_start /tmp/ve --device /dev/video0 --format yuyv --size 640x480 --fps 25
wait_frames /tmp/ve.json 10 10
for i in 1 2 3; do ctrl "Inject V4L2_BUF_FLAG_ERROR=1"; sleep 0.3; done
sleep 0.5; bg_stop /tmp/ve
c=$(sumf corrupt /tmp/ve.json)
check vivid-buffer-error $([ "$c" -ge 2 ] && [ "$(sumf reconnects /tmp/ve.json)" = 0 ] && echo 0 || echo 1) "$c buffers flagged ERROR skipped"

# fatal streaming error (vb2 queue error: POLLERR, then EIO), Disconnect (ENODEV), unbind/bind:
# lost, reopened, streaming again by itself
for how in fatal disconnect unbind; do
	bg_start /tmp/vx --device /dev/video0 --format yuyv --size 640x480 --fps 25 --ctrl "OSD Text Mode=None"
	wait_frames /tmp/vx.json 10 10
	tl=$(up)
	case $how in
	fatal) ctrl "Inject Fatal Streaming Error=1" ;;
	disconnect) ctrl "Disconnect=1" ;;
	unbind) echo vivid.0 >/sys/bus/platform/drivers/vivid/unbind; sleep 1; echo vivid.0 >/sys/bus/platform/drivers/vivid/bind ;;
	esac
	tr=$(up)
	wait_resumed /tmp/vx.json 10; res=$?
	sleep 0.5; bg_stop /tmp/vx
	t_lost=$(event_t /tmp/vx.json reconnecting); t_back=$(event_t /tmp/vx.json streaming reconnecting)
	after=$(awk -v tb="$t_back" '/"frame":/ { x = $0; sub(/.*"t":/, "", x); sub(/,.*/, "", x); if (x + 0 >= tb + 0) n++ } END { print n + 0 }' /tmp/vx.json)
	check "vivid-$how-recovers" $([ $res = 0 ] && [ "$(sumf reconnects /tmp/vx.json)" -ge 1 ] && [ "$after" -ge 5 ] && echo 0 || echo 1) \
		"$(grep -o '"state":"reconnecting".*"reason":"[^"]*"' /tmp/vx.json | head -1 | sed 's/.*"reason"://')"
	echo "TIMING vivid-$how: lost after $(awk -v a="$t_lost" -v b="$tl" 'BEGIN { printf "%.2f", a - b }') s; streaming again $(awk -v a="$t_back" -v b="$tr" 'BEGIN { printf "%.2f", a - b }') s after the device was back ($after frames after)"
done
blk
# a camera that stops sending frames (vivid drops every buffer): "no signal" within the
# configured time, logged once, and streaming again when frames return (no restart needed)
bg_start /tmp/vn --device /dev/video0 --format yuyv --size 640x480 --fps 25 --no-signal-ms 600 --restart-ms 10000
wait_frames /tmp/vn.json 10 10
tp=$(up); ctrl "Percentage of Dropped Buffers=100" >/dev/null
wait_state /tmp/vn.json "no signal" 5; res1=$?; tn=$W_T
sleep 1.5
tc=$(up); ctrl "Percentage of Dropped Buffers=0" >/dev/null
wait_resumed /tmp/vn.json 5 "no signal"; res2=$?
sleep 0.3; bg_stop /tmp/vn
t_ns=$(event_t /tmp/vn.json "no signal"); t_back=$(event_t /tmp/vn.json streaming "no signal"); t_lf=$(last_frame_t /tmp/vn.json "no signal")
check vivid-no-signal $([ $res1 = 0 ] && [ $res2 = 0 ] && [ "$(nstate /tmp/vn.json 'no signal')" = 1 ] &&
	[ "$(grep -c 'no signal' /tmp/vn.err)" = 1 ] && fcmp "$(sub "$t_ns" "$t_lf")" '>=' 0.55 && fcmp "$(sub "$t_ns" "$t_lf")" '<' 1.2 &&
	fcmp "$(sub "$t_back" "$tc")" '<' 1.5 && [ "$(sumf reconnects /tmp/vn.json)" = 0 ] && echo 0 || echo 1) \
	"no signal $(sub "$t_ns" "$t_lf") s after the last frame (timeout 0.6 s), $(nstate /tmp/vn.json 'no signal') event, logged $(grep -c 'no signal' /tmp/vn.err)x; streaming $(sub "$t_back" "$tc") s after frames returned; waits $res1 $res2, reconnects $(sumf reconnects /tmp/vn.json)"
blk_end vivid-no-signal
echo "TIMING vivid-no-signal: buffers dropped $(sub "$t_lf" "$tp") s after the control was set, no signal $(sub "$t_ns" "$t_lf") s after the last frame, streaming $(sub "$t_back" "$tc") s after the control was reset"

blk
# headless detection on vivid's YUYV (the host checks the log: lines, ids, size)
$RUN --set source.kind=camera --set source.device=/dev/video0 --set source.pixel_format=yuyv \
	--set source.width=640 --set source.height=480 --set log.path=/tmp/run-vivid.jsonl --frames 3 2>/tmp/rv.err; rc=$?
cp /tmp/run-vivid.jsonl /host/ 2>/dev/null
grep -v '^libv4l2' /tmp/rv.err | tail -3 | sed 's/^/  stderr: /'
blk_end vivid-run
check vivid-run-headless $([ $rc = 0 ] && [ "$(wc -l </tmp/run-vivid.jsonl)" -ge 3 ] && echo 0 || echo 1) "rc $rc, $(wc -l </tmp/run-vivid.jsonl) lines"
rmmod vivid

echo "== v4l2loopback: MJPEG from real photos, Huffman tables stripped =="
if modprobe v4l2loopback devices=1 video_nr=10 exclusive_caps=1 card_label=loopcam max_buffers=4 2>/tmp/err.txt; then
	feed() { v4l2feed -d /dev/video10 -f MJPG -i "$1" -r 30 >/tmp/feed.txt 2>&1 & FEED=$!; sleep 1; }
	unfeed() { kill $FEED 2>/dev/null; wait $FEED 2>/dev/null; sleep 0.3; }
	feed /data/dog640s.jpg
	ssdcam devices /dev/video10 >/tmp/dev.txt 2>&1; rc=$?
	check loop-devices $([ $rc = 0 ] && grep -q 'loopcam' /tmp/dev.txt && grep -q 'MJPG' /tmp/dev.txt && echo 0 || echo 1)
	cap /tmp/l1 --device /dev/video10 --format mjpeg --size 640x480 --frames 20 --crc --decode
	# v4l2loopback's first frame reports the whole buffer as bytesused: the frame must still be
	# exactly the JPEG (EOI found by walking it)
	check loop-mjpeg $([ $RC = 0 ] && [ "$(sumf frames /tmp/l1.json)" = 20 ] && echo 0 || echo 1) "rc $RC"
	check loop-mjpeg-bitexact $(allf crc "$DOG_CRC" /tmp/l1.json && allf bytes "$DOG_BYTES" /tmp/l1.json && echo 0 || echo 1) "$DOG_BYTES bytes"
	check loop-mjpeg-decodes $(allf rgb_crc "$DOG_RGB_CRC" /tmp/l1.json && [ "$(sumf decode_errors /tmp/l1.json)" = 0 ] && echo 0 || echo 1) "standard tables inserted"
	echo "MEASURE v4l2loopback mjpeg 640x480 stb decode (TCG): $(frames /tmp/l1.json | tail -3 | sed -n 's/.*"decode_ms":\([0-9.]*\).*/\1/p' | tr '\n' ' ')ms"
	cap /tmp/l1r --device /dev/video10 --format mjpeg --size 640x480 --frames 60 --quiet
	echo "MEASURE v4l2loopback mjpeg 640x480 fed at 30 fps: $(sumf fps /tmp/l1r.json) fps, driver drops $(sumf driver_drops /tmp/l1r.json), age max $(sumf age_ms_max /tmp/l1r.json) ms"
	cap /tmp/l2 --device /dev/video10 --format yuyv --frames 3
	check loop-refuse-yuyv $([ $RC = 2 ] && grep -q 'does not offer YUYV' /tmp/l2.err && echo 0 || echo 1) "rc $RC"
	unfeed

	feed /data/cat720s.jpg
	cap /tmp/l3 --device /dev/video10 --format auto --size 1280x720 --frames 10 --crc --decode --resize 300x300
	check loop-auto-720-mjpeg $([ $RC = 0 ] && [ "$(openf format /tmp/l3.json)" = mjpeg ] && allf crc "$CAT_CRC" /tmp/l3.json &&
		allf rgb 300x300 /tmp/l3.json && echo 0 || echo 1) "auto above 640x480 -> MJPEG"
	echo "MEASURE v4l2loopback mjpeg 1280x720 decode+resize to 300x300 (TCG): $(frames /tmp/l3.json | tail -3 | sed -n 's/.*"decode_ms":\([0-9.]*\).*/\1/p' | tr '\n' ' ')ms"
	cap /tmp/l3r --device /dev/video10 --format mjpeg --size 1280x720 --frames 60 --quiet
	echo "MEASURE v4l2loopback mjpeg 1280x720 fed at 30 fps: $(sumf fps /tmp/l3r.json) fps, driver drops $(sumf driver_drops /tmp/l3r.json)"
	unfeed

	feed /data/trunc.jpg
	cap /tmp/l4 --device /dev/video10 --format mjpeg --size 640x480 --seconds 2.5 --no-signal-ms 700
	tc=$(sumf truncated /tmp/l4.json)
	check loop-truncated-skipped $([ $RC = 1 ] && [ "$(sumf captured /tmp/l4.json)" = 0 ] && [ "$tc" -ge 20 ] &&
		grep -q '"state":"no signal"' /tmp/l4.json && echo 0 || echo 1) "$tc truncated frames counted, none delivered"
	unfeed
	feed /data/corrupt.jpg
	cap /tmp/l5 --device /dev/video10 --format mjpeg --size 640x480 --seconds 2
	cc=$(sumf corrupt /tmp/l5.json)
	check loop-corrupt-skipped $([ $RC = 1 ] && [ "$(sumf captured /tmp/l5.json)" = 0 ] && [ "$cc" -ge 20 ] && echo 0 || echo 1) "$cc corrupt frames counted"
	unfeed

	# the producer dies (the camera stalls: no error, only silence), then comes back: no signal,
	# streaming restarted on the open device, frames again (a close/reopen would wedge
	# v4l2loopback here: see capture.h)
	blk
	# the producer pauses (SIGSTOP: the device stays open, frames just stop), then goes on:
	# no signal within the timeout, logged once (also across stream restarts), streaming again
	feed /data/dog640s.jpg
	bg_start /tmp/l7 --device /dev/video10 --format mjpeg --size 640x480 --crc --no-signal-ms 800 --restart-ms 1600
	wait_frames /tmp/l7.json 10 10
	tp=$(up); kill -STOP $FEED
	wait_state /tmp/l7.json "no signal" 5; res1=$?
	sleep 2.2
	tc=$(up); kill -CONT $FEED
	wait_resumed /tmp/l7.json 5 "no signal"; res2=$?
	sleep 0.3; bg_stop /tmp/l7
	unfeed
	t_ns=$(event_t /tmp/l7.json "no signal"); t_back=$(event_t /tmp/l7.json streaming "no signal"); t_lf=$(last_frame_t /tmp/l7.json "no signal")
	check loop-writer-pause $([ $res1 = 0 ] && [ $res2 = 0 ] && [ "$(nstate /tmp/l7.json 'no signal')" = 1 ] &&
		[ "$(grep -c 'no signal' /tmp/l7.err)" = 1 ] && fcmp "$(sub "$t_ns" "$t_lf")" '>=' 0.75 && fcmp "$(sub "$t_ns" "$t_lf")" '<' 1.4 &&
		fcmp "$(sub "$t_back" "$tc")" '<' 1.5 && [ "$(sumf restarts /tmp/l7.json)" -ge 1 ] && [ "$(sumf reconnects /tmp/l7.json)" = 0 ] &&
		allf crc "$DOG_CRC" /tmp/l7.json && echo 0 || echo 1) \
		"no signal $(sub "$t_ns" "$t_lf") s after the last frame (timeout 0.8 s), $(nstate /tmp/l7.json 'no signal') event, logged $(grep -c 'no signal' /tmp/l7.err)x, $(sumf restarts /tmp/l7.json) restarts; streaming $(sub "$t_back" "$tc") s after it went on; waits $res1 $res2"
	blk_end loop-writer-pause
	echo "TIMING loop-writer-pause: last frame $(sub "$t_lf" "$tp") s after SIGSTOP, no signal $(sub "$t_ns" "$t_lf") s after it, streaming $(sub "$t_back" "$tc") s after SIGCONT"

	blk
	# headless detection on MJPEG from three photos (each 15 frames, round and round at 30 fps):
	# the host checks each log line against `ssdcam detect` on the same stripped JPEGs
	mkframes feed /dev/video10 30 15 /data/dog640s.jpg /data/person640s.jpg /data/giraffe640s.jpg >/tmp/feed.txt 2>&1 & FEED=$!
	sleep 1
	$RUN --set source.kind=camera --set source.device=/dev/video10 --set source.pixel_format=mjpeg \
		--set source.width=640 --set source.height=480 --set log.path=/tmp/run-loop.jsonl --frames 8 2>/tmp/rl.err; rc=$?
	unfeed
	cp /tmp/run-loop.jsonl /host/ 2>/dev/null
	grep -v '^libv4l2' /tmp/rl.err | tail -3 | sed 's/^/  stderr: /'
	blk_end loop-run
	check loop-run-headless $([ $rc = 0 ] && [ "$(wc -l </tmp/run-loop.jsonl)" -ge 8 ] && echo 0 || echo 1) "rc $rc, $(wc -l </tmp/run-loop.jsonl) lines"
	echo "MEASURE ssdcam run headless, v4l2loopback mjpeg 640x480 (TCG): $(grep 'summary' /tmp/rl.err | sed 's/.*summary: //')"

	feed /data/dog640s.jpg
	bg_start /tmp/l6 --device /dev/video10 --format mjpeg --size 640x480 --crc --no-signal-ms 500 --restart-ms 1500
	wait_frames /tmp/l6.json 10 10
	unfeed; sleep 3.5
	tr=$(up); feed /data/dog640s.jpg
	wait_resumed /tmp/l6.json 10 "no signal"; res=$?
	sleep 0.5; bg_stop /tmp/l6
	t_back=$(event_t /tmp/l6.json streaming "no signal")
	check loop-producer-restart $([ $res = 0 ] && [ "$(sumf restarts /tmp/l6.json)" -ge 1 ] && [ "$(sumf reconnects /tmp/l6.json)" = 0 ] &&
		allf crc "$DOG_CRC" /tmp/l6.json && echo 0 || echo 1) "no signal, $(sumf restarts /tmp/l6.json) stream restarts, streaming again"
	echo "TIMING loop-producer-restart: streaming again $(awk -v a="$t_back" -v b="$tr" 'BEGIN { printf "%.2f", a - b }') s after the producer restarted"
	unfeed
	rmmod v4l2loopback && echo "CHECK loop-rmmod PASS" || echo "CHECK loop-rmmod FAIL"
else
	cat /tmp/err.txt; echo "CHECK modprobe-v4l2loopback FAIL"
fi

echo "== uvcvideo: the real webcam driver, a user-space USB camera =="
if modprobe dummy_hcd && modprobe gadgetfs && modprobe uvcvideo; then
	mkdir -p /dev/gadget && mount -t gadgetfs gadgetfs /dev/gadget
	gadget() { gadgetcam -j /data/dog640s.jpg -p /data/dog640.ppm >/tmp/gadget.txt 2>>/tmp/gadget.err & }
	# The guest has no udev: no /dev/v4l/by-id links. fake_udev plays its part for one plug:
	# once the node appears, the by-id link (udev's naming: usb-VENDOR_MODEL-video-index0).
	BYID=/dev/v4l/by-id/usb-ssdcam_gadgetcam-video-index0
	fake_udev() { ( for i in $(seq 1 100); do [ -e /dev/video0 ] && break; sleep 0.05; done
		mkdir -p /dev/v4l/by-id && ln -sf ../../video0 $BYID ) & }

	blk
	# started before the camera is plugged in, by its by-id name: waits ("waiting for camera",
	# logged once), then streams within 2 s of the plug
	bg_start /tmp/uw --device $BYID --format mjpeg --size 640x480 --crc
	wait_state /tmp/uw.json reconnecting 5
	sleep 1.5
	tr=$(up); gadget; fake_udev
	wait_resumed /tmp/uw.json 10; res=$?
	sleep 0.3; bg_stop /tmp/uw
	t_back=$(event_t /tmp/uw.json streaming reconnecting)
	check uvc-wait-for-plug $([ $res = 0 ] && [ "$(grep -c 'waiting for camera' /tmp/uw.err)" = 1 ] &&
		[ "$(nstate /tmp/uw.json reconnecting)" = 1 ] && [ "$(openf by_id /tmp/uw.json)" = "$BYID" ] &&
		[ "$(openf path /tmp/uw.json)" = "$BYID" ] && allf crc "$DOG_CRC" /tmp/uw.json &&
		fcmp "$(sub "$t_back" "$tr")" '<' 2.0 && echo 0 || echo 1) \
		"waited ('waiting for camera' logged $(grep -c 'waiting for camera' /tmp/uw.err)x), streaming $(sub "$t_back" "$tr") s after the plug"
	echo "TIMING uvc-wait-for-plug: node $(sub "$NODE_BACK" "$tr") s and streaming $(sub "$t_back" "$tr") s after the plug, $(nframes /tmp/uw.json) frames"
	# ssdcam devices names the by-id link (made here by hand: see fake_udev)
	ssdcam devices /dev/video0 >/tmp/dev.txt 2>&1
	ssdcam devices --json >/tmp/dev.json 2>&1
	check uvc-devices-by-id $(grep -q "by-id: $BYID" /tmp/dev.txt && grep -q "\"by_id\":\"$BYID\"" /tmp/dev.json && echo 0 || echo 1) "link made by hand: the guest has no udev"
	blk_end uvc-wait-for-plug+devices
	rm -f $BYID   # udev would remove it at the unplugs below
	for i in $(seq 1 50); do [ -e /dev/video0 ] && break; sleep 0.1; done
	YUYV_CRC=$(sed -n 's/GADGET YUYV.*crc=\(0x[0-9a-f]*\)/\1/p' /tmp/gadget.txt)
	ssdcam devices >/tmp/dev.txt 2>&1; rc=$?
	cat /tmp/dev.txt
	check uvc-devices $([ $rc = 0 ] && grep -q 'UVC Camera (1d6b:0102)' /tmp/dev.txt && grep -q 'driver uvcvideo' /tmp/dev.txt &&
		grep -q 'USB 1d6b:0102' /tmp/dev.txt && grep -q 'MJPG' /tmp/dev.txt && grep -q '640x480 *30 fps' /tmp/dev.txt &&
		grep -q 'not a video capture node' /tmp/dev.txt && echo 0 || echo 1) "capture node + metadata node"

	cap /tmp/u1 --device /dev/video0 --format mjpeg --size 640x480 --fps 30 --frames 8 --crc --decode
	check uvc-mjpeg $([ $RC = 0 ] && allf crc "$DOG_CRC" /tmp/u1.json && allf rgb_crc "$DOG_RGB_CRC" /tmp/u1.json && echo 0 || echo 1) "rc $RC"
	cap /tmp/u1r --device /dev/video0 --format mjpeg --size 640x480 --frames 40 --quiet
	echo "MEASURE uvcvideo mjpeg 640x480: $(sumf fps /tmp/u1r.json) fps, driver drops $(sumf driver_drops /tmp/u1r.json), age max $(sumf age_ms_max /tmp/u1r.json) ms"
	cap /tmp/u2 --device /dev/video0 --format yuyv --size 640x480 --frames 8 --crc --decode
	mr=$(frames /tmp/u2.json | tail -1 | sed -n 's/.*"rgb_mean":\[\([^,]*\),\([^,]*\),\([^]]*\)\].*/\1 \2 \3/p')
	check uvc-yuyv $([ $RC = 0 ] && allf crc "$YUYV_CRC" /tmp/u2.json && echo 0 || echo 1) "rc $RC, gadget crc $YUYV_CRC"
	set -- $mr
	check uvc-yuyv-colours $(fcmp "$1" '>' "$PPM_MEAN_R - 3" && fcmp "$1" '<' "$PPM_MEAN_R + 3" && fcmp "$2" '>' "$PPM_MEAN_G - 3" &&
		fcmp "$2" '<' "$PPM_MEAN_G + 3" && fcmp "$3" '>' "$PPM_MEAN_B - 3" && fcmp "$3" '<' "$PPM_MEAN_B + 3" && echo 0 || echo 1) \
		"mean RGB $mr vs the photo's $PPM_MEAN_R $PPM_MEAN_G $PPM_MEAN_B"
	cap /tmp/u2r --device /dev/video0 --format yuyv --size 640x480 --frames 40 --quiet
	echo "MEASURE uvcvideo yuyv 640x480: $(sumf fps /tmp/u2r.json) fps, driver drops $(sumf driver_drops /tmp/u2r.json), age max $(sumf age_ms_max /tmp/u2r.json) ms"
	cap /tmp/u3 --device /dev/video0 --format auto --size 640x480 --frames 3
	check uvc-auto-640-yuyv $([ $RC = 0 ] && [ "$(openf format /tmp/u3.json)" = yuyv ] && echo 0 || echo 1)

	# real USB unplug mid-stream, then replug: capture resumes by itself within 2 s
	PORT=/sys/bus/usb/devices/1-0:1.0/usb1-port1
	for how in gadget:mjpeg port:yuyv gadget:yuyv port:mjpeg; do
		kind=${how%:*}; fmt=${how#*:}
		want=$DOG_CRC; [ $fmt = yuyv ] && want=$YUYV_CRC
		bg_start /tmp/ux --device /dev/video0 --format $fmt --size 640x480 --crc
		wait_frames /tmp/ux.json 10 15
		tl=$(up)
		if [ $kind = gadget ]; then kill $(pidof gadgetcam); else echo 1 >$PORT/disable; fi
		sleep 1
		gone=$([ -e /dev/video0 ] && echo present || echo gone)
		tr=$(up)
		if [ $kind = gadget ]; then gadget; else echo 0 >$PORT/disable; fi
		wait_resumed /tmp/ux.json 10; res=$?
		sleep 0.5; bg_stop /tmp/ux
		t_lost=$(event_t /tmp/ux.json reconnecting); t_back=$(event_t /tmp/ux.json streaming reconnecting)
		dt=$(awk -v a="$t_back" -v b="$tr" 'BEGIN { printf "%.2f", a - b }')
		check "uvc-unplug-$kind-$fmt" $([ $res = 0 ] && [ "$(sumf reconnects /tmp/ux.json)" = 1 ] && allf crc "$want" /tmp/ux.json &&
			fcmp "$dt" '<' 2.0 && echo 0 || echo 1) "node $gone while unplugged; resumed $dt s after replug"
		echo "TIMING uvc-unplug-$kind-$fmt: lost after $(awk -v a="$t_lost" -v b="$tl" 'BEGIN { printf "%.2f", a - b }') s ($(grep -o '"state":"reconnecting".*"reason":"[^"]*"' /tmp/ux.json | head -1 | sed 's/.*"reason"://')); node back $(awk -v a="$NODE_BACK" -v b="$tr" 'BEGIN { printf "%.2f", a - b }') s and streaming again $dt s after replug"
	done

	blk
	# `ssdcam run --headless` started with the camera unplugged, naming it by its card: waits,
	# then streams within 2 s of the plug and logs every frame (the host compares the
	# detections with `ssdcam detect` on the photo the gadget sends)
	kill $(pidof gadgetcam) 2>/dev/null
	for i in $(seq 1 50); do [ -e /dev/video0 ] || break; sleep 0.1; done
	: >/tmp/ru.err
	$RUN --set source.kind=camera --set "source.device=UVC Camera (1d6b:0102)" --set source.pixel_format=mjpeg \
		--set source.width=640 --set source.height=480 --set log.path=/tmp/run-uvc.jsonl --frames 4 2>/tmp/ru.err &
	RUNPID=$!
	wait_grep /tmp/ru.err 'waiting for camera' 20; res0=$?
	sleep 1
	tr=$(up); gadget
	wait_grep /tmp/ru.err ': streaming' 10; res=$?; ts=$W_T
	wait_exit $RUNPID 60; rc=$?
	cp /tmp/run-uvc.jsonl /host/ 2>/dev/null
	grep -v '^libv4l2' /tmp/ru.err | grep -E 'capture|summary' | head -6 | sed 's/^/  stderr: /'
	check uvc-run-wait-for-plug $([ $res0 = 0 ] && [ $res = 0 ] && [ $rc = 0 ] && [ "$(grep -c 'waiting for camera' /tmp/ru.err)" = 1 ] &&
		fcmp "$(sub "$ts" "$tr")" '<' 2.0 && [ "$(wc -l </tmp/run-uvc.jsonl)" -ge 4 ] && echo 0 || echo 1) \
		"rc $rc, streaming $(sub "$ts" "$tr") s after the plug (seen within 50 ms), $(wc -l </tmp/run-uvc.jsonl) lines"
	blk_end uvc-run
	echo "TIMING uvc-run-wait-for-plug: streaming $(sub "$ts" "$tr") s after the plug"
	if grep -q 'OUT data read\|Level 2 halted' /tmp/gadget.err; then echo "NOTE gadgetfs ep0 race seen"; fi
	kill $(pidof gadgetcam) 2>/dev/null
fi
echo "guest test done at $(up)s"
