"""Cheap recognition of the common ``function_graph`` line layout.

One job: turn a tracefs line such as `` 0)   0.198 us    |      f();`` (CPU
column, optional proc column, optional duration, then the call body after the
last ``|``) into a *call* ``(kind, task, d, kids, ns, name)`` with a few C-level
operations, because the rebuilding loop in :mod:`.ftrace` sees millions of them.

Why it is fast: a line is split once at its last ``|``; the part before it
(the *head*: CPU, task, duration) and the part after it (the *body*:
indentation and function) are memoized separately.  So a trace whose
durations never repeat (every line distinct) still hits both memos: heads
repeat per (CPU, duration), bodies per (depth, function).  Whole lines are
memoized too (bounded), for traces whose lines repeat verbatim.

Why it is exact: a head is accepted only when it matches the strict pattern
below (no latency-flags column, no ``=``), and a body only when the general
classifier (:func:`._fgraph_lines._body`) calls it an entry, leaf or exit and
it holds none of the markers that make the general classifier treat the
whole line differently (irq arrows, ``=>`` banners, trace-cmd events).  For
such lines the general classifier's ``_GRAPH`` pattern splits at the same
``|``, so the call equals what it would produce (tests compare both on the
corpus and on generated lines).  Anything else returns ``None`` and goes the
general way.
"""

from __future__ import annotations

import re
from typing import Any

from ._fgraph_lines import ENTRY, EXIT, LEAF, _body, _duration_ns, _split_task
from ._lazy_re import lazy

#: a call: (kind, task, d, kids, ns, name) -- ``task`` is an interned
#: ``(cpu, pid, comm)``, ``d`` the depth + 1 (the index of the frame in a stack
#: whose slot 0 is a sentinel), ``kids`` the ``{parent node: node}`` map of the
#: function (None for exits), ``ns`` the duration (0 for entries), ``name`` the
#: function (for an exit: the name a ``/* f */`` comment gives, or None)
Call = tuple[int, tuple[Any, Any, Any], int, "dict[int, int] | None", int, "str | None"]

# the columns before the body's '|': CPU, optional ``comm-pid |``, optional
# latency marker and duration -- the layout _GRAPH reads, minus the flags column
_HEAD = lazy(
    rb"""\s*(?P<cpu>\d+)\)\s*
        (?:(?P<proc>[^|=\s][^|=]*?-\d+)\s*\|)?
        \s*(?:[-+!\#*@$]\s*)?(?:(?P<dur>\d+(?:\.\d*)?)\s*us)?\s*""",
    re.VERBOSE,
)
_DURATION = lazy(rb"\d+(?:\.\d*)?")
# bodies holding these make the general classifier read the whole line another way
_OTHER_MARKERS = (b"==========>", b"<==========", b"=>", b": funcgraph_")

#: bound on each memo, so traces whose lines never repeat keep memory small
LIMIT = 1 << 15


