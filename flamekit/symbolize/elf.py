"""ELF symbol tables, PT_LOAD address translation and build-ids.

Headers, sections and notes are unpacked with ``struct`` straight from the
(mmapped) file; symbol tables are read as columns (strided views of the
mapped section cast to 16/32/64-bit words, so the entries are not copied;
entries selected by byte masks computed for all of them at once), sorted as
plain ints, and their names stay offsets into the string table (bytes, never
decoded as a whole) until shown (an alias group is ranked when its name is
first shown):
pyelftools builds one object per symbol (6-25x slower) and parses all of
``.gnu.hash`` just to list sections (0.5 s on libLLVM); this loads libLLVM's
35k-symbol ``.dynsym`` in ~0.035 s.  Rules (symbolize.md §3):
STT_FUNC and STT_GNU_IFUNC by number (plus STT_NOTYPE labels in executable
sections, as llvm-symbolizer accepts them), ``st_size`` honoured, zero-size
``.symtab`` symbols extend to the next symbol while zero-size ``.dynsym``
symbols match their exact address only, and several names at one address are
narrowed to one by :func:`alias_key` (perf's ``choose_best_symbol`` order).
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import accumulate, compress, repeat
from operator import add, eq, itemgetter

from .._records import TYPE_CHECKING, NamedTuple
from ..errors import InputError

if TYPE_CHECKING:
    from typing import Any, BinaryIO

STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_FILE, STT_GNU_IFUNC = 0, 1, 2, 4, 10
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
SHN_UNDEF, SHN_LORESERVE = 0, 0xFF00
SHF_EXECINSTR, SHF_COMPRESSED = 0x4, 0x800
SHT_NOBITS = 8
ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD = 1, 2
NT_GNU_BUILD_ID = 3


class Segment(NamedTuple):
    """One PT_LOAD program header: what file bytes map to which vaddrs."""

    offset: int
    vaddr: int
    filesz: int
    memsz: int
    executable: bool


class RawSymbol(NamedTuple):
    """A symbol-table entry as read, before aliases are narrowed."""

    name: str
    value: int
    size: int
    bind: int
    #: ``True`` for ``.dynsym`` entries: a zero size then matches only the exact address
    dynamic: bool
    #: for local symbols, the preceding STT_FILE symbol's name (source file without DWARF)
    file: str | None = None


def alias_key(sym: RawSymbol) -> tuple[int, int, int, int, int, str]:
    """Sort key choosing the best of several names at one address (largest wins).

    perf's ``choose_best_symbol`` order: non-zero size, non-weak, global, fewer
    leading underscores, longer name; glibc's internal ``__GI_`` aliases lose to
    any other name; the name itself breaks remaining ties so the choice is fixed.
    """
    return _alias_rank(sym.name, sym.size, sym.bind)


def _alias_rank(name: str, size: int, bind: int) -> tuple[int, int, int, int, int, str]:
    underscores = len(name) - len(name.lstrip("_"))
    return (
        0 if name.startswith("__GI_") else 1,
        1 if size else 0,
        0 if bind == STB_WEAK else 1,
        1 if bind == STB_GLOBAL else 0,
        -underscores,
        len(name),
        name,
    )


class StringTable:
    """An ELF string table whose entries are decoded on demand (most symbols are never shown).

    Entries are read from the table's bytes up to their NUL (or the table's
    end) and decoded as UTF-8 with surrogateescape (lossless); the table as
    a whole is never decoded (libLLVM's is 3 MB, of which 100k addresses
    show a third).
    """

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def at(self, off: int) -> str:
        """The entry starting at byte offset ``off`` ('' past the end)."""
        raw = self.raw
        end = raw.find(0, off)  # an int needle: no buffer to take, ~half the time of b"\0" per call
        return raw[off:end if end >= 0 else len(raw)].decode("utf-8", "surrogateescape")

    @classmethod
    def of(cls, names: list[str]) -> tuple[StringTable, list[int]]:
        """A table holding ``names``, and their offsets."""
        raws = [n.encode("utf-8", "surrogateescape") for n in names]
        offs = list(accumulate((len(r) + 1 for r in raws), initial=0))[:-1]
        return cls(b"\0".join(raws) + b"\0"), offs

    @classmethod
    def join(cls, tables: list[StringTable]) -> tuple[StringTable, list[int]]:
        """One table of several, and the offset each starts at."""
        if len(tables) == 1:
            return tables[0], [0]
        bases = list(accumulate((len(t.raw) for t in tables), initial=0))[:-1]
        return cls(b"".join(t.raw for t in tables)), bases


class SymbolColumns(NamedTuple):
    """Function symbols of one table as parallel columns (no object per symbol).

    Names are offsets into ``strings``; ``files[i]`` is the preceding STT_FILE
    name for local symbols, else None; ``dynamic`` is True for ``.dynsym`` (a
    zero size then matches only the exact address).
    """

    name_offs: list[int]
    values: list[int]
    sizes: list[int]
    binds: list[int]
    files: list[str | None]
    dynamic: bool
    strings: StringTable

    @property
    def names(self) -> list[str]:
        at = self.strings.at
        return [at(o) for o in self.name_offs]

    @classmethod
    def of(cls, symbols: Iterable[RawSymbol]) -> list[SymbolColumns]:
        """Columns from :class:`RawSymbol` objects (one column set per ``dynamic`` value, input order kept)."""
        out: list[SymbolColumns] = []
        runs: list[list[RawSymbol]] = []
        for sym in symbols:
            if not runs or runs[-1][0].dynamic != sym.dynamic:
                runs.append([])
            runs[-1].append(sym)
        for run in runs:
            strings, offs = StringTable.of([sym.name for sym in run])
            out.append(cls(offs, [sym.value for sym in run], [sym.size for sym in run], [sym.bind for sym in run],
                           [sym.file for sym in run], run[0].dynamic, strings))
        return out


class SymbolTable:
    """Sorted, non-overlapping-by-start function symbols with bisect lookup.

    ``starts``/``ends`` are ``array('Q')`` in ELF virtual-address space;
    ``names`` are the raw (mangled) names, decoded losslessly.
    """

    __slots__ = ("_arrays", "_columns", "_groups", "_names", "_offs", "_strings", "aliases", "end_list", "files",
                 "start_list")

    def __init__(self, symbols: Iterable[RawSymbol], section_ends: list[tuple[int, int]] | None = None,
                 keep_aliases: bool = False) -> None:
        self._build(SymbolColumns.of(symbols), section_ends, keep_aliases)

    @classmethod
    def from_columns(cls, columns: list[SymbolColumns], section_ends: list[tuple[int, int]] | None = None,
                     keep_aliases: bool = False) -> SymbolTable:
        """The table of several symbol tables' columns (earlier tables first among equal addresses)."""
        t = cls.__new__(cls)
        t._build(columns, section_ends, keep_aliases)
        return t

    def _build(self, columns: list[SymbolColumns], section_ends: list[tuple[int, int]] | None,
               keep_aliases: bool) -> None:
        # one flat list per field; a symbol is its index, and the work is done by C-level
        # sort/itemgetter/compress over plain ints (35k libLLVM symbols: no object per symbol)
        strings, bases = StringTable.join([c.strings for c in columns])
        offs: list[int] = []
        values: list[int] = []
        sizes: list[int] = []
        binds: list[int] = []
        files: list[str | None] = []
        dynamic = bytearray()
        for c, base in zip(columns, bases, strict=True):
            offs += map(add, c.name_offs, repeat(base)) if base else c.name_offs
            values += c.values
            sizes += c.sizes
            binds += c.binds
            files += c.files
            dynamic += (b"\1" if c.dynamic else b"\0") * len(c.values)
        order = sorted(range(len(values)), key=values.__getitem__)  # stable: input order among equal addresses
        take = _take(order)
        starts = take(values)
        size_at = take(sizes)
        off_at = take(offs)  # per start: the name shown (-1: an alias group's, chosen when first shown)
        # one symbol table (or all of one kind): the column reads the same in any order
        uniform = dynamic.count(0) in (0, len(dynamic))
        dyn_at = dynamic if uniform else bytearray(take(dynamic))
        file_at = take(files) if any(files) else None
        self._strings = strings
        self.aliases = {}
        self._groups: dict[int, list[int]] = {}  # table index -> its alias group's entries, not ranked yet
        self._columns: tuple[list[int], list[int], list[int]] | None = (offs, sizes, binds)
        dups = list(compress(range(1, len(starts)), map(eq, starts[1:], starts)))  # positions equal to their predecessor
        if dups:  # several names at one address: one wins (alias_key), the widest size and any .symtab count
            # the winner's name only matters when it is shown: most groups are ranked on first use
            # (name()), unless the aliases are kept or a winner's STT_FILE is needed now
            now = keep_aliases or file_at is not None
            groups = self._groups
            gone = 0  # entries of earlier groups dropped: a group's index in the final table is first - gone
            for first, last in _runs(dups):
                group = order[first:last]
                if now:
                    pick, names = self._choose(group)
                    off_at[first] = offs[pick]
                    if file_at is not None:
                        file_at[first] = files[pick]
                    if keep_aliases:
                        self.aliases[starts[first]] = sorted(set(names) - {names[group.index(pick)]})
                else:
                    off_at[first] = -1
                    groups[first - gone] = group
                size_at[first] = max(size_at[first:last])
                if not uniform:  # (all of one kind: the group's is that kind)
                    dyn_at[first] = all(dyn_at[first:last])
                gone += last - first - 1
            # the first of each group is kept.  Few duplicates (libLLVM's .dynsym: 1.5k of 35k): the columns
            # are cut into the spans between them and joined again, a slice per group instead of a test per
            # entry; many (a .dynsym merged with its .symtab: most entries twice) are dropped by a mask
            if 8 * len(dups) < len(starts):
                spans = list(map(slice, [0, *map((1).__add__, dups)], [*dups, len(starts)]))
                keep: Callable[[list[Any]], list[Any]] = partial(_spans, spans=spans)
                dyn_at = dyn_at[:len(starts) - len(dups)] if uniform else \
                    bytearray().join(map(dyn_at.__getitem__, spans))
            else:
                mask = bytearray(b"\1") * len(starts)
                for k in dups:
                    mask[k] = 0
                keep = partial(_masked, mask=mask)
                dyn_at = bytearray(compress(dyn_at, mask))
            starts, off_at, size_at = keep(starts), keep(off_at), keep(size_at)
            if file_at is not None:
                file_at = keep(file_at)
        # new int objects, made in address order (as main's array -> tolist() made them): the entries' own were
        # made in symbol-table order (hash order for .dynsym) and lie scattered in memory, so each bisect step
        # of the names path missed the caches (100k libLLVM addresses: ~5 % more CPU with 7 % fewer instructions)
        starts = array("Q", starts).tolist()
        ends = list(map(add, starts, size_at))
        bounds = sorted(section_ends or [])
        last = len(starts) - 1
        for k in _where(size_at, 0):  # the zero-size symbols (list.index in C: a few among many)
            if dyn_at[k]:  # .dynsym zero-size symbol: its exact address only
                ends[k] = starts[k] + 1
            else:  # .symtab zero-size symbol: runs to the next symbol (or its section's end)
                ends[k] = starts[k + 1] if k < last else _section_end(bounds, starts[k])
        # plain lists: the names-only path bisects them as they are; the arrays are made on first use
        self.start_list = starts
        self.end_list = ends
        self._arrays: tuple[array, array] | None = None
        self._offs = off_at
        self._names: list[str] | None = None
        self.files = {starts[k]: f for k, f in enumerate(file_at) if f} if file_at is not None else {}
        if not self._groups:
            self._columns = None  # nothing left to rank

    def _choose(self, group: list[int]) -> tuple[int, list[str]]:
        """The entry shown for an alias group (entry indexes, input order), and the group's names."""
        offs, sizes, binds = self._columns  # type: ignore[misc]
        at = self._strings.at
        # one rank tuple per name (its last item is the name); max() of a list of them in C,
        # and the first best one wins as max(group, key=...) would choose it
        ranks = [_alias_rank(at(offs[g]), sizes[g], binds[g]) for g in group]
        return group[ranks.index(max(ranks))], [r[-1] for r in ranks]

    @property
    def starts(self) -> array:
        """Symbol start addresses, ascending, as ``array('Q')`` (:attr:`start_list` as a list)."""
        return (self._arrays or self._make_arrays())[0]

    @property
    def ends(self) -> array:
        """Symbol end addresses (exclusive), as ``array('Q')`` (:attr:`end_list` as a list)."""
        return (self._arrays or self._make_arrays())[1]

    def _make_arrays(self) -> tuple[array, array]:
        self._arrays = array("Q", self.start_list), array("Q", self.end_list)
        return self._arrays

    def __len__(self) -> int:
        return len(self.start_list)

    def name(self, i: int) -> str:
        """The raw name of symbol ``i``, decoded on first use."""
        if self._names is not None:
            return self._names[i]
        off = self._offs[i]
        if off < 0:  # an alias group not ranked yet
            off = self._offs[i] = self._columns[0][self._choose(self._groups.pop(i))[0]]  # type: ignore[index]
        # StringTable.at written out: called once per symbol shown (12.7k for 100k libLLVM addresses), where
        # a second Python call was a tenth of the name's cost
        raw = self._strings.raw
        end = raw.find(0, off)
        return raw[off:end if end >= 0 else len(raw)].decode("utf-8", "surrogateescape")

    @property
    def names(self) -> list[str]:
        """All raw (mangled) names, in table order (decoded once, on first use)."""
        if self._names is None:
            self._names = [self.name(i) for i in range(len(self._offs))]
        return self._names

    def lookup(self, vaddr: int) -> tuple[str, int, int] | None:
        """``(name, start, size)`` of the symbol covering ``vaddr``, or None."""
        starts, ends = self.start_list, self.end_list
        i = bisect_right(starts, vaddr) - 1
        if i < 0 or vaddr >= ends[i]:
            return None
        start = starts[i]
        return self.name(i), start, ends[i] - start


