"""Demangling: C++ byte-identical to c++filt, Rust to rustc-demangle's form.

C++ references come from ``c++filt`` (what perf shows) over every symbol of
libstdc++ and of a C++ test binary; Rust v0 from ``llvm-cxxfilt`` (the
rustc-demangle ``{:#}`` form) over a binary rustc builds here with
``-C symbol-mangling-version=v0``; Rust legacy from ``c++filt`` with the
``::h<hash>`` element removed (perf and rustc-demangle ``{:#}`` drop it).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import given, settings
from hypothesis import strategies as st
from symbolize_bins import CXX_SOURCE, build

from conftest import require_tool
from flamekit.symbolize.demangle import (backend, demangle, demangle_rust_legacy, display_name, display_name_uncached,
                                        strip_suffixes)

LIBSTDCXX = Path("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")

RUST_SOURCE = r"""
use std::collections::HashMap;
trait Shape { fn area(&self) -> f64; }
struct Sq<T>(T);
impl Shape for Sq<f64> { fn area(&self) -> f64 { self.0 * self.0 } }
#[inline(never)] fn generic<T: std::fmt::Debug>(x: T) -> String { format!("{:?}", x) }
#[inline(never)] fn apply<F: Fn(&[u8; 4]) -> usize>(f: F) -> usize { f(&[1, 2, 3, 4]) }
fn main() {
    let mut m: HashMap<String, Vec<u8>> = HashMap::new();
    let f = |x: i32| x + 1;
    m.insert(generic(f(1)), vec![1]);
    m.insert(generic((1u8, 'c', -3i64)), vec![2]);
    let s: Box<dyn Shape> = Box::new(Sq(2.0));
    println!("{} {} {}", s.area(), m.len(), apply(|a| a.len()));
}
"""


def symbol_names(path: Path, sections: tuple[str, ...] = (".dynsym", ".symtab")) -> list[str]:
    out = set()
    with open(path, "rb") as f:
        elf = ELFFile(f)
        for name in sections:
            sec = elf.get_section_by_name(name)
            if sec is not None:
                out.update(s.name for s in sec.iter_symbols() if s.name)
    return sorted(out)


def filt(tool: str, names: list[str]) -> list[str]:
    res = subprocess.run([tool], input="\n".join(names) + "\n", capture_output=True, text=True, check=True)
    return res.stdout.split("\n")[: len(names)]


def mismatches(names: list[str], expected: list[str]) -> list[tuple[str, str, str]]:
    return [(n, demangle(n), e) for n, e in zip(names, expected, strict=True) if demangle(n) != e]


def test_every_libstdcxx_symbol_matches_cxxfilt():
    cxxfilt = require_tool("c++filt", "binutils")
    if not LIBSTDCXX.exists():
        pytest.skip("libstdc++ is not installed here")
    names = [n for n in symbol_names(LIBSTDCXX) if n.startswith("_Z")]
    assert len(names) > 4000
    assert mismatches(names, filt(cxxfilt, names)) == []


def test_cxx_binary_symbols_match_cxxfilt(tmp_path):
    require_tool("g++")
    cxxfilt = require_tool("c++filt", "binutils")
    b = build(tmp_path, "cxx", CXX_SOURCE, "g++", ["-O0", "-g"], ext="cpp", variants=False)
    names = [n for n in symbol_names(b.full) if n.startswith("_Z")]
    assert len(names) > 100  # -O0 keeps every template instantiation
    # .symtab names of imports carry @VERSION, which flamekit drops (c++filt keeps it appended)
    assert any("@" in n for n in names)
    assert mismatches(names, filt(cxxfilt, [n.split("@")[0] for n in names])) == []
    assert any("{lambda(" in demangle(n) for n in names)


@pytest.fixture(scope="module")
def rust_bins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rustc = require_tool("rustc")
    root = tmp_path_factory.mktemp("rust")
    src = root / "r.rs"
    src.write_text(RUST_SOURCE)
    out = {}
    for kind, flags in (("v0", ["-C", "symbol-mangling-version=v0"]), ("legacy", [])):
        exe = root / f"r_{kind}"
        subprocess.run([rustc, "-O", *flags, str(src), "-o", str(exe)], check=True, capture_output=True, cwd=root)
        out[kind] = exe
    return out


def test_rust_v0_symbols_match_llvm_cxxfilt(rust_bins):
    tool = require_tool("llvm-cxxfilt", "llvm")
    names = [n for n in symbol_names(rust_bins["v0"]) if n.startswith("_R")]
    assert len(names) > 20  # the program's own and its generic instantiations (older std is legacy-mangled)
    # LLVM keeps ".llvm.N" as " (.llvm.N)"; flamekit drops it (ThinLTO noise, symbolize.md §8)
    expected = [re.sub(r" \(\.llvm\.\d+\)$", "", e) for e in filt(tool, names)]
    assert mismatches(names, expected) == []
    shown = {demangle(n) for n in names}
    assert any("{closure#0}" in s for s in shown)
    assert any(s.startswith("<") and " as " in s for s in shown)


def test_rust_legacy_symbols_match_cxxfilt_without_hash(rust_bins):
    cxxfilt = require_tool("c++filt", "binutils")
    names = [n for n in symbol_names(rust_bins["legacy"]) if re.match(r"_ZN.*17h[0-9a-f]{16}E", n)]
    if not names:  # recent std is built with v0; the program's own symbols are legacy
        pytest.fail("no legacy Rust symbols found")
    expected = [re.sub(r"::h[0-9a-f]{16}", "", e) for e in filt(cxxfilt, names)]
    assert mismatches(names, expected) == []


def test_suffixes_and_routing():
    assert strip_suffixes("fsetpos64@@GLIBC_2.2.5") == "fsetpos64"
    assert strip_suffixes("_Z3fooi.llvm.12345") == "_Z3fooi"
    assert demangle("_Z3fooi@GLIBCXX_3.4") == "foo(int)"
    assert demangle("_Z3fooi.llvm.12345") == "foo(int)"
    assert demangle("_Z3fooi.cold") == "foo(int) [clone .cold]"
    assert display_name("fsetpos64@@GLIBC_2.2.5") == "fsetpos64"
    # _ZN12_GLOBAL__N_1 is C++ (anonymous namespace), not Rust
    assert demangle("_ZN12_GLOBAL__N_16hiddenEl") == "(anonymous namespace)::hidden(long)"
    assert demangle("_ZN4core3fmt9Formatter3pad17h0123456789abcdefE") == "core::fmt::Formatter::pad"
    assert demangle_rust_legacy("_ZN4test20$LT$impl$u20$Foo$GT$3bar17h0123456789abcdefE") == "test::<impl Foo>::bar"
    assert demangle("_RNvCs1234_7mycrate3foo") == "mycrate::foo"
    # not demanglable: unchanged
    for name in ("main", "_Zfoo", "_R", "_ZN3foo", "__GI_memcpy", "[unknown]", "_RNvC"):
        assert demangle(name) == name


def _slow_display_name(name: str) -> str:
    """display_name as it was before its libiberty fast path: version cut, then :func:`demangle`."""
    at = name.find("@")
    return demangle(name[:at] if at > 0 else name)


def test_display_name_fast_path_matches_demangle():
    backend()  # loaded: plain _Z names now take display_name's direct libiberty path
    names = [n for n in symbol_names(LIBSTDCXX) if n.startswith("_Z")] if LIBSTDCXX.exists() else []
    names += ["_Z3fooi", "_Zfoo", "_Z", "_Z3fooi.cold", "_Z3fooi@GLIBCXX_3.4", "_Z3fooi.llvm.1",
              "_ZN4core3fmt9Formatter3pad17h0123456789abcdefE", "_Z3f\u00e9i", "_Z3f\udcffi",
              # '17h' elsewhere than a Rust hash's place (C++), a Rust hash with a suffix, other suffixes
              "_ZN3foo17h0123456789abcdefE3barEv", "_Z17h0123456789abcdefv", "_ZN4core3fmt3pad17h0123456789abcdefE.cold",
              "_Z3fooi.part.0", "_Z3fooi.isra.0.cold", "_ZN3foo17h0123456789abcdefE.llvm.7", "_Z3fooi\0x"]
    display_name.cache_clear()
    assert [(n, display_name(n)) for n in names if display_name(n) != _slow_display_name(n)] == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="_ZNKSt0123456789abcxyzEIvhl$.@", max_size=40).map(lambda s: "_Z" + s))
def test_display_name_is_version_cut_then_demangle(name):
    backend()
    assert display_name(name) == display_name_uncached(name) == _slow_display_name(name)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.text(alphabet="_ZRabc.@1", max_size=12),
                 st.text(alphabet="_ZRNvCsIEabc.@", max_size=30).map(lambda s: s + "@GLIBC_2.2.5")))
def test_display_name_of_any_name_is_version_cut_then_demangle(name):
    # every route of display_name_uncached (libiberty fast path, C names, the general path)
    backend()
    assert display_name_uncached(name) == _slow_display_name(name)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.text(alphabet="_ZRNvCsIEBK0123456789abcxyz$.@", max_size=40)
                 .map(lambda s: "_Z" + s), st.text(alphabet="_RNvCsMXYIEBKGFDLpuS0123456789abchlmy", max_size=40)
                 .map(lambda s: "_R" + s)))
def test_demangle_never_raises_and_is_idempotent(name):
    out = demangle(name)
    assert isinstance(out, str)
    assert demangle(out) == out
    if not name.startswith(("_Z", "__Z", "_R", "__R")):
        assert out == name  # unmangled input is left alone


def test_cxa_fallback_demangles_and_frees(monkeypatch):
    """Without libbfd, libstdc++'s __cxa_demangle answers (its malloc'ed string freed through the shared free)."""
    import ctypes
    import sys

    dm = sys.modules["flamekit.symbolize.demangle"]
    backend()
    try:
        fn = ctypes.CDLL("libstdc++.so.6").__cxa_demangle
    except OSError:
        pytest.skip("libstdc++ missing")
    fn.restype = ctypes.c_void_p
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    monkeypatch.setattr(dm, "_impl", ("cxa", fn))
    for _ in range(1000):  # a wrong free would crash or corrupt the heap long before this ends
        assert dm._cxx("_ZN12_GLOBAL__N_16hiddenEl") == "(anonymous namespace)::hidden(long)"
        assert dm._cxx("_ZNKSt6vectorIiSaIiEE4sizeEv") == "std::vector<int, std::allocator<int> >::size() const"
        assert dm._cxx("_Zfoo") is None


def test_library_glob_equals_glob_glob(tmp_path):
    """demangle._glob (libbfd found without importing glob) lists what sorted(glob.glob()) lists."""
    import glob

    from flamekit.symbolize.demangle import _BFD_GLOBS, _glob

    for d in ("a-linux-gnu", "b-linux-gnu", ".c-linux-gnu", "x86_64-linux-gnu", "plain"):
        (tmp_path / "lib" / d).mkdir(parents=True)
        for f in ("libbfd-2.40.so", "libbfd.so", "libbfd.so.1", ".libbfd-x.so", "libbf.so", "libbfd-x.so.so"):
            (tmp_path / "lib" / d / f).write_bytes(b"")
    (tmp_path / "lib" / "libbfd-link.so").symlink_to(tmp_path / "missing")  # dangling: glob lists it too
    patterns = [str(tmp_path) + p for p in ("/lib/*-linux-gnu/libbfd*.so", "/lib/x86_64-linux-gnu/libbfd*.so",
                                             "/lib/libbfd*.so", "/lib/*/libbfd*", "/none/*/libbfd*.so",
                                             "/lib/plain/libbfd.so")]
    for pattern in [*patterns, *_BFD_GLOBS]:
        assert _glob(pattern) == sorted(glob.glob(pattern)), pattern


def test_libiberty_and_free_are_called_holding_the_gil():
    """Names are demangled by two short C calls each (cplus_demangle_v3, free): they are PyDLL functions, which
    keep the GIL rather than releasing and re-taking it around every call."""
    import ctypes
    import sys

    dm = sys.modules["flamekit.symbolize.demangle"]
    if backend() != "libiberty":
        pytest.skip("libbfd missing")
    for fn in (dm._iberty, dm._free):
        assert fn._flags_ & ctypes._FUNCFLAG_PYTHONAPI
    assert display_name_uncached("_ZNKSt6vectorIiSaIiEE4sizeEv") == \
        "std::vector<int, std::allocator<int> >::size() const"
