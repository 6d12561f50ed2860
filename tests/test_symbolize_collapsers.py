"""The resolver inside collapsers: BCC and bpftrace raw user addresses, perf in two processes.

The raw addresses are live (absolute) addresses of a binary built here,
placed by a /proc/PID/maps file written for it, so the expected names are
known exactly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from symbolize_bins import build, c_source

from conftest import require_tool
from flamekit.symbolize.elf import load_module

BASE = 0x55D0C0000000


def fk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flamekit", *args], capture_output=True)


@pytest.fixture(scope="module")
def placed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The binary, a maps file placing its text at BASE, and absolute addresses inside two functions."""
    require_tool("gcc")
    require_tool("objcopy", "binutils")
    root = tmp_path_factory.mktemp("collapsers")
    prog = build(root, "prog", c_source(20), "gcc", ["-O2", "-g"], variants=False).full
    mod = load_module(str(prog), [])
    seg = next(s for s in mod.runtime.segments if s.executable)
    pgoff = seg.offset & ~0xFFF
    maps = root / "maps"
    maps.write_text(f"{BASE:x}-{BASE + 0x100000:x} r-xp {pgoff:08x} 08:01 42 {prog}\n")
    t = mod.symbols

    def absolute(name: str, delta: int) -> int:
        vaddr = t.starts[t.names.index(name)] + delta
        return BASE + (vaddr - seg.vaddr + seg.offset) - pgoff

    return {"prog": prog, "maps": maps, "a": absolute("work_3", 5), "b": absolute("main", 9), "root": root}


def test_bcc_unknown_frames_with_addresses_resolve(placed):
    text = ('Tracing 1 functions for "t:syscalls:sys_enter_write"... Hit Ctrl-C to end.\n\n'
            "  ffffffff81000105 do_syscall_64\n  ffffffff81000200 entry_SYSCALL_64\n    --\n"
            f"  {placed['a']:x} [unknown]\n  {placed['b']:x} [unknown]\n    b'prog' [1234]\n    3\n\n")
    src = placed["root"] / "bcc.txt"
    src.write_text(text)
    plain = fk("collapse", "-q", str(src))
    assert plain.stdout == b"prog;[unknown];[unknown];-;entry_SYSCALL_64;do_syscall_64 3\n"
    r = fk("collapse", "-q", "--proc-maps", str(placed["maps"]), str(src))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"prog;main;work_3;-;entry_SYSCALL_64;do_syscall_64 3\n"


def test_bpftrace_perf_mode_unknown_frames_resolve(placed):
    text = (f"Attaching 1 probe...\n\n\n@[\n\t{placed['a']:x} [unknown] ([unknown])\n"
            f"\t{placed['b']:x} [unknown] ([unknown])\n]: 3\n")
    src = placed["root"] / "bt.txt"
    src.write_text(text)
    assert fk("collapse", "-q", str(src)).stdout == b"[unknown];[unknown] 3\n"
    r = fk("symbolize", "-q", "--maps", str(placed["maps"]), str(src))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"main;work_3 3\n"


def test_raw_hex_frames_of_any_format_resolve(placed):
    src = placed["root"] / "raw.folded"
    src.write_text(f"main;0x{placed['b']:x};0x{placed['a']:x} 2\n")
    r = fk("collapse", "-q", "--proc-maps", str(placed["maps"]), str(src))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"main;main;work_3 2\n"


def test_perf_in_two_processes_resolves_both_halves(tmp_path):
    """perf script folded by two processes (--jobs 2): the second one must resolve too."""
    perf = require_tool("perf", "linux-perf")
    require_tool("gcc")
    require_tool("objcopy", "binutils")
    b = build(tmp_path / "b", "prog", c_source(), "gcc", ["-O2", "-g", "-fno-omit-frame-pointer"])
    target = tmp_path / "prog"
    target.write_bytes(b.stripped.read_bytes())
    os.chmod(target, 0o755)
    data = tmp_path / "perf.data"
    r = subprocess.run([perf, "record", "-N", "-q", "-g", "-e", "cpu-clock", "-F", "4000", "-o", str(data), "--",
                        str(target), "4000"], capture_output=True, cwd=tmp_path)
    if r.returncode != 0 or not data.exists():
        pytest.skip(f"perf record does not work here: {r.stderr.decode()[-300:]}")
    raw = tmp_path / "raw.txt"
    raw.write_bytes(subprocess.run([perf, "script", "-i", str(data)], capture_output=True, check=True,
                                   cwd=tmp_path).stdout)
    one = fk("collapse", "-q", "--jobs", "1", "--elf", str(b.full), str(raw))
    two = fk("collapse", "-q", "--jobs", "2", "--elf", str(b.full), str(raw))
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert b"[prog]" not in one.stdout and b"work_" in one.stdout
    assert two.stdout == one.stdout