def _runs(dups: list[int]) -> list[tuple[int, int]]:
    """``[first, last)`` position runs of equal addresses, from the positions equal to their predecessor."""
    runs: list[tuple[int, int]] = []
    for k in dups:
        if runs and runs[-1][1] == k:
            runs[-1] = (runs[-1][0], k + 1)
        else:
            runs.append((k - 1, k + 1))
    return runs


def _spans(seq: list[Any], spans: list[slice]) -> list[Any]:
    """The items of ``seq`` in ``spans``, in order, as one list."""
    out: list[Any] = []
    for span in spans:  # list += list: the items copied by memcpy, no iteration per item
        out += seq[span]
    return out


def _masked(seq: list[Any], mask: bytearray) -> list[Any]:
    """The items of ``seq`` whose ``mask`` byte is 1."""
    return list(compress(seq, mask))


def _section_end(bounds: list[tuple[int, int]], addr: int) -> int:
    for lo, hi in bounds:
        if lo <= addr < hi:
            return hi
    return addr + 1


_K_FUNC, _K_NOTYPE, _K_FILE = 1, 2, 3
#: st_info byte -> 1 function (STT_FUNC, STT_GNU_IFUNC), 2 STT_NOTYPE, 3 STT_FILE, 0 anything else
_SYMBOL_KIND = bytes(_K_FUNC if b & 0xF in (STT_FUNC, STT_GNU_IFUNC) else _K_NOTYPE if b & 0xF == STT_NOTYPE
                     else _K_FILE if b & 0xF == STT_FILE else 0 for b in range(256))
