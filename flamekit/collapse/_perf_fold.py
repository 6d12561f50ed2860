"""Folding ``perf script`` text into counts, with stackcollapse-perf.pl's exact semantics.

The Perl script reads line by line: a header line sets the process name and
period, frame lines are pushed, a blank line records the stack.  This module
reproduces that state machine (:meth:`PerfFolder.feed_lines`, the reference)
and adds a fast path for the common case: a record whose body (its frame
lines) is plain is counted by ``(process name, raw body bytes)`` and the body
is turned into frames only once, however many samples repeat it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import Skips
from ._perf_frames import RX_FRAME, FrameNamer, NamingOptions
from ._perf_header import RX_HEAD, Header, is_exited_task, parse_exited, parse_header

ENC, ERR = "utf-8", "surrogateescape"
_COMPLEX = None  # body-cache value: this body needs the line-by-line state machine


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


def decode(b: bytes) -> str:
    return b.decode(ENC, ERR)


class PerfFolder:
    """Accumulates samples; feed it complete records, then :meth:`finish`."""

    def __init__(self, settings: PerfSettings, source: str, skips: Skips, resolver: object = None) -> None:
        self.s = settings
        self.source = source
        self.skips = skips
        self.namer = FrameNamer(settings.naming, resolver)
        self.fast: dict[tuple[bytes, bytes], int] = {}  # (process name, body) -> weight
        self.slow: dict[tuple[str, ...], int] = {}  # stacks recorded by the state machine
        self.bodies: dict[bytes, tuple[str, ...] | None] = {}
        self.java_bodies: dict[bytes, tuple[str, ...]] = {}
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
        self.period = 1
        self.frames: list[list[str]] = []

    # -- headers ---------------------------------------------------------------
    def _header(self, line: bytes) -> Header | None:
        if self.s.exited_as is not None and line[:3] == b":-1" and is_exited_task(line):
            return parse_exited(line, self.s.exited_as)
        return parse_header(line)

    def _event_ok(self, event: bytes, lineno: int | None) -> bool:
        f = self.event_filter
        if f is None:
            self.event_filter = event
            return True
        if event == f or (not self.event_defaulted and event.startswith(f + b":")):
            return True
        self.filtered += 1
        if self.filtered_first is None:
            self.filtered_first = lineno
            self.other_event = event
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
    def feed(self, data: bytes, first_line: int) -> int:
        """Fold ``data``: whole records separated by blank lines, not ending in one.

        ``first_line`` is the line number of data's first line (for messages);
        returns the number of lines ``data`` holds plus the blank line after it.
        """
        fast = self.fast
        bodies = self.bodies
        pos = 0
        for group in data.split(b"\n\n"):
            glen = len(group)
            if group[:1] == b"\n":
                group = group.lstrip(b"\n")
            nl = group.find(b"\n")
            header = group if nl < 0 else group[:nl]
            h = self._header(header) if header[:1] != b"#" else None
            if h is None:
                self._slow_group(data, pos, glen - len(group), group, first_line)
                pos += glen + 2
                continue
            body = b"" if nl < 0 else group[nl + 1:]
            frames = bodies.get(body, 0)
            if frames == 0:
                frames = bodies[body] = self._analyze(body)
            if frames is _COMPLEX:
                self._slow_group(data, pos, glen - len(group), group, first_line)
                pos += glen + 2
                continue
            pos += glen + 2
            if h.event is not None and not self._event_ok(h.event, None):
                continue
            key = (self._pname(h), body)
            w = self._weight(h)
            fast[key] = fast.get(key, 0) + w
            self.samples += 1
        return data.count(b"\n") + 2

    def _analyze(self, body: bytes, is_java: bool = False) -> tuple[str, ...] | None:
        """The frames (root first) of a plain body, or _COMPLEX when it needs the state machine."""
        if not body:
            return ()
        per_line: list[list[str]] = []
        for line in body.split(b"\n"):
            if not line or line[:1] == b"#" or RX_HEAD.match(line):
                return _COMPLEX
            names = self.namer.line_frames(decode(line), is_java)
            if names is None:
                return _COMPLEX
            per_line.append(names)
        out: list[str] = []
        for names in reversed(per_line):
            out.extend(names)
        return tuple(out)

    def _slow_group(self, data: bytes, pos: int, blank_lines: int, group: bytes, first_line: int) -> None:
        """A record the fast path cannot take, through the state machine with true line numbers."""
        lineno = first_line + data.count(b"\n", 0, pos) + blank_lines
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
                if self.pname is not None:
                    self._remember()
                continue
            h = self._header(line)
            if h is not None:
                if h.event is not None and not self._event_ok(h.event, lineno):
                    continue
                self.period = self._weight(h)
                self.pname = decode(self._pname(h)).replace(" ", "_")
                self.samples += 1
                continue
            text = decode(line)
            if RX_FRAME.match(text):
                if self.pname is None:
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

    def pending(self) -> bool:
        """True when a sample was started but no blank line closed it yet."""
        return self.pname is not None

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
        for (pname_b, body), w in self.fast.items():
            pname = names.get(pname_b)
            if pname is None:
                pname = names[pname_b] = decode(pname_b).replace(" ", "_")
            if pname.startswith("java"):
                frames = self.java_bodies.get(body)
                if frames is None:
                    frames = self.java_bodies[body] = self._analyze(body, True) or ()
            else:
                frames = self.bodies[body] or ()
            key = (pname, *frames)
            out[key] = out.get(key, 0) + w
        return out

    def report_filtered(self) -> None:
        """Record samples of other events as skipped, as the Perl script warns about them."""
        if self.filtered and self.event_defaulted:
            self.skips.add(self.source, self.filtered, self.filtered_first,
                           f"sample of event {decode(self.other_event or b'')!r}: only the first event seen, "
                           f"{decode(self.event_filter or b'')!r}, is kept (choose with --event-filter)")
