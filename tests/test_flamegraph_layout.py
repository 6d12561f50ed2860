"""The flame graph layout against a plain dictionary-of-prefixes reference.

The fast layout sorts stacks as strings and finds callees by bisection; the
reference builds every prefix explicitly.  Both must agree on every frame's
name, depth, position and width, for any names (including characters that
sort below the separators) and any pruning threshold, and weight must be
conserved.
"""

from __future__ import annotations

import heapq
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit.render.layout import EMBED_ZOOM, Embedded, Frame, layout

NAMES = st.sampled_from(["a", "b", "a b", "ab", "a\x00", "\x00", "\x01", "\x02x", "", "\udcff", "\u00e9", "zz;z"])
STACKS = st.dictionaries(st.lists(NAMES, max_size=6).map(tuple), st.integers(1, 50), max_size=25)


def reference(stacks: dict[tuple[str, ...], int], before: dict[tuple[str, ...], int] | None = None
              ) -> list[tuple[str, int, int, int, int]]:
    """Every frame (name, depth, x, w, before) in preorder, children alphabetical, own weight first."""
    tree: dict[str, Any] = {"kids": {}, "w": 0, "b": 0, "own": 0}
    everything = set(stacks) | set(before or {})
    for s in everything:
        w = stacks.get(s, 0)
        b = (before or {}).get(s, 0) if before is not None else w
        node = tree
        node["w"] += w
        node["b"] += b
        for f in s:
            node = node["kids"].setdefault(f, {"kids": {}, "w": 0, "b": 0, "own": 0})
            node["w"] += w
            node["b"] += b
        node["own"] += w
    out: list[tuple[str, int, int, int, int]] = []

    def walk(name: str, node: dict[str, Any], depth: int, x: int) -> None:
        if node["w"] == 0:
            return
        out.append((name, depth, x, node["w"], node["b"]))
        cx = x + node["own"]
        for k in sorted(node["kids"]):
            walk(k, node["kids"][k], depth + 1, cx)
            cx += node["kids"][k]["w"]

    walk("all", tree, 0, 0)
    return out


def everything(lay_frames: list[Frame]) -> list[tuple[str, int, int, int, int]]:
    """Drawn and embedded frames as (name, depth, absolute x, w, before)."""
    out = []

    def emb(e: Embedded, depth: int, px: int) -> None:
        out.append((e.name, depth, px + e.dx, e.w, e.before))
        for k in e.kids:
            emb(k, depth + 1, px + e.dx)

    for f in lay_frames:
        out.append((f.name, f.depth, f.x, f.w, f.before))
        for e in f.hidden:
            emb(e, f.depth + 1, f.x)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STACKS)
def test_unpruned_layout_equals_the_reference(stacks: dict[tuple[str, ...], int]) -> None:
    if not stacks:
        return
    lay = layout(stacks, threshold=0)
    assert [(f.name, f.depth, f.x, f.w, f.before) for f in lay.frames] == reference(stacks)
    assert lay.total == sum(stacks.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STACKS, st.integers(1, 60))
def test_pruning_draws_exactly_the_wide_frames_and_embeds_the_rest(stacks: dict[tuple[str, ...], int],
                                                                   threshold: int) -> None:
    if not stacks:
        return
    ref = reference(stacks)
    lay = layout(stacks, threshold=threshold, max_embedded=10_000)
    drawn = [(f.name, f.depth, f.x, f.w, f.before) for f in lay.frames]
    # drawn: the root and every frame at least threshold wide (callers are at least as wide)
    assert drawn == [r for r in ref if r[1] == 0 or r[3] >= threshold]
    # with room for everything, drawn + embedded is the whole tree
    assert sorted(everything(lay.frames)) == sorted(ref)
    for f in lay.frames:  # weight is conserved: callees never exceed their caller
        assert sum(e.w for e in f.hidden) + sum(g.w for g in lay.frames if g.depth == f.depth + 1
                                                and f.x <= g.x < f.x + f.w) <= f.w


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STACKS, st.integers(2, 60), st.integers(0, 8))
def test_a_small_budget_embeds_the_heaviest_hidden_frames(stacks: dict[tuple[str, ...], int], threshold: int,
                                                          budget: int) -> None:
    if not stacks:
        return
    ref = set(reference(stacks))
    lay = layout(stacks, threshold=threshold, max_embedded=budget)
    got = everything(lay.frames)
    assert set(got) <= ref and len(got) == len(set(got))
    assert lay.embedded == len(got) - len(lay.frames) <= budget
    drawn = {(f.name, f.depth, f.x, f.w, f.before) for f in lay.frames}
    embedded = [e for e in got if e not in drawn]
    if lay.embedded == budget and budget:
        # nothing left out is heavier than the lightest frame kept (candidates: callees of kept frames)
        kept = set(got)
        lightest = min(e[3] for e in embedded)
        for r in ref - kept:
            parent_kept = any(k[1] == r[1] - 1 and k[2] <= r[2] and r[2] + r[3] <= k[2] + k[3] for k in kept)
            if parent_kept:
                assert r[3] <= lightest


