"""The call graph: functions with self and total weight, calls between them.

Built exactly from a :class:`~flamekit.profile.Profile` (a function counts
once per stack it appears in, however deep it recurses; an edge counts once
per stack in which the caller calls the callee), or filled in by the gprof
collapser with gprof's own numbers.  Cycles are strongly connected components,
found iteratively so that no recursion limit is ever hit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .gcpause import no_gc
from .profile import Profile


@dataclass(slots=True)
class Node:
    """One function.  ``calls`` is how often others called it (gprof's N),
    ``recursive_calls`` how often it or its cycle called itself (gprof's +M)."""

    name: str
    self: float = 0.0
    total: float = 0.0
    calls: int | None = None
    recursive_calls: int | None = None
    cycle: int | None = None
    index: int | None = None
    spontaneous: bool = False

    @property
    def all_calls(self) -> int | None:
        """Every call, recursive ones included (what gprof2dot prints as N×)."""
        if self.calls is None and self.recursive_calls is None:
            return None
        return (self.calls or 0) + (self.recursive_calls or 0)


@dataclass(slots=True)
class Edge:
    """A call from ``caller`` to ``callee``: the weight that flowed along it
    (None when the source does not say, as for gprof's intra-cycle arcs)."""

    caller: str
    callee: str
    weight: float | None = None
    calls: int | None = None


@dataclass
class Cycle:
    """A set of mutually recursive functions (a strongly connected component)."""

    number: int
    members: list[str]
    self: float = 0.0
    total: float = 0.0
    calls: int | None = None
    recursive_calls: int | None = None


@dataclass
class CallGraph:
    """Functions and calls.  ``total`` is what 100 % means; ``metric`` is
    ``"weight"`` normally and ``"calls"`` when no time was recorded (gprof)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str], Edge] = field(default_factory=dict)
    total: float = 0.0
    unit: str = "samples"
    origin: str = "profile"
    metric: str = "weight"
    cycles: list[Cycle] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    source: str | None = None

    # -- building -----------------------------------------------------------
    def node(self, name: str) -> Node:
        """The node called ``name``, created empty when new."""
        n = self.nodes.get(name)
        if n is None:
            n = self.nodes[name] = Node(name)
        return n

    def add_edge(self, caller: str, callee: str, weight: float | None = None, calls: int | None = None) -> Edge:
        """Add to (or create) the edge ``caller -> callee``."""
        key = (caller, callee)
        e = self.edges.get(key)
        if e is None:
            self.node(caller)
            self.node(callee)
            e = self.edges[key] = Edge(caller, callee, weight, calls)
            return e
        if weight is not None:
            e.weight = (e.weight or 0) + weight
        if calls is not None:
            e.calls = (e.calls or 0) + calls
        return e

    # -- reading ------------------------------------------------------------
    def callees(self) -> dict[str, list[str]]:
        """Adjacency: caller -> callees, both in sorted order (deterministic)."""
        out: dict[str, list[str]] = {name: [] for name in sorted(self.nodes)}
        for caller, callee in sorted(self.edges):
            out[caller].append(callee)
        return out

    def callers(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {name: [] for name in sorted(self.nodes)}
        for caller, callee in sorted(self.edges):
            out[callee].append(caller)
        return out

    def roots(self) -> list[str]:
        """Functions nobody else calls (or that gprof marked spontaneous)."""
        called = {callee for caller, callee in self.edges if caller != callee}
        return sorted(n for n, node in self.nodes.items() if n not in called or node.spontaneous)

    def strongly_connected_components(self) -> list[list[str]]:
        """Every SCC with more than one member (mutual recursion), members sorted."""
        return [c for c in tarjan(self.callees()) if len(c) > 1]

    def find_cycles(self) -> list[Cycle]:
        """Number the SCCs (1, 2, ... in order of their smallest member) and mark nodes."""
        comps = sorted(self.strongly_connected_components(), key=lambda c: c[0])
        self.cycles = []
        for n, members in enumerate(comps, 1):
            cyc = Cycle(n, members)
            member_set = set(members)
            for m in members:
                self.nodes[m].cycle = n
                cyc.self += self.nodes[m].self
            cyc.total = max(self.nodes[m].total for m in members)
            inward = [e.weight for e in self.edges.values() if e.callee in member_set and e.caller not in member_set]
            if inward and all(w is not None for w in inward):
                cyc.total = max(cyc.total, sum(w for w in inward if w is not None))
            self.cycles.append(cyc)
        return self.cycles

    # -- construction from a profile -----------------------------------------
    @classmethod
    def from_profile(cls, profile: Profile) -> CallGraph:
        """The exact call graph of ``profile``.

        A node's total is the weight of the stacks that contain it (once per
        stack); an edge's weight that of the stacks in which the caller
        directly calls the callee (once per stack); self is leaf weight.
        """
        with no_gc():
            return cls._from_profile(profile)

    @classmethod
    def _from_profile(cls, profile: Profile) -> CallGraph:
        totals: dict[str, int] = {}
        selfs: dict[str, int] = {}
        edges: dict[tuple[str, str], int] = {}
        grand = 0
        tget = totals.get
        eget = edges.get
        for stack, w in profile.stacks.items():
            grand += w
            if not stack:
                continue
            leaf = stack[-1]
            selfs[leaf] = selfs.get(leaf, 0) + w
            names = set(stack)
            for name in names:
                totals[name] = tget(name, 0) + w
            pairs: Iterable[tuple[str, str]] = zip(stack, stack[1:])
            if len(names) != len(stack):
                pairs = set(pairs)  # recursion: count each call pair once per stack
            for pair in pairs:
                edges[pair] = eget(pair, 0) + w
        g = cls(total=grand, unit=profile.unit, origin="profile")
        g.meta.update(profile.meta)
        for name in sorted(totals):
            g.nodes[name] = Node(name, self=selfs.get(name, 0), total=totals[name])
        for (a, b) in sorted(edges):
            g.edges[(a, b)] = Edge(a, b, edges[(a, b)], None)
        for i, name in enumerate(sorted(g.nodes, key=lambda n: (-g.nodes[n].total, n)), 1):
            g.nodes[name].index = i
        g.find_cycles()
        return g


def tarjan(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of ``graph`` (every SCC, members sorted),
    by Tarjan's algorithm with an explicit stack instead of recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, i = work[-1]
            succ = graph.get(v, ())
            if i < len(succ):
                work[-1] = (v, i + 1)
                w = succ[i]
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[v] < low[parent]:
                    low[parent] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def graph_of(profile: Profile) -> CallGraph:
    """The exact graph a collapser attached (gprof), when this Profile is
    still that one input; otherwise the exact graph of the stacks."""
    attached = profile.extras.get("callgraph")
    if isinstance(attached, CallGraph) and profile.sources == [attached.source]:
        return attached
    return CallGraph.from_profile(profile)
