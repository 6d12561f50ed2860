"""Differential profiles: difffolded.pl semantics, per-function deltas, the gate.

The expected folded outputs below were written by hand from difffolded.pl's
rules (and checked once against FlameGraph's difffolded.pl, sorted, since it
prints in Perl hash order).
"""

from __future__ import annotations

import io
import json
from fractions import Fraction

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.diff import (
    DiffProfile,
    GateRule,
    GateSpecError,
    check_gate,
    diff,
    dumps_folded,
    function_deltas,
    parse_fn_rule,
    parse_limit,
)
from flamekit.profile import Profile
from flamekit.render import diffreport

from conftest import GOLDEN

C1 = b"main;parse;0x4005d0 7\nmain;hash 12\nmain;io;write 3\nmain;parse;0x4005e8 2\n"
C2 = b"main;parse;0x4006a0 5\nmain;hash 30\nmain;alloc 4\nmain;io;write 1\n"


def prof(text: bytes) -> Profile:
    return folded.read_profile(io.BytesIO(text), "t")


def difffolded(before: bytes, after: bytes, normalize: bool = False, strip_hex: bool = False) -> bytes:
    d = diff(prof(before), prof(after), normalize=normalize, strip_hex=strip_hex)
    return folded.dumps_diff(d.materialized())


# -- difffolded.pl compatibility -------------------------------------------------

def test_stacks_only_on_one_side_get_zero():
    assert difffolded(C1, C2) == (
        b"main;alloc 0 4\n"
        b"main;hash 12 30\n"
        b"main;io;write 3 1\n"
        b"main;parse;0x4005d0 7 0\n"
        b"main;parse;0x4005e8 2 0\n"
        b"main;parse;0x4006a0 0 5\n"
    )


def test_normalize_scales_before_to_after_total_truncating():
    # totals 24 and 40: each BEFORE count becomes int(c * 40 / 24)
    assert difffolded(C1, C2, normalize=True) == (
        b"main;alloc 0 4\n"
        b"main;hash 20 30\n"
        b"main;io;write 5 1\n"
        b"main;parse;0x4005d0 11 0\n"
        b"main;parse;0x4005e8 3 0\n"
        b"main;parse;0x4006a0 0 5\n"
    )


def test_strip_hex_merges_stacks_that_differ_only_in_addresses():
    assert difffolded(C1, C2, strip_hex=True) == (
        b"main;alloc 0 4\nmain;hash 12 30\nmain;io;write 3 1\nmain;parse;0x... 9 5\n"
    )


def test_both_flags_strip_first_then_normalize():
    assert difffolded(C1, C2, normalize=True, strip_hex=True) == (
        b"main;alloc 0 4\nmain;hash 20 30\nmain;io;write 5 1\nmain;parse;0x... 15 5\n"
    )


def test_strip_hex_replaces_every_literal_in_a_frame():
    out = difffolded(b"f 0xAB+0x10;g 1\n", b"f 0xcd+0x2;g 2\n", strip_hex=True)
    assert out == b"f 0x...+0x...;g 1 2\n"


def test_zero_totals_print_zeros_and_normalize_is_a_no_op():
    # difffolded.pl dies dividing by a zero BEFORE total; flamekit keeps the zeros
    assert difffolded(b"a;b 0\n", b"a;b 0\nc 0\n", normalize=True) == b"a;b 0 0\nc 0 0\n"
    assert difffolded(b"a;b 0\n", b"a;b 3\n", normalize=True) == b"a;b 0 3\n"
    assert difffolded(b"a 5\n", b"a 0\n", normalize=True) == b"a 0 0\n"


def test_equal_totals_are_not_rescaled():
    assert difffolded(b"a 3\nb 1\n", b"a 1\nb 3\n", normalize=True) == b"a 3 1\nb 1 3\n"


def test_empty_sides():
    assert difffolded(b"", b"") == b""
    assert difffolded(b"", b"x;y 2\n", normalize=True) == b"x;y 0 2\n"


def test_swapped_normalized_matches_difffolded_with_files_swapped():
    # difffolded.pl -n after before (the "what disappeared" view)
    d = diff(prof(C1), prof(C2), normalize=True).swapped()
    assert folded.dumps_diff(d.materialized()) == (
        b"main;alloc 2 0\n"
        b"main;hash 18 12\n"
        b"main;io;write 0 3\n"
        b"main;parse;0x4005d0 0 7\n"
        b"main;parse;0x4005e8 0 2\n"
        b"main;parse;0x4006a0 3 0\n"
    )


