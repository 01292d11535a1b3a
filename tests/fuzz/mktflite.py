#!/usr/bin/python3
"""tests/fuzz/mktflite.py — writes tiny but complete MobileNet-SSD-shaped .tflite files, seeds for
the model-loader fuzz target (tests/fuzz/fuzz_tflite.c). The real COCO model is 4 MB, which makes
each fuzz iteration slow; these are 3-8 KB and exercise the same code: CONV_2D, DEPTHWISE_CONV_2D,
ADD, RESHAPE, CONCATENATION, LOGISTIC and TFLite_Detection_PostProcess with its flexbuffer
options, uint8 (per-tensor quantised) and float32, constant anchors in the file, and buffers
stored inline or after the flatbuffer (schema 3c offset/size).

usage: mktflite.py OUT_DIR      (plain python3, standard library only; output is deterministic)

The graph: input [1,32,32,3] → conv 3x3/2 (8 ch, ReLU6) → depthwise 3x3/2 → ADD with itself →
two feature maps (16x16 with 1 anchor, 8x8 with 2), each with a 1x1 box head (4 per anchor) and a
class head (3 per anchor: background + 2 classes), reshaped to [1,N,4] / [1,N,3], concatenated,
a LOGISTIC on the scores, and the post-process with 384 anchors. The flatbuffer is written front
to back (every uoffset points forward), like the builder in tests/unit/test_tflite.c."""
import os
import random
import struct
import sys


# ---------------------------------------------------------------- flatbuffer writer
class Table:
    def __init__(self, fields):   # fields: {index: (kind, value)}; kind in u8 i32 u32 u64 off
        self.fields = fields


class Vec:
    def __init__(self, kind, items):   # kind in u8 i32 f32 i64 off
        self.kind, self.items = kind, items


class Str:
    def __init__(self, s):
        self.s = s.encode()


class Writer:
    def __init__(self):
        self.b = bytearray(8)

    def pad(self, a):
        while len(self.b) % a:
            self.b.append(0)

    def patch(self, at, target):
        struct.pack_into('<I', self.b, at, target - at)

    def put(self, node):
        if isinstance(node, Str):
            self.pad(4)
            at = len(self.b)
            self.b += struct.pack('<I', len(node.s)) + node.s + b'\0'
            return at
        if isinstance(node, Vec):
            es = {'u8': 1, 'i32': 4, 'f32': 4, 'i64': 8, 'off': 4}[node.kind]
            self.pad(4)
            while (len(self.b) + 4) % es:
                self.b.append(0)
            at = len(self.b)
            self.b += struct.pack('<I', len(node.items))
            if node.kind == 'off':
                slots = len(self.b)
                self.b += bytes(4 * len(node.items))
                for k, item in enumerate(node.items):
                    self.patch(slots + 4 * k, self.put(item))
            elif node.kind == 'u8':
                self.b += bytes(node.items)
            else:
                fmt = {'i32': 'i', 'f32': 'f', 'i64': 'q'}[node.kind]
                self.b += struct.pack('<%d%s' % (len(node.items), fmt), *node.items)
            return at
        # Table: vtable, then the table with one 8-byte-aligned slot per field.
        nf = max(node.fields) + 1 if node.fields else 0
        self.pad(2)
        vt = len(self.b)
        self.b += bytes(4 + 2 * nf)
        self.pad(8)
        if (len(self.b) + 4) % 8:
            self.b += bytes(4)
        pos = len(self.b)
        self.b += bytes(4 + 8 * nf)
        struct.pack_into('<i', self.b, pos, pos - vt)
        struct.pack_into('<HH', self.b, vt, 4 + 2 * nf, 4 + 8 * nf)
        later = []
        for idx, (kind, val) in node.fields.items():
            at = pos + 4 + 8 * idx
            struct.pack_into('<H', self.b, vt + 4 + 2 * idx, at - pos)
            if kind == 'off':
                later.append((at, val))
            else:
                struct.pack_into({'u8': '<B', 'i32': '<i', 'u32': '<I', 'u64': '<Q'}[kind], self.b, at, val)
        for at, val in later:
            self.patch(at, self.put(val))
        return pos

    def finish(self, root):
        struct.pack_into('<4s', self.b, 4, b'TFL3')
        self.patch(0, self.put(root))
        return bytes(self.b)


# ---------------------------------------------------------------- flexbuffer map (post-process options)
def flex_map(entries):
    """entries: [(key, type, value)] with type 'int', 'float', 'bool'; a map of 8-byte values."""
    entries = sorted(entries)
    out, kpos = bytearray(), []
    for k, _, _ in entries:
        kpos.append(len(out))
        out += k.encode() + b'\0'
    while len(out) % 2:
        out.append(0)
    out += struct.pack('<H', len(entries))
    keys = len(out)
    for i in range(len(entries)):
        out += struct.pack('<H', len(out) - kpos[i])
    while len(out) % 8:
        out.append(0)
    out += struct.pack('<QQQ', len(out) - keys, 2, len(entries))
    vals = len(out)
    types = bytearray()
    for _, t, v in entries:
        if t == 'float':
            out += struct.pack('<d', v)
            types.append(3 << 2 | 3)
        elif t == 'bool':
            out += struct.pack('<Q', 1 if v else 0)
            types.append(26 << 2 | 3)
        else:
            out += struct.pack('<q', v)
            types.append(1 << 2 | 3)
    out += types
    out.append(len(out) - vals)
    out += bytes([9 << 2 | 3, 1])
    return bytes(out)


