"""kallsyms, perf maps and /proc/PID/maps: exact lookups and parser properties."""

from __future__ import annotations

import os
import random
from pathlib import Path
from bisect import bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit.errors import InputError, Skips
from flamekit.symbolize import Symbolizer
from flamekit.symbolize.kallsyms import Kallsyms
from flamekit.symbolize.maps import ProcMaps
from flamekit.symbolize.perfmap import PerfMap

SAVED = b"""\
ffffffff81000000 T _stext
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000100 t secondary_startup_64
ffffffff81000200 W weak_fn
ffffffff81000200 T strong_fn
ffffffff81000300 D some_data
ffffffff81000400 T last_core
ffffffffc0201000 t ftrace_trampoline\t[__builtin__ftrace]
ffffffffc0300000 t nft_do_chain\t[nf_tables]
ffffffffc0300080 T nft_register_chain\t[nf_tables]
ffffffffc0400000 t bpf_prog_6deef7357e7b4530_sd_fw_egress\t[bpf]
"""


def test_saved_kallsyms_with_modules_bpf_and_aliases():
    k = Kallsyms(SAVED, "saved")
    # several names at one address: the non-weak, global, fewest-underscores, longest name
    assert k.lookup(0xFFFFFFFF81000010) == ("startup_64", 0xFFFFFFFF81000000, 0x100, "")
    assert k.lookup(0xFFFFFFFF81000201)[0] == "strong_fn"
    # data symbols are not code: the preceding text symbol continues
    assert k.lookup(0xFFFFFFFF81000350)[0] == "strong_fn"
    assert k.lookup(0xFFFFFFFFC0300004) == ("nft_do_chain", 0xFFFFFFFFC0300000, 0x80, "nf_tables")
    assert k.lookup(0xFFFFFFFFC0400010)[3] == "bpf"
    assert k.lookup(0xFFFFFFFFC0201000)[3] == "__builtin__ftrace"
    # a module's last symbol is capped (next page + 4096), not run up to the next region
    assert k.lookup(0xFFFFFFFFC0300080 + 0x10000) is None
    assert k.lookup(0xFFFFFFFF80000000) is None


def test_all_zero_kallsyms_is_refused_with_the_reason():
    zero = b"".join(line.replace(line[:16], b"0" * 16) + b"\n" for line in SAVED.splitlines())
    with pytest.raises(InputError, match="all kallsyms addresses are zero: kernel pointers are hidden"):
        Kallsyms(zero, "zero")


def test_live_kallsyms_addresses_resolve_to_symbol_and_offset():
    try:
        data = open("/proc/kallsyms", "rb").read()
    except OSError:
        pytest.skip("/proc/kallsyms is unreadable here")
    try:
        k = Kallsyms(data, "/proc/kallsyms")
    except InputError as e:
        pytest.skip(f"kallsyms not usable by this user: {e}")
    # an independent reference: text symbols per address, straight from the file
    text: dict[int, set[str]] = {}
    mods: dict[int, str] = {}
    for line in data.splitlines():
        parts = line.split(None, 2)
        if parts[1] in (b"t", b"T", b"w", b"W"):
            a = int(parts[0], 16)
            name, _, mod = parts[2].partition(b"\t")
            text.setdefault(a, set()).add(name.decode())
            if mod:
                mods[a] = mod.strip(b"[]").decode()
    starts = sorted(a for a in text if a)
    rng = random.Random(7)
    picks = rng.sample(range(len(starts)), 3000) + [i for i, a in enumerate(starts) if a in mods]
    assert any(starts[i] in mods for i in picks), "expected module or pseudo-module symbols"
    for i in picks:
        lo = starts[i]
        hi = starts[i + 1] if i + 1 < len(starts) else lo + 1
        if mods.get(lo) != mods.get(hi):
            hi = min(hi, lo + 4096)  # the end of a module region is capped
        addr = lo + rng.randrange(hi - lo)
        name, start, _size, mod = k.lookup(addr)
        assert start == lo and name in text[lo], hex(addr)
        assert mod == mods.get(lo, "")
    sym = Symbolizer(kallsyms=k)
    r = sym.resolve("[kernel.kallsyms]", starts[100] + 1, "absolute")
    assert r.ok and r.offset == 1 and r.name in text[starts[100]]


PERF_MAP = b"""\
1000 100 JS:*fib /app/jit.js:1:13
1080 100 LazyCompile:~later overlapping one
3000 10 Builtin: ArgumentsAdaptorTrampoline
3000 8 JS:^replaced /app/a.js:2:1
4000 0 zero sized
"""


def test_perf_map_later_entries_win():
    pm = PerfMap(PERF_MAP, "perf-1.map")
    assert pm.lookup(0x1000) == ("JS:*fib /app/jit.js:1:13", 0x1000, 0x80)
    assert pm.lookup(0x1090)[0] == "LazyCompile:~later overlapping one"
    assert pm.lookup(0x3004)[0] == "JS:^replaced /app/a.js:2:1"
    assert pm.lookup(0x3009)[0] == "Builtin: ArgumentsAdaptorTrampoline"
    assert pm.lookup(0x4000) is None and pm.lookup(0x2000) is None


def test_bad_perf_map_lines_are_skipped_or_raised():
    with pytest.raises(InputError, match="m:2: not a perf map line"):
        PerfMap(b"10 10 ok\nzz top\n", "m")
    skips = Skips()
    pm = PerfMap(b"10 10 ok\nzz top\n", "m", skips)
    assert len(pm) == 1 and skips.total == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60)), max_size=30), st.integers(0, 400))
