"""BCC tools' stack reports: profile, offcputime, offwaketime, wakeuptime, stackcount.

The default multi-line report prints each record leaf first (kernel frames,
``--`` with ``-d``, user frames), then a process line (``-  comm (pid)``,
``b'comm' [pid]`` for stackcount ``-P``, ``waker:``/``target:`` names) and an
indented count.  Reversing a record's lines gives exactly the root-first stack
that the same tool prints with ``-f``, so both forms collapse to one Profile.
``-f`` output itself is folded text and is read as such.

Weights are what the tool counted: samples (profile), events (stackcount) or
microseconds blocked (offcputime, offwaketime, wakeuptime; told by the
header line).  Params read: ``pid``/``tid`` (``comm-PID`` root frames),
``kernel``/``all`` (``_[k]`` on frames whose module is ``[kernel]``),
``offsets`` (keep ``+0xOFF`` of bcc >= 0.31 ``sym+0xOFF [module]`` frames).
"""

from __future__ import annotations

import codecs
import re

from .. import folded
from .._records import TYPE_CHECKING
from ..gcpause import no_gc
from ..profile import Profile, Stack
from ._chunks import chunks, decode, with_head
from ._head import has_line_starting
from ._lazy_re import lazy
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import BinaryIO, ClassVar

#: header line -> (unit, event) of the tool that printed it
HEADERS: tuple[tuple[bytes, str, str], ...] = (
    (b"Tracing off-CPU time (us)", "microseconds", "off-cpu"),
    (b"Tracing blocked time (us)", "microseconds", "off-cpu"),
    (b"Sampling at ", "samples", "cpu-clock"),
    (b"Tracing ", "count", "stackcount"),
)
HEADER_RX = lazy(
    rb"(?m)^(?:Sampling at \d+ Hertz of |Tracing off-CPU time \(us\)|Tracing blocked time \(us\)"
    rb"|Tracing \d+ functions? for \")"
)
#: ``-   comm (pid)`` then the count: the unmistakable end of a profile/offcputime record
PROC_RX = lazy(rb"(?m)^ +-  +\S[^\n]* \(\d+\)\n +\d+\n")
#: stackcount: frames indented 2, metadata and count indented 4
STACKCOUNT_RX = lazy(rb"(?m)(?:^  [^ \n][^\n]*\n)+(?:    [^ \n][^\n]*\n)*    \d+\n(?:\n|$)")
#: offcputime without process lines: frames indented 4, count indented 8
OFFCPU_RX = lazy(rb"(?m)(?:^    [^ \n][^\n]*\n)+        \d+\n(?:\n|$)")
BPFTRACE_RX = lazy(rb"(?m)^(?:Attaching \d+ probes?\.\.\.$|@\w*(?:\[|: ))")
#: a multi-line record's count line
COUNT_LINE_RX = lazy(rb"(?m)^ +\d+$")

#: -v/-A/old offwaketime print the address first, padded: ``ffffffff8137897c blk_mq_complete_request``
ADDR_PREFIX_RX = lazy(rb"^(?:0x)?[0-9a-fA-F]{8,16} +(?=\S)")
#: stackcount -v prints ``sym+0xOFF`` without a module
OFFSET_RX = lazy(rb"\+0x[0-9a-fA-F]+$")
#: bcc >= 0.31 frames: ``sym+0xOFF [module]`` (module names hold no spaces)
MODULE_RX = lazy(rb"^(.*?)(\+0x[0-9a-fA-F]+)? \[([^\[\]\s]+)\]$")
PID_META_RX = lazy(rb"^(b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\"|\S.*?) \[(\d+)\]$")
NOISE = (b"^C", b"Detaching...", b"[...]", b"[...truncated...]", b"WARNING:", b"Tracing ", b"Sampling at ")
TIME_RX = lazy(rb"^\d\d:\d\d:\d\d$")


def _lead(text: bytes) -> int:
    """How many blank lines ``text`` starts with."""
    return len(text) - len(text.lstrip(b"\n"))


def _inner_count(body: bytes, indent: int) -> bool:
    """Whether ``body`` holds a count line indented like the record's own (no blank line between records)."""
    return re.search(rb"(?m)^ {%d}\d+$" % indent, body) is not None


