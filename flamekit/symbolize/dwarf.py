"""DWARF file:line and inline chains, decoded lazily per compile unit.

Only the CUs that contain a looked-up address are decoded (found through
``.debug_aranges``, else the CUs' own ranges), and each CU's line table and
function/inline tree is cached.  Frames come innermost first, outermost last
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

import os
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from elftools.common.exceptions import DWARFError, ELFError

from ..errors import InputError
from .demangle import demangle
from .elf import ElfFile

_DATA_FORMS = frozenset({"DW_FORM_data1", "DW_FORM_data2", "DW_FORM_data4", "DW_FORM_data8", "DW_FORM_udata",
                         "DW_FORM_sdata", "DW_FORM_implicit_const"})


@dataclass(frozen=True)
class Frame:
    """One (possibly inlined) function at an address, with its source position."""

    function: str
    file: str | None = None
    line: int = 0


@dataclass
class _Scope:
    ranges: list[tuple[int, int]]
    die: Any
    call_file: int = 0
    call_line: int = 0
    children: list[_Scope] = field(default_factory=list)

    def contains(self, addr: int) -> bool:
        return any(lo <= addr < hi for lo, hi in self.ranges)


class _LineTable:
    """Rows of one CU's line program, sorted by address (sequence ends marked)."""

    def __init__(self, addrs: array, files: array, lines: array, ends: bytearray, file_names: list[str]) -> None:
        self.addrs, self.files, self.lines, self.ends, self.file_names = addrs, files, lines, ends, file_names

    def lookup(self, addr: int) -> tuple[str | None, int] | None:
        i = bisect_right(self.addrs, addr) - 1
        if i < 0 or self.ends[i]:
            return None
        return self.file_name(self.files[i]), self.lines[i]

    def file_name(self, index: int) -> str | None:
        if 0 <= index < len(self.file_names):
            return self.file_names[index]
        return None


