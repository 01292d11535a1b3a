#!/usr/bin/env python3
"""Faults under `ssdcam run` (issue 8; camera unplug and no-signal are in tests/camera):
- a missing, empty, truncated, random, JPEG, TF.js-JSON or directory model file, a TFLite file
  with an operator ssdcam does not run, and a missing label map: exit 3 (app/cmds.h, README)
  with one error line naming the file and the reason, within seconds, never a crash;
- an MJPEG stream file with junk between frames, truncated frames (cut by the next frame and at
  the end of the file), structurally corrupt frames and undecodable ones (12-bit precision):
  the run ends by itself, exit 0, and the summary counts each kind exactly; every good frame is
  processed and logged; the same file looped in latest-frame mode keeps the accounting;
- the log disk full (a 64 KiB tmpfs, 60 KiB taken; skipped without mount privileges): the run goes on,
  "No space left" logged once per error episode (with its "resumed" message), no partial line,
  every line whole JSON; after space is freed writing resumes, and lines written + lost (the
  run's log summary) = processed frames;
- the log file deleted, and renamed without a SIGHUP: recreated, lines continue; renamed with
  a SIGHUP in no-drop mode: the old file intact and old + new lines = every frame, none twice;
- SIGTERM and SIGINT at several moments of start-up and mid-stream: exit 0 with a summary.
usage: test_faults.py SSDCAM.  Prints 'N passed, N failed'."""
import json, os, random, re, shutil, signal, struct, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from sctest import check, finish  # noqa: E402

ssdcam = os.path.abspath(sys.argv[1])
shared = os.environ.get('SC_SHARED_DIR', '../shared')
src = os.environ.get('SC_SOURCE_DIR', os.path.join(os.path.dirname(__file__), '..', '..'))
model = os.path.join(shared, 'models', 'ssd_mobilenet_v1_coco_quant', 'detect.tflite')
if not os.path.exists(model):
    model = os.path.join(src, 'assets', 'models', 'ssd_mobilenet_v1_coco_quant', 'detect.tflite')
demo = os.path.join(src, 'assets', 'demo')


def summary(err):
    """The counts of the run's summary line, e.g. {'captured': 12, 'processed': 10, ...}."""
    m = re.findall(r'summary: (.*)', err)
    if not m:
        return {}
    line = m[-1]
    out = {}
    for key, pat in (('captured', r'captured (\d+)'), ('processed', r'processed (\d+)'),
                     ('dropped', r'dropped (\d+)'), ('busy', r'busy (\d+)'), ('undecodable', r'undecodable (\d+)'),
                     ('failed', r'failed (\d+)'), ('left', r'left at stop (\d+)'), ('corrupt', r'corrupt (\d+)'),
                     ('truncated', r'truncated (\d+)')):
        g = re.search(pat, line)
        if g:
            out[key] = int(g.group(1))
    return out


def accounted(s):
    return len(s) == 9 and s['captured'] == s['processed'] + s['busy'] + s['undecodable'] + s['failed'] + s['left']


def log_summary(err):
    g = re.search(r'lines written, (\d+) lost', err)
    w = re.search(r'(\d+) lines written', err)
    return (int(w.group(1)), int(g.group(1))) if g and w else (None, None)


def read_log(path):
    """(records, bad lines, whole): records parsed; lines that are not JSON; file ends in '\\n'."""
    if not os.path.exists(path):
        return [], 0, True
    data = open(path, 'rb').read()
    recs, bad = [], 0
    for line in data.splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            bad += 1
    return recs, bad, data.endswith(b'\n') or not data


def increasing(recs):
    ids = [r['frame'] for r in recs]
    return all(a < b for a, b in zip(ids, ids[1:]))


def wait_blocked(p):
    """Until main() has blocked SIGTERM (before that the process is still being loaded)."""
    for _ in range(3000):
        try:
            blk = [l for l in open('/proc/%d/status' % p.pid) if l.startswith('SigBlk:')]
            if blk and int(blk[0].split()[1], 16) & (1 << (signal.SIGTERM - 1)):
                return
        except OSError:
            return
        time.sleep(0.001)


