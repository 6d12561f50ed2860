"""SVG flame graphs: exact golden documents, escaping, options and the CLI.

Golden files live in tests/golden/flamegraph/expected; after an intended
change of the output, regenerate them with FLAMEKIT_REGEN_GOLDEN=1 and review
the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from flamekit import folded
from flamekit.cli import main
from flamekit.diff import DiffProfile
from flamekit.errors import InputError, UsageError
from flamekit.profile import Profile
from flamekit.render import flamegraph as fg

HERE = Path(__file__).resolve().parent
DATA = HERE / "golden" / "flamegraph"
EXPECTED = DATA / "expected"
REGEN = bool(os.environ.get("FLAMEKIT_REGEN_GOLDEN"))
SVG = "{http://www.w3.org/2000/svg}"

CASES = {
    "burn-default": ("burn.folded", []),
    "burn-icicle-java": ("burn.folded", ["--inverted", "--title", "Icicle <test>", "--subtitle", "sub & title",
                                         "--colors", "java"]),
    "burn-flamechart": ("burn.folded", ["--flamechart"]),
    "burn-weight-minwidth": ("burn.folded", ["--sort", "weight", "--minwidth", "2%", "--width", "800"]),
    "burn-reverse-hash": ("burn.folded", ["--reverse", "--hash", "--countname", "ns", "--factor", "0.001"]),
    "annotated-java": ("annotated.folded", ["--colors", "java", "--bgcolors", "#ffeedd", "--fonttype", "monospace"]),
    "annotated-chain": ("annotated.folded", ["--colors", "chain", "--truncate-text-left", "--fontsize", "10"]),
    "diff": ("diff.folded", []),
    "diff-negate": ("diff.folded", ["--negate", "--nametype", "Frame:"]),
}


def run_cli(*args: str, input: bytes | None = None) -> tuple[int, bytes, str]:
    res = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return res.exit_code, res.stdout_bytes, res.stderr


def parse(svg: bytes) -> etree._Element:
    """Strict XML parse (no recovery): any escaping slip fails here."""
    return etree.fromstring(svg, etree.XMLParser(recover=False, resolve_entities=False, no_network=True))


def frames(svg: bytes) -> list[tuple[str, str, float, float]]:
    """(title, label, x, width) of every frame in document order."""
    root = parse(svg)
    out = []
    for g in root.find(f"{SVG}g[@id='frames']"):
        rect = g.find(f".//{SVG}rect")
        out.append((g.findtext(f"{SVG}title"), g.findtext(f".//{SVG}text") or "", float(rect.get("x")),
                    float(rect.get("width"))))
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_svg(case: str) -> None:
    source, args = CASES[case]
    code, out, err = run_cli("flamegraph", str(DATA / source), *args)
    assert code == 0, err
    path = EXPECTED / f"{case}.svg"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out)
    assert out == path.read_bytes()
    parse(out)


def test_golden_frames_of_the_real_capture() -> None:
    """The capture's hot path, read back from the SVG: widths are the folded weights."""
    out = fg.render(folded.read(open(DATA / "burn.folded", "rb")))
    titles = [t for t, *_ in frames(out)]
    total = sum(int(line.rsplit(b" ", 1)[1]) for line in (DATA / "burn.folded").read_bytes().splitlines())
    assert titles[0] == f"all ({total:,} samples, 100.00%)"
    hash_w = sum(int(line.rsplit(b" ", 1)[1]) for line in (DATA / "burn.folded").read_bytes().splitlines()
                 if b";hash_record;" in line)
    assert f"hash_record ({hash_w:,} samples, {100 * hash_w / total:.2f}%)" in titles


def test_small_profile_exact_geometry() -> None:
    p = Profile({("main", "foo", "bar"): 10, ("main", "foo", "baz"): 5, ("main", "qux"): 3, ("main",): 2,
                 ("other", "x"): 1})
    got = [(t, label, x, w) for t, label, x, w in frames(fg.render(p))]
    # alphabetical; a frame's own weight comes first (as flamegraph.pl); 1180 px for 21 samples
    ppx = 1180 / 21
    assert got == [
        ("all (21 samples, 100.00%)", "all", 10.0, 1180.0),
        ("main (20 samples, 95.24%)", "main", 10.0, round(20 * ppx, 1)),
        ("foo (15 samples, 71.43%)", "foo", round(10 + 2 * ppx, 1), round(15 * ppx, 1)),
        ("bar (10 samples, 47.62%)", "bar", round(10 + 2 * ppx, 1), round(10 * ppx, 1)),
        ("baz (5 samples, 23.81%)", "baz", round(10 + 12 * ppx, 1), round(5 * ppx, 1)),
        ("qux (3 samples, 14.29%)", "qux", round(10 + 17 * ppx, 1), round(3 * ppx, 1)),
        ("other (1 samples, 4.76%)", "other", round(10 + 20 * ppx, 1), round(1 * ppx, 1)),
        ("x (1 samples, 4.76%)", "x", round(10 + 20 * ppx, 1), round(1 * ppx, 1)),
    ]


