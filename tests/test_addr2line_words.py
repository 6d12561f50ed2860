"""``addr2line`` function names print an address as its input word when the block's words read as ``hex()`` prints.

Most input comes from tools printing ``0x%x``: the word is then the text
``hex()`` would make, and reusing it saves a conversion per address.  Any
other spelling (no ``0x``, upper case, leading zeros, ``0x0``, underscores,
tabs, CR LF, signs) must still print ``hex()``'s form: the output is the
same whatever the input's spelling.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit.symbolize import addr2line as a2l
from flamekit.symbolize.elf import RawSymbol, SymbolTable

TABLE = SymbolTable([RawSymbol(f"f{i}", 0x10000 + 0x40 * i, 0x30, 1, False) for i in range(200)])


def _plain(addrs: list[int]) -> str:
    out = []
    for a in addrs:
        hit = TABLE.lookup(a)
        out.append(f"0x{a:x} {hit[0]}+0x{a - hit[1]:x}\n" if hit else f"0x{a:x} ??\n")
    return "".join(out)


def _via_blocks(data: bytes) -> str:
    return "".join(a2l.names_of_blocks(a2l.AddressBlocks(io.BytesIO(data)).blocks, TABLE, str))


SPELLINGS = {
    "canonical": lambda a: hex(a),
    "bare": lambda a: f"{a:x}",
    "upper": lambda a: f"0x{a:X}",
    "upper prefix": lambda a: f"0X{a:x}",
    "zero padded": lambda a: f"0x{a:016x}",
    "underscore": lambda a: f"0x{a:_x}",
}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 0x10000 + 0x40 * 220), min_size=1, max_size=300),
       st.lists(st.sampled_from(sorted(SPELLINGS)), min_size=1, max_size=3),
       st.sampled_from(["\n", " ", "\t", "\r\n", "  \n"]))
def test_any_spelling_prints_what_hex_prints(addrs, spellings, sep):
    words = [SPELLINGS[spellings[i % len(spellings)]](a) for i, a in enumerate(addrs)]
    assert _via_blocks((sep.join(words) + "\n").encode()) == _plain(addrs)


def test_canonical_blocks_keep_their_words_others_do_not():
    def words(text: bytes) -> list:
        return [w for _, w in a2l._address_blocks(io.BytesIO(text), "x")]

    assert words(b"0x10 0x2f\n0xabc\n") == [["0x10", "0x2f", "0xabc"]]
    for odd in (b"0x10 2f\n", b"0x10 0x0\n", b"0x010\n", b"0x1A\n", b"0X1a\n", b"0x1_0\n", b"0x10\t0x20\n",
                b"0x10\r\n"):
        assert words(odd) == [None], odd


def test_reused_words_are_printed_as_read():
    """The words really are reused (not re-made by hex()): the same str objects come out."""
    blocks = list(a2l.AddressBlocks(io.BytesIO(b"0x10010 0x5\n")).blocks)
    assert blocks[0][1] == ["0x10010", "0x5"]
    assert "".join(a2l.names_of_blocks(blocks, TABLE, str)) == "0x10010 f0+0x10\n0x5 ??\n"


def test_bad_words_still_name_their_line():
    import pytest

    from flamekit.errors import InputError

    with pytest.raises(InputError, match=":3: "):
        list(a2l.AddressBlocks(io.BytesIO(b"0x1\n0x2\n0xzz\n")))
    with pytest.raises(InputError, match=":2: "):
        list(a2l.AddressBlocks(io.BytesIO(b"0x1\n-0x2\n")))
    # str.split would cut at \x1c (a separator for str, not for bytes): still one bad word, as read from bytes
    with pytest.raises(InputError, match=":2: "):
        list(a2l.AddressBlocks(io.BytesIO(b"0x1\n0x10\x1c0x20\n")))
