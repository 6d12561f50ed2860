"""Folding a large ``perf script`` file with two processes.

The file is cut at the first blank line after its middle; this process folds
the first part while a forked child folds the second.  Folding is a sum and
every record is independent once the event filter is known, so the result is
the one the single-process path gives: the event filter (the first event seen)
is found before the split, and the child's line numbers are shifted by the
number of lines in the first part.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
from dataclasses import replace
from typing import Any, BinaryIO

from ..errors import Skips
from ..io import GZIP_MAGIC, XZ_MAGIC, ZSTD_MAGIC
from ._perf_fold import PerfFolder, PerfSettings
from .base import CollapseOptions

SCAN = 1 << 20


def parallel_plan(options: CollapseOptions, settings: PerfSettings) -> tuple[str, int] | None:
    """``(path, split offset)`` when the input is worth folding in two processes, else None.

    ``options.get("jobs")`` forces it (2) or forbids it (1); by default plain
    files of at least PARALLEL_MIN_BYTES on a machine with 2+ CPUs qualify.
    """
    from .perf import PARALLEL_MIN_BYTES

    jobs = options.get("jobs")
    path = options.get("_path")
    if jobs == 1 or not path or path == "-" or settings.naming.srcline or settings.naming.inline:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if f.read(6).startswith((GZIP_MAGIC, XZ_MAGIC, ZSTD_MAGIC)):
                return None
            if jobs != 2 and (size < PARALLEL_MIN_BYTES or (os.cpu_count() or 1) < 2):
                return None
            f.seek(size // 2)
            while True:
                block = f.read(SCAN)
                if not block:
                    return None
                at = block.find(b"\n\n")
                if at >= 0 and at + 2 < len(block):
                    return path, f.tell() - len(block) + at + 2
                if len(block) > 1:
                    f.seek(-1, os.SEEK_CUR)  # "\n\n" may straddle two blocks
    except OSError:
        return None


def _first_event(path: str, limit: int) -> bytes | None:
    """The event the single-process fold would keep: the first one in the first part."""
    from ._perf_header import parse_header

    with open(path, "rb") as f:
        done = 0
        for raw in f:
            done += len(raw)
            if done > limit:
                return None
            if raw[:1] in b" \t#\n":
                continue
            h = parse_header(raw.rstrip(b"\n"))
            if h is not None and h.event is not None:
                return h.event
    return None


class _CountingReader:
    """A file whose bytes read so far are published in a shared counter (for the progress bar)."""

    def __init__(self, f: BinaryIO, counter: Any) -> None:
        self.f = f
        self.counter = counter

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.counter.value += len(data)
        return data


def _child(path: str, start: int, settings: PerfSettings, source: str, event: bytes | None, conn: Any,
           counter: Any, resolver: Any) -> None:
    from .perf import summary

    try:
        skips = Skips(strict=False)
        opts = CollapseOptions(source=source, skips=skips, resolver=resolver)  # inherited by fork
        with open(path, "rb") as f:
            f.seek(start)
            reader = _CountingReader(f, counter)
            folder = fold_stream_with_event(reader, settings, opts, event, None, True)  # type: ignore[arg-type]
        stacks = folder.stacks()
        conn.send(("ok", stacks, summary(folder), _skip_list(skips, source),
                   (folder.filtered, folder.filtered_first, folder.other_event), _cpu()))
    except BaseException as e:  # report, never hang the parent
        conn.send(("error", f"{type(e).__name__}: {e}", None, None, None, None))
    finally:
        conn.close()
        os._exit(0)


def _cpu() -> float:
    """CPU seconds (user + system) this process has used."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def fold_stream_with_event(stream: BinaryIO, settings: PerfSettings, options: CollapseOptions,
                           event: bytes | None, limit: int | None, final: bool) -> PerfFolder:
    """fold_stream, with the event filter fixed in advance (still counted as defaulted)."""
    from .perf import fold_stream

    if event is not None and settings.event_filter is None:
        folder = fold_stream(stream, replace(settings, event_filter=event), options, limit, 1, final)
        folder.event_defaulted = True
        return folder
    return fold_stream(stream, settings, options, limit, 1, final)


def _progress_reader(stream: BinaryIO) -> Any:
    """The ProgressReader drawing this input's bar, if io.open_input put one under ``stream``."""
    from ..io import ProgressReader

    raw = getattr(stream, "raw", None)
    return raw if isinstance(raw, ProgressReader) else None


def _skip_list(skips: Skips, source: str) -> list[tuple[int, int | None, str]]:
    if not skips.counts:
        return []
    line, reason = skips.first[source]
    return [(skips.counts[source], line, reason)]


def fold_parallel(stream: BinaryIO, options: CollapseOptions, settings: PerfSettings, path: str,
                  split: int) -> tuple[dict[tuple[str, ...], int], dict[str, Any]]:
    """Fold ``stream`` (the file at ``path``) as two halves; stacks and summary as fold_stream gives."""
    from .perf import summary

    event = settings.event_filter or _first_event(path, split)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    counter = ctx.Value("q", 0, lock=False)
    proc = ctx.Process(target=_child, args=(path, split, settings, options.source, event, sender, counter,
                                            options.resolver), daemon=True)
    proc.start()
    sender.close()
    try:
        cpu0 = _cpu()
        folder = fold_stream_with_event(stream, settings, options, event, split, False)
        lines_before = folder.lines_seen
        stacks = folder.stacks()  # while the child may still be folding
        cpu1 = _cpu()
        bar = _progress_reader(stream)
        while not receiver.poll(0.2):
            if bar is not None:
                bar.done = split + counter.value
                bar._draw(final=False)
        status, stacks2, meta2, skips2, filtered2, child_cpu = receiver.recv()
        if bar is not None:
            bar.done = split + counter.value
            bar._draw(final=True)
    finally:
        if proc.is_alive():
            proc.join(timeout=0.5)
            if proc.is_alive():
                proc.terminate()
        receiver.close()
    if status != "ok":
        raise RuntimeError(f"the second perf fold process failed: {stacks2}")
    count, first, other = filtered2
    if count:
        folder.filtered += count
        if folder.filtered_first is None:
            folder.filtered_first = None if first is None else first + lines_before
            folder.other_event = other
    folder.report_filtered()
    for n, line, reason in skips2:
        options.skips.add(options.source, n, None if line is None else line + lines_before, reason)
    for k, w in stacks2.items():
        stacks[k] = stacks.get(k, 0) + w
    if options.verbose:
        print(f"flamekit: {options.source}: perf folded by 2 processes: bytes 0-{split} in "
              f"{cpu1 - cpu0:.3f} CPU-s, the rest in {child_cpu:.3f} CPU-s", file=sys.stderr)
    meta = summary(folder)
    meta["periods"] = meta["periods"] or meta2["periods"]
    meta["samples"] += meta2["samples"]
    if meta["event"] is None:
        meta["event"] = meta2["event"]
    return stacks, meta
