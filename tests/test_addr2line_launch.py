"""``flamekit addr2line`` started without click (flamekit.launch) behaves as the click command does.

The launcher runs addr2line itself only for argvs that
:func:`flamekit.symbolize.addr2line.plain_args` accepts; these tests check
that what it accepts is parsed as click parses it, that the output, stderr
and exit status are the click command's, and that click is then not imported.
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
from flamekit.symbolize.addr2line import plain_args

ROOT = Path(__file__).resolve().parent.parent
#: an ELF file every machine running these tests has: the interpreter itself
EXE = os.path.realpath(sys.executable)

TOKENS = ["--elf", "/x", "--elf=/y", "--lines", "--inlines", "--debug-dir", "/d", "--debug-dir=/e", "--backend",
          "llvm", "python", "--backend=llvm", "--backend=nope", "0x10", "ff", "--", "-h", "--help", "--kallsyms",
          "/k", "-", "--lines=1", "--el", "--elf=", "-0x1", "--version", "addr2line"]


def _click_params(argv: list[str]) -> dict | None:
    """What the click command parses from ``argv``, in plain_args' form (None: click refuses it)."""
    cmd = main.commands["addr2line"]
    try:
        ctx = cmd.make_context("addr2line", list(argv), resilient_parsing=False)
    except BaseException:  # noqa: BLE001 - usage errors, help and version all end parsing
        return None
    p = ctx.params
    return {"addresses": list(p["addresses"]), "elf": list(p["elf"]), "kallsyms": p["kallsyms"],
            "debug_dirs": list(p["debug_dirs"]), "backend": p["backend"], "lines": p["lines"],
            "inlines": p["inlines"]}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=8))
@example(["--elf", "/x", "--lines", "0x10", "--debug-dir", "/d", "--backend=llvm", "--inlines", "--", "-h"])
@example(["0x1", "--elf=/y", "ff", "--debug-dir=/e", "--backend", "python"])
def test_plain_args_are_what_click_parses(argv):
    got = plain_args(argv)
    if got is None:
        return  # click parses (or refuses) it itself
    want = _click_params(argv)
    assert want is not None, argv
    assert got == {**want, "elf": want["elf"][0]} and len(want["elf"]) == 1 and want["kallsyms"] is None


def test_plain_args_refuse_what_they_do_not_know():
    for argv in (["--help"], ["-h"], ["--elf"], ["--elf", "--lines"], ["--elf="], ["--kallsyms", "k"],
                 ["--elf", "a", "--elf", "b"], ["--backend", "x", "--elf", "a"], ["--lines=1", "--elf", "a"], [],
                 ["0x1"], ["--elf", "a", "-"], ["--elf", "a", "--unknown"]):
        assert plain_args(argv) is None, argv
    assert plain_args(["--elf=a", "--", "-h", "0x1"]) == {
        "addresses": ["-h", "0x1"], "elf": "a", "kallsyms": None, "debug_dirs": [], "backend": "python",
        "lines": False, "inlines": False}


def _run(code: str, argv: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code, *argv], input=stdin, capture_output=True, env=env,
                       cwd=str(ROOT), check=False)
    return r.stdout, r.stderr, r.returncode


LAUNCH = "import sys; sys.argv[0] = 'flamekit'; from flamekit.launch import main; main()"
CLICK = "import sys; sys.argv[0] = 'flamekit'; from flamekit.cli import run; run()"


@pytest.mark.parametrize(("argv", "stdin"), [
    (["addr2line", "--elf", EXE, "0x0", "0x1000"], b""),
    (["addr2line", f"--elf={EXE}"], b"0x1\n0X10 0x00020\n\n"),
    (["addr2line", "--elf", EXE], b"0x1\nzz\n"),  # bad input: the line is named, exit 2
    (["addr2line", "--elf", EXE, "0x1", "-0x2"], b""),  # click's own message for an unknown option
    (["addr2line", "--elf", "/no/such/file", "0x1"], b""),
    (["addr2line", "--elf", EXE, "--debug-dir", "/nonexistent", "--", "0x10"], b""),
    (["addr2line", "--elf", EXE, "--backend", "nope", "0x10"], b""),
])
def test_launcher_answers_as_the_click_command(argv, stdin):
    assert _run(LAUNCH, argv, stdin) == _run(CLICK, argv, stdin)


def test_launcher_runs_plain_addr2line_without_click():
    """Function names start without click, the resolver chain, DWARF, or dataclasses/inspect (start-up time)."""
    heavy = ("click", "dataclasses", "inspect", "flamekit.symbolize.resolver", "flamekit.symbolize.dwarf", "subprocess")
    code = (f"import sys\nbefore = set(sys.modules)\n{LAUNCH}\nimport json\n"
            f"print(json.dumps(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in {heavy!r} or m in {heavy!r})))")
    out, err, rc = _run(code, ["addr2line", "--elf", EXE, "0x0"], b"")
    assert rc == 0, err
    assert out.splitlines()[0] == b"0x0 ??" and json.loads(out.splitlines()[-1]) == []
    out, err, rc = _run(LAUNCH, ["--version"], b"")
    assert rc == 0 and out.startswith(b"flamekit")  # every other command line goes to click


def test_plain_addr2line_starts_without_typing_glob_re_or_importlib():
    """Nor ``typing`` (records are built by collections.namedtuple), ``glob`` (libbfd is found by listdir),
    ``re`` with ``enum`` (the demangler imports it for the rare names that need it) or ``importlib``: run
    without site-packages (``-S``), whose ``.pth`` hooks may import them first."""
    unwanted = ("typing", "glob", "fnmatch", "importlib", "contextlib", "re", "enum")
    code = (f"import sys\nbefore = set(sys.modules)\n{LAUNCH.replace('main()', 'main(); from flamekit.symbolize import demangle')}\n"
            "sys.modules['flamekit.symbolize.demangle'].backend()\n"
            f"new = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in {unwanted!r})\n"
            "import json\nprint(json.dumps(new))")  # (json imports re: the list is taken before)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-S", "-c", code, "addr2line", "--elf", EXE, "0x0"], capture_output=True,
                       env=env, cwd=str(ROOT), check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == b"0x0 ??" and json.loads(r.stdout.splitlines()[-1]) == []