base = [ssdcam, 'run', '--headless', '--quiet']
demo_dir = ['--set', 'source.kind=dir', '--set', 'source.path=' + demo]
photos = sorted(os.path.join(demo, f) for f in os.listdir(demo) if f.endswith('.jpg'))
tmp = tempfile.mkdtemp(prefix='sc_faults_')
try:
    # ---- model files ------------------------------------------------------------------------
    good = open(model, 'rb').read()
    bad_models = {'missing': (os.path.join(tmp, 'nope', 'detect.tflite'), 'No such file'),
                  'empty': (os.path.join(tmp, 'empty.tflite'), 'truncated'),
                  'truncated': (os.path.join(tmp, 'truncated.tflite'), 'truncated'),
                  'random': (os.path.join(tmp, 'random.tflite'), 'not a TFLite model'),
                  'jpeg': (os.path.join(tmp, 'photo.tflite'), 'not a TFLite model'),
                  'tfjs-json': (os.path.join(tmp, 'model.json'), 'not a TFLite model'),
                  'directory': (tmp, 'not a regular file'),
                  'unsupported-op': (os.path.join(tmp, 'softmax.tflite'), 'SOFTMAX')}
    open(bad_models['empty'][0], 'wb').close()
    open(bad_models['truncated'][0], 'wb').write(good[:len(good) // 4])
    open(bad_models['random'][0], 'wb').write(random.Random(8).randbytes(200000))
    shutil.copy(photos[0], bad_models['jpeg'][0])
    open(bad_models['tfjs-json'][0], 'w').write('{"format": "graph-model", "modelTopology": {}}\n')
    # A well-formed TFLite file with one operator ssdcam does not implement: the LOGISTIC
    # operator code (14) becomes SOFTMAX (25) in the flatbuffer's operator_codes table.
    b = bytearray(good)
    u32 = lambda o: struct.unpack_from('<I', b, o)[0]

    def field(t, i):
        vt = t - struct.unpack_from('<i', b, t)[0]
        if 4 + 2 * i >= struct.unpack_from('<H', b, vt)[0]:
            return None
        off = struct.unpack_from('<H', b, vt + 4 + 2 * i)[0]
        return t + off if off else None
    codes = field(u32(0), 1)
    vec = codes + u32(codes)
    patched = 0
    for k in range(u32(vec)):
        t = vec + 4 + 4 * k + u32(vec + 4 + 4 * k)
        f0, f3 = field(t, 0), field(t, 3)
        if f0 is not None and b[f0] == 14:
            b[f0] = 25
            patched += 1
        if f3 is not None and struct.unpack_from('<i', b, f3)[0] == 14:
            struct.pack_into('<i', b, f3, 25)
            patched += 1
    check(patched >= 1, 'the LOGISTIC operator code was found in the model to patch')
    open(bad_models['unsupported-op'][0], 'wb').write(b)
    for name, (path, reason) in bad_models.items():
        t0 = time.time()
        r = subprocess.run(base + ['--set', 'model.path=' + path, *demo_dir, '--frames', '2'],
                           capture_output=True, text=True, timeout=120)
        errs = [l for l in r.stderr.splitlines() if 'error' in l]
        check(r.returncode == 3 and len(errs) == 1 and path in errs[0] and reason in errs[0]
              and time.time() - t0 < 30 and 'summary' not in r.stderr,
              'model %s: exit 3 (%d) with one error naming the file and "%s": %s' % (name, r.returncode, reason,
                                                                                    r.stderr.strip()[-400:]))
    r = subprocess.run(base + ['--set', 'model.path=' + model, '--set', 'model.labels=' + os.path.join(tmp, 'none.txt'),
                               *demo_dir, '--frames', '2'], capture_output=True, text=True, timeout=120)
    check(r.returncode == 3 and 'none.txt' in r.stderr, 'missing label map: exit 3 (%d) %s' % (r.returncode, r.stderr[-300:]))

    # ---- MJPEG stream file with bad frames ----------------------------------------------------
    jpgs = [open(p, 'rb').read() for p in photos]

    def segments(j):
        """(marker, start, end) of each segment before the first scan."""
        out, pos = [], 2
        while pos < len(j):
            assert j[pos] == 0xFF
            m = j[pos + 1]
            ln = struct.unpack_from('>H', j, pos + 2)[0]
            out.append((m, pos, pos + 2 + ln))
            if m == 0xDA:
                break
            pos += 2 + ln
        return out

    def sof(j):
        return next(s for s in segments(j) if s[0] in (0xC0, 0xC1, 0xC2))

    def no_sof(j):        # structurally corrupt: no frame header
        m, a, e = sof(j)
        return j[:a] + j[e:]

    def zero_height(j):   # structurally corrupt: a frame of no rows
        m, a, e = sof(j)
        return j[:a + 5] + b'\x00\x00' + j[a + 7:]

    def precision12(j):   # structurally fine, but no 8-bit decoder takes it
        m, a, e = sof(j)
        return j[:a + 4] + bytes([12]) + j[a + 5:]

    rng = random.Random(5)
    junk = bytes(rng.randrange(0, 0xFF) for _ in range(777))     # no 0xFF: never a marker
    # SOI, APP0, then no marker until the next image's SOI: cut short, like a truncated frame
    garbage_after_app0 = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00' + \
        bytes(rng.randrange(0, 0xFF) for _ in range(600))
    G = [jpgs[i % len(jpgs)] for i in range(4)]
    stream = (G[0] + junk +
              jpgs[1][:len(jpgs[1]) // 2] +          # truncated: the next SOI comes before EOI
              G[1] +
              no_sof(jpgs[2]) +                      # corrupt
              precision12(jpgs[3]) +                 # undecodable
              G[2] + junk +
              garbage_after_app0 +                   # truncated
              zero_height(jpgs[1]) +                 # corrupt
              precision12(jpgs[4 % len(jpgs)]) +     # undecodable
              G[3] +
              jpgs[0][:len(jpgs[0]) * 7 // 10])      # truncated: the file ends before EOI
    mj = os.path.join(tmp, 'faulty.mjpeg')
    open(mj, 'wb').write(stream)
    # the undecodable ones are undecodable on their own too (ssdcam detect: exit 4)
    for i, j in enumerate((precision12(jpgs[3]), precision12(jpgs[4 % len(jpgs)]))):
        p = os.path.join(tmp, 'p12_%d.jpg' % i)
        open(p, 'wb').write(j)
        r = subprocess.run([ssdcam, 'detect', '--model', model, p], capture_output=True, text=True, timeout=120)
        check(r.returncode == 4, '12-bit JPEG %d: detect exit 4 (%d) %s' % (i, r.returncode, r.stderr[-200:]))
    log = os.path.join(tmp, 'mjpeg.jsonl')
    t0 = time.time()
    r = subprocess.run(base + ['--set', 'model.path=' + model, '--set', 'source.kind=mjpeg-file', '--set', 'source.path=' + mj,
                               '--set', 'source.rate=0', '--set', 'log.path=' + log, '--set', 'log.every_frame=true'],
                       capture_output=True, text=True, timeout=120)
    s = summary(r.stderr)
    want = {'captured': 6, 'processed': 4, 'undecodable': 2, 'corrupt': 2, 'truncated': 3, 'busy': 0, 'failed': 0, 'left': 0}
    check(r.returncode == 0 and all(s.get(k) == v for k, v in want.items()),
          'faulty MJPEG file: ends by itself (%.1f s), exit 0 (%d), counts %s, want %s' % (
              time.time() - t0, r.returncode, s, want))
    recs, bad, whole = read_log(log)
    dims = []
    for j in G:
        m, a, e = sof(j)
        h, w = struct.unpack_from('>HH', j, a + 5)
        dims.append((w, h))
    check([(x['width'], x['height']) for x in recs] == dims and bad == 0 and whole,
          'the 4 good frames logged in order: %s, want %s' % ([(x['width'], x['height']) for x in recs], dims))
    check(r.stderr.count('could not be decoded') == 1, 'undecodable frames logged once, then counted')
    # looped, paced, latest-frame mode: the accounting holds and every pass counts its bad frames
    r = subprocess.run(base + ['--set', 'model.path=' + model, '--set', 'source.kind=mjpeg-file', '--set', 'source.path=' + mj,
                               '--set', 'source.loop=true', '--set', 'source.rate=60', '--seconds', '4'],
                       capture_output=True, text=True, timeout=120)
    s = summary(r.stderr)
    passes = s.get('captured', 0) // 6
    # (which frames the detector gets is up to timing: the undecodable ones may all be dropped)
    check(r.returncode == 0 and accounted(s) and passes >= 2 and s['corrupt'] >= 2 * passes and
          s['truncated'] >= 3 * passes and s['processed'] + s['undecodable'] >= 1,
          'faulty MJPEG looped at 60 fps for 4 s: exit 0 (%d), accounted %s' % (r.returncode, s))

    # ---- helpers for runs in the background: conditions are polled, never slept on, so a slow
    # build (ASan: ~0.5 s a frame on a busy 2-core machine) passes the same checks -----------
    def run_bg(log, extra=(), errf=None):
        errf = errf or log + '.stderr'
        p = subprocess.Popen(base + ['--set', 'model.path=' + model, *demo_dir, '--set', 'source.loop=true',
                                     '--set', 'log.path=' + log, '--set', 'log.every_frame=true', *extra],
                             stdout=subprocess.DEVNULL, stderr=open(errf, 'w'))
        p.errf = errf
        return p

    def stop(p, sig=signal.SIGTERM):
        p.send_signal(sig)
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        return open(p.errf).read()

    def wait_until(pred, timeout=120):
        t_end = time.time() + timeout
        while time.time() < t_end:
            if pred():
                return True
            time.sleep(0.05)
        return False

    def nlines(path):
        try:
            return open(path, 'rb').read().count(b'\n')
        except OSError:
            return 0

    def stderr_has(p, text):
        return lambda: text in open(p.errf).read()

    # ---- log disk full ----------------------------------------------------------------------
    mnt = os.path.join(tmp, 'mnt')
    os.mkdir(mnt)
    mounted = os.geteuid() == 0 and subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt],
                                                   capture_output=True).returncode == 0
    if not mounted:
        print('notice: cannot mount a tmpfs (not root?): the log-disk-full test is skipped')
    else:
        try:
            filler = os.path.join(mnt, 'filler')
            with open(filler, 'wb') as f:     # leave ~4 KiB: about a dozen lines
                f.write(b'x' * (60 * 1024))
            log = os.path.join(mnt, 'det.jsonl')
            p = run_bg(log, ['--set', 'source.rate=10', '--set', 'log.fsync_interval_ms=0'],
                       errf=os.path.join(tmp, 'full.stderr'))
            filled = wait_until(stderr_has(p, 'No space left on device'))
            time.sleep(0.5)                   # a few more lines lost
            full_recs, bad_full, whole_full = read_log(log)
            os.unlink(filler)                 # space again (64 KiB: ~180 lines)
            resumed = wait_until(lambda: nlines(log) >= len(full_recs) + 3)
            err = stop(p)
            recs, bad, whole = read_log(log)
            s = summary(err)
            written, lost = log_summary(err)
            check(filled and resumed and p.returncode == 0 and accounted(s),
                  'disk full: the run goes on, exit 0 (%d; filled %d, resumed %d) %s' % (p.returncode, filled, resumed,
                                                                                     err[-300:]))
            # Logged once per error episode, at its start and its end, never per line. Near the
            # limit a shorter line may still fit and end an episode, so there may be more than one.
            n_err, n_res = err.count('No space left on device'), err.count('writing resumed after')
            check(n_err >= 1 and n_err == n_res and lost is not None and n_err <= lost,
                  'disk full: %d error and %d "resumed" messages for %s lost lines: %s' % (n_err, n_res, lost, err[-600:]))
            check(bad_full == 0 and whole_full and bad == 0 and whole and increasing(recs),
                  'disk full: only whole JSON lines in the file, during (%d) and after (%d)' % (len(full_recs), len(recs)))
            check(len(recs) > len(full_recs) > 0, 'lines before the disk filled (%d) and after it was freed (%d)' % (
                len(full_recs), len(recs) - len(full_recs)))
            check(written is not None and lost > 0 and written == len(recs) and written + lost == s.get('processed'),
                  'disk full: written %s (file %d) + lost %s = processed %s' % (written, len(recs), lost, s.get('processed')))
            print('info: disk full: %s lines written, %s lost while full, processed %s' % (written, lost, s.get('processed')))
        finally:
            subprocess.run(['umount', mnt])

    # ---- the log file deleted, renamed, rotated -----------------------------------------------
    log = os.path.join(tmp, 'del.jsonl')
    p = run_bg(log, ['--set', 'source.rate=20'])
    wait_until(lambda: nlines(log) >= 2)
    before = read_log(log)[0]
    os.unlink(log)                            # deleted, no signal
    wait_until(lambda: nlines(log) >= 2)      # noticed within log's 1 s check, then PATH again
    err = stop(p)
    recs, bad, whole = read_log(log)
    check(p.returncode == 0 and 'was deleted; creating it again' in err and len(before) > 0 and len(recs) > 0 and
          bad == 0 and whole and increasing(recs) and recs[0]['frame'] > before[-1]['frame'],
          'log deleted: recreated, %d lines before, %d in the new file (%d) %s' % (len(before), len(recs), p.returncode,
                                                                                 err[-300:]))

    log = os.path.join(tmp, 'ren.jsonl')
    p = run_bg(log, ['--set', 'source.rate=20'])
    wait_until(lambda: nlines(log) >= 2)
    os.rename(log, log + '.old')              # renamed, no signal: lines go on in the old file
    wait_until(lambda: nlines(log) >= 2)      # until the 1 s check notices, then PATH again
    err = stop(p)
    old, bad_o, whole_o = read_log(log + '.old')
    new, bad_n, whole_n = read_log(log)
    allrecs = old + new
    s = summary(err)
    check(p.returncode == 0 and 'renamed or replaced' in err and len(new) > 0 and bad_o + bad_n == 0 and
          whole_o and whole_n and increasing(allrecs) and len(allrecs) == s.get('processed'),
          'log renamed without SIGHUP: old %d + new %d lines = processed %s, in order (%d)' % (
              len(old), len(new), s.get('processed'), p.returncode))

    # logrotate with SIGHUP in no-drop mode: every frame id 1..N exactly once across both files
    log = os.path.join(tmp, 'hup.jsonl')
    p = run_bg(log, ['--set', 'source.rate=0', '--set', 'model.rho=0.533'])
    wait_until(lambda: nlines(log) >= 3)
    first = read_log(log)[0]
    os.rename(log, log + '.1')
    p.send_signal(signal.SIGHUP)
    wait_until(lambda: nlines(log) >= 3)
    err = stop(p)
    old, bad_o, whole_o = read_log(log + '.1')
    new, bad_n, whole_n = read_log(log)
    s = summary(err)
    ids = [x['frame'] for x in old + new]
    check(p.returncode == 0 and s.get('processed', 0) > 0 and ids == list(range(1, s['processed'] + 1)) and
          len(new) > 0 and bad_o + bad_n == 0 and whole_o and whole_n and old[:len(first)] == first,
          'SIGHUP rotation, no-drop: old %d + new %d lines = frames 1..%s exactly, old lines intact (%d)' % (
              len(old), len(new), s.get('processed'), p.returncode))

    # ---- SIGTERM / SIGINT at start-up and mid-stream ------------------------------------------
    for sig, delay in ((signal.SIGTERM, 0), (signal.SIGTERM, 0.05), (signal.SIGTERM, 0.3), (signal.SIGINT, 0.15),
                       (signal.SIGTERM, 1.5), (signal.SIGINT, 3)):
        log = os.path.join(tmp, 'sig.jsonl')
        if os.path.exists(log):
            os.unlink(log)
        p = run_bg(log, ['--set', 'source.rate=30'])
        wait_blocked(p)
        time.sleep(delay)
        t0 = time.time()
        err = stop(p, sig)
        dt = time.time() - t0
        recs, bad, whole = read_log(log)
        s = summary(err)
        # a signal before the pipeline started (model loading) ends the run with no summary
        check(p.returncode == 0 and dt < 10 and bad == 0 and whole and (not s or (accounted(s) and len(recs) == s['processed'])),
              '%s %.2f s after start-up began: exit 0 (%s) in %.2f s, %d log lines, summary %s' % (
                  signal.Signals(sig).name, delay, p.returncode, dt, len(recs), s or 'none'))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

finish()
