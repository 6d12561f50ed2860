"""DTrace collapser: stackcollapse.pl compatibility (byte-identical on the
shared corpus and on tests/golden/dtrace), record rules written by hand, and
properties: arbitrary bytes only raise InputError; generated aggregations fold
back exactly."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.collapse.dtrace import COLLAPSER
from flamekit.errors import InputError, Skips
from flamekit.profile import Profile

from conftest import GOLDEN, corpus_path

HEADER = b"CPU     ID                    FUNCTION:NAME\n  0  64091                        :tick-60s \n\n"


def collapse(data: bytes, strict: bool = True, **params) -> Profile:
    opts = CollapseOptions(source="t", skips=Skips(strict=strict), params=params)
    return COLLAPSER.collapse(io.BytesIO(data), opts)


def fold(p: Profile) -> str:
    return folded.dumps(p).decode("utf-8", "surrogateescape")


def test_corpus_byte_identical_with_stackcollapse_pl():
    src = corpus_path("formats", "dtrace", "example-dtrace-stacks.txt")
    expected = corpus_path("formats", "dtrace", "example-dtrace-stacks.expected.folded").read_bytes()
    assert folded.dumps(load(str(src), "auto", CollapseOptions(skips=Skips(strict=True)))) == expected


def test_golden_kernel_user_cxx():
    got = load(str(GOLDEN / "dtrace" / "kernel_user_cxx.txt"), "auto", CollapseOptions(skips=Skips(strict=True)))
    assert folded.dumps(got) == (GOLDEN / "dtrace" / "kernel_user_cxx.folded").read_bytes()


def test_offsets_stripped_and_counts_summed():
    data = HEADER + b"\n              unix`idle+0x114\n              unix`thread_start+0x8\n             16\n\n" \
                    b"              unix`idle+0x110\n              unix`thread_start+0x8\n                4\n"
    assert fold(collapse(data)) == "unix`thread_start;unix`idle 20\n"


def test_blank_line_between_kernel_and_user_frames_does_not_end_the_record():
    data = HEADER + (b"\n              unix`k+0x1\n\n"
                     b"              libc.so.1`u+0x2\n              a.out`main+0x3\n    2\n")
    assert fold(collapse(data)) == "a.out`main;libc.so.1`u;unix`k 2\n"


def test_cxx_arguments_cut_as_stackcollapse_pl():
    data = HEADER + b"\n              a`ns::f(int, std::vector<int>)+0x4\n              a`plain(int)+0x2\n    1\n"
    # only frames with '::' lose their arguments; the cut is at the last '(' or '<'
    assert fold(collapse(data)) == "a`plain(int);a`ns::f(int, std::vector 1\n"


def test_empty_frame_becomes_dash():
    data = HEADER + b"\n              +0x10\n              a`main+0x3\n    1\n"
    assert fold(collapse(data)) == "a`main;- 1\n"


def test_dtrace_messages_before_the_header():
    # dtrace ... 2>&1 puts its "matched N probes" line first
    data = b"dtrace: description 'profile-997 ' matched 2 probes\n" + HEADER + b"\n              a`f+0x1\n    5\n"
    assert fold(collapse(data)) == "a`f 5\n"
    assert COLLAPSER.detect(data) is True


def test_headerless_output_keeps_its_first_record():
    # dtrace -q prints no header; stackcollapse.pl would drop three lines here
    data = b"              a`f+0x1\n              a`main+0x3\n    5\n"
    assert fold(collapse(data)) == "a`main;a`f 5\n"


def test_includeoffset_keeps_offsets_but_trims_the_leafs():
    data = HEADER + b"\n              a`f+0x1\n              a`main+0x3\n    5\n"
    assert fold(collapse(data, offsets=True)) == "a`main+0x3;a`f 5\n"


def test_frames_without_count_at_end_are_reported():
    data = HEADER + b"\n              a`f+0x1\n    5\n\n              a`g+0x1\n"
    with pytest.raises(InputError, match=r"t:8: stack frames without a count at the end of input"):
        collapse(data)
    skips = Skips()
    assert COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=skips)).total == 5
    assert skips.total == 1


def test_header_only_yields_nothing():
    assert collapse(HEADER).stacks == {}


def test_corpus_weights_conserved():
    text = corpus_path("formats", "dtrace", "example-dtrace-stacks.txt").read_bytes()
    assert collapse(text).total == sum(int(x) for x in re.findall(rb"(?m)^\s*(\d+)$", text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_only_raise_input_error(data):
    for strict in (False, True):
        for d in (data, HEADER + data):
            try:
                collapse(d, strict=strict)
            except InputError:
                pass


FRAME = st.from_regex(r"[a-z]{1,6}`[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.lists(FRAME, min_size=1, max_size=6), st.integers(0, 10**6)), min_size=1, max_size=8))
def test_generated_aggregations_fold_back_exactly(records):
    out = [HEADER]
    expected: dict[tuple[str, ...], int] = {}
    for frames, count in records:
        out.append(b"\n" + b"".join(b"              %s+0x%x\n" % (f.encode(), i) for i, f in enumerate(frames)))
        out.append(b"%16d\n" % count)
        key = tuple(reversed(frames))
        expected[key] = expected.get(key, 0) + count
    p = collapse(b"".join(out))
    assert p.stacks == expected
    assert p.total == sum(c for _, c in records)


def _reference(data: bytes) -> dict[tuple[str, ...], int]:
    """stackcollapse.pl's loop, line by line (the plain statement of the rules)."""
    out: dict[tuple[str, ...], int] = {}
    stack: list[str] = []
    for line in data.split(b"\n")[3:]:
        m = re.fullmatch(rb"\s*(\d+)", line)
        if m:
            key = tuple(stack)
            out[key] = out.get(key, 0) + int(m.group(1))
            stack = []
            continue
        if not line.strip():
            continue
        f = re.sub(rb"\+[^+]*$", b"", line.lstrip(), count=1)
        f = re.sub(rb"(::.*)[(<].*", rb"\1", f, count=1)
        stack.insert(0, f.decode("utf-8", "surrogateescape") if f else "-")
    return out


LINES = st.sampled_from([
    b"", b"", b"              unix`mutex_enter+0x10", b"              genunix`cv_wait+0x3c",
    b"              app`ns::f(int, std::vector<int>)+0x4", b"              libc.so.1`__pollsys+0xa",
    b"              0xfffffe0000001000", b"              +0x1", b"    1", b"               12", b"  7",
])


@settings(max_examples=120, deadline=None)
@given(st.lists(LINES, max_size=40))
def test_chunked_reader_agrees_with_the_line_by_line_rules(lines):
    data = HEADER + b"\n".join(lines) + b"\n"
    skips = Skips()
    got = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=skips)).stacks
    assert got == _reference(data)
