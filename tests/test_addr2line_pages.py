"""``addr2line`` function names bisect within an address's page once the input is longer than a batch.

``page_bounds`` gives, per page, the slice of the sorted symbol starts that
an address of that page can land in; bisecting that slice must give exactly
the plain bisect's answer, and names_only must print the same text whether
it uses the pages or not (short inputs, addresses past the last page, tables
too small or too high for a page list).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit.symbolize import addr2line as a2l
from flamekit.symbolize.elf import RawSymbol, SymbolTable


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 1 << 20), min_size=1, max_size=400, unique=True), st.data())
def test_page_bounds_bisect_as_the_whole_table(starts, data):
    starts.sort()
    got = a2l.page_bounds(starts)
    if got is None:
        assert len(starts) < 64
        return
    shift, first, stop = got
    assert len(first) == len(stop)
    # page p's slice starts at the first symbol at or past the page's first address
    assert first == [bisect_left(starts, p << shift) for p in range(len(first))] and stop == first[1:] + [len(starts)]
    top = len(first) << shift
    addrs = data.draw(st.lists(st.one_of(st.integers(0, top - 1), st.sampled_from(starts),
                                         st.sampled_from([max(s - 1, 0) for s in starts])), max_size=200))
    for a in addrs:
        p = a >> shift
        assert bisect_right(starts, a, first[p], stop[p]) == bisect_right(starts, a)


def test_page_bounds_declines_small_and_high_tables():
    assert a2l.page_bounds(list(range(0, 63 * 16, 16))) is None
    assert a2l.page_bounds([0xFFFF_FFFF_8100_0000 + 16 * i for i in range(1000)]) is None
    assert a2l.page_bounds([0x1000 + 16 * i for i in range(1000)]) is not None


def _table(n: int, gap: int = 0x40) -> SymbolTable:
    """n symbols 0x30 bytes long every ``gap`` bytes from 0x10000 (padding between them: '??')."""
    return SymbolTable([RawSymbol(f"f{i}", 0x10000 + gap * i, 0x30, 1, False) for i in range(n)])


def _plain(addrs: list[int], table: SymbolTable) -> str:
    out = []
    for a in addrs:
        hit = table.lookup(a)
        out.append(f"0x{a:x} {hit[0]}+0x{a - hit[1]:x}\n" if hit else f"0x{a:x} ??\n")
    return "".join(out)


def test_names_only_with_pages_prints_what_a_lookup_per_address_prints(monkeypatch):
    table = _table(500)
    end = 0x10000 + 0x40 * 500
    addrs = [*range(0xFF00, end + 0x200, 7), 0, 1 << 40, 0x10000, end - 0x10, 0x10000]
    monkeypatch.setattr(a2l, "NAMES_BATCH", 64)  # pages from the first full batch on; 1 << 40: past every page
    assert a2l.page_bounds(table.starts.tolist()) is not None
    assert "".join(a2l.names_only(iter(addrs), table, str)) == _plain(addrs, table)
    short = addrs[:50]  # one batch, not full: plain bisect
    assert "".join(a2l.names_only(iter(short), table, str)) == _plain(short, table)
    small = _table(10)
    assert "".join(a2l.names_only(iter(addrs), small, str)) == _plain(addrs, small)