class Dwarf:
    """Line tables and inline trees of one ELF file carrying DWARF."""

    def __init__(self, elf: ElfFile, demangle_names: bool = True) -> None:
        self.elf = elf
        self.demangle_names = demangle_names
        try:
            self.info = elf.elf.get_dwarf_info(relocate_dwarf_sections=False)
        except (ELFError, DWARFError, ValueError, KeyError, AssertionError) as e:
            raise InputError(elf.path, None, f"cannot read DWARF: {e}") from None
        self._cu_index: tuple[array, array, list[int]] | None = None
        self._lines: dict[int, _LineTable | None] = {}
        self._scopes: dict[int, list[_Scope]] = {}
        self._names: dict[int, str] = {}
        self._cus: dict[int, Any] = {}

    # -- finding the CU ------------------------------------------------------------
    def _build_cu_index(self) -> tuple[array, array, list[int]]:
        spans: list[tuple[int, int, int]] = []
        covered: set[int] = set()
        try:
            ar = self.info.get_aranges()
        except (DWARFError, ValueError, KeyError, AssertionError):
            ar = None
        if ar is not None:
            for e in ar.entries:
                if e.length:
                    spans.append((e.begin_addr, e.begin_addr + e.length, e.info_offset))
                    covered.add(e.info_offset)
        for cu in self.info.iter_CUs():
            self._cus[cu.cu_offset] = cu
            if cu.cu_offset in covered:
                continue
            top = cu.get_top_DIE()
            for lo, hi in self._die_ranges(top, cu):
                spans.append((lo, hi, cu.cu_offset))
        spans.sort()
        return array("Q", [s[0] for s in spans]), array("Q", [s[1] for s in spans]), [s[2] for s in spans]

    def cu_offset_for(self, addr: int) -> int | None:
        if self._cu_index is None:
            self._cu_index = self._build_cu_index()
        los, his, offs = self._cu_index
        i = bisect_right(los, addr) - 1
        # spans of different CUs can nest (rare); look back a little
        for j in range(i, max(i - 8, -1), -1):
            if los[j] <= addr < his[j]:
                return offs[j]
        return None

    def _cu(self, offset: int) -> Any:
        cu = self._cus.get(offset)
        if cu is None:
            cu = self._cus[offset] = self.info.get_CU_at(offset)
        return cu

    # -- ranges -------------------------------------------------------------------------
    def _die_ranges(self, die: Any, cu: Any) -> list[tuple[int, int]]:
        attrs = die.attributes
        if "DW_AT_low_pc" in attrs and "DW_AT_high_pc" in attrs:
            lo = attrs["DW_AT_low_pc"].value
            hi_attr = attrs["DW_AT_high_pc"]
            hi = lo + hi_attr.value if hi_attr.form in _DATA_FORMS else hi_attr.value
            return [(lo, hi)] if hi > lo else []
        if "DW_AT_ranges" in attrs:
            base = 0
            top = cu.get_top_DIE()
            if "DW_AT_low_pc" in top.attributes:
                base = top.attributes["DW_AT_low_pc"].value
            try:
                entries = self.info.range_lists().get_range_list_at_offset(attrs["DW_AT_ranges"].value, cu=cu)
            except (DWARFError, ValueError, KeyError, AttributeError, AssertionError):
                return []
            out = []
            for e in entries:
                if hasattr(e, "base_address"):
                    base = e.base_address
                    continue
                lo, hi = (e.begin_offset, e.end_offset) if e.is_absolute else (base + e.begin_offset,
                                                                                 base + e.end_offset)
                if hi > lo:
                    out.append((lo, hi))
            return out
        if "DW_AT_low_pc" in attrs and die.tag != "DW_TAG_compile_unit":
            lo = attrs["DW_AT_low_pc"].value
            return [(lo, lo + 1)]
        return []

    # -- line tables -------------------------------------------------------------------
    def _line_table(self, offset: int) -> _LineTable | None:
        if offset in self._lines:
            return self._lines[offset]
        cu = self._cu(offset)
        table = None
        try:
            lp = self.info.line_program_for_CU(cu)
        except (DWARFError, ValueError, KeyError, AssertionError):
            lp = None
        if lp is not None:
            table = self._decode_lines(lp, cu)
        self._lines[offset] = table
        return table

    def _decode_lines(self, lp: Any, cu: Any) -> _LineTable:
        top = cu.get_top_DIE()
        comp_dir = _attr_str(top, "DW_AT_comp_dir") or ""
        hdr = lp.header
        v5 = hdr["version"] >= 5
        dirs = [_s(d) for d in hdr["include_directory"]]
        names: list[str] = []
        if not v5:
            names.append("")  # DWARF <= 4 file indexes start at 1
        for fe in hdr["file_entry"]:
            fname = _s(fe.name)
            di = fe.dir_index
            if v5:
                d = dirs[di] if di < len(dirs) else ""
            else:
                d = comp_dir if di == 0 else (dirs[di - 1] if di - 1 < len(dirs) else "")
            if not os.path.isabs(fname):
                if d and not os.path.isabs(d):
                    d = os.path.join(comp_dir, d)
                fname = os.path.join(d or comp_dir, fname)
            names.append(fname)
        seqs: list[tuple[int, list[tuple[int, int, int, int]]]] = []
        rows: list[tuple[int, int, int, int]] = []
        for entry in lp.get_entries():
            st = entry.state
            if st is None:
                continue
            rows.append((st.address, st.file, st.line, 1 if st.end_sequence else 0))
            if st.end_sequence:
                if rows[0][0] != 0:
                    seqs.append((rows[0][0], rows))
                rows = []
        # sequences of discarded (garbage-collected) functions start at 0; keep real ones
        seqs.sort(key=lambda s: s[0])
        addrs, files, lines, ends = array("Q"), array("l"), array("l"), bytearray()
        for _, seq in seqs:
            for a, f, ln, e in seq:
                addrs.append(a)
                files.append(f)
                lines.append(ln)
                ends.append(e)
        return _LineTable(addrs, files, lines, ends, names)

    def line_for(self, addr: int) -> tuple[str | None, int] | None:
        off = self.cu_offset_for(addr)
        if off is None:
            return None
        table = self._line_table(off)
        return table.lookup(addr) if table is not None else None

    # -- functions and inlines -------------------------------------------------------
    def _scopes_of(self, offset: int) -> list[_Scope]:
        got = self._scopes.get(offset)
        if got is not None:
            return got
        cu = self._cu(offset)
        out: list[_Scope] = []
        try:
            self._collect(cu.get_top_DIE(), cu, out)
        except (DWARFError, ValueError, KeyError, AssertionError, IndexError):
            pass
        self._scopes[offset] = out
        return out

    def _collect(self, die: Any, cu: Any, out: list[_Scope]) -> None:
        for child in die.iter_children():
            tag = child.tag
            if tag == "DW_TAG_subprogram" or tag == "DW_TAG_inlined_subroutine":
                ranges = self._die_ranges(child, cu)
                if not ranges:
                    if tag == "DW_TAG_subprogram":
                        continue
                a = child.attributes
                scope = _Scope(ranges, child,
                               a["DW_AT_call_file"].value if "DW_AT_call_file" in a else 0,
                               a["DW_AT_call_line"].value if "DW_AT_call_line" in a else 0)
                out.append(scope)
                self._collect(child, cu, scope.children)
            elif tag in ("DW_TAG_lexical_block", "DW_TAG_namespace", "DW_TAG_class_type",
                         "DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_try_block",
                         "DW_TAG_catch_block", "DW_TAG_module"):
                self._collect(child, cu, out)

    def _name(self, die: Any) -> str:
        name = self._names.get(die.offset)
        if name is None:
            name = self._names[die.offset] = _function_name(die, self.demangle_names)
        return name

    def frames(self, addr: int) -> list[Frame]:
        """The inline chain at ``addr``, innermost first; [] when DWARF does not cover it."""
        off = self.cu_offset_for(addr)
        if off is None:
            return []
        table = self._line_table(off)
        row = table.lookup(addr) if table is not None else None
        chain: list[_Scope] = []
        level = self._scopes_of(off)
        while True:
            hit = next((s for s in level if s.contains(addr)), None)
            if hit is None:
                break
            chain.append(hit)
            level = hit.children
        if row is not None:
            file, line = row
        else:
            # no line row (e.g. crtstuff.c): llvm-symbolizer names the CU's file, line 0
            file, line = _attr_str(self._cu(off).get_top_DIE(), "DW_AT_name"), 0
        if not chain:
            return [Frame("??", file, line)] if row is not None else []
        out: list[Frame] = []
        for k in range(len(chain) - 1, -1, -1):
            out.append(Frame(self._name(chain[k].die), file, line))
            if table is not None:
                file = table.file_name(chain[k].call_file)
            line = chain[k].call_line
        return out


def _s(v: Any) -> str:
    return v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else str(v)


def _attr_str(die: Any, name: str) -> str | None:
    a = die.attributes.get(name)
    return _s(a.value) if a is not None else None


def _function_name(die: Any, demangle_names: bool = True) -> str:
    """Linkage name (demangled) else plain name, following origin/specification links."""
    seen = 0
    plain = None
    while die is not None and seen < 8:
        seen += 1
        for key in ("DW_AT_linkage_name", "DW_AT_MIPS_linkage_name"):
            v = _attr_str(die, key)
            if v:
                return demangle(v) if demangle_names else v
        if plain is None:
            plain = _attr_str(die, "DW_AT_name")
        nxt = None
        for key in ("DW_AT_abstract_origin", "DW_AT_specification"):
            if key in die.attributes:
                try:
                    nxt = die.get_DIE_from_attribute(key)
                except (DWARFError, ValueError, KeyError, AssertionError):
                    nxt = None
                break
        die = nxt
    return plain or "??"
