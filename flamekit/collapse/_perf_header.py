"""The sample header line of ``perf script`` output, parsed as stackcollapse-perf.pl does.

``parse_header`` gives exactly the answer of the Perl script's two regexes (the
reference), but takes a ``split()``-based shortcut for the shapes perf really
prints, because it runs once per sample on the hot path.  Header lines are
bytes; nothing is decoded here.
"""

from __future__ import annotations

from .._records import NamedTuple
from ._lazy_re import lazy

# stackcollapse-perf.pl: "event record start" and the period/event on its right
RX_HEAD = lazy(rb"^(\S.+?)\s+(\d+)/*(\d+)*\s+")
RX_EVENT = lazy(rb":\s*(\d+)*\s+(\S+):\s*$")
# an exited task as perf prints it: comm ":-1", id "-1" (or "-1/-1")
RX_EXITED = lazy(rb"^:-1\s+-1(?:/-1)?\s")

_WS = b" \t\n\r\x0b\x0c"


class Header(NamedTuple):
    """What a header says: comm, pid/tid as the Perl script reads them, period and event."""

    comm: bytes
    pid: bytes  # b"?" when perf printed only one id
    tid: bytes
    period: int  # 1 when perf printed none (or 0)
    event: bytes | None  # None when the line has no trailing "EVENT:"
    printed_period: bool  # whether perf printed a period at all


_new = tuple.__new__  # builds a Header without NamedTuple's argument parsing (hot path)


def _finish(comm: bytes, pid: bytes, tid: bytes | None, period: bytes | None, event: bytes | None) -> Header:
    # Perl truthiness: an absent tid, or the string "0", is false
    if not tid or tid == b"0":
        tid, pid = pid, b"?"
    p = 1 if (not period or period == b"0") else int(period)
    return _new(Header, (comm, pid, tid, p, event, period is not None))  # type: ignore[no-any-return]


def parse_header_slow(line: bytes) -> Header | None:
    """The reference: the Perl script's regexes, verbatim in meaning."""
    m = RX_HEAD.match(line)
    if m is None:
        return None
    e = RX_EVENT.search(line)
    period, event = (e.group(1), e.group(2)) if e else (None, None)
    return _finish(m.group(1), m.group(2), m.group(3), period, event)


def parse_header(line: bytes) -> Header | None:
    """The header fields, or None when ``line`` is not a sample header.

    Shortcut: ``COMM ID ... [PERIOD] EVENT:`` with a one-word comm and an id of
    digits or digits/digits.  Within those shapes the lazy comm of the Perl
    regex is provably the first word and the event is the last word; anything
    else goes to :func:`parse_header_slow`.
    """
    toks = line.split()
    if len(toks) < 3 or not line or line[0] in _WS:
        return parse_header_slow(line)
    comm, ident = toks[0], toks[1]
    if len(comm) < 2:
        return parse_header_slow(line)
    if ident.isdigit():
        last = toks[-1]
        if len(last) >= 2 and last[-1] == 58 and ident != b"0":
            prev = toks[-2]
            if prev[-1] == 58:
                return _new(Header, (comm, b"?", ident, 1, last[:-1], False))  # type: ignore[no-any-return]
            if len(toks) >= 4 and prev.isdigit() and toks[-3][-1] == 58 and prev != b"0":
                return _new(Header, (comm, b"?", ident, int(prev), last[:-1], True))  # type: ignore[no-any-return]
        pid, tid = ident, None
    else:
        pid, sep, tid = ident.partition(b"/")
        if not (sep and pid.isdigit() and tid.isdigit()):
            return parse_header_slow(line)
    last = toks[-1]
    if len(last) < 2 or last[-1] != 58:  # ':'
        return parse_header_slow(line)
    prev = toks[-2]
    if prev[-1] == 58:
        return _finish(comm, pid, tid, None, last[:-1])
    if len(toks) >= 4 and prev.isdigit() and toks[-3][-1] == 58:
        return _finish(comm, pid, tid, prev, last[:-1])
    return parse_header_slow(line)


def is_exited_task(line: bytes) -> bool:
    """True for the header of a sample taken after its task exited (``:-1  -1 ...``)."""
    return RX_EXITED.match(line) is not None


def parse_exited(line: bytes, root: bytes) -> Header:
    """An exited task's header with ``root`` as its comm (period and event kept)."""
    e = RX_EVENT.search(line)
    period, event = (e.group(1), e.group(2)) if e else (None, None)
    return _finish(root, b"-1", b"-1", period, event)
