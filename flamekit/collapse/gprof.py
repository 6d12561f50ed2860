"""GNU gprof text output (flat profile and call graph).

gprof records no stacks, only arcs (caller -> callee with a call count), so
the exact result is the :class:`~flamekit.callgraph.CallGraph`, handed on in
``profile.extras["callgraph"]``.  The Profile itself is an approximation for
flame graphs: each function's self time is shared among the paths that reach
it in proportion to call counts, as gprof itself assumes
(``meta["approximate"] = "gprof arcs"``).  Weights are microseconds, or call
counts when gprof recorded no time.  With the ``callgraph_only`` param
(set by ``flamekit callgraph`` for a single input) the approximation is skipped.

The parser is imported by :meth:`GprofCollapser.collapse`: detection imports
every format module, and most inputs are not gprof.
"""

from __future__ import annotations

from collections.abc import Container

from .._records import TYPE_CHECKING
from ..errors import InputError
from ..gcpause import no_gc
from ..profile import Profile, Stack
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import BinaryIO, ClassVar

    from ..callgraph import CallGraph

#: below this share of the total a path stops splitting and follows its
#: busiest caller only, so the number of stacks stays bounded on huge graphs
SPLIT_FLOOR = 1e-3

_MARKERS = (b"Flat profile:", b"flat profile:", b"Call graph (explanation follows)", b"call graph profile:")


def looks_gprof(head: bytes) -> bool:
    """True when ``head`` (possibly UTF-16) shows gprof's section headers."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # the head may end inside a character: decode what is whole
        head = head[: len(head) & ~1].decode("utf-16", "ignore").encode("utf-8", "surrogateescape")
    if any(m in head for m in _MARKERS):
        return True
    if head.startswith(b"*** File ") and b" -> " in head:
        return True  # gprof -A: recognised, so the error can say what to run instead
    return b"granularity: each sample hit covers" in head and b"index" in head


def approximate_profile(graph: CallGraph) -> tuple[dict[Stack, int], str]:
    """Stacks approximated from ``graph``'s arcs, and their unit.

    A function's own weight (self microseconds, or its call count when no
    time was recorded) walks up its callers, split by call counts; callers
    already on the path are skipped (recursion), and a path whose callers
    are all on it already leaves through its cycle's outside callers.
    Rounding keeps each function's weight exact (largest remainder).
    """
    by_calls = graph.metric == "calls"
    unit = "calls" if by_calls else "microseconds"
    own: dict[str, int] = {}
    for name, node in graph.nodes.items():
        amount = (node.all_calls or 0) if by_calls else int(round(node.self * 1e6))
        if amount > 0:
            own[name] = amount
    parents: dict[str, list[tuple[str, float]]] = {}
    for (caller, callee), e in sorted(graph.edges.items()):
        if caller != callee:
            parents.setdefault(callee, []).append((caller, float(e.calls) if e.calls else 1.0))
    members: dict[int, list[str]] = {}
    for name in sorted(graph.nodes):
        c = graph.nodes[name].cycle
        if c is not None:
            members.setdefault(c, []).append(name)
    outside: dict[int, list[tuple[str, float]]] = {}
    for c, names in members.items():
        inside = set(names)
        acc: dict[str, float] = {}
        for m in names:
            for p, k in parents.get(m, ()):
                if p not in inside:
                    acc[p] = acc.get(p, 0.0) + k
        outside[c] = sorted(acc.items())
    floor = SPLIT_FLOOR * sum(own.values())
    chains: dict[str, tuple[str, ...]] = {}

    def callers_of(top: str, path: Container[str]) -> list[tuple[str, float]]:
        cands = [(p, k) for p, k in parents.get(top, ()) if p not in path]
        if not cands:
            cyc = graph.nodes[top].cycle
            if cyc is not None and top in parents:
                cands = [(p, k) for p, k in outside.get(cyc, ()) if p not in path]
        return cands

    def chain(top: str) -> tuple[str, ...]:
        """Busiest callers upward from ``top`` (memoized; no repeats)."""
        got = chains.get(top)
        if got is None:
            path = [top]
            seen = {top}
            while True:
                cands = callers_of(path[-1], seen)
                if not cands:
                    break
                best = max(cands, key=lambda pk: (pk[1], pk[0]))[0]
                path.append(best)
                seen.add(best)
            got = chains[top] = tuple(path[1:])
        return got

    stacks: dict[Stack, int] = {}
    for name in sorted(own):
        weight = own[name]
        pieces: dict[Stack, float] = {}
        work: list[tuple[tuple[str, ...], float]] = [((name,), float(weight))]
        while work:
            path, w = work.pop()
            if w < floor:
                # too small to split further: leave by the busiest callers
                up = chain(path[-1])
                for i, p in enumerate(up):
                    if p in path:
                        up = up[:i]
                        break
                path += up
                cands = []
            else:
                cands = callers_of(path[-1], path)
            if not cands:
                key = path[::-1]
                pieces[key] = pieces.get(key, 0.0) + w
                continue
            den = sum(k for _, k in cands)
            for p, k in cands:
                work.append((path + (p,), w * k / den))
        _round_into(stacks, pieces, weight)
    return stacks, unit


def _round_into(stacks: dict[Stack, int], pieces: dict[Stack, float], weight: int) -> None:
    """Add ``pieces`` as integers summing exactly to ``weight``."""
    keys = sorted(pieces)
    floors = {k: int(pieces[k]) for k in keys}
    left = weight - sum(floors.values())
    if left > 0:
        for k in sorted(keys, key=lambda k: (floors[k] - pieces[k], k))[:left]:
            floors[k] += 1
    for k in keys:
        if floors[k]:
            stacks[k] = stacks.get(k, 0) + floors[k]


class GprofCollapser:
    """gprof's text report -> approximate Profile + exact CallGraph."""

    name: ClassVar[str] = "gprof"
    priority: ClassVar[int] = 30
    description: ClassVar[str] = "GNU gprof text output (flat profile and call graph)"

    def detect(self, head: bytes) -> bool | None:
        return True if looks_gprof(head) else False

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        from ._gprof_text import parse

        try:
            data = stream.read()
        except (OSError, EOFError) as e:
            raise InputError(options.source, None, f"cannot read: {e}") from None
        graph = parse(data, options.source, options.skips)
        if options.get("callgraph_only", False):
            # the caller wants only the exact graph (flamekit callgraph on one input)
            stacks: dict[Stack, int] = {}
            unit = "calls" if graph.metric == "calls" else "microseconds"
        else:
            with no_gc():
                stacks, unit = approximate_profile(graph)
        profile = Profile(stacks, unit=unit, event="gprof", sources=[options.source])
        profile.meta["approximate"] = "gprof arcs"
        if graph.metric == "calls":
            profile.meta["no_time"] = "gprof recorded no time; weights are call counts"
        profile.extras["callgraph"] = graph
        return profile


COLLAPSER = GprofCollapser()
