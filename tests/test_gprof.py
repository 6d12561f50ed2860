"""gprof text -> CallGraph (exact) and approximate Profile, on gprof output recorded here.

tests/golden/gprof/ holds the outputs of src/calls.c and src/shapes.cpp
(record.sh) in several gprof flag variants; calls_expected.json gives the
call graph the program must produce, worked out from its source.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit.callgraph import CallGraph
from flamekit.collapse import detect, load
from flamekit.collapse.base import CollapseOptions
from flamekit.collapse._gprof_text import parse
from flamekit.collapse.gprof import COLLAPSER, approximate_profile
from flamekit.errors import InputError, Skips

from conftest import GOLDEN, corpus_path

G = GOLDEN / "gprof"
EXPECTED = json.loads((G / "calls_expected.json").read_text())
CALLS_VARIANTS = ["calls.txt", "calls_b.txt", "calls_bq.txt", "calls_T.txt", "calls_bT.txt"]


def graph(name: str, skips: Skips | None = None) -> CallGraph:
    return parse((G / name).read_bytes(), name, skips or Skips(strict=True))


def flat_rows(text: str) -> dict[str, tuple[float, int | None]]:
    """gprof's own flat profile, read independently: seconds and calls per name."""
    rows: dict[str, tuple[float, int | None]] = {}
    lines = text.replace("\f", "\n").splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:3] == ["time", "seconds", "seconds"])
    for line in lines[start + 1:]:
        if not line.strip():
            break
        f = line.split(None, 6)
        if len(f) == 7 and f[3].isdigit():
            name, calls = f[6], int(f[3])
        else:
            name, calls = line.split(None, 3)[3], None
        name = re.sub(r"( <cycle \d+>)? \[\d+\]$", "", name)
        rows[name] = (float(f[2]), calls)
    return rows


# -- exact call graphs ---------------------------------------------------------

@pytest.mark.parametrize("name", CALLS_VARIANTS)
def test_call_graph_matches_the_program(name: str) -> None:
    g = graph(name)
    exp_nodes = EXPECTED["nodes"]
    assert sorted(g.nodes) == sorted(exp_nodes)
    for fn, exp in exp_nodes.items():
        node = g.nodes[fn]
        assert (node.calls, node.recursive_calls, node.cycle, node.spontaneous) == (
            exp["calls"], exp["recursive_calls"], exp["cycle"], exp["spontaneous"]), fn
    assert sorted((a, b, e.calls) for (a, b), e in g.edges.items()) == sorted(map(tuple, EXPECTED["edges"]))
    cycles = {str(c.number): {"members": c.members, "calls": c.calls, "recursive_calls": c.recursive_calls}
              for c in g.cycles}
    assert cycles == EXPECTED["cycles"]


@pytest.mark.parametrize("name", ["calls.txt", "calls_b.txt", "calls_bp.txt", "calls_T.txt", "shapes_b.txt",
                                  "shapes_notime_b.txt"])
def test_flat_profile_self_times_and_calls_equal_gprofs(name: str) -> None:
    rows = flat_rows((G / name).read_text())
    g = graph(name)
    assert rows, "the flat profile has rows"
    for fn, (self_sec, calls) in rows.items():
        node = g.nodes[fn]
        assert node.self == self_sec, fn
        assert node.calls == calls, fn