def test_lean_frame_markup() -> None:
    """One line per frame and no whitespace node inside or between frames (the line ends inside the
    frame's end tag, ``</g\\n>``); a frame too narrow for a label has no <text> (the script adds
    one when a zoom gives it a label); the rounded corners come from the stylesheet, not two
    attributes per rect."""
    p = Profile({("main", "wide"): 1000, ("main", "narrow"): 1})
    for opts in (fg.FlameGraphOptions(), fg.FlameGraphOptions(nameattr={"narrow": {"href": "http://x/"}})):
        out = fg.render(p, opts)
        body = out.split(b'<g id="frames">\n', 1)[1]
        lines = body.split(b"\n")[:4]
        assert all(line.lstrip(b">").startswith(b"<g") and line.endswith(b"</g") and line.count(b"<g") == 1
                   for line in lines)
        assert body.split(b"\n")[4:] == [b"></g>", b"</svg>", b""]
        gs = list(parse(out).find(f"{SVG}g[@id='frames']"))
        assert len(gs) == 4 and all(g.tail is None and all(c.tail is None for c in g.iter() if c is not g)
                                    for g in gs)
        assert b"<text></text>" not in body and b"<text/>" not in body and body.count(b"<text") == 3
        assert b"rx=" not in body and b"#frames rect { rx: 2px; ry: 2px; }" in out
        assert b"#frames text:empty { display: none; }" in out
        texts = {g.findtext(f"{SVG}title").split(" (")[0]: g.find(f".//{SVG}text")
                 for g in parse(out).find(f"{SVG}g[@id='frames']")}
        assert texts["narrow"] is None
        narrow = next(g for g in gs if g.findtext(f"{SVG}title").startswith("narrow ("))
        assert [c.tag.rsplit("}", 1)[1] for c in narrow.iter() if c is not narrow][-1] == "rect"
        assert texts["wide"].text == "wide" and set(texts["wide"].attrib) == {"x", "y"}
        # coordinates to 0.1 px without a trailing ".0" (shorter to parse): 10, 1.2, 1178.8, 15
        rects = [g.find(f".//{SVG}rect") for g in gs]
        assert [r.get("x") for r in rects] == ["10", "10", "10", "11.2"]
        assert [r.get("width") for r in rects] == ["1180", "1180", "1.2", "1178.8"]
        assert {r.get("height") for r in rects} == {"15"} and [r.get("y") for r in rects] == ["69", "53", "37", "37"]


def test_sort_weight_puts_heaviest_callee_left() -> None:
    p = Profile({("m", "a"): 1, ("m", "b"): 5, ("m", "c"): 3})
    names = [t.split(" (")[0] for t, *_ in frames(fg.render(p, fg.FlameGraphOptions(sort="weight")))]
    assert names == ["all", "m", "b", "c", "a"]


def test_flamechart_keeps_input_order_and_does_not_merge_distant_stacks() -> None:
    p = Profile({("a", "b"): 1, ("c",): 1, ("a", "d"): 1})
    names = [t.split(" (")[0] for t, *_ in frames(fg.render(p, fg.FlameGraphOptions(flamechart=True)))]
    assert names == ["all", "a", "b", "c", "a", "d"]
    p2 = fg.render(p, fg.FlameGraphOptions(flamechart=True))
    assert b"<text" in p2 and b"Flame Chart" in p2


def test_minwidth_prunes_but_keeps_weight_in_parent() -> None:
    p = Profile({("m", "big"): 1000, ("m", "tiny", "leaf"): 1})
    got = frames(fg.render(p, fg.FlameGraphOptions(minwidth="5", max_embedded_frames=0)))
    assert [t for t, *_ in got] == ["all (1,001 samples, 100.00%)", "m (1,001 samples, 100.00%)",
                                    "big (1,000 samples, 99.90%)"]
    assert got[1][3] == 1180.0


