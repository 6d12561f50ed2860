"""``flamekit addr2line`` and ``flamekit symbolize``: output contract and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from symbolize_bins import build, c_source

from conftest import require_tool
from flamekit.symbolize.elf import load_module

KALLSYMS = b"""\
ffffffff81000000 T _stext
ffffffff81000100 T do_syscall_64
ffffffff81000200 T entry_SYSCALL_64
ffffffffc0300000 t nft_do_chain\t[nf_tables]
"""


def fk(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flamekit", *args], input=input, capture_output=True,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("gcc")
    require_tool("objcopy", "binutils")
    return build(tmp_path_factory.mktemp("cli"), "prog", c_source(40), "gcc", ["-O2", "-g"], variants=False).full


def symbol(path: Path, name: str) -> int:
    t = load_module(str(path), []).symbols
    return t.starts[t.names.index(name)]


def llvm(path: Path, addr: int) -> list[dict]:
    exe = require_tool("llvm-symbolizer", "llvm")
    out = subprocess.run([exe, f"--obj={path}", "--output-style=JSON", "--inlining"], input=f"0x{addr:x}\n",
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["Symbol"]


def test_addr2line_names_offsets_and_unknown(prog):
    w = symbol(prog, "work_5")
    r = fk("addr2line", "--elf", str(prog), hex(w), hex(w + 0x13), "0x1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == f"0x{w:x} work_5+0x0\n0x{w + 0x13:x} work_5+0x13\n0x1 ??\n"


def test_addr2line_lines_and_inlines_follow_llvm_symbolizer(prog):
    # an address inside an inlined helper: frames innermost first in llvm, outermost first here
    lo, hi = symbol(prog, "work_7"), symbol(prog, "work_8")
    addr = next(a for a in range(lo, hi) if len(llvm(prog, a)) >= 3)
    frames = llvm(prog, addr)
    r = fk("addr2line", "--elf", str(prog), "--lines", "--inlines", hex(addr))
    assert r.returncode == 0, r.stderr
    outer = frames[-1]
    want = [f"0x{addr:x} work_7+0x{addr - lo:x} at {outer['FileName']}:{outer['Line']}"]
    want += [f"  inlined {f['FunctionName']} at {f['FileName']}:{f['Line']}" for f in reversed(frames[:-1])]
    assert r.stdout.decode().splitlines() == want


def test_addr2line_streams_100k_addresses_from_stdin(prog):
    lo, hi = symbol(prog, "work_1"), symbol(prog, "main")
    addrs = [lo + (i * 7919) % (hi - lo) for i in range(100_000)]
    r = fk("addr2line", "--elf", str(prog), input="".join(f"{a:x}\n" for a in addrs).encode())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 100_000
    assert all(line.startswith(f"0x{a:x} ") for line, a in zip(lines, addrs, strict=True))
    # batching keeps answers in order: '??' exactly where no symbol covers the address (alignment padding)
    table = load_module(str(prog), []).symbols
    assert [line.endswith(" ??") for line in lines] == [table.lookup(a) is None for a in addrs]
    assert sum(line.endswith(" ??") for line in lines) < 5000


def test_addr2line_kallsyms(tmp_path):
    k = tmp_path / "kallsyms"
    k.write_bytes(KALLSYMS)
    r = fk("addr2line", "--kallsyms", str(k), "ffffffff81000105", "0xffffffffc0300010", "0x10")
    assert r.stdout.decode() == ("0xffffffff81000105 do_syscall_64+0x5\n0xffffffffc0300010 nft_do_chain+0x10\n"
                                 "0x10 ??\n")


@pytest.mark.parametrize("args,input,message", [
    (("addr2line",), None, b"flamekit: error: give exactly one of --elf PATH or --kallsyms FILE\n"),
    (("addr2line", "--elf", "/etc/hostname", "0x10"), None, b"flamekit: error: /etc/hostname: not an ELF file\n"),
    (("addr2line", "--elf", "/no/such"), None, b"flamekit: error: /no/such: no such file\n"),
])
def test_errors_are_one_line_exit_2(args, input, message):
    r = fk(*args, input=input)
    assert r.returncode == 2
    assert r.stderr == message


def test_bad_address_on_stdin_names_the_line(prog):
    r = fk("addr2line", "--elf", str(prog), input=b"0x10\nnope\n")
    assert r.returncode == 2
    assert r.stderr == b"flamekit: error: <stdin>:2: not a hex address: 'nope'\n"


def test_all_zero_kallsyms_is_an_error(tmp_path):
    k = tmp_path / "kallsyms"
    k.write_bytes(b"0000000000000000 T _stext\n0000000000000000 T do_syscall_64\n")
    r = fk("addr2line", "--kallsyms", str(k), "0x10")
    assert r.returncode == 2
    assert b"all kallsyms addresses are zero" in r.stderr and r.stderr.count(b"\n") == 1


def test_symbolize_folded_raw_frames(prog, tmp_path):
    """``MODULE+0xOFF`` (file offset) and kernel ``0xADDR`` frames in a folded file become names."""
    mod = load_module(str(prog), [])
    seg = next(s for s in mod.runtime.segments if s.executable)
    off = lambda name, d: symbol(prog, name) + d - seg.vaddr + seg.offset  # noqa: E731
    k = tmp_path / "kallsyms"
    k.write_bytes(KALLSYMS)
    folded = tmp_path / "in.folded"
    folded.write_text(f"main;{prog}+0x{off('work_3', 4):x};0xffffffff81000104 3\n"
                      f"main;{prog}+0x{off('work_3', 9):x} 2\n"
                      f"main;0xdeadbeef 1\n")
    r = fk("symbolize", "-q", "--kallsyms", str(k), str(folded))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"main;0xdeadbeef 1\nmain;work_3 2\nmain;work_3;do_syscall_64 3\n"


def test_symbolize_inlines_expand_a_frame_into_its_inline_chain(prog, tmp_path):
    lo, hi = symbol(prog, "work_7"), symbol(prog, "work_8")
    addr = next(a for a in range(lo, hi) if len(llvm(prog, a)) >= 3)
    chain = [f["FunctionName"] for f in reversed(llvm(prog, addr))]
    mod = load_module(str(prog), [])
    seg = next(s for s in mod.runtime.segments if s.executable)
    folded = tmp_path / "in.folded"
    folded.write_text(f"main;{prog}+0x{addr - seg.vaddr + seg.offset:x} 5\n")
    r = fk("symbolize", "-q", "--inlines", str(folded))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "main;" + ";".join(chain) + " 5\n"


def test_symbolize_is_deterministic_across_hash_seeds(prog, tmp_path):
    lo, hi = symbol(prog, "work_1"), symbol(prog, "main")
    mod = load_module(str(prog), [])
    seg = next(s for s in mod.runtime.segments if s.executable)
    lines = [f"a;{prog}+0x{lo + (i * 131) % (hi - lo) - seg.vaddr + seg.offset:x} {i + 1}" for i in range(300)]
    folded = tmp_path / "in.folded"
    folded.write_text("\n".join(lines) + "\n")
    outs = {fk("symbolize", "-q", str(folded), env={"PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "77")}
    assert len(outs) == 1 and b"work_" in outs.pop()


def test_symbolize_absolute_addresses_through_maps_and_pid(tmp_path):
    """``0xADDR`` frames of a live process: through a saved /proc/PID/maps, or --pid itself."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    addr = ctypes.cast(libc.getpid, ctypes.c_void_p).value + 1
    maps = tmp_path / "maps"
    maps.write_bytes(Path(f"/proc/{os.getpid()}/maps").read_bytes())
    folded = tmp_path / "in.folded"
    folded.write_text(f"main;0x{addr:x} 4\n")
    for args in (("--maps", str(maps)), ("--pid", str(os.getpid()))):
        r = fk("symbolize", "-q", *args, str(folded))
        assert r.returncode == 0, r.stderr
        assert r.stdout in (b"main;getpid 4\n", b"main;__getpid 4\n")
    r = fk("symbolize", "-q", "--maps", str(maps), "--pid", "1", str(folded))
    assert r.returncode == 2 and r.stderr == b"flamekit: error: give --pid or --maps, not both\n"


