"""ELF symbols, debug files and DWARF, checked against llvm-symbolizer.

Binaries are compiled here (once per session) and every 3rd byte of .text
(thousands of addresses) is symbolized both ways.  Names are compared
*mangled* (``--no-demangle``): demangling is tested on its own against
c++filt, and LLVM's demangler formats some names differently from GNU's
(``{lambda(long)#2}`` vs ``'lambda0'(long)``), a difference of printers, not
of which function an address is in.  Rules that explain the disagreements
allowed elsewhere are in flamekit/symbolize/*.py docstrings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from symbolize_bins import CXX_SOURCE, Built, build, c_source, run, text_range

from conftest import require_tool
from flamekit.errors import InputError
from flamekit.symbolize import ModuleSymbolizer
from flamekit.symbolize.elf import ElfFile, SymbolTable, RawSymbol, file_crc32, load_module


@pytest.fixture(scope="session")
def bins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    require_tool("gcc")
    require_tool("g++")
    require_tool("objcopy", "binutils")
    root = tmp_path_factory.mktemp("symbolize-bins")
    return {
        "pie": build(root / "pie", "prog", c_source(), "gcc", ["-O2", "-g"]),
        "nopie": build(root / "nopie", "prog", c_source(60), "gcc", ["-O0", "-g", "-no-pie"], variants=False),
        "cxx": build(root / "cxx", "cxx", CXX_SOURCE, "g++", ["-O2", "-g"], ext="cpp", variants=False),
        "dwarf4": build(root / "dwarf4", "cxx", CXX_SOURCE, "g++", ["-O2", "-gdwarf-4"], ext="cpp", variants=False),
        "shared": build(root / "shared", "lib.so", c_source(30), "gcc", ["-O2", "-g", "-fPIC", "-shared"],
                        variants=False),
    }


def llvm_frames(path: Path, addrs: list[int]) -> list[list[tuple[str, str, int]]]:
    exe = require_tool("llvm-symbolizer", "llvm")
    out = subprocess.run([exe, f"--obj={path}", "--output-style=JSON", "--functions=linkage", "--no-demangle",
                          "--inlining"], input="".join(f"0x{a:x}\n" for a in addrs), capture_output=True,
                         text=True, check=True).stdout
    res = []
    for line in out.splitlines():
        frames = [(s["FunctionName"] or "??", s["FileName"], s["Line"]) for s in json.loads(line)["Symbol"]]
        res.append([f for f in frames if f != ("??", "", 0)] or [("??", "", 0)])
    return res


def ours(ms: ModuleSymbolizer, addr: int) -> list[tuple[str, str, int]]:
    r = ms.resolve_vaddr(addr, lines=True, inlines=True)
    if not r.frames:
        return [("??", "", 0)]
    frames = [(f.function, f.file or "", f.line) for f in r.frames]
    if not r.ok:
        frames[-1] = ("??", frames[-1][1], frames[-1][2])
    return frames


def compare(reference: Path, target: Path, debug_dirs: list[str]) -> tuple[int, dict[str, list[int]]]:
    lo, hi = text_range(reference)
    addrs = list(range(lo, hi, 3))
    ref = llvm_frames(reference, addrs)
    ms = ModuleSymbolizer.open(str(target), debug_dirs, demangle_names=False)
    bad: dict[str, list[int]] = {"name": [], "inline": [], "line": []}
    for a, theirs in zip(addrs, ref, strict=True):
        mine = ours(ms, a)
        if mine[-1][0] != theirs[-1][0]:
            bad["name"].append(a)
        elif [m[0] for m in mine] != [t[0] for t in theirs]:
            bad["inline"].append(a)
        elif mine != theirs:
            bad["line"].append(a)
    return len(addrs), bad


def assert_agrees(n: int, bad: dict[str, list[int]]) -> None:
    assert n > 1000
    # names >= 99.9%; inline chains and file:line agree exactly on these binaries
    assert len(bad["name"]) <= n // 1000, [hex(a) for a in bad["name"][:10]]
    assert bad["inline"] == [] and bad["line"] == [], {k: [hex(a) for a in v[:5]] for k, v in bad.items()}


def test_pie_O2_with_inlining_agrees_with_llvm_symbolizer(bins):
    b = bins["pie"]
    assert not ElfFile(str(b.full)).is_exec
    assert_agrees(*compare(b.full, b.full, []))


def test_non_pie_O0_agrees_with_llvm_symbolizer(bins):
    b = bins["nopie"]
    assert ElfFile(str(b.full)).is_exec
    assert_agrees(*compare(b.full, b.full, []))


def test_cxx_templates_and_lambdas_agree_with_llvm_symbolizer(bins):
    b = bins["cxx"]
    n, bad = compare(b.full, b.full, [])
    assert_agrees(n, bad)
    ms = ModuleSymbolizer.open(str(b.full), [])
    names = {ms.resolve_vaddr(a).name for a in range(*text_range(b.full), 5)}
    assert "sort_and_sum(std::vector<long, std::allocator<long> >)" in names
    assert any("{lambda(long)#" in n for n in names if n)
    assert "long accumulate_all<long>(std::vector<long, std::allocator<long> > const&)" in names


def test_dwarf4_line_tables_and_range_lists_agree_with_llvm_symbolizer(bins):
    """DWARF 4: .debug_ranges and the version-4 line table header (the others here are DWARF 5)."""
    assert_agrees(*compare(bins["dwarf4"].full, bins["dwarf4"].full, []))


def test_shared_library_agrees_with_llvm_symbolizer(bins):
    b = bins["shared"]
    assert ElfFile(str(b.full)).raw_symbols(".dynsym")  # exported functions
    assert_agrees(*compare(b.full, b.full, []))


def test_stripped_binary_with_debug_file_by_build_id(bins):
    b = bins["pie"]
    stripped = ElfFile(str(b.stripped))
    assert not stripped.has_symtab and not stripped.has_dwarf
    # without the debug file only .dynsym is left: main is not in it
    bare = load_module(str(b.stripped), [])
    assert bare.debug is None
    mod = load_module(str(b.stripped), [str(b.debug_dir)])
    assert mod.debug is not None and mod.debug.path.endswith(".debug")
    assert mod.debug.build_id == stripped.build_id
    assert_agrees(*compare(b.full, b.stripped, [str(b.debug_dir)]))


def test_stripped_binary_with_debuglink_and_crc(bins, tmp_path):
    b = bins["pie"]
    link = ElfFile(str(b.linked)).debuglink
    assert link is not None and link[0] == "prog.debug"
    assert link[1] == file_crc32(str(b.linked.parent / "prog.debug"))
    assert_agrees(*compare(b.full, b.linked, []))
    # a debug file whose CRC does not match is not used
    other = tmp_path / "prog"
    shutil.copy(b.linked, other)
    data = bytearray((b.linked.parent / "prog.debug").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "prog.debug").write_bytes(bytes(data))
    assert load_module(str(other), []).debug is None


def test_minidebuginfo_gives_local_symbols(bins, tmp_path):
    b = bins["pie"]
    xz = require_tool("xz", "xz-utils")
    objcopy = require_tool("objcopy", "binutils")
    # Fedora's recipe: a symtab-only ELF, xz-compressed into .gnu_debugdata of the stripped file
    mini = tmp_path / "mini"
    run([objcopy, "-S", "--remove-section", ".gdb_index", "--remove-section", ".comment",
         "--keep-symbol=work_5", "--keep-symbol=main", "--wildcard", "--keep-symbol=scaled*", str(b.debug_dir.parent / "prog.debug"),
         str(mini)], tmp_path)
    run([xz, "-k", str(mini)], tmp_path)
    target = tmp_path / "prog.mini"
    run([objcopy, "--add-section", f".gnu_debugdata={mini}.xz", str(b.stripped), str(target)], tmp_path)
    mod = load_module(str(target), [])
    assert mod.symbol_sources[-1] == ".gnu_debugdata"
    full = load_module(str(b.full), [])
    start = full.symbols.starts[full.symbols.names.index("work_5")]
    assert mod.symbols.lookup(start + 3)[0] == "work_5"
    static = next(i for i, n in enumerate(full.symbols.names) if n.startswith("scaled"))  # a local clone
    assert mod.symbols.lookup(full.symbols.starts[static])[0] == full.symbols.names[static]


def test_pt_load_translation_for_perf_offsets(bins):
    """perf prints DSO callchain addresses as file offsets: vaddr = off - p_offset + p_vaddr."""
    e = ElfFile(str(bins["pie"].full))
    text = next(s for s in e.segments if s.executable)
    off = text.offset + 0x10
    assert e.file_offset_to_vaddr(off) == text.vaddr + 0x10
    assert e.perf_offset_to_vaddr(off) == text.vaddr + 0x10
    # absolute address in a mapping [start, end) with pgoff
    start, pgoff = 0x7F0000000000, text.offset & ~0xFFF
    assert e.absolute_to_vaddr(start + (off - pgoff), start, pgoff) == text.vaddr + 0x10
    exe = ElfFile(str(bins["nopie"].full))
    t = next(s for s in exe.segments if s.executable)
    assert exe.perf_offset_to_vaddr(t.vaddr + 4) == t.vaddr + 4  # ET_EXEC: perf prints vaddrs


def test_symbol_sizes_zero_size_and_alias_rules():
    syms = [
        RawSymbol("sized", 0x1000, 0x10, 1, False),
        RawSymbol("_start", 0x2000, 0, 1, False),  # .symtab zero-size: runs to the next symbol
        RawSymbol("next", 0x2040, 0x8, 1, False),
        RawSymbol("dynzero", 0x3000, 0, 1, True),  # .dynsym zero-size: exact address only
        RawSymbol("__GI_memcpy", 0x4000, 0x20, 0, False),
        RawSymbol("memcpy", 0x4000, 0x20, 2, True),
        RawSymbol("__memcpy", 0x4000, 0x20, 1, False),
        RawSymbol("memcpy_global", 0x4000, 0x20, 1, False),
    ]
    t = SymbolTable(syms, [(0x1000, 0x5000)], keep_aliases=True)
    assert t.lookup(0x100F) == ("sized", 0x1000, 0x10)
    assert t.lookup(0x1010) is None  # past st_size: unknown, not the nearest symbol
    assert t.lookup(0x203F)[0] == "_start"
    assert t.lookup(0x3000)[0] == "dynzero" and t.lookup(0x3001) is None
    # non-weak > global > fewer underscores > longer name; __GI_ never wins
    assert t.lookup(0x4010)[0] == "memcpy_global"
    assert t.aliases[0x4000] == ["__GI_memcpy", "__memcpy", "memcpy"]


def test_ifunc_symbols_are_kept():
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    if not libc.exists():
        pytest.skip("no glibc here")
    e = ElfFile(str(libc))
    names = {s.name for s in e.raw_symbols(".dynsym")}
    assert {"memcpy@@GLIBC_2.14", "strlen@@GLIBC_2.2.5"} & names or {"memcpy", "strlen"} <= names


def test_not_elf_and_truncated_files_raise_input_error(tmp_path, bins):
    p = tmp_path / "x"
    p.write_bytes(b"hello")
    with pytest.raises(InputError, match="not an ELF file"):
        ElfFile(str(p))
    p.write_bytes(bins["pie"].full.read_bytes()[:100])
    with pytest.raises(InputError, match="malformed ELF"):
        ElfFile(str(p))


def test_glibc_with_debug_file_every_disagreement_has_a_documented_rule():
    """glibc + libc6-dbg: where llvm-symbolizer 14 names a function differently, one of three rules says why.

    1. llvm-symbolizer 14 reads only the runtime file's symbols (.dynsym) and
       does not merge the debug file's .symtab: it answers ``??`` where only
       the debug .symtab covers an address;
    2. several names at one address (aliases): it takes the .dynsym one,
       flamekit applies perf's alias order (alias_key);
    3. with no .dynsym symbol it falls back to DWARF's name of the outermost
       function (``__GI_`` linkage names, the source name of a ``.part.0`` clone);
       flamekit keeps the symbol-table name there too.
    Inline chains and file:line agree wherever the function agrees.
    """
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    mod = load_module(str(libc), keep_aliases=True) if libc.exists() else None
    if mod is None or mod.debug is None:
        pytest.skip("glibc with its libc6-dbg debug file is not installed here")
    import random

    ms = ModuleSymbolizer(mod, demangle_names=False)
    text = mod.runtime.sections[".text"]
    rng = random.Random(3)
    addrs = [rng.randrange(text.addr, text.addr + text.size) for _ in range(4000)]
    dynsym = SymbolTable(mod.runtime.raw_symbols(".dynsym"))
    counts = {"agree": 0, "not merged": 0, "alias": 0, "dwarf name": 0}
    for a, theirs in zip(addrs, llvm_frames(libc, addrs), strict=True):
        mine = ours(ms, a)
        if mine[-1][0] == theirs[-1][0]:
            counts["agree"] += 1
            assert mine == theirs, hex(a)
            continue
        hit = mod.symbols.lookup(a)
        assert hit is not None, hex(a)
        if theirs[-1][0] == "??":
            assert dynsym.lookup(a) is None, hex(a)
            counts["not merged"] += 1
        elif theirs[-1][0] in mod.symbols.aliases.get(hit[1], []):
            counts["alias"] += 1
        else:
            assert dynsym.lookup(a) is None and theirs[-1][0] == ms.dwarf.frames(a)[-1].function, hex(a)
            counts["dwarf name"] += 1
    assert counts["agree"] > len(addrs) * 0.7, counts


def _small_elf() -> bytes:
    """A small real ELF with DWARF: this test's own compiled helper, built once."""
    global _SMALL
    if _SMALL is None:
        import tempfile

        require_tool("gcc")
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "s.c"
            src.write_text("static int f(int x) { return x * 3; }\nint g(int y) { return f(y) + 1; }\n"
                           "int main(int c, char **v) { return g(c); }\n")
            subprocess.run(["gcc", "-O2", "-g", "-o", f"{d}/s", str(src)], check=True, capture_output=True)
            _SMALL = (Path(d) / "s").read_bytes()
    return _SMALL


