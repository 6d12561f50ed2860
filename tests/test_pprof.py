"""pprof out and in: go tool pprof reads what flamekit writes, flamekit reads what Go writes,
and folded -> pprof -> folded is exact."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import GOLDEN
from flamekit import folded
from flamekit.collapse import load_profile
from flamekit.collapse.pprof import COLLAPSER, decode
from flamekit.errors import InputError
from flamekit.profile import Profile
from flamekit.render import pprof
from pprof_oracle import go_pprof, go_pprof_bytes, parse_traces, top_total

GO = GOLDEN / "pprof"

SPECIAL = Profile({
    ("main", "do work", "leaf with spaces"): 7,
    ("main", "do work"): 3,
    ("main", "naïve::ünïcode<ß>", "日本語"): 11,
    ("main", "std::map<int, std::string>::find(int const&)"): 5,
    ("main", "a;b in one frame"): 2,
    ("main", "", "after an empty frame"): 1,
    ("main",) + tuple(f"deep{i % 7}" for i in range(1500)): 4,
    ("solo",): 9,
})


def _read(data: bytes, **kw: object) -> Profile:
    return decode(gzip.decompress(data), "<test>", **kw)  # type: ignore[arg-type]


# -- the file itself ---------------------------------------------------------------------

def test_output_is_gzip_with_mtime_zero_and_byte_stable():
    data = pprof.dumps(SPECIAL)
    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME
    assert pprof.dumps(SPECIAL.copy()) == data
    # insertion order of the stacks does not matter, with or without task labels
    assert pprof.dumps(Profile(dict(reversed(list(SPECIAL.stacks.items()))))) == data
    tasks = Profile({("b-2/3", "x"): 1, ("a-1/1", "y"): 2, ("c-9/9",): 3})
    assert pprof.dumps(Profile(dict(reversed(list(tasks.stacks.items()))))) == pprof.dumps(tasks)


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path):
    src = tmp_path / "in.folded"
    src.write_bytes(folded.dumps(SPECIAL))
    outs = []
    for seed in ("0", "12345"):
        out = tmp_path / f"out{seed}.pb.gz"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "flamekit", "convert", str(src), "-o", str(out)], check=True, env=env)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_string_table_starts_empty_and_sample_type_follows_the_unit():
    raw = gzip.decompress(pprof.dumps(Profile({("a",): 1})))
    assert raw.startswith(b"\x0a\x04\x08\x01\x10\x02")  # sample_type {type: 1, unit: 2}
    assert b"\x32\x00" in raw  # string_table[0] == ""
    assert pprof.sample_type(Profile(unit="samples")) == ("samples", "count")
    assert pprof.sample_type(Profile(unit="nanoseconds", event="offcpu")) == ("offcpu", "nanoseconds")
    assert pprof.sample_type(Profile(unit="period", event="cpu-clock")) == ("cpu-clock", "nanoseconds")
    assert pprof.sample_type(Profile(unit="period", event="cycles")) == ("cycles", "count")
    assert pprof.sample_type(Profile(unit="bytes")) == ("space", "bytes")


def test_unit_and_event_survive_a_round_trip():
    p = Profile({("a", "b"): 5}, unit="period", event="cycles")
    back = _read(pprof.dumps(p))
    assert (back.unit, back.event, back.stacks) == ("period", "cycles", p.stacks)


# -- go tool pprof reads it ----------------------------------------------------------------

def test_go_pprof_traces_give_back_the_stacks(tmp_path):
    f = tmp_path / "special.pb.gz"
    f.write_bytes(pprof.dumps(SPECIAL))
    stacks, _labels = parse_traces(go_pprof(tmp_path, "-traces", str(f)))
    assert stacks == SPECIAL.stacks


def test_go_pprof_raw_and_top_agree_on_samples_and_total(tmp_path):
    f = tmp_path / "special.pb.gz"
    f.write_bytes(pprof.dumps(SPECIAL))
    raw = go_pprof(tmp_path, "-raw", str(f))
    assert "samples/count" in raw
    sample_lines = raw.split("Samples:\n", 1)[1].split("Locations", 1)[0].strip().split("\n")[1:]
    assert len(sample_lines) == len(SPECIAL)
    top = go_pprof(tmp_path, "-top", "-nodecount=1000000", str(f))
    assert top_total(top) == SPECIAL.total


def test_go_pprof_reserialised_file_reads_back_the_same(tmp_path):
    f = tmp_path / "special.pb.gz"
    f.write_bytes(pprof.dumps(SPECIAL))
    g = tmp_path / "again.pb.gz"
    g.write_bytes(go_pprof_bytes(tmp_path, "-proto", str(f)))
    assert load_profile(str(g)).stacks == SPECIAL.stacks


def test_pid_tid_root_frames_become_labels(tmp_path):
    p = Profile({("java-4242/4243", "main", "work"): 5, ("java-4242/4250", "gc"): 2, ("bash-17/17", "read"): 1})
    f = tmp_path / "tasks.pb.gz"
    f.write_bytes(pprof.dumps(p))
    stacks, labels = parse_traces(go_pprof(tmp_path, "-traces", str(f)))
    assert stacks == p.stacks  # the root frame stays: the file reads back exactly
    got = sorted((d["comm"], d["pid"], d["tid"]) for d in labels)
    assert got == [("bash", "17", "17"), ("java", "4242", "4243"), ("java", "4242", "4250")]
    focused = go_pprof(tmp_path, "-traces", "-tagfocus=tid=^4250$", str(f))
    assert parse_traces(focused)[0] == {("java-4242/4250", "gc"): 2}


def test_no_labels_unless_every_root_is_a_task(tmp_path):
    p = Profile({("worker-3", "x"): 1, ("main", "y"): 2})
    raw = gzip.decompress(pprof.dumps(p))
    assert b"comm" not in raw and b"pid" not in raw


def test_frame_modules_become_mappings(tmp_path):
    p = Profile({("main", "memcpy"): 3, ("main", "foo", "inflate"): 2})
    modules = {"memcpy": "/lib/libc.so.6", "inflate": "/lib/libz.so.1", "main": "/bin/app"}
    p.extras["frame_modules"] = modules
    f = tmp_path / "m.pb.gz"
    f.write_bytes(pprof.dumps(p))
    raw = go_pprof(tmp_path, "-raw", str(f))
    mappings = raw.split("Mappings\n", 1)[1].split("\n")
    # one mapping per module (pprof lists them in its own order)
    assert sorted(m.split()[-2] for m in mappings if m) == ["/bin/app", "/lib/libc.so.6", "/lib/libz.so.1"]
    assert parse_traces(go_pprof(tmp_path, "-traces", str(f)))[0] == p.stacks
    back = load_profile(str(f))
    assert back.stacks == p.stacks
    assert back.extras["frame_modules"] == modules  # "foo" had none


# -- reading a profile Go made -------------------------------------------------------------

@pytest.mark.parametrize("name", ["go-burn.cpu.pb.gz", "go-burn.proto.pb.gz"])
def test_go_cpu_profile_matches_go_traces(name):
    """The runtime's own file (inline frames, addresses, mappings) and pprof's re-serialisation."""
    expected, _ = parse_traces((GO / "go-burn.traces.txt").read_text(), strip_inline=True)
    p = load_profile(str(GO / name))
    assert (p.unit, p.event) == ("nanoseconds", "cpu")
    assert p.stacks == expected
    # inline frames are expanded, caller first
    assert any(s[-2:] == ("example.com/burn.Hash", "example.com/burn.mix") for s in p.stacks)


def test_go_cpu_profile_other_sample_type():
    expected, _ = parse_traces((GO / "go-burn.samples.traces.txt").read_text(), strip_inline=True)
    for choice in ("samples", "0"):
        p = load_profile(str(GO / "go-burn.cpu.pb.gz"), sample_type=choice)
        assert p.stacks == expected
        assert p.unit == "samples"


@pytest.mark.parametrize("traces, sample_type, unit, event", [
    ("go-burn.heap.default.traces.txt", None, "bytes", "alloc_space"),  # the file's default_sample_type
    ("go-burn.heap.inuse_objects.traces.txt", "inuse_objects", "count", "inuse_objects"),
])
def test_go_heap_profile_matches_go_traces(traces, sample_type, unit, event):
    """Four sample types, a default one, numeric labels, samples that are zero in some types."""
    text = (GO / traces).read_text()
    expected, _ = parse_traces(text, strip_inline=True)
    zero_blocks = sum(1 for block in text.split("-----------+")[1:] if re.search(r"^ +0   ", block, re.M))
    p = load_profile(str(GO / "go-burn.heap.pb.gz"), sample_type=sample_type)
    assert (p.unit, p.event) == (unit, event)
    assert p.stacks == {s: w for s, w in expected.items() if w}
    # pprof lists samples that are zero in this type, but drops those zero in every type
    assert int(p.meta.get("zero_samples", "0")) >= zero_blocks


def test_unknown_sample_type_is_an_input_error():
    with pytest.raises(InputError, match=r"no sample type 'alloc' \(this profile has: samples, cpu\)"):
        load_profile(str(GO / "go-burn.cpu.pb.gz"), sample_type="alloc")


def test_detection_finds_pprof_but_not_text():
    raw = gzip.decompress((GO / "go-burn.cpu.pb.gz").read_bytes())
    assert COLLAPSER.detect(raw[:8192]) is not False
    assert COLLAPSER.detect(gzip.decompress(pprof.dumps(SPECIAL))[:8192]) is not False
    for text in (b"main;foo 1\n", b"\nmain;foo 1\n", b"{\"profiles\": []}", b"perf 123 [000] 1.0: cpu-clock:\n"):
        assert COLLAPSER.detect(text) is False


def test_cli_convert_folded_to_pprof_and_back(tmp_path):
    src = tmp_path / "in.folded"
    src.write_bytes(folded.dumps(SPECIAL))
    out = tmp_path / "out.pb.gz"
    back = tmp_path / "back.folded"
    subprocess.run([sys.executable, "-m", "flamekit", "convert", str(src), "-o", str(out)], check=True)
    subprocess.run([sys.executable, "-m", "flamekit", "convert", str(out), "-o", str(back)], check=True)
    assert back.read_bytes() == src.read_bytes()


def test_cli_bad_pprof_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.pb.gz"
    bad.write_bytes(gzip.compress(b"\x0a\x04\x08\x01\x10\x02\x12\x05\x0a\x01\x07\x10\x01\x32\x00", mtime=0))
    r = subprocess.run([sys.executable, "-m", "flamekit", "convert", "--format", "pprof", str(bad)],
                       capture_output=True)
    assert r.returncode == 2
    assert r.stderr.count(b"\n") == 1 and b"invalid pprof" in r.stderr and str(bad).encode() in r.stderr


# -- properties ------------------------------------------------------------------------------

names = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["with space", "semi;colon", "ünïcode 日本語", " lead", "trail ", "", "a;;b", "tab\there"]),
    st.binary(max_size=8).map(lambda b: b.decode("utf-8", "surrogateescape")),
)
stacks = st.one_of(
    st.lists(names, max_size=40).map(tuple),
    # deep recursion: a short cycle repeated up to 2,000 frames
    st.tuples(st.lists(names, min_size=1, max_size=3), st.integers(100, 2000)).map(lambda t: tuple((t[0] * t[1])[: t[1]])),
)
profiles = st.dictionaries(stacks, st.integers(1, 2**62), max_size=20).map(Profile)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles)
def test_round_trip_is_exact(p):
    back = _read(pprof.dumps(p))
    assert back.stacks == p.stacks
    assert back.total == p.total
    # semicolons and line breaks in names are escaped the same way either side
    assert folded.dumps(back) == folded.dumps(p)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_input_error(data):
    try:
        p = decode(data, "<fuzz>")
    except InputError as e:
        assert e.source == "<fuzz>"
    else:
        assert isinstance(p, Profile)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupted_profiles_only_raise_input_error(data):
    raw = bytearray(gzip.decompress(pprof.dumps(SPECIAL if data.draw(st.booleans()) else Profile({("a", "b"): 1}))))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        p = decode(bytes(raw[:cut]), "<fuzz>")
    except InputError:
        return
    assert isinstance(p, Profile)


# -- layouts other writers use ------------------------------------------------------------

def _hand_built(samples: list[bytes], default_type: int = 0) -> bytes:
    """A profile with types alloc/count and space/bytes, functions main(1) f(2) g(3),
    locations 1=[main], 2=[g inlined into f] (lines innermost first), 3=address 0x4d2 in libx.so."""
    from flamekit.protowire import bytes_field, uint_field

    strings = ["", "alloc", "count", "space", "bytes", "main", "f", "g", "/lib/libx.so"]
    out = [bytes_field(1, uint_field(1, 1) + uint_field(2, 2)), bytes_field(1, uint_field(1, 3) + uint_field(2, 4))]
    out += [bytes_field(2, s) for s in samples]
    out.append(bytes_field(3, uint_field(1, 7) + uint_field(5, 8)))
    out.append(bytes_field(4, uint_field(1, 1) + bytes_field(4, uint_field(1, 1))))
    out.append(bytes_field(4, uint_field(1, 2) + bytes_field(4, uint_field(1, 3)) + bytes_field(4, uint_field(1, 2))))
    out.append(bytes_field(4, uint_field(1, 3) + uint_field(2, 7) + uint_field(3, 0x4D2)))
    for fid, name in ((1, 5), (2, 6), (3, 7)):
        out.append(bytes_field(5, uint_field(1, fid) + uint_field(2, name)))
    out += [bytes_field(6, s.encode()) for s in strings]
    if default_type:
        out.append(uint_field(14, default_type))
    return b"".join(out)


def test_unpacked_ids_values_first_inline_lines_and_addresses():
    from flamekit.protowire import bytes_field, packed, uint_field

    samples = [
        # values before ids, ids unpacked (one varint field each), leaf first
        packed(2, [4, 400]) + uint_field(1, 2) + uint_field(1, 1),
        # the usual packed layout, with a label after
        packed(1, [3, 1]) + packed(2, [1, 100]) + bytes_field(3, uint_field(1, 5) + uint_field(2, 6)),
        # zero in the chosen type: no weight
        packed(1, [1]) + packed(2, [2, 0]),
    ]
    p = decode(_hand_built(samples))
    assert p.stacks == {("main", "f", "g"): 400, ("main", "libx.so 0x4d2"): 100}
    assert (p.unit, p.event, p.meta["zero_samples"]) == ("bytes", "space", "1")
    assert p.extras["frame_modules"] == {"libx.so 0x4d2": "/lib/libx.so"}
    # the first type, by name and by index; default_sample_type when set
    counts = {("main", "f", "g"): 4, ("main", "libx.so 0x4d2"): 1, ("main",): 2}
    assert decode(_hand_built(samples), sample_type="alloc").stacks == counts
    assert decode(_hand_built(samples), sample_type="0").stacks == counts
    assert decode(_hand_built(samples, default_type=1)).stacks == counts


@pytest.mark.parametrize("sample, reason", [
    (b"\x0a\x01\x09\x12\x02\x01\x01", "missing location 9"),
    (b"\x0a\x01\x01\x12\x01\x01", "1 values vs. 2 types"),
])
def test_broken_samples_say_why(sample, reason):
    with pytest.raises(InputError, match=reason):
        decode(_hand_built([sample]))


# pprof sums in float64: keep totals below 2**53 so -top can be exact
go_profiles = st.dictionaries(stacks.filter(lambda s: not any("\n" in f or "\r" in f for f in s)),
                              st.integers(1, 2**40), max_size=20).map(Profile)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(go_profiles)
def test_go_pprof_reads_generated_profiles_exactly(tmp_path, p):
    """go tool pprof -traces and -top on arbitrary names and depths (no line breaks: -traces is line-based).

    A sample with no frames counts in pprof's total but -traces does not list it."""
    f = tmp_path / "gen.pb.gz"
    f.write_bytes(pprof.dumps(p))
    stacks, _ = parse_traces(go_pprof(tmp_path, "-traces", str(f)))
    assert stacks == {s: w for s, w in p.stacks.items() if s}
    if p.stacks:
        assert top_total(go_pprof(tmp_path, "-top", "-nodecount=1", str(f))) == p.total


