"""``flamekit diff`` as a differential flame graph (rendered by flamekit/render/flamegraph.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from flamekit.cli import main

SVG = "{http://www.w3.org/2000/svg}"
FG = "{http://github.com/jonhoo/inferno}"
BEFORE = b"main;fa 10\nmain;fb 20\nmain;fc 10\n"
AFTER = b"main;fa 10\nmain;fb 60\nmain;fc 9\nmain;new 1\n"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    b, a = tmp_path / "before.folded", tmp_path / "after.folded"
    b.write_bytes(BEFORE)
    a.write_bytes(AFTER)
    return str(b), str(a)


def frames(svg: bytes) -> dict[str, tuple[str, int, str]]:
    """Frame name -> (tooltip, fg:w, fill) of every drawn frame."""
    root = etree.fromstring(svg)
    out = {}
    for g in root.iter(f"{SVG}g"):
        title, rect = g.find(f"{SVG}title"), g.find(f"{SVG}rect")
        if title is None or rect is None:
            continue
        name = title.text.split(" (", 1)[0]
        out[name] = (title.text, int(rect.get(f"{FG}w")), rect.get("fill"))
    return out


def render(tmp_path: Path, *args: str) -> bytes:
    out = tmp_path / "d.svg"
    r = CliRunner().invoke(main, ["diff", *args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out.read_bytes()


def test_svg_is_chosen_by_the_output_name_and_colours_by_delta(pair, tmp_path):
    f = frames(render(tmp_path, *pair))
    text, width, fill = f["fb"]
    assert width == 60  # widths from AFTER
    assert "before 20, after 60, delta +40" in text
    assert fill == "rgb(255,0,0)"  # the largest growth is full red
    assert f["fc"][2].endswith(",255)") and f["fc"][2] != "rgb(250,250,250)"  # shrank: blue
    assert f["fa"][2] == "rgb(250,250,250)"  # unchanged: white
    assert f["new"][2].startswith("rgb(255,")
    assert f["all"][1] == 80


def test_negate_draws_the_before_shape_with_growth_still_red(pair, tmp_path):
    f = frames(render(tmp_path, *pair, "--negate"))
    assert f["fb"][1] == 20 and f["fb"][2] == "rgb(255,0,0)"
    assert "delta +40" in f["fb"][0]
    assert "new" not in f  # absent from BEFORE: no width
    assert f["all"][1] == 40


def test_normalized_svg_scales_before_in_the_tooltips(pair, tmp_path):
    f = frames(render(tmp_path, *pair, "-n"))
    assert "before 40, after 60, delta +20" in f["fb"][0]  # BEFORE doubled to AFTER's total of 80


def test_the_title_says_what_it_is(pair, tmp_path):
    assert b">Differential Flame Graph</text>" in render(tmp_path, *pair)
    assert b">Differential Flame Graph (widths: BEFORE)</text>" in render(tmp_path, *pair, "--negate")
    assert b">v2 vs v1</text>" in render(tmp_path, *pair, "--title", "v2 vs v1")


def test_svg_is_byte_identical_across_runs(pair, tmp_path):
    assert render(tmp_path, *pair, "-s") == render(tmp_path, *pair, "-s")


def test_negated_tooltip_keeps_the_users_before_and_after(pair, tmp_path):
    assert "before 20, after 60, delta +40" in frames(render(tmp_path, *pair, "--negate"))["fb"][0]