class FastLines:
    """Memoized head/body split of common-layout lines (see module doc).

    ``children`` is the rebuilder's call trie: function name -> {parent node:
    node}; a body's call carries its function's map so the rebuilding loop
    finds a child node with one lookup on an int.
    """

    def __init__(self, children: dict[str, dict[int, int]]) -> None:
        self.children = children
        self.memo: dict[bytes, Call] = {}
        self.heads: dict[bytes, tuple[tuple[Any, Any, Any], int | None] | bool] = {}
        self.bodies: dict[bytes, tuple[int, int, dict[int, int] | None, str | None] | bool] = {}
        self.shapes: dict[bytes, tuple[int, Any, int, Any, Any] | bool] = {}
        #: the shapes of leaves and exits only: the rebuilding loop completes a
        #: line of such a shape itself, with the duration of its token (see timed)
        self.timed: dict[bytes, tuple[int, Any, int, Any, Any]] = {}
        self.tasks: dict[tuple[Any, Any, Any], tuple[Any, Any, Any]] = {}

    def task(self, cpu: int | None, pid: bytes | None, comm: bytes | None) -> tuple[Any, Any, Any]:
        """The one shared tuple for this (cpu, pid, comm): the loop compares tasks by identity."""
        key = (cpu, pid, comm)
        return self.tasks.setdefault(key, key)

    def lookup(self, line: bytes) -> Call | None:
        """The call of a common-layout line, or None (the general classifier decides)."""
        u = line.find(b" us ")
        if u > 0:
            # a duration column: the line without its duration token (its shape)
            # repeats even when durations never do
            k = line.rfind(b" ", 0, u) + 1
            shape = self.shapes.get(line[:k] + line[u:])
            if shape is None:
                shape = self._shape(line, k, u)
            if shape is False:
                return self._split(line)
            ns = self.duration(line[k:u])
            if ns is None:
                return None
            kind, task, d, kids, name = shape  # type: ignore[misc]
            call = (kind, task, d, kids, 0 if kind == ENTRY else ns, name)
        else:
            call = self._split(line)  # type: ignore[assignment]
            if call is None:
                return None
        if len(self.memo) < LIMIT:
            self.memo[line] = call
        return call

    @staticmethod
    def duration(tok: bytes) -> int | None:
        """The ns of a duration token, None if it is not one."""
        if len(tok) > 4 and tok[-4] == 46:  # the kernel's %lu.%03lu ("." is 46)
            digits = tok.replace(b".", b"", 1)
            return int(digits) if digits.isdigit() else None
        if _DURATION.fullmatch(tok):
            return _duration_ns(tok)
        return None

    def _shape(self, line: bytes, k: int, u: int) -> tuple[int, Any, int, Any, Any] | bool:
        """The call of a line minus its duration, if the duration is the token at line[k:u]."""
        shape: tuple[int, Any, int, Any, Any] | bool = False
        head, sep, _body_text = line.rpartition(b"|")
        m = _HEAD.fullmatch(head)
        if sep and m is not None and m.start("dur") == k and m.end("dur") == u:
            call = self._split(line)
            if call is not None:
                kind, task, d, kids, _ns, name = call
                shape = (kind, task, d, kids, name)
        if len(self.shapes) < LIMIT:
            key = line[:k] + line[u:]
            self.shapes[key] = shape
            if shape and shape[0] != ENTRY:  # type: ignore[index]
                self.timed[key] = shape  # type: ignore[assignment]
        return shape

    def _split(self, line: bytes) -> Call | None:
        """The call of a line from its memoized head (columns) and body (the call)."""
        head, sep, body = line.rpartition(b"|")
        if not sep:
            return None
        b = self.bodies.get(body)
        if b is None:
            b = self._body(body)
        if b is False:
            return None
        h = self.heads.get(head)
        if h is None:
            h = self._head(head)
        if h is False:
            return None
        kind, d, kids, name = b  # type: ignore[misc]
        task, ns = h  # type: ignore[misc]
        if ns is None:
            if kind == EXIT:
                return None  # an exit without a duration: the general path reports it
            ns = 0
        elif kind == ENTRY:
            ns = 0
        return (kind, task, d, kids, ns, name)

    def _head(self, head: bytes) -> tuple[tuple[Any, Any, Any], int | None] | bool:
        m = _HEAD.fullmatch(head)
        if m is None:
            h: tuple[tuple[Any, Any, Any], int | None] | bool = False
        else:
            comm = pid = None
            if m["proc"] is not None:
                comm, pid = _split_task(m["proc"])
            dur = m["dur"]
            h = (self.task(int(m["cpu"]), pid, comm), None if dur is None else _duration_ns(dur))
        if len(self.heads) < LIMIT:
            self.heads[head] = h
        return h

    def _body(self, body: bytes) -> tuple[int, int, dict[int, int] | None, str | None] | bool:
        b: tuple[int, int, dict[int, int] | None, str | None] | bool = False
        if not any(mark in body for mark in _OTHER_MARKERS):
            n = len(body) - len(body.lstrip(b" "))
            r = _body(body, None, None, None, max(0, n // 2 - 1))
            kind, name = r[0], r[5]
            if kind in (ENTRY, LEAF):
                kids = self.children.get(name)
                if kids is None:
                    kids = self.children[name] = {}
                b = (kind, r[4] + 1, kids, name)
            elif kind == EXIT:
                b = (kind, r[4] + 1, None, name)
        if len(self.bodies) < LIMIT:
            self.bodies[body] = b
        return b