def reference_embedding(stacks: dict[tuple[str, ...], int], threshold: int, budget: int
                        ) -> list[tuple[str, int, int, int]]:
    """Embedded frames (name, depth, x, w) in the order chosen, by the plainest selection.

    Candidates are the hidden callees (lighter than threshold, not lighter than the floor)
    of drawn frames, found in preorder and name order; the heaviest is taken first, ties
    going to the one found first; a taken frame's callees become candidates, found then.
    No cut, no floor raised on the way: what the layout may skip must not change this.
    """
    tree: dict[str, Any] = {"kids": {}, "w": 0, "own": 0}
    for s, w in stacks.items():
        node = tree
        node["w"] += w
        for f in s:
            node = node["kids"].setdefault(f, {"kids": {}, "w": 0, "own": 0})
            node["w"] += w
        node["own"] += w
    floor = 0 if len(stacks) <= budget else threshold / EMBED_ZOOM
    heap: list[tuple[int, int, str, int, int, dict[str, Any]]] = []

    def found(node: dict[str, Any], depth: int, x: int) -> list[tuple[str, dict[str, Any], int]]:
        out, cx = [], x + node["own"]
        for name in sorted(node["kids"]):
            out.append((name, node["kids"][name], cx))
            cx += node["kids"][name]["w"]
        return out

    def walk(node: dict[str, Any], depth: int, x: int) -> None:
        kids = found(node, depth, x)
        for name, kid, kx in kids:
            if kid["w"] < threshold and kid["w"] >= floor and kid["w"] > 0:
                heapq.heappush(heap, (-kid["w"], len(seen), name, depth + 1, kx, kid))
                seen.append(name)
        for name, kid, kx in kids:
            if kid["w"] >= threshold and kid["w"] > 0:
                walk(kid, depth + 1, kx)

    seen: list[str] = []
    walk(tree, 0, 0)
    out: list[tuple[str, int, int, int]] = []
    while heap and len(out) < budget:
        _, _, name, depth, x, node = heapq.heappop(heap)
        out.append((name, depth, x, node["w"]))
        for kname, kid, kx in found(node, depth, x):
            if kid["w"] >= floor and kid["w"] > 0:
                heapq.heappush(heap, (-kid["w"], len(seen), kname, depth + 1, kx, kid))
                seen.append(kname)
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.lists(st.sampled_from("abcd"), max_size=5).map(tuple), st.integers(1, 6), max_size=30),
       st.integers(2, 40), st.integers(0, 12))
def test_embedded_frames_are_chosen_heaviest_first_ties_to_the_first_found(
        stacks: dict[tuple[str, ...], int], threshold: int, budget: int) -> None:
    # few light weights: many ties, where a floor raised past the budget's lightest could go wrong
    if not stacks:
        return
    lay = layout(stacks, threshold=threshold, max_embedded=budget)
    got: list[tuple[str, int, int, int]] = []
    for e in lay.hidden:
        if e.parent >= 0:
            parent = lay.frames[e.parent]
            depth, x = parent.depth + 1, parent.x + e.dx
        else:
            _, pdepth, px, _ = got[-1 - e.parent]
            depth, x = pdepth + 1, px + e.dx
        got.append((e.name, depth, x, e.w))
    assert got == reference_embedding(stacks, threshold, budget)


@settings(max_examples=100, deadline=None)
@given(STACKS, STACKS)
def test_differential_layout_carries_before_weights(after: dict[tuple[str, ...], int],
                                                    before: dict[tuple[str, ...], int]) -> None:
    if not after:
        return
    lay = layout(after, threshold=0, before=before)
    assert [(f.name, f.depth, f.x, f.w, f.before) for f in lay.frames] == reference(after, before)
    assert lay.total_before == sum(before.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STACKS, STACKS, st.integers(1, 60), st.integers(0, 8))
def test_pruned_differential_layout_keeps_before_weights_and_self_deltas(
        after: dict[tuple[str, ...], int], before: dict[tuple[str, ...], int], threshold: int, budget: int) -> None:
    # pruned, callees are searched from a weight floor (another path than the unpruned layout's)
    full = {(f.name, f.depth, f.x): (f.w, f.before, f.self_delta) for f in layout(after, threshold=0, before=before).frames}
    lay = layout(after, threshold=threshold, before=before, max_embedded=budget)

    def check(e: Embedded, depth: int, px: int) -> None:
        assert full[(e.name, depth, px + e.dx)] == (e.w, e.before, e.self_delta)
        for k in e.kids:
            check(k, depth + 1, px + e.dx)

    for f in lay.frames:
        assert full[(f.name, f.depth, f.x)] == (f.w, f.before, f.self_delta)
        for e in f.hidden:
            check(e, f.depth + 1, f.x)


def test_sort_by_weight_places_heaviest_first_and_own_weight_last() -> None:
    lay = layout({("m",): 4, ("m", "a"): 1, ("m", "b"): 3}, threshold=0, sort="weight")
    assert [(f.name, f.x, f.w) for f in lay.frames] == [("all", 0, 8), ("m", 0, 8), ("b", 0, 3), ("a", 3, 1)]