def test_two_column_output_reads_back_as_the_same_diff():
    d = diff(prof(C1), prof(C2))
    text = folded.dumps_diff(d)
    back = folded.read(io.BytesIO(text), "t", head=text)
    assert isinstance(back, DiffProfile)
    assert back.rows() == d.rows()


# -- per-function deltas ------------------------------------------------------------

def test_function_deltas_exact_values_and_order():
    before = Profile({("main", "a"): 50, ("main", "b"): 50})
    after = Profile({("main", "a"): 50, ("main", "b"): 150})
    rows = function_deltas(diff(before, after))
    assert [r.name for r in rows] == ["b", "a"]  # main stays at 100% and is left out
    b, a = rows
    assert (b.total_before_pct, b.total_after_pct, b.total_delta) == (50.0, 75.0, 25.0)
    assert (b.self_before, b.self_after, b.self_relative) == (50, 150, 0.5)
    assert (a.total_delta, a.self_delta, a.total_relative) == (-25.0, -25.0, -0.5)


def test_inclusive_share_counts_recursion_once():
    before = Profile({("a", "b", "a"): 1, ("c",): 1})
    after = Profile({("a", "b", "a"): 3, ("c",): 1})
    by = {r.name: r for r in function_deltas(diff(before, after))}
    assert by["a"].total_before_pct == 50.0 and by["a"].total_after_pct == 75.0


def test_new_and_gone_functions_have_no_relative_change_for_new():
    rows = {r.name: r for r in function_deltas(diff(Profile({("x",): 1}), Profile({("y",): 1})))}
    assert rows["y"].total_relative is None and rows["y"].total_delta == 100.0
    assert rows["x"].total_relative == -1.0


# -- the gate -----------------------------------------------------------------------

def test_gate_names_only_functions_over_the_limit():
    before = Profile({("m", "a"): 50, ("m", "b"): 40, ("m", "c"): 10})
    after = Profile({("m", "a"): 50, ("m", "b"): 40, ("m", "c"): 30})  # c: 10% -> 25%
    deltas = function_deltas(diff(before, after))
    assert [o.delta.name for o in check_gate(deltas, [GateRule(10.0)])] == ["c"]
    assert check_gate(deltas, [GateRule(15.0)]) == []
    msgs = [o.message() for o in check_gate(deltas, [GateRule(1.0)])]
    assert msgs == ["c: inclusive share grew +15.00 points (10.00% -> 25.00%), limit 1 for any function"]


def test_gate_fn_rule_applies_only_to_matching_functions():
    before = Profile({("m", "ns::hot"): 10, ("m", "cold"): 10})
    after = Profile({("m", "ns::hot"): 30, ("m", "cold"): 10})
    deltas = function_deltas(diff(before, after))
    assert check_gate(deltas, [parse_fn_rule("^cold$:0")]) == []
    [o] = check_gate(deltas, [parse_fn_rule("ns::h.t:5")])
    assert o.delta.name == "ns::hot" and o.rule.limit == 5.0


def test_gate_self_measure_ignores_callers():
    before = Profile({("m", "caller", "leaf"): 10, ("m", "other"): 10})
    after = Profile({("m", "caller", "leaf"): 30, ("m", "other"): 10})
    deltas = function_deltas(diff(before, after))
    assert [o.delta.name for o in check_gate(deltas, [GateRule(5.0)], "total")] == ["leaf", "caller"]
    assert [o.delta.name for o in check_gate(deltas, [GateRule(5.0)], "self")] == ["leaf"]


def test_a_function_breaking_several_rules_is_named_once_with_the_tightest():
    deltas = function_deltas(diff(Profile({("a",): 1, ("b",): 1}), Profile({("a",): 3, ("b",): 1})))
    [o] = check_gate(deltas, [GateRule(10.0), parse_fn_rule("a:1")])
    assert o.rule.limit == 1.0


@pytest.mark.parametrize("spec", ["nocolon", ":5", "a:", "a:x", "a:-1", "(:3", "a:inf", "a:nan"])
def test_bad_fn_rules_are_rejected(spec):
    with pytest.raises(GateSpecError):
        parse_fn_rule(spec)


def test_limits_accept_a_percent_sign():
    assert parse_limit("2.5%") == 2.5
    assert parse_fn_rule("std::(vector|map):3").pattern.pattern == "std::(vector|map)"


# -- properties -----------------------------------------------------------------

