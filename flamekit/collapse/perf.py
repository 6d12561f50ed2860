"""``perf script`` output → Profile, byte-compatible with stackcollapse-perf.pl by default.

Reads large binary blocks, cuts them at the blank line between records and
folds them with :class:`~flamekit.collapse._perf_fold.PerfFolder`.  Large plain
files are folded by two processes that share them chunk by chunk
(:mod:`._perf_parallel`; the result is the same sum).  Options
(``options.get``): pid, tid, kernel, jit, all, addrs, event_filter, inline,
context, srcline, weight, plus flamekit's fixes: bracket_aware_args,
exited_as, keep_last_sample.
"""

from __future__ import annotations

import os
import re

from .._records import TYPE_CHECKING
from ..errors import InputError, UsageError
from ..gcpause import no_gc
from ..profile import Profile
from ._head import has_any, has_line_starting
from ._lazy_re import lazy
from ._perf_header import RX_EVENT, parse_header
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import Any, BinaryIO, ClassVar

    from ._perf_fold import PerfFolder, PerfSettings

# the fold's modules (_perf_fold, _perf_frames, _perf_memo: ~2.5 ms) are imported when a
# capture is folded, not when detection imports this module for any input

BLOCK = 2 << 20
#: plain files at least this large are folded by two processes
PARALLEL_MIN_BYTES = 24 << 20

_RX_DETECT_FRAME = lazy(rb"^\s*[0-9a-f]+ .+ \(.*\)\s*$|^\s+[0-9a-f]+ \S", re.M)
#: where a sample line's own frame may start: after a ':' and blanks, at an address word
_RX_TAIL_START = lazy(rb":[ \t]+(?=[0-9a-f]+ )")
_RX_TAIL_FRAME = lazy(rb"[0-9a-f]+ .+ \(.*\)\s*$")
_RX_COLON_BLANK = lazy(rb":\s")  # (\s of bytes: the six blanks bytes.split() splits at)
#: where a sample line's tracepoint payload may start: after a ':' and blanks
_RX_PAYLOAD_START = lazy(rb":[ \t]+(?=\S)")
_TIME_EVENTS = (b"cpu-clock", b"task-clock")


def settings_from(options: CollapseOptions) -> PerfSettings:
    """The PerfSettings an options object asks for."""
    from ._perf_fold import PerfSettings
    from ._perf_frames import NamingOptions

    weight = options.get("weight", "auto")
    if weight not in ("auto", "samples", "period"):
        raise UsageError(f"--weight must be auto, samples or period, not {weight!r}")
    all_ = bool(options.get("all", False))
    naming = NamingOptions(
        kernel=bool(options.get("kernel", False)) or all_,
        jit=bool(options.get("jit", False)) or all_,
        addrs=bool(options.get("addrs", False)),
        inline=bool(options.get("inline", False)),
        context=bool(options.get("context", False)),
        srcline=bool(options.get("srcline", False)),
        bracket_aware_args=bool(options.get("bracket_aware_args", False)),
    )
    if naming.inline and naming.srcline:
        raise UsageError("--inline and --srcline are alternatives: choose one")
    ev = options.get("event_filter")
    exited = options.get("exited_as")
    return PerfSettings(
        naming=naming,
        pid=bool(options.get("pid", False)),
        tid=bool(options.get("tid", False)),
        weight=weight,
        event_filter=os.fsencode(ev) if ev else None,
        exited_as=os.fsencode(exited) if exited else None,
        keep_last_sample=bool(options.get("keep_last_sample", False)),
    )


def blocks(stream: BinaryIO) -> Any:
    """Yield ``(False, records, first_line)`` cut at blank lines, then ``(True, tail, first_line)``.

    ``records`` (whole records separated by blank lines) never ends with a
    newline; ``tail`` is what follows the last blank line of the input.
    """
    carry = b""
    line = 1
    while True:
        block = stream.read(BLOCK)
        if not block:
            break
        buf = carry + block if carry else block
        cut = buf.rfind(b"\n\n")
        if cut < 0:
            carry = buf
            continue
        end = cut
        while end > 0 and buf[end - 1] == 10:
            end -= 1
        records = buf[:end]
        carry = buf[cut + 2:]
        yield False, records, line
        line += buf.count(b"\n", 0, cut + 2)
    yield True, carry, line


