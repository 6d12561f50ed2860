"""CallGraph from Profiles: exact totals, once per stack, and cycles without recursion limits."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit.callgraph import CallGraph, graph_of, tarjan
from flamekit.profile import Profile

FRAMES = st.sampled_from(["main", "a", "b", "c", "d", "e;x", "f g", "\udcff"])
STACKS = st.dictionaries(st.lists(FRAMES, min_size=1, max_size=12).map(tuple), st.integers(1, 1000), max_size=30)


def brute_force(stacks: dict[tuple[str, ...], int]) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, str], int]]:
    """Independent count: for each function / call pair, scan every stack and
    add its weight when the function (pair) occurs anywhere in it."""
    names = {f for s in stacks for f in s}
    total = {n: sum(w for s, w in stacks.items() if n in s) for n in names}
    self_ = {n: sum(w for s, w in stacks.items() if s[-1] == n) for n in names}
    pairs = {(s[i], s[i + 1]) for s in stacks for i in range(len(s) - 1)}
    edge = {}
    for a, b in pairs:
        edge[(a, b)] = sum(w for s, w in stacks.items() if any(s[i] == a and s[i + 1] == b for i in range(len(s) - 1)))
    return total, self_, edge


@given(STACKS)
@settings(max_examples=150, deadline=None)
def test_totals_equal_brute_force_count(stacks: dict[tuple[str, ...], int]) -> None:
    g = CallGraph.from_profile(Profile(dict(stacks)))
    total, self_, edge = brute_force(stacks)
    assert {n: node.total for n, node in g.nodes.items()} == total
    assert {n: node.self for n, node in g.nodes.items()} == {n: self_.get(n, 0) for n in total}
    assert {k: e.weight for k, e in g.edges.items()} == edge
    assert g.total == sum(stacks.values())
    # inclusive weight never exceeds the whole, and self never exceeds total
    assert all(0 <= n.self <= n.total <= g.total for n in g.nodes.values())


@given(st.integers(1, 1000), st.integers(1, 50), st.sampled_from([1, 2, 3]))
@settings(max_examples=20, deadline=None)
def test_deep_recursive_stacks_count_once(depth: int, weight: int, period: int) -> None:
    """A 1,000-frame recursive stack: each function counts once, however often it recurses."""
    cyc = ["r0", "r1", "r2"][:period]
    stack = tuple(["main"] + [cyc[i % period] for i in range(depth)])
    other = ("main", "r0", "leaf")
    stacks = {stack: weight, other: 7}
    g = CallGraph.from_profile(Profile(dict(stacks)))
    total, self_, edge = brute_force(stacks)
    assert {n: node.total for n, node in g.nodes.items()} == total
    assert g.nodes["r0"].total == weight + 7
    assert {k: e.weight for k, e in g.edges.items()} == edge
    if period > 1 and depth > period:
        assert [c.members for c in g.cycles] == [sorted(cyc)]
    else:
        assert g.cycles == []


def test_thousand_frame_recursion_example() -> None:
    stack = ("main",) + ("fib",) * 1000
    g = CallGraph.from_profile(Profile({stack: 5, ("main", "other"): 5}))
    assert g.nodes["fib"].total == 5 and g.nodes["fib"].self == 5
    assert g.edges[("fib", "fib")].weight == 5
    assert g.nodes["main"].total == 10
    assert g.cycles == []  # self recursion is not a cycle of several functions


def test_scc_on_a_long_chain_needs_no_recursion() -> None:
    n = max(100_000, sys.getrecursionlimit() * 20)
    graph = {f"f{i}": [f"f{i + 1}"] for i in range(n)}
    graph[f"f{n}"] = ["f0"]  # one giant cycle
    comps = tarjan(graph)
    assert len(comps) == 1 and len(comps[0]) == n + 1


@given(st.dictionaries(st.integers(0, 12), st.lists(st.integers(0, 12), max_size=4), max_size=13))
@settings(max_examples=150, deadline=None)
def test_scc_matches_mutual_reachability(adj: dict[int, list[int]]) -> None:
    graph = {str(k): sorted({str(v) for v in vs}) for k, vs in adj.items()}
    for vs in list(graph.values()):
        for v in vs:
            graph.setdefault(v, [])

    def reach(s: str) -> set[str]:
        seen, todo = {s}, [s]
        while todo:
            for w in graph[todo.pop()]:
                if w not in seen:
                    seen.add(w)
                    todo.append(w)
        return seen

    r = {v: reach(v) for v in graph}
    expected = {frozenset(w for w in graph if w in r[v] and v in r[w]) for v in graph}
    assert {frozenset(c) for c in tarjan(graph)} == expected


def test_cycles_numbered_by_smallest_member() -> None:
    p = Profile({("m", "b", "a", "b"): 1, ("m", "y", "x", "y", "x"): 1})
    g = CallGraph.from_profile(p)
    assert [(c.number, c.members) for c in g.cycles] == [(1, ["a", "b"]), (2, ["x", "y"])]
    assert g.nodes["a"].cycle == 1 and g.nodes["y"].cycle == 2 and g.nodes["m"].cycle is None


def test_graph_of_prefers_an_attached_exact_graph_of_the_same_source() -> None:
    exact = CallGraph(total=3.0)
    exact.source = "x.txt"
    p = Profile({("a",): 1}, sources=["x.txt"])
    p.extras["callgraph"] = exact
    assert graph_of(p) is exact
    merged = p.merge(Profile({("b",): 1}, sources=["y.txt"]))
    assert graph_of(merged) is not exact and set(graph_of(merged).nodes) == {"a", "b"}


def test_graph_building_restores_the_garbage_collector() -> None:
    import gc

    from flamekit.callgraph import no_gc

    assert gc.isenabled()
    CallGraph.from_profile(Profile({("a", "b"): 1}))
    assert gc.isenabled()
    try:
        with no_gc():
            assert not gc.isenabled()
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with no_gc():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
