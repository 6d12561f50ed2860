"""Pieces shared by the ftrace collapsers: chunked line reading, the event
prefix every tracefs / trace-cmd record starts with, and root-frame naming.

Not a collapser itself (the leading underscore keeps it out of the registry).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .._records import TYPE_CHECKING
from ._lazy_re import lazy

if TYPE_CHECKING:
    from typing import BinaryIO

ENC = "utf-8"
ERR = "surrogateescape"

#: bytes read per chunk: large, so the per-chunk overhead vanishes
CHUNK = 8 << 20

#: bytes read per chunk by the line-at-a-time collapsers (function_graph, function):
#: the lines of a chunk are then still in the CPU cache when the loop reads them,
#: which makes those collapsers 10-15 % faster than with CHUNK's 8 MB (about
#: 100k line objects that the loop would fetch from memory again)
LINE_CHUNK = 256 << 10

#: ``  comm-pid  [(tgid)] [cpu] flags  timestamp: `` (tracefs and trace-cmd),
#: and the latency layout ``comm-pid  0d..2. 3792us : `` (``-l`` / latency-format).
#: The comm is matched lazily so the *last* ``-digits`` before the CPU wins
#: (``kworker/1:1H-44``, ``memfd:sealed-91-2766``).
EVENT_PREFIX = lazy(
    rb"""^\s*(?:[^\s:]+:\s+)?(?P<comm>.*?)-(?P<pid>\d+)\s+   # optional 'instance: ' (trace-cmd)
        (?:\(\s*(?:\d+|-+)\)\s+)?                       # record-tgid column
        (?:\[(?P<cpu>\d+)\]\s+(?:[^\s\[\]:]{2,6}\s+)?   # [CPU] and irq/preempt flags
          |(?P<lcpu>\d+)[^\s:]{3,6}\s+)                 # latency: CPU glued to flags
        (?P<ts>\d+(?:\.\d+)?)(?:\s?[unm]?s)?\s*:\s""",
    re.X,
)

#: tracing leaves ``CPU:N [LOST M EVENTS]`` where the ring buffer overflowed
LOST_EVENTS = lazy(rb"^\s*CPU:\s*(\d+)\s*\[LOST(?:\s+(\d+))?\s+EVENTS\]")
#: trace_pipe and snapshot readers print this when a CPU's buffer restarts
BUFFER_STARTED = lazy(rb"^#{3,}\s*CPU\s+(\d+)\s+buffer started")


def iter_chunks(
    stream: BinaryIO, chunk: int = CHUNK, transform: Callable[[bytes], bytes] | None = None
) -> Iterator[tuple[int, list[bytes]]]:
    """Complete lines in big chunks, with the 1-based number of each chunk's first line.

    ``transform`` may rewrite each chunk of whole lines (in C, e.g. a regex
    substitution) as long as it keeps the number of lines.
    """
    rest = b""
    lineno = 1
    while True:
        data = stream.read(chunk)
        if not data:
            break
        if rest:
            data = rest + data
        cut = data.rfind(b"\n") + 1
        data, rest = data[:cut], data[cut:]
        if data:
            if transform is not None:
                data = transform(data)
            lines = data.split(b"\n")
            lines.pop()
            yield lineno, lines
            lineno += len(lines)
    if rest:
        yield lineno, [transform(rest) if transform is not None else rest]


def newline_reads(stream: BinaryIO, chunk: int) -> Iterator[tuple[bytes, bytes]]:
    """``(carry, data)`` for each read of ``stream`` that holds a newline: ``carry`` is the
    unfinished line before it (a line longer than a read is kept in pieces and joined once it
    ends, so a file without newlines is not copied again on every read); a last line without
    a newline comes as ``(carry, b"")``."""
    pending: list[bytes] = []
    while True:
        data = stream.read(chunk)
        if not data:
            break
        if b"\n" not in data:
            pending.append(data)
            continue
        yield b"".join(pending), data
        rest = data[data.rfind(b"\n") + 1 :]
        pending = [rest] if rest else []
    if pending:
        yield b"".join(pending), b""


def whole_lines(carry: bytes, data: bytes) -> list[bytes]:
    """The lines that end in ``data`` (which holds a newline), the first one after ``carry``."""
    lines = data.split(b"\n")
    lines.pop()
    if carry:
        lines[0] = carry + lines[0]
    return lines


def iter_line_chunks(stream: BinaryIO, chunk: int = CHUNK) -> Iterator[tuple[int, list[bytes]]]:
    """Like :func:`iter_chunks` without a transform, but without copying the
    data read: each read is split as is and its unfinished last line is
    carried into the next read's first line (see :func:`newline_reads`)."""
    lineno = 1
    for carry, data in newline_reads(stream, chunk):
        lines = whole_lines(carry, data) if data else [carry]
        yield lineno, lines
        lineno += len(lines)


