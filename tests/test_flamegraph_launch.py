"""The launcher's plain ``flamegraph`` and ``collapse`` paths (flamekit/plain.py) against the click commands.

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
from flamekit.plain import COLLAPSE_DEFAULTS, FLAMEGRAPH_DEFAULTS, collapse_args, flamegraph_args

ROOT = Path(__file__).resolve().parent.parent
PERF = ROOT / "examples" / "perf-cdeep.perf.txt"

TOKENS = ["a.folded", "b.txt", "-", "--", "-o", "--output", "--output=x.svg", "-o=x.svg", "-ox.svg", "out.svg",
          "--title", "T", "-h", "--help", "--reverse", "-q", "--output=", "--out", "--width=10", "flamegraph", "a=b",
          # the drawing options a plain line may carry, and values click refuses or converts
          "--width", "1800", "21", "20", "0", "+30", " 40", "1_000", "٣٠", "--height=24", "--height", "1",
          "--max-embedded-frames", "--max-embedded-frames=0", "--colors", "java", "Java", "--colors=python",
          "--sort=weight", "--sort", "name", "--title=", "--title=A B", "--subtitle", "--countname=ms", "--minwidth",
          "0.5%", "--bgcolors", "#eeeeee", "--search-color=red", "--notes", "--hash", "--random", "--cp",
          "--inverted", "--flamechart", "--negate", "--colordiffusion", "--truncate-text-left",
          "--truncate-text-right", "--reverse=1", "--hash=", "--fontsize", "13", "--base", "main", "--nameattr",
          # input options
          "--strict", "-v", "--verbose", "--quiet", "-qv", "--pid", "--tid", "--all", "--kernel", "--offsets",
          "--per-cpu", "--event-filter", "cycles", "--event-filter=cpu-clock", "--exited-as", "[exited]",
          "--weight", "samples", "--weight=Period", "--format", "perf", "--jobs", "2", "--keep-last-sample"]


def _click_params(argv: list[str], command: str = "flamegraph") -> dict | None:
    """What the click command receives for ``argv`` (None: click refuses it or ends parsing)."""
    cmd = main.commands[command]
    try:
        ctx = cmd.make_context(command, list(argv), resilient_parsing=False)
    except BaseException:  # noqa: BLE001 - usage errors and help end parsing
        return None
    return dict(ctx.params)


@pytest.mark.parametrize(("command", "defaults"), [("flamegraph", FLAMEGRAPH_DEFAULTS), ("collapse", COLLAPSE_DEFAULTS)])
def test_defaults_are_the_click_commands(command, defaults):
    want = _click_params([], command)
    assert want is not None
    assert {**defaults, "inputs": ()} == want
    # same types too (click converts: 12 -> 12.0); == alone would take 12 for 12.0
    assert {k: type(v) for k, v in defaults.items()} == {k: type(want[k]) for k in defaults}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
@example(["a.folded", "-o", "out.svg", "b.txt"])
@example(["--output=x.svg", "--", "-h", "-o"])
@example(["-", "--output", "out.svg"])
def test_plain_args_are_what_click_parses(argv):
    got = flamegraph_args(argv)
    if got is not None:  # (else click parses, or refuses, it itself)
        assert got == _click_params(argv), argv
    got = collapse_args(argv)
    if got is not None:
        assert got == _click_params(argv, "collapse"), argv


def test_plain_args_decline_what_they_do_not_know():
    for argv in (["--help"], ["-h"], ["-o"], ["-o", "-"], ["--output="], ["-o=x"], ["-ox"], ["--reverse=1", "a"],
                 ["a", "--title", "-T"], ["-qv", "a"], ["--out", "x"], ["--format", "perf"], ["--jobs", "2"], ["--width", "20"], ["--width", "+30"],
                 ["--colors", "Java"], ["--fontsize", "13"], ["--base", "main"], ["--title="]):
        assert flamegraph_args(argv) is None, argv
    assert flamegraph_args(["a", "--", "-h", "-o"]) == {**FLAMEGRAPH_DEFAULTS, "inputs": ("a", "-h", "-o")}
    got = flamegraph_args(["a", "--title", "T", "--width=1800", "--colors", "java", "--inverted", "-o", "x.svg"])
    assert got == {**FLAMEGRAPH_DEFAULTS, "inputs": ("a",), "title": "T", "width": 1800, "colors": "java",
                   "inverted": True, "output": "x.svg"}


@pytest.mark.parametrize("command", ["flamegraph", "collapse"])
def test_plain_option_tables_are_the_click_commands_declarations(command):
    """Each option the plain parse knows is declared so by click: keyword, int minimum, choices, flag value."""
    import click

    from flamekit.plain import INPUT_FLAGS, INPUT_VALUED, PLAIN_FLAGS, PLAIN_VALUED

    valued, flags = (PLAIN_VALUED, PLAIN_FLAGS) if command == "flamegraph" else (INPUT_VALUED, INPUT_FLAGS)
    assert collapse_args(["--title", "T"]) is None  # collapse has no drawing options
    by_opt = {opt: p for p in main.commands[command].params for opt in (*p.opts, *p.secondary_opts)}
    for opt, (key, kind) in valued.items():
        p = by_opt[opt]
        assert p.name == key and not p.is_flag and not p.multiple and p.nargs == 1, opt
        if kind == "str":
            assert isinstance(p.type, click.types.StringParamType), opt
        elif kind[0] == "int":
            assert isinstance(p.type, click.IntRange) and p.type.min == kind[1] and p.type.max is None, opt
            assert not p.type.min_open, opt
        else:
            assert isinstance(p.type, click.Choice) and tuple(p.type.choices) == kind[1], opt
            assert p.type.case_sensitive, opt
    for opt, (key, value) in flags.items():
        p = by_opt[opt]
        assert p.name == key and p.is_flag, opt
        assert (value if opt in p.opts else not value) is (p.flag_value if p.flag_value is not None else True), opt


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
    (["flamegraph", "a.folded", "--reverse", "-o", "out.svg"], b""),
    (["flamegraph", "--title", "T <&>", "--width=600", "--colors", "java", "--inverted", "a.folded", "-o", "out.svg"],
     b""),
    (["flamegraph", "--minwidth", "bad", "a.folded", "-o", "out.svg"], b""),  # refused by the command's own check
    (["flamegraph", "a.folded", "--fontsize", "14", "-o", "out.svg"], b""),  # not plain: click on both paths
    (["flamegraph", "-q", "bad.folded", "-o", "out.svg"], b""),  # -q: no skip warning
    (["flamegraph", "--strict", "bad.folded", "-o", "out.svg"], b""),  # --strict: the skip is an error
    (["collapse", "a.folded", "b.folded", "-o", "out.svg"], b""),
    (["collapse", "--pid", "-v", str(PERF)], b""),  # to stdout, with the detected format said
    (["collapse", "diff.folded"], b""),  # the differential form stays two-column
    (["collapse", "--strict", "bad.folded"], b""),
    (["collapse", "-"], b"x;y 3\nnot a line\n"),
    (["collapse", "--format", "folded", "a.folded"], b""),  # not plain: click on both paths
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


@pytest.mark.parametrize(("argv", "start"), [
    (["flamegraph"], b"<?xml"),
    (["flamegraph", "--title", "CI run", "--width=1800", "--colors", "java", "--sort", "weight", "--inverted", "--hash",
      "--minwidth", "0.5%", "-q", "--pid"], b"<?xml"),
    (["collapse", "--strict", "-q"], b"a;b 1\n"),
])
def test_plain_commands_run_without_click(argv, start):
    code = (f"import sys\nbefore = set(sys.modules)\n{LAUNCH}\nimport json\n"
            "print(json.dumps(sorted(m for m in set(sys.modules) - before if m.split('.')[0] == 'click'"
            " or m == 'flamekit.cli')), file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", code, *argv, "-"], input=b"a;b 1\n",
                       capture_output=True, env=env, cwd=str(ROOT), check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(start) and json.loads(r.stderr.splitlines()[-1]) == []
