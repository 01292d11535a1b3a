#!/usr/bin/env python3
"""`ssdcam run` in a real SDL2 window on a private Xvfb, checked on real screenshots of the X
screen (Xvfb -fbdir: the screen as an XWD file, independent of SDL's read-back):
- each box of `ssdcam detect` on the same photo is outlined at the pixels the window's scaling
  puts it (overlay.h geometry: the frame letterboxed into the window, floor(v·size)), in the
  colour `ssdcam detect --draw` gives its class;
- keys sent with xdotool to the focused window: 'h' hides/shows the HUD, '-' and '+' change rho
  (the log's input_size follows and the boxes then match `detect --size 256`), 's' writes a
  snapshot PNG with the boxes, space pauses (PAUSED shown, the picture frozen), 'q' quits, exit 0;
- the log lines carry the stage times, the window times, and the CPU temperature and
  throttling read from a fake sysfs tree and a fake vcgencmd (SSDCAM_SYSFS_ROOT, SSDCAM_VCGENCMD);
- with the HUD on, no box tag is hidden under it.
Screenshots (PNG) go to $SC_BUILD_DIR/app-window/. Exit 77 (skipped) without Xvfb, xdotool or SDL2.
usage: test_window.py SSDCAM.  Prints 'N passed, N failed'."""
import json, os, shutil, struct, subprocess, sys, tempfile, time, zlib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from sctest import check, finish  # noqa: E402

ssdcam = os.path.abspath(sys.argv[1])
shared = os.environ.get('SC_SHARED_DIR', '../shared')
model = os.path.abspath(os.path.join(shared, 'models', 'ssd_mobilenet_v1_coco_quant', 'detect.tflite'))
photo = os.path.abspath(os.path.join(shared, 'testdata', 'images', 'darknet_dog.jpg'))   # 768x576, 4 classes
WIN_W, WIN_H = 900, 600          # the photo is pillarboxed: 800x600 at x = 50
THRESHOLD = '0.5'


for tool in ('Xvfb', 'xdotool'):
    if not shutil.which(tool):
        print('SKIP: %s is not installed (Debian: xvfb, xdotool)' % tool)
        sys.exit(77)
if not os.path.exists(model) or not os.path.exists(photo):
    print('SKIP: no model or photo under', shared)
    sys.exit(77)

# ---- images: PNG read/write and Xvfb's XWD screen, pure Python ------------------------------


class Image:
    def __init__(self, w, h, rgb):
        self.w, self.h, self.rgb = w, h, rgb   # rgb: bytes, 3 per pixel, rows packed

    def px(self, x, y):
        if x < 0 or y < 0 or x >= self.w or y >= self.h:
            return None
        i = 3 * (y * self.w + x)
        return tuple(self.rgb[i:i + 3])

    def crop(self, x, y, w, h):
        rows = [self.rgb[3 * ((y + r) * self.w + x):3 * ((y + r) * self.w + x + w)] for r in range(h)]
        return Image(w, h, b''.join(rows))

    def count(self, color, x0=0, y0=0, x1=None, y1=None):
        x1 = self.w if x1 is None else min(x1, self.w)
        y1 = self.h if y1 is None else min(y1, self.h)
        c = bytes(color)
        n = 0
        for y in range(max(0, y0), y1):
            row = self.rgb[3 * (y * self.w + max(0, x0)):3 * (y * self.w + x1)]
            n += sum(1 for i in range(0, len(row), 3) if row[i:i + 3] == c)
        return n


def png_write(path, img):
    raw = b''.join(b'\0' + img.rgb[3 * y * img.w:3 * (y + 1) * img.w] for y in range(img.h))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', img.w, img.h, 8, 2, 0, 0, 0)) +
                chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b''))


