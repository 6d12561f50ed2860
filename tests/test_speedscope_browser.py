"""flamekit's speedscope files in the real speedscope app (npm speedscope, headless Chromium).

The app is served with the profile from 127.0.0.1 and opened with
``#profileURL=``; what it understood is read back by exporting (Ctrl+S, the
download captured through ``URL.createObjectURL``) and compared with what
flamekit wrote: profile names, frame count, stacks and total weight.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from flamekit.collapse.speedscope import parse
from flamekit.profile import Profile
from flamekit.render import speedscope
from test_speedscope import SPECIAL, THREADS, speedscope_release

pytestmark = pytest.mark.browser

CAPTURE_EXPORT = """(() => {
  window.__blobs = [];
  URL.createObjectURL = (b) => { window.__blobs.push(b); return 'blob:flamekit'; };
  HTMLAnchorElement.prototype.click = function () {};
  return true;
})()"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """An HTTP server for speedscope's dist/release, with /profiles/NAME from a temp dir."""
    release = speedscope_release()
    profiles = tmp_path_factory.mktemp("profiles")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            if path.startswith("/profiles/"):
                return str(profiles / os.path.basename(urllib.parse.urlsplit(path).path))
            return super().translate_path(path)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(release)))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", profiles
    finally:
        srv.shutdown()
        srv.server_close()


def open_in_speedscope(browser, server, profile: Profile, name: str) -> tuple[str, str, dict]:
    """(document title, toolbar text, exported document) after speedscope loads ``profile``."""
    base, folder = server
    fname = f"{name}.speedscope.json"
    (folder / fname).write_bytes(speedscope.dumps(profile, name=name))
    url = f"{base}/index.html#profileURL=" + urllib.parse.quote(f"{base}/profiles/{fname}", safe="")
    run = browser.run(url, [
        {"waitFor": "document.title.endsWith(' - speedscope')"},
        {"eval": "document.title"},
        {"eval": "document.body.innerText"},
        {"eval": CAPTURE_EXPORT},
        {"key": "s", "modifiers": ["Control"]},
        {"waitFor": "window.__blobs.length > 0"},
        {"eval": "async () => await window.__blobs[0].text()"},
    ], timeout_ms=60000).check()
    return run.results[1], run.results[2], json.loads(run.results[6])


def test_speedscope_app_shows_the_profile(browser, server):
    title, toolbar, exported = open_in_speedscope(browser, server, SPECIAL, "special")
    assert title == "special - speedscope"
    assert "special" in toolbar
    assert exported["exporter"] == "speedscope@1.25.0"
    assert [p["name"] for p in exported["profiles"]] == ["special"]
    assert len(exported["shared"]["frames"]) == len(SPECIAL.frame_names())
    assert exported["profiles"][0]["endValue"] == SPECIAL.total
    back = parse(exported)
    assert back.stacks == SPECIAL.stacks
    assert back.total == SPECIAL.total


def test_speedscope_app_shows_one_profile_per_thread(browser, server):
    title, toolbar, exported = open_in_speedscope(browser, server, THREADS, "threads")
    assert title == "threads - speedscope"
    assert [p["name"] for p in exported["profiles"]] == ["bash-17/17", "java-4242/4243", "java-4242/4250"]
    assert [p["endValue"] - p["startValue"] for p in exported["profiles"]] == [1, 5, 2]
    assert "bash-17/17" in toolbar  # the first (active) profile's name, with a profile selector
    assert len(exported["shared"]["frames"]) == len(THREADS.frame_names())
    assert parse(exported).stacks == THREADS.stacks


def test_sandwich_view_shows_the_weights(browser, server):
    """What the user sees: one sandwich row per frame, with flamekit's self and total weights."""
    p = Profile({("main", "a", "b"): 3, ("main", "a"): 2, ("main", "c"): 5, ("main", "with space;semi"): 4})
    base, folder = server
    (folder / "small.speedscope.json").write_bytes(speedscope.dumps(p, name="small"))
    url = (f"{base}/index.html#profileURL=" + urllib.parse.quote(f"{base}/profiles/small.speedscope.json", safe="")
           + "&view=sandwich")
    run = browser.run(url, [
        {"waitFor": "document.querySelectorAll('table tr').length > 1"},
        {"eval": "Array.from(document.querySelectorAll('table tr')).slice(1).map(r => r.innerText)"},
        {"eval": "document.body.innerText"},
    ], timeout_ms=60000).check()
    rows = {}
    for text in run.results[1]:
        total, self_, name = (cell.strip() for cell in text.split("\n\t"))
        rows[name] = (int(total.split()[0]), int(self_.split()[0]))
    selfs = p.self_weights()
    assert rows == {name: (w, selfs.get(name, 0)) for name, w in p.total_weights().items()}
    assert rows["main"][0] == p.total
    assert "\nsmall\n" in run.results[2]  # the profile name in the toolbar
