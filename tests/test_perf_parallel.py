"""The two-process perf fold: chunks that tile the file, and results equal to one process's."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.collapse._perf_parallel import read_chunk
from flamekit.errors import InputError, Skips

PIECES = st.sampled_from([b"a", b"bc\n", b"\n", b"\n\n", b"\n\n\n", b"xyz", b"\n\nq"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40).map(b"".join), st.integers(1, 40))
def test_chunks_tile_the_file_and_end_at_blank_lines(data: bytes, step: int) -> None:
    f = io.BytesIO(data)
    n = max(1, -(-len(data) // step))
    pieces = [read_chunk(f, i, len(data), step) for i in range(n)]
    assert b"".join(p[1] for p in pieces) == data
    pos = 0
    for start, chunk, final in pieces:
        if chunk:
            end = start + len(chunk)
            assert start == pos
            assert start == 0 or data[start - 2:start] == b"\n\n"  # just past a blank line
            assert final or data[end - 2:end] == b"\n\n"
            assert not final or end == len(data)
        pos += len(chunk)
    # the file's unterminated tail (if any) is in exactly one chunk marked final
    finals = [chunk for _, chunk, final in pieces if chunk and final]
    assert len(finals) <= 1
    if data and not data.endswith(b"\n\n"):
        assert finals and pieces[-1][2]


REC = b"app 7 [000] 1.0: 1 cycles: \n\t4004a0 main (/opt/app)\n\t4003f0 _start (/opt/app)\n\n"
OTHER = b"app 7 [000] 1.0: 5 instructions: \n\t4004a0 work (/opt/app)\n\n"
BAD = b"app 7 [000] 1.0: 1 cycles: \n\tGARBAGE\n\n"
COMMENTED = b"app 7 [000] 1.0: 1 cycles: \n# a comment\n\t4004a0 main (/opt/app)\n\n"
NO_EVENT = b"app 7 [000] 1.0: \n\t4004a0 quiet (/opt/app)\n\n"


def _both(path: Path, params: dict[str, object], strict: bool = False) -> list[tuple[bytes, Skips]]:
    out = []
    for jobs in (1, 2):
        skips = Skips(strict=strict)
        p = load(str(path), "perf", CollapseOptions(skips=skips, params=dict(params, jobs=jobs)))
        out.append((folded.dumps(p), skips))
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([REC, OTHER, BAD, COMMENTED, NO_EVENT, b"\n"]), min_size=1, max_size=60),
       st.booleans())
def test_two_processes_give_the_same_stacks_skips_and_line_numbers(tmp_path_factory: pytest.TempPathFactory,
                                                                   records: list[bytes], tid: bool) -> None:
    f = tmp_path_factory.mktemp("p") / "r.perf.txt"
    f.write_bytes(b"".join(records))
    (one, skips1), (two, skips2) = _both(f, {"tid": tid})
    assert one == two and skips1 == skips2


def test_the_first_skip_in_the_file_wins_in_strict_mode_with_two_processes(tmp_path: Path) -> None:
    f = tmp_path / "r.perf.txt"
    f.write_bytes(REC * 300 + OTHER + REC * 300 + BAD + REC * 300 + BAD)
    with pytest.raises(InputError, match=r":2405: unrecognized line"):
        load(str(f), "perf", CollapseOptions(skips=Skips(strict=True), params={"jobs": 2}))
    (one, skips1), (two, skips2) = _both(f, {})
    assert one == two and skips1 == skips2 and skips1.counts == {str(f): 3}


def test_an_event_first_named_in_the_second_half_filters_as_one_process_does(tmp_path: Path) -> None:
    f = tmp_path / "r.perf.txt"
    f.write_bytes(NO_EVENT * 400 + REC * 50 + OTHER * 50 + REC * 50 + OTHER * 400)
    (one, skips1), (two, skips2) = _both(f, {})
    assert one == two and skips1 == skips2
    assert b"app;_start;main 100\n" in one and b"work" not in one


def test_a_last_record_without_a_blank_line_is_handled_once(tmp_path: Path) -> None:
    f = tmp_path / "r.perf.txt"
    f.write_bytes(REC * 500 + REC[:-1])
    for params in ({}, {"keep_last_sample": True}):
        (one, skips1), (two, skips2) = _both(f, params)
        assert one == two and skips1 == skips2


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=40).map(b"".join), st.integers(1, 40), st.integers(0, 9))
def test_a_chunk_starts_where_boundary_says(tmp_path_factory: pytest.TempPathFactory, data: bytes, step: int,
                                            i: int) -> None:
    from flamekit.collapse._perf_parallel import _boundary

    f = tmp_path_factory.mktemp("b") / "d"
    f.write_bytes(data)
    if i * step >= len(data) or not i:
        return
    assert _boundary(str(f), i * step) == read_chunk(io.BytesIO(data), i, len(data), step)[0]


def test_a_bad_line_in_the_unterminated_tail_keeps_its_line_number(tmp_path: Path) -> None:
    f = tmp_path / "r.perf.txt"
    f.write_bytes(REC * 500 + b"\n" + BAD[:-2] + b"\n" + REC[:-1])
    (one, skips1), (two, skips2) = _both(f, {})
    assert one == two and skips1 == skips2
    assert skips1.first[str(f)] == (2003, "unrecognized line")