frames = st.sampled_from(["main", "a", "b", "c", "0x1f", "f 0x2A", "é", "\udcff"])
stacks = st.lists(frames, min_size=1, max_size=5).map(tuple)
profiles = st.dictionaries(stacks, st.integers(0, 10_000), max_size=12).map(Profile)


@settings(max_examples=150, deadline=None)
@given(profiles, st.floats(0, 100))
def test_diff_of_a_profile_with_itself_reports_nothing_and_passes(p, limit):
    d = diff(p, p.copy())
    deltas = function_deltas(d)
    assert deltas == []
    assert check_gate(function_deltas(d, include_unchanged=True), [GateRule(limit)]) == []
    assert all(b == a for _s, b, a in d.rows())


@settings(max_examples=150, deadline=None)
@given(profiles, profiles)
def test_normalize_makes_totals_equal(before, after):
    d = diff(before, after, normalize=True)
    if before.total:
        assert d.before_total == d.after_total
    # the folded form truncates each line as difffolded.pl does: never above, less than one per line below
    rows = d.rows()
    col = sum(b for _s, b, _a in rows)
    if before.total:
        assert after.total - len(rows) < col <= after.total
    assert sum(a for _s, _b, a in rows) == after.total


@settings(max_examples=150, deadline=None)
@given(profiles, profiles, st.booleans())
def test_swapping_before_and_after_negates_every_delta(before, after, normalize):
    forward = {r.name: r for r in function_deltas(diff(before, after, normalize=normalize), include_unchanged=True)}
    backward = {r.name: r for r in function_deltas(diff(after, before, normalize=normalize), include_unchanged=True)}
    assert forward.keys() == backward.keys()
    for name, f in forward.items():
        b = backward[name]
        assert (b.total_delta, b.self_delta) == (-f.total_delta, -f.self_delta)
    swapped = {r.name: r for r in function_deltas(diff(before, after).swapped(), include_unchanged=True)}
    assert {n: r.total_delta for n, r in swapped.items()} == {n: -r.total_delta for n, r in forward.items()}


@settings(max_examples=150, deadline=None)
@given(profiles, profiles, st.booleans())
def test_rows_conserve_weight(before, after, strip):
    d = diff(before, after, strip_hex=strip)
    rows = d.rows()
    assert sum(b for _s, b, _a in rows) == before.total
    assert sum(a for _s, _b, a in rows) == after.total
    assert len({s for s, _b, _a in rows}) == len(rows)


@settings(max_examples=100, deadline=None)
@given(profiles, st.integers(2, 50))
def test_a_uniformly_scaled_capture_changes_no_share(p, k):
    assert function_deltas(diff(p, p.scaled(k))) == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_fn_rule_parser_only_raises_its_own_error(spec):
    try:
        rule = parse_fn_rule(spec)
    except GateSpecError:
        return
    assert rule.limit >= 0 and rule.pattern is not None


def test_normalize_scale_is_exact():
    d = diff(Profile({("a",): 3}), Profile({("a",): 7}), normalize=True)
    assert d.scale == Fraction(7, 3) and d.before_total == 7


odd_frames = st.sampled_from(["a", "b;c", "x\ny", "r\rs", "", "0xff", "\udcfe"])
odd_profiles = st.dictionaries(st.lists(odd_frames, max_size=4).map(tuple), st.integers(0, 99), max_size=10).map(Profile)


@settings(max_examples=150, deadline=None)
@given(odd_profiles, odd_profiles, st.booleans())
def test_fast_folded_writer_matches_the_reference_writer(before, after, normalize):
    d = diff(before, after, normalize=normalize)
    assert dumps_folded(d) == folded.dumps_diff(d.materialized())


SCHEMA = json.loads((GOLDEN / "diff" / "flamekit-diff.schema.json").read_text())


@settings(max_examples=60, deadline=None)
@given(profiles, profiles, st.booleans(), st.floats(0, 50), st.sampled_from(["total", "self"]))
def test_json_output_follows_the_documented_schema(before, after, normalize, limit, measure):
    d = diff(before, after, normalize=normalize)
    deltas = function_deltas(d)
    offenders = check_gate(deltas, [GateRule(limit)], measure)
    doc = json.loads(diffreport.to_json(d, deltas, None, offenders, True, measure))
    jsonschema.validate(doc, SCHEMA)
    assert doc["functions_changed"] == len(doc["functions"]) == len(deltas)
    assert doc["gate"]["passed"] == (offenders == [])
