"""Property tests of the perf script collapser (hypothesis)."""

from __future__ import annotations

import io
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.collapse._perf_fold import PerfFolder, PerfSettings
from flamekit.collapse._perf_frames import NamingOptions
from flamekit.collapse._perf_header import parse_header, parse_header_slow
from flamekit.collapse.perf import COLLAPSER, settings_from
from flamekit.errors import InputError, Skips

from conftest import GOLDEN

OPTIONS = st.fixed_dictionaries({}, optional={
    "pid": st.booleans(), "tid": st.booleans(), "all": st.booleans(), "addrs": st.booleans(),
    "bracket_aware_args": st.booleans(), "exited_as": st.just("[exited]"), "keep_last_sample": st.booleans(),
    "srcline": st.booleans(), "weight": st.sampled_from(["auto", "samples"]),
})
CAPTURES = [(GOLDEN / "perf" / n).read_bytes()[:6000] for n in ("cdeep.perf.txt", "systemwide.perf.txt", "node.perf.txt")]

# perf-script-shaped pieces
COMM = st.sampled_from([b"python3", b"V8 WorkerThread", b"java", b"kworker/u8:0", b"rs:main Q:Reg", b":-1", b"x"])
IDENT = st.sampled_from([b"1234", b"0", b"12/34", b"-1", b"7/0"])
FRAME = st.builds(
    lambda ind, addr, sym, off, dso: b"%s%s %s%s (%s)" % (ind, addr, sym, off, dso),
    st.sampled_from([b"\t    ", b"        ", b"", b"\t"]),
    st.sampled_from([b"ffffffff81000130", b"7f12ab", b"0", b"4005d0"]),
    st.sampled_from([b"main", b"[unknown]", b"foo(int)", b"Lcom/x/Y;.run(I)V", b"a->b", b"(anonymous namespace)::f",
                     b"std::vector<int>::push_back(int const&)", b"JS:*f /a b.js:1:2", b"x;y", b"\xff\xfe"]),
    st.sampled_from([b"", b"+0x1f", b"+0x0"]),
    st.sampled_from([b"[kernel.kallsyms]", b"/usr/lib/libc.so.6", b"[unknown]", b"/tmp/perf-9.map", b"/a b (deleted)"]),
)


@st.composite
def record(draw: st.DrawFn, events: tuple[bytes, ...] = (b"cycles",)) -> tuple[bytes, int]:
    """A sample record and the weight stackcollapse-perf.pl gives it."""
    period = draw(st.integers(1, 10**9))
    event = draw(st.sampled_from(events))
    header = b"%s %s [000] 1.5: %d %s: " % (draw(COMM), draw(IDENT), period, event)
    frames = draw(st.lists(FRAME, max_size=6))
    return b"\n".join([header, *frames]) + b"\n\n", period


def fold_bytes(data: bytes, params: dict[str, object], strict: bool = False) -> bytes:
    opts = CollapseOptions(source="t.perf", skips=Skips(strict=strict), params=dict(params))
    return folded.dumps(COLLAPSER.collapse(io.BytesIO(data), opts))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), OPTIONS, st.booleans())
def test_arbitrary_bytes_only_ever_raise_input_error(data: bytes, params: dict[str, object], strict: bool) -> None:
    try:
        fold_bytes(data, params, strict)
    except InputError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CAPTURES), st.lists(st.tuples(st.integers(0, 5999), st.binary(max_size=4)), max_size=8),
       OPTIONS)
def test_mutated_real_captures_only_ever_raise_input_error(capture: bytes, edits: list[tuple[int, bytes]],
                                                          params: dict[str, object]) -> None:
    data = bytearray(capture)
    for at, junk in edits:
        at = min(at, len(data))
        data[at:at + len(junk)] = junk
    try:
        fold_bytes(bytes(data), params)
    except InputError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.lists(record(), max_size=12))
def test_total_weight_out_is_the_sum_of_sample_weights_in(records: list[tuple[bytes, int]]) -> None:
    data = b"".join(r for r, _ in records)
    p = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", params={"exited_as": "[exited]"}))
    assert p.total == sum(w for _, w in records)
    n = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", params={"weight": "samples"}))
    assert n.total == len(records)


def reference(data: bytes, s: PerfSettings) -> dict[tuple[str, ...], int]:
    """The line-by-line state machine alone, on the whole input."""
    folder = PerfFolder(s, "t", Skips())
    body = data[:-1] if data.endswith(b"\n") else data
    folder.feed_lines(iter(enumerate(body.split(b"\n") if data else [], 1)))
    folder.finish_tail(b"", 0)
    return folder.stacks()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(record((b"cycles", b"cpu-clock:ppp")).map(lambda r: r[0]), FRAME.map(lambda f: f + b"\n"),
                          st.sampled_from([b"\n", b"# c\n", b"\n\n\n", b"weird\n"])), max_size=10),
       st.booleans(), st.booleans())