def png_read(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', path
    pos, idat = 8, b''
    while pos < len(data):
        n, t = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if t == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        elif t == b'IDAT':
            idat += body
        pos += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    if bpp == 4:
        out = bytearray(b''.join(out[i:i + 3] for i in range(0, len(out), 4)))
    return Image(w, h, bytes(out))


def xwd_read(path):
    """Xvfb's -fbdir screen: XWD header (big-endian CARD32s), colormap, then the pixels."""
    data = open(path, 'rb').read()
    f = struct.unpack('>25I', data[:100])
    hsize, version, w, h, order, bpp, bpl, ncolors = f[0], f[1], f[4], f[5], f[7], f[11], f[12], f[19]
    rm, gm, bm = f[14], f[15], f[16]
    assert version == 7 and bpp == 32, (version, bpp)
    off = hsize + ncolors * 12
    shifts = [(m & -m).bit_length() - 1 for m in (rm, gm, bm)]
    out = bytearray(w * h * 3)
    fmt = ('>' if order else '<') + '%dI' % w
    for y in range(h):
        row = struct.unpack_from(fmt, data, off + y * bpl)
        o = 3 * w * y
        out[o:o + 3 * w:3] = bytes(((v & rm) >> shifts[0]) & 255 for v in row)
        out[o + 1:o + 3 * w:3] = bytes(((v & gm) >> shifts[1]) & 255 for v in row)
        out[o + 2:o + 3 * w:3] = bytes(((v & bm) >> shifts[2]) & 255 for v in row)
    return Image(w, h, bytes(out))


# ---- geometry (app/overlay.h), independent of the overlay's code ---------------------------

def frame_rect(W, H, fw, fh):
    s = min(W / fw, H / fh)
    w, h = max(1, round(fw * s)), max(1, round(fh * s))   # lround: .5 cases do not occur here
    return ((W - w) // 2, (H - h) // 2, w, h)


def coord(v, n):
    import math
    p = math.floor(v * n)
    return 0 if p < 0 else n if p > n else p


def expect_box(fr, box_norm):
    ymin, xmin, ymax, xmax = box_norm
    fx, fy, fw, fh = fr
    return (fx + coord(xmin, fw), fy + coord(ymin, fh), fx + coord(xmax, fw), fy + coord(ymax, fh))


def edge_score(img, b, t, color, dx=0, dy=0):
    """Fraction of samples along each edge of box b (thickness t, drawn inward) whose pixel
    (±1 across the edge) has the colour; (dx, dy) shifts the expected box. Returns the worst
    of the four edges."""
    x0, y0, x1, y1 = b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy
    c = tuple(color)

    def hit(x, y, horizontal):
        for k in range(-1, t + 1):
            for sgn_pos in ((x, y + k) if horizontal else (x + k, y),):
                if img.px(*sgn_pos) == c:
                    return True
        return False
    scores = []
    for edge in range(4):
        hits = n = 0
        if edge < 2:   # top, bottom: rows y0..y0+t-1 and y1-t..y1-1
            y = y0 if edge == 0 else y1 - t
            for x in range(x0 + t, x1 - t, 3):
                n += 1
                hits += hit(x, y, True)
        else:          # left, right
            x = x0 if edge == 2 else x1 - t
            for y in range(y0 + t, y1 - t, 3):
                n += 1
                hits += hit(x, y, False)
        scores.append(hits / n if n else 1.0)
    return min(scores), scores


# ---- helpers -----------------------------------------------------------------------------------

out_dir = os.path.join(os.environ.get('SC_BUILD_DIR', '.'), 'app-window')
shutil.rmtree(out_dir, ignore_errors=True)
os.makedirs(os.path.join(out_dir, 'fb'))
tmp = tempfile.mkdtemp()
procs = []


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def detect(size):
    args = [ssdcam, 'detect', '--model', model, '--threshold', THRESHOLD, photo]
    if size != 300:
        args[2:2] = ['--size', str(size)]
    r = run(args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[0])


def log_records(path):
    recs = []
    if os.path.exists(path):
        for line in open(path).read().splitlines():
            try:
                recs.append(json.loads(line))
            except ValueError:
                check(False, 'log line is not JSON: ' + line[:200])
    return recs


def wait_for(cond, timeout, step=0.1):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


try:
    # --- class colours from `ssdcam detect --draw` (core/draw.c, not the overlay) -----------
    ref300 = detect(300)
    ref256 = detect(256)
    colors = {}
    for size, ref in ((300, ref300), (256, ref256)):
        drawn_png = os.path.join(out_dir, 'detect-draw-%d.png' % size)
        r = run([ssdcam, 'detect', '--model', model, '--threshold', THRESHOLD, '--size', str(size), '--draw',
                 drawn_png, photo])
        check(r.returncode == 0, 'detect --draw: ' + r.stderr[-300:])
        drawn = png_read(drawn_png)
        for d in ref['detections']:
            x0, y0, x1, y1 = d['box']
            votes = {}
            for y in range(y0 + 4, y1 - 4):   # the left edge, majority colour
                p = drawn.px(x0, y)
                votes[p] = votes.get(p, 0) + 1
            c = max(votes, key=votes.get)
            check(colors.setdefault(d['class_id'], c) == c, 'class %d drawn in one colour' % d['class_id'])
    print('class colours from detect --draw:', colors)
    check(len(set(colors.values())) == len(colors), 'a colour per class: %s' % colors)
    check(len(ref300['detections']) >= 3, 'the photo has several boxes: %d' % len(ref300['detections']))

    # --- fake Pi sensors ----------------------------------------------------------------------
    sysfs = os.path.join(tmp, 'sys')
    os.makedirs(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone0'))
    open(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone0', 'type'), 'w').write('cpu-thermal\n')
    open(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone0', 'temp'), 'w').write('55500\n')
    vcgencmd = os.path.join(tmp, 'vcgencmd')
    open(vcgencmd, 'w').write('#!/bin/sh\n[ "$1" = get_throttled ] && echo throttled=0x50005\n')
    os.chmod(vcgencmd, 0o755)

    # --- Xvfb ---------------------------------------------------------------------------------
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(wfd), '-screen', '0', '1024x768x24', '-fbdir',
                             os.path.join(out_dir, 'fb'), '-nolisten', 'tcp'], pass_fds=(wfd,),
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(out_dir, 'xvfb.log'), 'w'))
    procs.append(xvfb)
    os.close(wfd)
    disp = b''
    while not disp.endswith(b'\n'):
        chunk = os.read(rfd, 16)
        if not chunk:
            break
        disp += chunk
    os.close(rfd)
    if not disp.strip():
        check(False, 'Xvfb did not start: ' + open(os.path.join(out_dir, 'xvfb.log')).read())
        raise SystemExit
    env = dict(os.environ, DISPLAY=':' + disp.decode().strip(), SDL_VIDEODRIVER='x11',
               SSDCAM_SYSFS_ROOT=sysfs, SSDCAM_VCGENCMD=vcgencmd)
    env['ASAN_OPTIONS'] = env.get('ASAN_OPTIONS', '') + ':detect_leaks=0'   # libdbus/Mesa keep a few
    screen_file = os.path.join(out_dir, 'fb', 'Xvfb_screen0')
    print('Xvfb on', env['DISPLAY'])

    def xdo(*args):
        return subprocess.run(['xdotool', *args], env=env, capture_output=True, text=True, timeout=30)

    # --- ssdcam run in a window -------------------------------------------------------------
    run_dir = os.path.join(tmp, 'cwd')
    os.mkdir(run_dir)
    log = os.path.join(tmp, 'run.jsonl')
    app = subprocess.Popen([ssdcam, 'run', '--quiet', '--set', 'model.path=' + model, '--set', 'source.kind=image',
                            '--set', 'source.path=' + photo, '--set', 'source.loop=true', '--set', 'source.rate=4',
                            '--set', 'display.enabled=on', '--set', 'display.width=%d' % WIN_W,
                            '--set', 'display.height=%d' % WIN_H, '--set', 'log.path=' + log,
                            '--set', 'log.every_frame=true', '--set', 'detection.threshold=' + THRESHOLD],
                           cwd=run_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(app)
    r = xdo('search', '--sync', '--onlyvisible', '--name', '^ssdcam$')
    wid = r.stdout.split()[0] if r.stdout.split() else ''
    if not check(wid != '', 'the ssdcam window appears: ' + r.stderr):
        raise SystemExit
    geo = dict(l.split('=', 1) for l in xdo('getwindowgeometry', '--shell', wid).stdout.split())
    wx, wy, ww, wh = int(geo['X']), int(geo['Y']), int(geo['WIDTH']), int(geo['HEIGHT'])
    print('window %s: %dx%d at (%d,%d)' % (wid, ww, wh, wx, wy))
    check((ww, wh) == (WIN_W, WIN_H), 'window size %dx%d' % (ww, wh))
    xdo('windowfocus', '--sync', wid)

    def key(name):
        xdo('windowfocus', '--sync', wid)
        r = xdo('key', '--clearmodifiers', name)
        check(r.returncode == 0, 'xdotool key %s: %s' % (name, r.stderr))

    def shot(name):
        time.sleep(0.05)
        img = xwd_read(screen_file).crop(wx, wy, ww, wh)
        png_write(os.path.join(out_dir, name + '.png'), img)
        return img

    def wait_size(size, n=2):
        def ok():
            recs = [x for x in log_records(log) if x['input_size'] == size]
            return len(recs) >= n and recs
        return wait_for(ok, 60)

    check(wait_size(300), 'results at 300 in the log')
    time.sleep(1.0)
    fr = frame_rect(ww, wh, ref300['width'], ref300['height'])
    u = max(1, (wh + 200) // 400)
    t = max(2, u)
    print('frame rect', fr, 'u', u)

    def check_boxes(img, ref, what, dx=0, dy=0):
        for d in ref['detections']:
            b = expect_box(fr, d['box_norm'])
            worst, edges = edge_score(img, b, t, colors[d['class_id']], dx, dy)
            check(worst >= 0.6, '%s: %s box %s outlined in %s: edge scores %s' %
                  (what, d['label'], b, colors[d['class_id']], ['%.2f' % e for e in edges]))
            # the same check 6 px off must fail (the check can tell)
            worst_off, _ = edge_score(img, b, t, colors[d['class_id']], dx + 6, dy)
            check(worst_off < 0.5, '%s: %s box also found 6 px to the right (%.2f)' % (what, d['label'], worst_off))

    RED = (255, 70, 70)        # the HUD's CPU line while throttled now (overlay.c)
    YELLOW = (255, 210, 40)    # PAUSED
    hud_on = shot('1-hud')
    red_on = hud_on.count(RED, 0, 0, ww // 2, wh // 2)
    check(red_on > 50, 'HUD: the CPU line in red (fake throttled=0x50005): %d pixels' % red_on)

    # 'h': HUD off, boxes where detect says
    key('h')
    time.sleep(0.8)
    img = shot('2-no-hud')
    check(img.count(RED, 0, 0, ww // 2, wh // 2) < red_on // 10, "'h' hides the HUD")
    check_boxes(img, ref300, 'rho 1 (300)')
    # bars left and right of the photo are black
    check(img.count((0, 0, 0), 0, 0, fr[0], wh) == fr[0] * wh, 'pillarbox bars black')
    # with the HUD on, no tag was hidden: each class colour at least as present (minus outline
    # parts under the translucent panel) as without the HUD
    for cid, col in colors.items():
        if any(d['class_id'] == cid for d in ref300['detections']):
            on, off = hud_on.count(col), img.count(col)
            check(on >= off - 500, 'class %d colour with HUD %d vs without %d pixels (tag hidden?)' % (cid, on, off))

    # '-': rho down to 256; the log follows, boxes match detect --size 256
    key('minus')
    recs = wait_size(256)
    check(bool(recs), "'-': results at input size 256 in the log")
    time.sleep(1.0)
    img = shot('3-rho-256')
    check_boxes(img, ref256, 'rho 0.853 (256)')
    last = log_records(log)[-1]
    got = [(x['label'], x['box']) for x in last['detections']]
    want = [(x['label'], x['box']) for x in ref256['detections']]
    check(last['input_size'] == 256 and got == want, 'log at 256 equals detect --size 256:\n  %s\n  %s' % (got, want))
    # '+': back to 300
    key('plus')
    check(bool(wait_size(300, n=len([x for x in log_records(log) if x['input_size'] == 300]) + 2)),
          "'+': back to input size 300")
    time.sleep(1.0)

    # 's': snapshot with the boxes, at the window's output size
    key('s')
    snaps = wait_for(lambda: [f for f in os.listdir(run_dir) if f.startswith('ssdcam-snapshot-') and f.endswith('.png')], 10)
    if check(len(snaps) == 1, "'s' writes one snapshot: %s" % snaps):
        time.sleep(0.3)
        snap = png_read(os.path.join(run_dir, snaps[0]))
        shutil.copy(os.path.join(run_dir, snaps[0]), os.path.join(out_dir, '4-snapshot.png'))
        check((snap.w, snap.h) == (ww, wh), 'snapshot size %dx%d' % (snap.w, snap.h))
        check_boxes(snap, ref300, 'snapshot')

    # 'h' again: HUD back; space: paused (PAUSED in yellow, the picture frozen)
    key('h')
    time.sleep(0.6)
    a = shot('5-running-a')
    time.sleep(0.8)
    b = shot('5-running-b')
    check(a.rgb != b.rgb, 'running: the HUD changes between screenshots (frame numbers)')
    key('space')
    time.sleep(0.6)
    a = shot('6-paused-a')
    time.sleep(1.0)
    b = shot('6-paused-b')
    check(a.count(YELLOW, 0, 0, ww // 2, wh // 2) > 30, 'space: PAUSED shown (%d yellow pixels)' % a.count(YELLOW, 0, 0, ww // 2, wh // 2))
    check(a.rgb == b.rgb, 'paused: the window does not change')
    key('space')
    time.sleep(0.6)

    # 'q': quit, exit 0, with the summary
    key('q')
    try:
        out, err = app.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        app.kill()
        out, err = app.communicate()
    open(os.path.join(out_dir, 'ssdcam.stderr'), 'w').write(err)
    check(app.returncode == 0, "'q' quits with exit 0 (%s): %s" % (app.returncode, err[-500:]))
    check('summary:' in err and 'capture to screen median' in err, 'summary with capture to screen: ' + err[-400:])
    check('snapshot saved to' in err, 'snapshot logged')

    # --- the log -------------------------------------------------------------------------------
    recs = log_records(log)
    ids = [x['frame'] for x in recs]
    check(len(recs) >= 6 and ids == sorted(ids) and len(set(ids)) == len(ids), 'log: %d lines, ids increase' % len(recs))
    stage_keys = ('decode_ms', 'resize_ms', 'network_ms', 'post_ms', 'latency_ms')
    check(all(all(k in x and x[k] >= 0 for k in stage_keys) for x in recs), 'every line has the stage times')
    check(all(x['network_ms'] <= x['latency_ms'] for x in recs), 'network time within the latency')
    later = recs[len(recs) // 2:]
    check(all('display_ms' in x and 'screen_ms' in x and x['screen_ms'] >= x['display_ms'] for x in later),
          'window times in the log once frames were shown')
    check(all(x.get('cpu_temp_c') == 55.5 and x.get('throttled') == 0x50005 for x in recs),
          'cpu_temp_c 55.5 and throttled 0x50005 from the fake sensors: %s' % {k: recs[-1].get(k) for k in ('cpu_temp_c', 'throttled')})
    print('last log line:', json.dumps(recs[-1])[:400])
finally:
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)

finish()
