"""Folding a large ``perf script`` file with two processes that share it chunk by chunk.

The file is cut into chunks of about :data:`CHUNK` bytes at record boundaries
(the first blank line at or after each multiple of the chunk size).  This
process takes chunks from the front of the file and a forked child takes them
from the back, each under a shared lock, until they meet.  So both finish
within about one chunk of each other whatever parts of the capture cost more
(the two halves of a real capture can differ by 15 % in CPU), and each
process still sees one contiguous stretch of the capture (its memo tables
keep their locality: the halves of a capture share few distinct stacks).

Folding is a sum and every record is independent once the event filter is
known, so the result is the single-process one: the event filter (the first
event of the file) is found before the fork.  When the first half of the file
names no event, the first one may be anywhere after it, so the meeting point
is fixed at the middle and the child reads its half forward, as the single
process would.  Both number a chunk's lines from its own first line; the
parent counts the file's lines before a chunk only when that chunk has a skip
to report (rare: most captures have none), and reports skips in file order.
"""

from __future__ import annotations

import os
import resource
import sys
import time

from .._records import TYPE_CHECKING
from ..errors import InputError, Skips
from ..gcpause import no_gc
from ..io import GZIP_MAGIC, XZ_MAGIC, ZSTD_MAGIC
from ._perf_fold import PerfFolder, PerfSettings
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import Any, BinaryIO

#: bytes per chunk of a large file (smaller files are cut in 8 chunks)
CHUNK = 2 << 20
#: bytes read past a chunk's nominal end to find the blank line that ends it
LOOKAHEAD = 64 << 10


def parallel_plan(options: CollapseOptions, settings: PerfSettings) -> tuple[str, int] | None:
    """``(path, size)`` when the input is worth folding in two processes, else None.

    ``options.get("jobs")`` forces it (2) or forbids it (1); by default plain
    files of at least PARALLEL_MIN_BYTES on a machine with 2+ CPUs qualify.
    """
    from .perf import PARALLEL_MIN_BYTES

    jobs = options.get("jobs")
    path = options.get("_path")
    if jobs == 1 or not path or path == "-" or settings.naming.srcline or settings.naming.inline:
        return None
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if f.read(6).startswith((GZIP_MAGIC, XZ_MAGIC, ZSTD_MAGIC)):
                return None
    except OSError:
        return None
    if size < 2 or (jobs != 2 and (size < PARALLEL_MIN_BYTES or (os.cpu_count() or 1) < 2)):
        return None
    import multiprocessing  # only for a capture worth two processes (~5 ms of every start otherwise)

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return path, size


