"""The quick refusals in format detection (substring tests before line-anchored regexes) change no verdict.

Each ``detect()`` first asks :mod:`flamekit.collapse._head` whether a head
could hold what its patterns look for.  With those answers forced to "yes",
every collapser must give the same verdict as with them, on real inputs
(this project's golden captures and examples, and the shared corpus when
present) and on heads mixed from their lines.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit import collapse

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
HEAD = 65536


def _files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file() and p.suffix not in (".svg", ".png", ".gz", ".data"))


OWN = _files(ROOT / "tests" / "golden") + [p for p in _files(ROOT / "examples") if p.suffix == ".txt"]
SHARED = _files(CORPUS) if CORPUS.is_dir() else []


def _verdicts(head: bytes, quick: bool) -> list[bool | None]:
    with ExitStack() as stack:
        if not quick:
            for c in collapse.collapsers():
                module = type(c).__module__
                for name in ("has_any", "has_line_starting", "_colon_then_blank"):
                    if hasattr(__import__(module, fromlist=[name]), name):
                        stack.enter_context(mock.patch(f"{module}.{name}", lambda *a: True))
        return [c.detect(head) for c in collapse.collapsers()]


def test_the_quick_tests_are_patched_out_in_every_module_that_uses_them() -> None:
    users = {type(c).__module__ for c in collapse.collapsers()
             for name in ("has_any", "has_line_starting") if hasattr(__import__(type(c).__module__, fromlist=[name]), name)}
    assert {"flamekit.collapse.perf", "flamekit.collapse.bcc", "flamekit.collapse.bpftrace", "flamekit.collapse.dtrace",
            "flamekit.collapse.ftrace", "flamekit.collapse.ftrace_function"} <= users


@pytest.mark.parametrize("path", OWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_verdicts_on_this_projects_inputs(path: Path) -> None:
    head = path.read_bytes()[:HEAD]
    assert _verdicts(head, True) == _verdicts(head, False)


@pytest.mark.parametrize("head", [
    b"perf 24042 \n\tffffffff821f8b58 __schedule\n\tffffffff821f94c3 schedule\n\n",  # -F comm,pid,ip,sym
    b"perf 24042 \n\tffffffff821f8b58 __schedule ([kernel.kallsyms])\n\n",  # -F comm,pid,ip,sym,dso
    b"do_sys_open() {\n  getname() {\n    kmem_cache_alloc();\n  }\n  do_filp_open();\n}\n" * 2,  # bare graph
    b"@[\n    f\n    g\n]: 3\n",  # bpftrace map without its banner
    b"  f\n  g\n    12\n\n",  # stackcount without its banner
    b"              libc.so.6`read+0x8\n              a.out`main+0x1c\n                5\n\n",  # dtrace -q
], ids=["perf-no-event", "perf-no-event-dso", "ftrace-bare", "bpftrace-map", "bcc-stackcount", "dtrace-q"])
def test_same_verdicts_on_heads_without_headers(head: bytes) -> None:
    assert _verdicts(head, True) == _verdicts(head, False)
    assert any(v is not False for v in _verdicts(head, True))  # each is claimed by some format


@pytest.mark.skipif(not SHARED, reason="../shared/corpus is not present")
def test_same_verdicts_on_the_shared_corpus() -> None:
    for path in SHARED:
        head = path.read_bytes()[:HEAD]
        assert _verdicts(head, True) == _verdicts(head, False), path


def _file_lines() -> list[list[bytes]]:
    return [path.read_bytes()[:8192].split(b"\n")[:-1] for path in OWN + SHARED]


FILES = [lines for lines in _file_lines() if lines]


@st.composite
def segment(draw: st.DrawFn) -> list[bytes]:
    """A run of consecutive lines of one real input (often without its first lines: its header)."""
    lines = draw(st.sampled_from(FILES))
    start = draw(st.integers(0, len(lines) - 1))
    return lines[start:start + draw(st.integers(1, 60))]


@settings(max_examples=400, deadline=None)
@given(st.lists(segment(), min_size=1, max_size=3), st.sampled_from([b"\n", b"\r\n"]))
def test_same_verdicts_on_heads_mixed_from_real_inputs(segments: list[list[bytes]], eol: bytes) -> None:
    head = eol.join(line for seg in segments for line in seg) + eol
    assert _verdicts(head, True) == _verdicts(head, False)
