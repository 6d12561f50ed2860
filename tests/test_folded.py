"""Folded stacks: reading, writing, differential form, bad lines."""

from __future__ import annotations

import io

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.diff import DiffProfile
from flamekit.errors import InputError, Skips
from flamekit.profile import Profile


def read(text: bytes, strict: bool = False) -> Profile | DiffProfile:
    return folded.read(io.BytesIO(text), "t.folded", Skips(strict=strict), head=text[:8192])


def test_sums_duplicates_and_skips_comments_and_blank_lines():
    p = read(b"# comment\n\na;b 3\na;c 2\r\na;b 1\n")
    assert isinstance(p, Profile)
    assert p.stacks == {("a", "b"): 4, ("a", "c"): 2}


def test_frames_may_contain_spaces_count_is_after_last_space():
    p = read(b"main;do work 10\n")
    assert p.stacks == {("main", "do work"): 10}


def test_two_count_file_is_differential():
    d = read(b"a;b 1 5\na;c 4 0\n")
    assert isinstance(d, DiffProfile)
    assert d.before.stacks == {("a", "b"): 1, ("a", "c"): 4}
    assert d.after.stacks == {("a", "b"): 5, ("a", "c"): 0}


def test_differential_is_decided_per_file_not_per_line():
    p = read(b"main;Worker 3 10\nmain;idle 7\n")
    assert isinstance(p, Profile)
    assert p.stacks == {("main", "Worker 3"): 10, ("main", "idle"): 7}


def test_fractional_counts_are_rounded_to_integers():
    assert read(b"a 2.6\n").stacks == {("a",): 3}


def test_malformed_line_is_counted_and_named():
    skips = Skips()
    p = folded.read(io.BytesIO(b"a 1\nnot a count\nb 2\n"), "x.folded", skips)
    assert p.stacks == {("a",): 1, ("b",): 2}
    assert skips.counts == {"x.folded": 1}
    assert skips.messages() == ["skipped 1 line of x.folded (first at x.folded:2: expected 'frame;frame;... COUNT')"]


def test_malformed_line_is_an_error_when_strict():
    with pytest.raises(InputError) as e:
        read(b"a 1\nnot a count\n", strict=True)
    assert str(e.value).startswith("t.folded:2: expected")


def test_output_is_sorted_bytewise_like_flamegraph():
    p = Profile({("a", "b"): 1, ("a b",): 2, ("B",): 3})
    assert folded.dumps(p) == b"B 3\na b 2\na;b 1\n"


def test_invalid_utf8_survives_a_round_trip():
    raw = b"caf\xe9;\xff\xfe 7\n"
    p = read(raw)
    assert folded.dumps(p) == raw


def test_semicolon_in_a_name_is_written_as_colon():
    assert folded.dumps(Profile({("std;x", "f"): 1})) == b"std:x;f 1\n"


frame = st.text(
    alphabet=st.characters(blacklist_characters=";\n\r", blacklist_categories=("Cs",)), min_size=1, max_size=12
).filter(lambda s: not s.startswith("#") and s.strip() == s and s != "")
stacks = st.dictionaries(st.lists(frame, min_size=1, max_size=8).map(tuple), st.integers(0, 10**12), max_size=30)


@given(stacks)
def test_write_read_round_trip(d):
    p = Profile(d)
    back = folded.read(io.BytesIO(folded.dumps(p)), "rt", Skips(strict=True), differential=False)
    assert back.stacks == p.stacks


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_input_error(data):
    try:
        folded.read(io.BytesIO(data), "fuzz", Skips(strict=True))
    except InputError:
        pass


@given(st.lists(st.text(alphabet=st.sampled_from("ab;\n\r:\udcff é"), max_size=6), max_size=6))
def test_encode_stack_shortcut_equals_sanitizing_every_frame(stack: list[str]) -> None:
    expected = ";".join(folded.sanitize(f) for f in stack).encode("utf-8", "surrogateescape")
    assert folded.encode_stack(tuple(stack)) == expected


def test_a_stack_longer_than_the_detection_head_is_still_folded(tmp_path):
    from click.testing import CliRunner

    from flamekit.cli import main

    deep = ";".join(f"frame_number_{i}" for i in range(800)) + " 5\n"
    f = tmp_path / "deep.folded"
    f.write_text(deep * 2)
    r = CliRunner().invoke(main, ["collapse", str(f)])
    assert r.exit_code == 0, r.output
    assert r.output == deep.replace(" 5\n", " 10\n")


def test_detection_head_is_full_even_from_a_pipe():
    import subprocess
    import sys

    # a pipe delivers its bytes in small pieces; detection must still see 8 KB
    script = "import sys,time\nfor i in range(3000):\n    sys.stdout.write('a;b;c %d\\n' % i); sys.stdout.flush()\n"
    producer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    r = subprocess.run([sys.executable, "-c", "from flamekit.io import open_input;s,h=open_input('-');print(len(h))"],
                       stdin=producer.stdout, capture_output=True, text=True)
    producer.wait()
    assert r.stdout.strip() == "8192"


