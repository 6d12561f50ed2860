"""The launcher's plain ``flamegraph`` path (flamekit/plain.py) against the click command.

Its argument parse must be click's or decline, its defaults must be click's,
and a run must print, write and exit exactly as the click command does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flamekit.cli import main
from flamekit.plain import FLAMEGRAPH_DEFAULTS, flamegraph_args

ROOT = Path(__file__).resolve().parent.parent
PERF = ROOT / "examples" / "perf-cdeep.perf.txt"

TOKENS = ["a.folded", "b.txt", "-", "--", "-o", "--output", "--output=x.svg", "-o=x.svg", "-ox.svg", "out.svg",
          "--title", "T", "-h", "--help", "--reverse", "-q", "--output=", "--out", "--width=10", "flamegraph", "a=b"]


def _click_params(argv: list[str]) -> dict | None:
    """What the click command receives for ``argv`` (None: click refuses it or ends parsing)."""
    cmd = main.commands["flamegraph"]
    try:
        ctx = cmd.make_context("flamegraph", list(argv), resilient_parsing=False)
    except BaseException:  # noqa: BLE001 - usage errors and help end parsing
        return None
    return dict(ctx.params)


def test_defaults_are_the_click_commands():
    want = _click_params([])
    assert want is not None
    assert {**FLAMEGRAPH_DEFAULTS, "inputs": ()} == want
    # same types too (click converts: 12 -> 12.0); == alone would take 12 for 12.0
    assert {k: type(v) for k, v in FLAMEGRAPH_DEFAULTS.items()} == {k: type(want[k]) for k in FLAMEGRAPH_DEFAULTS}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
@example(["a.folded", "-o", "out.svg", "b.txt"])
@example(["--output=x.svg", "--", "-h", "-o"])
@example(["-", "--output", "out.svg"])
def test_plain_args_are_what_click_parses(argv):
    got = flamegraph_args(argv)
    if got is None:
        return  # click parses (or refuses) it itself
    assert got == _click_params(argv), argv


def test_plain_args_decline_what_they_do_not_know():
    for argv in (["--help"], ["-h"], ["-o"], ["-o", "-"], ["--output="], ["-o=x"], ["-ox"], ["--reverse", "a"],
                 ["-o", "a", "-o", "b"], ["a", "--title", "T"], ["-q", "a"], ["--out", "x"]):
        assert flamegraph_args(argv) is None, argv
    assert flamegraph_args(["a", "--", "-h", "-o"]) == {**FLAMEGRAPH_DEFAULTS, "inputs": ("a", "-h", "-o")}


def _run(code: str, argv: list[str], stdin: bytes, cwd: Path) -> tuple[bytes, bytes, int, bytes | None]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code, *argv], input=stdin, capture_output=True, env=env,
                       cwd=str(cwd), check=False)
    out = cwd / "out.svg"
    written = out.read_bytes() if out.exists() else None
    if out.exists():
        out.unlink()
    return r.stdout, r.stderr, r.returncode, written


LAUNCH = "import sys; sys.argv[0] = 'flamekit'; from flamekit.launch import main; main()"
CLICK = "import sys; sys.argv[0] = 'flamekit'; from flamekit.cli import run; run()"


@pytest.mark.parametrize(("argv", "stdin"), [
    (["flamegraph", "a.folded", "-o", "out.svg"], b""),
    (["flamegraph", "--output=out.svg", "a.folded", "b.folded"], b""),  # merged
    (["flamegraph", "a.folded"], b""),  # to stdout
    (["flamegraph", "-"], b"x;y 3\nx;z 1\n"),
    (["flamegraph"], b"x;y 3\n"),  # stdin when no input is named
    (["flamegraph", "bad.folded", "-o", "out.svg"], b""),  # a skipped line: the warning on stderr
    (["flamegraph", "diff.folded", "-o", "out.svg"], b""),  # two-column differential input
    (["flamegraph", "empty.folded", "-o", "out.svg"], b""),  # no stacks: error SVG and exit 2
    (["flamegraph", "/no/such/file", "-o", "out.svg"], b""),
    (["flamegraph", "a.folded", "diff.folded"], b""),  # cannot merge: usage error
    (["flamegraph", str(PERF), "-o", "out.svg"], b""),  # a raw perf capture, detected
    (["flamegraph", "a.folded", "--reverse", "-o", "out.svg"], b""),  # not plain: click on both paths
])
def test_launcher_answers_as_the_click_command(tmp_path, argv, stdin):
    (tmp_path / "a.folded").write_text("main;f;g 5\nmain;h 2\n")
    (tmp_path / "b.folded").write_text("main;f;g 1\nother 4\n")
    (tmp_path / "bad.folded").write_text("main;f 3\nnot a stack line\n")
    (tmp_path / "diff.folded").write_text("main;f 3 5\nmain;g 2 1\n")
    (tmp_path / "empty.folded").write_text("")
    launched = _run(LAUNCH, argv, stdin, tmp_path)
    assert launched == _run(CLICK, argv, stdin, tmp_path)
    assert launched[1].count(b"\n") <= 1 and b"Traceback" not in launched[1]


def test_plain_flamegraph_runs_without_click():
    code = (f"import sys\nbefore = set(sys.modules)\n{LAUNCH}\nimport json\n"
            "print(json.dumps(sorted(m for m in set(sys.modules) - before if m.split('.')[0] == 'click'"
            " or m == 'flamekit.cli')), file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", code, "flamegraph", "-"], input=b"a;b 1\n", capture_output=True,
                       env=env, cwd=str(ROOT), check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"<?xml") and json.loads(r.stderr.splitlines()[-1]) == []
