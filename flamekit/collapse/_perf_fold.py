"""Folding ``perf script`` text into counts, with stackcollapse-perf.pl's exact semantics.

The Perl script reads line by line: a header line sets the process name and
period, frame lines are pushed, a blank line records the stack.  This module
reproduces that state machine (:meth:`PerfFolder.feed_lines`, the reference)
and adds a fast path for the common case (:meth:`PerfFolder.feed`): a record
whose frame lines are plain has its leaf line and its caller lines turned into
frames once per distinct raw text (bounded memo tables of :mod:`._perf_memo`,
which also shares frames between texts that differ only in addresses), and is
counted under the process name and the numbers of those frame tuples.  Anything
unusual (comments, stray lines, header-like frame lines) goes to the state
machine, so both paths give the same stacks (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .._records import TYPE_CHECKING, NamedTuple

from ..errors import Skips
from ._perf_frames import RX_FRAME, FrameNamer, NamingOptions
from ._perf_header import Header, is_exited_task, parse_exited, parse_header
from ._perf_memo import COMPLEX, FrameMemo, Interner

if TYPE_CHECKING:
    from typing import Any

ENC, ERR = "utf-8", "surrogateescape"
_WS_OR_HASH = frozenset(b" \t\n\r\x0b\x0c#")  # first bytes (ints) that make a line no header
#: header shapes remembered before the table is emptied (keeps memory bounded on any input)
HEAD_LIMIT = 12_000
#: the leaf's frame tuple number in a count key (an Interner never numbers 2**32 tuples)
_LOW32 = (1 << 32) - 1


class PerfSettings(NamedTuple):
    """Everything that changes how a capture is folded (an immutable record: ``_replace`` makes a changed copy)."""

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


class _LineOf:
    """Line numbers of the records of one block, by index (asked in increasing order).

    Counted from the last record asked for, so a block where every record needs
    the state machine still costs one pass.
    """

    def __init__(self, data: bytes, groups: list[bytes], first_line: int) -> None:
        self.data = data
        self.groups = groups
        self.i = 0
        self.pos = 0
        self.line = first_line

    def __call__(self, i: int) -> int:
        pos = self.pos + sum(map(len, self.groups[self.i:i])) + 2 * (i - self.i)
        self.line += self.data.count(b"\n", self.pos, pos)
        self.i, self.pos = i, pos
        return self.line


class PerfFolder:
    """Accumulates samples; feed it complete records, then :meth:`finish`."""

    def __init__(self, settings: PerfSettings, source: str, skips: Skips, resolver: object = None) -> None:
        self.s = settings
        self.source = source
        self.skips = skips
        self.namer = FrameNamer(settings.naming, resolver)
        # process name -> (callers frames number << 32 | leaf frames number) -> weight
        self.fast: dict[bytes, dict[int, int]] = {}
        self.interned = Interner()
        # (COMM, TID, EVENT:) words -> (its process name's counts, their get, *memo lookups of its naming)
        self.heads: dict[tuple[bytes, bytes, bytes], tuple[Any, ...]] = {}
        self.slow: dict[tuple[str, ...], int] = {}  # stacks recorded by the state machine
        n = settings.naming
        address_free = not (n.addrs or n.inline or resolver is not None)
        # memo tables of the other processes' records, and of Java's (names depend on it)
        self.memos: tuple[FrameMemo, ...] = (FrameMemo(self.namer, False, address_free, self.interned),
                                             FrameMemo(self.namer, True, address_free, self.interned))
        # what feed calls per record: leaf lookup, leaf miss, callers lookup, callers miss
        self._lookups = [(m.leaves.get, m.leaf, m.callers.get, m.callers_of) for m in self.memos]
        self.event_filter = settings.event_filter
        self.event_defaulted = settings.event_filter is None
        self.filtered = 0
        self.filtered_first: int | None = None
        self.other_event: bytes | None = None
        self.periods = False  # some header printed a period
        self.samples = 0
        # state machine
        self.pname: str | None = None
        self.in_filtered = False  # between a filtered-out sample's header and its blank line
        self.period = 1
        self.frames: list[Sequence[str]] = []

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
        if self.other_event is None:  # the first one: its event and line are reported
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
        A record's frames are looked up by the raw text of its leaf line and,
        separately, of its caller lines (the leaf address changes from sample
        to sample, the callers much less); misses go to :class:`FrameMemo`,
        which also says when the record needs the state machine (the raw
        tables never hold that answer, so only a miss has to check for it).
        Frame tuples are numbered, so a sample is counted in its process
        name's table under one int, ``callers number << 32 | leaf number``,
        without hashing its stack.  Headers of the commonest shape (``COMM TID
        [CPU] TIME: PERIOD EVENT:``) are decided once per ``(COMM, TID,
        EVENT)`` words; any other goes through :func:`parse_header`.
        """
        heads_get = self.heads.get
        by_samples = self.s.weight == "samples"
        ws_or_hash = _WS_OR_HASH
        groups = data.split(b"\n\n")
        line_of = _LineOf(data, groups, first_line)
        not_counted = 0
        for i, group in enumerate(groups):
            # (a group starting with a blank line has an empty header: the state machine takes it)
            parts = group.split(b"\n", 2)  # header, leaf line, caller lines
            header = parts[0]
            toks = header.split()
            hv = heads_get((toks[0], toks[1], toks[-1])) if len(toks) >= 4 else None
            if (hv is not None and header[0] not in ws_or_hash and toks[-3][-1] == 58
                    and (ptok := toks[-2]).isdigit() and ptok != b"0"):
                counts, count_get, leaf_get, leaf_of, callers_get, callers_of = hv
                w = 1 if by_samples else int(ptok)
            else:
                hw = self._general_header(header, toks) if header else None
                if hw is None:
                    self._slow_group(group, line_of(i))
                    not_counted += 1
                    continue
                w, (counts, count_get, leaf_get, leaf_of, callers_get, callers_of) = hw
            if len(parts) == 3:
                leaf = parts[1]
                lf = leaf_get(leaf)
                if lf is None:
                    lf = leaf_of(leaf)
                callers = parts[2]
                cf = callers_get(callers)
                if cf is None:
                    cf = callers_of(callers)
                key = COMPLEX if lf is COMPLEX or cf is COMPLEX else cf << 32 | lf
            elif len(parts) == 2:
                leaf = parts[1]
                key = leaf_get(leaf)
                if key is None:
                    key = leaf_of(leaf)
            else:
                key = 0
            if key is COMPLEX:  # only a miss can answer this (the raw tables never hold it)
                self._slow_group(group, line_of(i))
                not_counted += 1
                continue
            if w is None:  # a sample of an event that is filtered out (``counts`` holds the event)
                self._count_filtered(counts, line_of(i) if self.other_event is None else None)
                not_counted += 1
                continue
            counts[key] = count_get(key, 0) + w
        self.samples += len(groups) - not_counted

    def _general_header(self, header: bytes, toks: list[bytes]) -> tuple[Any, tuple[Any, ...]] | None:
        """``(weight, (counts, counts.get, *memo lookups))`` for a header, or None when it is not one.

        ``counts`` is the sample table of the header's process name.  A
        filtered-out event gives ``(None, (event, None, *memo lookups))``.
        Headers of the commonest shape are remembered in ``self.heads`` by their
        COMM, TID and EVENT words (the period may change with every sample).
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
        comm, _, _, period, event, printed = h
        if event is not None and event != self.event_filter and not self._event_check(event):
            # the caller counts it once its frames are known to be plain
            return None, (event, None, *self._lookups[0])
        if printed:
            self.periods = True
        pname = self._pname(h)
        counts = self.fast.get(pname)
        if counts is None:
            counts = self.fast[pname] = {}
        hv = (counts, counts.get, *self._lookups[pname[:4] == b"java"])
        # the commonest shape: the Perl regexes' answer depends on COMM, TID and EVENT only,
        # given a PERIOD of digits (not "0"), a TIME word ending in ':' and no leading
        # blank, which feed checks per sample
        if (len(toks) >= 4 and _is_id(toks[1]) and toks[-2].isdigit() and toks[-1][-1:] == b":"
                and len(toks[-1]) >= 2 and len(toks[0]) >= 2 and toks[-2] != b"0"
                and toks[0][:1] != b"#" and event == toks[-1][:-1] and header[0] not in _WS_OR_HASH
                and toks[-3][-1:] == b":" and not (self.s.exited_as is not None and comm == b":-1")):
            if len(self.heads) >= HEAD_LIMIT:
                self.heads.clear()
            self.heads[(toks[0], toks[1], toks[-1])] = hv
        return 1 if self.s.weight == "samples" else period, hv

    def _slow_group(self, group: bytes, lineno: int) -> None:
        """A record the fast path cannot take, through the state machine with true line numbers."""
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
                if self.pname is not None:  # the Perl script drops it too, but never silently here
                    self.skips.skip(self.source, lineno, "sample header before the blank line ending the "
                                    "previous sample (that sample is dropped)")
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
        by_id = self.interned.frames
        for pname_b, counts in self.fast.items():
            pname = decode(pname_b).replace(" ", "_")
            for k, w in counts.items():
                key = (pname, *by_id[k >> 32], *by_id[k & _LOW32])
                out[key] = out.get(key, 0) + w
        return out

    def release(self) -> None:
        """Free the memo tables and counts once :meth:`stacks` was taken (summary and filtered
        counts stay): the two-process fold frees them while the other process still works."""
        self.memos = ()
        self._lookups = []
        self.heads = {}
        self.fast = {}
        self.slow = {}
        self.interned = Interner()
        self.namer = FrameNamer(self.s.naming)

    def report_filtered(self) -> None:
        """Record samples of other events as skipped, as the Perl script warns about them."""
        if self.filtered and self.event_defaulted:
            self.skips.add(self.source, self.filtered, self.filtered_first,
                           f"sample of event {decode(self.other_event or b'')!r}: only the first event seen, "
                           f"{decode(self.event_filter or b'')!r}, is kept (choose with --event-filter)")
