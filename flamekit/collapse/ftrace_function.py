"""The ftrace ``function`` tracer: one ``func <-parent`` record per call.

``  cat-170  [002] .....  2.333490: mutex_unlock <-rb_simple_write`` (tracefs
``trace``/``trace_pipe``, with or without the record-tgid and irq-info
columns, latency format) and trace-cmd report's ``function: f <-- parent``.
Only the caller is known, so each call folds to the 2-frame stack
``parent;func`` (``func`` alone with noprint-parent), weighing 1 (unit
``calls``).  sym-offset's ``+0x1f/0x80`` is dropped.  ``params['per_cpu']`` /
``params['per_task']`` add ``CPU n`` / ``comm-pid`` root frames.  Other events
in the trace are counted in ``meta['events']``; a function trace recorded
with ``func_stack_trace`` has full stacks and is read by ``ftrace-stack``.
"""

from __future__ import annotations

import re
from typing import BinaryIO, ClassVar

from ..errors import InputError
from ..profile import Profile
from ._ftrace_common import NOT_A_CALL, PrefixParser, Task, function_call, head_records, iter_chunks, roots_for
from .base import CollapseOptions

# headerless detection: ``comm-pid [cpu] ... ts: func <-parent``
_LOOKS_FUNCTION = re.compile(rb"^\s*\S.*-\d+\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]\s.*\d: (?:function:\s+)?[^\s:]+ <-")


class FtraceFunctionCollapser:
    """ftrace function tracer records → ``parent;func`` counted per call."""

    name: ClassVar[str] = "ftrace-function"
    priority: ClassVar[int] = 90
    description: ClassVar[str] = "ftrace function tracer (func <-parent records)"

    def detect(self, head: bytes) -> bool | None:
        if b"<stack trace>" in head:
            return False  # func_stack_trace: full stacks, ftrace-stack reads them
        if b"# tracer: function\n" in head:
            return True
        lines = head_records(head)
        hits = sum(1 for line in lines if _LOOKS_FUNCTION.match(line))
        return hits >= 3 and hits * 2 >= len(lines)

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        source, skips = options.source, options.skips
        per_cpu = bool(options.get("per_cpu", False))
        per_task = bool(options.get("per_task", False))
        rooted = per_cpu or per_task
        parser = PrefixParser()
        split = parser.split
        stacks: dict[bytes, tuple[str, ...] | None] = {}
        roots: dict[Task, tuple[str, ...]] = {}
        out: dict[tuple[str, ...], int] = {}
        calls = events = 0
        first_bad: tuple[int, str] | None = None
        for lineno0, lines in iter_chunks(stream):
            for i, line in enumerate(lines):
                rec = split(line)
                if rec is None:
                    s = line.strip()
                    if not s or s[:1] == b"#" or s.startswith(b"=>") or s.startswith(b"cpus="):
                        if s.startswith(b"=>"):
                            events += 1  # frames of a <stack trace> record
                        continue
                    reason = "not a function tracer record"
                    if first_bad is None:
                        first_bad = (lineno0 + i, reason)
                    skips.skip(source, lineno0 + i, reason)
                    continue
                task, rest = rec
                stack = stacks.get(rest, NOT_A_CALL)
                if stack is NOT_A_CALL and rest not in stacks:
                    stack = function_call(rest)
                    if len(stacks) < 1 << 18:
                        stacks[rest] = stack
                if not stack:
                    if stack is None:
                        reason = "malformed function record"
                        if first_bad is None:
                            first_bad = (lineno0 + i, reason)
                        skips.skip(source, lineno0 + i, reason)
                    else:
                        events += 1
                    continue
                calls += 1
                if rooted:
                    r = roots.get(task)
                    if r is None:
                        r = roots[task] = roots_for(task, per_cpu, per_task)
                    stack = r + stack
                out[stack] = out.get(stack, 0) + 1
        if calls == 0 and first_bad is not None:
            raise InputError(source, first_bad[0], f"no function tracer records found ({first_bad[1]})")
        profile = Profile(out, unit="calls", event="function")
        profile.meta["tracer"] = "function"
        if events:
            profile.meta["events"] = str(events)
        return profile


COLLAPSER = FtraceFunctionCollapser()
