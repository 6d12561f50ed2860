"""ftrace event stack traces: tracefs ``<stack trace>`` / ``<user stack trace>``
records (``stacktrace`` trigger, ``options/stacktrace``, ``userstacktrace``,
``func_stack_trace``) and ``trace-cmd report``'s ``kernel_stack`` records
(``=> sym (addr)``, or raw ``caller=ARRAY[...]`` with ``-R``).

A stack record follows the event it belongs to; its frames are printed leaf
first, one `` => frame`` per line.  Each record weighs 1 (unit ``count``).
A ``<user stack trace>`` printed right after a kernel ``<stack trace>`` of the
same task on the same CPU belongs to the same event: the two become one stack,
user frames (root first) above kernel frames.  Frame names drop the
``+0x1f/0x80`` offset (sym-offset) and trace-cmd's ``(ffffffff81...)``
address; unsymbolized user frames ``<00007f...>`` become ``0x7f...``.
A kernel stack right after a function-tracer record of the same task
(``func_stack_trace``, trace-cmd ``--func-stack``) gets the traced function on
top, since the printed stack starts at its caller.
``params['per_cpu']`` / ``params['per_task']`` add ``CPU n`` / ``comm-pid``
root frames.  Other events in the trace are counted (``meta['events']``).
"""

from __future__ import annotations

from collections import Counter

from .._records import TYPE_CHECKING
from ..errors import InputError
from ..profile import Profile
from ._chunks import line_chunks
from ._ftrace_common import (
    _TASK_CPU as TASK_CPU,
)
from ._ftrace_common import (
    NOT_A_CALL,
    PrefixParser,
    Task,
    decode,
    function_call,
    head_records,
    roots_for,
)
from ._lazy_re import lazy
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import BinaryIO, ClassVar

_OFFSET = lazy(rb"\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+")
_TC_ADDR = lazy(rb"\s\(([0-9a-fA-F]{4,16})\)$")
_USER_RAW = lazy(rb"^<([0-9a-fA-F]+)>$")
_RAW_ARRAY = lazy(rb"size=(\d+)\s+caller=ARRAY\[([0-9a-fA-F, ]*)\]")

_LOOKS_RECORD = lazy(rb"^\s*\S.*-\d+\s+(?:\(\s*[\d-]+\)\s+)?(?:\[\d+\]|\d\S{3,6})\s.*\d:\s")

_KERNEL, _USER = 0, 1
_RAW_KERNEL, _RAW_USER = 2, 3  # the same, frames in a caller=ARRAY[...]
#: a record starts at every line that is not a `` => `` frame line
RECORD_START = lazy(rb"\n(?! => )")
#: most distinct lines / frame blocks memoized
MEMO = 1 << 16


def frame_name(raw: bytes) -> str:
    """The name of one `` => ...`` frame line's text (after the arrow)."""
    s = raw.strip()
    m = _TC_ADDR.search(s)
    if m and m.start() > 0:
        s = s[: m.start()]
    m = _USER_RAW.match(s)
    if m:
        return "0x" + (m[1].lstrip(b"0") or b"0").decode("ascii").lower()
    if b"+0x" in s:
        s = _OFFSET.sub(b"", s, count=1)
    return decode(s) if s else "[unknown]"


