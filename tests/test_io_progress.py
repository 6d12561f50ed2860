"""The progress bar: drawn on a terminal for large inputs, never otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flamekit import io as fio
from flamekit.collapse import CollapseOptions, load
from flamekit.errors import Skips


def test_bar_reaches_100_percent_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "big.folded"
    f.write_bytes(b"a;b 1\n" * 50_000)
    monkeypatch.setattr(fio, "PROGRESS_MIN_BYTES", 1000)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    p = load(str(f), "folded", CollapseOptions(skips=Skips()), progress=True)
    assert p.total == 50_000
    err = capsys.readouterr().err
    assert f"\r{f}: [" in err and "100.0%" in err and err.endswith("MB/s\n")


def test_no_bar_when_not_asked_or_not_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "big.folded"
    f.write_bytes(b"a;b 1\n" * 50_000)
    monkeypatch.setattr(fio, "PROGRESS_MIN_BYTES", 1000)
    load(str(f), "folded", CollapseOptions(skips=Skips()), progress=True)  # stderr is not a tty here
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    load(str(f), "folded", CollapseOptions(skips=Skips()), progress=False)  # --quiet
    assert capsys.readouterr().err == ""
