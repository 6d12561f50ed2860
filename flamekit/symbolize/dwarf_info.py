"""A fast, narrow reader of ``.debug_info`` (DWARF 2-5) for symbolization.

It walks compile units and extracts only what an address needs: CU ranges,
the line-program offset, and the tree of subprograms / inlined subroutines /
lexical blocks with their ranges and call sites.  Every other DIE is skipped
(whole subtrees at once through ``DW_AT_sibling`` when present), and each
abbreviation shape is compiled once (for all units sharing it) into a skip
plan of attribute steps.  Names are read
lazily, one DIE at a time, following abstract_origin / specification.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .dwarf_lines import cstr, initial_length, sleb, uleb

# tags
TAG_compile_unit, TAG_partial_unit, TAG_skeleton_unit = 0x11, 0x3C, 0x4A
TAG_subprogram, TAG_inlined_subroutine, TAG_lexical_block = 0x2E, 0x1D, 0x0B
CONTAINERS = frozenset({0x39, 0x32, 0x25, 0x1E})  # namespace, try_block, catch_block, module
# attributes
AT_sibling, AT_name, AT_low_pc, AT_high_pc, AT_stmt_list, AT_comp_dir = 0x01, 0x03, 0x11, 0x12, 0x10, 0x1B
AT_abstract_origin, AT_specification, AT_ranges = 0x31, 0x47, 0x55
AT_call_file, AT_call_line, AT_linkage_name, AT_MIPS_linkage_name = 0x58, 0x59, 0x6E, 0x2007
AT_str_offsets_base, AT_addr_base, AT_rnglists_base = 0x72, 0x73, 0x74
WANTED = frozenset({AT_sibling, AT_name, AT_low_pc, AT_high_pc, AT_stmt_list, AT_comp_dir, AT_abstract_origin,
                    AT_specification, AT_ranges, AT_call_file, AT_call_line, AT_linkage_name, AT_MIPS_linkage_name,
                    AT_str_offsets_base, AT_addr_base, AT_rnglists_base})
NAME_ATTRS = frozenset({AT_name, AT_linkage_name, AT_MIPS_linkage_name, AT_abstract_origin, AT_specification})

# fixed sizes of forms that do not depend on the unit ("A" = address size, "O" = offset size)
_FIXED: dict[int, int | str] = {
    0x01: "A", 0x05: 2, 0x06: 4, 0x07: 8, 0x0B: 1, 0x0C: 1, 0x0E: "O", 0x11: 1, 0x12: 2, 0x13: 4, 0x14: 8,
    0x17: "O", 0x19: 0, 0x1C: 4, 0x1D: "O", 0x1E: 16, 0x1F: "O", 0x20: 8, 0x21: 0, 0x24: 8, 0x25: 1, 0x26: 2,
    0x27: 3, 0x28: 4, 0x29: 1, 0x2A: 2, 0x2B: 3, 0x2C: 4, 0x1F20: "O", 0x1F21: "O",
}
_ULEB_FORMS = frozenset({0x0F, 0x15, 0x1A, 0x1B, 0x22, 0x23, 0x1F01, 0x1F02})
_DATA_FORMS = frozenset({0x05, 0x06, 0x07, 0x0B, 0x0D, 0x0F, 0x21})  # high_pc as an offset from low_pc
_ADDRX = {0x1B: 0, 0x29: 1, 0x2A: 2, 0x2B: 3, 0x2C: 4, 0x1F01: 0}
_STRX = {0x1A: 0, 0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4, 0x1F02: 0}
_REF_CU = {0x11: 1, 0x12: 2, 0x13: 4, 0x14: 8, 0x15: 0}


_SCOPE_TAGS = frozenset({TAG_subprogram, TAG_inlined_subroutine, TAG_lexical_block}) | CONTAINERS
# skip-plan codes for variable-size forms
_V_ULEB, _V_STR, _V_SLEB, _V_BLOCK, _V_BLOCK1, _V_BLOCK2, _V_BLOCK4, _V_INDIRECT = -1, -2, -3, -4, -5, -6, -7, -8
_VAR_CODE = {0x08: _V_STR, 0x0D: _V_SLEB, 0x18: _V_BLOCK, 0x09: _V_BLOCK, 0x0A: _V_BLOCK1, 0x03: _V_BLOCK2,
             0x04: _V_BLOCK4, 0x16: _V_INDIRECT}


def _form_size(form: int, a_size: int, o_size: int) -> int:
    """Byte size of a fixed-size form, or a negative code for a variable one."""
    fixed = _FIXED.get(form)
    if fixed is not None:
        return a_size if fixed == "A" else (o_size if fixed == "O" else fixed)  # type: ignore[return-value]
    if form in _ULEB_FORMS:
        return _V_ULEB
    if form == 0x10:  # ref_addr (DWARF 3+: offset size)
        return o_size
    code = _VAR_CODE.get(form)
    if code is None:
        raise ValueError(f"unsupported DWARF form 0x{form:x}")
    return code


def _skip_plan(attrs: list[tuple[int, int, int]], a_size: int, o_size: int) -> tuple[int, ...]:
    plan: list[int] = []
    for _name, form, _imp in attrs:
        size = _form_size(form, a_size, o_size)
        if size >= 0 and plan and plan[-1] >= 0:
            plan[-1] += size
        else:
            plan.append(size)
    return tuple(plan)


def _sibling_step(attrs: list[tuple[int, int, int]], a_size: int, o_size: int) -> int:
    """Byte position of a CU-relative 4-byte DW_AT_sibling behind only fixed-size attributes, else -1."""
    at = 0
    for name, form, _imp in attrs:
        if name == AT_sibling:
            return at if form == 0x13 else -1
        size = _form_size(form, a_size, o_size)
        if size < 0:
            return -1
        at += size
    return -1


#: (attribute specs, address size, offset size) -> (skip plan, sibling step): units repeat the same shapes
_COMPILED: dict[tuple[tuple[tuple[int, int, int], ...], int, int], tuple[int | tuple[int, ...], int]] = {}


def _compiled(attrs: tuple[tuple[int, int, int], ...], a_size: int, o_size: int) -> tuple[int | tuple[int, ...], int]:
    """``(skip plan, sibling step)`` of an abbreviation, compiled once per distinct shape.

    A plan that is one fixed size comes back as a plain int (the common case: skipping is one addition).
    """
    key = (attrs, a_size, o_size)
    got = _COMPILED.get(key)
    if got is None:
        plan = _skip_plan(list(attrs), a_size, o_size)
        got = _COMPILED[key] = (plan[0] if len(plan) == 1 and plan[0] >= 0 else 0 if not plan else plan,
                                _sibling_step(list(attrs), a_size, o_size))
    return got


def _skip(data: bytes, pos: int, plan: tuple[int, ...]) -> int:
    for step in plan:
        if step >= 0:
            pos += step
        elif step == _V_ULEB or step == _V_SLEB:
            while data[pos] & 0x80:
                pos += 1
            pos += 1
        elif step == _V_STR:
            pos = data.index(b"\0", pos) + 1
        elif step == _V_BLOCK:
            n, pos = uleb(data, pos)
            pos += n
        elif step == _V_BLOCK1:
            pos += 1 + data[pos]
        elif step == _V_BLOCK2:
            pos += 2 + int.from_bytes(data[pos:pos + 2], "little")
        elif step == _V_BLOCK4:
            pos += 4 + int.from_bytes(data[pos:pos + 4], "little")
        else:
            raise ValueError("DW_FORM_indirect in a skipped DIE")
    return pos


class LazyAbbrevs:
    """An abbreviation table parsed only as far as the codes asked for.

    Entries are ``[tag, has_children, [(attr, form, implicit)], skip plan, sibling step]``;
    the last two are compiled on first use.  Reading a unit's header DIE then
    costs one entry, not the whole table (2,000 tables in glibc's debug file).
    """

    __slots__ = ("data", "pos", "table", "done")

    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.pos = offset
        self.table: dict[int, list[Any]] = {}
        self.done = False

    def get(self, code: int) -> list[Any] | None:
        got = self.table.get(code)
        if got is not None or self.done:
            return got
        data = self.data
        pos = self.pos
        n = len(data)
        table = self.table
        while pos < n:
            c = data[pos]
            if c < 0x80:
                pos += 1
            else:
                c, pos = uleb(data, pos)
            if c == 0:
                break
            tag = data[pos]
            if tag < 0x80:
                pos += 1
            else:
                tag, pos = uleb(data, pos)
            children = data[pos] == 1
            pos += 1
            attrs = []
            while True:
                name = data[pos]
                if name < 0x80:
                    pos += 1
                else:
                    name, pos = uleb(data, pos)
                form = data[pos]
                if form < 0x80:
                    pos += 1
                else:
                    form, pos = uleb(data, pos)
                implicit = 0
                if form == 0x21:
                    implicit, pos = sleb(data, pos)
                if name == 0 and form == 0:
                    break
                attrs.append((name, form, implicit))
            table[c] = [tag, children, tuple(attrs), None, -2]
            if c == code:
                self.pos = pos
                return table[c]
        self.done = True
        self.pos = pos
        return None


@dataclass
class Unit:
    """One compile unit's header and base values."""

    offset: int
    end: int
    first_die: int
    version: int
    address_size: int
    offsize: int
    abbrevs: LazyAbbrevs
    low_pc: int = 0
    name: str | None = None
    comp_dir: str = ""
    stmt_list: int | None = None
    str_offsets_base: int = 8
    addr_base: int = 8
    rnglists_base: int = 12
    ranges: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Scope:
    """A subprogram or inlined subroutine with its ranges and nested inlines."""

    ranges: list[tuple[int, int]]
    offset: int  # of the DIE, for its name
    call_file: int = 0
    call_line: int = 0
    children: list[Scope] = field(default_factory=list)
    #: children indexed by range start, built on first lookup: (starts, [(end, child)])
    index: Any = None


class DebugInfo:
    """Units of ``.debug_info`` with the helper sections needed to read them."""

    def __init__(self, sections: Callable[[str], bytes | None], little: bool) -> None:
        self.info = sections(".debug_info") or b""
        self.abbrev = sections(".debug_abbrev") or b""
        self.str = sections(".debug_str") or b""
        self.line_str = sections(".debug_line_str") or b""
        self.str_offsets = sections(".debug_str_offsets") or b""
        self.addr = sections(".debug_addr") or b""
        self.ranges4 = sections(".debug_ranges") or b""
        self.rnglists = sections(".debug_rnglists") or b""
        self.e = "<" if little else ">"
        self.little = little
        self._abbrev_cache: dict[tuple[int, int, int], LazyAbbrevs] = {}
        self.units: list[Unit] = []
        self._unit_starts: list[int] = []
        self._read_units()

    # -- units ----------------------------------------------------------------------
    def _read_units(self) -> None:
        data, e = self.info, self.e
        pos = 0
        while pos + 11 <= len(data):
            start = pos
            length, offsize, pos = initial_length(data, pos, e)
            end = pos + length
            version = struct.unpack_from(e + "H", data, pos)[0]
            pos += 2
            ofmt = e + ("I" if offsize == 4 else "Q")
            if version >= 5:
                unit_type, address_size = data[pos], data[pos + 1]
                pos += 2
                abbrev_off = struct.unpack_from(ofmt, data, pos)[0]
                pos += offsize
                if unit_type in (4, 5):  # skeleton, split_compile: dwo_id
                    pos += 8
                elif unit_type in (2, 6):  # type units: signature + type offset
                    pos += 8 + offsize
            else:
                abbrev_off = struct.unpack_from(ofmt, data, pos)[0]
                pos += offsize
                address_size = data[pos]
                pos += 1
            if version < 2 or version > 5 or end > len(data):
                break
            u = Unit(start, end, pos, version, address_size, offsize,
                     self._abbrevs(abbrev_off, address_size, offsize))
            self._read_unit_die(u)
            self.units.append(u)
            self._unit_starts.append(start)
            pos = end

    def _abbrevs(self, offset: int, a_size: int, o_size: int) -> LazyAbbrevs:
        key = (offset, a_size, o_size)
        got = self._abbrev_cache.get(key)
        if got is None:
            got = self._abbrev_cache[key] = LazyAbbrevs(self.abbrev, offset)
        return got

    def unit_at(self, die_offset: int) -> Unit | None:
        i = bisect_right(self._unit_starts, die_offset) - 1
        return self.units[i] if i >= 0 else None

    def _read_unit_die(self, u: Unit) -> None:
        attrs, _tag, _kids, _pos = self.read_die(u, u.first_die, WANTED)
        if attrs is None:
            return
        # the bases first: other attributes of this DIE may need them
        u.str_offsets_base = attrs.get(AT_str_offsets_base, (0, u.str_offsets_base))[1]
        u.addr_base = attrs.get(AT_addr_base, (0, u.addr_base))[1]
        u.rnglists_base = attrs.get(AT_rnglists_base, (0, u.rnglists_base))[1]
        if AT_low_pc in attrs:
            u.low_pc = self.address(u, *attrs[AT_low_pc])
        if AT_name in attrs:
            u.name = self.string(u, *attrs[AT_name])
        if AT_comp_dir in attrs:
            u.comp_dir = self.string(u, *attrs[AT_comp_dir]) or ""
        if AT_stmt_list in attrs:
            u.stmt_list = attrs[AT_stmt_list][1]
        u.ranges = self.die_ranges(u, attrs)

    # -- one DIE --------------------------------------------------------------------
    def read_die(self, u: Unit, pos: int, wanted: frozenset[int]) -> tuple[dict[int, tuple[int, Any]] | None,
                                                                             int, bool, int]:
        """``(attrs {name: (form, raw value)}, tag, has_children, next position)``; attrs None for a null entry."""
        data = self.info
        code = data[pos]
        if code < 0x80:
            pos += 1
        else:
            code, pos = uleb(data, pos)
        if code == 0:
            return None, 0, False, pos
        ab = u.abbrevs.get(code)
        if ab is None:
            raise ValueError(f"unknown abbreviation {code} at 0x{pos:x}")
        tag, children, specs = ab[0], ab[1], ab[2]
        out: dict[int, tuple[int, Any]] = {}
        a_size, o_size = u.address_size, u.offsize
        e = self.e
        for name, form, implicit in specs:
            if form == 0x16:  # indirect
                form, pos = uleb(data, pos)
            fixed = _FIXED.get(form)
            if fixed is not None:
                size = a_size if fixed == "A" else (o_size if fixed == "O" else int(fixed))
                if name in wanted:
                    if form == 0x21:
                        out[name] = (form, implicit)
                    elif form == 0x19:
                        out[name] = (form, 1)
                    elif form == 0x1E:
                        out[name] = (form, 0)
                    else:
                        out[name] = (form, int.from_bytes(data[pos:pos + size], "little" if e == "<" else "big"))
                pos += size
            elif form in _ULEB_FORMS:
                b = data[pos]
                if b < 0x80:
                    v = b
                    pos += 1
                else:
                    v, pos = uleb(data, pos)
                if name in wanted:
                    out[name] = (form, v)
            elif form == 0x08:  # string
                end = data.index(b"\0", pos)
                if name in wanted:
                    out[name] = (form, data[pos:end])
                pos = end + 1
            elif form == 0x0D:  # sdata
                v, pos = sleb(data, pos)
                if name in wanted:
                    out[name] = (form, v)
            elif form in (0x18, 0x09):  # exprloc, block
                n, pos = uleb(data, pos)
                pos += n
            elif form == 0x0A:  # block1
                pos += 1 + data[pos]
            elif form == 0x03:
                pos += 2 + int.from_bytes(data[pos:pos + 2], "little" if e == "<" else "big")
            elif form == 0x04:
                pos += 4 + int.from_bytes(data[pos:pos + 4], "little" if e == "<" else "big")
            elif form == 0x10:  # ref_addr
                size = a_size if u.version == 2 else o_size
                if name in wanted:
                    out[name] = (form, int.from_bytes(data[pos:pos + size], "little" if e == "<" else "big"))
                pos += size
            else:
                raise ValueError(f"unsupported DWARF form 0x{form:x}")
        return out, tag, children, pos

    # -- values -------------------------------------------------------------------------
    def _uint(self, data: bytes, pos: int, size: int) -> int:
        return int.from_bytes(data[pos:pos + size], "little" if self.little else "big")

    def address(self, u: Unit, form: int, value: int) -> int:
        if form in _ADDRX:
            return self._uint(self.addr, u.addr_base + value * u.address_size, u.address_size)
        return value

    def string(self, u: Unit, form: int, value: Any) -> str | None:
        if form == 0x08:
            raw = value
        elif form == 0x0E:
            raw, _ = cstr(self.str, value)
        elif form == 0x1F:
            raw, _ = cstr(self.line_str, value)
        elif form in _STRX:
            off = self._uint(self.str_offsets, u.str_offsets_base + value * u.offsize, u.offsize)
            raw, _ = cstr(self.str, off)
        else:
            return None
        return raw.decode("utf-8", "surrogateescape")

    def ref(self, u: Unit, form: int, value: int) -> int:
        """A reference attribute as an absolute ``.debug_info`` offset."""
        return u.offset + value if form in _REF_CU else value

    def die_ranges(self, u: Unit, attrs: dict[int, tuple[int, Any]]) -> list[tuple[int, int]]:
        if AT_low_pc in attrs and AT_high_pc in attrs:
            lo = self.address(u, *attrs[AT_low_pc])
            hform, hval = attrs[AT_high_pc]
            hi = lo + hval if hform in _DATA_FORMS else self.address(u, hform, hval)
            return [(lo, hi)] if hi > lo else []
        if AT_ranges in attrs:
            form, val = attrs[AT_ranges]
            if u.version >= 5:
                if form == 0x23:  # rnglistx: through the offsets table
                    val = u.rnglists_base + self._uint(self.rnglists, u.rnglists_base + val * u.offsize, u.offsize)
                return self._rnglist(u, val)
            return self._ranges4(u, val)
        return []

    def _ranges4(self, u: Unit, pos: int) -> list[tuple[int, int]]:
        data, size = self.ranges4, u.address_size
        top = (1 << (8 * size)) - 1
        base = u.low_pc
        out = []
        while pos + 2 * size <= len(data):
            a = self._uint(data, pos, size)
            b = self._uint(data, pos + size, size)
            pos += 2 * size
            if a == 0 and b == 0:
                break
            if a == top:
                base = b
                continue
            if b > a:
                out.append((base + a, base + b))
        return out

    def _rnglist(self, u: Unit, pos: int) -> list[tuple[int, int]]:
        data, size = self.rnglists, u.address_size
        base = u.low_pc
        out = []
        while pos < len(data):
            kind = data[pos]
            pos += 1
            if kind == 0:
                break
            if kind == 1:  # base_addressx
                i, pos = uleb(data, pos)
                base = self.address(u, 0x1B, i)
            elif kind == 2:  # startx_endx
                i, pos = uleb(data, pos)
                j, pos = uleb(data, pos)
                out.append((self.address(u, 0x1B, i), self.address(u, 0x1B, j)))
            elif kind == 3:  # startx_length
                i, pos = uleb(data, pos)
                n, pos = uleb(data, pos)
                s = self.address(u, 0x1B, i)
                out.append((s, s + n))
            elif kind == 4:  # offset_pair
                a, pos = uleb(data, pos)
                b, pos = uleb(data, pos)
                out.append((base + a, base + b))
            elif kind == 5:  # base_address
                base = self._uint(data, pos, size)
                pos += size
            elif kind == 6:  # start_end
                out.append((self._uint(data, pos, size), self._uint(data, pos + size, size)))
                pos += 2 * size
            elif kind == 7:  # start_length
                s = self._uint(data, pos, size)
                n, pos = uleb(data, pos + size)
                out.append((s, s + n))
            else:
                raise ValueError(f"bad range list entry kind {kind}")
        return [(a, b) for a, b in out if b > a]

    # -- the scope tree -------------------------------------------------------------------
    def scopes(self, u: Unit) -> list[Scope]:
        """Subprograms with code in ``u``, each with its nested inlined subroutines."""
        data = self.info
        out: list[Scope] = []
        # stack of (list to append to, is-inside-a-function) per nesting level
        stack: list[tuple[list[Scope], bool]] = []
        attrs, _tag, kids, pos = self.read_die(u, u.first_die, frozenset())
        if attrs is None or not kids:
            return out
        level: tuple[list[Scope], bool] = (out, False)
        end = u.end
        abbrevs = u.abbrevs
        parsed = abbrevs.table  # entries parsed so far (the dict grows as the table is read)
        little = self.little
        while pos < end:
            die_at = pos
            code = data[pos]
            if code < 0x80:
                p = pos + 1
            else:
                code, p = uleb(data, pos)
            if code == 0:
                pos = p
                if not stack:
                    break
                level = stack.pop()
                continue
            ab = parsed.get(code)
            if ab is None:
                ab = abbrevs.get(code)
                if ab is None:
                    raise ValueError(f"unknown abbreviation {code} at 0x{pos:x}")
            tag, kids = ab[0], ab[1]
            if tag not in _SCOPE_TAGS:
                sib = ab[4]
                if sib == -2:
                    ab[3], sib = _compiled(ab[2], u.address_size, u.offsize)
                    ab[4] = sib
                if kids and sib >= 0:  # jump over the whole subtree
                    pos = u.offset + int.from_bytes(data[p + sib:p + sib + 4], "little" if little else "big")
                    continue
                plan = ab[3]
                pos = p + plan if plan.__class__ is int else _skip(data, p, plan)
                if kids:
                    stack.append(level)
                    level = ([], level[1])  # walk it, keep nothing
                continue
            attrs, tag, kids, pos = self.read_die(u, pos, WANTED)
            assert attrs is not None
            target, in_fn = level
            if tag == TAG_subprogram or tag == TAG_inlined_subroutine:
                rng = self.die_ranges(u, attrs)
                if rng or in_fn:
                    sc = Scope(rng, die_at, attrs.get(AT_call_file, (0, 0))[1], attrs.get(AT_call_line, (0, 0))[1])
                    if rng:
                        target.append(sc)
                    if kids:
                        stack.append(level)
                        level = (sc.children, True)
                    continue
                if kids:
                    sibv = attrs.get(AT_sibling)
                    if sibv is not None:
                        pos = self.ref(u, *sibv)
                    else:
                        stack.append(level)
                        level = ([], in_fn)
                continue
            if kids:  # lexical blocks and namespaces: their children belong to the same level
                stack.append(level)
                level = (target, in_fn)
        return out

    def function_name(self, offset: int) -> tuple[str | None, bool]:
        """``(name, is_linkage_name)`` of the DIE at ``offset``, following origin/specification."""
        plain = None
        for _ in range(8):
            u = self.unit_at(offset)
            if u is None:
                break
            attrs, _tag, _kids, _pos = self.read_die(u, offset, NAME_ATTRS)
            if not attrs:
                break
            for key in (AT_linkage_name, AT_MIPS_linkage_name):
                if key in attrs:
                    s = self.string(u, *attrs[key])
                    if s:
                        return s, True
            if plain is None and AT_name in attrs:
                plain = self.string(u, *attrs[AT_name])
            nxt = attrs.get(AT_abstract_origin) or attrs.get(AT_specification)
            if nxt is None:
                break
            offset = self.ref(u, *nxt)
        return plain, False