def test_fast_path_equals_the_reference_state_machine(parts: list[bytes], tid: bool, aware: bool) -> None:
    data = b"".join(parts)
    s = PerfSettings(naming=NamingOptions(bracket_aware_args=aware), tid=tid)
    opts = CollapseOptions(source="t", params={"tid": tid, "bracket_aware_args": aware})
    assert settings_from(opts) == s
    assert COLLAPSER.collapse(io.BytesIO(data), opts).stacks == reference(data, s)


# frame lines whose names may or may not depend on the address word: the memo shares names
# between lines that differ only in it, which must never change a stack
ODD_FRAME = st.builds(
    lambda ind, addr, tail: b"%s%s %s" % (ind, addr, tail),
    st.sampled_from([b"\t", b"  ", b"", b"\t "]),
    st.sampled_from([b"ab", b"a", b"0", b"7f12", b"ffffffff81000130", b"x_y"]),
    st.sampled_from([b"(x)", b" (x)", b"f (x)", b"[unknown] ([unknown])", b"g+0x1 (a) (b)", b"h+0x1+0x2 (/lib)",
                     b"(anonymous namespace)::f() (/x)", b"main (/bin/p)", b"# (x)", b"p 12 [000] 1.5: 1 cycles: (x)"]),
)
ODD_RECORD = st.builds(lambda head, frames: b"\n".join([head, *frames]) + b"\n\n",
                       st.sampled_from([b"p 12 [000] 1.5: 7 cycles: ", b"java 3 [000] 1.5: 1 cycles: ",
                                        b" p 12 [000] 1.5: 7 cycles: "]),
                       st.lists(ODD_FRAME, max_size=4))


@settings(max_examples=300, deadline=None)
@given(st.lists(ODD_RECORD, max_size=12), st.booleans(), st.booleans())
def test_memo_shared_between_address_words_equals_the_reference(records: list[bytes], addrs: bool,
                                                                 aware: bool) -> None:
    data = b"".join(records)
    s = PerfSettings(naming=NamingOptions(addrs=addrs, bracket_aware_args=aware))
    opts = CollapseOptions(source="t", params={"addrs": addrs, "bracket_aware_args": aware})
    assert COLLAPSER.collapse(io.BytesIO(data), opts).stacks == reference(data, s)


# leaf lines that share a symbol key (symbol without +0xOFF, DSO) with others, or look like they
# might: equal keys must mean equal names, and lines that are not the plain shape keep their own
LEAF_TAIL = st.sampled_from([b"h+0x1+0x2 (/lib)", b"h+0x1 (/lib)", b"h (/lib)", b"h+0x2 (/lib)", b"h+0xzz (/lib)",
                             b"h+0x (/lib)", b"h+0X1 (/lib)", b"h+0x1f (/lib) (x)", b"h (/lib) (x)", b"h (a)+0x1 (b)",
                             b"h (a) (b)", b"f (x) ", b"f (x)\r", b"+0x1 (x)", b" (x)", b"h+0x1 ((/lib))",
                             b"[unknown] (/lib)", b"[unknown]+0x5 (/lib)", b"Lj/K;.m+0x3 (/tmp/perf-9.map)",
                             b"h+0x1 (/lib", b"h+0x1  (/lib)", b"h+0x1\t(/lib)"])