class BccCollapser:
    """BCC's multi-line stack reports (and their ``-f`` folded twins)."""

    name: ClassVar[str] = "bcc"
    priority: ClassVar[int] = 220
    description: ClassVar[str] = "BCC profile/offcputime/offwaketime/wakeuptime/stackcount output"

    def detect(self, head: bytes) -> bool | None:
        head = head.replace(b"\r\n", b"\n")
        if head.lstrip().startswith((b"{", b"<")) or (has_line_starting(head, b"Attaching ", b"@")
                                                        and BPFTRACE_RX.search(head)):
            return False  # bpftrace's profile.bt prints BCC's very banner
        if has_line_starting(head, b"Sampling at ", b"Tracing ") and HEADER_RX.search(head):
            return True
        # a process line, stackcount and old offcputime records: lines that start with a blank
        return has_line_starting(head, b" ") and bool(
            PROC_RX.search(head) or STACKCOUNT_RX.search(head) or OFFCPU_RX.search(head))

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        stream, head = with_head(stream, options.params)
        if not COUNT_LINE_RX.search(head) and folded.looks_folded(head):
            # profile -f / stackcount -f / offcputime -f: already folded
            profile = folded.read_profile(stream, options.source, options.skips)
            profile.meta["tool"] = "bcc"
            return profile
        with no_gc():
            return _Reader(options).read(stream, head)