#: st_info byte -> its binding
_BIND = bytes(b >> 4 for b in range(256))


def _only(kind: int) -> bytes:
    """A ``bytes.translate`` table keeping one symbol kind (1) and clearing the others (0)."""
    return bytes(1 if k == kind else 0 for k in range(256))


_ONLY_FUNC = _only(_K_FUNC)


def _where(data: bytes | list[int], item: int) -> list[int]:
    """Positions of ``item`` in ``data``, found by ``find``/``index`` (in C) rather than a loop over every item."""
    out: list[int] = []
    find = data.find if isinstance(data, bytes) else data.index
    try:
        i = find(item)
        while i >= 0:
            out.append(i)
            i = find(item, i + 1)
    except ValueError:  # list.index: no more
        pass
    return out


#: byte -> 0 for 0xFF (the high byte of a reserved section index), else 1
_NOT_FF = bytes([1] * 255 + [0])
#: byte -> 1 when non-zero
_BOOL = bytes([0] + [1] * 255)


def _bits(flags: bytes) -> int:
    """0/1 bytes as one int (byte k of the int is flag k), to be and-ed with others in C."""
    return int.from_bytes(flags, "little")


def _take(idx: list[int]) -> Callable[[Sequence[Any]], list[Any]]:
    """``seq -> [seq[i] for i in idx]`` done by ``itemgetter`` in C (twice as fast as ``map(seq.__getitem__, idx)``)."""
    if len(idx) < 2:
        return lambda seq: [seq[i] for i in idx]
    get = itemgetter(*idx)
    return lambda seq: list(get(seq))


