"""Classifying ``function_graph`` text lines into records, memoized.

One job: turn a line of tracefs / console / trace-cmd function_graph output
into a record ``(kind, cpu, pid, comm, depth, name-or-reason, duration ns)``.
Prefix columns are parsed left to right (never by splitting on the first
``|``); lines that differ only by a timestamp or a duration share a memo
entry.  The rebuilding of calls from records lives in :mod:`.ftrace`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from ._ftrace_common import (
    BUFFER_STARTED,
    EVENT_PREFIX,
    LINE_CHUNK,
    LOST_EVENTS,
    decode,
    newline_reads,
    whole_lines,
)
from ._lazy_re import lazy

# record kinds
# call records first, so the hot loop tells them apart with one comparison (kind <= EXIT)
ENTRY, LEAF, EXIT, IGNORE, BANNER, LOST, BAD, EVENT = range(8)

#: a record: (kind, cpu, pid, comm, depth, name-or-reason, duration ns)
Record = tuple[int, int | None, bytes | None, bytes | None, int, Any, int]

_IGNORED: Record = (IGNORE, None, None, None, 0, None, 0)

# prefixes cut off before classification (they differ on every line)
_DMESG = lazy(rb"^\s*\[\s*\d+\.\d+\]\s?")
_ABSTIME = lazy(rb"^\s*\d+\.\d+\s+\|")
_RELTIME = lazy(rb"^\s*\d+\s+us\s+\|")

# tracefs graph line: CPU, proc, latency flags, duration columns, then the body
_GRAPH = lazy(
    rb"""^\s*(?:(?P<cpu>\d+)\)\s*)?
        (?:(?P<proc>[^|]*?-\d+)\s*\|)?
        (?:\s*[^\s|]{3,6}\s*\|)?
        \s*(?:[-+!\#*@$]\s*)?(?:(?P<dur>\d+(?:\.\d*)?)\s*us)?\s*\|(?P<body>.*)$""",
    re.X | re.S,
)
# layouts without a duration column: ``1) f() {`` (nofuncgraph-duration), bare
_NODUR = lazy(rb"^(?:\s*(?P<cpu>\d+)\)\s)?(?P<body>.*)$", re.S)
_BANNER = lazy(rb"^\s*(\d+)\)\s+(\S.*?-\d+)\s+=>\s+(\S.*?-\d+)\s*$")
_DASHES = lazy(rb"^\s*-{6,}\s*$")
_OVERRUN = lazy(rb"^\s*\(Overruns:\s*\d+\)\s*$")
# trace-cmd report appends `` (N)`` with -O fgraph:depth and `` (ret=...)``
_TC_SUFFIX = lazy(rb"\s\((?:\d+|ret=[^()]*)\)$")

#: bound on each memo (whole lines, shapes, durations): memory stays small on traces
#: whose lines never repeat
_MAX_CACHE = 1 << 16


_ABSTIME_ALL = lazy(rb"^[ \t]*\d+\.\d+ +\|(?=[ \t]+\d+\))", re.M)
# the same column found from the newline before it: a literal first byte lets the
# regex engine jump from line to line in C instead of trying ``^`` at every byte
# (twice as fast); it cannot span lines, so it cuts exactly what _ABSTIME_ALL cuts
_ABSTIME_NL = lazy(rb"\n[ \t]*\d+\.\d+ +\|(?=[ \t]+\d+\))")

_DMESG_ALL = lazy(rb"^\[\s*\d+\.\d+\]\s?", re.M)


def strip_time_columns(chunk: bytes) -> bytes:
    """Cut the abstime column (``6.077379 |  0) ...``) and console timestamps
    (``[  210.283454] ``) off every line of a chunk, in one C pass each, so
    lines differing only by time share a cache entry."""
    return strip_abstime(strip_dmesg(chunk))


def strip_dmesg(chunk: bytes) -> bytes:
    """Cut console timestamps (``[  210.283454] ``) off every line of a chunk."""
    if chunk[:1] == b"[" or b"\n[" in chunk[:4096]:
        if _DMESG_ALL.search(chunk, 0, 4096):
            chunk = _DMESG_ALL.sub(b"", chunk)
    return chunk


def strip_abstime(chunk: bytes) -> bytes:
    """Cut the abstime column (``6.077379 |  0) ...``) off every line of a chunk."""
    if b" |   " in chunk[:4096] and _ABSTIME_ALL.search(chunk, 0, 4096):
        return _ABSTIME_NL.sub(b"\n", b"\n" + chunk)[1:]
    return chunk


def cut_time_columns(lines: list[bytes]) -> list[bytes]:
    """The lines without console timestamps and abstime columns (what
    strip_time_columns does to a chunk, on its lines)."""
    if lines and (lines[0][:1] == b"[" or b"\n[" in b"\n".join(lines[:256])[:4096]):
        chunk = b"\n".join(lines) + b"\n"
        cut = strip_dmesg(chunk)
        if cut is not chunk:
            lines = cut.split(b"\n")
            lines.pop()
    return cut_abstime(lines)


def cut_abstime(lines: list[bytes]) -> list[bytes]:
    """The lines without their abstime column, as strip_abstime would leave them
    for the classifier (chunks whose lines all have one are cut at once by
    iter_graph_lines; this is for the others)."""
    head = b"\n".join(lines[:256])[:4096]  # strip_abstime's probe, without joining the chunk
    if b" |   " in head and _ABSTIME_ALL.search(head):
        return strip_abstime(b"\n".join(lines)).split(b"\n")
    return lines


# one line's abstime column and what follows it, found line by line in C
_ABSTIME_REST = lazy(rb"^[ \t]*\d+\.\d+ +\|(.*)$", re.MULTILINE)


def iter_graph_lines(stream: BinaryIO, chunk: int = LINE_CHUNK) -> Iterator[tuple[int, list[bytes]]]:
    """The lines of a trace in big chunks, without their time columns, with the
    1-based number of each chunk's first line (what :func:`iter_line_chunks`
    and :func:`cut_time_columns` give together).

    Where every line of a chunk starts with an abstime column (the usual trace
    with ``funcgraph-abstime``), one ``findall`` cuts the lines and their
    columns in C at once: that costs about as much as splitting the chunk
    alone, and half of splitting and then slicing every line (cut_abstime).
    Columns are cut whatever their width; the classifier drops a column not
    followed by a CPU column anyway (see Classifier.classify), so records are
    those of cut_abstime's per-line pattern.
    """
    lineno = 1
    for carry, data in newline_reads(stream, chunk):
        if not data:
            yield lineno, cut_time_columns([carry])
            break
        lines = _cut_abstime_chunk(carry, data)
        if lines is None:
            lines = cut_time_columns(whole_lines(carry, data))
        yield lineno, lines
        lineno += len(lines)


def _cut_abstime_chunk(rest: bytes, data: bytes) -> list[bytes] | None:
    """The whole lines of ``rest + data`` (data holds a newline) without their
    abstime column, if each has one."""
    i = data.find(b"\n")
    if not _ABSTIME_REST.match(data, i + 1):  # (the first whole line of data tells)
        return None
    first = _ABSTIME_REST.fullmatch(rest + data[:i])
    if first is None:
        return None
    end = data.rfind(b"\n") + 1
    lines = _ABSTIME_REST.findall(data, i + 1, end)
    if len(lines) != data.count(b"\n", i + 1, end):  # a line without the column
        return None
    lines.insert(0, first[1])
    return lines


def _duration_ns(tok: bytes) -> int:
    """``12.345`` µs as printed (3 decimals, sometimes fewer) → nanoseconds."""
    whole, _, frac = tok.partition(b".")
    return int(whole) * 1000 + int((frac + b"000")[:3])


def _body(body: bytes, cpu: int | None, pid: bytes | None, comm: bytes | None, depth: int) -> Record:
    """Classify a function body (indentation already measured)."""
    b = body.strip()
    m = _TC_SUFFIX.search(b)
    if m and (b.startswith(b"}") or b[: m.start()].rstrip().endswith((b"{", b";"))):
        b = b[: m.start()].rstrip()
    if not b:
        return _IGNORED
    c = b[0]
    if c == 0x2F and b.startswith(b"/*"):  # trace_printk or an event shown as a comment
        return _IGNORED
    if c == 0x7D:  # '}'
        tail = b[1:].strip()
        name = None
        if tail.startswith(b"/*") and tail.endswith(b"*/"):
            words = tail[2:-2].split()
            if words and not words[0].startswith((b"<-", b"=")):
                tok = words[0]
                if tok.endswith(b"()"):
                    tok = tok[:-2]
                name = decode(tok) if tok else None
        elif tail:
            return (BAD, None, None, None, 0, "text after '}' is not a comment", 0)
        return (EXIT, cpu, pid, comm, depth, name, 0)
    if b.endswith(b"*/"):
        i = b.rfind(b"/*")
        if i > 0:
            b = b[:i].rstrip()
    last = b[-1:]
    if last == b"{":
        kind = ENTRY
    elif last == b";":
        kind = LEAF
    else:
        return (BAD, None, None, None, 0, "not a function_graph line", 0)
    p = b.find(b"(")
    raw = (b[:p] if p > 0 else b[:-1]).strip()
    if not raw or raw[:1] in b"{};(":
        return (BAD, None, None, None, 0, "function_graph line without a function name", 0)
    return (kind, cpu, pid, comm, depth, decode(raw), 0)


def _split_task(proc: bytes) -> tuple[bytes, bytes]:
    comm, _, pid = proc.strip().rpartition(b"-")
    return comm, pid


def _graph_columns(s: bytes, cpu: int | None, pid: bytes | None, comm: bytes | None) -> Record | None:
    """A line with a duration column (tracefs, or trace-cmd after its event name)."""
    m = _GRAPH.match(s)
    if m is None:
        return None
    if m["cpu"] is not None:
        cpu = int(m["cpu"])
    if m["proc"] is not None:
        comm, pid = _split_task(m["proc"])
    body = m["body"]
    n = len(body) - len(body.lstrip(b" "))
    r = _body(body, cpu, pid, comm, max(0, n // 2 - 1))
    if m["dur"] is not None and r[0] in (LEAF, EXIT):
        r = r[:6] + (_duration_ns(m["dur"]),)
    elif r[0] == EXIT:
        return (BAD, None, None, None, 0, "function exit without a duration", 0)
    return r


def _classify(line: bytes) -> tuple[Record, bool]:
    """(record, cacheable): the slow path, run once per distinct line."""
    s = line.rstrip()
    stripped = s.lstrip()
    if not stripped:
        return _IGNORED, True
    if stripped[:1] == b"#":
        m = BUFFER_STARTED.match(stripped)
        if m:
            return (LOST, int(m[1]), None, None, 0, None, 0), True
        return _IGNORED, True
    cacheable = True
    m = _DMESG.match(s)
    if m:
        s, cacheable = s[m.end() :], False
    if b"==========>" in s or b"<==========" in s or _DASHES.match(s) or _OVERRUN.match(s):
        return _IGNORED, cacheable
    m = LOST_EVENTS.match(s)
    if m:
        return (LOST, int(m[1]), None, None, 0, None, int(m[2] or 0)), cacheable
    for col in (_ABSTIME, _RELTIME):
        m = col.match(s)
        if m:
            s, cacheable = s[m.end() :], False
    if b": funcgraph_" in s:
        ev = EVENT_PREFIX.match(s)
        rest = s[ev.end() :] if ev is not None else b""
        if ev is not None and rest.startswith((b"funcgraph_entry:", b"funcgraph_exit:")):
            cpu = int(ev["cpu"] if ev["cpu"] is not None else ev["lcpu"])
            r = _graph_columns(rest[rest.index(b":") + 1 :], cpu, ev["pid"], ev["comm"].strip())
            if r is not None:
                return r, False
            return (BAD, None, None, None, 0, "malformed trace-cmd funcgraph record", 0), False
    m = _BANNER.match(s)
    if m:
        pcomm, ppid = _split_task(m[2])
        ncomm, npid = _split_task(m[3])
        return (BANNER, int(m[1]), npid, ncomm, 0, (ppid, pcomm), 0), cacheable
    r = _graph_columns(s, None, None, None)
    if r is not None:
        return r, cacheable
    if b": " in s and EVENT_PREFIX.match(s):
        return (EVENT, None, None, None, 0, None, 0), False  # another event (trace-cmd report)
    if stripped.startswith((b"cpus=", b"version =")) or (stripped.startswith(b"CPU ") and stripped.endswith(b"is empty")):
        return _IGNORED, cacheable  # trace-cmd report preamble
    m = _NODUR.match(s)
    body = m["body"] if m else s
    n = len(body) - len(body.lstrip(b" "))
    r = _body(body, int(m["cpu"]) if m and m["cpu"] else None, None, None, n // 2)
    if r[0] in (LEAF, EXIT):
        r = r[:6] + (-1,)  # no duration column: only calls can be counted
    return r, cacheable


class Classifier:
    """Memoized classification for lines the whole-line cache missed.

    Lines that differ only in their timestamp (abstime column) or their
    duration share a *shape*: the line with that field cut out.  The shape is
    classified once; the duration is parsed (and memoized) per line.
    """

    def __init__(self, cache: dict[bytes, Record]) -> None:
        self.cache = cache
        self.shapes: dict[bytes, Record] = {}
        self.durations: dict[bytes, int] = {}
        self.room = 1 << 16  # whole-line entries the fast path may still add

    def classify(self, line: bytes) -> Record:
        # fast: a leaf/exit whose shape (the line minus its duration) was seen
        u = line.find(b" us ")
        if u > 0:
            k = line.rfind(b" ", 0, u) + 1
            r = self.shapes.get(line[:k] + line[u:])
            if r is not None:
                tok = line[k:u]
                ns = self.durations.get(tok)
                if ns is None:
                    ns = self._duration(tok)
                    if ns is None:
                        return _classify(line)[0]
                r = r[:6] + (ns,)
                if self.room:
                    self.room -= 1
                    self.cache[line] = r  # verbatim repeats then hit the whole-line cache
                return r
        cache = self.cache
        cacheable = True
        j = line.find(b"|")
        if j > 0:
            head = line[:j]
            if b")" not in head and b"." in head and b"[" not in head and head.strip().replace(b".", b"", 1).isdigit():
                # an abstime column the per-chunk pass did not cut: the rest is what repeats
                line = line[j + 1 :]
                r = cache.get(line)
                if r is not None:
                    return r
                cacheable = False
                u = line.find(b" us ")
        r, ok = _classify(line)
        if ok and u > 0 and r[0] in (LEAF, EXIT) and len(self.shapes) < _MAX_CACHE:
            k = line.rfind(b" ", 0, u) + 1
            # remember the shape only if the cut-out token is the duration the slow path read
            if k > 0 and self._duration(line[k:u]) == r[6]:
                self.shapes[line[:k] + line[u:]] = r
        if ok and cacheable and len(cache) < _MAX_CACHE:
            cache[line] = r
        return r

    def _duration(self, tok: bytes) -> int | None:
        if not tok[:1].isdigit():
            return None
        try:
            ns = _duration_ns(tok)
        except ValueError:
            return None
        if len(self.durations) < _MAX_CACHE:
            self.durations[tok] = ns
        return ns
