"""DWARF file:line and inline chains, decoded lazily per compile unit.

Only the CUs that contain a looked-up address are decoded (found through the
CUs' own ranges), and each CU's line table and function/inline tree is
cached.  Decoding is done by :mod:`.dwarf_info` and :mod:`.dwarf_lines`,
which read the section bytes directly (pyelftools' object-per-DIE and
object-per-row decoding was 20-50x slower on glibc).  Frames come innermost first, outermost last
(pprof ``Line[]`` order, llvm-symbolizer's order): the innermost frame's
file:line is the line-table row, each outer frame's file:line is the call site
(``DW_AT_call_file``/``DW_AT_call_line``) of the frame inside it.

Naming policy (symbolize.md §7): function names are the linkage name,
demangled, else the plain name; the *outermost* frame is renamed to the ELF
symbol-table name by the caller when one covers the address, exactly as
llvm-symbolizer does, so clone suffixes (``.constprop.0``, ``.cold``) and
IFUNC resolver names agree with it.
"""

from __future__ import annotations

import struct
from bisect import bisect_right

from ..errors import InputError
from ..gcpause import no_gc
from .demangle import demangle
from .dwarf_info import DebugInfo, Scope, Unit
from .dwarf_lines import LineTable, cstr, decode_line_program
from .elf import ElfFile
from .frame import Frame

_ERRORS = (IndexError, ValueError, struct.error, KeyError, OverflowError)


_frame = tuple.__new__


class Dwarf:
    """Line tables and inline trees of one ELF file carrying DWARF."""

    def __init__(self, elf: ElfFile, demangle_names: bool = True) -> None:
        self.elf = elf
        self.demangle_names = demangle_names
        try:
            self.info = DebugInfo(elf.section_bytes, elf.little)
            self.debug_line = elf.section_bytes(".debug_line") or b""
        except _ERRORS as e:
            raise InputError(elf.path, None, f"cannot read DWARF: {e}") from None
        spans = sorted((lo, hi, i) for i, u in enumerate(self.info.units) for lo, hi in u.ranges)
        self._los = [s[0] for s in spans]
        self._his = [s[1] for s in spans]
        self._idx = [s[2] for s in spans]
        self._lines: dict[int, LineTable | None] = {}
        self._scopes: dict[int, tuple[list[int], list[tuple[int, Scope]]]] = {}
        self._names: dict[int, str] = {}
        self._line_strings: dict[tuple[int, int], bytes] = {}

    def unit_for(self, addr: int) -> Unit | None:
        i = bisect_right(self._los, addr) - 1
        # spans of different CUs can nest (rare); look back a little
        for j in range(i, max(i - 8, -1), -1):
            if self._los[j] <= addr < self._his[j]:
                return self.info.units[self._idx[j]]
        return None

    def _line_table(self, u: Unit) -> LineTable | None:
        if u.offset in self._lines:
            return self._lines[u.offset]
        table = None
        if u.stmt_list is not None:
            with no_gc():
                try:
                    table = decode_line_program(self.debug_line, u.stmt_list, u.comp_dir, self.elf.little,
                                                self._line_string)
                except _ERRORS:
                    table = None
        self._lines[u.offset] = table
        return table

    def _line_string(self, form: int, value: int) -> bytes:
        """A line-table header string; units share them (that is what .debug_line_str is for), so memoized."""
        key = (form, value)
        got = self._line_strings.get(key)
        if got is None:
            data = self.info.line_str if form == 0x1F else self.info.str
            got = self._line_strings[key] = cstr(data, value)[0]
        return got

    def _scopes_of(self, u: Unit) -> tuple[list[int], list[tuple[int, Scope]]]:
        """Top-level scopes of ``u`` indexed by range start: (starts, [(end, scope)])."""
        got = self._scopes.get(u.offset)
        if got is None:
            with no_gc():
                try:
                    scopes = self.info.scopes(u)
                except _ERRORS:
                    scopes = []
            spans = sorted(((lo, hi, i) for i, sc in enumerate(scopes) for lo, hi in sc.ranges))
            got = self._scopes[u.offset] = ([s[0] for s in spans], [(s[1], scopes[s[2]]) for s in spans])
        return got

    def _name(self, offset: int) -> str:
        name = self._names.get(offset)
        if name is None:
            try:
                raw, linkage = self.info.function_name(offset)
            except _ERRORS:
                raw, linkage = None, False
            if raw is None:
                name = "??"
            else:
                name = demangle(raw) if linkage and self.demangle_names else raw
            self._names[offset] = name
        return name

    def line_for(self, addr: int) -> tuple[str | None, int] | None:
        u = self.unit_for(addr)
        if u is None:
            return None
        table = self._line_table(u)
        return table.lookup(addr) if table is not None else None

    def frames(self, addr: int) -> list[Frame]:
        """The inline chain at ``addr``, innermost first; [] when DWARF does not cover it.

        The hot path of ``--inlines``: each lookup first tries the entry the
        bisect lands on and only then looks back over nested/overlapping spans.
        """
        i = bisect_right(self._los, addr) - 1
        if i >= 0 and addr < self._his[i]:
            u = self.info.units[self._idx[i]]
        else:
            u = self.unit_for(addr)
            if u is None:
                return []
        off = u.offset
        table = self._lines.get(off, self)
        if table is self:
            table = self._line_table(u)
        row = None
        if table is not None:
            i = bisect_right(table.addrs, addr) - 1
            if i >= 0 and not table.ends[i]:
                row = (table.file_name(table.files[i]), table.lines[i])
        got = self._scopes.get(off)
        starts, ends = got if got is not None else self._scopes_of(u)
        chain: list[Scope] = []
        scope = _covering(starts, ends, addr)
        while scope is not None:
            chain.append(scope)
            if not scope.children:
                break
            idx = scope.index
            if idx is None:
                spans = sorted((lo, hi, k) for k, c in enumerate(scope.children) for lo, hi in c.ranges)
                idx = scope.index = ([sp[0] for sp in spans], [(sp[1], scope.children[sp[2]]) for sp in spans])
            scope = _covering(idx[0], idx[1], addr)
        if row is not None:
            file, line = row
        else:
            # no line row (e.g. crtstuff.c): llvm-symbolizer names the CU's file, line 0
            file, line = u.name, 0
        if not chain:
            return [Frame("??", file, line)] if row is not None else []
        out: list[Frame] = []
        names = self._names
        file_names = table.file_names if table is not None else None
        for sc in reversed(chain):
            name = names.get(sc.offset)
            if name is None:
                name = self._name(sc.offset)
            out.append(_frame(Frame, (name, file, line)))  # tuple.__new__: NamedTuple's own __new__ is Python code
            if file_names is not None:
                cf = sc.call_file
                file = file_names[cf] if 0 <= cf < len(file_names) else None
            line = sc.call_line
        return out


def _covering(starts: list[int], ends: list[tuple[int, Scope]], addr: int) -> Scope | None:
    """The scope whose span covers ``addr``: the last one starting at or before it, or
    one of the three before that (nested or overlapping spans)."""
    i = bisect_right(starts, addr) - 1
    if i < 0:
        return None
    end = ends[i]
    if addr < end[0]:
        return end[1]
    for j in range(i - 1, max(i - 4, -1), -1):
        end = ends[j]
        if addr < end[0]:
            return end[1]
    return None