def test_pid_tid_labels_become_root_frames_when_asked(tmp_path):
    """Labels from other tools (string or numeric) give perf's COMM-PID/TID roots with --pid/--tid."""
    from flamekit.protowire import bytes_field, packed, uint_field

    def label(key: int, text: int = 0, num: int | None = None) -> bytes:
        return bytes_field(3, uint_field(1, key) + uint_field(2, text) + (b"\x18" + bytes([num]) if num is not None else b""))

    # strings 9.. appended after _hand_built's: comm, pid, tid, java
    samples = [
        packed(1, [2, 1]) + packed(2, [1, 10]) + label(9, 12) + label(10, num=42) + label(11, num=0),
        packed(1, [1]) + packed(2, [1, 5]),
    ]
    raw = _hand_built(samples).replace(b"\x32\x0c/lib/libx.so", b"\x32\x0c/lib/libx.so\x32\x04comm\x32\x03pid\x32\x03tid\x32\x04java")
    assert decode(raw).stacks == {("main", "f", "g"): 10, ("main",): 5}
    assert decode(raw, tasks="tid").stacks == {("java-42/0", "main", "f", "g"): 10, ("main",): 5}
    assert decode(raw, tasks="pid").stacks == {("java-42", "main", "f", "g"): 10, ("main",): 5}
    f = tmp_path / "l.pb"
    f.write_bytes(raw)
    r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "--tid", str(f)], capture_output=True)
    assert r.stdout == b"java-42/0;main;f;g 10\nmain 5\n"


def test_flamekit_files_keep_one_task_root():
    p = Profile({("java-4242/4243", "main"): 5, ("bash-17/0", "read"): 1})
    raw = gzip.decompress(pprof.dumps(p))
    assert decode(raw, tasks="tid").stacks == p.stacks
    assert decode(raw, tasks="pid").stacks == p.stacks
