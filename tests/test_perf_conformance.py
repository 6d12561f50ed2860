"""Byte-for-byte conformance with stackcollapse-perf.pl on the shared corpus.

Every input of ``corpus/perf/inputs`` with every option set the corpus has
expectations for (91 cases), and the large gzip'd Java + kernel capture.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.errors import Skips

from conftest import CORPUS, corpus_path

OPTION_SETS = {
    "default": {},
    "pid": {"pid": True},
    "tid": {"tid": True},
    "kernel": {"kernel": True},
    "jit": {"jit": True},
    "all": {"all": True},
    "addrs": {"addrs": True},
}
INPUTS = sorted(p.stem for p in (CORPUS / "perf" / "inputs").glob("*.txt")) if CORPUS.is_dir() else ["absent"]


def collapse(path: Path, **params: object) -> bytes:
    opts = CollapseOptions(skips=Skips(), params=dict(params))
    return folded.dumps(load(str(path), "perf", opts))


@pytest.mark.parametrize("opt", sorted(OPTION_SETS))
@pytest.mark.parametrize("name", INPUTS)
def test_matches_stackcollapse_perf(name: str, opt: str) -> None:
    src = corpus_path("perf", "inputs", f"{name}.txt")
    expected = corpus_path("perf", "expected", f"{name}-collapsed-{opt}.txt").read_bytes()
    assert collapse(src, **OPTION_SETS[opt]) == expected


@pytest.mark.parametrize("opt", ["default", "all"])
def test_large_gzip_capture_matches(opt: str) -> None:
    src = corpus_path("perf", "large", "example-perf-stacks.txt.gz")
    expected = gzip.decompress(corpus_path("perf", "large", f"example-perf-stacks-collapsed-{opt}.txt.gz").read_bytes())
    assert collapse(src, **OPTION_SETS[opt]) == expected


def test_corpus_has_all_91_cases() -> None:
    inputs = sorted(corpus_path("perf", "inputs").glob("*.txt"))
    expected = list(corpus_path("perf", "expected").glob("*-collapsed-*.txt"))
    assert len(inputs) * len(OPTION_SETS) == len(expected) == 91


@pytest.mark.parametrize("name", INPUTS)
def test_two_processes_give_the_same_bytes(name: str, tmp_path: Path) -> None:
    src = corpus_path("perf", "inputs", f"{name}.txt")
    for opt in ("default", "tid", "all"):
        one = collapse(src, jobs=1, **OPTION_SETS[opt])
        two = collapse(src, jobs=2, **OPTION_SETS[opt])
        assert one == two, (name, opt)
