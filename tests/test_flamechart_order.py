"""A flame chart of a perf capture does not depend on how the collapser worked.

The perf collapser's stack order comes from its memo tables and, with two
processes, from which process happened to fold which chunk: it varies from run
to run.  Its Profile says so (``input_order`` False) and a flame chart then
draws the stacks in the order of their folded text, so charting a capture,
with one process or two, and charting its folded form give the same SVG.
Every other output sorts the stacks itself; a test holds them to it.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.errors import Skips
from flamekit.profile import Profile
from flamekit.render.flamegraph import FlameGraphOptions, render

GOLDEN = Path(__file__).parent / "golden" / "perf"
CHART = FlameGraphOptions(flamechart=True)


def _perf(name: str, jobs: int) -> Profile:
    return load(str(GOLDEN / name), "perf", CollapseOptions(skips=Skips(strict=False), params={"jobs": jobs}))


@pytest.mark.parametrize("name", ["cdeep.perf.txt", "cpptmpl.perf.txt", "node.perf.txt"])
def test_chart_of_a_capture_draws_its_stacks_in_folded_order(name: str) -> None:
    one, two = _perf(name, 1), _perf(name, 2)
    assert not one.input_order and not two.input_order
    in_folded_order = Profile(dict(one.sorted_items()), one.unit, one.event)
    assert in_folded_order.input_order
    want = render(in_folded_order, CHART)
    assert render(one, CHART) == want
    assert render(two, CHART) == want


def test_chart_of_a_capture_equals_chart_of_its_folded_text() -> None:
    one = _perf("cdeep.perf.txt", 2)
    from_text = folded.read(io.BytesIO(folded.dumps(one)), "x.folded", Skips(strict=False))
    assert from_text.input_order
    from_text.unit, from_text.event = one.unit, one.event  # what folded text does not carry
    assert render(one, CHART) == render(from_text, CHART)


def test_shuffled_perf_order_charts_the_same() -> None:
    p = _perf("cdeep.perf.txt", 1)
    items = list(p.stacks.items())
    random.Random(7).shuffle(items)
    shuffled = Profile(dict(items), p.unit, p.event, input_order=False)
    assert list(shuffled.stacks) != list(p.stacks)
    assert render(shuffled, CHART) == render(p, CHART)


def test_input_order_is_kept_for_folded_text_and_lost_by_merging_with_perf() -> None:
    text = b"b;x 1\na;y 2\n"
    p = folded.read(io.BytesIO(text), "t.folded", Skips(strict=False))
    chart = render(p, CHART)
    # input order: b before a, so b's frame starts at the left edge
    assert chart.index(b"<title>b (") < chart.index(b"<title>a (")
    merged = p.merge(_perf("cdeep.perf.txt", 1))
    assert not merged.input_order
    assert p.merge(p).input_order


def test_every_other_output_ignores_the_profiles_order() -> None:
    # what the perf collapser's order (memo tables, two processes) must never reach
    from flamekit.callgraph import graph_of
    from flamekit.render import pprof, speedscope
    from flamekit.render.callgraph import to_dot

    p = _perf("cpptmpl.perf.txt", 1)
    items = list(p.stacks.items())
    random.Random(3).shuffle(items)
    q = Profile(dict(items), p.unit, p.event, input_order=False)
    assert list(q.stacks) != list(p.stacks)
    assert folded.dumps(q) == folded.dumps(p)
    assert pprof.dumps(q) == pprof.dumps(p)
    assert speedscope.dumps(q) == speedscope.dumps(p)
    assert to_dot(graph_of(q)) == to_dot(graph_of(p))
    assert render(q) == render(p)