def test_flamechart_merges_only_adjacent_stacks() -> None:
    lay = layout({("a", "b"): 2, ("a", "c"): 1, ("d",): 1, ("a", "b", "e"): 1}, threshold=0, flamechart=True)
    assert [(f.name, f.depth, f.x, f.w) for f in lay.frames] == [
        ("all", 0, 0, 5), ("a", 1, 0, 3), ("b", 2, 0, 2), ("c", 2, 2, 1), ("d", 1, 3, 1),
        ("a", 1, 4, 1), ("b", 2, 4, 1), ("e", 3, 4, 1)]


def test_the_empty_stack_is_the_roots_own_weight() -> None:
    lay = layout({(): 5, ("a",): 1}, threshold=0)
    assert [(f.name, f.x, f.w) for f in lay.frames] == [("all", 0, 6), ("a", 5, 1)]


# -- packed stacks (folded input) and the floor search -------------------------------------

PACKABLE = st.sampled_from(["a", "b", "a b", "ab", "", "\udcff", "\u00e9", "zz", "0x1", "A", "a!", "z z"])
#: ("",) would pack as the empty stack, which folded text cannot write either (both are "")
PACKABLE_STACKS = st.dictionaries(st.lists(PACKABLE, max_size=6).map(tuple).filter(lambda s: s != ("",)),
                                  st.integers(1, 50), max_size=40)


def _shape(lay: Any) -> tuple[Any, ...]:
    frames = [(f.name, f.depth, f.x, f.w, f.before, f.self_delta, f.index,
               [(e.name, e.dx, e.w, e.index) for e in f.hidden]) for f in lay.frames]
    hidden = [(e.name, e.dx, e.w, e.before, e.self_delta, e.parent, e.index, [k.index for k in e.kids])
              for e in lay.hidden]
    return frames, hidden, lay.total, lay.total_before, lay.max_depth, lay.embedded


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PACKABLE_STACKS, st.floats(0, 60), st.integers(0, 12), st.sampled_from(["name", "weight"]))
def test_packed_stacks_lay_out_exactly_as_their_tuples(stacks: dict[tuple[str, ...], int], threshold: float,
                                                       budget: int, sort: str) -> None:
    if not stacks:
        return
    packed = {"\x01".join(s): w for s, w in stacks.items()}
    assert _shape(layout(packed, threshold=threshold, max_embedded=budget, sort=sort, packed=True)) == \
        _shape(layout(stacks, threshold=threshold, max_embedded=budget, sort=sort))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STACKS, st.floats(0.5, 80))
def test_callees_above_a_floor_are_exactly_the_heavy_ones(stacks: dict[tuple[str, ...], int], floor: float) -> None:
    from flamekit.render.layout import SortedSource

    src = SortedSource(stacks, None)
    todo = [src.root()]
    while todo:
        node = todo.pop()
        every = src.children(node[5])
        assert src.children(node[5], floor) == [k for k in every if k[2] >= floor]
        todo.extend(every)


def test_a_one_stack_chain_is_drawn_whole_with_its_self_delta_on_the_leaf() -> None:
    # below 'a' only one stack passes through 'b': b, c and d are added at once, as wide as b
    after = {("a", "b", "c", "d"): 5, ("a", "x"): 2, ("a", "\x00", "\x02x", "e"): 4}
    before = {("a", "b", "c", "d"): 3, ("a", "x"): 2, ("a", "\x00", "\x02x", "e"): 4}
    lay = layout(after, threshold=1, before=before)
    got = [(f.name, f.depth, f.x, f.w, f.before, f.self_delta) for f in lay.frames]
    assert got == [("all", 0, 0, 11, 9, 0), ("a", 1, 0, 11, 9, 0), ("\x00", 2, 0, 4, 4, 0), ("\x02x", 3, 0, 4, 4, 0),
                   ("e", 4, 0, 4, 4, 0), ("b", 2, 4, 5, 3, 0), ("c", 3, 4, 5, 3, 0), ("d", 4, 4, 5, 3, 2),
                   ("x", 2, 9, 2, 2, 0)]
    assert lay.max_depth == 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STACKS, st.integers(0, 60), st.sampled_from(["name", "weight"]))
def test_packed_stacks_lay_out_as_tuples_do(stacks: dict[tuple[str, ...], int], threshold: int, sort: str) -> None:
    # folded input arrives packed (one-stack chains are cut from the packed key)
    # (names packing reserves, and empty names, which packed form cannot tell from fewer frames, left out)
    clean = {s: w for s, w in stacks.items() if all(f and not any(c in f for c in "\x00\x01\x02;") for f in s)}
    if not clean:
        return
    packed = {"\x01".join(s): w for s, w in clean.items()}
    a = layout(clean, threshold=threshold, sort=sort, max_embedded=5)
    b = layout(packed, threshold=threshold, sort=sort, max_embedded=5, packed=True)
    assert [(f.name, f.depth, f.x, f.w, f.before, f.self_delta) for f in a.frames] == \
        [(f.name, f.depth, f.x, f.w, f.before, f.self_delta) for f in b.frames]
    assert everything(a.frames) == everything(b.frames) and a.max_depth == b.max_depth
