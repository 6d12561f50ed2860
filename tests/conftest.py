"""Shared fixtures: the shared corpus (skipped when absent) and external tools
(skipped locally when missing, but a failure under CI=true)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def corpus_path(*parts: str) -> Path:
    """A path in ../shared/corpus; skips the test when the corpus is absent."""
    p = CORPUS.joinpath(*parts)
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present (a user's clone has none)")
    if not p.exists():
        pytest.fail(f"corpus file missing: {p}")
    return p


def require_tool(name: str, package: str | None = None) -> str:
    """The path of an external tool; skip without it, but fail under CI."""
    path = shutil.which(name)
    if path:
        return path
    msg = f"{name} is not installed (Debian package {package or name})"
    if IN_CI:
        pytest.fail(msg + "; .ci/run must install it")
    pytest.skip(msg)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """A headless-Chromium driver (tests/browser/harness.py); installs puppeteer-core once."""
    import importlib.util
    import sys

    require_tool("chromium")
    require_tool("node", "nodejs")
    require_tool("npm", "nodejs")
    spec = importlib.util.spec_from_file_location("flamekit_browser_harness", ROOT / "tests" / "browser" / "harness.py")
    assert spec and spec.loader
    harness = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(harness)
    harness.ensure_node_modules()
    return harness.Browser(chromium=shutil.which("chromium") or harness.CHROMIUM)
