#!/usr/bin/env python3
"""`ssdcam run` end to end, headless, on file sources (the camera runs are in the camera suite):
- the log: every line valid JSON, frame ids increasing, each frame's detections equal to
  `ssdcam detect` on the same image (same threshold);
- a directory source processed without drops (rate 0 = no-drop), the summary line;
- --check-config / --print-config, config errors as file:line:column with exit 2;
- SIGTERM during start-up and mid-stream: clean exit 0 with the summary, the log whole;
- SIGHUP reopens the log after logrotate-style renaming;
- per-stage times on each line and in the summary, the default thread count, CPU temperature
  and throttling from a fake sysfs tree and vcgencmd (and nothing, silently, without them).
usage: test_run.py SSDCAM.  Prints 'N passed, N failed'."""
import json, os, shutil, signal, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from sctest import check, finish  # noqa: E402

ssdcam = sys.argv[1]
shared = os.environ.get('SC_SHARED_DIR', '../shared')
model = os.path.join(shared, 'models', 'ssd_mobilenet_v1_coco_quant', 'detect.tflite')
images = os.path.join(shared, 'testdata', 'images')


base = ['run', '--headless', '--quiet', '--set', 'model.path=' + model]
tmp = tempfile.mkdtemp()
try:
    # --- a directory of photos, every frame, log checked line by line -----------------------
    photos = os.path.join(tmp, 'photos')
    os.mkdir(photos)
    names = sorted(f for f in os.listdir(images) if f.endswith('.jpg'))[:8]
    for n in names:
        shutil.copy(os.path.join(images, n), photos)
    log = os.path.join(tmp, 'det.jsonl')
    r = subprocess.run([ssdcam, *base, '--set', 'source.kind=dir', '--set', 'source.path=' + photos,
                        '--set', 'source.rate=0', '--set', 'log.path=' + log, '--set', 'log.every_frame=true',
                        '--set', 'detection.threshold=0.5'], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, 'run on a directory: exit %d %s' % (r.returncode, r.stderr[-500:]))
    check('summary: captured %d, processed %d, dropped 0' % (len(names), len(names)) in r.stderr,
          'summary counts every frame: ' + r.stderr[-300:])
    lines = open(log).read().splitlines()
    recs = []
    for l in lines:
        try:
            recs.append(json.loads(l))
        except ValueError:
            check(False, 'log line is not JSON: ' + l[:200])
    check(len(recs) == len(names), '%d log lines for %d frames' % (len(recs), len(names)))
    ids = [x['frame'] for x in recs]
    check(ids == sorted(ids) and len(set(ids)) == len(ids), 'frame ids increase: %s' % ids)
    d = subprocess.run([ssdcam, 'detect', '--model', model, '--threshold', '0.5',
                        *[os.path.join(photos, n) for n in names]], capture_output=True, text=True, timeout=300)
    ref = [json.loads(l) for l in d.stdout.splitlines()]
    for rec, dj in zip(recs, ref):
        # scores are printed to 4 decimals; an exact tie like 0.65625 may round either way
        got = [(x['label'], x['box']) for x in rec['detections']]
        want = [(x['label'], x['box']) for x in dj['detections']]
        close = all(abs(a['score'] - b['score']) <= 1.01e-4 for a, b in zip(rec['detections'], dj['detections']))
        check(got == want and close and (rec['width'], rec['height']) == (dj['width'], dj['height']),
              'frame %d equals ssdcam detect on %s:\n  run    %s\n  detect %s' % (rec['frame'], dj['image'], got, want))
    check(all(set(x) >= {'time', 'mono_ms', 'frame', 'source', 'model', 'input_size', 'latency_ms', 'detections'}
              for x in recs), 'every record has the documented fields')

    # per-stage times on every line and their medians in the summary (issue 6)
    stage_keys = ('decode_ms', 'resize_ms', 'network_ms', 'post_ms')
    check(all(all(k in x and 0 <= x[k] <= x['latency_ms'] for k in stage_keys) for x in recs),
          'every record has decode/resize/network/post times within its latency')
    check(all(x['network_ms'] > 0.5 and sum(x[k] for k in stage_keys) <= x['latency_ms'] + 0.01 for x in recs),
          'the stages add up to at most the latency: %s' % [(x['latency_ms'], [x[k] for k in stage_keys]) for x in recs[:2]])
    check(not any('display_ms' in x or 'screen_ms' in x for x in recs), 'headless: no window times')
    check('stage medians decode' in r.stderr and 'capture to screen' not in r.stderr,
          'summary has stage medians, no screen times headless: ' + r.stderr[-300:])
    # the default thread count is the number of online cores
    check('run: %d inference thread' % os.cpu_count() in r.stderr or
          'run: %d inference thread' % len(os.sched_getaffinity(0)) in r.stderr,
          'default threads = online cores (%d): %s' % (os.cpu_count(), [l for l in r.stderr.splitlines() if 'thread' in l]))

    # --- Pi sensors: a fake sysfs tree and vcgencmd; then none at all ----------------------
    sysfs = os.path.join(tmp, 'sys')
    os.makedirs(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone0'))
    os.makedirs(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone1'))
    open(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone0', 'type'), 'w').write('acpitz\n')
    open(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone0', 'temp'), 'w').write('30000\n')
    open(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone1', 'type'), 'w').write('cpu-thermal\n')
    open(os.path.join(sysfs, 'class', 'thermal', 'thermal_zone1', 'temp'), 'w').write('61234\n')
    vc = os.path.join(tmp, 'vcgencmd')
    open(vc, 'w').write('#!/bin/sh\necho throttled=0x20002\n')
    os.chmod(vc, 0o755)
    env = dict(os.environ, SSDCAM_SYSFS_ROOT=sysfs, SSDCAM_VCGENCMD=vc)
    log3 = os.path.join(tmp, 'pi.jsonl')
    r = subprocess.run([ssdcam, 'run', '--headless', '--set', 'model.path=' + model, '--set', 'source.kind=dir',
                        '--set', 'source.path=' + photos, '--set', 'source.loop=true', '--set', 'source.rate=5',
                        '--set', 'log.path=' + log3, '--set', 'log.every_frame=true', '--seconds', '3'],
                       capture_output=True, text=True, timeout=120, env=env)
    recs3 = [json.loads(l) for l in open(log3).read().splitlines()] if os.path.exists(log3) else []
    check(r.returncode == 0 and len(recs3) >= 3, 'run with fake Pi sensors (%d, %d lines)' % (r.returncode, len(recs3)))
    check(all(x.get('cpu_temp_c') == 61.2 and x.get('throttled') == 0x20002 for x in recs3),
          'cpu-thermal zone preferred, temperature and throttled bits on every line: %s' %
          [(x.get('cpu_temp_c'), x.get('throttled')) for x in recs3[:3]])
    check('cpu 61.2 C, throttling capped' in r.stderr, 'status line shows the CPU and throttling: ' +
          ' | '.join(l for l in r.stderr.splitlines() if 'fps' in l))
    env = dict(os.environ, SSDCAM_SYSFS_ROOT=os.path.join(tmp, 'no-sys'), SSDCAM_VCGENCMD=os.path.join(tmp, 'no-vcgencmd'))
    r = subprocess.run([ssdcam, *base, '--set', 'source.kind=dir', '--set', 'source.path=' + photos,
                        '--set', 'source.rate=0', '--frames', '3'], capture_output=True, text=True, timeout=120, env=env)
    out = [json.loads(l) for l in r.stdout.splitlines()]
    check(r.returncode == 0 and out and not any('cpu_temp_c' in x or 'throttled' in x for x in out),
          'no sensors: the fields are omitted')
    check(not any(w in r.stderr for w in ('warning', 'error')), 'no sensors: no warnings: ' + r.stderr[-300:])

    # --- the same with letterbox and a smaller rho runs and logs ----------------------------
    r = subprocess.run([ssdcam, *base, '--set', 'source.kind=dir', '--set', 'source.path=' + photos,
                        '--set', 'source.rate=0', '--set', 'model.letterbox=true', '--set', 'model.rho=0.747',
                        '--frames', '3'], capture_output=True, text=True, timeout=120)
    out = [json.loads(l) for l in r.stdout.splitlines()]
    check(r.returncode == 0 and len(out) >= 1 and all(x['input_size'] == 224 for x in out),
          'letterbox + rho 0.747 to stdout (%d, %s)' % (r.returncode, r.stderr[-300:]))

    # --- configuration errors and checks ---------------------------------------------------
    bad = os.path.join(tmp, 'bad.yaml')
    open(bad, 'w').write('detection:\n  threshhold: 0.5\nmodel:\n  rho: 3\n')
    r = subprocess.run([ssdcam, 'run', '--config', bad, '--check-config'], capture_output=True, text=True)
    check(r.returncode == 2, '--check-config on a bad file: exit 2 (%d)' % r.returncode)
    check(bad + ':2:3:' in r.stderr and "did you mean 'threshold'" in r.stderr, 'unknown key at 2:3 with a suggestion: ' + r.stderr)
    check(bad + ':4:' in r.stderr, 'bad rho value at line 4: ' + r.stderr)
    src = os.environ.get('SC_SOURCE_DIR', '.')
    for f in ('default.yaml', 'pi.yaml', 'headless.yaml'):
        r = subprocess.run([ssdcam, 'run', '--config', os.path.join(src, 'config', f), '--check-config'],
                           capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.strip().endswith(': ok'), 'config/%s checks ok (%s)' % (f, r.stderr))
    r = subprocess.run([ssdcam, 'run', '--set', 'detection.threshold=0.61', '--print-config'], capture_output=True, text=True)
    check(r.returncode == 0 and 'threshold: 0.61' in r.stdout, '--print-config shows the --set value')
    r = subprocess.run([ssdcam, 'run', '--set', 'detection.threshold=2'], capture_output=True, text=True)
    check(r.returncode == 2 and '--set' in r.stderr, 'a bad --set: exit 2 naming --set (%s)' % r.stderr.strip())
    r = subprocess.run([ssdcam, 'run', '--bogus'], capture_output=True, text=True)
    check(r.returncode == 2, 'unknown option: exit 2')

    # --- signals ----------------------------------------------------------------------------
    loop_args = [ssdcam, *base, '--set', 'source.kind=dir', '--set', 'source.path=' + photos,
                 '--set', 'source.loop=true', '--set', 'source.rate=20']
    p = subprocess.Popen(loop_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # During start-up: as soon as main() has blocked the signals (before that the process is
    # still being loaded, where no program can handle a signal), i.e. while the model loads.
    for _ in range(500):
        try:
            blk = [l for l in open('/proc/%d/status' % p.pid) if l.startswith('SigBlk:')]
            if blk and int(blk[0].split()[1], 16) & (1 << (signal.SIGTERM - 1)):
                break
        except OSError:
            break
        time.sleep(0.001)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0, 'SIGTERM during start-up: exit 0 (%d) %s' % (p.returncode, err[-300:]))
    log2 = os.path.join(tmp, 'rot.jsonl')
    p = subprocess.Popen(loop_args + ['--set', 'log.path=' + log2, '--set', 'log.every_frame=true'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    os.rename(log2, log2 + '.1')           # logrotate: rename, then SIGHUP
    p.send_signal(signal.SIGHUP)
    time.sleep(1.5)
    p.send_signal(signal.SIGTERM)          # mid-stream
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0 and 'summary:' in err, 'SIGTERM mid-stream: exit 0 with a summary (%d) %s' % (p.returncode, err[-300:]))
    old = open(log2 + '.1').read().splitlines() if os.path.exists(log2 + '.1') else []
    new = open(log2).read().splitlines() if os.path.exists(log2) else []
    check(len(old) > 0 and len(new) > 0, 'SIGHUP: lines before in the renamed file (%d), after in a new one (%d)' % (len(old), len(new)))
    allrecs = [json.loads(l) for l in old + new]
    ids = [x['frame'] for x in allrecs]
    check(ids == sorted(ids) and len(set(ids)) == len(ids), 'no line lost or repeated across the reopen')
finally:
    shutil.rmtree(tmp, ignore_errors=True)

finish()