def test_cycle_totals_explained() -> None:
    """gprof's cycle arithmetic, as flamekit keeps it.

    Cycle 2 (expr -> term -> factor -> expr) is entered only from main, so
    the arc main -> expr carries the time of the whole cycle: the cycle's
    self plus what its members' callees outside the cycle took.  Each
    member's own total counts only its self and its calls leaving the cycle
    (expr and term call nothing outside, so they show 0), and intra-cycle
    arcs carry counts but no time.  Cycle 1 (even <-> odd) likewise.
    """
    g = graph("calls_b.txt")
    for number, entry in ((1, "even"), (2, "expr")):
        cyc = next(c for c in g.cycles if c.number == number)
        arc_in = g.edges[("main", entry)].weight
        assert arc_in == pytest.approx(cyc.total)
        assert cyc.self == pytest.approx(sum(g.nodes[m].self for m in cyc.members))
        leaving = sum(e.weight or 0 for (a, b), e in g.edges.items() if a in cyc.members and b not in cyc.members)
        assert cyc.total == pytest.approx(cyc.self + leaving, abs=0.01 * len(cyc.members))
        assert sum(g.nodes[m].total for m in cyc.members) == pytest.approx(cyc.total, abs=0.01 * len(cyc.members))
        for (a, b), e in g.edges.items():
            if a in cyc.members and b in cyc.members:
                assert e.weight is None and e.calls
    assert g.nodes["expr"].total == 0.0 and g.edges[("main", "expr")].weight == pytest.approx(0.05)


def test_line_granularity_names_and_counts() -> None:
    g = graph("calls_bl.txt")
    assert "mix (calls.c:12 @ 11d9)" in g.nodes
    by_fn: dict[tuple[str, str], int] = {}
    for (a, b), e in g.edges.items():
        key = (a.split(" (")[0], b.split(" (")[0])
        by_fn[key] = by_fn.get(key, 0) + (e.calls or 0)
    expected = {(a, b): n for a, b, n in EXPECTED["edges"]}
    assert by_fn == expected


def test_excluded_entry_is_inferred_from_its_arcs() -> None:
    g = graph("calls_bq_Qmix.txt")
    full = graph("calls_bq.txt")
    mix = g.nodes["mix"]
    assert mix.calls == 149000
    assert mix.total == pytest.approx(sum(e.weight or 0 for (a, b), e in g.edges.items() if b == "mix"))
    assert mix.total == pytest.approx(full.nodes["mix"].total, abs=0.02)
    assert set(g.edges) == set(full.edges)


def test_flat_only_output_gives_nodes_without_edges() -> None:
    g = graph("calls_bp.txt")
    assert g.edges == {}
    assert set(g.nodes) == set(EXPECTED["nodes"]) - {"main"}
    # inclusive time from calls x total-per-call (us/call here)
    assert g.nodes["walk"].total == pytest.approx(1000 * 679.17e-6)
    assert g.nodes["mix"].total == pytest.approx(149000 * 4.64e-6)  # per-call column, rounded by gprof
    assert g.nodes["mix"].total == pytest.approx(g.nodes["mix"].self, abs=0.01)


def test_cpp_names_with_spaces() -> None:
    g = graph("shapes_b.txt")
    assert g.nodes["geom::Vec<double, 3>::operator+(geom::Vec<double, 3> const&) const"].calls == 400000
    assert g.nodes["Scale::operator()(double) const"].calls == 400000
    fold = "(anonymous namespace)::fold(std::vector<geom::Vec<double, 3>, std::allocator<geom::Vec<double, 3> > > const&)"
    assert g.nodes[fold].calls == 1
    assert g.edges[(fold, "churn(double)")].calls == 400000
    assert g.edges[("Scale::operator()(double) const", "churn(double)")].calls == 400000
    assert g.nodes["churn(double)"].calls == 800000


def test_no_time_recorded_becomes_a_call_count_graph() -> None:
    g = graph("shapes_notime_b.txt")
    assert g.metric == "calls" and "no_time" in g.meta
    assert g.nodes["churn(double)"].calls == 60
    p = load(str(G / "shapes_notime_b.txt"))
    assert p.unit == "calls" and p.meta["approximate"] == "gprof arcs"


def _renumber(text: str, shift: int) -> str:
    """The same report with every index shifted, printed the way gprof prints
    big indexes: the leading field is %-6.6s, so [10002] shows as [10002."""
    out = []
    for line in text.split("\n"):
        line = re.sub(r"\[(\d+)\]$", lambda m: f"[{int(m.group(1)) + shift}]", line)
        m = re.match(r"\[(\d+)\]", line)
        if m:
            line = "%-6.6s" % f"[{int(m.group(1)) + shift}]" + line[6:]
        out.append(line)
    return "\n".join(out)


