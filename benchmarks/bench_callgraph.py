#!/usr/bin/env python3
"""CPU time of `flamekit callgraph` against gprof2dot on the same inputs (issue #6).

Inputs (recorded by the scripts beside this one, kept in benchmarks/data/):
  gprof_10000_b.txt     gen_gprof.py: gprof -b of a 10,000-function program
  callgraph-perf.txt    record_callgraph_perf.sh: ~42 MB of real `perf script`

gprof2dot (PyPI 2025.4.14) is installed into benchmarks/data/venv-gprof2dot
on first use.  Each command runs in a child process, start-up included, as a
user runs it (cached bytecode, see cli_env.py); the tools are interleaved, so
both figures of a row come from the same minutes.  CPU seconds are the
child's user+sys (the stable figure on a shared machine; min and median of
--repeat runs), wall seconds the median, MB/s the input size over min CPU.

usage: python3 benchmarks/bench_callgraph.py [--repeat N] [--skip-gprof2dot] [--only gprof|perf]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import cli_env

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


def run(cmd: list[str]) -> tuple[float, float]:
    """CPU seconds (user+sys) and wall seconds of running ``cmd`` to completion."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return usage.ru_utime + usage.ru_stime, wall


class Timing:
    """The runs of one command."""

    def __init__(self) -> None:
        self.cpu: list[float] = []
        self.wall: list[float] = []

    def add(self, cpu_wall: tuple[float, float]) -> None:
        self.cpu.append(cpu_wall[0])
        self.wall.append(cpu_wall[1])

    def __str__(self) -> str:
        return (f"{min(self.cpu):6.3f} {statistics.median(self.cpu):6.3f} {statistics.median(self.wall):6.2f}")


def timed(cmds: dict[str, list[str]], repeat: int) -> dict[str, Timing]:
    """Each command once untimed (warm caches), then ``repeat`` rounds, interleaved."""
    for cmd in cmds.values():
        run(cmd)
    out = {key: Timing() for key in cmds}
    for _ in range(repeat):
        for key, cmd in cmds.items():
            out[key].add(run(cmd))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-gprof2dot", action="store_true")
    ap.add_argument("--only", choices=["gprof", "perf"], help="Run one of the two cases.")
    args = ap.parse_args()
    where = cli_env.prepare()
    ensure_inputs()
    out = os.path.join(tempfile.mkdtemp(), "out.dot")
    fk = [sys.executable, "-m", "flamekit", "callgraph", "-q"]
    print(f"flamekit from {where}; CPU-s min / median, wall-s median, {args.repeat} runs each")
    base = timed({"python": [sys.executable, "-c", "pass"], "version": [sys.executable, "-m", "flamekit", "--version"]},
                 args.repeat)
    print(f"start-up: bare python {base['python']}   flamekit --version {base['version']}  (included below)")
    print(f"{'input':26} {'MB':>5} | {'flamekit cpu min/med, wall':>26} {'MB/s':>6} | "
          f"{'gprof2dot cpu min/med, wall':>27} | {'speed-up':>8}")
    cases = [("gprof", "gprof, 10,000 functions", GPROF, "prof"), ("perf", "perf script", PERF, "perf")]
    for key, label, path, g2d_fmt in cases:
        if args.only and args.only != key:
            continue
        mb = os.path.getsize(path) / 1e6
        cmds = {"flamekit": fk + [path, "-o", out]}
        if not args.skip_gprof2dot:
            cmds["gprof2dot"] = [gprof2dot(), "-f", g2d_fmt, path, "-o", out]
        t = timed(cmds, args.repeat)
        ours = t["flamekit"]
        theirs = t.get("gprof2dot")
        ratio = f"{min(theirs.cpu) / min(ours.cpu):7.1f}x" if theirs else f"{'-':>8}"
        theirs_s = f"{theirs!s:>27}" if theirs else f"{'-':>27}"
        print(f"{label:26} {mb:5.1f} | {ours!s:>26} {mb / min(ours.cpu):6.1f} | {theirs_s} | {ratio}")


if __name__ == "__main__":
    main()
