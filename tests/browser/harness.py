"""Drive headless Chromium from pytest: open a page, run steps, get JSON back.

A thin Python face over ``driver.js`` (puppeteer-core, pinned by
``package-lock.json``) so any test can load an SVG or a web app through a
real browser.  ``npm ci`` runs once into ``tests/browser/node_modules`` when
it is missing (under a file lock, so pytest-xdist workers do not race).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "driver.js"
CHROMIUM = "/usr/bin/chromium"


def ensure_node_modules(npm: str = "npm") -> None:
    """Install the pinned puppeteer-core with ``npm ci`` unless already there."""
    marker = HERE / "node_modules" / "puppeteer-core" / "package.json"
    with open(HERE / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)


@dataclass
class PageRun:
    """What one job returned: a value per step, and everything the page complained about."""

    ok: bool
    results: list[Any]
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[dict[str, str]] = field(default_factory=list)
    load_ms: int | None = None
    error: str | None = None

    @property
    def errors(self) -> list[str]:
        """JS exceptions and console errors together (a clean page has none)."""
        return self.page_errors + self.console_errors

    def check(self) -> PageRun:
        """Raise with the driver's message if a step failed or the page threw."""
        if not self.ok:
            raise AssertionError(f"browser job failed: {self.error}")
        if self.errors:
            raise AssertionError(f"page reported errors: {self.errors}")
        return self


@dataclass
class Browser:
    """Runs jobs in a fresh headless Chromium each (own --user-data-dir)."""

    node: str = "node"
    chromium: str = CHROMIUM
    viewport: tuple[int, int] = (1280, 900)

    def run(self, target: str | os.PathLike[str] | None, steps: list[dict[str, Any]], *,
            prompt: str | None = None, timeout_ms: int = 30000, viewport: tuple[int, int] | None = None) -> PageRun:
        """Open ``target`` (a path or a URL; None for a blank page) and run ``steps``.

        Steps (see driver.js): ``{"eval": js}``, ``{"click": css}``, ``{"clickAt": [x, y]}``,
        ``{"clickText": label}``, ``{"key": k, "modifiers": [...]}``, ``{"type": text}``,
        ``{"prompt": answer}``, ``{"wait": ms}``, ``{"waitFor": js}``, ``{"goto": url}``,
        ``{"metrics": true}`` (CDP main-thread durations), ``{"cpu": true}`` (CPU seconds of the page
        renderers, not Chrome's own UI, and of all the browser's processes since navigation began; Linux).
        """
        job: dict[str, Any] = {"chromium": self.chromium, "steps": steps, "timeout": timeout_ms,
                               "viewport": list(viewport or self.viewport)}
        if target is not None:
            t = os.fspath(target)
            if "://" in t:
                job["url"] = t
            else:
                job["file"] = str(Path(t).resolve())
        if prompt is not None:
            job["prompt"] = prompt
        proc = subprocess.run([self.node, str(DRIVER)], input=json.dumps(job), capture_output=True, text=True,
                              timeout=timeout_ms / 1000 * 3 + 30)
        if proc.returncode != 0 or not proc.stdout.strip():
            raise AssertionError(f"driver.js exited {proc.returncode}: {proc.stderr[-2000:]}")
        data = json.loads(proc.stdout)
        return PageRun(ok=data["ok"], results=data["results"], console_errors=data["console_errors"],
                       page_errors=data["page_errors"], dialogs=data["dialogs"], load_ms=data["load_ms"],
                       error=data.get("error"))
