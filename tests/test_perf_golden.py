"""perf script captures recorded on this project's machine (tests/golden/perf, see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.errors import Skips

from conftest import GOLDEN, ROOT

PERF = GOLDEN / "perf"

CASES = [
    ("cdeep.perf.txt", {}, "cdeep.folded"),
    ("cdeep.perf.txt", {"tid": True}, "cdeep.tid.folded"),
    ("cpptmpl.perf.txt", {}, "cpptmpl.folded"),
    ("cpptmpl.perf.txt", {"bracket_aware_args": True}, "cpptmpl.bracket-aware.folded"),
    ("node.perf.txt", {"jit": True}, "node.jit.folded"),
    ("systemwide.perf.txt", {}, "systemwide.folded"),
    ("systemwide.perf.txt", {"all": True}, "systemwide.all.folded"),
]


def collapse(path: Path, **params: object) -> bytes:
    return folded.dumps(load(str(path), "auto", CollapseOptions(skips=Skips(strict=True), params=dict(params))))


@pytest.mark.parametrize(("capture", "params", "expected"), CASES, ids=[c[2] for c in CASES])
def test_golden_capture(capture: str, params: dict[str, object], expected: str) -> None:
    assert collapse(PERF / capture, **params) == (PERF / expected).read_bytes()


@pytest.mark.parametrize("capture", ["cdeep.perf.txt", "cpptmpl.perf.txt", "node.perf.txt", "systemwide.perf.txt"])
def test_every_sample_is_counted_with_its_period(capture: str) -> None:
    text = (PERF / capture).read_bytes()
    periods = [int(line.split()[-2]) for line in text.split(b"\n") if line.endswith(b"cpu-clock:ppp: ")]
    profile = load(str(PERF / capture))
    assert len(periods) == (60 if capture == "cpptmpl.perf.txt" else 40)
    assert profile.total == sum(periods)
    assert profile.unit == "nanoseconds" and profile.event == "cpu-clock:ppp"


def test_cdeep_recursion_is_kept_frame_by_frame() -> None:
    stacks = load(str(PERF / "cdeep.perf.txt")).stacks
    chain = ("cdeep", "__libc_start_call_main", "main", "run", *(f"level_{i}" for i in range(1, 9)), "bottom")
    deep = [s for s in stacks if s[:len(chain)] == chain and "fib" in s]
    assert deep and max(s.count("fib") for s in deep) >= 10
    assert all(s[-1] == "leaf_work" for s in deep)


def test_cpp_template_names_cut_by_default_whole_with_bracket_aware_args() -> None:
    default = load(str(PERF / "cpptmpl.perf.txt")).frame_names()
    aware = load(str(PERF / "cpptmpl.perf.txt"), bracket_aware_args=True).frame_names()
    assert "std::_Function_handler<long " in default and "apply_n<run" in default
    assert "std::_Function_handler<long (int), run(double)::{lambda(int)#1}>::_M_invoke" in aware
    assert "apply_n<run(double)::{lambda(int)#2}>" in aware
    assert "(anonymous namespace)::hidden_work" in aware
    assert not any(f.startswith("(anonymous") for f in default)


def test_example_capture_collapses() -> None:
    p = load(str(ROOT / "examples" / "perf-cdeep.perf.txt"))
    assert p.total == 250 * 1001001
    assert all(s[0] == "cdeep" for s in p.stacks)


def test_output_bytes_do_not_depend_on_the_hash_seed() -> None:
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "-q", "--jobs", "2", "--all",
                            str(PERF / "systemwide.perf.txt")], capture_output=True, env=env, check=True)
        outs.append(r.stdout)
    assert outs[0] == outs[1] == (PERF / "systemwide.all.folded").read_bytes()
