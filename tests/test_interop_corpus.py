"""Real folded stacks (stackcollapse-perf.pl's own output in the shared corpus) through pprof
and speedscope: go tool pprof and the speedscope schema agree with the input."""

from __future__ import annotations

import gzip
import json

import pytest

from conftest import CORPUS, corpus_path
from flamekit import folded
from flamekit.collapse.speedscope import parse
from flamekit.profile import Profile
from flamekit.render import pprof, speedscope
from flamekit.threads import Task, parse_root, task_roots
from pprof_oracle import go_pprof, parse_traces, top_total

EXPECTED = sorted(p.name for p in (CORPUS / "perf" / "expected").glob("*-collapsed-[dt]*.txt")) if CORPUS.is_dir() else []


def _load(name: str) -> Profile:
    with open(corpus_path("perf", "expected", name), "rb") as f:
        return folded.read_profile(f, name)


def test_root_frame_convention():
    assert parse_root("java-4242/4243") == Task("java", 4242, 4243)
    assert parse_root("java-4242") == Task("java", 4242, None)
    assert parse_root("cksum-?/21804") == Task("cksum", None, 21804)  # perf printed only a tid
    assert parse_root("node-v011-?") == Task("node-v011", None, None)
    assert parse_root("main") is None and parse_root("-12") is None and parse_root("a-1/x") is None
    assert task_roots([("a-1", "x"), ("b-2/3",)]) == {"a-1": Task("a", 1), "b-2/3": Task("b", 2, 3)}
    assert task_roots([("a-1", "x"), ("main",)]) is None
    assert task_roots([]) is None


@pytest.mark.parametrize("name", EXPECTED or ["(corpus absent)"])
def test_perf_folded_through_go_pprof(tmp_path, name):
    p = _load(name)
    f = tmp_path / "p.pb.gz"
    f.write_bytes(pprof.dumps(p))
    stacks, labels = parse_traces(go_pprof(tmp_path, "-traces", str(f)))
    assert stacks == p.stacks
    if name.endswith("-tid.txt"):
        tasks = task_roots(p.stacks)
        assert tasks is not None
        assert {lab["tid"] for lab in labels} == {str(t.tid) for t in tasks.values()}
        assert {lab["comm"] for lab in labels} == {t.comm for t in tasks.values()}
    else:
        assert labels == [{}] * len(labels)


@pytest.mark.parametrize("name", EXPECTED or ["(corpus absent)"])
def test_perf_folded_through_speedscope(name):
    p = _load(name)
    doc = json.loads(speedscope.dumps(p, name=name))
    if name.endswith("-tid.txt"):
        assert len(doc["profiles"]) == len({s[0] for s in p.stacks})
    else:
        assert len(doc["profiles"]) == 1
    assert parse(doc).stacks == p.stacks


def test_large_java_profile_totals(tmp_path):
    path = corpus_path("perf", "large", "example-perf-stacks-collapsed-default.txt.gz")
    p = folded.read_profile(gzip.open(path), str(path))
    f = tmp_path / "large.pb.gz"
    f.write_bytes(pprof.dumps(p))
    assert top_total(go_pprof(tmp_path, "-top", "-nodecount=5", str(f))) == p.total
    stacks, _ = parse_traces(go_pprof(tmp_path, "-traces", str(f)))
    assert stacks == p.stacks


def test_pprof_and_speedscope_detection_claim_no_corpus_file(corpus):
    """Every other format's real captures are left to their own collapsers."""
    from flamekit.collapse.pprof import COLLAPSER as PPROF
    from flamekit.collapse.speedscope import COLLAPSER as SPEEDSCOPE
    from flamekit.io import open_input

    files = [f for f in sorted(corpus.rglob("*")) if f.is_file()]
    assert len(files) > 100
    for f in files:
        stream, head = open_input(str(f))
        stream.close()
        assert PPROF.detect(head) is False, f
        assert SPEEDSCOPE.detect(head) is False, f
