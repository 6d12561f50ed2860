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


def test_stdout_is_flushed_only_after_a_block_that_succeeded(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    class Out(io.BytesIO):
        flushes = 0

        def flush(self) -> None:
            Out.flushes += 1
            super().flush()

    out = Out()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out))
    for path in (None, "-"):
        with atomic_output(path) as f:
            assert f is out
            f.write(b"x")
    assert out.getvalue() == b"xx" and Out.flushes == 2
    with pytest.raises(RuntimeError), atomic_output(None) as f:
        raise RuntimeError("failed")
    assert Out.flushes == 2


def test_a_failed_rename_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.svg"
    target.mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(OSError), atomic_output(target) as f:
        f.write(b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.svg"] and target.is_dir()


def test_an_interrupt_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.svg"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as f:
        f.write(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.svg"]


def test_no_gc_pauses_the_collector_and_restores_its_state() -> None:
    import gc

    from flamekit.gcpause import no_gc

    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            with pytest.raises(ValueError), no_gc():
                assert not gc.isenabled()
                with no_gc():  # nested: the outer state comes back only at the outer end
                    pass
                assert not gc.isenabled()
                raise ValueError
            assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()
