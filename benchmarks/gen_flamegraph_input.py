"""Generate large folded-stack inputs for the flame graph benchmark from real stacks.

Seeds are real folded stacks (the corpus' collapse of FlameGraph's
example-perf-stacks, or any folded file given with --seed, e.g. a capture you
recorded with perf).  Variants keep each seed's real prefix, cut it at a
random depth and give the leaf end varied names, so the output has the shape
of a real profile (deep shared prefixes, a long tail of rare stacks) at any size.

    python3 benchmarks/gen_flamegraph_input.py --stacks 293000 --mb 50 -o benchmarks/data/flamegraph-50mb.folded
"""

from __future__ import annotations

import argparse
import gzip
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = ROOT.parent / "shared" / "corpus" / "perf" / "large" / "example-perf-stacks-collapsed-default.txt.gz"


def read_seed(path: Path) -> list[list[bytes]]:
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rb") as f:  # type: ignore[operator]
        for line in f:
            stack, _, count = line.rstrip(b"\n").rpartition(b" ")
            if stack and count.isdigit():
                out.append(stack.split(b";"))
    if not out:
        raise SystemExit(f"no folded stacks in {path}")
    return out


def generate(seeds: list[list[bytes]], stacks: int, target_bytes: int, rng: random.Random) -> list[bytes]:
    """``stacks`` distinct lines of about ``target_bytes`` in total."""
    per_line = target_bytes / stacks
    seen: set[bytes] = set()
    lines: list[bytes] = []
    while len(lines) < stacks:
        seed = rng.choice(seeds)
        # cut so the average line length lands near the target
        keep = []
        size = 0
        limit = rng.uniform(0.6, 1.9) * per_line - 10
        for frame in seed:
            if size + len(frame) + 1 > limit and keep:
                break
            keep.append(frame)
            size += len(frame) + 1
        tail = [b"work_%d" % rng.randrange(40), b"leaf_%d" % int(rng.paretovariate(0.7))]
        stack = b";".join(keep + tail[: rng.randrange(1, 3)])
        if stack in seen:
            continue
        seen.add(stack)
        # heavy-tailed weights like real sampling
        lines.append(stack + b" %d\n" % max(1, int(rng.paretovariate(1.2))))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="real folded stacks to vary (.gz ok)")
    ap.add_argument("--stacks", type=int, required=True)
    ap.add_argument("--mb", type=float, required=True)
    ap.add_argument("--random-seed", type=int, default=1)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args()
    lines = generate(read_seed(a.seed), a.stacks, int(a.mb * 1e6), random.Random(a.random_seed))
    rng = random.Random(a.random_seed + 1)
    rng.shuffle(lines)
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_bytes(b"".join(lines))
    print(f"{a.output}: {len(lines)} stacks, {a.output.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