_SMALL: bytes | None = None


def _exercise(data: bytes) -> None:
    from flamekit.symbolize.dwarf import Dwarf

    e = ElfFile("fuzz", data=data)
    table = SymbolTable(e.raw_symbols(".dynsym") + e.raw_symbols(".symtab"), e.exec_ranges())
    e.minidebuginfo()
    for seg in e.segments:
        e.file_offset_to_vaddr(seg.offset)
    if e.has_dwarf:
        dw = Dwarf(e)
        for a in list(table.starts)[:20]:
            dw.frames(a + 1)
            dw.line_for(a)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_input_error(data):
    try:
        _exercise(b"\x7fELF" + data)
    except InputError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.integers(0, 63), st.integers(0, 1 << 20), st.integers(-2500, -1)),
                          st.integers(0, 255)), min_size=1, max_size=12))
def test_corrupted_real_elf_only_raises_input_error(flips):
    data = bytearray(_small_elf())
    for pos, val in flips:
        data[pos % len(data)] = val
    try:
        _exercise(bytes(data))
    except InputError:
        pass


def test_lines_without_inlines_agree_with_llvm_symbolizer_no_inlines(bins):
    """One frame: the symbol's function at the line-table position (what addr2line without -i prints)."""
    exe = require_tool("llvm-symbolizer", "llvm")
    path = bins["cxx"].full
    lo, hi = text_range(path)
    addrs = list(range(lo, hi, 2))
    out = subprocess.run([exe, f"--obj={path}", "--output-style=JSON", "--no-demangle", "--no-inlines"],
                         input="".join(f"0x{a:x}\n" for a in addrs), capture_output=True, text=True,
                         check=True).stdout
    ms = ModuleSymbolizer.open(str(path), [], demangle_names=False)
    bad = []
    for a, line in zip(addrs, out.splitlines(), strict=True):
        s = json.loads(line)["Symbol"][0]
        r = ms.resolve_vaddr(a, lines=True, inlines=False)
        mine = (r.name or "", r.frames[0].file or "", r.frames[0].line) if r.frames else ("", "", 0)
        if mine != (s["FunctionName"], s["FileName"], s["Line"]):
            bad.append(hex(a))
    assert len(addrs) > 2000 and bad == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["", "/", "a", "b/", "/usr", "x/y", "..", "/a/"]), min_size=3, max_size=3))