def split_own_frame(line: bytes) -> tuple[bytes, bytes] | None:
    """``(header, frame)`` of a sample line that ends in its sample's own frame, else None.

    ``perf script -G`` (and a capture recorded without ``-g``) prints no
    callchain: each sample is one line, ``HEADER EVENT: ADDR SYM (DSO)``.  The
    header is the part up to the first ``:`` followed by blanks and an address
    word after which the rest reads as a frame line and the header still ends
    in ``EVENT:`` (so a colon inside the comm or time never splits it).
    """
    if line.rstrip()[-1:] != b")":  # (folded text and ordinary headers end otherwise: decided at once)
        return None
    for m in _RX_TAIL_START.finditer(line):
        head = line[:m.start() + 1].lstrip()  # (perf right-aligns the comm on these lines)
        tail = line[m.end():]
        last = head.rsplit(None, 1)[-1][:-1]  # the word the ':' ends: the event, unless it is the time
        if (not last.replace(b".", b"").isdigit() and _RX_TAIL_FRAME.match(tail)
                and parse_header(head) is not None):
            return head, tail
    return None


def frameless_header(line: bytes) -> bytes | None:
    """The header of a sample line without any frame, else None.

    Without callchains, a sample that has no instruction pointer to show --
    a tracepoint printed with its payload (``perf script -G``, or ``-F
    comm,tid,time,event,trace`` of a capture recorded without ``-g``) -- is
    one line, ``HEADER EVENT: [PAYLOAD]``.  The header is the part up to the
    first ``:`` followed by blanks (or the line's end) that parses as a
    sample header and whose word before the ``:`` is not the time; the payload
    is never read as a frame (it holds ``comm=``/``pid=`` words).  Such a
    sample folds as its process alone, as stackcollapse-perf.pl folds a
    sample with an empty callchain.
    """
    text = line.strip()
    if not text or text[-1:] == b")" and split_own_frame(line) is not None:
        return None
    ends = [m.start() + 1 for m in _RX_PAYLOAD_START.finditer(text)]
    if text[-1:] == b":":  # a header alone
        ends.append(len(text))
    for end in ends:
        head = text[:end]
        last = head.rsplit(None, 1)[-1][:-1]
        if not last.replace(b".", b"").isdigit() and parse_header(head) is not None:
            return head
    return None


def _colon_then_blank(head: bytes) -> bool:
    """Whether ``head`` has a ``:`` followed by whitespace, as a sample header has after its event
    (one without an event -- ``perf script -F comm,pid,ip,sym`` -- is known by the frame line after it)."""
    return _RX_COLON_BLANK.search(head) is not None


def has_no_callchains(head: bytes) -> bool:
    """Whether the input's first bytes are samples without callchains: no sample header followed by a
    frame line or by a blank line (the record of a callchain, maybe empty), and sample lines that end in
    their own frame, or at least two and only sample lines without a frame (:func:`frameless_header`)."""
    lines = head.split(b"\n")[:-1]  # (the last may be cut short)
    own = frameless = other = 0
    for i, line in enumerate(lines):
        if not line or line[:1] == b"#":
            continue
        if split_own_frame(line) is not None:
            own += 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is not None and (_RX_DETECT_FRAME.match(nxt) or not nxt.strip()) and parse_header(line) is not None:
            return False
        if frameless_header(line) is not None:
            frameless += 1
        else:
            other += 1
    return own > 0 or (frameless >= 2 and not other)


def _fold_own_frames(stream: BinaryIO, folder: PerfFolder) -> None:
    """Fold samples without callchains: each sample line is read as its header, then its own frame
    as a one-frame callchain (none for a frameless sample), then the blank line that ends a record,
    numbered as the line it came from."""

    def records() -> Any:
        for lineno, raw in enumerate(stream, 1):
            line = raw[:-1] if raw.endswith(b"\n") else raw
            parts = split_own_frame(line)
            if parts is not None:
                yield lineno, parts[0]
                yield lineno, b"\t" + parts[1]
                yield lineno, b""
            elif (header := frameless_header(line)) is not None:
                yield lineno, header
                yield lineno, b""
            else:
                yield lineno, line

    folder.feed_lines(records())
    folder.finish_tail(b"", 0)


