#!/usr/bin/env python3
"""Extraction speed: tidings-extract vs trafilatura on the same pages, one thread each, same run.

Usage: python3 bench/extraction_speed.py [DIR] [--python /tmp/trafvenv/bin/python] [--rounds 3]

Times every page (parsing included) in `rounds` alternating rounds and keeps each page's median; prints median and p99
ms per page for each tool, the pages/s ratio (sum of per-page times), and each process's peak memory.
trafilatura comes from a venv (`python3 -m venv /tmp/trafvenv && /tmp/trafvenv/bin/pip install
trafilatura lxml_html_clean`); ours is the `speed` example of crates/extract, built in release mode.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_DIR = os.path.join(ROOT, "..", "shared", "bench", "extraction", "scrapinghub", "html")

TRAF = r'''
import gzip, json, os, sys, time, statistics
import trafilatura
d, rounds = sys.argv[1], int(sys.argv[2])
pages = []
for name in sorted(os.listdir(d)):
    if name.endswith((".html", ".html.gz")):
        raw = open(os.path.join(d, name), "rb").read()
        if name.endswith(".gz"):
            raw = gzip.decompress(raw)
        pages.append((name.split(".")[0], raw))
times = {pid: [] for pid, _ in pages}
for _ in range(rounds):
    for pid, raw in pages:
        t = time.perf_counter()
        trafilatura.extract(raw)
        times[pid].append((time.perf_counter() - t) * 1000)
print(json.dumps({k: statistics.median(v) for k, v in times.items()}))
'''


def timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time -v when present; returns (stdout, peak RSS in MiB or None)."""
    use_time = os.path.exists("/usr/bin/time")
    full = (["/usr/bin/time", "-v"] if use_time else []) + cmd
    p = subprocess.run(full, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return p.stdout, (int(m.group(1)) / 1024 if m else None)


def stats(ms):
    v = sorted(ms.values())
    med = v[len(v) // 2]
    p99 = v[min(len(v) - 1, int(round(0.99 * (len(v) - 1))))]
    return med, p99, sum(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=DEFAULT_DIR)
    ap.add_argument("--python", default="/tmp/trafvenv/bin/python")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "tidings-extract", "--example", "speed"],
                   cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "examples", "speed")
    # Rounds alternate between the tools so that load from anything else on the machine falls on both
    # alike; each page keeps its median over the rounds.
    ours_runs, traf_runs, ours_mem, traf_mem = [], [], 0, 0
    for _ in range(a.rounds):
        out, mem = timed([exe, a.dir, "1"])
        ours_runs.append(json.loads(out))
        ours_mem = max(ours_mem, mem or 0)
        out, mem = timed([a.python, "-c", TRAF, a.dir, "1"])
        traf_runs.append(json.loads(out))
        traf_mem = max(traf_mem, mem or 0)
    median = lambda xs: sorted(xs)[len(xs) // 2]
    ours = {k: median([r[k] for r in ours_runs]) for k in ours_runs[0]}
    traf = {k: median([r[k] for r in traf_runs]) for k in traf_runs[0]}
    common = sorted(set(ours) & set(traf))
    ours = {k: ours[k] for k in common}
    traf = {k: traf[k] for k in common}
    om, op, osum = stats(ours)
    tm, tp, tsum = stats(traf)
    mem = lambda m: f"{m:.0f} MiB" if m else "n/a"
    print(f"pages: {len(common)}, rounds: {a.rounds}, one thread each")
    print(f"tidings-extract  median {om:7.2f} ms  p99 {op:7.2f} ms  {1000 * len(common) / osum:8.1f} pages/s  peak {mem(ours_mem)}")
    print(f"trafilatura      median {tm:7.2f} ms  p99 {tp:7.2f} ms  {1000 * len(common) / tsum:8.1f} pages/s  peak {mem(traf_mem)}")
    print(f"speed ratio (pages/s, ours / trafilatura): {tsum / osum:.1f}x   median ratio: {tm / om:.1f}x")


if __name__ == "__main__":
    main()
