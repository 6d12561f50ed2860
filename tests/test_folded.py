"""Folded stacks: reading, writing, differential form, bad lines."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
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