def _array(code: str, data: bytes, swap: bool) -> array:
    a = array(code, data)
    if swap:
        a.byteswap()
    return a


def _mmap(path: str) -> tuple[BinaryIO, mmap.mmap | bytes]:
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise InputError(path, None, "no such file") from None
    except OSError as e:
        raise InputError(path, None, f"cannot open: {e.strerror or e}") from None
    try:
        m: mmap.mmap | bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (ValueError, OSError):
        m = f.read()
    return f, m


class Section:
    """One section header (the fields symbolization needs).

    A plain class (not a NamedTuple: a field is called ``index``, which
    would shadow ``tuple.index``; not a dataclass: see :class:`LoadedModule`).
    """

    __slots__ = ("addr", "flags", "index", "link", "name", "offset", "size", "type")

    def __init__(self, index: int, name: str, type: int, flags: int, addr: int, offset: int, size: int,
                 link: int) -> None:
        self.index, self.name, self.type, self.flags = index, name, type, flags
        self.addr, self.offset, self.size, self.link = addr, offset, size, link

    def __repr__(self) -> str:
        return (f"Section(index={self.index}, name={self.name!r}, type={self.type}, flags={self.flags}, "
                f"addr={self.addr}, offset={self.offset}, size={self.size}, link={self.link})")


SHT_SYMTAB, SHT_NOTE, SHT_DYNSYM = 2, 7, 11
PT_LOAD = 1


