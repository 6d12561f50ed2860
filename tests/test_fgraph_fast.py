"""The fast function_graph line recognizer (_fgraph_fast) agrees with the
general classifier (_fgraph_lines) on every line it accepts: on each line of
the corpus and golden function_graph traces, and on generated lines that mix
valid columns with the markers and separators that make the general
classifier read a line another way."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, GOLDEN
from flamekit.collapse._fgraph_fast import FastLines
from flamekit.collapse._fgraph_lines import ENTRY, _classify


def _general(line: bytes) -> tuple:
    """What the general classifier makes of a line, in the fast call's terms."""
    kind, cpu, pid, comm, depth, name, dur = _classify(line)[0]
    return kind, (cpu, pid, comm), depth + 1, name, 0 if kind == ENTRY else dur


def _fast(fl: FastLines, line: bytes) -> tuple | None:
    c = fl.lookup(line)
    if c is None:
        return None
    kind, task, d, kids, ns, name = c
    if kids is not None:
        assert fl.children[name] is kids  # the function's own child map
    return kind, task, d, name, ns


def _trace_lines() -> list[bytes]:
    paths = sorted((CORPUS / "formats" / "ftrace").rglob("*")) + sorted((GOLDEN / "ftrace").glob("fgraph_*.txt"))
    out: list[bytes] = []
    for p in paths:
        if p.is_file() and ("fgraph" in p.name or "graph" in p.name or "funcgraph" in p.name):
            out.extend(p.read_bytes().split(b"\n"))
    return out


def test_corpus_lines_agree_and_most_are_fast():
    lines = _trace_lines()
    if not lines:
        pytest.skip("no function_graph samples")
    fl = FastLines({})
    fast = 0
    for line in lines:
        got = _fast(fl, line)
        if got is not None:
            fast += 1
            assert got == _general(line), line
            assert _fast(fl, line) == got  # memoized the same
    assert fast > len(lines) // 10  # the common layout is common


_cols = st.sampled_from([b"", b" 0) ", b" 12)  ", b"0)", b" 1) ==========> ", b" 3)  <...>-12  ", b"[ 1.5] 0) "])
_proc = st.sampled_from([b"", b"cat-229     |", b" kworker/1:1H-44 |", b"a=b-1 |", b"x-1-2|", b"d..1 |", b"-12 |"])
_mark = st.sampled_from([b"", b"+ ", b"! ", b"$", b"# ", b"- "])
_dur = st.sampled_from([b"", b"0.198 us", b"12 us", b"3.4 us", b"1.23456 us", b"12. us", b"1_0.5 us", b"+1.5 us"])
_pipe = st.sampled_from([b"|", b" | ", b"||", b""])
_body = st.sampled_from([b"  f() {", b"    g();", b"  }", b"    } /* f */", b"  } /* <-x */", b"  /* ev: a | b */",
                         b"  h() { /* x */", b"  f(); (ret=0)", b" => x-1", b"  : funcgraph_entry: f() {",
                         b"", b"  }  junk", b"  {", b"\tf();", b"  f();  ", b"  x:y() {", b"  f(); /* ==========> */"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_cols, _proc, _mark, _dur, _pipe, _body), min_size=1, max_size=6))
def test_generated_lines_agree(parts):
    fl = FastLines({})
    for cols, proc, mark, dur, pipe, body in parts:
        line = cols + proc + b"  " + mark + dur + b"  " + pipe + body
        got = _fast(fl, line)
        if got is not None:
            assert got == _general(line), line


def test_unusual_lines_are_left_to_the_general_classifier():
    fl = FastLines({})
    for line in (b" 1)  ==========> |", b" 0)  d..1 |  0.5 us  |  f();", b" 0)   |  } junk",
                 b" 0)               |  }", b"# tracer: function_graph", b" 0) a-1 => b-2"):
        assert fl.lookup(line) is None, line


def test_paths_exist():
    assert Path(GOLDEN / "ftrace").is_dir()
