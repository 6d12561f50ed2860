"""ftrace function tracer: hand-written layouts (tests/golden/ftrace,
README-captures.md), the public samples of the shared corpus, properties."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import GOLDEN, corpus_path
from flamekit import folded
from flamekit.collapse import CollapseOptions, detect
from flamekit.collapse.ftrace_function import COLLAPSER
from flamekit.errors import InputError, Skips
from flamekit.profile import Profile

FT = GOLDEN / "ftrace"


def collapse(data: bytes, strict: bool = False, **params) -> Profile:
    return COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=Skips(strict=strict), params=params))


def _golden_cases() -> list[tuple[str, str, dict]]:
    cases = []
    for exp in sorted(FT.glob("function_*.folded")):
        stem, *opts = exp.name[: -len(".folded")].split(".")
        cases.append((stem + ".txt", exp.name, {o.replace("-", "_"): True for o in opts}))
    return cases


@pytest.mark.parametrize(("trace", "expected", "params"), _golden_cases())
def test_golden_layouts(trace, expected, params):
    got = collapse((FT / trace).read_bytes(), strict=True, **params)
    assert folded.dumps(got) == (FT / expected).read_bytes()
    assert got.unit == "calls"


def test_events_are_counted_not_folded():
    got = collapse((FT / "function_tracefs.txt").read_bytes())
    assert got.meta["events"] == "1"
    assert got.total == 5


def test_malformed_record_is_skipped_or_strict_error():
    data = b"  a-1  [000] .....  1.000001: f <-g\n  a-1  [000] .....  1.000002: f <- \n"
    sk = Skips()
    got = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=sk))
    assert got.stacks == {("g", "f"): 1} and sk.counts == {"t": 1}
    with pytest.raises(InputError) as e:
        collapse(data, strict=True)
    assert e.value.line == 2


def test_no_records_is_an_input_error():
    with pytest.raises(InputError, match="no function tracer records"):
        collapse(b"hello\n")


def test_ftscope_function_sample():
    data = corpus_path("formats", "ftrace", "public", "ftscope-02-function-default.head.trace").read_bytes()
    got = collapse(data, strict=True, per_task=True)
    assert got.total == data.count(b" <-") == 28
    assert got.stacks[("cat-170", "task_work_run", "__fput")] == 1
    assert {s[0] for s in got.stacks} == {"cat-170"}


def test_perftools_functrace_examples():
    data = corpus_path("formats", "ftrace", "public", "perftools_functrace_example.txt").read_bytes()
    got = collapse(data)  # prose around the examples is skipped (and reported)
    assert got.stacks[("hrtimer_nanosleep", "do_nanosleep")] == 15


@pytest.mark.parametrize("name", ["ftscope-02-function-default.head.trace", "perftools_functrace_example.txt"])
def test_corpus_detected_as_function_tracer(name):
    head = corpus_path("formats", "ftrace", "public", name).read_bytes()[:8192]
    assert detect(head).name == "ftrace-function"


@pytest.mark.parametrize("name", ["function_tracefs.txt", "function_tracecmd.txt", "function_latency.txt"])
def test_golden_detected(name):
    assert COLLAPSER.detect((FT / name).read_bytes()) is True


@pytest.mark.parametrize("parts", [("tracefs_sched_switch_stacktrace_trigger.txt",),
                                   ("public", "perftools_kprobe_example.txt"),
                                   ("public", "ftscope-04-graph-rich.head.trace"),
                                   ("trace-cmd", "tc_report_default_sched_stacktrace.txt")])
def test_not_function_tracer(parts):
    assert COLLAPSER.detect(corpus_path("formats", "ftrace", *parts).read_bytes()[:8192]) is False


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_input_error(data):
    for strict in (False, True):
        try:
            collapse(data, strict=strict)
        except InputError:
            pass


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["cat", "kworker/1:1H", "memfd:x-91"]), st.integers(0, 99),
                          st.sampled_from(["f", "g+0x4/0x30", "\u00e9"]), st.sampled_from(["p", "q+0x1/0x2", ""]),
                          st.booleans()), max_size=30))
def test_generated_records_conserve_calls(records):
    lines, expected = ["# tracer: function"], {}
    for i, (comm, pid, func, parent, tracecmd) in enumerate(records):
        body = f"function:   {func} <-- {parent}" if tracecmd else f"{func} <-{parent}"
        if not parent:
            body = f"function:   {func}" if tracecmd else func
        lines.append(f"{comm:>16}-{pid:<5} [{pid % 4:03d}] .....  {1 + i / 1e6:.6f}: {body}")
        stack = tuple(x.split("+")[0] for x in (parent, func) if x)
        key = (f"{comm}-{pid}",) + stack
        expected[key] = expected.get(key, 0) + 1
    got = collapse(("\n".join(lines) + "\n").encode(), strict=True, per_task=True)
    assert got.stacks == expected
    assert got.total == len(records)


def test_interleaved_tasks_keep_their_own_roots():
    # the loop reuses the task of the line before when the ``comm-pid [cpu]`` part repeats
    lines = [b"    kworker/1:1H-0     [000] .....  1.000001: f <-p",
             b"             cat-0     [000] .....  1.000002: function:   g+0x4/0x30 <-- p",
             b"    kworker/1:1H-0     [000] .....  1.000003: g <-p",
             b"             cat-0     [000] .....  1.000004: f <-p",
             b"    kworker/1:1H-0     [000] .....  1.000005: f <-p"]
    got = collapse(b"\n".join(lines) + b"\n", strict=True, per_task=True)
    assert got.stacks == {("kworker/1:1H-0", "p", "f"): 2, ("kworker/1:1H-0", "p", "g"): 1,
                          ("cat-0", "p", "g"): 1, ("cat-0", "p", "f"): 1}
