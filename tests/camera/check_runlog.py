#!/usr/bin/env python3
"""tests/camera/check_runlog.py NAME LOG SSDCAM MODEL RHO W H MIN_LINES [PHOTO...]

Host-side check of a JSON Lines detection log that `ssdcam run --headless` wrote in the
camera suite's guest (log.every_frame on, threshold 0.5, model.rho RHO: 0.5 keeps the emulated
guest's inference short). Prints one "CHECK host-NAME-... PASS|FAIL
(detail)" line per check; exit status 1 when any failed.

- every line is valid JSON with the documented fields, at least MIN_LINES lines;
- frame ids strictly increase; width and height are W x H, input_size round(300 RHO) on every line;
- with PHOTO files (the exact MJPEG frames the camera sent): each line's detections equal
  `ssdcam detect` (same model, threshold 0.5, --rho RHO) on exactly one of them: labels and boxes
  identical, scores within 1.01e-4 (both print 4 decimals; a tie like 0.65625 may round
  either way). The photos' own results must differ from each other, so a line names its
  photo; with several photos, at least two must appear (the frames really change).
"""
import json
import os
import subprocess
import sys

name, log, ssdcam, model, rho, width, height, min_lines = sys.argv[1:9]
width, height, min_lines = int(width), int(height), int(min_lines)
photos = sys.argv[9:]
failed = 0


def check(ok, what, detail=''):
    global failed
    print('CHECK host-%s-%s %s%s' % (name, what, 'PASS' if ok else 'FAIL', ' (%s)' % detail if detail else ''))
    if not ok:
        failed += 1


def dets(rec):
    return [(d['label'], tuple(d['box']), d['score']) for d in rec['detections']]


def same(a, b):
    return len(a) == len(b) and all(x[0] == y[0] and x[1] == y[1] and abs(x[2] - y[2]) <= 1.01e-4
                                    for x, y in zip(a, b))


lines = open(log).read().splitlines() if os.path.exists(log) else []
recs, bad = [], []
for l in lines:
    try:
        recs.append(json.loads(l))
    except ValueError:
        bad.append(l[:120])
fields = {'time', 'mono_ms', 'frame', 'source', 'model', 'input_size', 'width', 'height', 'detections'}
check(lines and not bad and all(fields <= set(r) for r in recs), 'json',
      '%d lines%s' % (len(lines), ', not JSON: %r' % bad[0] if bad else ''))
check(len(recs) >= min_lines, 'lines', '%d lines, at least %d wanted' % (len(recs), min_lines))
ids = [r.get('frame') for r in recs]
check(len(ids) > 1 and all(isinstance(i, int) for i in ids) and all(a < b for a, b in zip(ids, ids[1:])),
      'ids', 'frame ids %s' % ids)
sizes = sorted({(r.get('width'), r.get('height')) for r in recs})
check(sizes == [(width, height)], 'size', 'sizes %s, want %dx%d' % (sizes, width, height))
inputs = sorted({r.get('input_size') for r in recs})
check(inputs == [round(300 * float(rho))], 'input-size', 'network input sizes %s for rho %s' % (inputs, rho))

if photos and recs:
    d = subprocess.run([ssdcam, 'detect', '--model', model, '--threshold', '0.5', '--rho', rho, *photos],
                       capture_output=True, text=True, timeout=300)
    ref = [json.loads(l) for l in d.stdout.splitlines() if l.startswith('{')]
    ok = d.returncode == 0 and len(ref) == len(photos)
    check(ok, 'detect', 'ssdcam detect exit %d on %d photos' % (d.returncode, len(photos)))
    if ok:
        want = [dets(r) for r in ref]
        names = [os.path.basename(p) for p in photos]
        distinct = all(not same(want[i], want[j]) for i in range(len(want)) for j in range(i))
        check(distinct, 'photos-distinct', ', '.join('%s: %d boxes' % (n, len(w)) for n, w in zip(names, want)))
        seen, mism = [], []
        for r in recs:
            m = [n for n, w in zip(names, want) if same(dets(r), w)]
            seen.append(m[0] if len(m) == 1 else '?')
            if len(m) != 1:
                mism.append('frame %s: %s' % (r['frame'], [(x[0], list(x[1]), x[2]) for x in dets(r)]))
        check(not mism, 'equals-detect',
              'each line = ssdcam detect on one photo: ' + ' '.join('%s:%s' % (r['frame'], s) for r, s in zip(recs, seen))
              + ('; no match: ' + '; '.join(mism[:3]) if mism else ''))
        if len(photos) > 1:
            check(len(set(seen) - {'?'}) >= 2, 'frames-change', 'photos seen: %s' % sorted(set(seen)))
sys.exit(1 if failed else 0)
