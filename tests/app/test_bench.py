#!/usr/bin/env python3
"""tests/app/test_bench.py — `ssdcam bench` end to end: the output format, never the speed.

Runs `ssdcam bench --quick` and checks the header (ssdcam version and git revision, CPU,
kernel level, thread counts, FMA peak), one end-to-end row per benchmark × precision × thread
count with median, p10 <= median <= p90, min <= p10, GFLOP/s = 2 x MACs / median and % peak
consistent with the printed peak, per-layer tables whose layer medians add up to the printed
sum, and the machine-readable RESULT lines of --result; plus --help and bad usage.

usage: test_bench.py PATH/TO/ssdcam        (meson passes the built executable)
Prints "N passed, N failed" like tests/harness.h; exit status 1 when anything failed."""
import os
import re
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from sctest import check, finish  # noqa: E402


# mult-adds of each benchmark (../shared/bench/gen_models.py; the COCO model from its file)
MACS = {"ssd_mnv1_300": 1148479168, "mnv1_a1_224": 568740352}


def run(*args, timeout=600):
    p = subprocess.run([SSDCAM, "bench", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


E2E = re.compile(r"^(\S+)\s+(u8|fp32|int8)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+|-)$",
                 re.M)
LAYER = re.compile(r"^\s*(\d+) (.{40}) (\S.{13})\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+|-)\s+([\d.]+|-)"
                   r"\s+([\d.]+)%$", re.M)


def main():
    rc, out, err = run("--quick")
    check(rc == 0, f"bench --quick exit status {rc}: {err[-500:]}")
    # header
    m = re.search(r"^ssdcam bench .* ssdcam (\S+), git (\S+)$", out, re.M)
    check(m is not None and m.group(2) != "", "header names the version and git revision")
    check(re.search(r"^cpu: .+ \(\d+ online\)$", out, re.M) is not None, "header names the CPU")
    km = re.search(r"^kernels: (ref|portable|avx2|avx512|neon)$", out, re.M)
    check(km is not None, "header names the kernel level")
    check(re.search(r"^threads: 1 2$", out, re.M) is not None, "header lists the thread counts 1 2")
    check(re.search(r"^runs: 5 timed after 3 warm-up per configuration$", out, re.M) is not None, "--quick: 5 runs")
    pm = re.search(r"^fma peak: ([\d.]+) GFLOP/s per core", out, re.M)
    check(pm is not None and float(pm.group(1)) > 0, "a measured FMA peak")
    peak = float(pm.group(1)) if pm else None

    rows = [(r[0], r[1], int(r[2]), *map(float, r[3:8]), r[8]) for r in E2E.findall(out)]
    names = {(n, p, t) for (n, p, t, *_rest) in rows}
    want = {("coco_ssd_mnv1_300", "u8"), ("coco_detect_640x480_to_300", "u8"), ("ssd_mnv1_300", "fp32"),
            ("ssd_mnv1_300", "int8"), ("mnv1_a1_224", "fp32"), ("mnv1_a1_224", "int8")}
    for (n, p) in sorted(want):
        for t in (1, 2):
            check((n, p, t) in names, f"an end-to-end row for {n} {p} {t} thread(s)")
    check(not any(n.startswith("coco_ssd_mnv1_2") or n.startswith("coco_ssd_mnv1_1") for n, *_ in rows),
          "--quick skips the rho sizes")
    for (n, p, t, med, p10, p90, mn, g, pk) in rows:
        check(mn <= p10 <= med <= p90 and med > 0, f"{n} {p} {t}: min <= p10 <= median <= p90 ({mn} {p10} {med} {p90})")
        if n in MACS:
            want_g = 2 * MACS[n] / (med * 1e6)
            check(abs(g - want_g) <= 0.051 + 0.002 * want_g, f"{n} {p} {t}: GFLOP/s {g} = 2 x MACs / median ({want_g:.1f})")
        if peak and pk != "-":
            check(abs(float(pk) - 100 * g / (peak * t)) <= 0.06 + 0.002 * float(pk), f"{n} {p} {t}: % peak {pk}")

    # per-layer tables: one per end-to-end row, with layer medians adding up to the printed sum
    tables = out.split("\nper layer: ")[1:]
    check(len(tables) == len(rows), f"{len(tables)} per-layer tables for {len(rows)} end-to-end rows")
    for tb in tables:
        title = tb.split("\n", 1)[0]
        layers = LAYER.findall(tb)
        sm = re.search(r"^sum of layer medians ([\d.]+) ms; end-to-end median ([\d.]+) ms$", tb, re.M)
        check(sm is not None, f"{title}: a sum line")
        check(len(layers) >= 2, f"{title}: layer rows")
        if title.startswith("ssd_mnv1_300"):
            convs = [lr for lr in layers if lr[2].startswith(("conv", "dw", "fused x", "(in the chain)"))]
            check(len(convs) == 47, f"{title}: 47 conv layers, got {len(convs)}")
            # a fused chain's row carries its layers' mult-adds; the others' rows none
            for i, lr in enumerate(layers):
                m = re.match(r"fused x(\d+)", lr[2])
                if m:
                    members = layers[i + 1:i + int(m.group(1))]
                    check(len(members) == int(m.group(1)) - 1 and all(x[2].startswith("(in the chain)") and
                          float(x[3]) == 0 for x in members), f"{title}: the rows of the chain at {lr[1].strip()}")
            check(sum(float(lr[3]) for lr in layers) > 1148.0, f"{title}: layer MMACs add up to 1148.5")
            check(any("conv11_mbox_conf 19x19x63" in lr[1] for lr in layers), f"{title}: the 19x19 class head")
        if title.startswith("coco_detect"):
            check(any(lr[2].strip() == "resize" for lr in layers), f"{title}: a resize step")
        if sm and layers:
            total = sum(float(lr[4]) for lr in layers)
            # reshape rows are hidden (aliases, ~0 ms); shares add up to ~100 %
            check(abs(total - float(sm.group(1))) <= 0.01 + 0.02 * float(sm.group(1)),
                  f"{title}: rows add up to {total:.3f}, printed sum {sm.group(1)}")
            share = sum(float(lr[9]) for lr in layers)
            check(abs(share - 100) <= 2.5, f"{title}: shares add up to {share:.1f} %")
        check(re.search(r"^by kind: ", tb, re.M) is not None, f"{title}: a by-kind summary")

    # --result: only RESULT lines, ../shared/bench's format
    rc, out, err = run("--quick", "--result", "--only", "ssd,mnv1", "--prec", "int8", "--threads", "1")
    check(rc == 0, f"--result exit status {rc}")
    lines = [ln for ln in out.splitlines() if ln.strip()]
    res = re.compile(r"^RESULT engine=ssdcam model=(\S+) threads=(\d+) prec=(\S+) median_ms=([\d.]+) p10_ms=([\d.]+) "
                     r"p90_ms=([\d.]+) min_ms=([\d.]+) runs=(\d+) gflops=([\d.]+)$")
    parsed = [res.match(ln) for ln in lines]
    check(len(lines) == 2 and all(parsed), f"--result prints 2 RESULT lines only: {lines}")
    check({m.group(1) for m in parsed if m} == {"ssd_mnv1_300", "mnv1_a1_224"}, "--result models")
    check(all(m.group(2) == "1" and m.group(3) == "int8" and m.group(8) == "5" for m in parsed if m),
          "--result threads, precision, runs")

    # --runs/--warmup, --no-layers, --peak
    rc, out, err = run("--only", "mnv1", "--prec", "fp32", "--threads", "2", "--runs", "7", "--warmup", "1",
                       "--no-layers", "--peak", "100")
    check(rc == 0, f"--only mnv1 exit status {rc}")
    rows = E2E.findall(out)
    check(len(rows) == 1 and rows[0][0] == "mnv1_a1_224" and rows[0][2] == "2", f"one mnv1 fp32 row at 2 threads: {rows}")
    check("per layer:" not in out, "--no-layers")
    check(re.search(r"^fma peak: 100\.0 GFLOP/s per core \(fp32, given\)", out, re.M) is not None, "--peak is used")
    if rows:
        g = float(rows[0][7])
        check(abs(float(rows[0][8]) - g / 2) <= 0.06 + 0.002 * g, "% peak from --peak and 2 threads")

    # --warm-layers: the per-layer table says so and still lists every layer
    rc, out, err = run("--only", "mnv1", "--prec", "fp32", "--threads", "1", "--runs", "3", "--warmup", "1",
                       "--warm-layers")
    check(rc == 0, f"--warm-layers exit status {rc}")
    check(re.search(r"^per layer: mnv1_a1_224 fp32, 1 thread \(.*; warm: each layer's second run in a row\)$",
                    out, re.M) is not None, "--warm-layers: the per-layer header says the layers ran warm")
    check(len(LAYER.findall(out)) >= 27, f"--warm-layers: every layer has a row ({len(LAYER.findall(out))})")

    # help and usage errors
    rc, out, _ = run("--help")
    check(rc == 0 and "usage: ssdcam bench" in out and "--quick" in out, "--help")
    for bad in (["--runs", "0"], ["--threads", "x"], ["--only", "nope"], ["--prec", "fp16"], ["--frob"], ["--runs"]):
        rc, _, err = run(*bad)
        check(rc == 2 and "bench:" in err, f"{bad}: exit status 2 with a message (got {rc})")
    rc, _, err = run("--only", "coco", "--model", "/nonexistent.tflite", "--quick")
    check(rc == 3, f"a missing model: exit status 3 (got {rc})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: test_bench.py PATH/TO/ssdcam")
    SSDCAM = sys.argv[1]
    os.environ.setdefault("SC_SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
    main()
    finish()