# ---------------------------------------------------------------- the tiny SSD graph
U8, F32, I32 = 3, 0, 2
OP_ADD, OP_CONCAT, OP_CONV, OP_DW, OP_LOGISTIC, OP_RESHAPE, OP_CUSTOM = 0, 2, 3, 4, 14, 22, 32


def build(use_float, external, seed):
    rng = random.Random(seed)
    tensors, buffers, ops = [], [b''], []   # buffer 0: empty (activations)
    ext = []                                # (buffer index, bytes) stored after the flatbuffer
    s_in, s_w, s_act = 1 / 128, 0.02, 0.05

    def tensor(name, shape, ttype, data=None, scale=None, zp=0):
        buf = 0
        if data is not None:
            buffers.append(data)
            buf = len(buffers) - 1
        f = {0: ('off', Vec('i32', shape)), 1: ('u8', ttype), 2: ('u32', buf), 3: ('off', Str(name))}
        if scale is not None and not use_float:
            f[4] = ('off', Table({2: ('off', Vec('f32', [scale])), 3: ('off', Vec('i64', [zp]))}))
        tensors.append(Table(f))
        return len(tensors) - 1

    def act(name, shape, scale=s_act, zp=0):
        return tensor(name, shape, F32 if use_float else U8, None, scale, zp)

    def weights(name, shape):
        n = 1
        for d in shape:
            n *= d
        if use_float:
            return tensor(name, shape, F32, struct.pack('<%df' % n, *[rng.uniform(-0.5, 0.5) for _ in range(n)]))
        return tensor(name, shape, U8, bytes(rng.randrange(256) for _ in range(n)), s_w, 128)

    def bias(name, n, in_scale):
        if use_float:
            return tensor(name, [n], F32, struct.pack('<%df' % n, *[rng.uniform(-0.1, 0.1) for _ in range(n)]))
        return tensor(name, [n], I32, struct.pack('<%di' % n, *[rng.randrange(-500, 500) for _ in range(n)]),
                      in_scale * s_w, 0)

    def op(code, ins, outs, opt_type=0, opt=None, custom=None):
        f = {0: ('u32', code), 1: ('off', Vec('i32', ins)), 2: ('off', Vec('i32', outs))}
        if opt is not None:
            f[3] = ('u8', opt_type)
            f[4] = ('off', opt)
        if custom is not None:
            f[5] = ('off', Vec('u8', custom))
        ops.append(Table(f))

    codes = [OP_CONV, OP_DW, OP_ADD, OP_RESHAPE, OP_CONCAT, OP_LOGISTIC, OP_CUSTOM]
    ci = {c: i for i, c in enumerate(codes)}

    def conv(x, in_scale, cin, cout, k, stride, depthwise=False, relu6=True, name='conv'):
        w = weights(name + '/w', [1, k, k, cout] if depthwise else [cout, k, k, cin])
        b = bias(name + '/b', cout, in_scale)
        return w, b

    x = act('image', [1, 32, 32, 3], s_in, 128)
    # conv 3x3/2 SAME ReLU6 → 16x16x8
    w, b = conv(x, s_in, 3, 8, 3, 2, name='conv0')
    c0 = act('conv0', [1, 16, 16, 8])
    op(ci[OP_CONV], [x, w, b], [c0], 1, Table({0: ('u8', 0), 1: ('i32', 2), 2: ('i32', 2), 3: ('u8', 3)}))
    # depthwise 3x3/2 → 8x8x8
    w, b = conv(c0, s_act, 8, 8, 3, 2, depthwise=True, name='dw1')
    d1 = act('dw1', [1, 8, 8, 8])
    op(ci[OP_DW], [c0, w, b], [d1], 2, Table({0: ('u8', 0), 1: ('i32', 2), 2: ('i32', 2), 3: ('i32', 1), 4: ('u8', 1)}))
    a1 = act('add1', [1, 8, 8, 8], 2 * s_act)
    op(ci[OP_ADD], [d1, d1], [a1], 11, Table({0: ('u8', 0)}))

    boxes, scores, n_anchors = [], [], 0
    for m, (fm, side, per) in enumerate([(c0, 16, 1), (a1, 8, 2)]):
        fm_scale = s_act if m == 0 else 2 * s_act
        for kind, ch in (('box', 4), ('cls', 3)):
            w, b = conv(fm, fm_scale, 8, per * ch, 1, 1, name='%s%d' % (kind, m))
            h = act('%s%d' % (kind, m), [1, side, side, per * ch], 0.1, 128)
            op(ci[OP_CONV], [fm, w, b], [h], 1, Table({0: ('u8', 0), 1: ('i32', 1), 2: ('i32', 1)}))
            n = side * side * per
            r = act('%s%d/reshape' % (kind, m), [1, n, ch], 0.1, 128)
            op(ci[OP_RESHAPE], [h], [r], 17, Table({0: ('off', Vec('i32', [1, n, ch]))}))
            (boxes if kind == 'box' else scores).append(r)
        n_anchors += side * side * per
    box = act('box_encodings', [1, n_anchors, 4], 0.1, 128)
    op(ci[OP_CONCAT], boxes, [box], 10, Table({0: ('i32', 1)}))
    cls = act('class_predictions', [1, n_anchors, 3], 0.1, 128)
    op(ci[OP_CONCAT], scores, [cls], 10, Table({0: ('i32', 1)}))
    sig = act('scores', [1, n_anchors, 3], 1 / 256, 0)
    op(ci[OP_LOGISTIC], [cls], [sig])
    # anchors (yc, xc, h, w) on each map's grid, quantised to 1/255 (or float)
    anc = []
    for side, per in ((16, 1), (8, 2)):
        for y in range(side):
            for xx in range(side):
                for a in range(per):
                    sz = 0.1 + 0.2 * a + (0.1 if side == 8 else 0)
                    anc += [(y + 0.5) / side, (xx + 0.5) / side, sz, sz * (1.5 if a else 1)]
    if use_float:
        at = tensor('anchors', [n_anchors, 4], F32, struct.pack('<%df' % len(anc), *anc))
    else:
        at = tensor('anchors', [n_anchors, 4], U8, bytes(min(255, round(v * 255)) for v in anc), 1 / 255, 0)
    outs = [tensor('detection_boxes', [1, 10, 4], F32), tensor('detection_classes', [1, 10], F32),
            tensor('detection_scores', [1, 10], F32), tensor('num_detections', [1], F32)]
    flex = flex_map([('max_detections', 'int', 10), ('max_classes_per_detection', 'int', 1),
                     ('detections_per_class', 'int', 100), ('use_regular_nms', 'bool', False),
                     ('nms_score_threshold', 'float', 0.3), ('nms_iou_threshold', 'float', 0.6),
                     ('num_classes', 'int', 2), ('y_scale', 'float', 10.0), ('x_scale', 'float', 10.0),
                     ('h_scale', 'float', 5.0), ('w_scale', 'float', 5.0), ('_output_quantized', 'bool', True)])
    op(ci[OP_CUSTOM], [box, sig, at], outs, custom=list(flex))

    opcodes = [Table({0: ('u8', c), 3: ('i32', c)} if c != OP_CUSTOM else
                     {0: ('u8', c), 1: ('off', Str('TFLite_Detection_PostProcess')), 3: ('i32', c)})
               for c in codes]
    subgraph = Table({0: ('off', Vec('off', tensors)), 1: ('off', Vec('i32', [x])),
                      2: ('off', Vec('i32', [len(tensors) - 4 + k for k in range(4)])),
                      3: ('off', Vec('off', ops)), 4: ('off', Str('main'))})
    buf_tables = []
    for i, data in enumerate(buffers):
        if external and data:
            ext.append((i, data))
            buf_tables.append(Table({1: ('u64', 0), 2: ('u64', 0)}))   # patched below
        else:
            buf_tables.append(Table({0: ('off', Vec('u8', list(data)))} if data else {}))
    model = Table({0: ('u32', 3), 1: ('off', Vec('off', opcodes)), 2: ('off', Vec('off', [subgraph])),
                   3: ('off', Str('tiny SSD for fuzzing (tests/fuzz/mktflite.py)')),
                   4: ('off', Vec('off', buf_tables))})
    wr = Writer()
    blob = bytearray(wr.finish(model))
    if ext:
        # Schema 3c: the data follows the flatbuffer, 16-byte aligned; the Buffer tables hold
        # offset and size. Find each Buffer table's two u64 slots through its vtable.
        tables = find_buffer_tables(blob)
        for (i, data), pos in zip(ext, [tables[i] for i, _ in ext]):
            while len(blob) % 16:
                blob.append(0)
            off = len(blob)
            blob += data
            vt = pos - struct.unpack_from('<i', blob, pos)[0]
            o_off, o_size = struct.unpack_from('<HH', blob, vt + 4 + 2)
            struct.pack_into('<QQ', blob, pos + o_off, off, len(data))
    return bytes(blob)


def find_buffer_tables(b):
    """Positions of the Buffer tables: model field 4 (a vector of offsets)."""
    root = struct.unpack_from('<I', b, 0)[0]
    vt = root - struct.unpack_from('<i', b, root)[0]
    fo = struct.unpack_from('<H', b, vt + 4 + 2 * 4)[0]
    at = root + fo
    vec = at + struct.unpack_from('<I', b, at)[0]
    n = struct.unpack_from('<I', b, vec)[0]
    return [vec + 4 + 4 * k + struct.unpack_from('<I', b, vec + 4 + 4 * k)[0] for k in range(n)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fl, ext in (('tiny_ssd_u8.tflite', False, False), ('tiny_ssd_f32.tflite', True, False),
                          ('tiny_ssd_u8_external.tflite', False, True)):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(build(fl, ext, seed=7))


if __name__ == '__main__':
    main()