def fold_stream(stream: BinaryIO, settings: PerfSettings, options: CollapseOptions,
                own_frames: bool = False) -> PerfFolder:
    """Fold a whole stream into a PerfFolder (one process); ``own_frames``: samples without
    callchains (:func:`has_no_callchains`)."""
    from ._perf_fold import PerfFolder

    with no_gc():
        folder = PerfFolder(settings, options.source, options.skips, options.resolver)
        if settings.naming.srcline:
            # -F +srcline lines may belong to the next record: go line by line, as Perl does
            _fold_lines(stream, folder)
            return folder
        if own_frames:
            _fold_own_frames(stream, folder)
            return folder
        for is_tail, data, line in blocks(stream):
            if is_tail:
                folder.finish_tail(data, line)
            else:
                folder.feed(data, line)
        return folder


def _fold_lines(stream: BinaryIO, folder: PerfFolder) -> None:
    def numbered() -> Any:
        lineno = 0
        for raw in stream:
            lineno += 1
            yield lineno, raw[:-1] if raw.endswith(b"\n") else raw
    lines = numbered()
    folder.feed_lines(lines)
    folder.finish_tail(b"", 0)


class PerfCollapser:
    name: ClassVar[str] = "perf"
    priority: ClassVar[int] = 100
    description: ClassVar[str] = "perf script text (and perf.data through perf script)"

    def detect(self, head: bytes) -> bool | None:
        """Sure when a sample header line is followed by a frame line ``ADDR SYM (DSO)``, or ends
        in ``EVENT:`` and is followed by a blank line (a sample with an empty callchain).

        Also sure for samples without callchains (``perf script -G``, a capture recorded
        without ``-g``): sample lines that end in their own frame (:func:`has_no_callchains`)."""
        if not _colon_then_blank(head) and not ((has_any(head, b" (") or has_line_starting(head, b" ", b"\t"))
                                                and _RX_DETECT_FRAME.search(head)):
            return False  # no event and no frame line: nothing below can say yes (folded text: ~0.2 ms, not ~2)
        if has_no_callchains(head):
            return True
        lines = head.split(b"\n")
        for i, line in enumerate(lines[:-1]):
            if not line or line[:1] in b"# \t":
                continue
            if parse_header(line) is None:
                continue
            nxt = lines[i + 1]
            if _RX_DETECT_FRAME.match(nxt) or (not nxt.strip() and RX_EVENT.search(line)):
                return True
        return False

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        settings = settings_from(options)
        from ._perf_parallel import fold_parallel, parallel_plan

        head = options.get("_head")
        own_frames = head is not None and has_no_callchains(head)
        plan = None if own_frames else parallel_plan(options, settings)
        if plan is not None:
            folder_stacks = fold_parallel(stream, options, settings, *plan)
            stacks, meta = folder_stacks
        else:
            folder = fold_stream(stream, settings, options, own_frames)
            folder.report_filtered()
            stacks, meta = folder.stacks(), summary(folder)
        if settings.naming.inline:
            from ._perf_inline import expand_inline

            stacks = expand_inline(stacks, settings.naming.context)
        return make_profile(stacks, meta, settings, options.source)


def summary(folder: PerfFolder) -> dict[str, Any]:
    """What a Profile needs to know about a fold besides its stacks."""
    return {"event": folder.event_filter, "periods": folder.periods, "samples": folder.samples}


def make_profile(stacks: dict[tuple[str, ...], int], meta: dict[str, Any], settings: PerfSettings,
                 source: str) -> Profile:
    """A Profile labelled with the unit its weights are in and the event kept."""
    event = meta["event"]
    if settings.weight == "period" and not meta["periods"] and meta["samples"]:
        raise InputError(source, None, "--weight period, but perf printed no period "
                                       "(use 'perf script -F +period' or --weight samples)")
    if settings.weight != "samples" and meta["periods"]:
        base = (event or b"").split(b":")[0]
        unit = "nanoseconds" if base in _TIME_EVENTS else "period"
    else:
        unit = "samples"
    # the stacks' order is that of the memo tables (and, with two processes, of who folded
    # which chunk): not the capture's, so a flame chart sorts them
    p = Profile(stacks, unit=unit, event=event.decode("utf-8", "surrogateescape") if event else None,
                input_order=False)
    p.meta["samples"] = str(meta["samples"])
    return p


COLLAPSER = PerfCollapser()
