"""The Profile hub: merge, filter, prune, totals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flamekit.profile import Profile, merge

stacks = st.dictionaries(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=5).map(tuple), st.integers(0, 1000), max_size=20
)


@given(stacks, stacks)
def test_merge_is_commutative(a, b):
    assert Profile(a).merge(Profile(b)).stacks == Profile(b).merge(Profile(a)).stacks


@given(stacks, stacks, stacks)
def test_merge_is_associative(a, b, c):
    left = Profile(a).merge(Profile(b)).merge(Profile(c))
    right = Profile(a).merge(Profile(b).merge(Profile(c)))
    assert left.stacks == right.stacks


@given(stacks, stacks)
def test_merge_conserves_weight(a, b):
    assert merge([Profile(a), Profile(b)]).total == sum(a.values()) + sum(b.values())


@given(stacks, st.integers(0, 500))
def test_prune_conserves_weight(d, threshold):
    assert Profile(d).prune(threshold).total == Profile(d).total


def test_prune_keeps_hidden_weight_in_the_parent():
    p = Profile({("a", "b"): 10, ("a", "c"): 1})
    assert p.prune(2).stacks == {("a", "b"): 10, ("a",): 1}


def test_total_weights_count_a_function_once_per_stack():
    p = Profile({("f", "g", "f"): 3, ("g",): 2})
    assert p.total_weights() == {"f": 3, "g": 5}
    assert p.self_weights() == {"f": 3, "g": 2}


def test_grep_and_focus():
    p = Profile({("main", "work", "leaf"): 4, ("main", "idle"): 1})
    assert p.grep("work").stacks == {("main", "work", "leaf"): 4}
    assert p.focus("^work$").stacks == {("work", "leaf"): 4}


def test_a_packed_profile_unpacks_on_first_use_and_equals_the_tuple_form() -> None:
    from flamekit.profile import unpack

    packed = {"a\x01b": 3, "": 2, "c": 1}
    p = Profile.from_packed(packed, unit="bytes", sources=["x"])
    assert p.packed_stacks() is packed
    assert p == Profile({("a", "b"): 3, (): 2, ("c",): 1}, unit="bytes", sources=["x"])
    assert p.packed_stacks() is None
    assert list(unpack(packed)) == [("a", "b"), (), ("c",)]
    q = Profile.from_packed({"a": 1})
    q.stacks = {("z",): 9}  # assigning replaces the packed form
    assert q.packed_stacks() is None and q.total == 9