class ElfFile:
    """One ELF file opened for symbolization: segments, sections, build-id, symbols.

    Raises :class:`InputError` naming the file when it is not a usable ELF file.
    """

    def __init__(self, path: str, data: bytes | None = None) -> None:
        self.path = path
        if data is not None:
            self._file: BinaryIO | None = None
            self._map: Any = data
        else:
            self._file, self._map = _mmap(path)
        if self._map[:4] != b"\x7fELF":
            raise InputError(path, None, "not an ELF file")
        try:
            self._parse_headers()
        except (struct.error, ValueError, IndexError, OverflowError, UnicodeDecodeError) as e:
            raise InputError(path, None, f"malformed ELF file: {e}") from None
        self.build_id = self._read_build_id()

    def _parse_headers(self) -> None:
        m = self._map
        ei_class, ei_data = m[4], m[5]
        if ei_class not in (1, 2) or ei_data not in (1, 2):
            raise ValueError("bad ELF class or data encoding")
        self.elfclass = 64 if ei_class == 2 else 32
        self.little = ei_data == 1
        e = "<" if self.little else ">"
        if self.elfclass == 64:
            (e_type, _m, _v, _entry, phoff, shoff, _fl, _eh, phentsize, phnum, shentsize, shnum,
             shstrndx) = struct.unpack_from(e + "HHIQQQIHHHHHH", m, 16)
            ph_fmt, sh_fmt = e + "IIQQQQQQ", e + "IIQQQQIIQQ"
        else:
            (e_type, _m, _v, _entry, phoff, shoff, _fl, _eh, phentsize, phnum, shentsize, shnum,
             shstrndx) = struct.unpack_from(e + "HHIIIIIHHHHHH", m, 16)
            ph_fmt, sh_fmt = e + "IIIIIIII", e + "IIIIIIIIII"
        self.is_exec = e_type == 2
        self.segments: list[Segment] = []
        for i in range(phnum if phoff else 0):
            t = struct.unpack_from(ph_fmt, m, phoff + i * phentsize)
            if self.elfclass == 64:
                p_type, p_flags, p_offset, p_vaddr, _pa, p_filesz, p_memsz, _al = t
            else:
                p_type, p_offset, p_vaddr, _pa, p_filesz, p_memsz, p_flags, _al = t
            if p_type == PT_LOAD:
                self.segments.append(Segment(p_offset, p_vaddr, p_filesz, p_memsz, bool(p_flags & 1)))
        raw = []
        if shoff and shnum == 0 and shentsize:
            shnum = struct.unpack_from(sh_fmt, m, shoff)[5]  # real count in section 0's sh_size
        for i in range(shnum if shoff else 0):
            raw.append(struct.unpack_from(sh_fmt, m, shoff + i * shentsize))
        names_at = raw[shstrndx] if 0 < shstrndx < len(raw) else None
        self.section_list: list[Section] = []
        self.sections: dict[str, Section] = {}
        for i, t in enumerate(raw):
            sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link = t[:7]
            name = ""
            if names_at is not None:
                base = names_at[4] + sh_name
                end = m.find(b"\0", base, names_at[4] + names_at[5])
                name = bytes(m[base:end if end >= 0 else base]).decode("utf-8", "surrogateescape")
            sec = Section(i, name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link)
            self.section_list.append(sec)
            self.sections.setdefault(name, sec)

    # -- structure ------------------------------------------------------------
    def section_bytes(self, name: str) -> bytes | None:
        """Contents of a section (decompressed), None when absent or NOBITS."""
        sec = self.sections.get(name)
        return None if sec is None else self._section_data(sec)

    def _section_data(self, sec: Section) -> bytes | None:
        if sec.type == SHT_NOBITS:
            return None
        data = bytes(self._map[sec.offset:sec.offset + sec.size])
        if sec.flags & SHF_COMPRESSED:
            e = "<" if self.little else ">"
            try:
                if self.elfclass == 64:
                    ctype, _res, _size, _align = struct.unpack_from(e + "IIQQ", data, 0)
                    hdr = 24
                else:
                    ctype, _size, _align = struct.unpack_from(e + "III", data, 0)
                    hdr = 12
            except struct.error:
                raise InputError(self.path, None, f"section {sec.name}: truncated compression header") from None
            if ctype == ELFCOMPRESS_ZSTD:
                raise InputError(self.path, None, f"section {sec.name} is zstd-compressed, which is not supported")
            if ctype != ELFCOMPRESS_ZLIB:
                raise InputError(self.path, None, f"section {sec.name} has unknown compression {ctype}")
            try:
                return zlib.decompress(data[hdr:])
            except zlib.error as err:
                raise InputError(self.path, None, f"section {sec.name}: bad zlib data: {err}") from None
        return data

    def _read_build_id(self) -> str | None:
        for sec in self.section_list:
            if sec.type != SHT_NOTE:
                continue
            bid = _build_id_from_notes(self._section_data(sec) or b"", self.little)
            if bid:
                return bid
        return None

    @property
    def debuglink(self) -> tuple[str, int] | None:
        """``(file name, CRC32)`` from ``.gnu_debuglink``, if any."""
        data = self.section_bytes(".gnu_debuglink")
        if not data or b"\0" not in data:
            return None
        name = data[: data.index(b"\0")]
        crc_at = (len(name) + 4) & ~3
        if crc_at + 4 > len(data):
            return None
        crc = struct.unpack_from("<I" if self.little else ">I", data, crc_at)[0]
        return name.decode("utf-8", "surrogateescape"), crc

    @property
    def has_symtab(self) -> bool:
        sec = self.sections.get(".symtab")
        return sec is not None and sec.type != SHT_NOBITS

    @property
    def has_dwarf(self) -> bool:
        sec = self.sections.get(".debug_info") or self.sections.get(".zdebug_info")
        return sec is not None and sec.type != SHT_NOBITS

    # -- address translation -------------------------------------------------
    def file_offset_to_vaddr(self, off: int) -> int | None:
        """The vaddr of file offset ``off`` through the PT_LOAD containing it."""
        for seg in self.segments:
            if seg.offset <= off < seg.offset + seg.filesz:
                return off - seg.offset + seg.vaddr
        return None

    def absolute_to_vaddr(self, addr: int, map_start: int, map_pgoff: int) -> int | None:
        """Translate a live address in mapping ``[map_start, ...) pgoff`` (symbolize.md §1)."""
        return self.file_offset_to_vaddr(addr - map_start + map_pgoff)

    def perf_offset_to_vaddr(self, off: int) -> int:
        """perf script's dso-relative callchain address (file-offset based) to a vaddr.

        perf prints ``ip - map_start + pgoff`` for DSOs; for ET_EXEC it prints
        the vaddr itself, which we recognise because it lies in a PT_LOAD's vaddrs.
        """
        if self.is_exec:
            for seg in self.segments:
                if seg.vaddr <= off < seg.vaddr + seg.memsz:
                    return off
        v = self.file_offset_to_vaddr(off)
        return off if v is None else v

    # -- symbols ---------------------------------------------------------------
    def raw_symbols(self, section: str) -> list[RawSymbol]:
        """Function symbols of ``.symtab`` or ``.dynsym`` as objects (see :meth:`symbol_columns`)."""
        c = self.symbol_columns(section)
        return [RawSymbol(n, v, s, b, c.dynamic, f) for n, v, s, b, f in zip(c.names, c.values, c.sizes, c.binds,
                                                                          c.files)]

    def symbol_columns(self, section: str) -> SymbolColumns:
        """Function symbols of ``.symtab`` or ``.dynsym``, as columns.

        The fixed-size fields are sliced out of the whole section at once
        (strided views of the entries cast to words), so Python code
        runs only for the function entries, not for every entry; it keeps
        STT_FUNC/STT_GNU_IFUNC, and STT_NOTYPE labels in executable sections
        (not ``.L``/``$`` local labels), defined and non-zero.
        """
        dynamic = section == ".dynsym"
        out = SymbolColumns([], [], [], [], [], dynamic, StringTable(b""))
        sec = self.sections.get(section)
        if sec is None or sec.type == SHT_NOBITS:
            return out
        at = self._section_at(sec)
        if not 0 < sec.link < len(self.section_list):
            raise InputError(self.path, None, f"bad string table link of {section}")
        strtab = self._section_data(self.section_list[sec.link])
        if at is None or strtab is None:
            return out
        data, base, size = at
        strings = StringTable(strtab)
        esize = 24 if self.elfclass == 64 else 16
        n = size // esize
        stop = base + n * esize
        name_col, shndx_col, value_col, size_col = self._entry_fields(data, base, n)

        def column(offset: int) -> bytes:  # byte ``offset`` of every entry
            return data[base + offset:stop:esize]

        def nonzero(offset: int, width: int) -> int:
            """Per entry, 1 when its ``width``-byte field at ``offset`` is non-zero (as :func:`_bits`).

            The field's byte columns are or-ed as ints, whatever the byte order.
            """
            acc = 0
            for j in range(width):
                acc |= int.from_bytes(column(offset + j), "little")
            return _bits(acc.to_bytes(n, "little").translate(_BOOL))

        if self.elfclass == 64:  # st_name I, st_info B, st_other B, st_shndx H, st_value Q, st_size Q
            info_at, shndx_at, value_at, value_width = 4, 6, 8, 8
        else:  # st_name I, st_value I, st_size I, st_info B, st_other B, st_shndx H
            info_at, shndx_at, value_at, value_width = 12, 14, 4, 4
        infos = column(info_at)
        kinds = infos.translate(_SYMBOL_KIND)
        has_notype, has_file = _K_NOTYPE in kinds, _K_FILE in kinds
        # one 0/1 byte per entry, tested on the fields' bytes for all entries at once (ints made of
        # byte columns, and-ed in C): a function, defined in a section (0 < st_shndx < SHN_LORESERVE,
        # whose high byte is then not 0xFF) at a non-zero value
        top_byte = column(shndx_at + (1 if self.little else 0))
        keep_bits = (_bits(kinds.translate(_ONLY_FUNC)) & nonzero(shndx_at, 2)
                     & _bits(top_byte.translate(_NOT_FF)) & nonzero(value_at, value_width))
        mask = bytearray(keep_bits.to_bytes(n, "little"))
        if has_notype:  # labels count only in executable sections, and not .L/$ local labels
            exec_secs = self._exec_section_indexes()
            for i in _where(kinds, _K_NOTYPE):  # (bytes.find: no int made per entry of the section)
                if shndx_col[i] in exec_secs and value_col[i] and not strtab.startswith((b".L", b"$"), name_col[i]):
                    mask[i] = 1
        name_offs = list(compress(name_col, mask))
        # unnamed entries are not functions: found by their first byte (0 past the end)
        if name_offs and max(name_offs) >= len(strtab):
            firsts = bytes(strtab[o] if o < len(strtab) else 0 for o in name_offs)
        else:
            firsts = bytes(_take(name_offs)(strtab))
        drop = _where(firsts, 0)
        if drop:
            kept = list(compress(range(n), mask))
            for k in drop:
                mask[kept[k]] = 0
            name_offs = list(compress(name_col, mask))
        binds = list(compress(infos.translate(_BIND), mask))
        files: list[str | None] = [None] * len(name_offs)
        if has_file:  # a local symbol belongs to the STT_FILE entry before it
            at_file = _where(kinds, _K_FILE)
            file_names = [strings.at(name_col[i]) or None for i in at_file]
            for k, i in enumerate(compress(range(n), mask)):
                if not binds[k]:
                    f = bisect_right(at_file, i) - 1
                    files[k] = file_names[f] if f >= 0 else None
        return SymbolColumns(name_offs, list(compress(value_col, mask)), list(compress(size_col, mask)), binds,
                             files, dynamic, strings)

    def _section_at(self, sec: Section) -> tuple[bytes | mmap.mmap, int, int] | None:
        """A section's contents as ``(buffer, offset, size)``: the file's own mapping when it is stored
        uncompressed (no copy), else its (decompressed) bytes; None when NOBITS."""
        if sec.type == SHT_NOBITS:
            return None
        if sec.flags & SHF_COMPRESSED:
            data = self._section_data(sec)
            return None if data is None else (data, 0, len(data))
        size = max(0, min(sec.size, len(self._map) - sec.offset))
        return self._map, min(sec.offset, len(self._map)), size

    def _entry_fields(self, data: bytes | mmap.mmap, base: int, n: int) -> tuple[list[int], ...]:
        """st_name, st_shndx, st_value and st_size of ``n`` symbol entries at ``base``, as lists.

        Strided views of the entries cast to 16/32/64-bit words: no copy of
        the section (only a file of the other byte order is copied, to swap).
        """
        esize = 24 if self.elfclass == 64 else 16
        if self.little != (sys.byteorder == "little"):
            raw = bytes(data[base:base + n * esize])
            words, half = _array("I", raw, True), _array("H", raw, True)
            return self._fields_of(words, half, _array("Q", raw, True) if self.elfclass == 64 else words)
        with memoryview(data) as whole, whole[base:base + n * esize] as view, view.cast("I") as words, \
                view.cast("H") as half, view.cast("Q" if self.elfclass == 64 else "I") as longs:
            return self._fields_of(words, half, longs)

    def _fields_of(self, words: Any, half: Any, longs: Any) -> tuple[list[int], ...]:
        if self.elfclass == 64:  # st_name I, st_info B, st_other B, st_shndx H, st_value Q, st_size Q
            return words[0::6].tolist(), half[3::12].tolist(), longs[1::3].tolist(), longs[2::3].tolist()
        # st_name I, st_value I, st_size I, st_info B, st_other B, st_shndx H
        return words[0::4].tolist(), half[7::8].tolist(), words[1::4].tolist(), words[2::4].tolist()

    def _exec_section_indexes(self) -> set[int]:
        return {s.index for s in self.section_list if s.flags & SHF_EXECINSTR}

    def exec_ranges(self) -> list[tuple[int, int]]:
        """``[lo, hi)`` vaddr ranges of executable sections (bounds for zero-size symbols)."""
        return [(s.addr, s.addr + s.size) for s in self.section_list if s.flags & SHF_EXECINSTR]

    def minidebuginfo(self) -> ElfFile | None:
        """The xz-compressed ELF in ``.gnu_debugdata`` (MiniDebugInfo), parsed."""
        data = self.section_bytes(".gnu_debugdata")
        if not data:
            return None
        import lzma

        try:
            inner = lzma.decompress(data)
        except lzma.LZMAError as e:
            raise InputError(self.path, None, f"bad .gnu_debugdata (MiniDebugInfo): {e}") from None
        return ElfFile(self.path + "[.gnu_debugdata]", data=inner)

    def close(self) -> None:
        if isinstance(self._map, mmap.mmap):
            self._map.close()
        if self._file is not None:
            self._file.close()