class _Reader:
    """One pass over a multi-line report; memoizes records and frames."""

    def __init__(self, options: CollapseOptions) -> None:
        self.options = options
        self.source = options.source
        self.with_pid = bool(options.get("pid") or options.get("tid"))
        self.annotate = bool(options.get("kernel") or options.get("all"))
        self.offsets = bool(options.get("offsets"))
        #: resolves ``ADDR [unknown]`` frames (flamekit symbolize / --elf ...), when set
        self.resolver = options.resolver
        self.frames: dict[bytes, str] = {}
        #: record body -> (stack, [(line offset, reason) of lines skipped])
        self.records: dict[bytes, tuple[Stack, list[tuple[int, str]]]] = {}

    def read(self, stream: BinaryIO, head: bytes) -> Profile:
        unit, event = "samples", None
        for prefix, u, e in HEADERS:
            if re.search(rb"(?m)^" + re.escape(prefix), head):
                unit, event = u, e
                break
        stacks: dict[Stack, int] = {}
        records = self.records
        counts: dict[bytes, int] = {}  # last line of a block -> its count, -1 if it is none
        for piece, base in chunks(stream, b"\n\n"):
            pos = 0  # offset of the block in piece; its line is counted only when needed
            for block in piece.split(b"\n\n"):
                at = pos
                pos += len(block) + 2
                body, _, last = block.rstrip(b"\n").rpartition(b"\n")
                count = counts.get(last)  # count lines repeat: one lookup tells and reads them
                if count is None:
                    count = int(last) if last[:1] == b" " and last.strip().isdigit() else -1
                    if len(counts) < 1 << 16:
                        counts[last] = count
                if count >= 0:
                    rec = records.get(body)
                    if rec is None and not _inner_count(body, len(last) - len(last.lstrip(b" "))):
                        rec = records[body] = self._record(body.lstrip(b"\n"))
                    if rec is not None:
                        stack, bad = rec
                        if bad:
                            self._skip(base + piece.count(b"\n", 0, at) + _lead(body), bad)
                        stacks[stack] = stacks.get(stack, 0) + count
                        continue
                if not block.strip():
                    continue
                # rare: records not parted by blank lines, chatter after a count, prose
                line = base + piece.count(b"\n", 0, at) + _lead(block)
                parts, rest, rest_at = self._split(block.lstrip(b"\n"))
                for body, last, off in parts:
                    rec = records.get(body)
                    if rec is None:
                        rec = records[body] = self._record(body)
                    if rec[1]:
                        self._skip(line + off, rec[1])
                    stacks[rec[0]] = stacks.get(rec[0], 0) + int(last)
                self._skip(line + rest_at, self._noise(rest, 0))
        meta = {"tool": "bcc"}
        return Profile(stacks, unit=unit, event=event, sources=[self.source], meta=meta)

    @staticmethod
    def _split(block: bytes) -> tuple[list[tuple[bytes, bytes, int]], list[bytes], int]:
        """Records ended by count lines inside a block, and the lines after the last one."""
        lines = block.split(b"\n")
        parts = []
        start = 0
        indent = None  # counts are indented alike (8 by profile, 4 by stackcount); frames less
        for i, raw in enumerate(lines):
            if raw[:1] == b" " and raw.strip().isdigit():
                here = len(raw) - len(raw.lstrip(b" "))
                if indent is None:
                    indent = here
                elif here != indent:
                    continue
                parts.append((b"\n".join(lines[start:i]), raw, start))
                start = i + 1
        return parts, lines[start:], start

    def _skip(self, line: int, bad: list[tuple[int, str]]) -> None:
        if bad:
            off, reason = bad[0]
            self.options.skips.add(self.source, len(bad), line + off, reason)

    @staticmethod
    def _noise(lines: list[bytes], base: int) -> list[tuple[int, str]]:
        """Lines that are neither stack nor known tool chatter (prose, commands)."""
        bad = []
        for i, raw in enumerate(lines):
            s = raw.strip()
            if not s or s.startswith(NOISE) or TIME_RX.match(s):
                continue
            bad.append((base + i, "not part of a BCC stack record"))
        return bad

    def _record(self, body: bytes) -> tuple[Stack, list[tuple[int, str]]]:
        lines = body.split(b"\n")
        start = 0
        while start < len(lines) and lines[start][:1] not in (b" ", b"\t"):
            start += 1  # chatter before the first frame (^C, a command line)
        bad = self._noise(lines[:start], 0)
        lines = lines[start:]
        indents = [len(x) - len(x.lstrip(b" ")) for x in lines]
        frame_indent = min(indents, default=0)
        out: list[str] = []
        for i, (raw, indent) in enumerate(zip(lines, indents)):
            s = raw.strip()
            if not s:
                continue
            if indent == 0 and raw[:1] != b"\t":
                bad.append((start + i, "not part of a BCC stack record"))
                continue
            out.append(self._line(s, indent > frame_indent))
        out.reverse()
        return tuple(out), bad

    def _line(self, s: bytes, meta_indent: bool) -> str:
        """One record line (leaf-first order) as a frame name."""
        if s == b"--" or s == b"-":
            return "-"  # kernel/user delimiter (-d): "--" from profile, "-" from offwaketime
        if s[:1] == b"-":
            head, _, rest = s.partition(b" ")
            rest = rest.strip()
            if rest.strip(b"-") == b"" and head.strip(b"-") == b"":
                return "--"  # offwaketime's waker/target delimiter ("-  -" old, "--  --" 0.26)
            comm, _, pid = rest.rpartition(b" (")
            if head == b"-" and comm and pid.endswith(b")") and pid[:-1].isdigit():
                return self._comm(comm, pid[:-1])
        if s.startswith((b"waker:", b"target:")):
            # "waker:  NAME" (old) or "waker:  NAME PID" (bcc 0.26), as -f's bare NAME
            name = s.partition(b":")[2].strip()
            comm, _, pid = name.rpartition(b" ")
            if comm and pid.isdigit():
                return self._comm(comm, pid)
            return decode(name)
        m = PID_META_RX.match(s)
        if m and (meta_indent or s[:2] in (b"b'", b'b"')):
            comm = m.group(1)
            if comm[:2] in (b"b'", b'b"'):
                comm = codecs.escape_decode(comm[2:-1])[0]
            return self._comm(comm, m.group(2))
        frame = self.frames.get(s)
        if frame is None:
            frame = self.frames[s] = self._frame(s)
        return frame

    def _comm(self, comm: bytes, pid: bytes) -> str:
        name = decode(comm)
        return f"{name}-{decode(pid)}" if self.with_pid else name

    def _frame(self, s: bytes) -> str:
        addr = ADDR_PREFIX_RX.match(s)
        if addr is not None:
            s = s[addr.end():]
            if self.resolver is not None and s.startswith(b"[unknown]"):
                from ..symbolize.frames import raw_address_name

                found = raw_address_name(self.resolver, addr.group(0).removeprefix(b"0x"))
                if found is not None:
                    return found
        m = MODULE_RX.match(s)
        if m is None:
            return decode(s if self.offsets else OFFSET_RX.sub(b"", s))
        sym, off, module = m.group(1), m.group(2) or b"", m.group(3)
        if sym == b"[unknown]":
            return decode(b"[" + module + b"]")
        name = sym + off if self.offsets else sym
        if self.annotate and module == b"kernel" and not name.endswith(b"_[k]"):
            name += b"_[k]"
        return decode(name)


COLLAPSER = BccCollapser()