def test_pruned_frames_are_embedded_as_data() -> None:
    p = Profile({("m", "big"): 1000, ("m", "tiny", "leaf"): 1})
    svg = fg.render(p, fg.FlameGraphOptions(minwidth="5"))
    root = parse(svg)
    hidden = root.find(f"{SVG}script[@id='fk-hidden']").text
    # tiny hangs under drawn frame 1 ("m") at offset 1000, width 1; leaf under embedded frame 0
    assert hidden == ('{"names":["tiny","leaf"],"fills":["%s","%s"],"nodes":[[1,0,1000,1,0],[-1,1,0,1,1]]}'
                      % (fg.pal.Palette().fill("tiny"), fg.pal.Palette().fill("leaf")))


def test_deep_recursion_hidden_by_the_budget_needs_no_recursion_to_embed() -> None:
    deep = ("main",) + ("recurse",) * 5000
    p = Profile({("main", "big"): 10**7, deep: 1})
    svg = fg.render(p, fg.FlameGraphOptions(max_embedded_frames=6000))
    hidden = parse(svg).find(f"{SVG}script[@id='fk-hidden']").text
    assert hidden.count("],[") == 5000 - 1  # every level of the recursion, flat
    assert [t for t, *_ in frames(svg)][:3] == ["all (10,000,001 samples, 100.00%)",
                                                "main (10,000,001 samples, 100.00%)",
                                                "big (10,000,000 samples, 100.00%)"]


def test_minwidth_percent_of_total() -> None:
    p = Profile({("a",): 98, ("b",): 2})
    titles = [t for t, *_ in frames(fg.render(p, fg.FlameGraphOptions(minwidth="3%", max_embedded_frames=0)))]
    assert titles == ["all (100 samples, 100.00%)", "a (98 samples, 98.00%)"]


def test_total_option_shares_a_scale_and_is_ignored_below_the_real_total() -> None:
    p = Profile({("a",): 50})
    assert frames(fg.render(p, fg.FlameGraphOptions(total=100)))[1][3] == 590.0
    assert frames(fg.render(p, fg.FlameGraphOptions(total=10)))[1][3] == 1180.0


def test_differential_colours_and_tooltips() -> None:
    d = folded.read(open(DATA / "diff.folded", "rb"))
    assert isinstance(d, DiffProfile)
    root = parse(fg.render(d))
    by_name = {}
    for g in root.find(f"{SVG}g[@id='frames']"):
        by_name[g.findtext(f"{SVG}title").split(" (")[0]] = (g.findtext(f"{SVG}title"), g.find(f"{SVG}rect").get("fill"))
    # hash grew most (+25): deepest red; deflate shrank (-13): blue; tokenize unchanged: white
    assert by_name["hash"] == ("hash (55 samples, 52.88%; before 30, after 55, delta +25, +24.04%)", "rgb(255,0,0)")
    assert by_name["deflate"][1] == f"rgb({int(210 * 12 / 25)},{int(210 * 12 / 25)},255)"
    assert by_name["tokenize"][1] == "rgb(250,250,250)"
    assert "old_path" not in by_name  # no width in AFTER
    neg = parse(fg.render(d, fg.FlameGraphOptions(negate=True)))
    hashes = [g for g in neg.find(f"{SVG}g[@id='frames']") if g.findtext(f"{SVG}title").startswith("hash ")]
    assert hashes[0].find(f"{SVG}rect").get("fill") == "rgb(0,0,255)"
    assert hashes[0].findtext(f"{SVG}title") == "hash (55 samples, 52.88%; before 55, after 30, delta -25, -24.04%)"


def test_approximate_profiles_say_so_in_the_subtitle() -> None:
    p = Profile({("main", "f"): 3}, meta={"approximate": "gprof call-graph attribution"})
    root = parse(fg.render(p, fg.FlameGraphOptions(subtitle="run 1")))
    assert root.findtext(f"{SVG}text[@id='subtitle']") == "run 1 (approximate: gprof call-graph attribution)"


def test_unit_is_the_default_countname() -> None:
    p = Profile({("main",): 1500}, unit="nanoseconds")
    assert frames(fg.render(p))[0][0] == "all (1,500 nanoseconds, 100.00%)"


# -- escaping ------------------------------------------------------------------------

NASTY = [
    "<script>alert(1)</script>",
    'x" onload="alert(2)',
    "a & b > c < d",
    "end]]>of cdata",
    "nul\x00byte",
    "bell\x07 esc\x1b tab\t",
    "bad\udcffutf8\udc80",
    "quote's \"double\"",
    "\ufffe\uffff",
]


