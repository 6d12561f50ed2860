#!/usr/bin/env python3
"""Throughput of the stack-block collapsers (BCC, bpftrace, DTrace, ftrace stacks)
against perf's collapser, measured in the same run.

Inputs of about ``--mb`` MB under benchmarks/data/ (gitignored), made by
repeating real records: the captures in tests/golden/{bcc,bpftrace} and, when
present, the shared corpus (../shared/corpus/formats/{bcc,bpftrace,dtrace,ftrace}
and perf/large for the perf reference).  An input that exists is reused, never
rewritten (others may be reading it); ``--mb`` other than 100 gives new names.

* ``bcc-profile``: BCC profile default reports (records of every corpus and
  golden profile capture, counts re-drawn);
* ``bcc-stackcount``: stackcount -P reports;
* ``bpftrace``: one ``@[kstack, ustack, comm, pid]`` printout (entries in
  ascending value order, as bpftrace prints; pids keep most keys distinct:
  the worst case, ~285k distinct stacks);
* ``bpftrace-prints``: the same keys printed again and again (``print(@)``
  every interval; the last printout wins);
* ``bpftrace-json``: such maps as ``-f json`` lines of ~1 MB (4,000 distinct keys each);
* ``bpftrace-json-prints``: the keys of ``bpftrace-prints`` as ``-f json`` printouts, one per line;
* ``dtrace``: FlameGraph's DTrace sample's records;
* ``ftrace-stack``: live tracefs ``<stack trace>`` records (bench_ftrace.py's ``stack`` input);
* ``perf``: FlameGraph's example perf script, folded by the perf collapser (the
  reference: issue #5 asks each collapser for at least half its MB/s).

Each run is a fresh interpreter that imports flamekit, then times one collapse
(``--runs`` times, interleaved across inputs): CPU seconds are user+sys of the
process and its children (``resource.getrusage``; the machine may be shared, so
CPU is the stable figure), wall seconds too.  Printed per input: min and median
CPU s and wall s, MB per CPU second and per wall second (from the minima), and
the ratio of its MB/CPU-s to perf's.  perf runs with ``--perf-jobs`` processes
(default 1: its most CPU-efficient fold, the strictest reference).  Issue #5
asks for a ratio of at least 0.5; the verdict also says whether an input keeps
a margin (0.6).

``--baseline DIR`` also runs each input with the flamekit of another checkout
(e.g. ``/work/main``) in the same rounds, and prints its rows (and its ratio to
the same perf figure) under this tree's: a before/after under the same load.

    python3 benchmarks/bench_tracers.py [--runs 3] [--mb 100] [--baseline DIR] [only ...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

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


def _name(stem: str, mb: int, ext: str = ".txt") -> Path:
    """The input's path: the historical name at 100 MB, a new one for other sizes."""
    return DATA / (f"{stem}{ext}" if mb == 100 else f"{stem}-{mb}mb{ext}")


def _repeat(path: Path, mb: int, header: bytes, make: Callable[[random.Random], bytes]) -> Path:
    if path.exists():
        return path  # shared input: reuse, never rewrite
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
    return _repeat(_name("bcc-profile", mb, ".txt"), mb, head,
                   lambda r: b"".join(b"%s\n        %d\n\n" % (rec, r.randint(1, 50)) for rec in records))