@pytest.mark.parametrize("lines,inlines", [(False, False), (True, False), (False, True), (True, True)])
def test_addr2line_fast_paths_answer_as_the_resolver_chain(prog, lines, inlines):
    """names_only/with_dwarf print what format_resolution prints for ModuleSymbolizer.resolve_vaddr,
    on every address of the text (repeats, padding without a symbol, inlined code), in input order."""
    from flamekit.symbolize import ModuleSymbolizer
    from flamekit.symbolize import addr2line as a2l
    from flamekit.symbolize.demangle import display_name

    ms = ModuleSymbolizer.open(str(prog), [])
    text = ms.elf.sections[".text"]
    addrs = [*range(text.addr - 4, text.addr + text.size + 4), text.addr + 7, 0x1, text.addr + 7]
    want = "".join(a2l.format_resolution(a, ms.resolve_vaddr(a, lines, inlines), lines, inlines) for a in addrs)
    if lines or inlines:
        got = "".join(a2l.with_dwarf(iter(addrs), ms, lines, inlines))
    else:
        got = "".join(a2l.names_only(iter(addrs), ms.mod.symbols, display_name))
    assert got == want
    assert "inlined" in got or not inlines


def test_addr2line_names_do_not_depend_on_the_batch_size(prog, monkeypatch):
    """names_only answers batch by batch (NAMES_BATCH): small batches give the same text, names shown once each."""
    from flamekit.symbolize import ModuleSymbolizer
    from flamekit.symbolize import addr2line as a2l

    ms = ModuleSymbolizer.open(str(prog), [])
    text = ms.elf.sections[".text"]
    addrs = [*range(text.addr - 4, text.addr + text.size + 4, 3), text.addr + 7, 0x1, text.addr + 7]
    calls: list[str] = []
    whole = "".join(a2l.names_only(iter(addrs), ms.mod.symbols, lambda n: calls.append(n) or n))
    assert len(calls) == len(set(calls))
    for size in (1, 7, 64):
        monkeypatch.setattr(a2l, "NAMES_BATCH", size)
        assert "".join(a2l.names_only(iter(addrs), ms.mod.symbols, lambda n: n)) == whole


