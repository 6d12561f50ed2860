"""Differential flame graphs in headless Chromium: the checks ordinary flame
graphs pass (zoom, reset, search, URL state, details line, frames the budget
hid, hostile names), on SVGs written by ``flamekit diff`` from the real perf
captures in tests/golden/diff and from small diffs written here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import GOLDEN
from flamekit.cli import main
from flamekit.collapse import load_profile
from test_flamegraph_browser import FRAMES_JS, INJECTIONS, by_name, matched_pct

pytestmark = pytest.mark.browser

BEFORE = str(GOLDEN / "diff" / "before.perf.gz")
AFTER = str(GOLDEN / "diff" / "after.perf.gz")
HOVER = """() => {{ const g = [...document.querySelectorAll('#frames > g')]
              .find(g => g.querySelector('title').textContent.startsWith({name!r} + ' ('));
            g.querySelector('rect').dispatchEvent(new MouseEvent('mouseover', {{bubbles: true}}));
            return document.getElementById('details').textContent; }}"""


def diff_svg(tmp_path: Path, before: str, after: str, *args: str) -> Path:
    out = tmp_path / "diff.svg"
    r = CliRunner().invoke(main, ["diff", before, after, *args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def name(frame: dict[str, str]) -> str:
    return frame["title"].rsplit(" (", 1)[0]


@pytest.mark.parametrize("negate", [False, True])
def test_zoom_reset_and_search_keep_the_diff_colours(browser: Any, tmp_path: Path, negate: bool) -> None:
    svg = diff_svg(tmp_path, BEFORE, AFTER, "-n", *(["--negate"] if negate else []))
    run = browser.run(svg, [
        {"eval": FRAMES_JS},
        {"clickText": "hash_records"},
        {"eval": FRAMES_JS},
        {"eval": "location.search"},
        {"click": "#unzoom"},
        {"eval": FRAMES_JS},
        {"eval": "search('^hash_'), document.getElementById('matched').textContent"},
        {"eval": FRAMES_JS},
        {"key": "Escape"},
        {"eval": FRAMES_JS},
    ]).check()
    start, zoomed, url, reset, matched, searched, cleared = (run.results[i] for i in (0, 2, 3, 5, 6, 7, 9))
    target = [f for f in zoomed if "selected" in f["cls"]]
    assert [name(f) for f in target] == ["hash_records"]
    assert (target[0]["x"], target[0]["w"]) == ("10.0", "1180.0")
    assert {name(f) for f in zoomed if "parent" in f["cls"]} == {"all", "workload", "__libc_start_call_main", "main"}
    assert all("hide" in f["cls"] for f in zoomed if name(f) in ("parse_input", "write_output"))
    assert url.startswith("?x=") and "&y=" in url
    assert [(f["x"], f["w"], f["label"], f["fill"]) for f in reset] == \
        [(f["x"], f["w"], f["label"], f["fill"]) for f in start]
    # the search paints matches, and clearing it gives the red/blue back
    widths = load_profile(BEFORE if negate else AFTER)
    assert matched == matched_pct(widths, lambda f: f.startswith("hash_"))
    assert {f["fill"] for f in searched if name(f) == "hash_records"} == {"rgb(230,0,230)"}
    assert [f["fill"] for f in cleared] == [f["fill"] for f in start]
    fills = {name(f): f["fill"] for f in start}
    assert fills["hash_records"] == "rgb(255,0,0)"
    assert fills["parse_input"].endswith(",255)") and fills["write_output"].endswith(",255)")


def test_details_line_shows_before_after_and_delta(browser: Any, tmp_path: Path) -> None:
    svg = diff_svg(tmp_path, BEFORE, AFTER)
    run = browser.run(svg, [{"eval": HOVER.format(name="hash_records")},
                            {"clickText": "main"},
                            {"eval": HOVER.format(name="write_output")}]).check()
    assert run.results[0] == "Function: hash_records (1,701 samples, 60.06%; before 566, after 1,701, delta +1,135, +40.08%)"
    assert run.results[2].startswith("Function: write_output (565 samples, 19.95%; before 587, after 565, delta -22, ")
    assert run.results[2].endswith("% of zoomed frame]")


def test_url_state_restores_zoom_and_search(browser: Any, tmp_path: Path) -> None:
    svg = diff_svg(tmp_path, BEFORE, AFTER)
    first = browser.run(svg, [{"clickText": "parse_input"}, {"eval": "location.search"}]).check()
    run = browser.run(svg.as_uri() + first.results[1] + "&s=write", [
        {"eval": FRAMES_JS}, {"eval": "document.getElementById('matched').textContent"}]).check()
    names = by_name(run.results[0])
    assert names["parse_input"]["w"] == "1180.0" and "hide" not in names["parse_input"]["cls"]
    assert names["main"]["cls"] == "parent" and "hide" in names["hash_records"]["cls"]
    assert run.results[1] == matched_pct(load_profile(AFTER), lambda f: "write" in f)


def test_zoom_reveals_hidden_frames_with_their_diff_tooltip_and_colour(browser: Any, tmp_path: Path) -> None:
    b, a = tmp_path / "b.folded", tmp_path / "a.folded"
    b.write_bytes(b"m;big 20000\nm;mid;a 10\n")
    a.write_bytes(b"m;big 20000\nm;mid;a 30\nm;mid;tiny 1\n")  # tiny: 0.06 px, under the 0.1 px budget
    svg = diff_svg(tmp_path, str(b), str(a))
    run = browser.run(svg, [{"eval": FRAMES_JS}, {"clickText": "mid"}, {"eval": FRAMES_JS}]).check()
    assert "tiny" not in by_name(run.results[0])
    tiny = by_name(run.results[2])["tiny"]
    assert tiny["title"].startswith("tiny (1 samples, ") and "; before 0, after 1, delta +1, " in tiny["title"]
    assert tiny["fill"].startswith("rgb(255,")
    assert by_name(run.results[2])["a"]["fill"] == "rgb(255,0,0)"


def test_hostile_names_in_a_diff_never_execute(browser: Any, tmp_path: Path) -> None:
    b, a = tmp_path / "b.folded", tmp_path / "a.folded"
    clean = [n for n in INJECTIONS if "\x00" not in n]
    b.write_text("".join(f"main;{n} 10\n" for n in clean))
    a.write_text("".join(f"main;{n} {10 + 5 * i}\n" for i, n in enumerate(clean)))
    svg = diff_svg(tmp_path, str(b), str(a))
    run = browser.run(svg.as_uri() + "?s=%3Cscript%3E", [
        {"eval": "typeof window.__pwned"},
        {"eval": "[...document.querySelectorAll('#frames > g rect')].forEach(r => r.dispatchEvent("
                 "new MouseEvent('mouseover', {bubbles: true}))), 0"},
        {"eval": "search('script|onload|pwned'), document.getElementById('matched').textContent"},
        {"eval": FRAMES_JS},
        {"eval": "typeof window.__pwned"},
    ]).check()
    assert run.results[0] == "undefined" and run.results[-1] == "undefined"
    assert run.dialogs == []
    assert {name(f) for f in run.results[3]} >= set(clean)


def test_negated_details_line_keeps_the_users_before_and_after(browser: Any, tmp_path: Path) -> None:
    svg = diff_svg(tmp_path, BEFORE, AFTER, "--negate")
    run = browser.run(svg, [{"eval": HOVER.format(name="hash_records")}]).check()
    assert run.results[0].startswith("Function: hash_records (566 samples, ")
    assert "before 566, after 1,701, delta +1,135" in run.results[0]