def gen_bcc_stackcount(mb: int) -> Path:
    records = _blocks(_files((CORPUS / "formats" / "bcc", "b1[23]*.txt"), (GOLDEN / "bcc", "stackcount*.txt")),
                      rb" {4}\d+")
    head = b'Tracing 1 functions for "t:sched:sched_switch"... Hit Ctrl-C to end.\n\n'
    return _repeat(_name("bcc-stackcount", mb, ".txt"), mb, head,
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

    return _repeat(_name("bpftrace", mb, ".txt"), mb, b"Attaching 2 probes...\n\n\n", make)


def gen_bpftrace_prints(mb: int) -> Path:
    keys = _bpftrace_keys()

    def make(r: random.Random) -> bytes:
        # one print(@) of the whole map: keys repeat from one printout to the next
        values = sorted(r.randint(1, 1000) for _ in keys)
        return b"".join(b"@[%s]: %d\n" % (k, v) for k, v in zip(keys, values))

    return _repeat(_name("bpftrace-prints", mb, ".txt"), mb, b"Attaching 2 probes...\n\n\n", make)


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

    return _repeat(_name("bpftrace", mb, ".json"), mb, b'{"type": "attached_probes", "data": {"probes": 2}}\n', make)


def gen_bpftrace_json_prints(mb: int) -> Path:
    keys = [k.decode("utf-8", "surrogateescape").replace(", ", ",") for k in _bpftrace_keys()]

    def make(r: random.Random) -> bytes:
        # one print(@) of the whole map per line: keys repeat from one printout to the next
        entries = {k: r.randint(1, 1000) for k in keys}
        return json.dumps({"type": "map", "data": {"@": entries}}).encode("utf-8", "surrogateescape") + b"\n"

    return _repeat(_name("bpftrace-prints", mb, ".json"), mb,
                   b'{"type": "attached_probes", "data": {"probes": 2}}\n', make)


def gen_dtrace(mb: int) -> Path:
    src = CORPUS / "formats" / "dtrace" / "example-dtrace-stacks.txt"
    lines = src.read_bytes().split(b"\n", 3)
    header, body = b"\n".join(lines[:3]) + b"\n", lines[3]
    return _repeat(_name("dtrace", mb, ".txt"), mb, header, lambda r: body if body.endswith(b"\n") else body + b"\n")


def gen_perf(mb: int) -> Path:
    body = gzip.decompress((CORPUS / "perf" / "large" / "example-perf-stacks.txt.gz").read_bytes())
    return _repeat(_name("perf", mb, ".txt"), mb, b"", lambda r: body if body.endswith(b"\n\n") else body + b"\n\n")


def gen_ftrace_stack(mb: int) -> Path:
    path = DATA / f"ftrace_stack_{mb}mb.txt"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_ftrace import generate  # the ftrace benchmark owns this input

        generate("stack", mb, random.Random(5))
    return path


GENERATORS: dict[str, tuple[str, Callable[[int], Path], dict]] = {
    "bcc-profile": ("bcc", gen_bcc_profile, {}),
    "bcc-stackcount": ("bcc", gen_bcc_stackcount, {}),
    "bpftrace": ("bpftrace", gen_bpftrace, {}),
    "bpftrace-prints": ("bpftrace", gen_bpftrace_prints, {}),
    "bpftrace-json": ("bpftrace", gen_bpftrace_json, {}),
    "bpftrace-json-prints": ("bpftrace", gen_bpftrace_json_prints, {}),
    "dtrace": ("dtrace", gen_dtrace, {}),
    "ftrace-stack": ("ftrace-stack", gen_ftrace_stack, {}),
    "perf": ("perf", gen_perf, {}),
}

#: run in a fresh interpreter: import, then time one collapse (argv: format, path, params as JSON)
CHILD = """
import json, resource, sys, time
from flamekit.collapse import CollapseOptions, get
fmt, path, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
with open(path, "rb") as f:
    c0, w0 = cpu(), time.perf_counter()
    prof = get(fmt).collapse(f, CollapseOptions(source=path, params=params))
    c1, w1 = cpu(), time.perf_counter()
print(json.dumps([c1 - c0, w1 - w0, len(prof.stacks), prof.total]))
"""


def run_once(fmt: str, path: Path, params: dict, tree: Path = ROOT) -> tuple[float, float, int, int]:
    """CPU s, wall s, distinct stacks and total weight of one collapse in a fresh interpreter
    that imports flamekit from ``tree`` (run from a scratch directory, so that the current
    directory cannot put another flamekit first on the path)."""
    env = dict(os.environ, PYTHONPATH=str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", CHILD, fmt, str(path), json.dumps(params)], env=env,
                         capture_output=True, check=True, cwd=tempfile.gettempdir()).stdout
    cpu, wall, stacks, total = json.loads(out)
    return cpu, wall, stacks, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=100, help="size of each generated input (MB)")
    ap.add_argument("--runs", type=int, default=3, help="runs per input, interleaved; min and median shown")
    ap.add_argument("--perf-jobs", type=int, default=1, choices=[1, 2], help="processes for the perf reference")
    ap.add_argument("--baseline", type=Path, metavar="DIR",
                    help="also run another checkout's flamekit (e.g. /work/main) in the same rounds")
    ap.add_argument("only", nargs="*", choices=[[], *GENERATORS], help="inputs to run (default: all; perf always)")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    if not CORPUS.is_dir():
        raise SystemExit("needs ../shared/corpus (the real records repeated here)")
    names = [n for n in GENERATORS if n != "perf" and (not args.only or n in args.only)] + ["perf"]
    inputs = {}
    for name in names:
        fmt, gen, params = GENERATORS[name]
        if name == "perf":
            params = {"jobs": args.perf_jobs}
        inputs[name] = (fmt, gen(args.mb), params)
    trees = [(ROOT, "")] + ([(args.baseline.resolve(), " (base)")] if args.baseline else [])
    rows = [(name, tree, tag) for name in names for tree, tag in trees if name != "perf" or tree == ROOT]
    cpus: dict[tuple, list[float]] = {r: [] for r in rows}
    walls: dict[tuple, list[float]] = {r: [] for r in rows}
    shape: dict[tuple, tuple[int, int]] = {}
    for _ in range(args.runs):
        for row in rows:  # interleaved: each input (and tree) sees the same machine load
            fmt, path, params = inputs[row[0]]
            cpu, wall, stacks, total = run_once(fmt, path, params, row[1])
            cpus[row].append(cpu)
            walls[row].append(wall)
            shape[row] = (stacks, total)
    perf_row = ("perf", ROOT, "")
    perf_mb = inputs["perf"][1].stat().st_size / 1e6
    perf_rate = perf_mb / min(cpus[perf_row])
    print(f"{'input':27} {'MB':>7} {'CPU s min':>9} {'med':>6} {'wall min':>8} {'med':>6} "
          f"{'MB/CPU-s':>8} {'MB/wall-s':>9} {'vs perf':>7} {'stacks':>7}")
    for row in rows:
        name = row[0]
        mb = inputs[name][1].stat().st_size / 1e6
        c, w = min(cpus[row]), min(walls[row])
        ratio = (mb / c) / perf_rate
        verdict = "" if name == "perf" else (
            "  ok, margin (>= 0.6)" if ratio >= 0.6 else "  ok (>= 0.5)" if ratio >= 0.5 else "  BELOW half of perf")
        print(f"{name + row[2]:27} {mb:7.1f} {c:9.2f} {statistics.median(cpus[row]):6.2f} {w:8.2f} "
              f"{statistics.median(walls[row]):6.2f} {mb / c:8.1f} {mb / w:9.1f} {ratio:7.2f} "
              f"{shape[row][0]:7d}{verdict}")


if __name__ == "__main__":
    main()
