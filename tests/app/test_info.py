#!/usr/bin/env python3
"""tests/app/test_info.py — `ssdcam info` end to end: runs the built executable and checks the
printed layer table, totals, shares, per-block ratios and the --paper tables against the
MobileNets paper (Howard et al. 2017), plus exit codes for bad usage.

usage: test_info.py PATH/TO/ssdcam        (meson passes the built executable)
Prints "N passed, N failed" like tests/harness.h; exit status 1 when anything failed."""
import re
import subprocess
import sys
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from sctest import check, finish  # noqa: E402


def near(a, b, tol, what):
    check(a is not None and abs(a - b) <= tol, f"{what}: got {a}, want {b} +- {tol}")


def run(*args):
    p = subprocess.run([SSDCAM, "info", *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def totals(out):
    m = re.search(r"^total: ([\d.]+) M mult-adds, ([\d.]+) M params$", out, re.M)
    return (float(m.group(1)), float(m.group(2))) if m else (None, None)


def shares(out):
    """{type: (% mult-adds, % params)} from the 'share by layer type' table."""
    sec = out.split("share by layer type", 1)[-1]
    return {m.group(1): (float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"^  (conv 1x1|dw 3x3|conv 3x3|fc)\s+([\d.]+) %\s+([\d.]+) %$", sec, re.M)}


def layer_rows(out):
    """[(index, type, stride, input, output, params, mult_adds)] from the layer table."""
    rows = []
    for m in re.finditer(r"^\s*(\d+)  (conv 3x3|dw 3x3|conv 1x1|avg pool|fc|softmax)\s+(\d+|-)\s+(\d)"
                         r"\s+(\d+x\d+x\d+)\s+(\d+x\d+x\d+)\s+([\d,]+)\s+([\d,]+)$", out, re.M):
        rows.append((int(m.group(1)), m.group(2), int(m.group(4)), m.group(5), m.group(6),
                     int(m.group(7).replace(",", "")), int(m.group(8).replace(",", ""))))
    return rows


def ratio_rows(out):
    """[(block, ratio, 1/N + 1/Dk^2)]"""
    return [(int(m.group(1)), float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"^\s*(\d+)  \d  \d+ -> \d+\s+\S+\s+[\d,]+\s+[\d,]+\s+([\d.]+)\s+([\d.]+)$",
                                 out, re.M)]


def test_default():
    rc, out, err = run()
    check(rc == 0, f"info: exit {rc}, stderr {err!r}")
    ma, p = totals(out)
    near(ma, 568.74, 0.0005, "1.0-224 M mult-adds")
    near(p, 4.209, 0.0005, "1.0-224 M params")
    check(round(ma or 0) == 569 and round(p or 0, 1) == 4.2, "paper's 569 M / 4.2 M")
    sh = shares(out)
    check(len(sh) == 4, f"four share rows, got {sh}")
    for typ, (want_ma, want_p) in {"conv 1x1": (94.86, 74.59), "dw 3x3": (3.06, 1.06),
                                   "conv 3x3": (1.91, 0.02), "fc": (0.18, 24.33)}.items():
        got = sh.get(typ, (None, None))
        near(got[0], want_ma, 0.001, f"{typ} % mult-adds")
        near(got[1], want_p, 0.001, f"{typ} % params")

    rows = layer_rows(out)
    check(len(rows) == 30, f"30 layer rows, got {len(rows)}")
    check([r[0] for r in rows] == list(range(len(rows))), "layer indices 0..n-1")
    check(sum(r[6] for r in rows) == 568740352, "layer mult-adds add up to the total")
    check(sum(r[5] for r in rows) == 4209088, "layer params add up to the total")
    # each stride-2 layer halves the size: 112, 56, 28, 14, 7
    halvings = [r[4].split("x")[0] for r in rows if r[2] == 2]
    check(halvings == ["112", "56", "28", "14", "7"], f"stride-2 outputs {halvings}")
    check(rows and rows[0][1:5] == ("conv 3x3", 2, "224x224x3", "112x112x32"), f"first row {rows[:1]}")
    check(len(rows) >= 30 and rows[28][1] == "fc" and rows[28][4] == "1x1x1000", "fc row")

    rr = ratio_rows(out)
    check([r[0] for r in rr] == list(range(1, 14)), f"13 ratio rows, got {[r[0] for r in rr]}")
    for b, ratio, formula in rr:
        check(ratio == formula, f"block {b}: ratio {ratio} != 1/N + 1/Dk^2 {formula}")
    check(len(rr) == 13 and abs(rr[0][2] - (1 / 64 + 1 / 9)) < 1e-6 and abs(rr[12][2] - (1 / 1024 + 1 / 9)) < 1e-6,
          "1/N + 1/9 for N = 64 and 1024")
    check(re.search(r"^whole network: 568\.740 M vs 4867\.293 M mult-adds", out, re.M) is not None,
          "whole-network comparison line")


def test_alpha():
    rc, out, _ = run("--alpha", "0.75")
    check(rc == 0, "--alpha 0.75 exit")
    ma, p = totals(out)
    near(ma, 325.400, 0.0005, "0.75-224 M mult-adds")
    check(round(ma or 0) == 325 and round(p or 0, 1) == 2.6, f"paper's 325 M / 2.6 M, got {ma} / {p}")
    for a, want_ma, want_p in (("0.5", 149, 1.3), ("0.25", 41, 0.5)):
        rc, out, _ = run(f"--alpha={a}")
        ma, p = totals(out)
        check(rc == 0 and round(ma or 0) == want_ma and round(p or 0, 1) == want_p,
              f"alpha {a}: {ma} / {p}, paper {want_ma} / {want_p}")


def test_size():
    rc, out, _ = run("--size", "160")
    check(rc == 0, "--size 160 exit")
    ma, p = totals(out)
    near(ma, 290.675, 0.0005, "1.0-160 M mult-adds (paper: 290)")
    near(p, 4.209, 0.0005, "params do not depend on the resolution")
    halvings = [r[4].split("x")[0] for r in layer_rows(out) if r[2] == 2]
    check(halvings == ["80", "40", "20", "10", "5"], f"160: stride-2 outputs {halvings}")
    for args, want in ((["--size", "192"], 418), (["--rho", "0.5714285714"], 186), (["--rho=0.857"], 418)):
        rc, out, _ = run(*args)
        ma, _ = totals(out)
        check(rc == 0 and round(ma or 0) == want, f"{args}: {ma} M, paper {want}")
    rc, out, _ = run("--size", "300x400", "--classes", "21")
    rows = layer_rows(out)
    check(rc == 0 and len(rows) == 30 and rows[26][4] == "10x13x1024" and rows[28][4] == "1x1x21",
          "--size 300x400 --classes 21")


def test_full_conv():
    rc, out, _ = run("--full-conv")
    check(rc == 0, "--full-conv exit")
    ma, p = totals(out)
    near(ma, 4867.293, 0.0005, "full conv M mult-adds")
    check(round(p or 0, 1) == 29.3, f"full conv params {p}, paper 29.3")
    rows = layer_rows(out)
    check(len(rows) == 17 and all(r[1] == "conv 3x3" for r in rows[:14]), "14 full 3x3 conv rows")
    sh = shares(out)
    check(sh.get("conv 1x1") == (0.0, 0.0) and sh.get("dw 3x3") == (0.0, 0.0), f"no separable layers: {sh}")


def test_paper():
    rc, out, err = run("--paper")
    check(rc == 0, f"--paper exit {rc} {err!r}")
    for t in ("Table 2", "Table 3", "Table 4", "Table 6", "Table 7"):
        check(f"{t}:" in out, f"{t} printed")

    def row(label, text=out):
        m = re.search(r"^ +" + re.escape(label) + r"\s+([\d.]+)\s+(\S+)\s+([\d.]+)\s+(\S+)", text, re.M)
        return (float(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4))) if m else None

    t6 = out.split("Table 6:", 1)[-1].split("Table 7:", 1)[0]
    t7 = out.split("Table 7:", 1)[-1]
    for label, text in (("1.0 MobileNet-224", t6), ("0.75 MobileNet-224", t6), ("0.5 MobileNet-224", t6),
                        ("0.25 MobileNet-224", t6), ("1.0 MobileNet-224", t7), ("1.0 MobileNet-192", t7),
                        ("1.0 MobileNet-128", t7)):
        r = row(label, text)
        check(r is not None and abs(r[0] - r[1]) <= 0.5 and abs(r[2] - r[3]) <= 0.05,
              f"{label}: computed vs paper {r}")
    r = row("1.0 MobileNet-160", t7)
    check(r is not None and r[1] == 290 and abs(r[0] - 290.675) < 0.0005, f"160 row {r}")
    t4 = out.split("Table 4:", 1)[-1]
    r = row("Conv MobileNet", t4)
    check(r is not None and abs(r[0] - 4867.293) < 0.0005 and r[1] == 4866 and abs(r[2] - r[3]) <= 0.05,
          f"Conv MobileNet row {r}")
    check(re.search(r"4866 matches the convolutions alone, 4866\.27 M", out) is not None, "Table 4 note")
    r = row("MobileNet", t4)
    check(r is not None and abs(r[0] - 568.740) < 0.0005 and r[1] == 569, f"MobileNet row {r}")
    t3 = out.split("Table 3:", 1)[-1]
    for label, ma, ma_tol, p in (("convolution", 462, 0.5, 2.36), ("depthwise separable", 52.3, 0.05, 0.27),
                                 ("alpha = 0.75", 29.6, 0.05, 0.15), ("rho = 0.714 (10x10)", 15.1, 0.05, 0.15)):
        r = row(label, t3)
        check(r is not None and r[1] == ma and r[3] == p and abs(r[0] - ma) <= ma_tol and abs(r[2] - p) <= 0.005,
              f"Table 3 {label}: {r}")
    t2 = out.split("Table 2:", 1)[-1]
    for typ, want_ma, want_p in (("conv 1x1", 94.86, 74.59), ("dw 3x3", 3.06, 1.06), ("fc", 0.18, 24.33)):
        m = re.search(r"^  " + typ + r"\s+([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %", t2, re.M)
        check(m is not None and float(m.group(1)) == float(m.group(2)) == want_ma
              and float(m.group(3)) == float(m.group(4)) == want_p, f"Table 2 {typ}")
    m = re.search(r"^  conv 3x3\s+([\d.]+) %\s+1\.19 %\s+([\d.]+) %\s+0\.02 %", t2, re.M)
    check(m is not None and m.group(1) == "1.91" and m.group(2) == "0.02", "Table 2 conv 3x3 row")


def test_usage():
    rc, out, _ = run("--help")
    check(rc == 0, "--help exit 0")
    for opt in ("--alpha", "--size", "--rho", "--full-conv", "--classes", "--paper", "--help", ".tflite"):
        check(opt in out, f"--help documents {opt}")
    for args in (["--bogus"], ["--alpha"], ["--alpha", "0"], ["--alpha", "x"], ["--alpha", "17"],
                 ["--size", "0"], ["--size", "12y"], ["--size", "224", "--rho", "1"], ["--rho", "-1"],
                 ["--classes", "0"], ["--paper", "--alpha", "0.5"], ["stray"], ["m.tflite", "--full-conv"]):
        rc, out, err = run(*args)
        check(rc == 2, f"{args}: exit {rc}, want 2")
        check("ssdcam: error: info:" in err, f"{args}: message on stderr, got {err!r}")
        check(out == "", f"{args}: nothing on stdout")
    rc, out, err = run("model.tflite")
    check(rc == 3 and "model.tflite" in err and out == "", f"missing model file: exit 3 naming it: {rc} {err!r}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    SSDCAM = sys.argv[1]
    for t in (test_default, test_alpha, test_size, test_full_conv, test_paper, test_usage):
        t()
    finish()
