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

from operator import length_hint

from .._records import TYPE_CHECKING
from ..errors import InputError
from ..profile import Profile
from ._ftrace_common import (
    LINE_CHUNK,
    NOT_A_CALL,
    PrefixParser,
    Task,
    function_call,
    head_records,
    iter_line_chunks,
    roots_for,
)
from ._head import has_any
from ._lazy_re import lazy
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import Any, BinaryIO, ClassVar

# headerless detection: ``comm-pid [cpu] ... ts: func <-parent``
_LOOKS_FUNCTION = lazy(rb"^\s*\S.*-\d+\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]\s.*\d: (?:function:\s+)?[^\s:]+ <-")


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
        if not has_any(head, b" <-"):
            return False  # no "func <-parent" record
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
        tasks_get = parser.tasks.get  # ``comm-pid [cpu]`` part -> task (None: not one), filled by split()
        stacks: dict[bytes, tuple[str, ...] | None] = {}  # record text -> (parent, func), NOT_A_CALL or None
        # calls counted by record text (and task when rooted), folded into stacks at the end:
        # the loop then does no tuple building or stack hashing per line
        calls: dict[Any, int] = {}
        calls_get = calls.get
        events = 0
        first_bad: tuple[int, str] | None = None
        prev = b"\n"  # the ``comm-pid [cpu] `` of the last line read with a known task (never in a line)
        prev_task: Task | None = None
        after = 0  # len(prev)
        for lineno0, lines in iter_line_chunks(stream, LINE_CHUNK):
            todo = iter(lines)  # its length_hint numbers a bad line without enumerate()
            for line in todo:
                # split()'s fast path inlined: ``comm-pid [cpu] flags ts: REST``; the
                # ``comm-pid [cpu] `` part usually repeats from the line before, and
                # then needs no find, slice or lookup (``prev`` ends in the first "] ")
                same = line.startswith(prev)
                if not same:
                    i = line.find(b"] ")
                    known = tasks_get(line[: i + 1]) if i > 0 else None
                    if known is not None:
                        prev, prev_task, after = line[: i + 2], known, i + 2
                        same = True
                if same:
                    j = line.find(b": ", after)
                    if j > 0 and 48 <= line[j - 1] <= 57:
                        rest = line[j + 2 :]
                        key = (prev_task, rest) if rooted else rest
                        n = calls_get(key)
                        if n is not None:
                            calls[key] = n + 1
                            continue
                rec = split(line)
                if rec is None:
                    s = line.strip()
                    if not s or s[:1] == b"#" or s.startswith(b"=>") or s.startswith(b"cpus="):
                        if s.startswith(b"=>"):
                            events += 1  # frames of a <stack trace> record
                        continue
                    lineno = lineno0 + len(lines) - length_hint(todo) - 1
                    reason = "not a function tracer record"
                    if first_bad is None:
                        first_bad = (lineno, reason)
                    skips.skip(source, lineno, reason)
                    continue
                task, rest = rec
                stack = stacks.get(rest, NOT_A_CALL)
                if stack is NOT_A_CALL and rest not in stacks:
                    stack = function_call(rest)
                    if len(stacks) < 1 << 18:
                        stacks[rest] = stack
                if not stack:
                    if stack is None:
                        lineno = lineno0 + len(lines) - length_hint(todo) - 1
                        reason = "malformed function record"
                        if first_bad is None:
                            first_bad = (lineno, reason)
                        skips.skip(source, lineno, reason)
                    else:
                        events += 1
                    continue
                key = (task, rest) if rooted else rest
                calls[key] = calls_get(key, 0) + 1
        if not calls and first_bad is not None:
            raise InputError(source, first_bad[0], f"no function tracer records found ({first_bad[1]})")
        profile = Profile(_fold(calls, stacks, rooted, per_cpu, per_task), unit="calls", event="function")
        profile.meta["tracer"] = "function"
        if events:
            profile.meta["events"] = str(events)
        return profile


def _fold(calls: dict[Any, int], stacks: dict[bytes, tuple[str, ...] | None], rooted: bool, per_cpu: bool,
          per_task: bool) -> dict[tuple[str, ...], int]:
    """Stacks from the per-record-text counts (in the order records first appeared)."""
    out: dict[tuple[str, ...], int] = {}
    roots: dict[Task, tuple[str, ...]] = {}
    for key, n in calls.items():
        task, rest = key if rooted else (None, key)
        stack = stacks.get(rest)
        if stack is None:  # past the memo's bound: fold the text again
            stack = function_call(rest)
        if rooted:
            r = roots.get(task)
            if r is None:
                r = roots[task] = roots_for(task, per_cpu, per_task)
            stack = r + stack
        out[stack] = out.get(stack, 0) + n
    return out


COLLAPSER = FtraceFunctionCollapser()
