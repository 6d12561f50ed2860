"""Parsing GNU gprof's text output into a :class:`~flamekit.callgraph.CallGraph`.

Reads the flat profile and the call graph in every layout gprof prints
(default, ``-b``, ``-q``, ``-p``, ``-T``, ``-l``, ``-z``, ``-Q``): numbers are
anchored at the left and the name at the trailing ``[idx]`` or ``(idx)``, so
C++ names with spaces and indexes of 10000 and more come through intact.
UTF-16 (a Windows redirection) and CRLF are undone first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..callgraph import CallGraph, Cycle
from ..errors import InputError, Skips

ENC = "utf-8"
ERR = "surrogateescape"

_PRIMARY = re.compile(rb"\[(\d+)\]?\s*(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(?:(\d+)(?:\+(\d+))?\s+)?(\S.*)")
_ARC = re.compile(rb"\s+(?:(\d+\.\d+)\s+(\d+\.\d+)\s+)?(?:(\d+)(?:/(\d+)|\+(\d+))?\s+)?(\S.*)")
_INDEX_TAIL = re.compile(rb"\s*(?:\[(\d+)\]|\((\d+)\))$")
_CYCLE_TAIL = re.compile(rb"\s<cycle (\d+)>$")
_WHOLE = re.compile(rb"<cycle (\d+) as a whole>")
_NUM = re.compile(rb"\d+(?:\.\d+)?")
_GRAN_TOTAL = re.compile(rb"of ([\d.]+) seconds")
_PER_CALL = {b"s": 1.0, b"ms": 1e-3, b"us": 1e-6, b"ns": 1e-9}

FLAT, GRAPH = 1, 2


def normalize(data: bytes, source: str) -> bytes:
    """UTF-16 (with BOM) re-encoded as UTF-8; CRLF is handled per line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputError(source, None, f"invalid UTF-16 input: {e.reason}") from None
        return text.encode(ENC, ERR)
    return data


@dataclass
class _Name:
    """A function reference as printed: name, cycle, index, excluded index."""

    name: str
    cycle: int | None
    index: int | None
    whole_cycle: int | None = None


def split_name(raw: bytes) -> _Name:
    """``even <cycle 1> [5]`` -> name, cycle 1, index 5 (also ``main (1)``)."""
    raw = raw.rstrip()
    index = None
    m = _INDEX_TAIL.search(raw)
    if m and m.start() > 0:
        index = int(m.group(1) or m.group(2))
        raw = raw[: m.start()]
    whole = _WHOLE.fullmatch(raw)
    if whole:
        return _Name(raw.decode(ENC, ERR), None, index, int(whole.group(1)))
    cycle = None
    m = _CYCLE_TAIL.search(raw)
    if m:
        cycle = int(m.group(1))
        raw = raw[: m.start()]
    return _Name(raw.decode(ENC, ERR), cycle, index)


@dataclass
class _Entry:
    parents: list[tuple[_Name, float | None, int | None]] = field(default_factory=list)
    primary: tuple[_Name, float, float, int | None, int | None] | None = None
    children: list[tuple[_Name, float | None, int | None]] = field(default_factory=list)
    line: int = 0


@dataclass
class FlatRow:
    name: str
    self: float
    calls: int | None
    total_per_call: float | None


