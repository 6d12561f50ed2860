#!/usr/bin/env python3
"""CPU time of ``flamekit diff`` on two large folded captures.

Builds BEFORE from real stacks (the corpus' collapse of FlameGraph's
example-perf-stacks, or ``--seed FILE``), varied at the leaf end until it has
``--stacks`` unique stacks, some with hex addresses; AFTER is BEFORE with a
tenth of its stacks 3x heavier, some gone and some new.  Both land in
benchmarks/data/ (gitignored).  Each phase is timed in CPU seconds
(``os.times``, children included), since the machine may be shared.

    python3 benchmarks/bench_diff.py --stacks 300000
    python3 benchmarks/bench_diff.py --inputs before.perf.txt after.perf.txt
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
from pathlib import Path

from flamekit import folded
from flamekit.collapse import load_profile
from flamekit.diff import check_gate, diff, function_deltas, GateRule
from flamekit.render import diffreport

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
SEED = ROOT.parent / "shared" / "corpus" / "perf" / "large" / "example-perf-stacks-collapsed-default.txt.gz"


def seeds(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:  # type: ignore[operator]
        return [line.rpartition(b" ")[0] for line in f if line.strip()]


def generate(seed: Path, n: int, rng: random.Random) -> tuple[Path, Path]:
    base = seeds(seed) if seed.exists() else [b"main;run;work%d" % i for i in range(1000)]
    before, after = DATA / f"diff_before_{n}.folded", DATA / f"diff_after_{n}.folded"
    if before.exists() and after.exists():
        return before, after
    DATA.mkdir(parents=True, exist_ok=True)
    with open(before, "wb") as fb, open(after, "wb") as fa:
        for i in range(n):
            stack = base[i % len(base)]
            leaf = b"fn_%d" % rng.randrange(5000) if i % 7 else b"[lib.so 0x%x]" % rng.randrange(1 << 40)
            stack = b"%s;v%d;%s" % (stack, i // len(base), leaf)
            w = rng.randrange(1, 200)
            r = rng.random()
            if r < 0.05:
                fb.write(b"%s %d\n" % (stack, w))  # gone in AFTER
            elif r < 0.10:
                fa.write(b"%s %d\n" % (stack, w))  # new in AFTER
            else:
                fb.write(b"%s %d\n" % (stack, w))
                fa.write(b"%s %d\n" % (stack, w * 3 if r < 0.2 else w))
    return before, after


def cpu() -> float:
    """CPU seconds of this process and its finished children (collapsers may fork a second process)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(label: str, fn, mb: float):  # type: ignore[no-untyped-def]
    t0 = cpu()
    result = fn()
    dt = cpu() - t0
    rate = f"  {mb / dt:8.1f} MB/s" if mb and dt > 0 else ""
    print(f"{label:<34} {dt:8.2f} CPU-s{rate}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stacks", type=int, default=300_000)
    ap.add_argument("--seed", type=Path, default=SEED)
    ap.add_argument("--inputs", nargs=2, type=Path, metavar=("BEFORE", "AFTER"),
                    help="time these captures (any format, auto-detected) instead of generated ones")
    args = ap.parse_args()
    if args.inputs:
        before_path, after_path = args.inputs
        fmt = "auto"
    else:
        before_path, after_path = generate(args.seed, args.stacks, random.Random(42))
        fmt = "folded"
    mb_b, mb_a = before_path.stat().st_size / 1e6, after_path.stat().st_size / 1e6
    print(f"BEFORE {before_path.name}: {mb_b:.1f} MB; AFTER {after_path.name}: {mb_a:.1f} MB")
    t_all = cpu()
    b = timed(f"read BEFORE ({fmt})", lambda: load_profile(str(before_path), fmt), mb_b)
    a = timed(f"read AFTER ({fmt})", lambda: load_profile(str(after_path), fmt), mb_a)
    print(f"  {len(b.stacks):,} + {len(a.stacks):,} unique stacks")
    d = timed("align + strip-hex + normalize", lambda: diff(b, a, normalize=True, strip_hex=True), 0)
    deltas = timed("per-function deltas", lambda: function_deltas(d), 0)
    timed("gate", lambda: check_gate(deltas, [GateRule(1.0)]), 0)
    timed("report", lambda: diffreport.report(d, deltas), 0)
    timed("json (all functions)", lambda: diffreport.to_json(d, deltas), 0)
    out = timed("folded two-column output", lambda: folded.dumps_diff(d.materialized()), 0)
    total = cpu() - t_all
    print(f"{'total (both inputs)':<34} {total:8.2f} CPU-s  {(mb_b + mb_a) / total:8.1f} MB/s;"
          f" {len(out) / 1e6:.1f} MB of folded diff written")


if __name__ == "__main__":
    main()
