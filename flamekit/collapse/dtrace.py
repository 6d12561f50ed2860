"""DTrace aggregation printouts of ``stack()``/``ustack()`` keys, as stackcollapse.pl reads them.

A record is frames (leaf first, ``module`function+0xoff``) and a digits-only
count line; blank lines do not end records (``stack(), ustack()`` keys put
one between kernel and user frames).  Frames are cleaned exactly as
FlameGraph's ``stackcollapse.pl`` does: leading blanks and the ``+offset``
tail removed, C++ arguments cut after ``::`` (``(::.*)[(<].*``), an empty
frame becomes ``-``.  Its output is matched byte for byte; one deliberate
difference: stackcollapse.pl drops the first three lines blindly, flamekit
drops them only when they are DTrace's ``CPU ID FUNCTION:NAME`` header, so
``dtrace -q`` output loses nothing.  Param ``offsets``: keep offsets
(inferno's ``--includeoffset``; the leaf's is still trimmed, as there).
"""

from __future__ import annotations

from .._records import TYPE_CHECKING
from ..gcpause import no_gc
from ..profile import Profile, Stack
from ._chunks import chunks, decode
from ._head import has_any, has_line_starting
from ._lazy_re import lazy
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import BinaryIO, ClassVar

HEADER_RX = lazy(rb"^\s*CPU\s+ID\s+FUNCTION:NAME\s*$")
COUNT_RX = lazy(rb"\s*(\d+)")
COUNT_LINE_RX = lazy(rb"(?m)^[ \t\f\v]*\d+$")
OFFSET_RX = lazy(rb"\+[^+]*$")
CXX_ARGS_RX = lazy(rb"(::.*)[(<].*")
RECORD_END_RX = lazy(rb"(?m)^ {8,}[^\s`]*`[^\n]*\n {8,}\d+\n")

Segments = tuple[tuple[Stack, "int | None"], ...]


class DtraceCollapser:
    """DTrace ``@[stack()] = count()`` style printouts (stackcollapse.pl compatible)."""

    name: ClassVar[str] = "dtrace"
    priority: ClassVar[int] = 230
    description: ClassVar[str] = "DTrace aggregations keyed by stack()/ustack() (stackcollapse.pl)"

    def detect(self, head: bytes) -> bool | None:
        head = head.replace(b"\r\n", b"\n").lstrip(b"\n")
        if head.startswith(b"dtrace: description "):
            return True
        first = head.split(b"\n", 1)[0]
        if HEADER_RX.match(first):
            return True
        # headerless (dtrace -q): a backtick frame right above an indented count (substring searches
        # first: the regex tries every line)
        return has_any(head, b"`") and has_line_starting(head, b"        ") and bool(RECORD_END_RX.search(head))

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        with no_gc():
            return self._collapse(stream, options)

    def _collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        offsets = bool(options.get("offsets"))
        memo: dict[bytes, Segments] = {}
        frames: dict[bytes, str] = {}
        stacks: dict[Stack, int] = {}
        pending: list[Stack] = []  # blocks of a record not yet ended by its count
        pending_at: tuple[int, bytes, int] = (0, b"", 0)  # where it began: (line, piece, offset)
        first_piece = True
        for piece, base in chunks(stream, b"\n\n"):
            if first_piece:
                first_piece = False
                piece, dropped = _drop_header(piece)
                base += dropped
            pos = 0  # offset of the block in piece; lines are counted only when needed
            for block in piece.split(b"\n\n"):
                at = pos
                pos += len(block) + 2
                # the common block is one record: frames, then its count line; memoize on the
                # frames alone (the same stack comes back with other counts)
                body, _, last = block.rpartition(b"\n")
                count_b = last.strip()
                got = memo.get(body) if count_b.isdigit() else None
                if got is None and count_b.isdigit() and COUNT_RX.fullmatch(last) \
                        and not COUNT_LINE_RX.search(body):
                    got = memo[body] = _segments(body, frames, offsets)
                if got is not None and not pending:
                    stack = got[0][0] if got else ()
                    if offsets:
                        stack = _join([stack], offsets)
                    stacks[stack] = stacks.get(stack, 0) + int(count_b)
                    continue
                segs = ((got[0][0] if got else (), int(count_b)),) if got is not None \
                    else _segments(block, frames, offsets)
                for frames_part, count in segs:
                    if frames_part:
                        if not pending:
                            pending_at = (base, piece, at)
                        pending.append(frames_part)
                    if count is not None:
                        stack = _join(pending, offsets)
                        stacks[stack] = stacks.get(stack, 0) + count
                        pending = []
        if pending:
            n = sum(len(p) for p in pending)
            line = pending_at[0] + pending_at[1].count(b"\n", 0, pending_at[2])
            options.skips.add(options.source, n, line, "stack frames without a count at the end of input")
        return Profile(stacks, unit="count", sources=[options.source], meta={"tool": "dtrace"})


def _drop_header(piece: bytes) -> tuple[bytes, int]:
    """Drop DTrace's 3 header lines (``CPU ID FUNCTION:NAME``, the probe, a blank), as stackcollapse.pl.

    ``dtrace: description ... matched N probes`` lines before it (stderr
    captured with ``2>&1``) go too.
    """
    dropped = 0
    while piece.startswith(b"dtrace: "):
        _, _, piece = piece.partition(b"\n")
        dropped += 1
    lines = piece.split(b"\n", 3)
    if not HEADER_RX.match(lines[0]):
        return piece, dropped
    return (lines[3] if len(lines) > 3 else b""), dropped + 3


def _segments(block: bytes, frames: dict[bytes, str], offsets: bool) -> Segments:
    """A block's frames (root first) and the counts that end records inside it."""
    out: list[tuple[Stack, int | None]] = []
    current: list[str] = []
    for line in block.split(b"\n"):
        m = COUNT_RX.fullmatch(line)
        if m:
            current.reverse()
            out.append((tuple(current), int(m.group(1))))
            current = []
            continue
        if not line.strip():
            continue
        name = frames.get(line)
        if name is None:
            name = frames[line] = _frame(line, offsets)
        current.append(name)
    if current:
        current.reverse()
        out.append((tuple(current), None))
    return tuple(out)


def _frame(line: bytes, offsets: bool) -> str:
    f = line.lstrip()
    if not offsets:
        f = OFFSET_RX.sub(b"", f, count=1)
    f = CXX_ARGS_RX.sub(rb"\1", f, count=1)
    return decode(f) if f else "-"


def _join(pending: list[Stack], offsets: bool) -> Stack:
    """The record's stack: later blocks are nearer the root (frames were printed leaf first)."""
    if len(pending) == 1:
        stack = pending[0]
    else:
        stack = tuple(f for part in reversed(pending) for f in part)
    if offsets and stack:
        # stackcollapse.pl --includeoffset trims the last "+..." of the joined line
        joined = ";".join(stack).encode("utf-8", "surrogateescape")
        trimmed = OFFSET_RX.sub(b"", joined, count=1)
        if trimmed != joined:
            stack = tuple(decode(f) for f in trimmed.split(b";"))
    return stack


COLLAPSER = DtraceCollapser()