def test_line_table_path_join_is_os_path_join(parts):
    """dwarf_lines._join (string ops, 25k calls on glibc) builds the paths os.path.join built."""
    import os

    from flamekit.symbolize.dwarf_lines import _join

    comp_dir, d, name = parts
    if os.path.isabs(name):
        want = name
    else:
        dd = os.path.join(comp_dir, d) if d and not os.path.isabs(d) else d
        want = os.path.join(dd or comp_dir, name)
    assert _join(comp_dir, d, name) == want


def test_names_are_decoded_on_demand_and_losslessly():
    """SymbolTable keeps offsets into the string table; name(i), names and lookup agree, UTF-8 and
    undecodable bytes (surrogateescape) included, and the first of equal-address symbols' input order holds."""
    from flamekit.symbolize.elf import StringTable

    odd = b"f\xffx".decode("utf-8", "surrogateescape")
    syms = [RawSymbol("caf\u00e9", 0x1000, 0x10, 1, False), RawSymbol(odd, 0x2000, 0x10, 1, False),
            RawSymbol("plain", 0x3000, 0x10, 1, True), RawSymbol("zz", 0x3000, 0x10, 1, False)]
    t = SymbolTable(syms)
    assert [t.name(i) for i in range(len(t))] == ["caf\u00e9", odd, "plain"]
    assert t.lookup(0x2004) == (odd, 0x2000, 0x10)
    assert t.names == ["caf\u00e9", odd, "plain"] and t.name(2) == "plain"
    s = StringTable(b"a\0bc\0\xc3\xa9\0")
    assert (s.at(0), s.at(2), s.at(3), s.at(5), s.at(99)) == ("a", "bc", "c", "\u00e9", "")


def test_symbol_columns_drop_unnamed_entries_and_local_labels(tmp_path):
    require_tool("gcc")
    src = tmp_path / "l.c"
    src.write_text('void f(void) { __asm__(".Lhere: nop\\n$dollar: nop\\nlabel_ok: nop"); }\nint main(void) { f(); }\n')
    exe = tmp_path / "l"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(src)], check=True, capture_output=True)
    names = set(ElfFile(str(exe)).symbol_columns(".symtab").names)
    assert {"f", "main", "label_ok"} <= names
    assert "" not in names and not any(n.startswith((".L", "$")) for n in names)
