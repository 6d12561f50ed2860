"""Call-graph DOT (gprof2dot's style), SVG/PNG through Graphviz, and the CLI command."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from flamekit.callgraph import CallGraph
from flamekit.cli import main
from flamekit.profile import Profile
from flamekit.render.callgraph import THEMES, CallGraphOptions, color, render, strip_name, to_dot, wrap_name

from conftest import GOLDEN, require_tool

G = GOLDEN / "gprof"

SMALL = b"a;b;c 5\na;b 3\nx;a;a;a 2\n"
SMALL_DOT = """digraph {
\ttooltip=" "
\tgraph [fontname=Arial, nodesep=0.125, ranksep=0.25];
\tnode [fontcolor=white, fontname=Arial, height=0, shape=box, style=filled, width=0];
\tedge [fontname=Arial];
\t1 [color="#ff0000", fontcolor="#ffffff", fontsize="10.00", label="a\\n100.00%\\n(20.00%)"];
\t1 -> 1 [arrowsize="0.45", color="#0c738d", fontcolor="#0c738d", fontsize="10.00", label="20.00%", labeldistance="0.80", penwidth="0.80"];
\t1 -> 2 [arrowsize="0.89", color="#e1b505", fontcolor="#e1b505", fontsize="10.00", label="80.00%", labeldistance="3.20", penwidth="3.20"];
\t2 [color="#e1b505", fontcolor="#ffffff", fontsize="10.00", label="b\\n80.00%\\n(30.00%)"];
\t2 -> 3 [arrowsize="0.71", color="#0ab60a", fontcolor="#0ab60a", fontsize="10.00", label="50.00%", labeldistance="2.00", penwidth="2.00"];
\t3 [color="#0ab60a", fontcolor="#ffffff", fontsize="10.00", label="c\\n50.00%\\n(50.00%)"];
\t4 [color="#0c738d", fontcolor="#ffffff", fontsize="10.00", label="x\\n20.00%\\n(0.00%)"];
\t4 -> 1 [arrowsize="0.45", color="#0c738d", fontcolor="#0c738d", fontsize="10.00", label="20.00%", labeldistance="0.80", penwidth="0.80"];
}
"""


def run_cli(*args: str) -> tuple[int, bytes, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout_bytes, r.stderr if r.stderr_bytes is not None else ""


def folded_graph(text: bytes) -> CallGraph:
    stacks = {}
    for line in text.decode().splitlines():
        s, w = line.rsplit(" ", 1)
        stacks[tuple(s.split(";"))] = int(w)
    return CallGraph.from_profile(Profile(stacks))


# -- colours and names ----------------------------------------------------------------

def test_colormap_endpoints_match_gprof2dot() -> None:
    assert color(THEMES["color"], 0.0) == "#0d0d73"
    assert color(THEMES["color"], 1.0) == "#ff0000"
    assert color(THEMES["gray"], 1.0) == "#000000"
    assert color(THEMES["pink"], 1.0) == "#ff0000"
    assert color(THEMES["color"], 2.0) == "#ff0000"  # clamped


def test_skew_bends_the_colormap() -> None:
    mid = color(THEMES["color"], 0.5)
    assert color(THEMES["color"], 0.5, skew=0.1) != mid
    assert color(THEMES["color"], 0.0, skew=0.1) == "#0d0d73" and color(THEMES["color"], 1.0, skew=5) == "#ff0000"


@pytest.mark.parametrize("raw, stripped", [
    ("Scale::operator()(double) const", "Scale::operator()"),
    ("(anonymous namespace)::fold(std::vector<int, std::allocator<int> > const&)", "(anonymous namespace)::fold"),
    ("geom::Vec<double, 3>::operator+(geom::Vec<double, 3> const&) const", "geom::Vec::operator+"),
    ("bool operator< <int>(A const&, A const&)", "bool operator<"),
    ("std::ostream& operator<<(std::ostream&, X const&)", "std::ostream& operator<<"),
    ("plain_c", "plain_c"),
])
def test_strip_keeps_operators_and_anonymous_namespaces(raw: str, stripped: str) -> None:
    assert strip_name(raw) == stripped


def test_wrap_breaks_long_names() -> None:
    name = "std::_Rb_tree<std::string, std::pair<std::string const, long> >::_M_erase(node*)"
    lines = wrap_name(name).split("\n")
    assert len(lines) > 1 and "".join(lines) == name
    assert wrap_name("short") == "short"


# -- DOT -----------------------------------------------------------------------------

def test_dot_of_folded_input_exact() -> None:
    assert to_dot(folded_graph(SMALL)).decode() == SMALL_DOT


def test_dot_of_gprof_input_matches_golden() -> None:
    code, out, _ = run_cli("callgraph", str(G / "calls_b.txt"))
    assert code == 0
    assert out == (G / "calls_b.dot").read_bytes()


def test_dot_is_deterministic_across_hash_seeds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folded = tmp_path / "in.folded"
    folded.write_bytes(b"".join(b"main;f%d;g%d;h%d %d\n" % (i % 7, i % 5, i % 3, i + 1) for i in range(60)))
    outs = set()
    for seed in ("0", "1", "12345"):
        for src in (str(folded), str(G / "shapes_b.txt")):
            env = dict(os.environ, PYTHONHASHSEED=seed)
            r = subprocess.run([sys.executable, "-m", "flamekit", "callgraph", "-n", "0", "-e", "0", src],
                               capture_output=True, env=env, check=True)
            outs.add((src, r.stdout))
    assert len(outs) == 2


def test_thresholds_hide_small_nodes_and_edges() -> None:
    g = folded_graph(SMALL)
    dot = to_dot(g, CallGraphOptions(node_thres=60)).decode()
    assert 'label="a\\n' in dot and 'label="b\\n' in dot and 'label="c\\n' not in dot
    dot = to_dot(g, CallGraphOptions(edge_thres=30)).decode()
    assert "1 -> 2" in dot and "2 -> 3" in dot and "1 -> 1 " not in dot and "4 -> 1" not in dot


def test_root_leaf_depth_and_hide() -> None:
    g = folded_graph(b"m;a;b;c;d 10\nm;x;c 5\n")
    names = lambda dot: sorted(re.findall(r'label="([^\\"]+)\\n', dot))  # noqa: E731
    assert names(to_dot(g, CallGraphOptions(root=("a",))).decode()) == ["a", "b", "c", "d"]
    assert names(to_dot(g, CallGraphOptions(root=("a",), depth=1)).decode()) == ["a", "b"]
    assert names(to_dot(g, CallGraphOptions(leaf=("c",))).decode()) == ["a", "b", "c", "m", "x"]
    assert names(to_dot(g, CallGraphOptions(leaf=("c",), depth=1)).decode()) == ["b", "c", "x"]
    assert names(to_dot(g, CallGraphOptions(hide=("^[bx]$",))).decode()) == ["a", "c", "d", "m"]
    assert names(to_dot(g, CallGraphOptions(root=("?",))).decode()) == ["a", "b", "c", "d", "m", "x"]


def test_node_labels_selftime_colouring_and_samples() -> None:
    g = folded_graph(SMALL)
    opts = CallGraphOptions(node_labels=("total-time", "self-time"), color_by_self=True, show_samples=True)
    dot = to_dot(g, opts).decode()
    assert 'label="a\\n10\\n(2)\\n10 samples"' in dot
    assert 'label="c\\n5\\n(5)\\n5 samples"' in dot
    # a is coloured by its 20% self, not its 100% total
    assert f'1 [color="{color(THEMES["color"], 0.2)}"' in dot


def test_names_are_escaped_and_non_utf8_bytes_shown() -> None:
    g = CallGraph.from_profile(Profile({("main", 'say "hi"\\', "bad\udcffname"): 1, ("main", "x" * 5000): 1}))
    dot = to_dot(g, CallGraphOptions(node_thres=0)).decode("utf-8")
    assert 'label="say \\"hi\\"\\\\\\n' in dot
    assert "bad\\\\xffname" in dot
    assert "x" * 4095 + "\u2026" in dot and "x" * 4096 not in dot


def test_print_and_bw_colormaps() -> None:
    g = folded_graph(SMALL)
    dot = to_dot(g, CallGraphOptions(colormap="print")).decode()
    assert "style=solid" in dot and "fontcolor=black" in dot
    bw = to_dot(g, CallGraphOptions(colormap="bw")).decode()
    assert 'fontsize="24.00"' in bw  # the 100% node, max font of bw


def test_gprof_cycle_entry_stays_visible() -> None:
    """expr shows gprof's own 0.00 % but is kept: the arc into it carries the cycle's time."""
    dot = (G / "calls_b.dot").read_text()
    assert 'label="expr\\n0.00%\\n(0.00%)\\n10000×"' in dot
    assert "1 -> 9 " in dot and "9 -> 10 " in dot and "10 -> 7 " in dot


def test_no_time_graph_shows_call_counts() -> None:
    code, out, _ = run_cli("callgraph", str(G / "shapes_notime_b.txt"))
    assert code == 0
    assert b'label="gprof recorded no time; showing call counts"' in out
    assert "label=\"churn(double)\\n60×\"".encode() in out


# -- Graphviz ------------------------------------------------------------------------

def test_svg_and_png_through_dot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    require_tool("dot", "graphviz")
    svg = tmp_path / "g.svg"
    code, _, _ = run_cli("callgraph", str(G / "calls_b.txt"), "-o", str(svg))
    assert code == 0
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and ">mix</text>" in text and "149000×" in text
    png = tmp_path / "g.png"
    code, _, _ = run_cli("callgraph", str(G / "calls_b.txt"), "-o", str(png))
    assert code == 0 and png.read_bytes().startswith(b"\x89PNG")


def test_too_many_nodes_are_pruned_for_graphviz() -> None:
    require_tool("dot", "graphviz")
    stacks = {("main", f"f{i}"): i + 1 for i in range(300)}
    g = CallGraph.from_profile(Profile(stacks))
    opts = CallGraphOptions(node_thres=0, edge_thres=0)
    svg = render(g, "svg", opts, limit=25).decode()
    assert svg.count('class="node"') == 25
    assert opts.notes and "raised the node threshold" in opts.notes[0]


# -- CLI -----------------------------------------------------------------------------

def test_cli_bad_input_is_one_line_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01 nothing here\n")
    r = subprocess.run([sys.executable, "-m", "flamekit", "callgraph", str(bad)], capture_output=True)
    assert r.returncode == 2
    assert r.stderr.count(b"\n") == 1 and b"Traceback" not in r.stderr


def test_cli_on_folded_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "in.folded"
    f.write_bytes(SMALL)
    out = tmp_path / "out.dot"
    code, _, _ = run_cli("callgraph", str(f), "-o", str(out))
    assert code == 0 and out.read_text() == SMALL_DOT


def test_cli_options_reach_the_renderer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("callgraph", str(G / "shapes_b.txt"), "-s", "-w", "-c", "gray", "-n", "1", "-e", "1",
                           "--node-label", "total-time-percentage", "--root", "main")
    assert code == 0
    text = out.decode()
    assert 'label="Scale::operator()\\n' in text and 'label="churn\\n' in text
    assert "(anonymous namespace)::fold" in text
    assert "(97.44%)" not in text  # only the total percentage was asked for


def test_several_gprof_inputs_merge_through_the_approximate_stacks() -> None:
    code, out, _ = run_cli("callgraph", str(G / "calls_b.txt"), str(G / "calls.txt"), "-n", "0", "-e", "0")
    assert code == 0
    text = out.decode()
    assert 'label="approximate: gprof arcs"' in text  # the approximation is said on the graph
    assert 'label="mix\\n' in text and 'label="walk\\n' in text
    # no call counts: merged stacks carry weights only
    assert "149000×" not in text


def test_strip_handles_names_of_20000_characters() -> None:
    name = "ns::f" * 4000 + "<std::pair<int, long> >(int, std::vector<int> const&) const"
    assert strip_name(name) == "ns::f" * 4000


def test_deep_recursion_through_the_cli(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """gprof2dot dies with RecursionError near 500 frames; 1,000 frames of mutual recursion are fine."""
    f = tmp_path / "deep.folded"
    f.write_bytes(b"main;" + b";".join([b"ping", b"pong"] * 500) + b" 7\nmain;other 3\n")
    # --format: detection sees only the first 4 KB (flamekit.io), less than this first line
    code, out, _ = run_cli("callgraph", "--format", "folded", str(f), "-n", "0", "-e", "0")
    assert code == 0
    text = out.decode()
    assert 'label="ping\\n70.00%\\n(0.00%)"' in text and 'label="pong\\n70.00%\\n(70.00%)"' in text


def test_utf16_gprof_on_stdin() -> None:
    data = (G / "calls_b.txt").read_text().replace("\n", "\r\n").encode("utf-16")
    r = CliRunner().invoke(main, ["callgraph", "-"], input=data)
    assert r.exit_code == 0
    assert r.stdout_bytes == (G / "calls_b.dot").read_bytes()


def test_skew_must_be_positive() -> None:
    r = subprocess.run([sys.executable, "-m", "flamekit", "callgraph", "--skew", "0", str(G / "calls_b.txt")],
                       capture_output=True)
    assert r.returncode == 2 and b"--skew must be greater than 0" in r.stderr


def test_layout_pruning_on_a_large_gprof_graph_with_cycles() -> None:
    require_tool("dot", "graphviz")
    import gzip

    from conftest import corpus_path

    from flamekit.collapse._gprof_text import parse
    from flamekit.errors import Skips

    data = gzip.decompress(corpus_path("gprof", "synth2500_b.txt.gz").read_bytes())
    g = parse(data, "synth", Skips(strict=True))
    opts = CallGraphOptions(node_thres=0, edge_thres=0)
    svg = render(g, "svg", opts, limit=40).decode()
    assert 0 < svg.count('class="node"') <= 40
    assert opts.notes


FRAME = st.sampled_from(["main", "a", "b", "c", 'q"uote', "back\\slash", "op()", "x\udcfe", "<cycle 1>"])


@given(st.dictionaries(st.lists(FRAME, min_size=1, max_size=8).map(tuple), st.integers(1, 100), max_size=15),
       st.sampled_from([0.0, 0.5, 20.0]), st.sampled_from(list(THEMES)), st.booleans())
@settings(max_examples=150, deadline=None)
def test_dot_of_any_profile_is_well_formed(stacks, node_thres, colormap, strip) -> None:  # type: ignore[no-untyped-def]
    g = CallGraph.from_profile(Profile(dict(stacks)))
    opts = CallGraphOptions(node_thres=node_thres, edge_thres=0, colormap=colormap, strip=strip)
    dot = to_dot(g, opts).decode("utf-8")
    assert to_dot(g, opts).decode("utf-8") == dot
    nodes = set(re.findall(r"^\t(\d+) \[", dot, re.M))
    for a, b in re.findall(r"^\t(\d+) -> (\d+) \[", dot, re.M):
        assert a in nodes and b in nodes
    # every label is one quoted DOT string: quotes inside are escaped
    for label in re.findall(r'label="((?:[^"\\]|\\.)*)"', dot):
        assert '"' not in label.replace('\\"', "")
    kept = {n for n, node in g.nodes.items() if node.total / g.total * 100 >= node_thres}
    assert len(nodes) >= len(kept)


def test_differential_input_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "d.folded"
    f.write_bytes(b"a;b 1 2\na;c 3 4\n")
    r = subprocess.run([sys.executable, "-m", "flamekit", "callgraph", str(f)], capture_output=True)
    assert r.returncode == 2 and b"differential" in r.stderr


def test_same_graph_as_gprof2dot_on_the_corpus_sample() -> None:
    """Same nodes, edges and call counts as gprof2dot's rendering of gprof_b.txt;
    only the percentages differ where gprof2dot recomputes gprof's totals."""
    from conftest import corpus_path

    ref = corpus_path("gprof", "gprof_b.gprof2dot.n0e0.dot").read_text()
    code, out, _ = run_cli("callgraph", str(corpus_path("gprof", "gprof_b.txt")), "-n", "0", "-e", "0")
    assert code == 0
    ours = out.decode()

    def shape(dot: str) -> tuple[set[tuple[str, str]], dict[str, str], dict[tuple[str, str], str]]:
        edges = {}
        for a, b, label in re.findall(r'^\t(\d+) -> (\d+) \[.*?label="([^"]*)"', dot, re.M):
            edges[(a, b)] = label.split("\\n")[-1]
        nodes = {n: label.split("\\n")[0] + "|" + label.split("\\n")[-1]
                 for n, label in re.findall(r'^\t(\d+) \[.*?label="([^"]*)"', dot, re.M)}
        return set(edges), nodes, edges

    assert shape(ours) == shape(ref)
    # where gprof's own totals and gprof2dot's agree (no cycle involved), the labels are equal
    assert 'label="hash_mix\\n94.39%\\n(94.39%)\\n1540667×"' in ours
    assert 'label="hash_mix\\n94.39%\\n(94.39%)\\n1540667×"' in ref