def test_perf_map_matches_a_paint_model(entries, probe):
    text = b"".join(b"%x %x n%d\n" % (s, z, i) for i, (s, z) in enumerate(entries))
    pm = PerfMap(text, "m")
    expect = None
    for i, (s, z) in enumerate(entries):
        if s <= probe < s + z:
            expect = f"n{i}"
    got = pm.lookup(probe)
    assert (got[0] if got else None) == expect


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_table_parsers_raise_only_input_error(data):
    for parse in (lambda: Kallsyms(data, "k"), lambda: PerfMap(data, "p"), lambda: ProcMaps(data, "m")):
        try:
            parse()
        except InputError:
            pass


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**40), st.sampled_from("tTwWdD"), st.text("abc_", min_size=1,
                                                                                     max_size=6)),
                min_size=1, max_size=40))
def test_kallsyms_lookup_matches_a_linear_scan(entries):
    text = "".join(f"{a:016x} {t} {n}\n" for a, t, n in entries).encode()
    try:
        k = Kallsyms(text, "k")
    except InputError as e:
        assert "zero" in str(e)
        return
    starts = sorted({a for a, t, _ in entries if t in "tTwW" and a})
    for a in starts:
        hit = k.lookup(a)
        assert hit is not None and hit[1] == a
        i = bisect_right(starts, a)
        if i < len(starts):
            assert k.lookup(starts[i] - 1)[1] == a  # up to the next symbol


def test_proc_maps_paths_with_spaces_deleted_and_pseudo():
    text = (b"55d0c0000000-55d0c0001000 r--p 00000000 08:01 123 /usr/bin/my prog\n"
            b"55d0c0001000-55d0c0005000 r-xp 00001000 08:01 123 /usr/bin/my prog\n"
            b"7f0000000000-7f0000002000 r-xp 00002000 08:01 9 /tmp/lib.so (deleted)\n"
            b"7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]\n"
            b"7ffe00000000-7ffe00001000 rw-p 00000000 00:00 0\n")
    m = ProcMaps(text, "maps")
    assert m.find(0x55D0C0001010).path == "/usr/bin/my prog"
    assert m.find(0x55D0C0001010).offset == 0x1000
    d = m.find(0x7F0000000001)
    assert d.deleted and d.file_path == "/tmp/lib.so"
    assert not m.find(0x7FFD00000001).is_file
    assert m.find(0x7FFE00000000).path == ""
    assert m.find(0x1) is None


def test_live_process_maps_resolve_a_libc_function():
    """Absolute address of a libc function in this process -> its name, through /proc/self/maps."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    addr = ctypes.cast(libc.getpid, ctypes.c_void_p).value
    sym = Symbolizer(maps=ProcMaps.load(f"/proc/{os.getpid()}/maps"))
    r = sym.resolve(None, addr + 2, "absolute")
    assert r.ok, r.reason
    assert r.name in ("getpid", "__getpid") and r.offset == 2


class _FakeResolver:
    """Resolves even addresses to one or two names; odd ones stay unknown."""

    def names(self, module, address, kind):
        if address % 2:
            return None
        return [f"f{address % 7}"] if address % 4 else [f"outer{address % 5}", f"inner{address % 3}"]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.lists(st.one_of(st.sampled_from(["main", "run", "[unknown]"]),
                                          st.integers(0, 64).map(lambda a: f"0x{a:x}"),
                                          st.integers(0, 64).map(lambda a: f"/lib/x.so+0x{a:x}")),
                                min_size=1, max_size=6).map(tuple),
                       st.integers(1, 1000), max_size=20))
def test_symbolize_profile_conserves_weight_and_only_touches_raw_frames(stacks):
    from flamekit.profile import Profile
    from flamekit.symbolize.frames import symbolize_profile

    p = Profile(dict(stacks))
    out = symbolize_profile(p, _FakeResolver())
    assert out.total == p.total
    kept = {"main", "run", "[unknown]"}
    for stack in out.stacks:
        for f in stack:
            assert f in kept or f.startswith(("f", "outer", "inner", "0x", "/lib/x.so+0x"))
            if f.startswith("0x") or "+0x" in f:
                assert int(f.rpartition("0x")[2], 16) % 2 == 1  # only unresolvable ones stay raw


def test_deleted_mapped_file_is_read_through_map_files(tmp_path):
    """A process whose binary was deleted after it started: /proc/PID/map_files still has it."""
    import shutil
    import subprocess
    import time

    src = Path("/bin/sleep")
    if not src.exists():
        pytest.skip("no /bin/sleep")
    exe = tmp_path / "sleeper"
    shutil.copy(src, exe)
    proc = subprocess.Popen([str(exe), "30"])
    try:
        time.sleep(0.3)
        exe.unlink()
        maps = ProcMaps.for_pid(proc.pid)
        m = next(m for m in maps.maps if m.deleted and "sleeper" in m.path and "x" in m.perms)
        alt = maps.file_for(m)
        if not alt.startswith("/proc/"):
            pytest.skip("map_files is not readable here (needs CAP_SYS_ADMIN)")
        sym = Symbolizer(maps=maps)
        r = sym.resolve(None, m.start, "absolute")
        assert r.module == alt and (r.ok or r.reason == "no symbol covers this address")
    finally:
        proc.kill()
        proc.wait()
