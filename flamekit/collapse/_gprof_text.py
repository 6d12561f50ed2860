"""Parsing GNU gprof's text output into a :class:`~flamekit.callgraph.CallGraph`.

Reads the flat profile and the call graph in every layout gprof prints
(default, ``-b``, ``-q``, ``-p``, ``-T``, ``-l``, ``-z``, ``-Q``): numbers are
anchored at the left and the name at the trailing ``[idx]`` or ``(idx)``, so
C++ names with spaces and indexes of 10000 and more come through intact.
UTF-16 (a Windows redirection) and CRLF are undone first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..callgraph import CallGraph, Cycle, Edge
from ..errors import InputError, Skips
from ..gcpause import no_gc
from ._lazy_re import lazy

ENC = "utf-8"
ERR = "surrogateescape"

_PRIMARY = lazy(rb"\[(\d+)\]?\s*(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(?:(\d+)(?:\+(\d+))?\s+)?(\S.*)")
_ARC = lazy(rb"\s+(?:(\d+\.\d+)\s+(\d+\.\d+)\s+)?(?:(\d+)(?:/(\d+)|\+(\d+))?\s+)?(\S.*)")
_CYCLE_TAIL = lazy(rb"\s<cycle (\d+)>$")
_WHOLE = lazy(rb"<cycle (\d+) as a whole>")
_FLAT_ROW = lazy(rb"\s*(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(?:(\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+)?(\S.*)")
_GRAN_TOTAL = lazy(rb"of ([\d.]+) seconds")
_PER_CALL = {b"s": 1.0, b"ms": 1e-3, b"us": 1e-6, b"ns": 1e-9}

FLAT, GRAPH = 1, 2


def normalize(data: bytes, source: str) -> bytes:
    """UTF-16 (with BOM) re-encoded as UTF-8 (CRLF is undone by :func:`parse`)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputError(source, None, f"invalid UTF-16 input: {e.reason}") from None
        return text.encode(ENC, ERR)
    return data


@dataclass(slots=True)
class _Name:
    """A function reference as printed: name, ``<cycle N>``, ``[idx]``/``(idx)``, or a whole cycle."""

    name: str
    cycle: int | None
    index: int | None
    whole_cycle: int | None = None


def split_name(raw: bytes) -> _Name:
    """``even <cycle 1> [5]`` -> name, cycle 1, index 5 (also ``main (1)``)."""
    raw = raw.rstrip()
    index = None
    last = raw[-1:]
    if last == b"]" or last == b")":
        j = raw.rfind(b"[" if last == b"]" else b"(")
        tag = raw[j + 1: -1]
        if j > 0 and tag.isdigit() and raw[j - 1: j].isspace():
            index = int(tag)
            raw = raw[:j].rstrip()
    if raw[-1:] != b">":
        return _Name(raw.decode(ENC, ERR), None, index)
    whole = _WHOLE.fullmatch(raw)
    if whole:
        return _Name(raw.decode(ENC, ERR), None, index, int(whole.group(1)))
    cycle = None
    m = _CYCLE_TAIL.search(raw)
    if m:
        cycle = int(m.group(1))
        raw = raw[: m.start()]
    return _Name(raw.decode(ENC, ERR), cycle, index)


@dataclass(slots=True)
class FlatRow:
    """One function of the flat profile (rows of ``-l`` output summed)."""

    name: str
    self: float
    calls: int | None
    total_per_call: float | None


