"""The headless-Chromium harness itself: steps run, values come back, page errors are caught."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PAGE = """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">
<rect id="box" x="10" y="10" width="50" height="50" onclick="clicks++"/>
<script><![CDATA[
var clicks = 0;
var answer = null;
document.addEventListener("keydown", function (e) { if (e.key === "F3") answer = prompt("term?"); });
]]></script>
</svg>
"""


def test_steps_return_values_in_order(browser, tmp_path: Path) -> None:
    page = tmp_path / "page.svg"
    page.write_text(PAGE)
    run = browser.run(page, [
        {"eval": "clicks"},
        {"clickAt": [30, 30]},
        {"eval": "clicks"},
        {"eval": "async () => document.getElementById('box').getAttribute('width')"},
        {"prompt": "main"},
        {"key": "F3"},
        {"eval": "answer"},
    ]).check()
    assert run.results == [0, None, 1, "50", None, None, "main"]
    assert run.dialogs == [{"type": "prompt", "message": "term?"}]
    assert run.load_ms is not None and run.load_ms >= 0


def test_page_errors_are_reported_not_hidden(browser, tmp_path: Path) -> None:
    page = tmp_path / "bad.svg"
    page.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>undefinedFunction();</script></svg>')
    run = browser.run(page, [{"eval": "1 + 1"}])
    assert run.ok and run.results == [2]
    assert any("undefinedFunction" in e for e in run.page_errors)
    with pytest.raises(AssertionError, match="undefinedFunction"):
        run.check()


def test_a_failing_step_names_the_problem(browser, tmp_path: Path) -> None:
    page = tmp_path / "p.svg"
    page.write_text(PAGE)
    run = browser.run(page, [{"click": "#no-such-element"}])
    assert not run.ok
    assert "no-such-element" in (run.error or "")


def test_cpu_step_reports_the_browsers_cpu_since_navigation(browser, tmp_path: Path) -> None:
    page = tmp_path / "page.svg"
    page.write_text(PAGE)
    busy = "() => { let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i) % 1000003; return x; }"  # fixed work
    run = browser.run(page, [{"cpu": True}, {"eval": busy}, {"cpu": True}]).check()
    first, _, second = run.results
    assert set(first) == {"renderer", "all"} and 0 <= first["renderer"] <= first["all"]
    # the loop is CPU work on the renderer's main thread, whatever else the host is doing
    assert second["renderer"] - first["renderer"] >= 0.15 and second["all"] >= second["renderer"]