def _build_id_from_notes(data: bytes, little: bool) -> str | None:
    fmt = "<III" if little else ">III"
    pos = 0
    while pos + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from(fmt, data, pos)
        pos += 12
        name = data[pos: pos + namesz]
        pos += (namesz + 3) & ~3
        desc = data[pos: pos + descsz]
        pos += (descsz + 3) & ~3
        if ntype == NT_GNU_BUILD_ID and name.rstrip(b"\0") == b"GNU":
            return desc.hex()
    return None


def file_crc32(path: str) -> int:
    """zlib CRC-32 of a whole file, as ``.gnu_debuglink`` records it."""
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc & 0xFFFFFFFF


DEFAULT_DEBUG_DIRS = ("/usr/lib/debug",)


def debug_file_candidates(path: str, build_id: str | None, debuglink: tuple[str, int] | None,
                          debug_dirs: Iterable[str] = DEFAULT_DEBUG_DIRS) -> list[tuple[str, str]]:
    """Where a separate debug file may be, in search order (perf, blazesym): ``(path, why)``."""
    dirs = list(debug_dirs)
    out: list[tuple[str, str]] = []
    if build_id and len(build_id) > 2:
        head, rest = build_id[:2], build_id[2:]
        out.append((os.path.expanduser(f"~/.debug/.build-id/{head}/{rest}/debug"), "build-id"))
        for d in dirs:
            out.append((os.path.join(d, ".build-id", head, rest + ".debug"), "build-id"))
    if debuglink:
        name = debuglink[0]
        here = os.path.dirname(os.path.abspath(path))
        out.append((os.path.join(here, name), "debuglink"))
        out.append((os.path.join(here, ".debug", name), "debuglink"))
        for d in dirs:
            out.append((os.path.join(d, here.lstrip("/"), name), "debuglink"))
    for d in dirs:
        out.append((os.path.join(d, os.path.abspath(path).lstrip("/") + ".debug"), "path"))
    return out


