"""CPU cost of converting a large folded file to pprof and speedscope, and reading both back.

The input is generated from real stacks (the corpus' collapse of FlameGraph's
example-perf-stacks, or --seed FILE): each seed stack is repeated under many
``java-PID/TID`` roots with varied leaves, the shape of a system-wide
``--tid`` capture, until the file reaches --mb.  Written to
benchmarks/data/ (gitignored) once and reused.  Times are CPU seconds
(``time.process_time``), since the machine is shared.

    python3 benchmarks/bench_interop.py --mb 50
    python3 benchmarks/bench_interop.py --input some.folded
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flamekit import folded
from flamekit.collapse.pprof import decode as decode_pprof
from flamekit.collapse.speedscope import parse as parse_speedscope
from flamekit.render import pprof, speedscope

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
DEFAULT_SEED = ROOT.parent / "shared" / "corpus" / "perf" / "large" / "example-perf-stacks-collapsed-default.txt.gz"


def generate(seed: Path, mb: float, out: Path) -> None:
    """Write about ``mb`` MB of folded stacks grown from the real stacks in ``seed``."""
    opener: Callable[..., Any] = gzip.open if seed.suffix == ".gz" else open
    with opener(seed, "rb") as f:
        seeds = [line.rpartition(b" ")[0] for line in f if line.strip()]
    rng = random.Random(42)
    target = int(mb * 1e6)
    size = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        while size < target:
            tid = rng.randrange(1000, 1400)
            stack = rng.choice(seeds)
            line = b"java-999/%d;%s;leaf_%d %d\n" % (tid, stack, rng.randrange(50), rng.randrange(1, 1000))
            f.write(line)
            size += len(line)


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.process_time()
    result = fn()
    return time.process_time() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=50.0, help="input size in MB (default 50)")
    ap.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="folded file whose stacks seed the input")
    ap.add_argument("--input", type=Path, default=None, help="time this folded file instead of generating one")
    args = ap.parse_args()
    path = args.input or DATA / f"interop_{args.mb:g}mb.folded"
    if not path.exists():
        generate(args.seed, args.mb, path)
    mb = path.stat().st_size / 1e6
    t_read, profile = cpu(lambda: folded.read_profile(open(path, "rb"), str(path)))
    print(f"input {path.name}: {mb:.1f} MB, {len(profile):,} unique stacks, "
          f"{len(profile.frame_names()):,} frames, max depth {profile.max_depth()}")
    print(f"  read folded          {t_read:6.2f} s CPU  {mb / t_read:6.1f} MB/s")
    t_enc, raw = cpu(lambda: pprof.encode(profile))
    t_gz, data = cpu(lambda: gzip.compress(raw, compresslevel=pprof.GZIP_LEVEL, mtime=0))
    print(f"  -> pprof encode      {t_enc:6.2f} s CPU  {mb / t_enc:6.1f} MB/s  ({len(raw) / 1e6:.1f} MB raw)")
    print(f"  -> pprof gzip        {t_gz:6.2f} s CPU  {mb / t_gz:6.1f} MB/s  ({len(data) / 1e6:.1f} MB .pb.gz)")
    t_ss, ss = cpu(lambda: speedscope.dumps(profile, name=path.name))
    print(f"  -> speedscope        {t_ss:6.2f} s CPU  {mb / t_ss:6.1f} MB/s  ({len(ss) / 1e6:.1f} MB json)")
    t_dec, back = cpu(lambda: decode_pprof(gzip.decompress(data), "bench"))
    assert back.stacks == profile.stacks
    print(f"  <- pprof read        {t_dec:6.2f} s CPU  {mb / t_dec:6.1f} MB/s (of folded input)")
    import json

    t_ssr, back2 = cpu(lambda: parse_speedscope(json.load(io.BytesIO(ss))))
    assert back2.stacks == profile.stacks
    print(f"  <- speedscope read   {t_ssr:6.2f} s CPU  {mb / t_ssr:6.1f} MB/s (of folded input)")


if __name__ == "__main__":
    main()
