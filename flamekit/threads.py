"""The process/thread root-frame convention, parsed for the portable formats.

Folded stacks have no place for a process or thread, so flamekit follows
``stackcollapse-perf.pl``: with ``--pid`` the root frame of every stack is
``COMM-PID`` and with ``--tid`` it is ``COMM-PID/TID`` (spaces in COMM
replaced by ``_``; PID is ``?`` when perf printed only the thread id).  Writers of formats that *can* say which process or
thread a sample came from (pprof labels, one speedscope profile per
thread) recognise that convention here.  It applies only when the root
frame of *every* stack has that shape, so an ordinary function name that
happens to end in ``-3`` never turns a profile into a per-thread one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .profile import Stack

_ROOT = re.compile(r"(?s)(.+)-(\d+|\?)(?:/(\d+))?")


@dataclass(frozen=True)
class Task:
    """A process (``tid`` None) or thread named by a root frame (``pid`` None: unknown)."""

    comm: str
    pid: int | None
    tid: int | None = None

    def labels(self) -> list[tuple[str, str]]:
        """pprof labels ``comm``, ``pid``, ``tid``, all strings: pprof drops a numeric
        label whose value is 0, and the idle task's tid is 0."""
        out = [("comm", self.comm)]
        if self.pid is not None:
            out.append(("pid", str(self.pid)))
        if self.tid is not None:
            out.append(("tid", str(self.tid)))
        return out


def parse_root(frame: str) -> Task | None:
    """The task a ``COMM-PID`` or ``COMM-PID/TID`` root frame names, if it is one."""
    m = _ROOT.fullmatch(frame)
    if m is None:
        return None
    pid, tid = m.group(2), m.group(3)
    return Task(m.group(1), None if pid == "?" else int(pid), None if tid is None else int(tid))


def task_roots(stacks: Iterable[Stack]) -> dict[str, Task] | None:
    """Root frame -> Task when every non-empty stack's root follows the
    convention (and there is at least one); otherwise None."""
    out: dict[str, Task] = {}
    for stack in stacks:
        if not stack:
            continue
        root = stack[0]
        if root in out:
            continue
        task = parse_root(root)
        if task is None:
            return None
        out[root] = task
    return out or None