def raw_array_frames(payload: bytes) -> list[str] | None:
    """``size=N caller=ARRAY[c5, 02, ...]`` (trace-cmd -R): N little-endian
    64-bit addresses, leaf first."""
    m = _RAW_ARRAY.search(payload)
    if m is None:
        return None
    try:
        data = bytes(int(b, 16) for b in m[2].replace(b" ", b"").split(b",") if b)
    except ValueError:
        return None
    n = min(int(m[1]), len(data) // 8)
    return [f"0x{int.from_bytes(data[8 * i : 8 * i + 8], 'little'):x}" for i in range(n)]


def _kind(rest: bytes) -> int:
    """What a record is, from its text after the timestamp: a kernel or user stack
    record (``_RAW_*`` when its frames are a ``caller=ARRAY[...]``), or -1 (another event)."""
    if rest.startswith((b"<stack trace", b"kernel_stack:")):
        kind = _KERNEL
    elif rest.startswith((b"<user stack trace", b"user_stack:")):
        kind = _USER
    else:
        return -1
    return kind + _RAW_KERNEL if b"caller=ARRAY[" in rest else kind


class FtraceStackCollapser:
    """ftrace ``<stack trace>`` records → stacks counted once per record."""

    name: ClassVar[str] = "ftrace-stack"
    priority: ClassVar[int] = 85  # after function_graph (whose latency traces may end in a stack)
    description: ClassVar[str] = "ftrace event stack traces (tracefs <stack trace>, trace-cmd kernel_stack)"

    def detect(self, head: bytes) -> bool | None:
        if not (b"<stack trace" in head or b"<user stack trace" in head or b"caller=ARRAY[" in head):
            return False
        lines = head_records(head)
        blocks = ours = 0
        content = len(lines)
        for line in lines:
            if line.lstrip()[:2] == b"=>":
                ours += 1
            elif _LOOKS_RECORD.match(line):
                ours += 1
                if b"<stack trace" in line or b"<user stack trace" in line or b"caller=ARRAY[" in line:
                    blocks += 1
        # a man page quoting one example is not a trace: records must dominate
        return blocks >= 1 and ours * 2 >= content

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        return _StackReader(options).run(stream)


class _StackReader:
    def __init__(self, options: CollapseOptions) -> None:
        self.options = options
        self.per_cpu = bool(options.get("per_cpu", False))
        self.per_task = bool(options.get("per_task", False))
        self.rooted = self.per_cpu or self.per_task
        #: stacks emitted and not counted yet; the empty stack counts records without frames
        self.emitted: list[tuple[str, ...]] = []
        self.out: Counter[tuple[str, ...]] = Counter()
        self.pending: dict[int, tuple[Task, tuple[str, ...]]] = {}  # CPU -> kernel stack awaiting its user part
        self.traced: dict[int, tuple[tuple[bytes, bytes], str]] = {}  # CPU -> (task, function) just traced
        self.roots: dict[Task, tuple[str, ...]] = {}
        self.records = 0
        self.names: dict[bytes, str] = {}  # frame line -> name
        self.calls: dict[bytes, tuple[str, ...] | None] = {}  # function-tracer record text -> its call

    def emit(self, task: Task, stack: tuple[str, ...]) -> None:
        """Count one record's stack (with its root frames when asked for)."""
        if self.rooted and stack:
            r = self.roots.get(task)
            if r is None:
                r = self.roots[task] = roots_for(task, self.per_cpu, self.per_task)
            stack = r + stack
        self.emitted.append(stack)
        if len(self.emitted) >= 1 << 16:
            self.count_emitted()

    def count_emitted(self) -> None:
        """Add the stacks emitted so far to the counts (in C, by Counter.update)."""
        self.records += len(self.emitted)
        self.out.update(self.emitted)
        self.emitted.clear()

    def finish(self, task: Task, kind: int, stack: tuple[str, ...]) -> None:
        """A block ended (``stack`` root first): pair a user stack with the kernel stack just
        before it, and put the traced function on top of a kernel stack that follows its
        function-tracer record."""
        cpu = task[2]
        traced = self.traced.pop(cpu, None) if self.traced else None
        if kind == _KERNEL and traced is not None and traced[0] == task[:2] and stack[-1:] != (traced[1],):
            stack = stack + (traced[1],)
        prev = self.pending.pop(cpu, None)
        if kind == _USER:
            if prev is not None and prev[0][:2] == task[:2]:
                self.emit(task, stack + prev[1])
                return
            if prev is not None:
                self.emit(*prev)
            self.emit(task, stack)
            return
        if prev is not None:
            self.emit(*prev)
        self.pending[cpu] = (task, stack)

    def flush_cpu(self, cpu: int) -> None:
        prev = self.pending.pop(cpu, None)
        if prev is not None:
            self.emit(*prev)

    def function_record(self, task: Task, rest: bytes) -> None:
        """A function-tracer record (func_stack_trace) of ``task``: the kernel stack it is
        followed by leaves the function out, so :meth:`finish` puts it on top."""
        self.flush_cpu(task[2])
        calls = self.calls
        call = calls.get(rest, NOT_A_CALL)
        if call is NOT_A_CALL and rest not in calls:
            call = function_call(rest)
            if len(calls) < MEMO:
                calls[rest] = call
        if call:
            self.traced[task[2]] = (task[:2], call[-1])
        else:
            self.traced.pop(task[2], None)

    def frame_block(self, block: bytes) -> tuple[str, ...]:
        """The frames (root first) of consecutive `` => frame`` lines (leaf first)."""
        names = self.names
        out = []
        for line in block.split(b"\n"):
            name = names.get(line)
            if name is None:
                name = frame_name(line.lstrip()[2:])
                if len(names) < MEMO:
                    names[line] = name
            out.append(name)
        out.reverse()
        return tuple(out)

    @staticmethod
    def head_task(head: bytes) -> Task | None:
        """The task of a record line's text up to its first ``] `` (``head``), as
        :class:`PrefixParser` reads it; None where the line takes the general path
        (a frame line, a ``#`` comment, a head the parser does not read this way)."""
        s = head.lstrip()
        if s[:2] == b"=>" or s[:1] == b"#":
            return None
        m = TASK_CPU.match(head)
        return (m[1].strip(), m[2], int(m[3])) if m else None

    def run(self, stream: BinaryIO) -> Profile:
        """Fold the trace record by record: a record is a line and the `` => `` frame
        lines after it, cut apart in C; a record's frame lines are named once per
        distinct block of them (traces repeat the same stacks).

        The common record, ``comm-pid [cpu] flags ts: <stack trace>`` of a task seen
        before, is read inline: its task comes from a memo of the line up to ``]``,
        and without root frames or a traced function pending, the kernel stack it
        ends waits for its user part in ``pending`` without a call to :meth:`finish`."""
        options = self.options
        source, skips = options.source, options.skips
        parser = PrefixParser()
        names = self.names
        blocks: dict[bytes, tuple[str, ...]] = {}
        function_record = self.function_record
        kinds: dict[bytes, int] = {}
        heads: dict[bytes, Task | None] = {}
        head_task = self.head_task
        pending = self.pending
        traced = self.traced
        emitted = self.emitted
        append = emitted.append
        inline = not self.rooted  # emit() adds no root frames: append the stack itself
        finish = self.finish
        events = 0
        #: the stack record being read: its task, kind and frames so far (root first)
        task: Task | None = None
        kind = _KERNEL
        stack: tuple[str, ...] = ()
        first_bad: tuple[int, str] | None = None
        split_records = RECORD_START.split
        for lineno0, data in line_chunks(stream):
            pos = 0  # offset of the record in data; its line is counted only when needed
            for record in split_records(data[:-1] if data.endswith(b"\n") else data):
                at = pos
                pos += len(record) + 1
                line, _, frames = record.partition(b"\n")
                # a record line: 'comm-pid [cpu] flags ts: rest', as PrefixParser.split cuts it
                rec_task = None
                i = line.find(b"] ")
                if i > 0:
                    j = line.find(b": ", i)
                    if j > 0 and line[j - 1 : j].isdigit():
                        head = line[: i + 1]
                        rec_task = heads.get(head, heads)
                        if rec_task is heads:
                            rec_task = head_task(head)
                            if len(heads) < MEMO:
                                heads[head] = rec_task
                if rec_task is not None:
                    if task is not None:
                        if kind == _KERNEL and inline and not traced:
                            # finish() of a kernel stack: it waits for a user stack on its CPU
                            prev = pending.pop(task[2], None)
                            if prev is not None:
                                append(prev[1])
                            pending[task[2]] = (task, stack)
                        else:
                            finish(task, kind, stack)
                        task = None
                    rest = line[j + 2 :]
                    rec_kind = kinds.get(rest)  # the text after the timestamp repeats
                    if rec_kind is None:
                        rec_kind = _kind(rest)
                        if len(kinds) < MEMO:
                            kinds[rest] = rec_kind
                    if rec_kind == _KERNEL or rec_kind == _USER:
                        task, kind, stack = rec_task, rec_kind, ()
                    elif rec_kind < 0:
                        events += 1
                        function_record(rec_task, rest)
                    else:
                        raw = raw_array_frames(rest)
                        if raw is not None:
                            finish(rec_task, rec_kind - _RAW_KERNEL, tuple(reversed(raw)))
                        else:
                            task, kind, stack = rec_task, rec_kind - _RAW_KERNEL, ()
                else:
                    s = line.lstrip()
                    if s[:2] == b"=>":
                        # a frame line indented otherwise, or the first of a chunk cut mid-record
                        name = names.get(line)
                        if name is None:
                            name = frame_name(s[2:])
                        if task is None:
                            skips.skip(source, lineno0 + data.count(b"\n", 0, at), "stack frame outside a stack trace record")
                        else:
                            stack = (name,) + stack
                    else:
                        if task is not None:
                            finish(task, kind, stack)
                            task = None
                        if s and s[0] != 35:  # neither blank nor a '#' comment
                            split = parser.split(line)
                            if split is None:
                                if not (s.startswith((b"cpus=", b"CPU ")) and (s.startswith(b"cpus=") or s.rstrip().endswith(b"empty"))):
                                    reason = "not a trace record or stack frame"
                                    n = lineno0 + data.count(b"\n", 0, at)
                                    if first_bad is None:
                                        first_bad = (n, reason)
                                    skips.skip(source, n, reason)
                            else:
                                rec_task, rest = split
                                rec_kind = kinds.get(rest)
                                if rec_kind is None:
                                    rec_kind = _kind(rest)
                                    if len(kinds) < MEMO:
                                        kinds[rest] = rec_kind
                                if rec_kind < 0:
                                    events += 1
                                    function_record(rec_task, rest)
                                elif rec_kind == _RAW_KERNEL or rec_kind == _RAW_USER:
                                    raw = raw_array_frames(rest)
                                    if raw is not None:
                                        finish(rec_task, rec_kind - _RAW_KERNEL, tuple(reversed(raw)))
                                    else:
                                        task, kind, stack = rec_task, rec_kind - _RAW_KERNEL, ()
                                else:
                                    task, kind, stack = rec_task, rec_kind, ()
                if frames:
                    got = blocks.get(frames)
                    if got is None:
                        got = self.frame_block(frames)
                        if len(blocks) < MEMO:
                            blocks[frames] = got
                    if task is None:
                        # frames of a record cut off by the start of the trace
                        skips.add(source, len(got), lineno0 + data.count(b"\n", 0, at) + 1,
                                  "stack frame outside a stack trace record")
                    else:
                        stack = got + stack if stack else got
            if len(emitted) >= 1 << 16:
                self.count_emitted()
        if task is not None:
            self.finish(task, kind, stack)
        for cpu in list(self.pending):
            self.flush_cpu(cpu)
        self.count_emitted()
        empty = self.out.pop((), 0)
        if self.records == 0 and first_bad is not None:
            raise InputError(source, first_bad[0], f"no stack trace records found ({first_bad[1]})")
        profile = Profile(dict(self.out), unit="count", event="stacktrace")
        profile.meta["tracer"] = "stacktrace"
        if events:
            profile.meta["events"] = str(events)
        if empty:
            profile.meta["empty_stacks"] = str(empty)
        return profile


COLLAPSER = FtraceStackCollapser()

__all__ = ["COLLAPSER", "FtraceStackCollapser", "frame_name", "raw_array_frames"]
