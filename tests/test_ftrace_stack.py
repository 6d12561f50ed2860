"""ftrace event stack traces (tracefs <stack trace> records, trace-cmd
kernel_stack): real captures recorded for this project (tests/golden/ftrace,
README-captures.md), the live captures of the shared corpus, properties."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import GOLDEN, corpus_path
from flamekit import folded
from flamekit.collapse import CollapseOptions, detect
from flamekit.collapse.ftrace_stack import COLLAPSER, frame_name, raw_array_frames
from flamekit.errors import InputError, Skips
from flamekit.profile import Profile

FT = GOLDEN / "ftrace"


def collapse(data: bytes, strict: bool = False, **params) -> Profile:
    return COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=Skips(strict=strict), params=params))


def _golden_cases() -> list[tuple[str, str, dict]]:
    cases = []
    for exp in sorted(FT.glob("stack_*.folded")):
        stem, *opts = exp.name[: -len(".folded")].split(".")
        cases.append((stem + ".txt", exp.name, {o.replace("-", "_"): True for o in opts}))
    return cases


@pytest.mark.parametrize(("trace", "expected", "params"), _golden_cases())
def test_golden_captures(trace, expected, params):
    got = collapse((FT / trace).read_bytes(), strict=True, **params)
    assert folded.dumps(got) == (FT / expected).read_bytes()
    assert got.unit == "count"


def test_capture_counts_every_stack_record_once():
    for name in ("stack_tracefs_trigger.txt", "stack_tracecmd_report.txt", "stack_tracecmd_raw.txt"):
        data = (FT / name).read_bytes()
        records = data.count(b"<stack trace") + data.count(b"caller=ARRAY[")
        assert collapse(data).total == records, name


def test_user_stack_joins_the_kernel_stack_of_the_same_event():
    got = collapse((FT / "stack_tracefs_options_user.txt").read_bytes())
    assert got.total == 6  # 6 writes: 6 kernel + 6 user records make 6 stacks
    deepest = max(got.stacks, key=len)
    assert deepest[:2] == ("0x7f54f355a24a", "0x4011fb")  # user root first ...
    assert deepest[-1] == "ftrace_syscall_enter"  # ... kernel leaf last
    assert got.stacks[deepest] == 2  # recurse(3) ran twice


def test_trace_cmd_layouts_agree():
    plain = collapse((FT / "stack_tracecmd_report.txt").read_bytes())
    latency = collapse((FT / "stack_tracecmd_latency.txt").read_bytes())
    assert plain.stacks == latency.stacks
    assert plain.meta["events"] == "7"  # 6 sys_enter_write + 1 sched_process_exit


def test_raw_arrays_are_the_addresses_report_symbolized():
    text = (FT / "stack_tracecmd_report.txt").read_bytes()
    names = {"0x" + a.decode(): n.decode() for n, a in re.findall(rb"=> (\S+) \(([0-9a-f]+)\)", text)}
    raw = collapse((FT / "stack_tracecmd_raw.txt").read_bytes())
    assert raw.map_frames(lambda f: names[f]).stacks == collapse(text).stacks


def test_frame_names():
    assert frame_name(b" __schedule+0x1f/0x80") == "__schedule"
    assert frame_name(b" schedule (ffffffff821f8c03)") == "schedule"
    assert frame_name(b"  <00007f907511586a>") == "0x7f907511586a"
    assert frame_name(b" ext4_map_blocks+0x12/0x5a0 [ext4]") == "ext4_map_blocks [ext4]"
    assert frame_name(b" /usr/lib/libc.so.6[+0x11586a]") == "/usr/lib/libc.so.6[+0x11586a]"
    assert raw_array_frames(b"size=1 caller=ARRAY[c5, 02, 3a, 81, ff, ff, ff, ff]") == ["0xffffffff813a02c5"]
    assert raw_array_frames(b"size=3 caller=ARRAY[c5, 02, 3a, 81, ff, ff, ff, ff]") == ["0xffffffff813a02c5"]


def test_orphan_frames_at_the_start_are_skipped_not_lost():
    data = b" => cut_off_frame\n  a-1  [000] .....  1.000001: <stack trace>\n => leaf\n => root\n"
    sk = Skips()
    got = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=sk))
    assert got.stacks == {("root", "leaf"): 1}
    assert sk.counts == {"t": 1}
    with pytest.raises(InputError):
        collapse(data, strict=True)


def test_no_records_is_an_input_error():
    with pytest.raises(InputError, match="no stack trace records"):
        collapse(b"just some text\n")


# -- the shared corpus ------------------------------------------------------------

def _corpus(*parts: str) -> bytes:
    return corpus_path("formats", "ftrace", *parts).read_bytes()


def test_corpus_sched_switch_trigger():
    data = _corpus("tracefs_sched_switch_stacktrace_trigger.txt")
    got = collapse(data, strict=True)
    assert got.total == data.count(b"<stack trace>") == 2614
    assert got.stacks[("ret_from_fork_asm", "ret_from_fork", "kthread", "worker_thread", "schedule", "__schedule",
                       "__traceiter_sched_switch", "trace_event_raw_event_sched_switch")] == 445


def test_corpus_user_stacks_pair_with_their_kernel_stacks():
    got = collapse(_corpus("tracefs_sys_enter_stacktrace_userstacktrace.txt"), strict=True)
    kernel = ("entry_SYSCALL_64_after_hwframe", "do_syscall_64", "syscall_trace_enter",
              "trace_event_raw_event_sys_enter")
    # 374 kernel stacks, 373 user stacks: the file ends inside the last record
    # (3 of its 4 kernel frames, no user part), which still counts
    assert got.stacks == {("0x7f907511586a",) + kernel: 373, kernel[1:]: 1}


@pytest.mark.parametrize("name", ["tc_report_default_sched_stacktrace.txt", "tc_report_fullts_t.txt",
                                  "tc_report_latency_l.txt"])
def test_corpus_trace_cmd_variants_agree(name):
    base = collapse(_corpus("trace-cmd", "tc_report_default_sched_stacktrace.txt"))
    assert base.total == 216
    assert collapse(_corpus("trace-cmd", name), strict=True).stacks == base.stacks


def test_corpus_raw_arrays_hold_the_eight_leaf_frames():
    text = _corpus("trace-cmd", "tc_report_default_sched_stacktrace.txt")
    names = {"0x" + a.decode(): n.decode() for n, a in re.findall(rb"=> (\S+) \(([0-9a-f]+)\)", text)}
    raw = collapse(_corpus("trace-cmd", "tc_report_raw_R.txt")).map_frames(lambda f: names.get(f, f))
    expected: dict = {}
    for stack, w in collapse(text).stacks.items():  # -R prints 64 bytes: at most 8 frames
        expected[stack[-8:]] = expected.get(stack[-8:], 0) + w
    assert raw.stacks == expected


@pytest.mark.parametrize("parts", [("tracefs_sched_switch_stacktrace_trigger.txt",),
                                   ("tracefs_sys_enter_stacktrace_userstacktrace.txt",),
                                   ("trace-cmd", "tc_report_latency_l.txt"), ("trace-cmd", "tc_report_raw_R.txt")])
def test_corpus_detected_as_stack_traces(parts):
    assert detect(_corpus(*parts)[:8192]).name == "ftrace-stack"


@pytest.mark.parametrize("parts", [("trace-cmd", "tracecmd_doc_trace-cmd-record.1.txt"),
                                   ("trace-cmd", "tc_report_profile.txt"),
                                   ("kerneldoc", "irqsoff_display_graph_reltime_latency.txt"),
                                   ("public", "ftscope-02-function-default.head.trace")])
def test_not_stack_traces(parts):
    assert COLLAPSER.detect(_corpus(*parts)[:8192]) is False


@pytest.mark.parametrize("name", ["stack_tracefs_trigger.txt", "stack_tracefs_options_user.txt",
                                  "stack_tracecmd_report.txt", "stack_tracecmd_raw.txt"])
def test_golden_detected(name):
    assert detect((FT / name).read_bytes()[:8192]).name == "ftrace-stack"


# -- properties -------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_input_error(data):
    for strict in (False, True):
        try:
            collapse(data, strict=strict)
        except InputError:
            pass


_NAMES = {"f": "f", "do_syscall_64+0x1f/0x80": "do_syscall_64", "sched (ffffffff81000000)": "sched",
          " <00007f0000001000>": "0x7f0000001000", "a b": "a b", "\u00e9t\u00e9": "\u00e9t\u00e9"}
_frame = st.sampled_from(sorted(_NAMES))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["cat", "kworker/0:1", "a-b"]), st.integers(0, 3),
                          st.lists(_frame, min_size=1, max_size=6), st.booleans()), max_size=25))
def test_generated_records_conserve_counts(records):
    lines = ["# tracer: nop"]
    for i, (comm, cpu, frames, with_event) in enumerate(records):
        pre = f"{comm:>16}-{100 + cpu:<5} [{cpu:03d}] d..2. {10 + i / 1e6:12.6f}: "
        if with_event:
            lines.append(pre + "sched_switch: prev_comm=x ==> next_comm=y")
        lines.append(pre + "<stack trace>")
        lines += [f" => {f}" for f in frames]
    got = collapse(("\n".join(lines) + "\n").encode(), strict=True)
    expected: dict = {}
    for _comm, _cpu, frames, _ev in records:
        stack = tuple(_NAMES[f] for f in reversed(frames))
        expected[stack] = expected.get(stack, 0) + 1
    assert got.stacks == expected
    assert got.total == len(records)


def test_raw_addresses_symbolize_with_the_capture_kallsyms(tmp_path):
    # capture/kallsyms.excerpt: the /proc/kallsyms lines (same boot) of the symbols trace-cmd printed
    from click.testing import CliRunner

    from flamekit.cli import main

    r = CliRunner().invoke(main, ["symbolize", "--kallsyms", str(FT / "capture" / "kallsyms.excerpt"),
                                  str(FT / "stack_tracecmd_raw.txt")])
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes == (FT / "stack_tracecmd_report.folded").read_bytes()