# -- the packed, block-wise reader against a plain line-by-line reading -----------------------

def reference_read(data: bytes, source: str = "t.folded") -> tuple[list[tuple[tuple[str, ...], int]], Skips]:
    """The one-column grammar, one line at a time (what the block reader must reproduce)."""
    skips = Skips()
    out: dict[tuple[str, ...], int] = {}
    for lineno, line in enumerate(data.split(b"\n"), 1):
        line = line.rstrip(b"\r")
        if not line or line.startswith(b"#") or not line.strip():
            continue
        stack, sep, count = line.rpartition(b" ")
        if not sep or not folded._is_count(count):
            skips.skip(source, lineno, "expected 'frame;frame;... COUNT'")
            continue
        stack = stack.rstrip(b" \t")
        key = tuple(stack.decode("utf-8", "surrogateescape").split(";")) if stack else ()
        out[key] = out.get(key, 0) + folded._parse_count(count)
    return list(out.items()), skips


LINE_BYTES = st.sampled_from([b"a", b"b", b"a b", b";", b";", b" ", b"\t", b"#", b"\r", b"1", b"7", b"2.5",
                              b"\xc3\xa9", b"\xff", b"\xe2", b"\x01", b"\x00", b"\x02", b"main", b"do work"])
LINES = st.lists(st.tuples(st.lists(LINE_BYTES, max_size=6).map(b"".join),
                           st.sampled_from([b" 1", b" 2", b" 10", b"  3", b"\t 4", b" 0", b"", b" 1.5", b" x",
                                                            b" 5\r", b" 6\r\r", b" 7\r8"])),
                 max_size=40)


@settings(max_examples=300, deadline=None)
@given(LINES, st.sampled_from([1, 7, 64, 1 << 22]), st.booleans())
@example([(b"a", b" 1"), (b"# c", b" 2"), (b"b", b" 3")], 1 << 22, True)
@example([(b"a", b" 1"), (b"a", b" 2"), (b"b\t", b" 3"), (b"b", b"  4")], 1 << 22, False)
@example([(b"a", b" 1\r"), (b"a\rb", b" 2\r\r"), (b"b", b" 3")], 1 << 22, True)
def test_block_reader_equals_reading_line_by_line(lines: list[tuple[bytes, bytes]], block: int, newline: bool,
                                                  ) -> None:
    data = b"\n".join(stack + count for stack, count in lines) + (b"\n" if newline else b"")
    expected, expected_skips = reference_read(data)
    old = folded.BLOCK
    folded.BLOCK = block
    try:
        skips = Skips()
        p = folded.read(io.BytesIO(data), "t.folded", skips, differential=False)
    finally:
        folded.BLOCK = old
    assert list(p.stacks.items()) == expected  # same stacks, weights and first-seen order
    assert skips == expected_skips
    # writing packed stacks back is writing their tuples
    again = folded.read(io.BytesIO(data), "t.folded", Skips(), differential=False)
    assert folded.dumps(again) == folded.dumps(Profile(dict(expected)))


def test_ordinary_folded_input_stays_packed_until_stacks_are_read() -> None:
    p = read(b"a;b 3\na;c 2\na;b 1\n 4\n")
    assert p.packed_stacks() == {"a\x01b": 4, "a\x01c": 2, "": 4}
    assert p.stacks == {("a", "b"): 4, ("a", "c"): 2, (): 4}
    assert p.packed_stacks() is None  # unpacked once, then ordinary


def test_bytes_the_packing_reserves_fall_back_to_tuples_and_lose_nothing() -> None:
    old = folded.BLOCK
    folded.BLOCK = 8
    try:
        p = folded.read(io.BytesIO(b"a;b 1\nc 2\nx\x01y;z 3\na;b 4\n"), "t", Skips(), differential=False)
    finally:
        folded.BLOCK = old
    assert p.packed_stacks() is None
    assert list(p.stacks.items()) == [(("a", "b"), 5), (("c",), 2), (("x\x01y", "z"), 3)]


def test_a_bad_line_in_a_later_block_is_reported_with_its_own_line_number() -> None:
    data = b"".join(b"a;b %d\n" % i for i in range(1, 2000)) + b"oops\n" + b"a;c 1\n"
    old = folded.BLOCK
    folded.BLOCK = 1000
    try:
        with pytest.raises(InputError, match=r"t\.folded:2000"):
            folded.read(io.BytesIO(data), "t.folded", Skips(strict=True), differential=False)
    finally:
        folded.BLOCK = old