class LoadedModule:
    """A runtime ELF file together with its separate debug file, if found.

    ``symbols`` merges the runtime ``.dynsym`` with the best ``.symtab``
    available (own, debug file's, or MiniDebugInfo's); ``dwarf_file`` is the
    ELF that carries DWARF, if any.  (A plain class, not a dataclass:
    ``addr2line`` imports this module at start-up, and ``dataclasses`` brings
    ``inspect`` and ``ast``.)
    """

    __slots__ = ("debug", "runtime", "symbol_sources", "symbols")

    def __init__(self, runtime: ElfFile, debug: ElfFile | None = None, symbols: SymbolTable | None = None,
                 symbol_sources: list[str] | None = None) -> None:
        self.runtime = runtime
        self.debug = debug
        self.symbols = SymbolTable([]) if symbols is None else symbols
        self.symbol_sources = [] if symbol_sources is None else symbol_sources

    def __repr__(self) -> str:
        return (f"LoadedModule(runtime={self.runtime.path!r}, debug={self.debug and self.debug.path!r}, "
                f"symbols={len(self.symbols)}, symbol_sources={self.symbol_sources!r})")

    @property
    def dwarf_file(self) -> ElfFile | None:
        if self.debug is not None and self.debug.has_dwarf:
            return self.debug
        return self.runtime if self.runtime.has_dwarf else None


