#!/usr/bin/env bash
# tests/fuzz/seeds.sh — builds the seed corpora of the fuzz targets from our own files:
#
#   OUT/config/       config/*.yaml and tests/fixtures/*.yaml (good and bad configurations)
#   OUT/tflite/       tiny SSD models from tests/fuzz/mktflite.py (uint8, float32, external buffers)
#   OUT/tflite-real/  the real COCO model from ../shared (4 MB: run once, too slow to mutate)
#   OUT/image/        the ../shared test photos shrunk to ~48x32 and written by Pillow as JPEG
#                     (baseline, progressive, grey, 4:4:4), PNG (RGB, RGBA, grey, palette, 16-bit),
#                     BMP (24-bit, 8-bit palette, 1-bit), GIF, PPM, PGM (8- and 16-bit)
#   OUT/mjpeg/        small JPEG frames, with and without their Huffman tables (stripped by
#                     `mkframes strip`, as UVC cameras send them), and short streams of several
#                     frames with junk between them and a truncated last frame
#
# usage: tests/fuzz/seeds.sh OUT_DIR [MKFRAMES]
#   MKFRAMES  the build's tests/mkframes (strips the tables); without it mjpeg/ gets no
#             stripped frames. SC_SHARED_DIR (default: ../shared beside the source tree).
# Needs /usr/bin/python3 with Pillow (python3-pil). Output is deterministic. Exit 0 on success.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:?usage: seeds.sh OUT_DIR [MKFRAMES]}
mkframes=${2:-}
shared=${SC_SHARED_DIR:-$src/../shared}
py=/usr/bin/python3

rm -rf -- "$out"
mkdir -p -- "$out"/{config,tflite,tflite-real,image,mjpeg}

cp -- "$src"/config/*.yaml "$src"/tests/fixtures/*.yaml "$out/config/"

"$py" "$src/tests/fuzz/mktflite.py" "$out/tflite"
model=$shared/models/ssd_mobilenet_v1_coco_quant/detect.tflite
if [[ -f $model ]]; then
    cp -- "$model" "$out/tflite-real/"
else
    echo "seeds.sh: $model not found: no real model seed" >&2
fi

photos=$shared/testdata/images
[[ -d $photos ]] || { echo "seeds.sh: $photos not found" >&2; exit 1; }
"$py" - "$photos" "$out/image" "$out/mjpeg" <<'PY'
import glob, io, os, sys
from PIL import Image

photos, img_dir, mj_dir = sys.argv[1:4]
files = sorted(glob.glob(os.path.join(photos, '*.jpg')) + glob.glob(os.path.join(photos, '*.bmp')))
small = []
for k, path in enumerate(files[:6]):
    im = Image.open(path).convert('RGB')
    w, h = (48, 32) if k % 2 == 0 else (33, 41)   # odd sizes too: partial MCUs and rows
    small.append((os.path.splitext(os.path.basename(path))[0], im.resize((w, h), Image.BILINEAR)))

def save(im, name, fmt, **kw):
    im.save(os.path.join(img_dir, name), fmt, **kw)

for i, (name, im) in enumerate(small):
    if i == 0:
        save(im, name + '_baseline.jpg', 'JPEG', quality=75)
        save(im, name + '_progressive.jpg', 'JPEG', quality=60, progressive=True)
        save(im.convert('L'), name + '_grey.jpg', 'JPEG', quality=80)
        save(im, name + '_444.jpg', 'JPEG', quality=90, subsampling=0)
        save(im, name + '_rgb.png', 'PNG')
        save(im.convert('RGBA'), name + '_rgba.png', 'PNG')
        save(im.convert('L'), name + '_grey.png', 'PNG')
        save(im.convert('P', palette=Image.ADAPTIVE, colors=16), name + '_palette.png', 'PNG')
        save(im.convert('L').convert('I').point(lambda v: v * 257), name + '_grey16.png', 'PNG')
        save(im, name + '_24.bmp', 'BMP')
        save(im.convert('P', palette=Image.ADAPTIVE, colors=256), name + '_8.bmp', 'BMP')
        save(im.convert('1'), name + '_1.bmp', 'BMP')
        save(im.convert('P', palette=Image.ADAPTIVE, colors=32), name + '.gif', 'GIF')
        save(im, name + '.ppm', 'PPM')
        save(im.convert('L'), name + '.pgm', 'PPM')
        # 16-bit PGM (maxval 65535, big-endian samples), written by hand: Pillow cannot
        g = im.convert('L')
        with open(os.path.join(img_dir, name + '_16.pgm'), 'wb') as f:
            f.write(b'P5\n# 16-bit\n%d %d\n65535\n' % g.size)
            f.write(bytes(b for v in g.getdata() for b in (v, v)))
    else:
        save(im, name + '.jpg', 'JPEG', quality=70 + i)
        save(im, name + '.png', 'PNG')

# MJPEG frames: baseline 4:2:2-like webcam frames with libjpeg's standard tables
for i, (name, im) in enumerate(small[:4]):
    im.save(os.path.join(mj_dir, '%s.jpg' % name), 'JPEG', quality=70, optimize=False)
PY

# Stripped frames (no DHT), then a few streams.
if [[ -n $mkframes ]]; then
    for f in "$out"/mjpeg/*.jpg; do
        "$mkframes" strip "$f" "${f%.jpg}_nodht.mjpg" >/dev/null 2>&1 ||
            echo "seeds.sh: could not strip $f" >&2
    done
fi
frames=("$out"/mjpeg/*)
{ cat "${frames[@]:0:2}"; printf 'junk between frames\n'; cat "${frames[@]:2:1}"; } > "$out/mjpeg/stream_junk.mjpeg"
{ cat "${frames[0]}"; head -c 300 "${frames[1]}"; } > "$out/mjpeg/stream_truncated.mjpeg"
for d in config tflite tflite-real image mjpeg; do
    printf '%-12s %3d files, %7d bytes\n' "$d" "$(find "$out/$d" -type f | wc -l)" \
        "$(cat "$out/$d"/* 2>/dev/null | wc -c)"
done