def test_entry_numbers_of_10000_and_more() -> None:
    text = (G / "calls_b.txt").read_text()
    shifted = _renumber(text, 10000)
    assert "[10002 " in shifted and "[10002]" in shifted
    a = graph("calls_b.txt")
    b = parse(shifted.encode(), "shifted", Skips(strict=True))
    assert sorted(b.edges) == sorted(a.edges)
    assert {n: (x.self, x.total, x.calls) for n, x in b.nodes.items()} == {
        n: (x.self, x.total, x.calls) for n, x in a.nodes.items()}
    assert b.nodes["mix"].index == a.nodes["mix"].index + 10000


def _summary(g: CallGraph) -> tuple[object, ...]:
    return (sorted((n, x.self, x.total, x.calls, x.cycle) for n, x in g.nodes.items()),
            sorted((k, e.weight, e.calls) for k, e in g.edges.items()), g.total, g.metric)


@pytest.mark.parametrize("encode", [
    lambda t: t.replace("\n", "\r\n").encode(),
    lambda t: t.replace("\n", "\r\n").encode("utf-16"),
    lambda t: t.encode("utf-16-le").join([b"\xff\xfe", b""]),
])
def test_crlf_and_utf16(encode) -> None:  # type: ignore[no-untyped-def]
    text = (G / "shapes_b.txt").read_text()
    data = encode(text)
    assert detect(data[:8192]).name == "gprof"
    assert _summary(parse(data, "x", Skips(strict=True))) == _summary(graph("shapes_b.txt"))


@pytest.mark.parametrize("cut", [8191, 8190, 4097, 3])
def test_utf16_head_cut_anywhere_is_still_detected(cut: int) -> None:
    data = (G / "shapes_b.txt").read_text().encode("utf-16")
    head = data[:cut]
    if cut > 100:
        assert detect(head).name == "gprof"
    else:
        assert COLLAPSER.detect(head) is False


def test_every_variant_is_detected() -> None:
    for path in sorted(G.glob("*.txt")):
        assert detect(path.read_bytes()[:8192]).name == "gprof", path.name


# -- the approximate Profile ---------------------------------------------------

def test_approximate_profile_conserves_each_functions_time() -> None:
    p = load(str(G / "calls_b.txt"))
    g = p.extras["callgraph"]
    assert p.meta["approximate"] == "gprof arcs" and p.unit == "microseconds"
    assert p.total == round(sum(n.self for n in g.nodes.values()) * 1e6)
    assert p.self_weights() == {n: round(x.self * 1e6) for n, x in g.nodes.items() if x.self}
    assert all(s[0] == "main" for s in p.stacks)
    # walk's own 0.09 s all comes from main; mix's 0.69 s is shared by call counts
    assert p.stacks[("main", "walk")] == 90000
    assert p.stacks[("main", "walk", "mix")] == round(690000 * 127000 / 149000)
    assert p.stacks[("main", "mix")] == round(690000 * 1000 / 149000)


def test_approximation_leaves_cycles_by_their_outside_callers() -> None:
    p = load(str(G / "calls_b.txt"))
    for stack in p.stacks:
        assert len(set(stack)) == len(stack)  # no function repeats
        assert stack[0] == "main"
    assert ("main", "odd") in p.stacks or ("main", "even", "odd") in p.stacks


def test_approximation_is_bounded_on_a_large_graph() -> None:
    data = gzip.decompress(corpus_path("gprof", "synth2500_b.txt.gz").read_bytes())
    g = parse(data, "synth", Skips(strict=True))
    stacks, unit = approximate_profile(g)
    assert unit == "microseconds"
    assert sum(stacks.values()) == sum(round(n.self * 1e6) for n in g.nodes.values())
    assert len(stacks) < 20000


