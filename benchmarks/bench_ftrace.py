#!/usr/bin/env python3
"""CPU-time throughput of the ftrace collapsers on large generated traces.

Builds, under benchmarks/data/ (gitignored), traces of about ``--mb`` MB by
repeating real records (the public function_graph samples of
../shared/corpus/formats/ftrace when present, else the project's hand-written
cases in tests/golden/ftrace):

* ``graph-verbatim``: brendangregg/perf-tools' funcgraph example, repeated as is
  (the common layout: CPU + duration columns; many lines repeat exactly);
* ``graph-jitter``: the same with every printed duration re-drawn at random,
  so lines rarely repeat (the memo helps only entries and exits' bodies);
* ``graph-abstime-proc``: ftscope's rich layout (abstime + CPU + proc), with a
  fresh timestamp on every line;
* ``function``: the function tracer sample with fresh timestamps;
* ``stack``: live ``<stack trace>`` records (tracefs stacktrace trigger).

Each is collapsed in-process and timed with ``time.process_time`` (CPU
seconds, since the machine is shared); MB/s = input MB / CPU s.

    python3 benchmarks/bench_ftrace.py --mb 100
"""

from __future__ import annotations

import argparse
import io
import random
import re
import time
from pathlib import Path

from flamekit.collapse import CollapseOptions, get

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
CORPUS = ROOT.parent / "shared" / "corpus" / "formats" / "ftrace"
GOLDEN = ROOT / "tests" / "golden" / "ftrace"

_GRAPH_LINE = re.compile(rb"^\s*\d+\)\s.*\|\s\s")
_DUR = re.compile(rb"\d+\.\d+ us")
_TS = re.compile(rb"\d+\.\d{6}")


def _records(path: Path, keep: re.Pattern[bytes] | None = None) -> list[bytes]:
    lines = path.read_bytes().split(b"\n")
    return [ln for ln in lines if ln.strip() and not ln.startswith(b"#") and (keep is None or keep.match(ln))]


def _source(name: str, fallback: str) -> Path:
    p = CORPUS / name
    return p if p.exists() else GOLDEN / fallback


def generate(kind: str, mb: int, rng: random.Random) -> Path:
    out = DATA / f"ftrace_{kind}_{mb}mb.txt"
    if out.exists():
        return out
    DATA.mkdir(parents=True, exist_ok=True)
    target = mb << 20
    if kind.startswith("graph-abstime"):
        base = _records(_source("public/ftscope-04-graph-rich.head.trace", "fgraph_proc_abstime_irq_tail.txt"))
        header = b"# tracer: function_graph\n"
    elif kind.startswith("graph"):
        base = _records(_source("public/perftools_funcgraph_example.txt", "fgraph_interleaved_cpus.txt"), _GRAPH_LINE)
        header = b"# tracer: function_graph\n"
    elif kind == "function":
        base = _records(_source("public/ftscope-02-function-default.head.trace", "function_tracefs.txt"))
        header = b"# tracer: function\n"
    else:
        src = CORPUS / "tracefs_sched_switch_stacktrace_trigger.txt"
        base = _records(src if src.exists() else GOLDEN / "stack_tracefs_trigger.txt")
        header = b"# tracer: nop\n"
    size = 0
    ts = 1000.0
    with open(out, "wb") as f:
        f.write(header)
        while size < target:
            chunk = []
            for line in base:
                if kind == "graph-jitter":
                    line = _DUR.sub(lambda _m: b"%d.%03d us" % (rng.randrange(100), rng.randrange(1000)), line)
                elif kind in ("graph-abstime-proc", "function", "stack"):
                    ts += 0.000001
                    line = _TS.sub(b"%.6f" % ts, line, count=1)
                chunk.append(line)
            data = b"\n".join(chunk) + b"\n"
            f.write(data)
            size += len(data)
    return out


def measure(path: Path, fmt: str, **params: object) -> tuple[float, float, int]:
    data = path.read_bytes()
    collapser = get(fmt)
    t0 = time.process_time()
    profile = collapser.collapse(io.BytesIO(data), CollapseOptions(source=str(path), params=dict(params)))
    cpu = time.process_time() - t0
    return len(data) / 1e6, cpu, len(profile.stacks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=100, help="size of each generated trace (default 100)")
    ap.add_argument("--only", nargs="*", help="only these kinds")
    args = ap.parse_args()
    rng = random.Random(5)
    kinds = [("graph-verbatim", "ftrace"), ("graph-jitter", "ftrace"), ("graph-abstime-proc", "ftrace"),
             ("function", "ftrace-function"), ("stack", "ftrace-stack")]
    for kind, fmt in kinds:
        if args.only and kind not in args.only:
            continue
        path = generate(kind, args.mb, rng)
        mb, cpu, stacks = measure(path, fmt)
        print(f"{kind:20s} {fmt:16s} {mb:8.1f} MB  {cpu:7.2f} CPU s  {mb / cpu:7.1f} MB/s  {stacks} stacks")


if __name__ == "__main__":
    main()
