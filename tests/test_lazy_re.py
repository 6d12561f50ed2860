"""Lazily compiled collapser patterns act as compiled ones, and importing the formats compiles none."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from flamekit.collapse._lazy_re import lazy


def test_a_lazy_pattern_matches_as_the_compiled_one_and_compiles_only_when_used() -> None:
    pat = lazy(rb"(?m)^ +(\d+)$")
    assert vars(pat) == {"_args": (rb"(?m)^ +(\d+)$", 0)}  # nothing compiled yet
    text = b"a\n  12\nb\n 7\n"
    want = re.compile(rb"(?m)^ +(\d+)$")
    assert pat.findall(text) == want.findall(text) == [b"12", b"7"]
    assert pat.search(b"x\n 3").group(1) == b"3"
    assert pat.pattern == want.pattern and pat.flags == want.flags and pat.groups == 1
    assert "findall" in vars(pat)  # kept: later uses are plain attribute reads
    ci = lazy("abc", re.IGNORECASE)
    assert ci.fullmatch("ABC") and not ci.fullmatch("abd")


def test_importing_every_collapser_compiles_no_module_level_pattern() -> None:
    # start-up: detection imports every format module; their patterns wait until an input needs them
    code = ("import re, sys, flamekit.collapse as c; c.collapsers(); "
            "print(sum(isinstance(v, re.Pattern) for name, m in list(sys.modules.items()) "
            "if name.startswith('flamekit.collapse') for v in vars(m).values()))")
    # (from the directory holding this checkout's flamekit: ``-c`` puts the working directory first)
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
    assert out.strip() == "0"
