"""A fast decoder of DWARF 2-5 line programs (``.debug_line``) to sorted rows.

pyelftools builds a Python object per opcode and copies the whole state per
row (~13 us a row); symbolization only needs address, file and line, so this
decodes the opcodes in one tight loop straight from the section bytes.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from collections.abc import Callable

DW_LNCT_path, DW_LNCT_directory_index = 1, 2


def uleb(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    pos += 1
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def sleb(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos


def cstr(data: bytes, pos: int) -> tuple[bytes, int]:
    end = data.index(b"\0", pos)
    return data[pos:end], end + 1


def initial_length(data: bytes, pos: int, e: str) -> tuple[int, int, int]:
    """A unit header's initial length: ``(length, offset size 4 or 8, position after it)``
    (``0xffffffff`` announces the 64-bit DWARF format)."""
    length = struct.unpack_from(e + "I", data, pos)[0]
    if length == 0xFFFFFFFF:
        return struct.unpack_from(e + "Q", data, pos + 4)[0], 8, pos + 12
    return length, 4, pos + 4


class LineTable:
    """Rows of one line program, sorted by address; ``ends`` marks sequence ends."""

    __slots__ = ("addrs", "files", "lines", "ends", "file_names")

    def __init__(self, addrs: list[int], files: array, lines: array, ends: bytearray, file_names: list[str]) -> None:
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


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def decode_line_program(data: bytes, offset: int, comp_dir: str, little: bool,
                        string_at: Callable[[int, int], bytes]) -> LineTable:
    """Decode the line program at ``offset`` of ``.debug_line``.

    ``string_at(form, value)`` resolves DWARF 5 string forms (line_strp, strp).
    Raises IndexError/struct.error/ValueError on malformed data.
    """
    e = "<" if little else ">"
    pos = offset
    unit_length, offsize, pos = initial_length(data, pos, e)
    end = pos + unit_length
    version = struct.unpack_from(e + "H", data, pos)[0]
    pos += 2
    address_size = 8
    if version >= 5:
        address_size = data[pos]
        pos += 2  # address_size, segment_selector_size
    header_length = struct.unpack_from(e + ("I" if offsize == 4 else "Q"), data, pos)[0]
    pos += offsize
    program = pos + header_length
    min_inst = data[pos]
    pos += 1
    if version >= 4:
        pos += 1  # maximum_operations_per_instruction (VLIW only)
    pos += 1  # default_is_stmt
    line_base = struct.unpack_from("b", data, pos)[0]
    line_range = data[pos + 1]
    opcode_base = data[pos + 2]
    if not line_range:
        raise ValueError("line_range 0 in a line program header")
    pos += 3
    std_lengths = data[pos:pos + opcode_base - 1]
    pos += opcode_base - 1
    names: list[str] = []
    if version >= 5:
        dirs: list[str] = []
        for target in ("dirs", "files"):
            fmt_count = data[pos]
            pos += 1
            fmts = []
            for _ in range(fmt_count):
                ct, pos = uleb(data, pos)
                form, pos = uleb(data, pos)
                fmts.append((ct, form))
            count, pos = uleb(data, pos)
            for _ in range(count):
                path = b""
                dir_index = 0
                for ct, form in fmts:
                    val, pos = _form_value(data, pos, form, offsize, e)
                    if ct == DW_LNCT_path:
                        path = val if isinstance(val, bytes) else string_at(form, val)
                    elif ct == DW_LNCT_directory_index:
                        dir_index = val  # type: ignore[assignment]
                if target == "dirs":
                    dirs.append(_s(path))
                else:
                    names.append(_join(comp_dir, dirs[dir_index] if dir_index < len(dirs) else "", _s(path)))
    else:
        dirs = []
        while data[pos]:
            d, pos = cstr(data, pos)
            dirs.append(_s(d))
        pos += 1
        names.append("")  # file indexes start at 1
        while data[pos]:
            name, pos = cstr(data, pos)
            di, pos = uleb(data, pos)
            _, pos = uleb(data, pos)
            _, pos = uleb(data, pos)
            dname = comp_dir if di == 0 else (dirs[di - 1] if di - 1 < len(dirs) else "")
            names.append(_join(comp_dir, dname, _s(name)))
    return _run(data, program, end, min_inst, line_base, line_range, opcode_base, std_lengths, names, comp_dir,
                address_size, e)


def _join(comp_dir: str, d: str, name: str) -> str:
    """``name`` in directory ``d`` (itself relative to ``comp_dir``), as ``os.path.join`` builds it."""
    if name.startswith("/"):
        return name
    if d and not d.startswith("/"):
        d = _pjoin(comp_dir, d)
    return _pjoin(d or comp_dir, name)


def _pjoin(a: str, b: str) -> str:
    """``posixpath.join(a, b)`` for two str (without its generic type checks: 25k calls on glibc)."""
    if b.startswith("/"):
        return b
    if not a or a.endswith("/"):
        return a + b
    return a + "/" + b


def _form_value(data: bytes, pos: int, form: int, offsize: int, e: str) -> tuple[int | bytes, int]:
    if form == 0x0F:  # udata
        return uleb(data, pos)
    if form == 0x08:  # string
        return cstr(data, pos)
    if form == 0x1F or form == 0x0E:  # line_strp, strp
        return int.from_bytes(data[pos:pos + offsize], "little" if e == "<" else "big"), pos + offsize
    if form == 0x0B:
        return data[pos], pos + 1
    if form == 0x05:
        return struct.unpack_from(e + "H", data, pos)[0], pos + 2
    if form == 0x06:
        return struct.unpack_from(e + "I", data, pos)[0], pos + 4
    if form == 0x07:
        return struct.unpack_from(e + "Q", data, pos)[0], pos + 8
    if form == 0x1E:  # data16 (MD5)
        return 0, pos + 16
    if form == 0x09:  # block
        n, pos = uleb(data, pos)
        return 0, pos + n
    raise ValueError(f"unsupported form 0x{form:x} in a line table header")


_ADVANCES: dict[tuple[int, int, int, int], tuple[list[int], list[int]]] = {}


def _advances(opcode_base: int, line_range: int, min_inst: int, line_base: int) -> tuple[list[int], list[int]]:
    """Address and line advance of each special opcode (units share a handful of header settings)."""
    key = (opcode_base, line_range, min_inst, line_base)
    got = _ADVANCES.get(key)
    if got is None:
        got = _ADVANCES[key] = ([((op - opcode_base) // line_range) * min_inst for op in range(256)],
                                [line_base + (op - opcode_base) % line_range for op in range(256)])
    return got


def _run(data: bytes, pos: int, end: int, min_inst: int, line_base: int, line_range: int, opcode_base: int,
         std_lengths: bytes, names: list[str], comp_dir: str, address_size: int, e: str) -> LineTable:
    # rows go straight into column lists per sequence (no tuple per row)
    seqs: list[tuple[int, list[int], list[int], list[int], int]] = []
    sa: list[int] = []
    sf: list[int] = []
    sl: list[int] = []
    add_a, add_f, add_l = sa.append, sf.append, sl.append
    address, file, line = 0, 1, 1
    const_add = ((255 - opcode_base) // line_range) * min_inst
    little = e == "<"
    # special opcodes: address and line advances looked up, not divided out, per row
    addr_adv, line_adv = _advances(opcode_base, line_range, min_inst, line_base)
    column_args = std_lengths[4] if len(std_lengths) > 4 else -1
    # branches in the order of their frequency in GCC/clang output: special, set_column, negate_stmt, ...
    while pos < end:
        op = data[pos]
        pos += 1
        if op >= opcode_base:
            address += addr_adv[op]
            line += line_adv[op]
            add_a(address)
            add_f(file)
            add_l(line)
        elif op == 5 and column_args == 1:  # set_column: skip its ULEB operand
            while data[pos] & 0x80:
                pos += 1
            pos += 1
        elif op == 6 or op == 7 or op == 10 or op == 11:  # negate_stmt, basic_block, prologue_end, epilogue_begin
            pass
        elif op == 3:  # advance_line
            v, pos = sleb(data, pos)
            line += v
        elif op == 1:  # copy
            add_a(address)
            add_f(file)
            add_l(line)
        elif op == 0:
            n, pos = uleb(data, pos)
            sub = data[pos]
            if sub == 1:  # end_sequence: the row marks where the sequence stops
                add_a(address)
                add_f(file)
                add_l(line)
                if sa[0] != 0:  # sequences of discarded functions start at 0
                    seqs.append((sa[0], sa, sf, sl, len(sa) - 1))
                sa, sf, sl = [], [], []
                add_a, add_f, add_l = sa.append, sf.append, sl.append
                address, file, line = 0, 1, 1
            elif sub == 2:  # set_address
                address = int.from_bytes(data[pos + 1:pos + n], "little" if little else "big")
            pos += n
        elif op == 2:  # advance_pc
            v, pos = uleb(data, pos)
            address += v * min_inst
        elif op == 4:  # set_file
            file, pos = uleb(data, pos)
        elif op == 8:  # const_add_pc
            address += const_add
        elif op == 9:  # fixed_advance_pc
            address += data[pos] | (data[pos + 1] << 8) if little else (data[pos] << 8) | data[pos + 1]
            pos += 2
        else:  # set_column (unusual operand count), set_isa, and unknown standard opcodes: skip their ULEBs
            for _ in range(std_lengths[op - 1]):
                _, pos = uleb(data, pos)
    seqs.sort(key=lambda q: q[0])
    # plain lists: bisect over a list does not box every probed element as array('Q') does
    addrs: list[int] = []
    files = array("l")
    lines = array("l")
    ends = bytearray()
    for _, qa, qf, ql, last in seqs:
        addrs += qa
        files.extend(qf)
        lines.extend(ql)
        mark = bytearray(len(qa))
        mark[last] = 1
        ends += mark
    return LineTable(addrs, files, lines, ends, names)
