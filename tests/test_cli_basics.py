"""The CLI's contract: one-line errors with exit 2, merge, atomic output."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from flamekit.cli import main


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_merge_sums_folded_files(tmp_path):
    a = tmp_path / "a.folded"
    b = tmp_path / "b.folded"
    a.write_bytes(b"x;y 1\nx 2\n")
    b.write_bytes(b"x;y 4\nz 1\n")
    out = tmp_path / "m.folded"
    r = run("merge", str(a), str(b), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == b"x 2\nx;y 5\nz 1\n"


def test_missing_file_is_one_line_and_exit_2():
    r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "/no/such/file"], capture_output=True)
    assert r.returncode == 2
    assert r.stderr == b"flamekit: error: /no/such/file: no such file\n"


def test_unrecognized_input_lists_formats_tried():
    r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "-"], input=b"\x00\x01garbage\n", capture_output=True)
    assert r.returncode == 2
    assert r.stderr.startswith(b"flamekit: error: <stdin>: unrecognized input format (tried: ")
    assert r.stderr.count(b"\n") == 1


def test_strict_turns_a_skip_into_exit_2(tmp_path):
    f = tmp_path / "bad.folded"
    f.write_bytes(b"a;b 1\noops\n")
    r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "--format", "folded", "--strict", str(f)],
                       capture_output=True)
    assert r.returncode == 2
    assert r.stderr == f"flamekit: error: {f}:2: expected 'frame;frame;... COUNT' (--strict)\n".encode()


def test_skips_are_reported_not_silent(tmp_path):
    f = tmp_path / "bad.folded"
    f.write_bytes(b"a;b 1\noops\n")
    r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "--format", "folded", str(f)], capture_output=True)
    assert r.returncode == 0
    assert r.stdout == b"a;b 1\n"
    assert b"skipped 1 line" in r.stderr


def test_gzip_input_is_read_transparently(tmp_path):
    import gzip
    f = tmp_path / "a.folded.gz"
    f.write_bytes(gzip.compress(b"a;b 2\n"))
    r = run("collapse", str(f))
    assert r.exit_code == 0
    assert r.output == "a;b 2\n"


def test_failed_run_leaves_no_output_file(tmp_path):
    out = tmp_path / "out.folded"
    r = run("collapse", "--strict", "--format", "folded", "-o", str(out), input=b"a 1\nbad\n")
    assert r.exit_code == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
