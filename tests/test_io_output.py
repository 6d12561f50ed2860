"""Outputs land atomically: a failed run never leaves a half-written or stray file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flamekit.io import atomic_output


def test_success_writes_the_file_with_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.folded"
    old = os.umask(0o027)
    try:
        with atomic_output(target) as f:
            f.write(b"a;b 1\n")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"a;b 1\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.folded"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.svg"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as f:
        f.write(b"half of a new file")
        raise RuntimeError("renderer failed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.svg"]


def test_a_taken_temporary_name_is_neither_reused_nor_touched(tmp_path: Path) -> None:
    taken = tmp_path / f".flamekit-{os.getpid()}-0.tmp"
    taken.write_bytes(b"someone else's")
    target = tmp_path / "out.txt"
    with atomic_output(target) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new"
    assert taken.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name, "out.txt"]


def test_unwritable_directory_is_a_usage_error(tmp_path: Path) -> None:
    from flamekit.errors import UsageError

    with pytest.raises(UsageError, match="cannot write"), atomic_output(tmp_path / "missing" / "out.svg"):
        pass


def test_cli_bad_input_creates_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.folded"
    bad.write_bytes(b"a;b 1\nthis line has no count\n")
    out = tmp_path / "out.svg"
    r = subprocess.run([sys.executable, "-m", "flamekit", "flamegraph", "--format", "folded", "--strict", str(bad),
                        "-o", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and f"{bad}:2" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.folded"]
