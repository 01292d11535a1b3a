#!/usr/bin/env python3
"""Detection agreement of DCT-scaled JPEG decoding (source.decode_scale: auto) with full decoding.

For each JPEG photo of ../shared/testdata/images and each scale rule, the photo is decoded by
libjpeg-turbo at the rule's scale M/8 for a 300x300 network input (djpeg -scale M/8: the same
library and settings as app/jpeg_turbo.c — accurate integer IDCT, fancy upsampling), run
through `ssdcam detect` (our Pillow-exact resize + the network), and the boxes are mapped back
to the source (x * out_w * 8 / (M * W)). Reported per rule, scored by testdata/compare.py:
  - against the full-size decode: recall of its detections >= 0.4 (same class, IoU >= 0.5,
    |score difference| <= 0.05) and extra detections;
  - against the independent reference (reference/ssd_mobilenet_v1_coco_quant.json).
Rules: full (8/8); any (smallest M in 1..8 with output >= 300 on both sides); pow2 (the same
over M in {1, 2, 4, 8} only: ssdcam's rule, sc_jpeg_turbo_pick_scale).
Optionally (--pipeline) the same photos as one MJPEG stream file through `ssdcam run`
(decode_scale auto and full) — the real pipeline path — compared with the detect figures.
usage: decode-scale-agreement.py SSDCAM [--pipeline]   (needs djpeg: Debian libjpeg-turbo-progs)
"""
import json, os, shutil, subprocess, sys, tempfile

ssdcam = sys.argv[1]
shared = os.environ.get('SC_SHARED_DIR', os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
td = os.path.join(shared, 'testdata')
ref_path = os.path.join(td, 'reference', 'ssd_mobilenet_v1_coco_quant.json')
model = os.path.join(shared, 'models', 'ssd_mobilenet_v1_coco_quant', 'detect.tflite')
S = 300


def jpeg_size(path):
    data = open(path, 'rb').read()
    i = 2
    while i < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        m = data[i + 1]
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            return (data[i + 7] << 8 | data[i + 8]), (data[i + 5] << 8 | data[i + 6])
        i += 2 + (data[i + 2] << 8 | data[i + 3])
    raise ValueError(path)


def pick(w, h, scales):
    for m in scales:
        if (w * m + 7) // 8 >= S and (h * m + 7) // 8 >= S:
            return m
    return 8


def detect(files):
    out = subprocess.run([ssdcam, 'detect', '--model', model, '--all', '--format', 'compare', *files],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def score(ref, cand, tmp):
    rp, cp, jp = (os.path.join(tmp, n) for n in ('ref.json', 'cand.json', 'score.json'))
    json.dump(ref, open(rp, 'w')) if not isinstance(ref, str) else shutil.copy(ref, rp)
    json.dump(cand, open(cp, 'w'))
    subprocess.run([sys.executable, os.path.join(td, 'compare.py'), rp, cp, '--min-ref-score', '0.4',
                    '--json', jp], capture_output=True, check=True)
    s = json.load(open(jp))
    return s['recall'], s['extra'], s.get('matched', None)


def main():
    if not shutil.which('djpeg'):
        sys.exit('djpeg not found (apt-get install libjpeg-turbo-progs)')
    names = sorted(n for n in os.listdir(os.path.join(td, 'images')) if n.endswith('.jpg'))
    rules = {'full': [8], 'any': list(range(1, 9)), 'pow2': [1, 2, 4, 8]}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rule, scales in rules.items():
            files, maps = [], {}
            for n in names:
                src = os.path.join(td, 'images', n)
                w, h = jpeg_size(src)
                m = pick(w, h, scales)
                if m == 8:
                    files.append(src)
                    maps[n] = (1.0, 1.0, m, w, h)
                    continue
                out = os.path.join(tmp, '%s_%s.ppm' % (os.path.splitext(n)[0], rule))
                with open(out, 'wb') as f:
                    subprocess.run(['djpeg', '-scale', '%d/8' % m, '-ppm', src], stdout=f, check=True)
                ow, oh = (w * m + 7) // 8, (h * m + 7) // 8
                files.append(out)
                maps[n] = (ow * 8 / (m * w), oh * 8 / (m * h), m, ow, oh)
            raw = detect(files)
            cand = {}
            for n, f in zip(names, files):
                key = os.path.basename(f)
                fx, fy = maps[n][0], maps[n][1]
                dets = []
                for d in raw[key]:
                    y0, x0, y1, x1 = d['box_ymin_xmin_ymax_xmax']
                    d = dict(d, box_ymin_xmin_ymax_xmax=[y0 * fy, x0 * fx, y1 * fy, x1 * fx])
                    dets.append(d)
                cand[n] = dets
            results[rule] = (cand, maps)
        full = results['full'][0]
        print('%-5s  %-34s  %-22s  %-22s' % ('rule', 'scales used (photos)', 'vs full: recall, extra',
                                               'vs reference: recall, extra'))
        for rule in rules:
            cand, maps = results[rule]
            used = {}
            for n in names:
                used[maps[n][2]] = used.get(maps[n][2], 0) + 1
            r_full, e_full, _ = score(full, cand, tmp)
            r_ref, e_ref, _ = score(ref_path, cand, tmp)
            print('%-5s  %-34s  %.4f, %-14d  %.4f, %d' % (rule, ' '.join('%d/8:%d' % (m, c) for m, c in sorted(used.items())),
                                                        r_full, e_full, r_ref, e_ref))
        if '--pipeline' in sys.argv:
            stream = os.path.join(tmp, 'photos.mjpeg')
            with open(stream, 'wb') as f:
                for n in names:
                    f.write(open(os.path.join(td, 'images', n), 'rb').read())
            for mode in ('full', 'auto'):
                log = os.path.join(tmp, 'run_%s.jsonl' % mode)
                subprocess.run([ssdcam, 'run', '--quiet', '--set', 'source.kind=mjpeg-file', '--set', 'source.path=' + stream,
                                '--set', 'source.rate=0', '--set', 'display.enabled=off', '--set', 'log.path=' + log,
                                '--set', 'log.every_frame=true', '--set', 'detection.threshold=0',
                                '--set', 'detection.max_detections=100', '--set', 'model.path=' + model,
                                '--set', 'source.decode_scale=' + mode], capture_output=True, check=True)
                lines = [json.loads(l) for l in open(log)]
                cand = {}
                for n, line in zip(names, lines):
                    W, H = line['width'], line['height']
                    cand[n] = [{'label': d['label'], 'class_index': d.get('class_id', d.get('class_index')),
                                'score': d['score'],
                                'box_ymin_xmin_ymax_xmax': [d['box'][1] / H, d['box'][0] / W, d['box'][3] / H,
                                                            d['box'][2] / W]} for d in line['detections']]
                want = results['full' if mode == 'full' else 'pow2'][0]
                r, e, _ = score(want, cand, tmp)
                print('pipeline (ssdcam run, mjpeg-file, decode_scale %s): %d frames; vs detect on the same '
                      'decode: recall %.4f, extra %d' % (mode, len(lines), r, e))


main()
