"""speedscope out and in: files valid against the npm package's schema, exact round trips,
and the reader's handling of sampled, evented and multi-profile files."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, require_tool
from flamekit import folded
from flamekit.collapse import load_profile
from flamekit.collapse.speedscope import COLLAPSER, parse
from flamekit.errors import InputError
from flamekit.profile import Profile
from flamekit.render import speedscope

BROWSER_DIR = ROOT / "tests" / "browser"

SPECIAL = Profile({
    ("main", "do work", "leaf with spaces"): 7,
    ("main", "do work"): 3,
    ("main", "naïve::ünïcode<ß>", "日本語"): 11,
    ("main", "a;b in one frame"): 2,
    ("main", "", "after an empty frame"): 1,
    ("main",) + tuple(f"deep{i % 7}" for i in range(1500)): 4,
    ("solo",): 9,
})
THREADS = Profile({("java-4242/4243", "main", "work"): 5, ("java-4242/4250", "gc"): 2, ("bash-17/17", "read"): 1})


def speedscope_release() -> Path:
    """dist/release of the pinned npm speedscope (installed into tests/browser by npm ci)."""
    require_tool("npm", "nodejs")
    marker = BROWSER_DIR / "node_modules" / "speedscope" / "package.json"
    with open(BROWSER_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BROWSER_DIR,
                           check=True, stdout=subprocess.DEVNULL, timeout=600)
    return BROWSER_DIR / "node_modules" / "speedscope" / "dist" / "release"


@pytest.fixture(scope="module")
def validator():
    import jsonschema

    schema = json.loads((speedscope_release() / "file-format-schema.json").read_text())
    assert schema["$ref"] == "#/definitions/FileFormat.File"
    return jsonschema.Draft7Validator(schema)


def check_semantics(doc: dict) -> None:
    """The rules speedscope enforces that its schema cannot say (interop.md section 3)."""
    n = len(doc["shared"]["frames"])
    for p in doc["profiles"]:
        assert p["endValue"] >= p["startValue"]
        if p["type"] == "sampled":
            assert len(p["samples"]) == len(p["weights"])
            assert all(0 <= i < n for s in p["samples"] for i in s)
        else:
            opened: list[int] = []
            last = p["startValue"]
            for ev in p["events"]:
                assert ev["at"] >= last
                last = ev["at"]
                if ev["type"] == "O":
                    opened.append(ev["frame"])
                else:
                    assert opened.pop() == ev["frame"]
            assert not opened


# -- the file ------------------------------------------------------------------------------

def test_document_shape():
    doc = json.loads(speedscope.dumps(Profile({("a", "b"): 3, ("a",): 2}), name="demo"))
    assert doc == {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": [{"name": "a"}, {"name": "b"}]},
        "profiles": [{"type": "sampled", "name": "demo", "unit": "none", "startValue": 0, "endValue": 5,
                      "samples": [[0], [0, 1]], "weights": [2, 3]}],
        "name": "demo",
        "activeProfileIndex": 0,
        "exporter": f"flamekit {__import__('flamekit').__version__}",
    }


def test_time_and_bytes_units_are_kept_others_are_none():
    for unit, expected in (("nanoseconds", "nanoseconds"), ("bytes", "bytes"), ("period", "none"), ("samples", "none")):
        doc = json.loads(speedscope.dumps(Profile({("a",): 1}, unit=unit)))
        assert doc["profiles"][0]["unit"] == expected
    assert load_profile_bytes(speedscope.dumps(Profile({("a",): 1}, unit="nanoseconds"))).unit == "nanoseconds"


def test_one_profile_per_thread_sharing_frames(validator):
    doc = json.loads(speedscope.dumps(THREADS, name="t"))
    validator.validate(doc)
    check_semantics(doc)
    assert [p["name"] for p in doc["profiles"]] == ["bash-17/17", "java-4242/4243", "java-4242/4250"]
    assert [p["endValue"] for p in doc["profiles"]] == [1, 5, 2]
    assert len(doc["shared"]["frames"]) == len(THREADS.frame_names())
    assert parse(doc).stacks == THREADS.stacks


def test_valid_against_the_schema(validator):
    for p in (SPECIAL, THREADS, Profile()):
        doc = json.loads(speedscope.dumps(p))
        validator.validate(doc)
        check_semantics(doc)


def test_byte_stable_whatever_the_hash_seed(tmp_path):
    src = tmp_path / "in.folded"
    src.write_bytes(folded.dumps(SPECIAL))
    outs = []
    for seed in ("1", "999"):
        out = tmp_path / f"o{seed}.speedscope.json"
        subprocess.run([sys.executable, "-m", "flamekit", "convert", str(src), "-o", str(out)], check=True,
                       env=dict(os.environ, PYTHONHASHSEED=seed))
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["name"] == "in.folded"


def test_undecodable_bytes_survive_as_escapes():
    name = b"caf\xe9".decode("utf-8", "surrogateescape")
    data = speedscope.dumps(Profile({("main", name): 2}))
    data.decode("ascii")  # escaped, so still valid UTF-8 JSON
    assert load_profile_bytes(data).stacks == {("main", name): 2}


def test_negative_weights_are_refused():
    from flamekit.errors import UsageError

    with pytest.raises(UsageError):
        speedscope.dumps(Profile({("a",): -1}))


# -- reading ---------------------------------------------------------------------------------

def load_profile_bytes(data: bytes) -> Profile:
    return parse(json.loads(data))


def test_evented_profile_weighs_time_between_events():
    doc = {
        "$schema": speedscope.SCHEMA_URL,
        "shared": {"frames": [{"name": "main"}, {"name": "a"}, {"name": "b"}]},
        "profiles": [{"type": "evented", "name": "x", "unit": "milliseconds", "startValue": 0, "endValue": 10,
                      "events": [{"type": "O", "at": 0, "frame": 0}, {"type": "O", "at": 1, "frame": 1},
                                 {"type": "C", "at": 4, "frame": 1}, {"type": "O", "at": 4, "frame": 2},
                                 {"type": "C", "at": 6, "frame": 2}, {"type": "C", "at": 10, "frame": 0}]}],
    }
    p = parse(doc)
    assert p.stacks == {("main",): 5, ("main", "a"): 3, ("main", "b"): 2}
    assert p.unit == "milliseconds"


def test_fractional_time_becomes_nanoseconds():
    doc = {"shared": {"frames": [{"name": "f"}]},
           "profiles": [{"type": "sampled", "name": "p", "unit": "seconds", "startValue": 0, "endValue": 0.5,
                         "samples": [[0], [0]], "weights": [0.25, 0.0015]}]}
    p = parse(doc)
    assert p.stacks == {("f",): 251_500_000}
    assert (p.unit, p.meta["approximate"]) == ("nanoseconds", "yes")


def test_other_tools_threads_are_kept_apart_by_profile_name():
    doc = {"shared": {"frames": [{"name": "f"}, {"name": "g"}]},
           "profiles": [{"type": "sampled", "name": "T1", "unit": "none", "startValue": 0, "endValue": 1,
                         "samples": [[0]], "weights": [1]},
                        {"type": "sampled", "name": "T2", "unit": "none", "startValue": 0, "endValue": 2,
                         "samples": [[0, 1]], "weights": [2]}]}
    assert parse(doc).stacks == {("T1", "f"): 1, ("T2", "f", "g"): 2}


@pytest.mark.parametrize("doc, reason", [
    ({"profiles": []}, "no shared.frames"),
    ({"shared": {"frames": [{"name": "f"}]}, "profiles": [{"type": "sampled", "samples": [[1]], "weights": [1]}]},
     "out of range"),
    ({"shared": {"frames": [{"name": "f"}]}, "profiles": [{"type": "sampled", "samples": [[0]], "weights": []}]},
     "1 samples but 0 weights"),
    ({"shared": {"frames": [{"name": "f"}, {"name": "g"}]}, "profiles": [{"type": "evented", "events": [
        {"type": "O", "at": 0, "frame": 0}, {"type": "O", "at": 1, "frame": 1}, {"type": "C", "at": 2, "frame": 0}]}]},
     "not the innermost open frame"),
    ({"shared": {"frames": [{"name": "f"}]}, "profiles": [{"type": "evented", "events": [
        {"type": "O", "at": 5, "frame": 0}, {"type": "C", "at": 2, "frame": 0}]}]}, "goes back in time"),
    ({"shared": {"frames": [{"name": "f"}]}, "profiles": [{"type": "evented", "events": [
        {"type": "O", "at": 0, "frame": 0}]}]}, "still open"),
])
def test_malformed_files_raise_input_error(tmp_path, doc, reason):
    f = tmp_path / "bad.speedscope.json"
    f.write_text(json.dumps({"$schema": speedscope.SCHEMA_URL, **doc}))
    with pytest.raises(InputError, match=reason) as e:
        load_profile(str(f))
    assert e.value.source == str(f)


def test_invalid_json_names_the_line(tmp_path):
    f = tmp_path / "bad.speedscope.json"
    f.write_bytes(b'{"$schema": "https://www.speedscope.app/file-format-schema.json",\n "profiles": [}\n')
    r = subprocess.run([sys.executable, "-m", "flamekit", "convert", str(f)], capture_output=True)
    assert r.returncode == 2
    assert r.stderr.startswith(f"flamekit: error: {f}:2: invalid JSON".encode()) and r.stderr.count(b"\n") == 1


def test_detection():
    assert COLLAPSER.detect(speedscope.dumps(SPECIAL)[:8192]) is True
    assert COLLAPSER.detect(b"\xef\xbb\xbf" + speedscope.dumps(SPECIAL)[:8189]) is True
    assert COLLAPSER.detect(b'{"traceEvents": []}') is False
    assert COLLAPSER.detect(b"main;a 1\n") is False


def test_cli_round_trip(tmp_path):
    src = tmp_path / "in.folded"
    src.write_bytes(folded.dumps(SPECIAL))
    out, back = tmp_path / "x.speedscope.json", tmp_path / "back.folded"
    subprocess.run([sys.executable, "-m", "flamekit", "convert", str(src), "-o", str(out)], check=True)
    subprocess.run([sys.executable, "-m", "flamekit", "convert", str(out), "-o", str(back)], check=True)
    assert back.read_bytes() == src.read_bytes()


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
profiles = st.dictionaries(stacks, st.integers(0, 2**53), max_size=20).map(Profile)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.booleans())
def test_round_trip_is_exact(p, threads):
    if threads:  # the per-thread layout must read back exactly too (an empty stack stays one)
        p = Profile({(f"comm-{len(s) % 3}/{len(s) % 2}", *s) if len(s) % 5 else s: w for s, w in p.stacks.items()})
    back = load_profile_bytes(speedscope.dumps(p))
    assert back.stacks == p.stacks
    assert back.total == p.total
    assert folded.dumps(back) == folded.dumps(p)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["shared", "frames", "name", "profiles", "type", "samples", "weights", "events", "at",
                         "frame", "unit", "sampled", "evented", "O", "C"]), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_only_raises_input_error(value):
    import io

    from flamekit.collapse.base import CollapseOptions

    try:
        p = COLLAPSER.collapse(io.BytesIO(json.dumps(value).encode()), CollapseOptions(source="<fuzz>"))
    except InputError as e:
        assert e.source == "<fuzz>"
    else:
        assert isinstance(p, Profile)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_input_error(data):
    import io

    from flamekit.collapse.base import CollapseOptions

    try:
        COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="<fuzz>"))
    except InputError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=6), st.sampled_from(["\ud800", "a\udfff b", "\udc80", "\udbff\udfff"])),
                min_size=1, max_size=5))
def test_any_json_string_names_can_be_written_again(frame_names):
    """Lone surrogates (legal in JSON escapes) must not crash the writers."""
    from flamekit.render import pprof

    doc = {"shared": {"frames": [{"name": n} for n in frame_names]},
           "profiles": [{"type": "sampled", "name": "p", "unit": "none", "startValue": 0, "endValue": 1,
                         "samples": [list(range(len(frame_names)))], "weights": [1]}]}
    p = parse(json.loads(json.dumps(doc)))
    assert p.total == 1
    folded.dumps(p)
    assert parse(json.loads(speedscope.dumps(p))).stacks == p.stacks
    pprof.dumps(p)