def decode(raw: bytes) -> str:
    """A frame name, decoded once and losslessly."""
    return raw.decode(ENC, ERR)


def task_frame(comm: bytes | None, pid: bytes | None) -> str:
    """The root frame ``--per-task`` adds: ``comm-pid`` (``[unknown]`` when untold)."""
    if pid is None:
        return "[unknown]"
    return decode((comm or b"<...>") + b"-" + pid)


def cpu_frame(cpu: int | None) -> str:
    """The root frame ``--per-cpu`` adds."""
    return "[unknown cpu]" if cpu is None else f"CPU {cpu}"


def head_records(head: bytes) -> list[bytes]:
    """The lines of a detection head that are neither blank nor ``#`` comments;
    the last one is left out of a long head, where it may be cut short."""
    lines = head.split(b"\n")
    if len(head) >= 4096:
        lines.pop()
    return [line for line in lines if line.strip() and line.lstrip()[:1] != b"#"]


# trace-cmd report prefixes each record of an instance with ``name: ``
_TASK_CPU = lazy(rb"^\s*(?:[^\s:]+:\s+)?(.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]$", re.S)

#: what a record's prefix tells: (comm, pid, cpu)
Task = tuple[bytes, bytes, int]


class PrefixParser:
    """Splits ``comm-pid [cpu] flags ts: REST`` records into the task and REST.

    The part up to ``]`` repeats (few tasks × CPUs), so it is parsed once per
    distinct value; the timestamp in between is skipped with two ``find``s.
    Layouts without ``[cpu]`` (latency format) fall back to one regex.
    """

    def __init__(self) -> None:
        self.tasks: dict[bytes, Task | None] = {}

    def split(self, line: bytes) -> tuple[Task, bytes] | None:
        i = line.find(b"] ")
        if i > 0:
            j = line.find(b": ", i)
            if j > 0 and line[j - 1 : j].isdigit():
                head = line[: i + 1]
                if head in self.tasks:
                    task = self.tasks[head]
                else:
                    m = _TASK_CPU.match(head)
                    task = (m[1].strip(), m[2], int(m[3])) if m else None
                    if len(self.tasks) < 1 << 16:
                        self.tasks[head] = task
                if task is not None:
                    return task, line[j + 2 :]
        m = EVENT_PREFIX.match(line)
        if m is None:
            return None
        cpu = m["cpu"] if m["cpu"] is not None else m["lcpu"]
        return (m["comm"].strip(), m["pid"], int(cpu)), line[m.end() :]


def roots_for(task: Task | None, per_cpu: bool, per_task: bool) -> tuple[str, ...]:
    """The root frames ``--per-cpu`` / ``--per-task`` ask for."""
    out: list[str] = []
    if per_cpu:
        out.append(cpu_frame(task[2] if task else None))
    if per_task:
        out.append(task_frame(task[0], task[1]) if task else "[unknown]")
    return tuple(out)


_FUNC_OFFSET = lazy(rb"\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+")
_FUNC_SYMBOL = lazy(rb"^[^\s:<>]+$")

NOT_A_CALL: tuple[str, ...] = ()  # marker: the record is another event, not a call


def function_call(rest: bytes) -> tuple[str, ...] | None:
    """A function-tracer record's text after the timestamp: ``func <-parent``
    (trace-cmd: ``function: func <-- parent``) → (parent, func), (func,) without
    a parent; NOT_A_CALL for another event; None if malformed."""
    s = rest.strip()
    if s.startswith(b"function:"):
        s = s[9:].strip()
    elif s.startswith(b"<"):  # <stack trace> and the like
        return NOT_A_CALL
    first = s.split(None, 1)[0] if s else b""
    if first.endswith(b":"):  # another event: 'sched_switch: prev_comm=...'
        return NOT_A_CALL
    func, arrow, parent = s.partition(b" <-")
    if arrow and parent.startswith(b"-"):  # trace-cmd prints '<--'
        parent = parent[1:]
    func, parent = func.strip(), parent.strip()
    if b"+0x" in func:
        func = _FUNC_OFFSET.sub(b"", func, count=1)
    if b"+0x" in parent:
        parent = _FUNC_OFFSET.sub(b"", parent, count=1)
    if not _FUNC_SYMBOL.match(func):
        return None
    if not arrow:
        return (decode(func),)
    if not parent or not _FUNC_SYMBOL.match(parent):
        return None
    return (decode(parent), decode(func))
