"""``flamekit convert``: the output format follows --to or OUT's name, any input becomes any output."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from conftest import GOLDEN, corpus_path
from flamekit import folded
from flamekit.cli import main
from flamekit.collapse import load_profile
from flamekit.convert import format_for
from flamekit.errors import UsageError

FOLDED = b"main;a;b 3\nmain;a 2\nmain;c 5\n"


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("path, fmt", [
    ("x.pb.gz", "pprof"), ("X.PPROF", "pprof"), ("x.speedscope.json", "speedscope"), ("a/b.folded", "folded"),
    ("out.svg", "svg"), (None, "folded"), ("-", "folded"), ("x.collapsed", "folded"),
])
def test_format_follows_the_file_name(path, fmt):
    assert format_for(path) == fmt


def test_unknown_extension_asks_for_to(tmp_path):
    with pytest.raises(UsageError, match="--to"):
        format_for("out.json")
    src = tmp_path / "in.folded"
    src.write_bytes(FOLDED)
    r = run("convert", str(src), "-o", str(tmp_path / "out.json"))
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and "cannot tell the output format" in r.output


def test_to_overrides_the_name(tmp_path):
    src = tmp_path / "in.folded"
    src.write_bytes(FOLDED)
    out = tmp_path / "out.bin"
    assert run("convert", str(src), "--to", "pprof", "-o", str(out)).exit_code == 0
    assert gzip.decompress(out.read_bytes())[:1] == b"\x0a"
    assert load_profile(str(out)).stacks == folded.read_profile(src.open("rb")).stacks


def test_stdin_to_stdout_folded():
    r = CliRunner().invoke(main, ["convert", "-"], input=FOLDED)
    assert r.exit_code == 0
    assert r.stdout_bytes == b"main;a 2\nmain;a;b 3\nmain;c 5\n"


def test_svg_is_what_flamegraph_draws(tmp_path):
    src = tmp_path / "in.folded"
    src.write_bytes(FOLDED)
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    assert run("convert", str(src), "-o", str(a)).exit_code == 0
    assert run("flamegraph", str(src), "-o", str(b)).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes().startswith(b"<?xml")


def test_differential_input_is_refused(tmp_path):
    src = tmp_path / "d.folded"
    src.write_bytes(b"main;a 1 2\nmain;b 3 4\n")
    r = run("convert", str(src), "-o", str(tmp_path / "o.pb.gz"))
    assert r.exit_code == 2 and "differential" in r.output


def test_go_profile_to_speedscope(tmp_path):
    out = tmp_path / "go.speedscope.json"
    assert run("convert", str(GOLDEN / "pprof" / "go-burn.cpu.pb.gz"), "-o", str(out)).exit_code == 0
    doc = json.loads(out.read_bytes())
    assert doc["name"] == "go-burn.cpu.pb.gz" and doc["profiles"][0]["unit"] == "nanoseconds"
    assert load_profile(str(out)).stacks == load_profile(str(GOLDEN / "pprof" / "go-burn.cpu.pb.gz")).stacks


@pytest.mark.parametrize("name", ["perf-java-stacks-01", "perf-iperf-stacks-pidtid-01"])
def test_perf_script_with_tid_to_pprof_and_speedscope(tmp_path, name):
    """perf script -> pprof/speedscope: the same stacks stackcollapse-perf.pl --tid gives, one
    speedscope profile and one set of labels per thread."""
    src = corpus_path("perf", "inputs", f"{name}.txt")
    pb, ss = tmp_path / "p.pb.gz", tmp_path / "p.speedscope.json"
    assert run("convert", "-q", "--tid", str(src), "-o", str(pb)).exit_code == 0
    assert run("convert", "-q", "--tid", str(src), "-o", str(ss)).exit_code == 0
    reference = tmp_path / "ref.folded"
    assert run("collapse", "-q", "--tid", str(src), "-o", str(reference)).exit_code == 0
    expected = folded.read_profile(reference.open("rb")).stacks
    assert load_profile(str(pb)).stacks == expected
    assert load_profile(str(ss)).stacks == expected
    threads = {s[0] for s in expected}
    assert len(threads) > 1
    assert sorted(p["name"] for p in json.loads(ss.read_bytes())["profiles"]) == sorted(threads)
    raw = gzip.decompress(pb.read_bytes())
    assert b"\x32\x03tid" in raw and b"\x32\x04comm" in raw
