#!/usr/bin/env python3
"""scripts/bench-peers.py — ssdcam's engine and the peer engines of ../shared/bench in the same
session, interleaved, SCHED_FIFO, and the ratios against issue #4's targets.

    python3 scripts/bench-peers.py                      # builds the peers if needed (~3 min first time)
    python3 scripts/bench-peers.py --rounds 5 --runs 40 --ssdcam build/app/ssdcam

What it does (the method of ../shared/bench/runner.py):
  1. The peers: ../shared/bench/run.sh with ONLY_BUILD=1 (installs its Debian packages and the
     npm onnxruntime-node library, builds bench_ort/bench_dnnl/bench_xnn and fma_peak, generates
     the random-weight networks) unless $BENCH_DIR/build/bin already has them.
  2. Rounds: each round measures the FMA peak (the peers' fma_peak), then for every network and
     thread count runs every engine once, in an order rotated per round: ONNX Runtime fp32 and
     QDQ int8, oneDNN fp32 and int8, XNNPACK fp32, and `ssdcam bench --result` (fp32, int8; the
     COCO model's network and a whole 640x480 detection). Each process does WARMUP untimed and
     RUNS timed inferences and prints its median; it runs under `chrt -f PRIO` (root) so other
     processes on this shared 2-core VM do not time-slice it. Every process of a round that uses
     fewer threads than there are CPUs is pinned (taskset) to the same CPUs, rotated per round:
     this VM's two vCPUs differ by up to 3 % in speed, and the difference changes with time and
     with the code (session 8: ssdcam ran 2-3 % faster on cpu 0 while ONNX Runtime ran 3 %
     faster on cpu 1, later both faster on cpu 1), so unpinned 1-thread processes that land on
     different vCPUs put that noise into the round's ratio (--pin off: no pinning).
  3. Ratios ours / peer are taken inside each round (same minute, same machine state); the table
     shows the median over rounds of the per-round medians and of the per-round ratios.

Targets (issue #4; medians): ssd_mnv1_300 fp32 <= 0.9 x ONNX Runtime at 1 thread and <= 0.9 x
oneDNN at 2; int8 <= 1.0 x oneDNN int8 at 1 and 2 threads; the COCO network <= 3 ms at 1 thread
and <= 2 ms at 2; a whole detect from 640x480 <= 4 ms at 1 thread.

Outputs: the table on stdout and in OUT/peers_<stamp>.md, every process's numbers in OUT/raw.csv
(OUT defaults to $BENCH_DIR/results). Exit status 0 when everything ran (missed targets are
reported, not failures); 1 when a benchmark process failed."""
import argparse
import csv
import os
import statistics as st
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_BENCH = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench"))
BENCH_DIR = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/ssdcam-bench"))

PEERS = {  # engine -> (binary, label)
    "ort": ("bench_ort", "ONNX Runtime fp32"),
    "ort-int8": ("bench_ort", "ONNX Runtime int8 (QDQ)"),
    "dnnl": ("bench_dnnl", "oneDNN fp32"),
    "dnnl-int8": ("bench_dnnl", "oneDNN int8"),
    "xnnpack": ("bench_xnn", "XNNPACK fp32"),
}
OURS = {"ssdcam": "ssdcam fp32", "ssdcam-int8": "ssdcam int8"}

TARGETS = [  # (what, model, threads, ours, peer or None, limit: ratio or ms)
    ("ssd_mnv1_300 fp32 vs ONNX Runtime, 1 thread", "ssd_mnv1_300", 1, "ssdcam", "ort", 0.9),
    ("ssd_mnv1_300 fp32 vs oneDNN, 2 threads", "ssd_mnv1_300", 2, "ssdcam", "dnnl", 0.9),
    ("ssd_mnv1_300 int8 vs oneDNN int8, 1 thread", "ssd_mnv1_300", 1, "ssdcam-int8", "dnnl-int8", 1.0),
    ("ssd_mnv1_300 int8 vs oneDNN int8, 2 threads", "ssd_mnv1_300", 2, "ssdcam-int8", "dnnl-int8", 1.0),
    ("COCO network (uint8, 300), 1 thread", "coco_ssd_mnv1_300", 1, "ssdcam-u8", None, 3.0),
    ("COCO network (uint8, 300), 2 threads", "coco_ssd_mnv1_300", 2, "ssdcam-u8", None, 2.0),
    ("whole detect from 640x480, 1 thread", "coco_detect_640x480_to_300", 1, "ssdcam-u8", None, 4.0),
]