LEAF_RECORD = st.builds(lambda head, ind, addr, tail, callers: b"\n".join([head, b"%s%s %s" % (ind, addr, tail),
                                                                            *callers]) + b"\n\n",
                        st.sampled_from([b"p 12 [000] 1.5: 7 cycles: ", b"java 3 [000] 1.5: 1 cycles: "]),
                        st.sampled_from([b"\t", b"  ", b"\t "]), st.sampled_from([b"7f12", b"0", b"ab", b"x_y"]),
                        LEAF_TAIL, st.lists(ODD_FRAME, max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.lists(LEAF_RECORD, max_size=12), st.booleans(), st.booleans(), st.booleans())
def test_leaves_named_by_symbol_key_equal_the_reference(records: list[bytes], addrs: bool, aware: bool,
                                                        kernel: bool) -> None:
    data = b"".join(records)
    s = PerfSettings(naming=NamingOptions(addrs=addrs, bracket_aware_args=aware, kernel=kernel, jit=kernel))
    opts = CollapseOptions(source="t", params={"addrs": addrs, "bracket_aware_args": aware, "all": kernel})
    assert COLLAPSER.collapse(io.BytesIO(data), opts).stacks == reference(data, s)


def test_symbol_key_cuts_the_offset_only_where_the_perl_regex_would() -> None:
    from flamekit.collapse._perf_memo import symbol_key

    assert symbol_key(b"h+0x1f (/lib)") == symbol_key(b"h+0x2 (/lib)") == symbol_key(b"h (/lib)") == b"h (/lib)"
    assert symbol_key(b"h+0x1+0x2 (/lib)") == b"h+0x1 (/lib)"
    assert symbol_key(b"h+0xzz (/lib)") == b"h+0xzz (/lib)" and symbol_key(b"h+0x (/lib)") == b"h+0x (/lib)"
    assert symbol_key(b"h (a)+0x1 (b)") == b"h (a) (b)"  # the symbol ends at the last " ("
    for odd in (b"f (x) ", b" (x)", b"h+0x1 (/lib", b"(x)", b""):
        assert symbol_key(odd) is None


def test_a_header_with_leading_blank_is_no_header_even_after_the_same_header_unindented() -> None:
    text = (b"prog 10 [000] 1.000001: 1 cpu-clock:\n\tffffffff81000000 a (x)\n\n"
            b" prog 10 [000] 1.000002: 1 cpu-clock:\n\tffffffff81000000 b (x)\n\n")
    skips = Skips()
    p = COLLAPSER.collapse(io.BytesIO(text), CollapseOptions("t", skips))
    assert p.stacks == reference(text, PerfSettings()) == {("prog", "a"): 1}
    assert skips.counts == {"t": 2}  # the indented header, then its frame outside any sample


HEADERISH = st.lists(st.sampled_from([b"python3", b" ", b"  ", b"\t", b"123", b"0", b"12/34", b"1.5:", b":",
                                      b"cycles:", b"cpu-clock:ppp:", b"[000]", b"x", b"/", b"7", b"sched:s:"]),
                     max_size=9).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(HEADERISH)
def test_header_shortcut_agrees_with_the_perl_regexes(line: bytes) -> None:
    assert parse_header(line) == parse_header_slow(line)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record().map(lambda r: r[0]), min_size=2, max_size=30), st.sampled_from(["default", "tid"]))
def test_two_processes_give_the_single_process_result(records: list[bytes], opt: str) -> None:
    data = b"".join(records)
    fd, path = tempfile.mkstemp(suffix=".perf.txt")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        params = {"tid": opt == "tid"}
        one = folded.dumps(load(path, "perf", CollapseOptions(params=dict(params, jobs=1))))
        two = folded.dumps(load(path, "perf", CollapseOptions(params=dict(params, jobs=2))))
        assert one == two
    finally:
        os.unlink(path)


def test_frames_without_a_sample_header_are_reported_not_silently_dropped():
    text = (b"prog 10 1.000001: 1 cpu-clock:\n\tffffffff81000000 a (x)\n\n"
            b"\t    55d0c0de0000 orphan (/usr/bin/prog)\n\n")
    skips = Skips()
    p = COLLAPSER.collapse(io.BytesIO(text), CollapseOptions("orphans.txt", skips))
    assert p.stacks == {("prog", "a"): 1}
    assert skips.counts == {"orphans.txt": 1}
    assert skips.first["orphans.txt"] == (4, "frame line outside any sample (no header before it)")
    try:
        COLLAPSER.collapse(io.BytesIO(text), CollapseOptions("orphans.txt", Skips(strict=True)))
    except InputError as e:
        assert str(e) == "orphans.txt:4: frame line outside any sample (no header before it) (--strict)"
    else:
        raise AssertionError("--strict must refuse a frame outside any sample")


def test_a_record_that_needs_the_state_machine_goes_there_every_time_it_repeats() -> None:
    # the raw memo tables never remember "needs the state machine": the hot loop trusts a hit
    bad_leaf = b"prog 12 [000] 1.000001: 7 cycles: \n\tGARBAGE\n\tab main (/bin/p)\n\n"
    bad_caller = b"prog 12 [000] 1.000002: 5 cycles: \n\tab f (/bin/p)\n\tGARBAGE\n\tab main (/bin/p)\n\n"
    lone_bad_leaf = b"prog 12 [000] 1.000003: 3 cycles: \n\tGARBAGE\n\n"
    text = (bad_leaf + bad_caller + lone_bad_leaf) * 3
    skips = Skips()
    p = COLLAPSER.collapse(io.BytesIO(text), CollapseOptions("t", skips))
    assert p.stacks == reference(text, PerfSettings()) == {("prog", "main"): 21, ("prog", "main", "f"): 15, ("prog",): 9}
    assert skips.counts == {"t": 9}