def find_debug_file(elf: ElfFile, debug_dirs: Iterable[str] = DEFAULT_DEBUG_DIRS) -> ElfFile | None:
    """The separate debug file matching ``elf`` by build-id or CRC-checked debuglink."""
    link = elf.debuglink
    for cand, why in debug_file_candidates(elf.path, elf.build_id, link, debug_dirs):
        if not os.path.isfile(cand) or os.path.realpath(cand) == os.path.realpath(elf.path):
            continue
        if why == "debuglink" and link is not None and file_crc32(cand) != link[1]:
            continue
        try:
            dbg = ElfFile(cand)
        except InputError:
            continue
        if elf.build_id and dbg.build_id and dbg.build_id != elf.build_id:
            dbg.close()
            continue
        return dbg
    return None


def load_module(path: str, debug_dirs: Iterable[str] = DEFAULT_DEBUG_DIRS, use_debug: bool = True,
                keep_aliases: bool = False) -> LoadedModule:
    """Open ``path``, find its debug file, and build the merged symbol table."""
    rt = ElfFile(path)
    mod = LoadedModule(rt)
    if use_debug and not (rt.has_symtab and rt.has_dwarf):
        mod.debug = find_debug_file(rt, debug_dirs)
    dyn = rt.symbol_columns(".dynsym")
    columns = [dyn]
    if dyn.values:
        mod.symbol_sources.append(".dynsym")
    bounds = rt.exec_ranges()
    symtab_from = None
    if rt.has_symtab:
        symtab_from = rt
    elif mod.debug is not None and mod.debug.has_symtab:
        symtab_from = mod.debug
    if symtab_from is not None:
        columns.append(symtab_from.symbol_columns(".symtab"))
        mod.symbol_sources.append(".symtab" if symtab_from is rt else f".symtab of {symtab_from.path}")
    else:
        mini = rt.minidebuginfo()
        if mini is not None:
            columns.append(mini.symbol_columns(".symtab"))
            mod.symbol_sources.append(".gnu_debugdata")
    mod.symbols = SymbolTable.from_columns(columns, bounds, keep_aliases)
    return mod
