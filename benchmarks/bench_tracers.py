#!/usr/bin/env python3
"""CPU-time throughput of the BCC, bpftrace and DTrace collapsers (and perf, for scale).

Builds, under benchmarks/data/ (gitignored), inputs of about ``--mb`` MB each
by repeating real records: the captures in tests/golden/{bcc,bpftrace} and,
when present, the shared corpus (../shared/corpus/formats/{bcc,bpftrace,dtrace}
and perf/large for the perf reference):

* ``bcc-profile``: BCC profile default reports (records of every corpus and
  golden profile capture, counts re-drawn);
* ``bcc-stackcount``: stackcount -P reports;
* ``bpftrace``: one ``@[kstack, ustack, comm, pid]`` printout (entries in
  ascending value order, as bpftrace prints; pids keep most keys distinct);
* ``bpftrace-prints``: the same keys printed again and again (``print(@)``
  every interval; the last printout wins);
* ``bpftrace-json``: such maps as ``-f json`` lines of ~1 MB (4,000 distinct keys each);
* ``dtrace``: FlameGraph's DTrace sample's records;
* ``perf``: FlameGraph's example perf script (the reference collapser, one process).

Each is collapsed in-process, timed with ``time.process_time`` (CPU seconds:
the machine is shared); MB/s = input MB / CPU s.

    python3 benchmarks/bench_tracers.py --mb 100
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import time
from collections.abc import Callable
from pathlib import Path

from flamekit.collapse import CollapseOptions, get

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
CORPUS = ROOT.parent / "shared" / "corpus"
GOLDEN = ROOT / "tests" / "golden"


def _files(*globs: tuple[Path, str]) -> list[Path]:
    out: list[Path] = []
    for base, pattern in globs:
        if base.is_dir():
            out.extend(sorted(base.glob(pattern)))
    return out


def _blocks(paths: list[Path], count_rx: bytes) -> list[bytes]:
    """Records (without their count line) of multi-line reports: blocks whose last line is a count."""
    out = []
    for p in paths:
        for block in p.read_bytes().split(b"\n\n"):
            body, _, last = block.strip(b"\n").rpartition(b"\n")
            if body and re.fullmatch(count_rx, last) and body.startswith(b" "):
                out.append(body)
    return out


def _repeat(path: Path, mb: int, header: bytes, make: Callable[[random.Random], bytes]) -> Path:
    rng = random.Random(42)
    target = mb << 20
    with path.open("wb") as f:
        f.write(header)
        size = len(header)
        while size < target:
            chunk = make(rng)
            f.write(chunk)
            size += len(chunk)
    return path


def gen_bcc_profile(mb: int) -> Path:
    records = _blocks(_files((CORPUS / "formats" / "bcc", "b0*_profile_default*.txt"),
                             (CORPUS / "formats" / "bcc", "b0[78]*.txt"), (GOLDEN / "bcc", "profile_*default.txt")),
                      rb" {8}\d+")
    head = b"Sampling at 49 Hertz of all threads by user + kernel stack... Hit Ctrl-C to end.\n\n"
    return _repeat(DATA / "bcc-profile.txt", mb, head,
                   lambda r: b"".join(b"%s\n        %d\n\n" % (rec, r.randint(1, 50)) for rec in records))


def gen_bcc_stackcount(mb: int) -> Path:
    records = _blocks(_files((CORPUS / "formats" / "bcc", "b1[23]*.txt"), (GOLDEN / "bcc", "stackcount*.txt")),
                      rb" {4}\d+")
    head = b'Tracing 1 functions for "t:sched:sched_switch"... Hit Ctrl-C to end.\n\n'
    return _repeat(DATA / "bcc-stackcount.txt", mb, head,
                   lambda r: b"".join(b"%s\n    %d\n\n" % (rec, r.randint(1, 50)) for rec in records))


def _bpftrace_keys() -> list[bytes]:
    keys = []
    for p in _files((CORPUS / "formats" / "bpftrace", "bt0[1-4]*.txt"), (GOLDEN / "bpftrace", "kstack*.txt")):
        for entry in p.read_bytes().split(b"\n@")[1:]:
            if entry.startswith(b"["):
                keys.append(entry[1:entry.rfind(b"]: ")])
    return keys


def gen_bpftrace(mb: int) -> Path:
    keys = _bpftrace_keys()
    state = {"value": 1}

    def make(r: random.Random) -> bytes:
        out = []
        for k in keys:
            state["value"] += r.randint(0, 1)  # ascending, as bpftrace prints a map
            # a pid field keeps keys distinct, as in one printout of a system-wide map
            out.append(b"@[%s, %d]: %d\n" % (k, state["value"] % 50000, state["value"]))
        return b"".join(out)

    return _repeat(DATA / "bpftrace.txt", mb, b"Attaching 2 probes...\n\n\n", make)


def gen_bpftrace_prints(mb: int) -> Path:
    keys = _bpftrace_keys()

    def make(r: random.Random) -> bytes:
        # one print(@) of the whole map: keys repeat from one printout to the next
        values = sorted(r.randint(1, 1000) for _ in keys)
        return b"".join(b"@[%s]: %d\n" % (k, v) for k, v in zip(keys, values))

    return _repeat(DATA / "bpftrace-prints.txt", mb, b"Attaching 2 probes...\n\n\n", make)


def gen_bpftrace_json(mb: int) -> Path:
    keys = [k.decode("utf-8", "surrogateescape").replace(", ", ",") for k in _bpftrace_keys()]
    state = {"n": 0}

    def make(r: random.Random) -> bytes:
        entries = {}
        while len(entries) < 4000:  # distinct pids keep keys distinct, as a system-wide capture has
            state["n"] += 1
            entries[f"{keys[state['n'] % len(keys)]},{state['n'] % 50000}"] = r.randint(1, 9)
        line = json.dumps({"type": "map", "data": {"@": entries}})
        return line.encode("utf-8", "surrogateescape") + b"\n"

    return _repeat(DATA / "bpftrace.json", mb, b'{"type": "attached_probes", "data": {"probes": 2}}\n', make)


def gen_dtrace(mb: int) -> Path:
    src = CORPUS / "formats" / "dtrace" / "example-dtrace-stacks.txt"
    lines = src.read_bytes().split(b"\n", 3)
    header, body = b"\n".join(lines[:3]) + b"\n", lines[3]
    return _repeat(DATA / "dtrace.txt", mb, header, lambda r: body if body.endswith(b"\n") else body + b"\n")


def gen_perf(mb: int) -> Path:
    body = gzip.decompress((CORPUS / "perf" / "large" / "example-perf-stacks.txt.gz").read_bytes())
    return _repeat(DATA / "perf.txt", mb, b"", lambda r: body if body.endswith(b"\n\n") else body + b"\n\n")


GENERATORS: dict[str, tuple[str, Callable[[int], Path], dict]] = {
    "bcc-profile": ("bcc", gen_bcc_profile, {}),
    "bcc-stackcount": ("bcc", gen_bcc_stackcount, {}),
    "bpftrace": ("bpftrace", gen_bpftrace, {}),
    "bpftrace-prints": ("bpftrace", gen_bpftrace_prints, {}),
    "bpftrace-json": ("bpftrace", gen_bpftrace_json, {}),
    "dtrace": ("dtrace", gen_dtrace, {}),
    "perf": ("perf", gen_perf, {"jobs": 1}),
}


def bench(name: str, mb: int, repeat: int) -> tuple[float, float, int, int]:
    fmt, gen, params = GENERATORS[name]
    path = gen(mb)
    size = path.stat().st_size
    best = float("inf")
    total = stacks = 0
    for _ in range(repeat):
        opts = CollapseOptions(source=str(path), params=dict(params))
        with path.open("rb", buffering=1 << 20) as f:
            t0 = time.process_time()
            prof = get(fmt).collapse(f, opts)  # type: ignore[arg-type]
            best = min(best, time.process_time() - t0)
        total, stacks = prof.total, len(prof.stacks)
    return size / 1e6, best, total, stacks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=100, help="size of each generated input (MB)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per input; the fastest counts")
    ap.add_argument("only", nargs="*", choices=[[], *GENERATORS], help="inputs to run (default: all)")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    if not CORPUS.is_dir():
        raise SystemExit("needs ../shared/corpus (the real records repeated here)")
    print(f"{'input':16} {'MB':>8} {'CPU s':>8} {'MB/s':>8} {'stacks':>8} {'weight':>14}")
    for name in args.only or GENERATORS:
        mb, cpu, total, stacks = bench(name, args.mb, args.repeat)
        print(f"{name:16} {mb:8.1f} {cpu:8.2f} {mb / cpu:8.1f} {stacks:8d} {total:14d}")


if __name__ == "__main__":
    main()
