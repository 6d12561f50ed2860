"""Flame graph SVGs in headless Chromium: zoom, search, URL state, keyboard, hidden frames, injection.

Every test loads an SVG flamekit rendered (from the recorded perf capture in
tests/golden/flamegraph, or a small profile written here) and checks what
the page shows through the DOM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flamekit import folded
from flamekit.profile import Profile
from flamekit.render import flamegraph as fg

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent / "golden" / "flamegraph"

FRAMES_JS = """() => [...document.querySelectorAll('#frames > g')].map(g => {
  const r = g.querySelector('rect');
  return {title: g.querySelector('title').textContent, cls: g.getAttribute('class') || '',
          x: r.getAttribute('x'), w: r.getAttribute('width'), fill: r.getAttribute('fill'),
          label: (g.querySelector('text') || {textContent: ''}).textContent};  // none: too narrow for one
})"""


def capture() -> Profile:
    """The recorded perf capture, as collapsed when recorded (record.sh), so these tests do not
    move when the perf collapser's defaults do; test_flamegraph_svg reads the raw capture."""
    result = folded.read(open(DATA / "burn.folded", "rb"))
    assert isinstance(result, Profile)
    return result


def write(tmp_path: Path, profile: Any, name: str = "fg.svg", **opts: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(fg.render(profile, fg.FlameGraphOptions(**opts)))
    return path


def by_name(frames: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """First frame of each name (titles are 'name (N samples, P%)')."""
    out: dict[str, dict[str, str]] = {}
    for f in frames:
        out.setdefault(f["title"].rsplit(" (", 1)[0], f)
    return out


def matched_pct(profile: Profile, pred: Any) -> str:
    """'Matched: x%' as the page must show it: each matching subtree counted once."""
    w = 0
    for stack, weight in profile.items():
        if any(pred(f) for f in stack):
            w += weight
    return f"Matched: {100 * w / profile.total:.1f}%"


MODES = {"flame": {}, "icicle": {"inverted": True}, "flamechart": {"flamechart": True}}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_zoom_reset_and_search_on_a_real_capture(browser: Any, tmp_path: Path, mode: str) -> None:
    profile = capture()
    svg = write(tmp_path, profile, **MODES[mode])
    run = browser.run(svg, [
        {"eval": FRAMES_JS},
        {"clickText": "hash_record"},
        {"eval": FRAMES_JS},
        {"eval": "location.search"},
        {"eval": "document.getElementById('unzoom').getAttribute('class')"},
        {"click": "#unzoom"},
        {"eval": FRAMES_JS},
        {"eval": "search('^spin$'), [document.getElementById('matched').textContent, "
                 "document.getElementById('search').textContent]"},
        {"eval": FRAMES_JS},
        {"key": "Escape"},
        {"eval": "[document.getElementById('matched').textContent, location.search]"},
    ]).check()
    r = run.results
    before, zoomed, url, unzoom_cls, after, (matched, button), searched, (cleared, url2) = (
        r[0], r[2], r[3], r[4], r[6], r[7], r[8], r[10])
    target = [f for f in zoomed if "selected" in f["cls"]]
    assert len(target) == 1 and target[0]["title"].startswith("hash_record (")
    assert (target[0]["x"], target[0]["w"]) == ("10.0", "1180.0")
    callers = [f for f in zoomed if "parent" in f["cls"]]
    assert {f["title"].rsplit(" (", 1)[0] for f in callers} == {"all", "burn", "__libc_start_call_main", "main",
                                                                "handle_request"}
    assert all(f["w"] == "1180.0" and "hide" not in f["cls"] for f in callers)
    assert all("hide" in f["cls"] for f in zoomed if f["title"].startswith(("flush_output", "strcmp")))
    assert url.startswith("?x=") and "&y=" in url
    assert "hide" not in unzoom_cls
    # Reset Zoom restores every frame exactly
    assert [(f["x"], f["w"], f["label"]) for f in after] == [(f["x"], f["w"], f["label"]) for f in before]
    assert all("hide" not in f["cls"] and "parent" not in f["cls"] for f in after)
    # regex search: right percentage, matches painted
    assert matched == matched_pct(profile, lambda f: f == "spin") and button == "Reset Search"
    for f in searched:
        name = f["title"].rsplit(" (", 1)[0]
        assert (f["fill"] == "rgb(230,0,230)") == (name == "spin")
    assert cleared == " " and url2 == ""


def test_url_state_restores_zoom_and_search(browser: Any, tmp_path: Path) -> None:
    profile = capture()
    svg = write(tmp_path, profile)
    first = browser.run(svg, [{"clickText": "walk_tree"}, {"eval": "location.search"}]).check()
    query = first.results[1] + "&s=" + "tail_"
    run = browser.run(svg.as_uri() + query, [{"eval": FRAMES_JS},
                                             {"eval": "document.getElementById('matched').textContent"}]).check()
    names = by_name(run.results[0])
    assert names["walk_tree"]["w"] == "1180.0" and "hide" not in names["walk_tree"]["cls"]
    assert names["handle_request"]["cls"] == "parent"
    assert run.results[1] == matched_pct(profile, lambda f: "tail_" in f)


def hidden_profile() -> Profile:
    # 'mid' is drawn (about 6 px) but its callees are below --minwidth 5 until it is zoomed
    return Profile({("m", "big"): 100_000, ("m", "mid", "light1", "deep"): 300, ("m", "mid", "light2"): 200,
                    ("m", "mid", "light2", "speck"): 1})


def test_zoom_reveals_frames_the_budget_hid_and_search_counts_them(browser: Any, tmp_path: Path) -> None:
    profile = hidden_profile()
    svg = write(tmp_path, profile, minwidth="5")
    shape = ("() => [...document.querySelectorAll('#frames > g')].map(g => [...g.children].map(c => "
             "c.tagName + '(' + [...c.attributes].map(a => a.name).sort().join(',') + ')').join(' '))")
    run = browser.run(svg, [
        {"eval": FRAMES_JS},
        {"eval": "search('light|deep'), document.getElementById('matched').textContent"},
        {"clickText": "mid"},
        {"eval": FRAMES_JS},
        {"eval": shape},
        {"eval": "unzoom(), document.querySelectorAll('#frames > g').length"},
    ]).check()
    initial, matched, _, zoomed, shapes, count_after = run.results
    # revealed frames are built like the drawn ones: <g> with <title>, <rect>, <text> and the same attributes
    assert len(set(shapes)) == 1 and shapes[0] == ("title() rect(fg:w,fg:x,fill,height,width,x,y) text(x,y)")
    assert [f["title"].split(" (")[0] for f in initial] == ["all", "m", "big", "mid"]
    assert matched == matched_pct(profile, lambda f: "light" in f or "deep" in f)
    names = by_name(zoomed)
    ppx = 1180 / 501
    assert names["light1"]["title"] == "light1 (300 samples, 0.30%)"
    assert (names["light1"]["x"], names["light1"]["w"]) == ("10.0", f"{300 * ppx:.1f}")
    assert names["deep"]["w"] == f"{300 * ppx:.1f}" and names["deep"]["label"] == "deep"
    assert names["light2"]["x"] == f"{10 + 300 * ppx:.1f}"
    assert names["light1"]["fill"] == "rgb(230,0,230)"  # revealed frames keep the search highlight
    assert "speck" not in names  # 1 sample is still under 5 px at this zoom
    assert count_after == 4  # revealed frames go away again on Reset Zoom


@pytest.mark.parametrize("negate", [False, True])
def test_revealed_frames_have_the_same_tooltips_as_drawn_ones(browser: Any, tmp_path: Path, negate: bool) -> None:
    d = folded.read(open(DATA / "diff.folded", "rb"))
    pruned = write(tmp_path, d, "pruned.svg", minwidth="300", negate=negate)
    full = fg.render(d, fg.FlameGraphOptions(minwidth="0", negate=negate))
    find = "const find = (n, name) => n.name === name ? n : n.kids.map(k => find(k, name)).find(Boolean);"
    run = browser.run(pruned, [{"eval": FRAMES_JS},
                               {"eval": f"() => {{ {find} zoom(find(model(), 'compress')); return 0; }}"},
                               {"eval": FRAMES_JS},
                               {"eval": f"() => {{ {find} zoom(find(model(), 'parse')); return 0; }}"},
                               {"eval": FRAMES_JS}]).check()
    assert {f["title"].split(" (")[0] for f in run.results[0]} == {"all", "main", "hash", "parse"}
    titles = {f["title"] for f in run.results[2] + run.results[4]}
    assert {t.split(" (")[0] for t in titles} >= {"compress", "deflate", "lex", "tokenize"}
    assert ("deflate (12 samples, 11.54%; before 12, after 25, delta +13, +12.50%)" if negate else
            "deflate (12 samples, 11.54%; before 25, after 12, delta -13, -12.50%)") in titles
    for t in titles:
        assert f"<title>{t}</title>".encode() in full


def test_keyboard_navigation_and_shortcuts(browser: Any, tmp_path: Path) -> None:
    profile = capture()
    svg = write(tmp_path, profile)
    run = browser.run(svg, [
        {"key": "ArrowUp"},  # from the root toward the leaves
        {"eval": "selected.name"},
        {"key": "ArrowUp"}, {"key": "ArrowUp"}, {"key": "ArrowUp"},
        {"eval": "selected.name"},
        {"key": "ArrowRight"},
        {"eval": "selected.name"},
        {"key": "Enter"},
        {"eval": "zoomed && zoomed.name"},
        {"key": "ArrowDown"},
        {"eval": "selected.name"},
        {"key": "Escape"},
        {"eval": "zoomed"},
        {"key": "i", "modifiers": ["Control"]},
        {"eval": "search('HASH_RECORD'), document.getElementById('matched').textContent"},
        {"prompt": "^parse_"},
        {"key": "F3"},
        {"eval": "[searching, document.getElementById('matched').textContent, location.search]"},
        {"key": "f", "modifiers": ["Control"]},
    ]).check()
    r = run.results
    assert r[1] == "burn"
    assert r[5] == "flush_output"  # leftmost (alphabetical) path: burn, __libc_start_call_main, main
    assert r[7] == "handle_request"
    assert r[9] == "handle_request"
    assert r[11] == "main"
    assert r[13] is None
    assert r[15] == matched_pct(profile, lambda f: f.lower() == "hash_record")
    assert r[18] == ["^parse_", matched_pct(profile, lambda f: f.lower().startswith("parse_")), "?s=%5Eparse_&i=1"]
    assert [d["type"] for d in run.dialogs] == ["prompt", "prompt"]


def test_details_line_shows_share_of_the_zoomed_frame(browser: Any, tmp_path: Path) -> None:
    p = Profile({("m", "a", "x"): 30, ("m", "a", "y"): 10, ("m", "b"): 60})
    svg = write(tmp_path, p)
    run = browser.run(svg, [
        {"clickText": "a "},
        {"eval": """() => { const g = [...document.querySelectorAll('#frames > g')]
                      .find(g => g.querySelector('title').textContent.startsWith('x '));
                    g.querySelector('rect').dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
                    return document.getElementById('details').textContent; }"""},
    ]).check()
    assert run.results[1] == "Function: x (30 samples, 30.00%) [75.00% of zoomed frame]"


INJECTIONS = [
    '<img src=x onerror="window.__pwned=1">',
    '"><script>window.__pwned=2</script>',
    "]]><script>window.__pwned=3</script><![CDATA[",
    "</script><script>window.__pwned=4</script>",
    '" onmouseover="window.__pwned=5" x="',
    "javascript:window.__pwned=6",
    "\x00\udcff<svg onload=window.__pwned=7>",
]


def test_names_never_execute(browser: Any, tmp_path: Path) -> None:
    stacks = {("main", name): 100 for name in INJECTIONS}
    # the same names also hidden by the budget, to go through the embedded data and JS-built frames
    stacks.update({("main", "big"): 10**7})
    stacks.update({("main", "tiny", name): 1 for name in INJECTIONS})
    svg = write(tmp_path, Profile(stacks), minwidth="0.5")
    steps: list[dict[str, Any]] = [{"eval": "typeof window.__pwned"}]
    for name in INJECTIONS[:3]:
        steps += [{"eval": "() => { const gs = [...document.querySelectorAll('#frames > g')]; "
                           "gs.forEach(g => g.querySelector('rect').dispatchEvent(new MouseEvent('mouseover', "
                           "{bubbles: true}))); return gs.length; }"}]
    steps += [{"eval": "zoom(model().kids[0].kids.find(k => k.name === 'tiny')), "
                       "document.querySelectorAll('#frames > g').length"},
              {"eval": "search('script|onload|pwned'), document.getElementById('matched').textContent"},
              {"eval": FRAMES_JS},
              {"eval": "typeof window.__pwned"}]
    run = browser.run(svg.as_uri() + "?s=" + "%3Cscript%3E", steps).check()
    assert run.results[0] == "undefined" and run.results[-1] == "undefined"
    assert run.dialogs == []
    shown = {f["title"].rsplit(" (", 1)[0] for f in run.results[-2]}
    for name in INJECTIONS[:6]:
        assert name in shown  # displayed faithfully, as text
    assert "\\x00\\xff<svg onload=window.__pwned=7>" in shown


def test_a_big_graph_loads_without_errors(browser: Any, tmp_path: Path) -> None:
    stacks = {(f"f{i % 50}", f"g{i % 997}", f"h{i}"): 1 + i % 7 for i in range(6_000)}
    svg = write(tmp_path, Profile(stacks), minwidth="0")
    run = browser.run(svg, [{"eval": "document.querySelectorAll('#frames > g').length"},
                            {"eval": "search('^h1'), document.getElementById('matched').textContent"}]).check()
    assert run.results[0] == 1 + 50 + len({s[:2] for s in stacks}) + len(stacks)
    assert run.results[1] == matched_pct(Profile(stacks), lambda f: f.startswith("h1"))
    assert json.dumps(run.errors) == "[]"


def test_a_deep_hidden_recursion_can_be_explored(browser: Any, tmp_path: Path) -> None:
    deep = ("main",) + ("recurse",) * 3000
    svg = write(tmp_path, Profile({("main", "big"): 10**7, deep: 1}), max_embedded_frames=4000)
    # the URL zooms straight into a frame the budget hid, 1,500 levels down
    run = browser.run(svg.as_uri() + "?x=10000000&y=1500", [
        {"eval": "[zoomed.name, zoomed.d, zoomed.w]"},
        {"eval": "document.querySelectorAll('#frames > g:not(.hide)').length"},
        {"eval": "search('^recurse$'), document.getElementById('matched').textContent"},
    ]).check()
    assert run.results[0] == ["recurse", 1500, 1]
    assert run.results[1] == 1500 + 1 + 1501  # callers (depths 0-1499, dimmed), the frame, its 1,501 callees
    assert run.results[2] == "Matched: 0.0%"


def test_nameattr_links_follow_on_click_and_zoom_on_ctrl_click(browser: Any, tmp_path: Path) -> None:
    attrs = tmp_path / "attrs.txt"
    attrs.write_text("hot\thref=#docs-hot\ttarget=_self\n")
    p = Profile({("main", "hot"): 3, ("main", "cold"): 1})
    svg = tmp_path / "links.svg"
    svg.write_bytes(fg.render(p, fg.FlameGraphOptions(nameattr=fg.read_nameattr(str(attrs)))))
    click = ("() => {{ const g = [...document.querySelectorAll('#frames > g')].find(g => "
             "g.querySelector('title').textContent.startsWith('hot ')); g.querySelector('rect').dispatchEvent("
             "new MouseEvent('click', {{bubbles: true, cancelable: true, ctrlKey: {ctrl}}})); "
             "return [location.hash, zoomed ? zoomed.name : null]; }}")
    run = browser.run(svg, [{"eval": click.format(ctrl="false")}, {"eval": "unzoom(), 0"},
                            {"eval": click.format(ctrl="true")}]).check()
    assert run.results[0] == ["#docs-hot", None]  # plain click follows the link
    assert run.results[2][1] == "hot"  # Ctrl+click zooms instead


def test_frames_too_narrow_for_a_label_get_one_when_zoomed(browser: Any, tmp_path: Path) -> None:
    # 'narrow' is drawn (about 3.5 px) without a <text>; a zoom adds one, an unzoom empties it
    svg = write(tmp_path, Profile({("m", "big"): 100_000, ("m", "narrow", "callee"): 300}))
    label = ("(name) => { const g = [...document.querySelectorAll('#frames > g')].find(g => "
             "g.querySelector('title').textContent.startsWith(name + ' (')); const t = g.querySelector('text'); "
             "return t ? [t.textContent, t.getAttribute('x'), t.getAttribute('y'), getComputedStyle(t).display, "
             "t.getBBox().width > 0, t.previousElementSibling.tagName] : null; }")
    find = "const find = (n, name) => n.name === name ? n : n.kids.map(k => find(k, name)).find(Boolean);"
    run = browser.run(svg, [
        {"eval": f"[({label})('narrow'), ({label})('big')]"},
        {"eval": f"() => {{ {find} zoom(find(model(), 'narrow')); return [({label})('narrow'), ({label})('callee')]; }}"},
        {"eval": f"unzoom(), ({label})('narrow')"},
    ]).check()
    (narrow, big), (zoomed, callee), after = run.results
    assert narrow is None
    assert big[0] == "big" and big[3] != "none" and big[4]
    # zoomed to full width: labelled, positioned on its row (the row 'big' shares), and drawn
    assert zoomed == ["narrow", "13.00", big[2], big[3], True, "rect"]
    assert callee[0] == "callee" and callee[4] and float(callee[2]) == float(big[2]) - 16
    assert after[0] == "" and after[3] == "none"


def test_a_linked_frame_too_narrow_for_a_label_gets_it_inside_its_link(browser: Any, tmp_path: Path) -> None:
    # with --nameattr href the frame is <g><title/><a><rect/></a></g>: the label goes after the rect
    attrs = tmp_path / "attrs.txt"
    attrs.write_text("narrow\thref=#docs\n")
    svg = tmp_path / "linked.svg"
    svg.write_bytes(fg.render(Profile({("m", "big"): 100_000, ("m", "narrow"): 300}),
                              fg.FlameGraphOptions(nameattr=fg.read_nameattr(str(attrs)))))
    shape = ("() => { const g = [...document.querySelectorAll('#frames > g')].find(g => "
             "g.querySelector('title').textContent.startsWith('narrow (')); "
             "return [...g.querySelectorAll('*')].map(e => e.tagName + ':' + e.parentNode.tagName + "
             "(e.tagName === 'text' ? '=' + e.textContent : '')).join(' '); }")
    find = "const find = (n, name) => n.name === name ? n : n.kids.map(k => find(k, name)).find(Boolean);"
    run = browser.run(svg, [{"eval": shape},
                            {"eval": f"() => {{ {find} zoom(find(model(), 'narrow')); return ({shape})(); }}"}]).check()
    assert run.results == ["title:g a:g rect:a", "title:g a:g rect:a text:a=narrow"]


def test_the_page_marks_when_it_became_interactive(browser: Any, tmp_path: Path) -> None:
    # benchmarks/bench_flamegraph.py measures load as navigation start to this mark (init has run)
    svg = write(tmp_path, capture())
    run = browser.run(svg.as_uri() + "?s=spin", [
        {"eval": "performance.getEntriesByName('flamekit-ready').map(m => m.startTime)"},
        {"eval": "[performance.getEntriesByType('navigation')[0].domInteractive, "
                 "document.getElementById('matched').textContent]"},
    ]).check()
    # one mark, after the document was parsed and after init restored the URL's search
    (ready,), (parsed, matched) = run.results
    assert ready >= parsed > 0 and matched.startswith("Matched: ")
