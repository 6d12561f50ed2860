"""The fast function_graph line recognizer (_fgraph_fast) agrees with the
general classifier (_fgraph_lines) on every line it accepts: on each line of
the corpus and golden function_graph traces, and on generated lines that mix
valid columns with the markers and separators that make the general
classifier read a line another way."""

from __future__ import annotations

import pytest
from conftest import CORPUS, GOLDEN
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_bad_lines_are_numbered_across_chunks(monkeypatch):
    """Bad lines keep their line numbers when the trace spans many chunks."""
    import io

    from flamekit.collapse import CollapseOptions, _fgraph_lines
    from flamekit.collapse.ftrace import COLLAPSER
    from flamekit.errors import Skips

    good = b" 0)   1.000 us    |  a();\n"
    data = good * 7 + b"junk one\n" + good * 5 + b"junk two\n" + good
    seen: list[int | None] = []

    class Record(Skips):
        def skip(self, source, line, reason):  # type: ignore[override]
            seen.append(line)
            super().skip(source, line, reason)

    orig = _fgraph_lines.iter_graph_lines

    def small_chunks(stream, chunk=64):
        return orig(stream, 64)

    monkeypatch.setattr("flamekit.collapse._fgraph_rebuild.iter_graph_lines", small_chunks)
    COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=Record()))
    assert seen == [8, 14]


_ABS = st.sampled_from([b"  6.077379 |", b"6.1 |", b"  1.5  |", b"x.5 |", b" 12 |", b"", b"[  1.5] ", b"1.5|"])
_REST = st.sampled_from([b"   0)   0.1 us    |  f();", b"  1) |  }", b"0) x", b" ", b"", b"   12)  g() {"])


@given(st.lists(st.tuples(_ABS, _REST), max_size=8))
def test_abstime_cut_equals_the_line_anchored_pattern(parts):
    from flamekit.collapse._fgraph_lines import _ABSTIME_ALL, strip_time_columns

    chunk = b"\n".join(a + r for a, r in parts) + b"\n"
    if b" |   " in chunk[:4096] and _ABSTIME_ALL.search(chunk, 0, 4096) and b"[" not in chunk:
        assert strip_time_columns(chunk) == _ABSTIME_ALL.sub(b"", chunk)


_TIME = st.sampled_from([b"  6.077379 |", b"  6.077380 |", b"1.5 |", b"  1.5  |", b"x.5 |", b""])
_CALL = st.sampled_from([b"   0)   0.1 us    |  f() {", b"   0)   2.5 us    |    g();", b"   0)   3.1 us    |  }",
                         b"  1) |  }", b"  f();", b"   1)  cat-2  |  1.0 us  |  h();", b" 0) a-1 => b-2", b""])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_TIME, _CALL), min_size=1, max_size=12))
def test_bulk_abstime_cut_gives_the_profile_of_the_regex_cut(parts):
    """iter_graph_lines cuts every line's column at once when all lines of a chunk have
    one (any width; cut_abstime slices them when the width is the same); the profile
    (and skips) must be those of the per-line regex cut they replace, wherever reads end."""
    import io

    from flamekit.collapse import CollapseOptions
    from flamekit.collapse import _fgraph_rebuild as rebuild_mod
    from flamekit.collapse import ftrace as ftrace_mod
    from flamekit.collapse._fgraph_lines import strip_abstime
    from flamekit.collapse._ftrace_common import CHUNK, iter_line_chunks
    from flamekit.errors import InputError, Skips

    data = b"\n".join(t + c for t, c in parts) + b"\n"

    def run():
        sk = Skips()
        try:
            p = ftrace_mod.COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=sk))
        except InputError as e:
            return str(e)
        return p.stacks, p.meta, sk.counts

    new = run()
    bulk = rebuild_mod.iter_graph_lines

    def regex_cut(stream, chunk=CHUNK):
        for lineno, lines in iter_line_chunks(stream, chunk):
            yield lineno, strip_abstime(b"\n".join(lines)).split(b"\n")

    rebuild_mod.iter_graph_lines = regex_cut
    try:
        old = run()
        for size in (1, 5, 17, 40):  # reads ending anywhere: chunks with and without the column on every line
            rebuild_mod.iter_graph_lines = lambda stream, chunk=size: bulk(stream, chunk)
            assert run() == old, size
    finally:
        rebuild_mod.iter_graph_lines = bulk
    assert new == old


@given(st.binary(max_size=300), st.integers(1, 40))
def test_line_chunks_are_the_chunks_without_copies(data, size):
    """iter_line_chunks yields the lines (and numbers) iter_chunks yields."""
    import io

    from flamekit.collapse._ftrace_common import iter_chunks, iter_line_chunks

    assert list(iter_line_chunks(io.BytesIO(data), size)) == list(iter_chunks(io.BytesIO(data), size))


@pytest.mark.parametrize("name", ["fgraph_interleaved_cpus.txt", "fgraph_proc_abstime_irq_tail.txt",
                                  "fgraph_lost_events.txt", "function_tracefs.txt"])
