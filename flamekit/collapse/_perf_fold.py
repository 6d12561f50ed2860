"""Folding ``perf script`` text into counts, with stackcollapse-perf.pl's exact semantics.

The Perl script reads line by line: a header line sets the process name and
period, frame lines are pushed, a blank line records the stack.  This module
reproduces that state machine (:meth:`PerfFolder.feed_lines`, the reference)
and adds a fast path for the common case (:meth:`PerfFolder.feed`): a record
whose frame lines are plain has its leaf line and its caller lines turned into
frames once per distinct raw text (bounded memo tables), and is counted under
the process name and the identities of those interned frame tuples.  Anything
unusual (comments, stray lines, header-like frame lines) goes to the state
machine, so both paths give the same stacks (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any
from dataclasses import dataclass

from ..errors import Skips
from ._perf_frames import RX_FRAME, FrameNamer, NamingOptions
from ._perf_header import RX_HEAD, Header, is_exited_task, parse_exited, parse_header

ENC, ERR = "utf-8", "surrogateescape"
_WS_OR_HASH = frozenset(b" \t\n\r\x0b\x0c#")
_COMPLEX: Any = object()  # memo value: these lines need the line-by-line state machine
_EMPTY: tuple[str, ...] = ()
#: entries per memo table before it is emptied (keeps memory bounded on any input)
CACHE_LIMIT = 12_000
LINE_CACHE_LIMIT = 40_000


@dataclass(frozen=True)
class PerfSettings:
    """Everything that changes how a capture is folded."""

    naming: NamingOptions = NamingOptions()
    pid: bool = False
    tid: bool = False
    weight: str = "auto"  # auto | samples | period
    event_filter: bytes | None = None
    exited_as: bytes | None = None
    keep_last_sample: bool = False


def _is_id(word: bytes) -> bool:
    """``TID`` or ``PID/TID`` as digits: the header shapes whose parse depends on the word alone."""
    if word.isdigit():
        return True
    pid, sep, tid = word.partition(b"/")
    return bool(sep) and pid.isdigit() and tid.isdigit()


def decode(b: bytes) -> str:
    return b.decode(ENC, ERR)


class PerfFolder:
    """Accumulates samples; feed it complete records, then :meth:`finish`."""

    def __init__(self, settings: PerfSettings, source: str, skips: Skips, resolver: object = None) -> None:
        self.s = settings
        self.source = source
        self.skips = skips
        self.namer = FrameNamer(settings.naming, resolver)
        # (process name, id of interned caller frames, id of interned leaf frames) -> weight
        self.fast: dict[tuple[bytes, int, int], int] = {}
        self.interned: dict[tuple[str, ...], tuple[str, ...]] = {_EMPTY: _EMPTY}
        self.by_id: dict[int, tuple[str, ...]] = {id(_EMPTY): _EMPTY}
        self.heads: dict[tuple[bytes, bytes, bytes], tuple[bytes, bool]] = {}
        self.slow: dict[tuple[str, ...], int] = {}  # stacks recorded by the state machine
        # bounded memo tables: raw leaf line or caller lines -> frames; frame line sans address -> names
        self.memo: dict[bytes, Any] = {}
        self.raw: dict[bytes, tuple[str, ...]] = {}
        self.leaves: dict[bytes, tuple[str, ...]] = {}  # interned
        self.tails: dict[bytes, tuple[str, ...]] = {}
        self.java_memo: dict[bytes, Any] = {}
        self.java_raw: dict[bytes, tuple[str, ...]] = {}
        self.java_leaves: dict[bytes, tuple[str, ...]] = {}
        self.java_tails: dict[bytes, tuple[str, ...]] = {}
        n = settings.naming
        self.address_free = not (n.addrs or n.inline or resolver is not None)
        self.event_filter = settings.event_filter
        self.event_defaulted = settings.event_filter is None
        self.filtered = 0
        self.filtered_first: int | None = None
        self.other_event: bytes | None = None
        self.periods = False  # some header printed a period
        self.samples = 0
        self.lines_seen = 0  # lines before the unterminated tail (set by the reader)
        # state machine
        self.pname: str | None = None
        self.in_filtered = False  # between a filtered-out sample's header and its blank line
        self.period = 1
        self.frames: list[list[str]] = []

    # -- headers ---------------------------------------------------------------
    def _header(self, line: bytes) -> Header | None:
        if self.s.exited_as is not None and line[:3] == b":-1" and is_exited_task(line):
            return parse_exited(line, self.s.exited_as)
        return parse_header(line)

    def _event_check(self, event: bytes) -> bool:
        """Whether samples of ``event`` are kept (the first event seen becomes the filter)."""
        f = self.event_filter
        if f is None:
            self.event_filter = event
            return True
        return event == f or (not self.event_defaulted and event.startswith(f + b":"))

    def _count_filtered(self, event: bytes, lineno: int | None) -> None:
        self.filtered += 1
        if self.filtered_first is None:
            self.filtered_first = lineno
            self.other_event = event

    def _event_ok(self, event: bytes, lineno: int | None) -> bool:
        if self._event_check(event):
            return True
        self._count_filtered(event, lineno)
        return False

    def _pname(self, h: Header) -> bytes:
        if self.s.tid:
            return b"%s-%s/%s" % (h.comm, h.pid, h.tid)
        if self.s.pid:
            return b"%s-%s" % (h.comm, h.pid)
        return h.comm

    def _weight(self, h: Header) -> int:
        if h.printed_period:
            self.periods = True
        return 1 if self.s.weight == "samples" else h.period

    # -- the fast path ---------------------------------------------------------
    def feed(self, data: bytes, first_line: int) -> None:
        """Fold ``data``: whole records separated by blank lines, not ending in one.

        ``first_line`` is the line number of data's first line (for messages).
        A record's frames are memoized on the raw text of its leaf line and,
        separately, of its caller lines: the leaf address changes from sample
        to sample, the callers much less.  Frame tuples are interned, so a
        sample is counted under ``(process name, id(callers), id(leaf))``
        without hashing its stack.  Headers of the commonest shape
        (``COMM TID [CPU] TIME: PERIOD EVENT:``) are decided once per
        ``(COMM, TID, PERIOD, EVENT)`` words; any other goes through
        :func:`parse_header`.
        """
        fast = self.fast
        heads = self.heads
        by_samples = self.s.weight == "samples"
        memo, java_memo = self.memo, self.java_memo
        leaves, java_leaves = self.leaves, self.java_leaves
        frames_of, leaf_of = self._frames, self._leaf
        ws_or_hash = _WS_OR_HASH
        samples = 0
        pos = 0
        for group in data.split(b"\n\n"):
            # (a group starting with a blank line has an empty header: the state machine takes it)
            nl = group.find(b"\n")
            header = group if nl < 0 else group[:nl]
            toks = header.split()
            hv = heads.get((toks[0], toks[1], toks[-1])) if len(toks) >= 4 else None
            if (hv is not None and toks[-3][-1:] == b":" and header[:1] not in ws_or_hash
                    and (ptok := toks[-2]).isdigit() and ptok != b"0"):
                pname, java = hv
                w = 1 if by_samples else int(ptok)
            else:
                hw = self._general_header(header, toks) if header else None
                if hw is None:
                    self._slow_group(data, pos, group, first_line)
                    pos += len(group) + 2
                    continue
                pname, w, java = hw
            if nl < 0:
                cf = lf = _EMPTY
            else:
                nl2 = group.find(b"\n", nl + 1)
                if nl2 < 0:
                    leaf = group[nl + 1:]
                    cf = _EMPTY
                else:
                    leaf = group[nl + 1:nl2]
                    rest = group[nl2 + 1:]
                    cf = (java_memo if java else memo).get(rest)  # type: ignore[assignment]
                    if cf is None:
                        cf = frames_of(rest, java)
                lf = (java_leaves if java else leaves).get(leaf)  # type: ignore[assignment]
                if lf is None:
                    lf = leaf_of(leaf, java)
                if lf is _COMPLEX or cf is _COMPLEX:
                    self._slow_group(data, pos, group, first_line)
                    pos += len(group) + 2
                    continue
            pos += len(group) + 2
            if w is None:  # a sample of an event that is filtered out (pname holds the event)
                self._count_filtered(pname, None)
                continue
            key = (pname, id(cf), id(lf))
            fast[key] = fast.get(key, 0) + w
            samples += 1
        self.samples += samples

    def _general_header(self, header: bytes, toks: list[bytes]) -> tuple[Any, Any, bool] | None:
        """``(process name, weight, java?)`` for a header, or None when it is not one.

        A filtered-out event gives ``(event, None, False)``.  Headers of the
        commonest shape are remembered in ``self.heads`` by their COMM, TID and
        EVENT words (the period may change with every sample).
        """
        if header[:1] == b"#":
            return None
        h: Header | None
        if self.s.exited_as is not None and header[:3] == b":-1" and is_exited_task(header):
            h = parse_exited(header, self.s.exited_as)
        else:
            h = parse_header(header)
        if h is None:
            return None
        comm, pid, tid, period, event, printed = h
        if event is not None and event != self.event_filter and not self._event_check(event):
            return (event, None, False)  # the caller counts it once its frames are known to be plain
        if printed:
            self.periods = True
        pname = self._pname(h)
        hv = (pname, 1 if self.s.weight == "samples" else period, pname[:4] == b"java")
        # the commonest shape: the Perl regexes' answer depends on COMM, TID and EVENT only,
        # given a PERIOD of digits (not "0"), a TIME word ending in ':' and no leading
        # blank, which feed checks per sample
        if (len(toks) >= 4 and _is_id(toks[1]) and toks[-2].isdigit() and toks[-1][-1:] == b":"
                and len(toks[-1]) >= 2 and len(toks[0]) >= 2 and toks[-2] != b"0"
                and toks[0][:1] != b"#" and event == toks[-1][:-1] and header[:1] not in _WS_OR_HASH
                and toks[-3][-1:] == b":" and not (self.s.exited_as is not None and comm == b":-1")):
            if len(self.heads) >= CACHE_LIMIT:
                self.heads.clear()
            self.heads[(toks[0], toks[1], toks[-1])] = (hv[0], hv[2])
        return hv

    def _frames(self, block: bytes, is_java: bool) -> Any:
        """Frames (root first) of frame lines (a record's leaf or its callers), memoized on the text.

        Each line is looked up raw first (a call site prints the same line every
        time), all at once in C; a line not seen yet goes through :meth:`_line`.
        """
        memo = self.java_memo if is_java else self.memo
        if len(memo) >= CACHE_LIMIT:
            memo.clear()
        raw = self.java_raw if is_java else self.raw
        lines = block.split(b"\n")
        found = list(map(raw.get, lines))
        if None in found:
            if len(raw) >= LINE_CACHE_LIMIT:
                raw.clear()
            for i, names in enumerate(found):
                if names is None:
                    names = self._line(lines[i], is_java)
                    if names is _COMPLEX:
                        memo[block] = _COMPLEX
                        return _COMPLEX
                    raw[lines[i]] = found[i] = names
        found.reverse()
        frames = memo[block] = self._intern(tuple(chain.from_iterable(found)))  # type: ignore[arg-type]
        return frames

    def _intern(self, frames: tuple[str, ...]) -> tuple[str, ...]:
        """The one tuple object for these frames (so its id names them while counting)."""
        known = self.interned.get(frames)
        if known is None:
            self.interned[frames] = frames
            self.by_id[id(frames)] = frames
            return frames
        return known

    def _leaf(self, line: bytes, is_java: bool) -> Any:
        """The frames of a leaf line, memoized on its raw text (or _COMPLEX)."""
        leaves = self.java_leaves if is_java else self.leaves
        names = self._line(line, is_java)
        if names is not _COMPLEX:
            names = self._intern(names)
            if len(leaves) >= LINE_CACHE_LIMIT:
                leaves.clear()
            leaves[line] = names
        return names

    def _line(self, line: bytes, is_java: bool) -> Any:
        """The frames of one frame line, or _COMPLEX when the state machine must see it.

        An indented line whose first word (the address) is all letters and
        digits is also memoized without it: names do not depend on the address
        unless --addrs/--inline/a resolver ask, and a function shows up at
        many addresses.
        """
        tails = self.java_tails if is_java else self.tails
        tail = None
        if self.address_free and line[:1] in b" \t" and line:
            token, sp, rest = line.lstrip(b" \t").partition(b" ")
            if sp and token.isalnum():
                tail = rest
                names = tails.get(tail)
                if names is not None:
                    return names
        if not line or line[:1] == b"#" or RX_HEAD.match(line):
            return _COMPLEX
        text = decode(line)
        found = self.namer.line_frames(text, is_java)
        if found is None:
            return _COMPLEX
        names = tuple(found)
        if tail is not None:
            m = RX_FRAME.match(text)
            if m is not None and m.group(1) == decode(token):  # the regex took the whole word as address
                if len(tails) >= LINE_CACHE_LIMIT:
                    tails.clear()
                tails[tail] = names
        return names

    def _slow_group(self, data: bytes, pos: int, group: bytes, first_line: int) -> None:
        """A record the fast path cannot take, through the state machine with true line numbers."""
        lineno = first_line + data.count(b"\n", 0, pos)
        lines = group.split(b"\n")
        lines.append(b"")
        self.feed_lines(iter(enumerate(lines, lineno)))

    # -- the reference state machine -----------------------------------------------
    def feed_lines(self, lines: Iterator[tuple[int, bytes]]) -> None:
        """Process numbered lines exactly as stackcollapse-perf.pl's main loop does."""

        def next_line() -> bytes | None:
            item = next(lines, None)
            return None if item is None else item[1]

        for lineno, line in lines:
            if line[:1] == b"#":
                continue
            if not line:
                self.in_filtered = False
                if self.pname is not None:
                    self._remember()
                continue
            h = self._header(line)
            if h is not None:
                if h.event is not None and not self._event_ok(h.event, lineno):
                    self.in_filtered = True
                    continue
                self.in_filtered = False
                self.period = self._weight(h)
                self.pname = decode(self._pname(h)).replace(" ", "_")
                self.samples += 1
                continue
            text = decode(line)
            if RX_FRAME.match(text):
                if self.pname is None:
                    # a frame with no sample header before it (perf script -G, or a
                    # header perf printed that is not one): dropped as the Perl script
                    # does, but never silently; a filtered sample's frames are counted
                    # with that sample
                    if not self.in_filtered:
                        self.skips.skip(self.source, lineno, "frame line outside any sample (no header before it)")
                    continue
                names = self.namer.line_frames(text, self.pname.startswith("java"), next_line)
                assert names is not None
                self.frames.append(names)
            else:
                self.skips.skip(self.source, lineno, "unrecognized line")

    def _remember(self) -> None:
        assert self.pname is not None
        stack = [self.pname]
        for names in reversed(self.frames):
            stack.extend(names)
        key = tuple(stack)
        self.slow[key] = self.slow.get(key, 0) + self.period
        self.pname = None
        self.frames = []

    def finish_tail(self, tail: bytes, first_line: int) -> None:
        """The input's last, unterminated piece: Perl never records its last sample."""
        if tail.endswith(b"\n"):
            tail = tail[:-1]
        if tail:
            self.feed_lines(iter(enumerate(tail.split(b"\n"), first_line)))
        if self.pname is not None:
            if self.s.keep_last_sample:
                self._remember()
            else:
                self.skips.skip(self.source, None, "the last sample has no blank line after it; dropped as "
                                "stackcollapse-perf.pl does (--keep-last-sample counts it)")
                self.pname = None
                self.frames = []

    # -- results ---------------------------------------------------------------------
    def stacks(self) -> dict[tuple[str, ...], int]:
        """Every stack counted so far, fast and slow paths merged."""
        out = dict(self.slow)
        names: dict[bytes, str] = {}
        by_id = self.by_id
        for (pname_b, callers, leaf), w in self.fast.items():
            pname = names.get(pname_b)
            if pname is None:
                pname = names[pname_b] = decode(pname_b).replace(" ", "_")
            key = (pname, *by_id[callers], *by_id[leaf])
            out[key] = out.get(key, 0) + w
        return out

    def report_filtered(self) -> None:
        """Record samples of other events as skipped, as the Perl script warns about them."""
        if self.filtered and self.event_defaulted:
            self.skips.add(self.source, self.filtered, self.filtered_first,
                           f"sample of event {decode(self.other_event or b'')!r}: only the first event seen, "
                           f"{decode(self.event_filter or b'')!r}, is kept (choose with --event-filter)")