def test_read_addresses_chunks_keep_line_numbers():
    from flamekit.errors import InputError
    from flamekit.symbolize.addr2line import read_addresses

    lines = [b"0x10 20\n"] * 5000 + [b"\n", b"ff 0x1_0\n"]
    assert list(read_addresses(lines)) == [0x10, 0x20] * 5000 + [0xFF, 0x10]
    with pytest.raises(InputError, match=r"<stdin>:4999: not a hex address: 'zz'"):
        list(read_addresses(lines[:4998] + [b"1 zz\n"] + lines[4998:]))
    with pytest.raises(InputError, match=r"x:3: not a hex address: '-0x5'"):
        list(read_addresses([b"1\n", b"2\n", b"-0x5\n"], "x"))


def test_read_addresses_from_a_file_in_blocks_same_values_and_line_numbers():
    """A binary stream is read in 64 KiB blocks cut at newlines: the values and an error's line number are those
    of the line-by-line reading, at block boundaries, for a last line without newline and for a very long line."""
    import io

    from flamekit.errors import InputError
    from flamekit.symbolize.addr2line import read_addresses

    lines = [b"0x%x %x\r\n" % (i, i * 7) for i in range(20000)] + [b" " * 200000 + b"0xab\n", b"12"]
    data = b"".join(lines)
    assert list(read_addresses(io.BytesIO(data))) == list(read_addresses(lines))
    for bad in (3, 4700, 4701, 9999, 20000, 20001):
        broken = [*lines[: bad - 1], b"0x1 zz\n", *lines[bad:]]
        with pytest.raises(InputError, match=rf"<stdin>:{bad}: not a hex address: 'zz'"):
            list(read_addresses(io.BytesIO(b"".join(broken))))
    with pytest.raises(InputError, match=r"f:2: not a hex address: '-0x5'"):
        list(read_addresses(io.BytesIO(b"1\n-0x5"), "f"))


def test_function_names_do_not_import_the_dwarf_decoder():
    """addr2line without --lines/--inlines starts without DWARF, kallsyms, maps or c++filt machinery."""
    code = ("import sys, flamekit.cli, flamekit.symbolize.addr2line; "
            "print(sorted(m for m in ('flamekit.symbolize.dwarf', 'flamekit.symbolize.dwarf_info', "
            "'flamekit.symbolize.kallsyms', 'flamekit.symbolize.maps', 'flamekit.symbolize.perfmap', 'subprocess') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