def test_profile_does_not_depend_on_where_reads_end(monkeypatch, name):
    """Reads may end anywhere (mid-line, mid-call): the profile, meta and skips are
    those of reading the whole trace at once."""
    import io

    from flamekit.collapse import CollapseOptions, _fgraph_lines, _ftrace_common, get
    from flamekit.errors import Skips

    data = (GOLDEN / "ftrace" / name).read_bytes()[:3000]
    fmt = "ftrace-function" if name.startswith("function") else "ftrace"
    if name.startswith("function"):
        target, orig = "flamekit.collapse.ftrace_function.iter_line_chunks", _ftrace_common.iter_line_chunks
    else:
        target, orig = "flamekit.collapse._fgraph_rebuild.iter_graph_lines", _fgraph_lines.iter_graph_lines

    def run(size: int) -> tuple:
        monkeypatch.setattr(target, lambda stream, chunk=size: orig(stream, size))
        sk = Skips()
        p = get(fmt).collapse(io.BytesIO(data), CollapseOptions(source="t", skips=sk))
        return p.stacks, p.meta, sk.counts

    whole = run(len(data) + 1)
    for size in range(1, len(data) + 1, 7):
        assert run(size) == whole, size


# well-formed calls (so lines meet the same call path again) and lines that disturb them
_BLOCK = st.sampled_from([
    [b" 0)               |  a() {", b" 0)   1.000 us    |    b();", b" 0)   2.500 us    |  }"],
    [b" 0)               |  a() {", b" 0)   3.000 us    |  } /* a */"],
    [b" 1)               |  a() {", b" 1)               |    c() {", b" 1)   0.100 us    |      b();",
     b" 1)   0.900 us    |    }", b" 1)   0.500 us    |    b();", b" 1)   4.000 us    |  }"],
    [b" 0)  cat-2  |               |  a() {", b" 0)  cat-2  |   1.5 us  |    b();", b" 0)  cat-2  |   2.0 us  |  }"],
    [b" 1)   0.700 us    |  b();"],
])
_DISTURB = st.sampled_from([
    [b" 0)   sh-1   =>   cat-2  "], [b" 1)   cat-2   =>   sh-1  "], [b"CPU:1 [LOST 3 EVENTS]"], [b"junk"],
    [b" 0)   7.000 us    |    }"], [b" 0)   1.000 us    |      b();"], [b" 1)               |  a() {"],
    [b"a() {", b"b();", b"}"], [b" 0)   0.100 us    |  } /* c */"],
])
_REPEATED = st.lists(st.one_of(_BLOCK, _BLOCK, _DISTURB), min_size=1, max_size=12).map(lambda bs: [x for b in bs for x in b])


@settings(max_examples=200, deadline=None)
@given(_REPEATED, st.integers(1, 4),
       st.sampled_from([{}, {"weight": "total"}, {"weight": "calls"}, {"per_task": True}]))
def test_remembered_actions_give_the_profile_of_the_plain_loop(lines, times, params):
    """Lines met again on the same call path replay a remembered action (ftrace's
    per-node memos); with the memos off (LIMIT 0) every line takes the general
    way: profile, meta and skips must be the same."""
    import io

    from flamekit.collapse import CollapseOptions
    from flamekit.collapse import _fgraph_rebuild as rebuild_mod
    from flamekit.collapse import ftrace as ftrace_mod
    from flamekit.errors import InputError, Skips

    data = b"\n".join(lines * times) + b"\n"

    def run():
        sk = Skips()
        try:
            p = ftrace_mod.COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=sk, params=params))
        except InputError as e:
            return str(e)
        return list(p.stacks.items()), p.meta, p.unit, sk.counts

    new = run()
    limit = rebuild_mod.LIMIT
    rebuild_mod.LIMIT = 0
    try:
        assert run() == new
    finally:
        rebuild_mod.LIMIT = limit


@given(st.lists(st.sampled_from([b"", b"x" * 50, b" 0)   1.0 us    |  f();", b"  6.077379 |   0)  |  }", b"\r"]),
                max_size=12), st.integers(1, 70))
def test_graph_lines_are_the_lines_read_whole(parts, size):
    """iter_graph_lines yields every line once, numbered, whatever the read size, even
    lines longer than many reads (kept in pieces); its cuts are those of
    cut_time_columns on the whole trace (the profile tests above check what they
    mean when only some lines have a column)."""
    import io

    from flamekit.collapse._fgraph_lines import cut_time_columns, iter_graph_lines

    data = b"\n".join(parts)
    got = list(iter_graph_lines(io.BytesIO(data), size))
    whole = data.split(b"\n")
    if not whole[-1]:
        whole.pop()  # after the last newline: no line
    assert [n for n, _ in got] == [1 + sum(len(ls) for _, ls in got[:k]) for k in range(len(got))]
    lines = [ln for _, ls in got for ln in ls]
    assert len(lines) == len(whole)
    if all(b"|" not in p for p in parts) or all(p.startswith(b"  6.0") for p in parts):
        assert lines == cut_time_columns(whole)