class GprofParser:
    """One pass over the lines (driven by :func:`parse`): headers through
    :meth:`feed`, sections through :meth:`flat_rows` and :meth:`table`, then :meth:`finish`."""

    def __init__(self, source: str, skips: Skips) -> None:
        self.source = source
        self.skips = skips
        self.section = 0
        self.flat: dict[str, FlatRow] = {}
        self.flat_order: list[str] = []
        self.per_call_scale = 1.0
        self.graph = CallGraph(unit="seconds", origin="gprof")
        self.graph.source = source
        self.granularity_total: float | None = None
        self.no_time = False
        self.saw_graph = False
        self.names_by_index: dict[int, str] = {}
        self.index_by_name: dict[str, int] = {}
        self.whole: dict[int, tuple[float, float, int | None, int | None, list[str]]] = {}
        self._names: dict[bytes, _Name] = {}
        self.primaries: set[str] = set()
        self._arcs: dict[bytes, tuple[_Name, str | None]] = {}
        # arcs read: the regex match of the child line, or the parent line's numbers
        self._raw_arcs: dict[tuple[str, str], re.Match[bytes] | tuple[None, bytes | None, bytes | None, bytes | None]] = {}
        self._parent_arcs: list[tuple[str, str, bytes | None, bytes | None, bytes | None]] = []
        self._deferred: list[tuple[str, list[bytes]]] = []
        self.printed: set[bytes] = set()  # indexes of the entries printed (as digits)
        self.annotated = False

    # -- names ----------------------------------------------------------------
    def resolve(self, n: _Name) -> str:
        """A unique node name: a second function printed with the same name
        under another index becomes ``name [idx]``."""
        if n.index is None:
            return n.name
        known = self.names_by_index.get(n.index)
        if known is not None:
            return known
        name = n.name
        other = self.index_by_name.get(name)
        if other is not None and other != n.index:
            name = f"{name} [{n.index}]"
        self.names_by_index[n.index] = name
        self.index_by_name.setdefault(name, n.index)
        node = self.graph.node(name)
        node.index = n.index
        if n.cycle is not None:
            node.cycle = n.cycle
        return name

    # -- lines ----------------------------------------------------------------
    def feed(self, lineno: int, line: bytes) -> None:
        if line.startswith(b"\f"):
            self._end_section()
            line = line.lstrip(b"\f")
        stripped = line.strip()
        self._header_line(stripped)

    def _header_line(self, s: bytes) -> None:
        if not s:
            return
        words = s.split()
        if words[:3] == [b"time", b"seconds", b"seconds"]:
            self.section = FLAT
            for w in words:
                if w.endswith(b"/call"):
                    self.per_call_scale = _PER_CALL.get(w[:-5], 0.0)
            return
        if words[0] == b"index" and b"name" in words and b"self" in words:
            self.section = GRAPH
            self.saw_graph = True
            return
        if s.startswith(b"granularity:"):
            m = _GRAN_TOTAL.search(s)
            if m:
                self.granularity_total = float(m.group(1))
            elif b"no time propagated" in s:
                self.no_time = True
        elif s == b"no time accumulated":
            self.no_time = True
        elif s.startswith(b"*** File "):
            self.annotated = True

    def flat_rows(self, lines: list[bytes], i: int) -> int:
        """Read flat-profile rows from ``lines[i]`` on until the blank line (or
        form feed) that ends them; returns the index of that line."""
        match = _FLAT_ROW.match
        flat = self.flat
        order = self.flat_order
        name_of = self._name
        scale = self.per_call_scale
        n = len(lines)
        while i < n:
            line = lines[i]
            m = match(line)
            if m is None:
                s = line.strip()
                if not s:
                    if order:
                        self.section = 0
                        return i
                    i += 1
                    continue
                if s[:1] == b"\f" or line[:1] == b"\f":
                    return i
                self.skips.skip(self.source, i + 1, "not a gprof flat-profile row")
                i += 1
                continue
            i += 1
            _pct, _cum, self_s, calls_s, _per, total_per, rest = m.groups()
            name = name_of(rest).name
            self_sec = float(self_s)
            calls = int(calls_s) if calls_s else None
            row = flat.get(name)
            if row is None:
                flat[name] = FlatRow(name, self_sec, calls, float(total_per) * scale if total_per else None)
                order.append(name)
            else:  # -l prints a function once per line; sum them
                row.self += self_sec
                if calls is not None:
                    row.calls = (row.calls or 0) + calls
        return i

    def table(self, lines: list[bytes], i: int) -> int:
        """Read call-graph table lines from ``lines[i]`` on (the hot path, kept
        flat); returns the index of the first line after the table.

        Every arc is printed twice, under its caller (a child line) and under
        its callee (a parent line).  Child lines are read; parent lines naming
        a caller with an entry of its own (``[idx]``) are only set aside, and
        read in :meth:`finish` if their count shows some child line missing.
        """
        arc_match = _ARC.match
        primary_match = _PRIMARY.match
        cache = self._arcs
        arcs = self._raw_arcs
        skip = self.skips.skip
        source = self.source
        pending: list[bytes] = []
        parents: list[tuple[tuple[_Name, str | None], bytes | None, bytes | None, bytes | None]] = []
        name: str | None = None  # the entry's function, once its [idx] line is read
        members: list[str] | None = None  # for a <cycle N as a whole> entry
        seen_primary = False
        start = i + 1
        n = len(lines)
        while i < n:
            line = lines[i]
            i += 1
            first = line[:1]
            if first == b" " or first == b"\t":
                if not seen_primary and line[-1:] == b"]":
                    pending.append(line)
                    continue
                m = arc_match(line)
                if m is None:
                    if line.strip():
                        skip(source, i, "malformed gprof call-graph arc line")
                    continue
                tail = m[6]
                hit = cache.get(tail)
                if hit is None:
                    nm = self._name(tail)
                    if nm.index is None and tail != b"<spontaneous>":
                        if tail.startswith(b"called/total"):  # -T's header around "index"
                            continue
                        if not parents and not pending and not seen_primary and not m.group(1) and not m.group(3):
                            i -= 1  # prose after the table (the blurb without -b)
                            break
                        skip(source, i, "gprof call-graph arc without an [index]")
                        continue
                    hit = cache[tail] = (nm, None if nm.index is None else self.resolve(nm))
                if not seen_primary:
                    parents.append((hit, m.group(1), m.group(2), m.group(3)))
                elif name is not None:
                    cname = hit[1]
                    if cname is None:
                        skip(source, i, "<spontaneous> as a callee")
                        continue
                    key = (name, cname)
                    if key not in arcs:
                        arcs[key] = m  # its numbers are read in finish
                elif members is not None and hit[1] is not None:
                    members.append(hit[1])
            elif first == b"[":
                m = primary_match(line)
                if m is None or seen_primary:
                    skip(source, i, "malformed gprof call-graph entry line")
                    continue
                seen_primary = True
                name, members = self._primary(m.groups(), parents, pending)
                parents, pending = [], []
            elif first == b"-" and line.startswith(b"---"):
                self._close(seen_primary, parents, pending, members, start)
                parents, pending, name, members, seen_primary, start = [], [], None, None, False, i + 1
            else:
                s = line.strip()
                if not s or s.startswith(b"called/total") or s.startswith(b"index"):
                    continue
                i -= 1  # a form feed, prose or another section: the table is over
                break
        self._close(seen_primary, parents, pending, members, start)
        self.section = 0
        return i

    def _name(self, tail: bytes) -> _Name:
        """split_name, memoized: a function's name is printed many times."""
        n = self._names.get(tail)
        if n is None:
            n = self._names[tail] = split_name(tail)
        return n

    def _end_section(self) -> None:
        self.section = 0

    def _primary(self, groups: tuple, parents: list, pending: list[bytes]  # type: ignore[type-arg]
                 ) -> tuple[str | None, list[str] | None]:
        """The entry's ``[idx]`` line: the function's own numbers; returns its
        node name (or a member list to fill, for a whole cycle)."""
        _i, _pct, self_s, child_s, calls_s, rec_s, tail = groups
        n = self._name(tail)
        self_sec = float(self_s)
        total = self_sec + float(child_s)
        calls = int(calls_s) if calls_s else None
        rec = int(rec_s) if rec_s else None
        if n.whole_cycle is not None:
            members: list[str] = []
            self.whole[n.whole_cycle] = (self_sec, total, calls, rec, members)
            return None, members
        name = self.resolve(n)
        self.primaries.add(name)
        if n.index is not None:
            self.printed.add(b"%d" % n.index)
        node = self.graph.node(name)
        node.self = self_sec
        node.total = total
        node.calls = calls
        node.recursive_calls = rec
        for (_p, pname), a, b, c in parents:
            if pname is None:  # <spontaneous>
                node.spontaneous = True
            else:  # a caller printed as (idx): its own entry is not there
                self._parent_arcs.append((pname, name, a, b, c))
        if pending:
            self._deferred.append((name, pending))
        return name, None

    def _close(self, seen_primary: bool, parents: list, pending: list[bytes],  # type: ignore[type-arg]
               members: list[str] | None, line: int) -> None:
        """End of an entry (its separator line)."""
        if not seen_primary and (parents or pending):
            self.skips.skip(self.source, line, "gprof call-graph entry without its [index] line")
        if members is not None:
            members.sort()

    # -- result ---------------------------------------------------------------
    def finish(self) -> CallGraph:
        self._end_section()
        g = self.graph
        edges = g.edges
        raw = self._raw_arcs
        # parent lines set aside: read those whose caller has no entry of its
        # own after all (a damaged report), the others were read as child lines
        printed = self.printed
        unread = [(callee, line) for callee, pending in self._deferred for line in pending
                  if line[line.rfind(b"[") + 1: -1] not in printed]
        for callee, line in unread:
            m = _ARC.match(line)
            if m is None:
                continue
            sa, sb, sc, _t, _r, tail = m.groups()
            nm = self._name(tail)
            if nm.index is not None:
                self._parent_arcs.append((self.resolve(nm), callee, sa, sb, sc))
        for caller, callee, sa, sb, sc in self._parent_arcs:
            if (caller, callee) not in raw:  # the caller's own entry was not printed
                raw[(caller, callee)] = (None, sa, sb, sc)
        # an arc is the child line's match, or (None, self, children, calls): [1], [2], [3] either way
        for key, arc in raw.items():
            self_s, child_s, calls_s = arc[1], arc[2], arc[3]
            edges[key] = Edge(key[0], key[1], float(self_s) + float(child_s or 0) if self_s else None,
                              int(calls_s) if calls_s else None)
        if not self.saw_graph and not self.flat:
            if self.annotated:
                raise InputError(self.source, None, "gprof -A annotated source has no flat profile or call graph; "
                                 "run gprof -b (or -p / -q) instead")
            raise InputError(self.source, None, "no gprof flat profile or call graph found")
        for name in self.flat_order:
            row = self.flat[name]
            node = g.nodes.get(name)
            if node is None:
                # only in the flat profile (-p, or suppressed from the graph)
                node = g.node(name)
                node.self = row.self
                node.calls = row.calls
                inclusive = (row.calls or 0) * (row.total_per_call or 0.0)
                node.total = max(row.self, inclusive)
                if not self.saw_graph:
                    g.meta["totals"] = "from the flat profile's per-call columns (rounded)"
        # functions seen only in arcs (their entry excluded with -Q or -q NAME):
        # self from the flat profile, else inferred from the arcs around them
        orphans = [k for k in g.nodes if k not in self.primaries]
        inbound: dict[str, float] = {}
        outbound: dict[str, float] = {}
        in_arcs: set[str] = set()
        if orphans:
            for (a, b), e in g.edges.items():
                in_arcs.add(a)
                in_arcs.add(b)
                if e.weight is not None and a != b:
                    inbound[b] = inbound.get(b, 0.0) + e.weight
                    outbound[a] = outbound.get(a, 0.0) + e.weight
        called_total: dict[str, int] | None = None
        for name in orphans:
            node = g.nodes[name]
            if name not in in_arcs:
                continue
            frow = self.flat.get(name)
            if frow is not None:
                node.self = frow.self
                node.calls = frow.calls if node.calls is None else node.calls
                node.total = max(frow.self, inbound.get(name, 0.0))
            else:
                if node.calls is None and node.cycle is None:
                    if called_total is None:
                        # N/T on a child line: T is every call into the child
                        called_total = {b: int(arc[4]) for (_a, b), arc in raw.items()
                                        if isinstance(arc, re.Match) and arc[4]}
                    node.calls = called_total.get(name)
                node.total = inbound.get(name, 0.0)
                node.self = max(0.0, round(node.total - outbound.get(name, 0.0), 2))
        selfs = sum(n.self for n in g.nodes.values())
        total = self.granularity_total if self.granularity_total else selfs
        if self.no_time or total <= 0:
            g.metric = "calls"
            g.total = float(sum(n.calls or 0 for n in g.nodes.values()))
            g.meta["no_time"] = "gprof recorded no time; showing call counts"
        else:
            g.total = total
        for num in sorted(self.whole):
            self_sec, tot, calls, rec, members = self.whole[num]
            g.cycles.append(Cycle(num, members, self_sec, tot, calls, rec))
            for member in members:
                g.nodes[member].cycle = num
        # cycles gprof did not print as a whole (-q with a filter): from the member marks
        known = {c.number for c in g.cycles}
        extra: dict[int, list[str]] = {}
        for name, node in g.nodes.items():
            if node.cycle is not None and node.cycle not in known:
                extra.setdefault(node.cycle, []).append(name)
        for num in sorted(extra):
            g.cycles.append(Cycle(num, sorted(extra[num])))
        return g


def parse(data: bytes, source: str = "<input>", skips: Skips | None = None) -> CallGraph:
    """The CallGraph of a whole gprof text output."""
    with no_gc():
        return _parse(data, source, skips)


def _parse(data: bytes, source: str, skips: Skips | None) -> CallGraph:
    skips = skips if skips is not None else Skips()
    data = normalize(data, source)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").rstrip(b"\r")
    p = GprofParser(source, skips)
    lines = data.split(b"\n")
    i, n = 0, len(lines)
    while i < n:
        if p.section == GRAPH:
            i = p.table(lines, i)
            if i >= n:
                break
        elif p.section == FLAT:
            i = p.flat_rows(lines, i)
            if i >= n:
                break
        p.feed(i + 1, lines[i])
        i += 1
    return p.finish()
