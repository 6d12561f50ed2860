#!/usr/bin/env python3
"""CPU time of `flamekit callgraph` against gprof2dot on the same inputs.

Inputs (recorded by the scripts beside this one, kept in benchmarks/data/):
  gprof_10000_b.txt     gen_gprof.py: gprof -b of a 10,000-function program
  callgraph-perf.txt    record_callgraph_perf.sh: ~42 MB of real `perf script`

gprof2dot (PyPI 2025.4.14) is installed into benchmarks/data/venv-gprof2dot
on first use.  Each command runs in a child process; the CPU time is the
child's user+sys (the machine is shared, so wall time would mislead).

usage: python3 benchmarks/bench_callgraph.py [--repeat N] [--skip-gprof2dot] [--only gprof|perf]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
VENV = os.path.join(DATA, "venv-gprof2dot")
GPROF = os.path.join(DATA, "gprof_10000_b.txt")
PERF = os.path.join(DATA, "callgraph-perf.txt")


def ensure_inputs() -> None:
    if not os.path.exists(GPROF):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_gprof.py"), "10000", "42"], check=True)
    if not os.path.exists(PERF):
        subprocess.run([os.path.join(HERE, "record_callgraph_perf.sh")], check=True)


def gprof2dot() -> str:
    exe = os.path.join(VENV, "bin", "gprof2dot")
    if not os.path.exists(exe):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", "gprof2dot==2025.4.14"], check=True)
    return exe


def cpu_of(cmd: list[str]) -> float:
    """user+sys CPU seconds of running ``cmd`` to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(cmd: list[str], repeat: int) -> float:
    return min(cpu_of(cmd) for _ in range(repeat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-gprof2dot", action="store_true")
    ap.add_argument("--only", choices=["gprof", "perf"], help="Run one of the two cases.")
    args = ap.parse_args()
    ensure_inputs()
    out = os.path.join(tempfile.mkdtemp(), "out.dot")
    fk = [sys.executable, "-m", "flamekit", "callgraph", "-q"]
    cases = [("gprof", "gprof, 10,000 functions", GPROF, "prof"), ("perf", "perf script", PERF, "perf")]
    startup = best([sys.executable, "-m", "flamekit", "--version"], args.repeat)
    print(f"flamekit start-up alone (imports every collapser): {startup:.2f} CPU-s, included below")
    print(f"{'input':28} {'MB':>6} {'flamekit CPU-s':>15} {'MB/s':>7} {'gprof2dot CPU-s':>16} {'speed-up':>9}")
    for key, label, path, g2d_fmt in cases:
        if args.only and args.only != key:
            continue
        mb = os.path.getsize(path) / 1e6
        ours = best(fk + [path, "-o", out], args.repeat)
        theirs = None
        if not args.skip_gprof2dot:
            theirs = best([gprof2dot(), "-f", g2d_fmt, path, "-o", out], args.repeat)
        ratio = f"{theirs / ours:8.1f}x" if theirs else "        -"
        theirs_s = f"{theirs:16.2f}" if theirs else f"{'-':>16}"
        print(f"{label:28} {mb:6.1f} {ours:15.2f} {mb / ours:7.1f} {theirs_s} {ratio}")


if __name__ == "__main__":
    main()
