"""ftrace ``function_graph`` traces (tracefs ``trace``/``trace_pipe``, console
dumps, and ``trace-cmd report``) collapsed into time-weighted stacks.

Lines of the common tracefs layout (CPU, optional proc and duration columns,
then the call) are recognized by :mod:`._fgraph_fast`, which memoizes the
columns and the call body separately, so even a trace whose durations never
repeat costs a few dict lookups per line.  Every other line goes to the
general classifier of :mod:`._fgraph_lines` (memoized on the raw bytes; time
columns are cut off first so lines that differ only by a timestamp share an
entry).  Calls are then rebuilt per **task**:
the proc column or the trace-cmd prefix names the task of each line,
otherwise the context-switch banners (``3) kworker-32 => chromiu-919``) tell
which task a CPU runs, otherwise the CPU stands for its task, so lines of
interleaved CPUs never mix stacks.

Rebuilding (the indentation after the duration column gives each line's depth d):

* an entry ``f() {`` or leaf ``f();`` at depth d first truncates the task's
  stack to d frames (deeper frames whose exit was lost stay unclosed) and pads
  missing levels with placeholder frames (the trace began mid-call);
* an exit ``}`` at depth d closes the frame at depth d.  A placeholder frame
  takes the name an exit prints (``} /* f */``, funcgraph-tail or retval);
  those never named become ``[unknown]``.  An exit with no frame to close
  (tracing_thresh traces print only exits) becomes a call of its own, and the
  exits that follow at shallower depth adopt it: post-order is rebuilt.

Weights (``params['weight']``; the Profile's unit says which):

* ``self`` (default, ``auto``): nanoseconds.  A leaf weighs its duration; a
  closed frame weighs its duration minus the durations of its closed children
  (clamped at 0 when rounding of the printed µs makes children exceed their
  parent; ``meta['clamped']`` counts those).  So the total equals the summed
  durations of the completed calls that have no completed caller.
* ``total``: nanoseconds; only calls without completed children weigh, by
  their inclusive duration (a frame's own time outside its children is dropped).
* ``calls`` (or ``samples``): 1 per completed call, unit ``calls``.

Entries never closed (trace ended, events lost) have no duration and weigh
nothing themselves; ``meta['unclosed']`` counts them, and ``meta['mismatched']``
the named exits that close a frame of another name.  ``CPU:N [LOST M EVENTS]``
resets that CPU's stacks (``meta['lost_events']``).  ``params['per_cpu']`` /
``params['per_task']`` add ``CPU n`` / ``comm-pid`` root frames.

Call paths are kept in a trie (one node per (parent, name)), so the hot loop
never builds or hashes whole stacks, and a frame's weight comes from one
running measure per stack (see :meth:`._fgraph_rebuild.Rebuilder.run`) instead of
per-parent bookkeeping.  With self weights and no root frames, what a line
met again does on top of a node (push a child, weigh a child, close the node)
is remembered in that node's small memo: a repeated line then costs one dict
lookup (see ``remember``).
"""

from __future__ import annotations

from .._records import TYPE_CHECKING
from ..errors import UsageError
from ._ftrace_common import head_records
from ._head import has_any
from ._lazy_re import lazy
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import BinaryIO, ClassVar

    from ..profile import Profile

# headerless detection: a graph line with a duration column and a call body
_LOOKS_GRAPH = lazy(rb"^\s*(?:\[[\d. ]+\]\s*)?(?:[\d.]+\s+\|\s+)?(?:\d+ us\s+\|\s+)?\d+\)\s.*\|\s\s+(?:\S[^(]*\(.*\)\s*[{;]|\})")
_LOOKS_BARE = lazy(rb"^ *(?:[A-Za-z_.$0-9]+\(\)\s*[{;]|\})\s*$")


class FtraceGraphCollapser:
    """ftrace function_graph text → stacks weighted by time (see module doc)."""

    name: ClassVar[str] = "ftrace"
    priority: ClassVar[int] = 80  # before perf: its sniffing also accepts funcgraph text
    description: ClassVar[str] = "ftrace function_graph (tracefs trace/trace_pipe, trace-cmd report)"

    def detect(self, head: bytes) -> bool | None:
        if b"# tracer: function_graph" in head or b": funcgraph_entry:" in head or b": funcgraph_exit:" in head:
            return True
        if not has_any(head, b"|", b"()", b"}"):
            return False  # neither a function_graph line (its "|") nor a bare one ("f() {", "}")
        lines = head_records(head)
        graph = bare = 0
        content = len(lines)
        for line in lines:
            if _LOOKS_GRAPH.match(line):
                graph += 1
            elif _LOOKS_BARE.match(line):
                bare += 1
        if graph >= 5 or (graph >= 2 and graph * 2 >= content):
            return True
        if bare >= 5 and bare * 5 >= content * 4:
            return None
        return False

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        mode = str(options.get("weight", "auto"))
        auto = mode == "auto"
        if mode in ("auto", "self"):
            mode = "self"
        elif mode == "samples":
            mode = "calls"
        elif mode not in ("total", "calls"):
            raise UsageError(f"ftrace: --weight {mode} does not apply to function_graph (use self, total or calls)")
        # the fold's modules (~2 ms of imports) only when a trace is read, not at detection
        from ._fgraph_rebuild import Rebuilder

        return Rebuilder(options, mode, auto).run(stream)


COLLAPSER = FtraceGraphCollapser()