# -- the shared corpus -----------------------------------------------------------

CORPUS_SAMPLES = ["gprof.txt", "gprof_T.txt", "gprof_b.txt", "gprof_bT.txt", "gprof_b_qdriver.txt", "gprof_bcz.txt",
                  "gprof_bl.txt", "gprof_bp.txt", "gprof_bq.txt", "gprof_bq_Qhash_mix.txt", "gprof_bqz.txt",
                  "gprofxx.txt", "gprofxx_b.txt", "gprofxx_notime_b.txt", "synth2500_b.txt.gz"]


def _invariant_calls(g: CallGraph) -> None:
    """gprof's bookkeeping: a function's call count is the sum of its callers' arcs."""
    inbound: dict[str, int] = {}
    for (a, b), e in g.edges.items():
        if a != b:
            inbound[b] = inbound.get(b, 0) + (e.calls or 0)
    for name, node in g.nodes.items():
        if node.calls is not None and name in inbound and not node.spontaneous:
            assert node.calls == inbound[name], name


@pytest.mark.parametrize("name", CORPUS_SAMPLES)
def test_corpus_samples_parse(name: str) -> None:
    path = corpus_path("gprof", name)
    skips = Skips()
    p = load(str(path), "auto", CollapseOptions(skips=skips))
    g = p.extras["callgraph"]
    assert g.nodes and p.meta["approximate"] == "gprof arcs"
    if name not in ("gprof_bp.txt",):
        assert g.edges
    if name in ("gprof_b.txt", "gprof_bq.txt", "gprof_T.txt", "gprof_bT.txt", "gprof.txt", "synth2500_b.txt.gz",
                "gprofxx_b.txt"):
        _invariant_calls(g)
    if name == "synth2500_b.txt.gz":
        assert len(g.nodes) == 2501 and len(g.cycles) == 5
    if name == "gprof_b.txt":
        assert g.nodes["fib"].calls == 1 and g.nodes["fib"].recursive_calls == 48315632
        assert [c.members for c in g.cycles] == [["is_even", "is_odd"], ["pang", "ping", "pong"]]


def test_corpus_excluded_caller_in_parentheses() -> None:
    g = parse(corpus_path("gprof", "gprof_b_qdriver.txt").read_bytes(), "q", Skips(strict=True))
    assert g.edges[("main", "driver")].calls == 1


def test_annotated_source_is_refused_with_advice() -> None:
    with pytest.raises(InputError, match="gprof -A annotated source.*gprof -b"):
        load(str(corpus_path("gprof", "gprof_A.txt")))


# -- robustness -------------------------------------------------------------------

PREFIXES = [
    b"",
    b"Flat profile:\n\n  %   cumulative   self              self     total\n"
    b" time   seconds   seconds    calls   s/call   s/call  name\n",
    b"\t\t\tCall graph\n\nindex % time    self  children    called     name\n",
    b"\xff\xfe",
]


@given(st.sampled_from(PREFIXES), st.binary(max_size=600))
@settings(max_examples=400, deadline=None)
def test_arbitrary_bytes_only_raise_input_error(prefix: bytes, data: bytes) -> None:
    for strict in (False, True):
        try:
            g = parse(prefix + data, "fuzz", Skips(strict=strict))
        except InputError:
            continue
        approximate_profile(g)


REAL = {name: (G / name).read_bytes().split(b"\n") for name in ("calls.txt", "calls_b.txt", "calls_bT.txt",
                                                                    "calls_bq_Qmix.txt", "shapes_b.txt")}