@pytest.mark.parametrize("name", NASTY)
def test_nasty_names_give_well_formed_svg_showing_the_name(name: str) -> None:
    p = Profile({("main", name): 7, ("main", name, "child"): 3})
    svg = fg.render(p, fg.FlameGraphOptions(minwidth="0"))
    got = [t for t, *_ in frames(svg)]
    shown = (name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
             .replace("\x00", "\\x00").replace("\x07", "\\x07").replace("\x1b", "\\x1b").replace("\t", "\\x09")
             .replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff"))
    assert got[2] == f"{shown} (10 samples, 100.00%)"


def test_invalid_utf8_from_a_file_survives_as_visible_escapes(tmp_path: Path) -> None:
    src = tmp_path / "bad.folded"
    src.write_bytes(b"main;caf\xe9;\xff\xfe 3\n")
    code, out, err = run_cli("flamegraph", str(src))
    assert code == 0, err
    assert [t for t, *_ in frames(out)][2:] == ["caf\\xe9 (3 samples, 100.00%)", "\\xff\\xfe (3 samples, 100.00%)"]


def test_embedded_data_cannot_close_its_element() -> None:
    p = Profile({("m", "big"): 100000, ("m", "</script><script>alert(1)</script>]]>&amp;"): 1})
    svg = fg.render(p)
    hidden = parse(svg).find(f"{SVG}script[@id='fk-hidden']").text
    assert "\\u003c/script\\u003e" in hidden and "<" not in hidden and "&" not in hidden


def test_user_strings_are_escaped() -> None:
    p = Profile({("a",): 1})
    root = parse(fg.render(p, fg.FlameGraphOptions(title="<b>&\x1b", countname="s&<\x01\udcff", notes="a -- b")))
    assert root.findtext(f"{SVG}text[@id='title']") == "<b>&\\x1b"
    assert root.find(f"{SVG}g[@id='frames']")[0].findtext(f"{SVG}title") == "all (1 s&<\\x01\\xff, 100.00%)"
    assert "a - - b" in fg.render(p, fg.FlameGraphOptions(notes="a -- b")).decode()


def test_encoding_option_declares_and_encodes() -> None:
    p = Profile({("caf\u00e9", "\u6f22"): 1})
    svg = fg.render(p, fg.FlameGraphOptions(encoding="ISO-8859-1"))
    assert svg.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"')
    assert "\u6f22" in [t for t, *_ in frames(svg)][2]


# -- options ------------------------------------------------------------------------

def test_nameattr_links_and_titles(tmp_path: Path) -> None:
    attrs = tmp_path / "attrs.txt"
    attrs.write_bytes(b"hot\thref=https://example.com/?a=1&b=2\ttitle=<hot> path\xff\tclass=mark\n")
    p = Profile({("main", "hot"): 2})
    svg = fg.render(p, fg.FlameGraphOptions(nameattr=fg.read_nameattr(str(attrs))))
    root = parse(svg)
    g = root.find(f"{SVG}g[@id='frames']")[2]
    assert g.get("class") == "mark"
    assert g.findtext(f"{SVG}title") == "<hot> path\\xff"
    assert g.find(f"{SVG}a").get("{http://www.w3.org/1999/xlink}href") == "https://example.com/?a=1&b=2"


@pytest.mark.parametrize("line", [b"f\tnot a pair\n", b"f\tg_extra=onclick=\"x()\"\n"])
def test_nameattr_rejects_garbage_and_raw_markup(tmp_path: Path, line: bytes) -> None:
    attrs = tmp_path / "attrs.txt"
    attrs.write_bytes(b"ok\ttitle=fine\n" + line)
    with pytest.raises(InputError) as e:
        fg.read_nameattr(str(attrs))
    assert e.value.line == 2


def test_consistent_palette_file_is_read_and_written(tmp_path: Path) -> None:
    pmap = tmp_path / "palette.map"
    pmap.write_text("main->rgb(1,2,3)\n")
    p = Profile({("main", "f"): 2})
    svg = fg.render(p, fg.FlameGraphOptions(cp=True, cp_path=pmap))
    assert 'fill="rgb(1,2,3)"' in svg.decode()
    lines = pmap.read_text().splitlines()
    assert lines[0].startswith("all->rgb(") and lines[1].startswith("f->rgb(") and lines[2] == "main->rgb(1,2,3)"


def test_colours_are_keyed_by_name_across_graphs() -> None:
    a = fg.render(Profile({("x", "shared_fn"): 5, ("y",): 1}))
    b = fg.render(Profile({("z", "q", "shared_fn"): 1}))
    fill = re.compile(rb'<title>shared_fn [^<]*</title><rect [^>]*fill="([^"]+)"')
    assert fill.search(a).group(1) == fill.search(b).group(1)


def test_base_reroots_at_a_symbol() -> None:
    p = Profile({("t1", "main", "work"): 2, ("t2", "main", "idle"): 1, ("other",): 1})
    names = [t.split(" (")[0] for t, *_ in frames(fg.render(p, fg.FlameGraphOptions(base=("main",))))]
    assert names == ["all", "main", "idle", "work", "other"]


@pytest.mark.parametrize("args, message", [
    (["--minwidth", "abc"], "--minwidth"),
    (["--notes", "<b>"], "--notes"),
    (["--bgcolors", "pink"], "--bgcolors"),
    (["--encoding", "no-such-enc"], "--encoding"),
    (["--search-color", "x;y"], "--search-color"),
])
def test_bad_options_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run_cli("flamegraph", str(DATA / "burn.folded"), *args)
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_empty_input_writes_an_error_svg_and_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.folded"
    empty.write_bytes(b"# nothing here\n")
    out_svg = tmp_path / "out.svg"
    code, _, err = run_cli("flamegraph", "--format", "folded", str(empty), "-o", str(out_svg))
    assert code == 2 and "no stacks" in err
    assert parse(out_svg.read_bytes()).findtext(f"{SVG}text").startswith("ERROR: no valid input")


def test_raw_perf_input_and_stdin_are_accepted() -> None:
    raw = (DATA / "burn.perf.gz").read_bytes()
    code, from_stdin, err = run_cli("flamegraph", "-", input=raw)
    assert code == 0, err
    code, from_file, err = run_cli("flamegraph", str(DATA / "burn.perf.gz"))
    assert code == 0 and from_stdin == from_file
    assert b">hash_record (" in from_file


def test_several_inputs_are_merged(tmp_path: Path) -> None:
    a, b = tmp_path / "a.folded", tmp_path / "b.folded"
    a.write_bytes(b"m;f 2\n")
    b.write_bytes(b"m;f 3\nm;g 1\n")
    code, out, _ = run_cli("flamegraph", str(a), str(b))
    assert code == 0
    assert [t for t, *_ in frames(out)] == ["all (6 samples, 100.00%)", "m (6 samples, 100.00%)",
                                            "f (5 samples, 83.33%)", "g (1 samples, 16.67%)"]


def test_output_is_identical_whatever_the_hash_seed(tmp_path: Path) -> None:
    outs = []
    for seed in ("0", "1", "12345"):
        target = tmp_path / f"{seed}.svg"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "flamekit", "flamegraph", str(DATA / "annotated.folded"),
                        "--minwidth", "40", "-o", str(target)], check=True, env=env)
        outs.append(target.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert b"fk-hidden" in outs[0] and b'"nodes":[]' not in outs[0]  # embedded data is covered too


def test_library_errors_are_flamekit_errors() -> None:
    with pytest.raises(UsageError):
        fg.render(Profile({("a",): 1}), fg.FlameGraphOptions(sort="sideways"))
    with pytest.raises(InputError):
        fg.render(Profile())


def test_a_real_gprof_report_is_drawn_with_an_approximate_subtitle() -> None:
    report = HERE / "golden" / "gprof" / "calls_b.txt"
    if not report.exists():
        pytest.skip("gprof capture not present")
    code, out, err = run_cli("flamegraph", str(report))
    assert code == 0, err
    root = parse(out)
    assert root.findtext(f"{SVG}text[@id='subtitle']") == "Approximate: gprof arcs"
    assert "samples" not in root.find(f"{SVG}g[@id='frames']")[0].findtext(f"{SVG}title")


def test_inferno_colour_options() -> None:
    p = Profile({("m", "wide"): 75, ("m", "narrow"): 25})
    svg = fg.render(p, fg.FlameGraphOptions(colordiffusion=True, stroke_color="#123456", uicolor="rgb(1,2,3)",
                                            search_color="#00ff00")).decode()
    fills = dict(re.findall(r"<title>(\w+) \([^<]*</title><rect [^>]*fill=\"([^\"]+)\"", svg))
    # wider frames are redder: full width is rgb(255,0,0); a quarter keeps half its green
    assert fills["m"] == "rgb(255,0,0)"
    assert fills["narrow"] == f"rgb(255,{int(230 * 0.5)},{int(180 * 0.25)})"
    assert "#frames rect { stroke:#123456; stroke-width:0.5; }" in svg
    assert ".ui { fill:rgb(1,2,3); }" in svg
    assert '"searchcolor":"#00ff00"' in svg
