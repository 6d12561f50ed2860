"""perf script output without callchains (``-G``, or a capture recorded without ``-g``).

Each sample is one line ending in its own frame.  flamekit folds it exactly as
the same samples printed with that frame as a one-frame callchain (which
stackcollapse-perf.pl and inferno fold; they drop these lines).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, detect, load
from flamekit.collapse.perf import COLLAPSER, has_no_callchains, split_own_frame
from flamekit.errors import InputError, Skips

ROOT = Path(__file__).resolve().parent.parent
P24 = ROOT.parent / "shared" / "corpus" / "formats" / "perf" / "p24_hide_callgraph.txt"

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