@given(st.sampled_from(sorted(REAL)),
       st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["drop", "dup", "junk", "cut"])), max_size=6),
       st.binary(max_size=40))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mangled_real_reports_only_raise_input_error(name: str, edits: list[tuple[int, str]], junk: bytes) -> None:
    lines = list(REAL[name])
    for i, op in edits:
        i %= len(lines)
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "junk":
            lines.insert(i, junk)
        else:
            lines[i] = lines[i][: len(lines[i]) // 2]
        if not lines:
            lines = [b""]
    skips = Skips()
    try:
        g = parse(b"\n".join(lines), "fuzz", skips)
    except InputError:
        return
    stacks, _ = approximate_profile(g)
    assert all(w > 0 for w in stacks.values())
    if not edits:
        assert skips.total == 0


def test_empty_and_unrelated_input() -> None:
    with pytest.raises(InputError, match="no gprof"):
        parse(b"", "e", Skips())
    with pytest.raises(InputError):
        parse(b"\xff\xfe\x00\xd8", "bad16", Skips())


def test_strict_mode_raises_on_a_malformed_row() -> None:
    data = (G / "calls_b.txt").read_bytes().replace(b" 11.27      0.78", b" 11.27      x.78", 1)
    with pytest.raises(InputError, match="calls_b:7"):
        parse(data, "calls_b", Skips(strict=True))
    skips = Skips()
    parse(data, "calls_b", skips)
    assert skips.total == 1


def test_golden_paths_exist() -> None:
    assert Path(G / "src" / "calls.c").is_file() and Path(G / "src" / "shapes.cpp").is_file()


def test_arc_whose_callers_entry_is_missing_is_read_from_the_parent_line() -> None:
    text = (G / "calls_b.txt").read_text()
    sep = "-----------------------------------------------\n"
    blocks = text.split(sep)
    walk_block = next(b for b in blocks if "\n[3]" in b or b.startswith("[3]"))
    damaged = text.replace(walk_block + sep, "", 1)
    skips = Skips()
    g = parse(damaged.encode(), "damaged", skips)
    assert g.edges[("walk", "mix")].calls == 127000  # only printed under mix now
    assert g.edges[("main", "walk")].calls == 1000
    assert g.nodes["walk"].calls == 1000  # from main's N/T
    assert skips.total == 0


def test_two_functions_printed_with_one_name_stay_apart() -> None:
    text = (G / "calls_b.txt").read_text().replace("odd <cycle 1> [8]", "even <cycle 1> [8]")
    g = parse(text.encode(), "dup", Skips(strict=True))
    assert "even" in g.nodes and "even [8]" in g.nodes
    assert g.edges[("even", "even [8]")].calls == 10000


@st.composite
def call_graphs(draw) -> CallGraph:  # type: ignore[no-untyped-def]
    names = [f"f{i}" for i in range(draw(st.integers(1, 8)))]
    g = CallGraph(total=1.0)
    for n in names:
        g.node(n).self = draw(st.sampled_from([0.0, 0.01, 0.25, 1.5]))
    for a, b, k in draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names), st.integers(1, 50)),
                                 max_size=20)):
        g.add_edge(a, b, None, k)
    g.find_cycles()
    return g


@given(call_graphs())
@settings(max_examples=200, deadline=None)
def test_approximation_conserves_weight_on_any_graph(g: CallGraph) -> None:
    stacks, _ = approximate_profile(g)
    per_leaf: dict[str, int] = {}
    for stack, w in stacks.items():
        assert w > 0 and len(set(stack)) == len(stack)
        per_leaf[stack[-1]] = per_leaf.get(stack[-1], 0) + w
        for a, b in zip(stack, stack[1:]):
            # each step is a real arc, or enters b's cycle from a caller of that cycle
            assert (a, b) in g.edges or g.nodes[b].cycle is not None
    assert per_leaf == {n: round(x.self * 1e6) for n, x in g.nodes.items() if round(x.self * 1e6) > 0}


def test_flamegraph_of_gprof_input_is_labelled_approximate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from flamekit.cli import main

    out = tmp_path / "fg.svg"
    r = CliRunner().invoke(main, ["flamegraph", str(G / "calls_b.txt"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    svg = out.read_text()
    assert "Approximate: gprof arcs" in svg and ">walk<" in svg.replace("</text>", "<")