def chunk_size(size: int) -> int:
    """Bytes per chunk for a file of ``size`` bytes (at least 8 chunks, so both processes get some)."""
    return max(1, min(CHUNK, size // 8))


def read_chunk(f: BinaryIO, i: int, size: int, step: int) -> tuple[int, bytes, bool]:
    """``(start offset, bytes, reaches the end)`` of chunk ``i``: the records that start in it.

    A chunk runs from the first ``\\n\\n`` at or after ``i * step`` (just past
    it; 0 for the first chunk) to the first one at or after ``(i + 1) * step``;
    the last chunk (and one whose end is not found) runs to the end of the file.
    Neighbours agree on their common boundary, so the chunks tile the file.
    """
    base = i * step
    last = base + step >= size
    f.seek(base)
    data = f.read(-1 if last else step + LOOKAHEAD)
    start = 0
    if i:
        at = data.find(b"\n\n")
        while at < 0:  # a record longer than the chunk
            more = b"" if last else f.read(step)
            if not more:
                return base + len(data), b"", True
            searched = max(0, len(data) - 1)
            data += more
            at = data.find(b"\n\n", searched)
        start = at + 2
    if last:
        return base + start, data[start:], True
    at = data.find(b"\n\n", step)
    while at < 0:
        more = f.read(step)
        if not more:
            return base + start, data[start:], True
        searched = len(data) - 1
        data += more
        at = data.find(b"\n\n", max(step, searched))
    return base + start, data[start:at + 2], False


def _boundary(path: str, x: int) -> int:
    """Where the chunk that starts at ``x`` really starts: just past the first ``\\n\\n`` at or after it."""
    with open(path, "rb") as f:
        f.seek(x)
        data = b""
        while True:
            more = f.read(LOOKAHEAD)
            if not more:
                return x + len(data)
            searched = max(0, len(data) - 1)
            data += more
            at = data.find(b"\n\n", searched)
            if at >= 0:
                return x + at + 2


def feed_chunk(folder: PerfFolder, data: bytes, first_line: int, final: bool) -> None:
    """Fold the records of one chunk (its unterminated tail too when ``final``)."""
    cut = data.rfind(b"\n\n")
    if cut >= 0:
        end = cut
        while end > 0 and data[end - 1] == 10:
            end -= 1
        folder.feed(data[:end], first_line)
        tail = data[cut + 2:]
    else:
        tail = data
    if final:
        folder.finish_tail(tail, first_line + (data.count(b"\n", 0, cut + 2) if cut >= 0 else 0))
    elif tail.strip(b"\n"):  # a chunk ends just past a blank line, unless the file changed
        raise InputError(folder.source, None, "the file changed while it was being read")


#: what folding a chunk left to report: (chunk number, its first byte's offset in the file, its skips
#: as (count, line, reason), its filtered-out samples as (count, line of the first, its event));
#: lines are counted from the chunk's first line
ChunkReport = tuple[int, int, list[tuple[int, int | None, str]], tuple[int, int | None, bytes | None]]


def fold_chunk(folder: PerfFolder, f: BinaryIO, i: int, size: int, step: int) -> tuple[ChunkReport, int]:
    """Fold chunk ``i`` of the file ``f`` with line numbers counted from the chunk's first line;
    what it left to report and its length in bytes.

    The chunk's place in the file's lines is found only if it has something to
    report (:class:`_LinesBefore`): counting every chunk's newlines cost ~4 % of the fold.
    """
    start, data, final = read_chunk(f, i, size, step)
    folder.skips = Skips(strict=False)
    filtered = folder.filtered
    folder.filtered_first = folder.other_event = None  # the chunk's own first one
    if data:
        feed_chunk(folder, data, 1, final)
    skipped = _skip_list(folder.skips, folder.source)
    return (i, start, skipped, (folder.filtered - filtered, folder.filtered_first, folder.other_event)), len(data)


class _LinesBefore:
    """The number of the line at a byte offset of the file (asked in increasing order),
    counted only when asked, from where the last question left off."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pos = 0
        self.line = 1

    def __call__(self, offset: int) -> int:
        if offset > self.pos:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                left = offset - self.pos
                while left > 0:
                    block = f.read(min(left, 1 << 20))
                    if not block:
                        break
                    self.line += block.count(b"\n")
                    left -= len(block)
            self.pos = offset
        return self.line


def _report(reports: list[ChunkReport], folder: PerfFolder, skips: Skips, lines_before: _LinesBefore) -> None:
    """Add the chunks' skips to ``skips`` and their filtered samples to ``folder``, in file order,
    with the file's line numbers (``folder`` then reports as the single-process fold does)."""
    for _, start, skipped, (count, first, other) in sorted(reports):
        for n_skips, at, reason in skipped:
            skips.add(folder.source, n_skips, None if at is None else at + lines_before(start) - 1, reason)
        if count and folder.other_event is None:
            folder.filtered_first = None if first is None else first + lines_before(start) - 1
            folder.other_event = other


class _Chunks:
    """Hands out chunk numbers: the parent's from the front, the child's from the back."""

    def __init__(self, ctx: Any, n: int, meet: int | None) -> None:
        # meet: a fixed meeting point (the child then reads forward from it), or None
        self.n = n
        self.meet = meet
        # the child's first chunk is the last one, whoever starts first (so it always has work)
        self.reserved = n - 1 if meet is None and n >= 2 else None
        self.lo = ctx.Value("q", 0, lock=False)  # next chunk of the parent
        first = meet if meet is not None else n if self.reserved is None else self.reserved
        self.hi = ctx.Value("q", first, lock=False)  # the child's chunks are those from here up
        self.lock = ctx.Lock()

    def front(self) -> int | None:
        with self.lock:
            i = self.lo.value
            if i >= (self.hi.value if self.meet is None else self.meet):
                return None
            self.lo.value = i + 1
            return i

    def back(self) -> int | None:
        if self.reserved is not None:
            i, self.reserved = self.reserved, None
            return i
        with self.lock:
            if self.meet is not None:
                i = self.hi.value
                if i >= self.n:
                    return None
                self.hi.value = i + 1
                return i
            if self.hi.value <= self.lo.value:
                return None
            self.hi.value -= 1
            return int(self.hi.value)


def _first_event(path: str, limit: int) -> bytes | None:
    """The event the single-process fold would keep, if the first ``limit`` bytes name one."""
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


def _cpu() -> float:
    """CPU seconds (user + system) this process has used."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _new_folder(settings: PerfSettings, event: bytes | None, source: str, skips: Skips,
                resolver: Any) -> PerfFolder:
    """A folder with the event filter fixed in advance (still counted as defaulted)."""
    if event is not None and settings.event_filter is None:
        folder = PerfFolder(settings._replace(event_filter=event), source, skips, resolver)
        folder.event_defaulted = True
        return folder
    return PerfFolder(settings, source, skips, resolver)


def _skip_list(skips: Skips, source: str) -> list[tuple[int, int | None, str]]:
    if not skips.counts:
        return []
    line, reason = skips.first[source]
    return [(skips.counts[source], line, reason)]


def _child(path: str, size: int, step: int, chunks: _Chunks, settings: PerfSettings, source: str,
           event: bytes | None, conn: Any, done: Any, resolver: Any) -> None:
    """Fold chunks from the back; send the stacks and, per chunk, what it left to report."""
    from .perf import summary

    try:
        with no_gc():
            folder = _new_folder(settings, event, source, Skips(strict=False), resolver)
            reports = []
            with open(path, "rb") as f:
                while (i := chunks.back()) is not None:
                    report, done_bytes = fold_chunk(folder, f, i, size, step)
                    reports.append(report)
                    done.value += done_bytes
            stacks = folder.stacks()
        conn.send(("ok", stacks, summary(folder), reports, _cpu()))
    except BaseException as e:  # report, never hang the parent
        conn.send(("error", f"{type(e).__name__}: {e}", None, None, None))
    finally:
        conn.close()
        os._exit(0)


def _progress_reader(stream: BinaryIO) -> Any:
    """The ProgressReader drawing this input's bar, if io.open_input put one under ``stream``."""
    from ..io import ProgressReader

    raw = getattr(stream, "raw", None)
    return raw if isinstance(raw, ProgressReader) else None


def fold_parallel(stream: BinaryIO, options: CollapseOptions, settings: PerfSettings, path: str,
                  size: int) -> tuple[dict[tuple[str, ...], int], dict[str, Any]]:
    """Fold the file at ``path`` (``stream`` is its open input) with two processes; stacks and
    summary as the single-process fold gives."""
    from .perf import summary

    step = chunk_size(size)
    n = -(-size // step)
    event = settings.event_filter
    meet = None
    if event is None:
        # the first event of the file, if the chunks before the middle one name it; else the
        # child reads forward from that chunk and finds it as the single process would
        meet = n // 2
        event = _first_event(path, _boundary(path, meet * step) if meet else 0)
        if event is not None:
            meet = None
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    chunks = _Chunks(ctx, n, meet)
    receiver, sender = ctx.Pipe(duplex=False)
    done = ctx.Value("q", 0, lock=False)  # bytes the child has folded (for the progress bar)
    proc = ctx.Process(target=_child, args=(path, size, step, chunks, settings, options.source, event, sender,
                                            done, options.resolver), daemon=True)
    proc.start()
    sender.close()
    bar = _progress_reader(stream)
    try:
        cpu0 = _cpu()
        with no_gc():
            folder = _new_folder(settings, event, options.source, options.skips, options.resolver)
            end = 0  # where the child's part starts
            reports = []
            lines_before = _LinesBefore(path)
            strict = options.skips.strict
            with open(path, "rb") as f:
                while (i := chunks.front()) is not None:
                    report, done_bytes = fold_chunk(folder, f, i, size, step)
                    reports.append(report)
                    if strict and report[2]:  # the first bad line of the file is in this chunk
                        _report([report], folder, options.skips, lines_before)
                    end += done_bytes
                    if bar is not None and time.monotonic() - bar.last > 0.2:
                        bar.last = time.monotonic()
                        bar.done = end + done.value
                        bar._draw(final=False)
            stacks = folder.stacks()  # while the child may still be folding
            folder.release()
        cpu1 = _cpu()
        while not receiver.poll(0.2):
            if bar is not None:
                bar.done = end + done.value
                bar._draw(final=False)
        status, stacks2, meta2, reports2, child_cpu = receiver.recv()
        if bar is not None:
            bar.done = end + done.value
            bar._draw(final=True)
    finally:
        if proc.is_alive():
            proc.join(timeout=0.5)
            if proc.is_alive():
                proc.terminate()
        receiver.close()
    if status != "ok":
        raise RuntimeError(f"the second perf fold process failed: {stacks2}")
    folder.filtered += sum(report[3][0] for report in reports2)
    folder.filtered_first = folder.other_event = None
    folder.skips = options.skips  # fold_chunk gave it one per chunk
    _report(reports + reports2, folder, options.skips, lines_before)
    folder.report_filtered()
    for k, w in stacks2.items():
        stacks[k] = stacks.get(k, 0) + w
    if options.verbose:
        print(f"flamekit: {options.source}: perf folded by 2 processes: bytes 0-{end} in "
              f"{cpu1 - cpu0:.3f} CPU-s, the rest in {child_cpu:.3f} CPU-s", file=sys.stderr)
    meta = summary(folder)
    meta["periods"] = meta["periods"] or meta2["periods"]
    meta["samples"] += meta2["samples"]
    if meta["event"] is None:
        meta["event"] = meta2["event"]
    return stacks, meta