class GprofParser:
    """One pass over the lines; call :meth:`feed` per line, then :meth:`finish`."""

    def __init__(self, source: str, skips: Skips) -> None:
        self.source = source
        self.skips = skips
        self.section = 0
        self.entry: _Entry | None = None
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
        self.spontaneous: set[str] = set()
        self.whole: dict[int, tuple[float, float, int | None, int | None, list[str]]] = {}
        self._names: dict[bytes, _Name] = {}
        self.primaries: set[str] = set()
        self.called_total: dict[str, int] = {}
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
        if self.section == GRAPH:
            self._graph_line(lineno, line, stripped)
            return
        if self.section == FLAT:
            if not stripped:
                if self.flat_order:
                    self.section = 0
                return
            self._flat_line(lineno, stripped)
            return
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

    def _flat_line(self, lineno: int, s: bytes) -> None:
        parts = s.split(None, 3)
        if len(parts) < 4 or not all(_NUM.fullmatch(p) for p in parts[:3]):
            self.skips.skip(self.source, lineno, "not a gprof flat-profile row")
            return
        self_sec = float(parts[2])
        calls = None
        per_call = None
        rest = parts[3]
        more = rest.split(None, 3)
        if len(more) == 4 and more[0].isdigit() and _NUM.fullmatch(more[1]) and _NUM.fullmatch(more[2]):
            calls = int(more[0])
            per_call = float(more[2]) * self.per_call_scale
            rest = more[3]
        n = split_name(rest)
        name = n.name
        row = self.flat.get(name)
        if row is None:
            self.flat[name] = FlatRow(name, self_sec, calls, per_call)
            self.flat_order.append(name)
        else:  # -l prints a function once per line; sum them
            row.self += self_sec
            if calls is not None:
                row.calls = (row.calls or 0) + calls

    def _graph_line(self, lineno: int, line: bytes, s: bytes) -> None:
        if not s:
            return
        first = s[0]
        if first == 45 and s.startswith(b"---"):  # '-'
            self._end_entry()
            return
        if first == 99 and s.startswith(b"called/total") or first == 105 and s.startswith(b"index"):
            return
        entry = self.entry
        if entry is None and not line[:1].isspace() and first != 91:
            # prose after the table (the blurb without -b): the table is over
            self.section = 0
            return
        if entry is None:
            entry = self.entry = _Entry(line=lineno)
        if first == 91:  # '[': the primary line
            m = _PRIMARY.match(line)
            if m is None or entry.primary is not None:
                self.skips.skip(self.source, lineno, "malformed gprof call-graph entry line")
                return
            _i, _pct, self_s, child_s, calls, rec, tail = m.groups()
            n = self._name(tail)
            entry.primary = (n, float(self_s), float(child_s), int(calls) if calls else None,
                             int(rec) if rec else None)
            entry.line = lineno
            return
        m = _ARC.match(line)
        if m is None:
            self.skips.skip(self.source, lineno, "malformed gprof call-graph arc line")
            return
        self_s, child_s, calls, called_total, _r, tail = m.groups()
        n = self._name(tail)
        if n.index is None and tail != b"<spontaneous>":
            if entry.primary is None and not entry.parents and self_s is None and calls is None:
                # prose after the table (the blurb without -b): the table is over
                self.entry = None
                self.section = 0
                return
            self.skips.skip(self.source, lineno, "gprof call-graph arc without an [index]")
            return
        weight = float(self_s) + float(child_s) if self_s else None
        if entry.primary is None:
            entry.parents.append((n, weight, int(calls) if calls else None))
        else:
            entry.children.append((n, weight, int(calls) if calls else None))
            if called_total:  # N/T: T is every call into the child (or its cycle)
                self.called_total.setdefault(self.resolve(n), int(called_total))

    def _name(self, tail: bytes) -> _Name:
        """split_name, memoized: a function's name is printed many times."""
        n = self._names.get(tail)
        if n is None:
            n = self._names[tail] = split_name(tail)
        return n

    def _end_section(self) -> None:
        self._end_entry()
        self.section = 0

    def _end_entry(self) -> None:
        entry, self.entry = self.entry, None
        if entry is None:
            return
        if entry.primary is None:
            self.skips.skip(self.source, entry.line or None, "gprof call-graph entry without its [index] line")
            return
        n, self_sec, children, calls, rec = entry.primary
        g = self.graph
        if n.whole_cycle is not None:
            members = sorted(self.resolve(c[0]) for c in entry.children)
            self.whole[n.whole_cycle] = (self_sec, self_sec + children, calls, rec, members)
            return
        name = self.resolve(n)
        self.primaries.add(name)
        node = g.node(name)
        node.self = self_sec
        node.total = self_sec + children
        node.calls = calls
        node.recursive_calls = rec
        for p, weight, pcalls in entry.parents:
            if p.name == "<spontaneous>" and p.index is None:
                node.spontaneous = True
                continue
            self._arc(self.resolve(p), name, weight, pcalls)
        for c, weight, ccalls in entry.children:
            self._arc(name, self.resolve(c), weight, ccalls)

    def _arc(self, caller: str, callee: str, weight: float | None, calls: int | None) -> None:
        # every arc is printed twice (under the caller and under the callee)
        if (caller, callee) not in self.graph.edges:
            self.graph.add_edge(caller, callee, weight, calls)

    # -- result ---------------------------------------------------------------
    def finish(self) -> CallGraph:
        self._end_section()
        g = self.graph
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
        inbound: dict[str, float] = {}
        outbound: dict[str, float] = {}
        for (a, b), e in g.edges.items():
            if e.weight is not None and a != b:
                inbound[b] = inbound.get(b, 0.0) + e.weight
                outbound[a] = outbound.get(a, 0.0) + e.weight
        in_arcs = {a for a, _ in g.edges} | {b for _, b in g.edges}
        for name, node in g.nodes.items():
            if name in self.primaries or name not in in_arcs:
                continue
            row = self.flat.get(name)
            if row is not None:
                node.self = row.self
                node.calls = row.calls if node.calls is None else node.calls
                node.total = max(row.self, inbound.get(name, 0.0))
            else:
                if node.calls is None and node.cycle is None:
                    node.calls = self.called_total.get(name)
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
            for m in members:
                g.nodes[m].cycle = num
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
    skips = skips if skips is not None else Skips()
    data = normalize(data, source)
    p = GprofParser(source, skips)
    for lineno, line in enumerate(data.split(b"\n"), 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        p.feed(lineno, line)
    return p.finish()
