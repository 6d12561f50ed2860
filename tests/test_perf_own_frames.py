"""perf script output without callchains (``-G``, or a capture recorded without ``-g``).

Each sample is one line ending in its own frame.  flamekit folds it exactly as
the same samples printed with that frame as a one-frame callchain (which
stackcollapse-perf.pl and inferno fold; they drop these lines).  A sample with
no frame to show (a tracepoint printed with its payload) folds as its process
alone, as the same sample with an empty callchain.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, detect, load
from flamekit.collapse.perf import COLLAPSER, frameless_header, has_no_callchains, split_own_frame
from flamekit.errors import InputError, Skips

ROOT = Path(__file__).resolve().parent.parent
P24 = ROOT.parent / "shared" / "corpus" / "formats" / "perf" / "p24_hide_callgraph.txt"
P15 = P24.with_name("p15_tracepoint_trace_field_only.txt")
GOLDEN = ROOT / "tests" / "golden" / "perf"

COMM = st.sampled_from([b"cpuburn", b"python3", b"kworker/u8:0", b"rs:main Q:Reg", b"V8 WorkerThread", b"x1"])
IDENT = st.sampled_from([b"680", b"12/34", b"7"])
TIME = st.sampled_from([b" 1715.395378:", b" [001] 1.5:", b""])
PERIOD = st.sampled_from([b" 2004008", b" 1", b""])
EVENT = st.sampled_from([b"cpu-clock:ppp:", b"cycles:", b"page-faults:u:"])
FRAME = st.builds(
    lambda addr, sym, off, dso: b"%s %s%s (%s)" % (addr, sym, off, dso),
    st.sampled_from([b"55a176eb11af", b"ffffffff81000130", b"0", b"7f12ab"]),
    st.sampled_from([b"leaf_hash", b"[unknown]", b"foo(int)", b"std::vector<int>::at(unsigned long) const",
                     b"JS:*f /a b.js:1:2", b"x: 1f y"]),
    st.sampled_from([b"", b"+0x36", b"+0x0"]),
    st.sampled_from([b"/opt/demo/cpuburn", b"[kernel.kallsyms]", b"[unknown]", b"/a b (deleted)"]),
)
OPTIONS = st.fixed_dictionaries({}, optional={
    "pid": st.booleans(), "tid": st.booleans(), "all": st.booleans(), "addrs": st.booleans(),
    "weight": st.sampled_from(["auto", "samples"]),
})


def fold(data: bytes, params: dict[str, object], strict: bool = False) -> tuple[bytes, list[str]]:
    skips = Skips(strict=strict)
    opts = CollapseOptions(source="t.perf", skips=skips, params={**params, "_head": data[:65536]})
    return folded.dumps(COLLAPSER.collapse(io.BytesIO(data), opts)), skips.messages()


@st.composite
def sample(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """One sample as ``perf script -G`` prints it (comm right-aligned) and as a one-frame callchain record."""
    header = b"%s %s%s%s %s" % (draw(COMM), draw(IDENT), draw(TIME), draw(PERIOD), draw(EVENT))
    frame = draw(FRAME)
    pad = b" " * draw(st.integers(0, 9))
    return b"%s%s      %s\n" % (pad, header, frame), b"%s\n\t%s\n\n" % (header, frame)


@settings(max_examples=300, deadline=None)
@given(st.lists(sample(), min_size=1, max_size=12), OPTIONS)
def test_folds_as_the_same_samples_with_one_frame_callchains(samples, params):
    _assert_folds_alike(samples, params)


def _assert_folds_alike(samples: list[tuple[bytes, bytes]], params: dict[str, object]) -> None:
    """Samples printed one per line fold as the same samples printed as callchain records."""
    flat = b"".join(s[0] for s in samples)
    chained = b"".join(s[1] for s in samples)
    assert has_no_callchains(flat) and not has_no_callchains(chained)
    (got, got_msgs), (want, want_msgs) = fold(flat, params), fold(chained, params)
    assert got == want
    # the same skips (samples of other events), named by the line of the first one in each form
    line = re.compile(r"t\.perf:\d+:")
    assert [line.sub("t.perf:N:", m) for m in got_msgs] == [line.sub("t.perf:N:", m) for m in want_msgs]


def test_split_keeps_colons_of_comm_time_and_symbol():
    line = b"  rs:main Q:Reg   680  1715.395378:    2004008 cpu-clock:ppp:      55a1 x: 1f y+0x3 (/a b)"
    assert split_own_frame(line) == (b"rs:main Q:Reg   680  1715.395378:    2004008 cpu-clock:ppp:",
                                     b"55a1 x: 1f y+0x3 (/a b)")
    assert split_own_frame(b"perf   729 [000]  1739.280210: sched:sched_wakeup: comm=migration/0 pid=18") is None
    assert split_own_frame(b"\tffffffff81000130 foo: 1f bar (x)") is None  # a callchain line is no sample


def test_a_bad_line_is_named_by_its_own_line_number():
    data = (b"ab 1 1.0: 5 cycles:  10 f (/x)\n"
            b"garbage here\n"
            b"ab 1 1.1: 5 cycles:  11 g (/x)\n")
    out, messages = fold(data, {})
    assert out == b"ab;f 5\nab;g 5\n"
    assert messages == ["skipped 1 line of t.perf (first at t.perf:2: unrecognized line)"]
    with pytest.raises(InputError, match=r"^t\.perf:2: unrecognized line"):
        fold(data, {}, strict=True)


def test_ordinary_captures_are_not_taken_for_it():
    head = (ROOT / "examples" / "perf-cdeep.perf.txt").read_bytes()[:65536]
    assert not has_no_callchains(head)


@pytest.mark.skipif(not P24.exists(), reason="../shared/corpus is not present")
def test_corpus_capture_is_detected_and_keeps_every_sample():
    data = P24.read_bytes()
    assert detect(data[:65536]).name == "perf"
    skips = Skips()
    profile = load(str(P24), "auto", CollapseOptions(skips=skips))
    lines = data.count(b"\n")
    assert sum(profile.stacks.values()) == lines * 2004008 and not skips.messages()
    assert profile.stacks[("cpuburn", "leaf_hash")] > 0.9 * lines * 2004008


PAYLOAD = st.sampled_from([b"", b" ", b"prev_comm=perf prev_pid=729 prev_prio=120 prev_state=D ==> next_comm=x next_pid=1",
                           b"comm=migration/0 pid=18 prio=0 target_cpu=000", b"fd: 0x00000003, buf: 0x7ffd, count: 0x10",
                           b"(ffffffff81234567)", b"NR 0 (3, 7ffd, 10)"])


@st.composite
def frameless_sample(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """One frameless sample as ``perf script -G`` prints it, and as a record with an empty callchain."""
    header = b"%s %s%s%s %s" % (draw(COMM), draw(IDENT), draw(TIME), draw(PERIOD),
                                draw(st.sampled_from([b"sched:sched_switch:", b"syscalls:sys_enter_read:", b"cycles:"])))
    pad = b" " * draw(st.integers(0, 9))
    return b"%s%s %s\n" % (pad, header, draw(PAYLOAD)), b"%s\n\n" % header


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(sample(), frameless_sample()), min_size=2, max_size=12), OPTIONS)
def test_frameless_samples_fold_as_the_same_samples_with_empty_callchains(samples, params):
    _assert_folds_alike(samples, params)


def test_frameless_header_ends_at_the_event_not_at_the_time_or_in_the_payload():
    line = b"            perf   729/729   [000]  1739.280210: sched:sched_wakeup: comm=migration/0 pid=18 prio=0"
    assert frameless_header(line) == b"perf   729/729   [000]  1739.280210: sched:sched_wakeup:"
    assert frameless_header(b"  rs:main Q:Reg 7 1.5: 3 cycles:") == b"rs:main Q:Reg 7 1.5: 3 cycles:"
    assert frameless_header(b"xy 7 1.5: sys:enter: a: b") == b"xy 7 1.5: sys:enter:"
    # a sample with its own frame, a callchain line, folded text and prose are not frameless samples
    assert frameless_header(b"cpuburn 680 1715.395378: 2004008 cpu-clock:ppp:  55a1 leaf (/x)") is None
    assert frameless_header(b"\tffffffff81000130 foo+0x1 ([kernel.kallsyms])") is None
    assert frameless_header(b"main;foo;bar 12") is None
    assert frameless_header(b"the time was 12.5: late") is None


def test_callchain_records_and_empty_callchains_are_not_taken_for_it():
    tracepoints = (GOLDEN / "tracepoint.perf.txt").read_bytes()
    assert not has_no_callchains(tracepoints[:65536])
    # one header line followed by a blank line is an empty callchain, read by the ordinary path
    assert not has_no_callchains(b"cpuburn 680 1715.395378: 2004008 cpu-clock:ppp: \n\ncpuburn 680 1715.4: 1 cycles:\n\n")
    # a single header-shaped line among other text is not enough
    assert not has_no_callchains(b"xy 7 1.5: 3 cycles:\n")
    assert not has_no_callchains(b"xy 7 1.5: 3 cycles:\nxy 7 1.6: 3 cycles:\nsomething else\n")
    assert has_no_callchains(b"xy 7 1.5: 3 cycles:\nxy 7 1.6: 3 cycles:\n")


def test_a_real_tracepoint_capture_without_callchains_folds_as_its_callchains_by_process():
    """The same 40 sched_switch samples printed with callchains and with ``-G`` (record.sh)."""
    chained = load(str(GOLDEN / "tracepoint.perf.txt"), "auto", CollapseOptions(skips=Skips(strict=True)))
    flat_data = (GOLDEN / "tracepoint.G.perf.txt").read_bytes()
    assert detect(flat_data[:65536]).name == "perf"
    flat = load(str(GOLDEN / "tracepoint.G.perf.txt"), "auto", CollapseOptions(skips=Skips(strict=True)))
    by_process: dict[tuple[str, ...], int] = {}
    for stack, w in chained.stacks.items():
        by_process[stack[:1]] = by_process.get(stack[:1], 0) + w
    assert flat.stacks == by_process and sum(flat.stacks.values()) == 40
    assert len(flat.stacks) > 3


@pytest.mark.skipif(not P15.exists(), reason="../shared/corpus is not present")
def test_corpus_tracepoints_keep_the_first_event_and_report_the_others():
    data = P15.read_bytes()
    assert detect(data[:65536]).name == "perf"
    skips = Skips()
    profile = load(str(P15), "auto", CollapseOptions(skips=skips))
    headers = [frameless_header(line) for line in data.splitlines()]
    assert None not in headers
    wakeups: dict[tuple[str, ...], int] = {}
    for h in headers:
        if h.endswith(b" sched:sched_wakeup:"):
            comm = (h.split()[0].decode(),)
            wakeups[comm] = wakeups.get(comm, 0) + 1
    assert profile.stacks == wakeups and sum(wakeups.values()) == 12
    switches = sum(h.endswith(b" sched:sched_switch:") for h in headers)
    assert skips.messages() == [f"skipped {switches} lines of {P15} (first at {P15}:2: sample of event "
                                "'sched:sched_switch': only the first event seen, 'sched:sched_wakeup', "
                                "is kept (choose with --event-filter))"]


def test_a_sample_whose_record_is_not_ended_is_dropped_but_reported():
    """Two headers without the blank line between them (a damaged file): stackcollapse-perf.pl drops the
    first sample silently; flamekit drops it too (no frame is invented) but says so, at the second header."""
    data = b"cpuburn 680 1.0: 5 cycles:\ncpuburn 680 1.1: 7 cycles:\n\tffff foo (x)\n\n"
    out, messages = fold(data, {})
    assert out == b"cpuburn;foo 7\n"
    assert messages == ["skipped 1 line of t.perf (first at t.perf:2: sample header before the blank line "
                        "ending the previous sample (that sample is dropped))"]
    with pytest.raises(InputError, match=r"^t\.perf:2: sample header before the blank line"):
        fold(data * 3, {}, strict=True)



WORDS = st.sampled_from([b"perf", b"729", b"729/729", b"[000]", b"1739.280210:", b"2004008", b"cycles:", b"sched:x:",
                         b":", b"::", b"a:b", b"-1", b":-1", b"x:", b"55a1", b"f", b"(x)", b"cpu-clock:ppp:", b"a;b"])
BLANKS = st.sampled_from([b" ", b"\t", b"  ", b"\r", b"\x0b", b"\x0c"])
LINE = st.builds(lambda pad, words, end: pad + b"".join(w + b for w, b in words)[:-1] + end,
                 st.sampled_from([b"", b"  ", b"\t"]), st.lists(st.tuples(WORDS, BLANKS), min_size=1, max_size=7),
                 st.sampled_from([b"", b" ", b"\r"]))


@settings(max_examples=500, deadline=None)
@given(st.lists(LINE | st.just(b"") | FRAME.map(lambda f: b"\t" + f), min_size=1, max_size=8))
@example([b"perf   729 ", b"\t55a1 f (x)"])  # perf script -F comm,pid,ip,sym,dso: a header with no event
def test_the_quick_refusal_refuses_only_what_the_full_detection_refuses(lines):
    """detect() answers no at once when the head has neither a ``:`` + whitespace nor a frame line."""
    from unittest import mock

    from flamekit.collapse import perf

    head = b"\n".join(lines) + b"\n"
    with mock.patch.object(perf, "_colon_then_blank", lambda head: True):
        want = perf.COLLAPSER.detect(head)
    assert perf.COLLAPSER.detect(head) == want
