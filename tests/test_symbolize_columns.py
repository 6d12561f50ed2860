"""Symbol tables read as columns agree with a plain entry-by-entry reading, in every ELF class and byte order.

``ElfFile.symbol_columns`` selects entries with byte-column masks over the
whole section and ``SymbolTable`` ranks alias groups only when a name is
asked for; the references here read one entry at a time with ``struct`` and
rank every group at once, as the code did before.  The ELF files are made
here (32/64-bit, little/big-endian) from hypothesis-drawn entries.
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit.symbolize.elf import ElfFile, RawSymbol, SymbolTable, _alias_rank

#: names the string table holds (offset 0 is the empty name); offsets may also point inside them or past the end
NAMES = ["", "f", "main", ".Lhere", "$d", "label_ok", "_Z3fooi", "file.c", "other.c", "__GI_memcpy", "memcpy", "_x"]
SHF_ALLOC, SHF_WRITE, SHF_EXECINSTR = 2, 1, 4
EXEC_SECTION = 1  # .text; 2 is .data

entry = st.tuples(
    st.integers(0, 255),  # st_info: every type and binding
    st.sampled_from([0, 1, 2, 3, 0xFEFF, 0xFF00, 0xFFF1, 0xFFFF]) | st.integers(0, 0xFFFF),  # st_shndx
    st.sampled_from([0, 0x1000, 0x1010, 0x2000]) | st.integers(0, 0xFFFFFFFF),  # st_value
    st.sampled_from([0, 0x10]) | st.integers(0, 0xFFFFFFFF),  # st_size
    st.integers(0, len(NAMES) - 1) | st.integers(0, 80),  # a name's index, or a raw offset
    st.booleans(),  # the name as a raw offset
)


def _strtab() -> tuple[bytes, list[int]]:
    offs, raw = [], b""
    for n in NAMES:
        offs.append(len(raw))
        raw += n.encode() + b"\0"
    return raw, offs


def _elf(entries: list[tuple[int, int, int, int, int, bool]], elfclass: int, little: bool, section: str) -> bytes:
    """An ELF file with .text, .data, one symbol table (``section``) of ``entries`` and its string table."""
    e = "<" if little else ">"
    strtab, offs = _strtab()
    name_off = [o if raw else offs[o % len(offs)] for *_, o, raw in entries]
    if elfclass == 64:
        syms = b"\0" * 24 + b"".join(struct.pack(e + "IBBHQQ", n, info, 0, shndx, value, size)
                                     for (info, shndx, value, size, _, _), n in zip(entries, name_off))
    else:
        syms = b"\0" * 16 + b"".join(struct.pack(e + "IIIBBH", n, value, size, info, 0, shndx)
                                     for (info, shndx, value, size, _, _), n in zip(entries, name_off))
    shstr = b"\0.text\0.data\0" + section.encode() + b"\0.strtab\0.shstrtab\0"
    text, data = b"\x90" * 16, b"\0" * 16
    ehsize = 64 if elfclass == 64 else 52
    body = [text, data, syms, strtab, shstr]
    at, pos = [], ehsize
    for b in body:
        at.append(pos)
        pos += len(b)
    shoff = (pos + 7) & ~7
    # (name offset in shstr, type, flags, offset, size, link, entsize)
    sh = [(0, 0, 0, 0, 0, 0, 0),
          (1, 1, SHF_ALLOC | SHF_EXECINSTR, at[0], len(text), 0, 0),
          (7, 1, SHF_ALLOC | SHF_WRITE, at[1], len(data), 0, 0),
          (13, 11 if section == ".dynsym" else 2, SHF_ALLOC, at[2], len(syms), 4, 24 if elfclass == 64 else 16),
          (14 + len(section), 3, 0, at[3], len(strtab), 0, 0),
          (22 + len(section), 3, 0, at[4], len(shstr), 0, 0)]
    if elfclass == 64:
        head = struct.pack(e + "HHIQQQIHHHHHH", 3, 62, 1, 0, 0, shoff, 0, ehsize, 0, 0, 64, len(sh), 5)
        shdrs = b"".join(struct.pack(e + "IIQQQQIIQQ", n, t, f, 0, o, s, ln, 0, 1, es) for n, t, f, o, s, ln, es in sh)
    else:
        head = struct.pack(e + "HHIIIIIHHHHHH", 3, 3, 1, 0, 0, shoff, 0, ehsize, 0, 0, 40, len(sh), 5)
        shdrs = b"".join(struct.pack(e + "IIIIIIIIII", n, t, f, 0, o, s, ln, 0, 1, es) for n, t, f, o, s, ln, es in sh)
    ident = b"\x7fELF" + bytes([2 if elfclass == 64 else 1, 1 if little else 2, 1]) + b"\0" * 9
    out = ident + head + b"".join(body)
    return out + b"\0" * (shoff - len(out)) + shdrs


def _reference(entries: list[tuple[int, int, int, int, int, bool]]) -> list[tuple[str, int, int, int, str | None]]:
    """``(name, value, size, bind, file)`` of the entries a symbol table keeps, read one at a time."""
    strtab, offs = _strtab()

    def name_at(o: int) -> str:
        return strtab[o:strtab.index(b"\0", o)].decode() if o < len(strtab) else ""

    out, file = [], None
    for info, shndx, value, size, o, raw in entries:
        name = name_at(o if raw else offs[o % len(offs)])
        kind, bind = info & 0xF, info >> 4
        if kind == 4:  # STT_FILE
            file = name or None
        func = kind in (2, 10) and 0 < shndx < 0xFF00 and value != 0
        label = kind == 0 and shndx == EXEC_SECTION and value != 0 and not name.startswith((".L", "$"))
        if (func or label) and name:
            out.append((name, value, size, bind, file if bind == 0 else None))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(entry, max_size=40), st.sampled_from([32, 64]), st.booleans(), st.sampled_from([".symtab", ".dynsym"]))
def test_symbol_columns_match_entry_by_entry_reading(tmp_path_factory, entries, elfclass, little, section):
    if elfclass == 32:  # 32-bit fields
        entries = [(i, sh, v & 0xFFFFFFFF, s & 0xFFFFFFFF, o, raw) for i, sh, v, s, o, raw in entries]
    path = tmp_path_factory.mktemp("elf") / "x.so"
    path.write_bytes(_elf(entries, elfclass, little, section))
    c = ElfFile(str(path)).symbol_columns(section)
    assert list(zip(c.names, c.values, c.sizes, c.binds, c.files)) == _reference(entries)
    assert c.dynamic == (section == ".dynsym")


raw_symbol = st.builds(
    RawSymbol,
    st.sampled_from(["memcpy", "__memcpy", "__GI_memcpy", "_Z1fv", "_Z1gv", "f", "ff", "_f", "x"]),
    st.sampled_from([0x1000, 0x1010, 0x2000, 0x2004]),  # few addresses: many alias groups
    st.sampled_from([0, 4, 0x10, 0x40]),
    st.sampled_from([0, 1, 2]),  # local, global, weak
    st.booleans(),
    st.sampled_from([None, None, "a.c", "b.c"]),
)


def _reference_table(syms: list[RawSymbol], bounds: list[tuple[int, int]]) -> tuple[list, list, list, dict, dict]:
    """starts, ends, names, files, aliases: every alias group ranked at once with max(key=alias_key)."""
    by_addr: dict[int, list[RawSymbol]] = {}
    for sym in sorted(syms, key=lambda s: s.value):  # stable: input order among equal addresses
        by_addr.setdefault(sym.value, []).append(sym)
    starts = sorted(by_addr)
    names, ends, files, aliases = [], [], {}, {}
    for k, a in enumerate(starts):
        group = by_addr[a]
        best = max(group, key=lambda s: _alias_rank(s.name, s.size, s.bind))
        names.append(best.name)
        if best.file:
            files[a] = best.file
        if len(group) > 1:
            aliases[a] = sorted({s.name for s in group} - {best.name})
        size = max(s.size for s in group)
        if size:
            ends.append(a + size)
        elif all(s.dynamic for s in group):
            ends.append(a + 1)
        elif k + 1 < len(starts):
            ends.append(starts[k + 1])
        else:
            ends.append(next((hi for lo, hi in sorted(bounds) if lo <= a < hi), a + 1))
    return starts, ends, names, files, aliases


@settings(max_examples=300, deadline=None)
@given(st.lists(raw_symbol, max_size=25), st.randoms(use_true_random=False))
def test_alias_groups_ranked_on_first_use_match_ranking_all_at_once(syms, rng):
    _check_table(syms, rng)


#: symbols at many addresses, so that aliases are few (the table drops them by slices rather than by a mask)
sparse_symbol = st.builds(RawSymbol, st.sampled_from(["f", "_Z1gv", "__GI_h", "x"]),
                          st.integers(0x1000, 0x1400).map(lambda a: a & ~3), st.sampled_from([0, 4, 0x10]),
                          st.sampled_from([0, 1, 2]), st.booleans(), st.sampled_from([None, None, "a.c"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(sparse_symbol, min_size=9, max_size=200), st.lists(st.booleans(), min_size=200, max_size=200),
       st.randoms(use_true_random=False))
def test_tables_with_few_aliases_match_ranking_all_at_once(syms, dynamic, rng):
    _check_table(syms, rng)
    # all of one kind (a .dynsym alone, or a .symtab alone): the kind column is not re-joined
    _check_table([s._replace(dynamic=dynamic[0], file=None) for s in syms], rng)


def _check_table(syms: list[RawSymbol], rng) -> None:
    bounds = [(0x1000, 0x3000)]
    starts, ends, names, files, aliases = _reference_table(syms, bounds)
    eager = SymbolTable(syms, bounds, keep_aliases=True)
    assert (list(eager.starts), list(eager.ends), eager.names, eager.files, eager.aliases) == \
        (starts, ends, names, files, aliases)
    assert (eager.start_list, eager.end_list) == (starts, ends)  # the lists the arrays are made from
    lazy = SymbolTable(syms, bounds)  # groups ranked when a name is first asked for, in any order
    order = list(range(len(lazy)))
    rng.shuffle(order)
    assert {i: lazy.name(i) for i in order} == dict(enumerate(names))
    assert lazy.names == names and (list(lazy.starts), list(lazy.ends), lazy.files) == (starts, ends, files)
    assert [lazy.lookup(a) for a in starts] == [(n, a, e - a) for n, a, e in zip(names, starts, ends)]