def log(*a):
    print(*a, flush=True)


def find_ssdcam(path):
    if path:
        return os.path.abspath(path)
    cands = [os.path.join(ROOT, d, "app", "ssdcam") for d in sorted(os.listdir(ROOT)) if d.startswith("build")]
    cands = [c for c in cands if os.access(c, os.X_OK)]
    if not cands:
        sys.exit("bench-peers: no built ssdcam (meson setup build && ninja -C build, or pass --ssdcam)")
    return max(cands, key=os.path.getmtime)   # the most recently built


def ensure_peers(skip_build):
    bins = os.path.join(BENCH_DIR, "build", "bin")
    need = ["fma_peak", "bench_ort", "bench_dnnl", "bench_xnn"]
    models = os.path.join(BENCH_DIR, "build", "models", "ssd_mnv1_300.layers")
    if all(os.access(os.path.join(bins, b), os.X_OK) for b in need) and os.path.exists(models):
        return
    if skip_build:
        sys.exit(f"bench-peers: the peer benches are not built in {BENCH_DIR} (drop --skip-build)")
    log(f"== building the peer benches: ONLY_BUILD=1 bash {SHARED_BENCH}/run.sh (installs its packages; minutes)")
    env = dict(os.environ, ONLY_BUILD="1", BENCH_DIR=BENCH_DIR)
    subprocess.run(["bash", os.path.join(SHARED_BENCH, "run.sh")], env=env, check=True)


def peer_cmd(engine, model, threads, a):
    b = os.path.join(BENCH_DIR, "build", "bin", PEERS[engine][0])
    m = os.path.join(BENCH_DIR, "build", "models", model)
    w, r = str(a.warmup), str(a.runs)
    if engine == "ort":
        return [b, m + ".onnx", str(threads), w, r, "fp32"]
    if engine == "ort-int8":
        return [b, m + ".qdq.onnx", str(threads), w, r, "int8"] if os.path.exists(m + ".qdq.onnx") else None
    if engine == "dnnl":
        return [b, m + ".layers", str(threads), w, r, "fp32"]
    if engine == "dnnl-int8":
        return [b, m + ".layers", str(threads), w, r, "int8"]
    if engine == "xnnpack":
        return [b, m + ".layers", str(threads), w, r]
    return None


def ours_cmd(ssdcam, what, threads, a, prec=None):
    cmd = [ssdcam, "bench", "--result", "--only", what, "--threads", str(threads), "--runs", str(a.runs),
           "--warmup", str(a.warmup)]
    if prec:
        cmd += ["--prec", prec]
    return cmd


def run_one(cmd, a, tmp, cpus=None):
    """Runs one bench process SCHED_FIFO (on `cpus`, a taskset list, if given); returns its RESULT
    lines as dicts (or None on failure)."""
    full = (["taskset", "-c", cpus] if cpus else []) + (["chrt", "-f", str(a.rt)] if a.rt > 0 else []) + cmd
    with open(tmp + ".out", "w") as fo, open(tmp + ".err", "w") as fe:
        # files, not pipes: ../shared/bench/runner.py saw OpenCV 30 % slower with both piped
        p = subprocess.run(full, stdout=fo, stderr=fe)
    out, err = open(tmp + ".out").read(), open(tmp + ".err").read()
    res = [dict(kv.split("=", 1) for kv in ln.split()[1:] if "=" in kv) for ln in out.splitlines()
           if ln.startswith("RESULT ")]
    if p.returncode != 0 or not res:
        log(f"  FAIL rc={p.returncode}: {' '.join(full)}\n  {err.strip()[-400:]}")
        return None
    return res


def fma_peak(a, tmp):
    full = (["chrt", "-f", str(a.rt)] if a.rt > 0 else []) + [os.path.join(BENCH_DIR, "build", "bin", "fma_peak"), "101"]
    out = subprocess.run(full, capture_output=True, text=True).stdout
    pk = {}
    for ln in out.splitlines():
        if ln.startswith("PEAK"):
            d = dict(kv.split("=") for kv in ln.split()[1:])
            pk[(d["isa"], int(d["threads"]))] = float(d["max_gflops"])
    return pk


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--models", default="ssd_mnv1_300,mnv1_a1_224")
    ap.add_argument("--ssdcam", default=None, help="the ssdcam executable (default: the newest build*/app/ssdcam)")
    ap.add_argument("--rt", type=int, default=10 if os.geteuid() == 0 else 0,
                    help="SCHED_FIFO priority of every bench process (chrt -f; default 10 as root, 0 = off)")
    ap.add_argument("--pin", choices=["on", "off"], default="on",
                    help="pin processes with fewer threads than CPUs to the same CPUs, rotated per round")
    ap.add_argument("--skip-build", action="store_true", help="fail instead of building the peers")
    ap.add_argument("--out", default=os.path.join(BENCH_DIR, "results"))
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    models = a.models.split(",")
    ssdcam = find_ssdcam(a.ssdcam)
    ensure_peers(a.skip_build)
    os.makedirs(a.out, exist_ok=True)
    tmp = os.path.join(a.out, ".child")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    log(f"== {stamp}: {a.rounds} rounds x {a.runs} runs (+{a.warmup} warm-up), threads {threads}, "
        f"SCHED_FIFO {a.rt or 'off'}, pinning {a.pin}; ssdcam {ssdcam} (git {rev or '?'})")

    # times[(engine, model, threads)] = [per-round median ms]; ratio lists per round
    times, failures, peaks = {}, 0, []
    raw_path = os.path.join(a.out, "raw.csv")
    new = not os.path.exists(raw_path)
    fh = open(raw_path, "a", newline="")
    wr = csv.writer(fh)
    if new:
        wr.writerow(["stamp", "round", "engine", "model", "threads", "prec", "median_ms", "p10_ms", "p90_ms",
                     "min_ms", "runs", "loadavg"])
    for rd in range(a.rounds):
        pk = fma_peak(a, tmp)
        peaks.append(pk)
        log(f"[round {rd}] FMA peak GFLOP/s: " + ", ".join(f"{k[0]} x{k[1]}: {v:.0f}" for k, v in sorted(pk.items())))
        jobs = []
        for model in models:
            for t in threads:
                for e in PEERS:
                    cmd = peer_cmd(e, model, t, a)
                    if cmd and not (e == "dnnl-int8" and model not in ("mnv1_a1_224", "ssd_mnv1_300")):
                        jobs.append((e, model, t, cmd))
                what = "ssd" if model.startswith("ssd") else "mnv1"
                jobs.append(("ssdcam", model, t, ours_cmd(ssdcam, what, t, a, "fp32")))
                jobs.append(("ssdcam-int8", model, t, ours_cmd(ssdcam, what, t, a, "int8")))
        for t in threads:
            jobs.append(("ssdcam-u8", "coco_ssd_mnv1_300", t, ours_cmd(ssdcam, "coco", t, a)))
            jobs.append(("ssdcam-u8", "coco_detect_640x480_to_300", t, ours_cmd(ssdcam, "detect", t, a)))
        # rotate the order per round, keeping each (model, threads) group together
        k = rd % 7
        groups = {}
        for j in jobs:
            groups.setdefault((j[1], j[2]), []).append(j)
        order = []
        for g in groups.values():
            s = k % len(g)
            order += g[s:] + g[:s]
        ncpu = os.cpu_count() or 1
        for (engine, model, t, cmd) in order:
            cpus = None
            if a.pin == "on" and t < ncpu:
                first = (rd * t) % ncpu
                cpus = ",".join(str((first + i) % ncpu) for i in range(t))
            res = run_one(cmd, a, tmp, cpus)
            if res is None:
                failures += 1
                continue
            for r in res:
                m = model   # the job's name: ORT reports its QDQ model as "ssd_mnv1_300.qdq"
                key = (engine, m, t)
                times.setdefault(key, []).append(float(r["median_ms"]))
                wr.writerow([stamp, rd, engine, m, t, r.get("prec", ""), r["median_ms"], r.get("p10_ms", ""),
                             r.get("p90_ms", ""), r.get("min_ms", ""), r.get("runs", ""),
                             open("/proc/loadavg").read().split()[0]])
                log(f"  {engine:12s} {m:28s} t={t} {float(r['median_ms']):8.3f} ms "
                    f"(p10 {float(r.get('p10_ms', 0)):.3f}, p90 {float(r.get('p90_ms', 0)):.3f})")
            fh.flush()
    fh.close()

    def med(key):
        v = times.get(key)
        return st.median(v) if v else None

    def ratio(ours, peer, model, t):
        a_, b_ = times.get((ours, model, t)), times.get((peer, model, t))
        if not a_ or not b_ or len(a_) != len(b_):
            return None
        return st.median([x / y for x, y in zip(a_, b_)])

    lines = [f"# ssdcam vs peers, {stamp}", "",
             f"{a.rounds} interleaved rounds; each process {a.warmup} warm-up + {a.runs} timed inferences, "
             f"SCHED_FIFO {a.rt or 'off'} (chrt), pinning {a.pin} (1-thread processes of a round on one CPU, rotated per round); median over rounds of each process's median; ratios per round, "
             f"then their median. ssdcam {ssdcam}, git {rev or '?'}; `{' '.join(ours_cmd('ssdcam', 'ssd', 1, a, 'fp32'))}` "
             f"etc.; peers from {SHARED_BENCH} built in {BENCH_DIR}.", ""]
    if peaks and peaks[0]:
        p512 = max(p.get(("avx512", 1), 0) for p in peaks)
        lines.append(f"FMA peak (max over rounds): AVX-512 1 core {p512:.0f} GFLOP/s; "
                     f"2 cores {max(p.get(('avx512', 2), 0) for p in peaks):.0f}.")
        lines.append("")
    engines = list(PEERS) + list(OURS)
    labels = {**{e: PEERS[e][1] for e in PEERS}, **OURS}
    lines.append("| network | threads | " + " | ".join(labels[e] for e in engines) + " |")
    lines.append("|---|---:|" + "---:|" * len(engines))
    for model in models:
        for t in threads:
            cells = []
            for e in engines:
                v = med((e, model, t))
                cells.append(f"{v:.2f}" if v is not None else "-")
            lines.append(f"| {model} | {t} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| ssdcam only (uint8 COCO model) | threads | median ms |")
    lines.append("|---|---:|---:|")
    for m in ("coco_ssd_mnv1_300", "coco_detect_640x480_to_300"):
        for t in threads:
            v = med(("ssdcam-u8", m, t))
            lines.append(f"| {m} | {t} | {v:.2f} |" if v is not None else f"| {m} | {t} | - |")
    lines.append("")
    lines.append("Ratios ours / peer (same round), informational:")
    lines.append("")
    lines.append("| network | threads | fp32 / ORT | fp32 / oneDNN | fp32 / XNNPACK | int8 / ORT int8 | int8 / oneDNN int8 |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for model in models:
        for t in threads:
            rs = [ratio("ssdcam", "ort", model, t), ratio("ssdcam", "dnnl", model, t), ratio("ssdcam", "xnnpack", model, t),
                  ratio("ssdcam-int8", "ort-int8", model, t), ratio("ssdcam-int8", "dnnl-int8", model, t)]
            lines.append(f"| {model} | {t} | " + " | ".join(f"{r:.2f}" if r is not None else "-" for r in rs) + " |")
    lines.append("")
    lines.append("Targets (issue #4):")
    lines.append("")
    lines.append("| target | measured | limit | result |")
    lines.append("|---|---:|---:|---|")
    for (what, model, t, ours, peer, limit) in TARGETS:
        if peer:
            r = ratio(ours, peer, model, t)
            mo, mp = med((ours, model, t)), med((peer, model, t))
            got = f"{r:.2f}x ({mo:.2f} / {mp:.2f} ms)" if r is not None else "-"
            ok = r is not None and r <= limit
            lim = f"<= {limit:.1f}x"
        else:
            v = med((ours, model, t))
            got = f"{v:.2f} ms" if v is not None else "-"
            ok = v is not None and v <= limit
            lim = f"<= {limit:.1f} ms"
        lines.append(f"| {what} | {got} | {lim} | {'met' if ok else 'MISSED'} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text, flush=True)
    with open(os.path.join(a.out, f"peers_{stamp.replace(':', '')}.md"), "w") as f:
        f.write(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
