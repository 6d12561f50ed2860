"""Demangle C++ (Itanium) and Rust (legacy and v0) symbol names, memoized.

C++ goes in process, via ctypes, through libiberty's ``cplus_demangle_v3``
as exported by binutils' libbfd (installed wherever ``c++filt`` is), with
c++filt's flags: output is byte-identical to ``c++filt``.  Without libbfd,
libstdc++'s ``__cxa_demangle`` (the same libiberty code without the verbose
flag, so ``std::istream`` instead of ``std::basic_istream<char, ...>``); with
neither, one batched ``c++filt`` process (:func:`demangle_many`), and the name
unchanged when that is missing too.  A full Itanium demangler in Python would
be thousands of lines to reach the same answers as the C one everybody uses.
Rust legacy and v0 are decoded here in Python (rustc-demangle's ``{:#}``
form: no hashes, no crate disambiguators).

Rules (symbolize.md §8): strip ``@VERSION``/``@@VERSION`` and ``.llvm.N``
first; never raise; unmangled and undemanglable names come back unchanged.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterable
from functools import lru_cache

# patterns, used through ``re``'s own cache: ``re`` is imported only by the rare names that need it (with
# ``enum`` it costs ~7 ms of every ``addr2line`` start, and most names are plain Itanium ones)
_LLVM_SUFFIX = r"\.llvm\.\d+$"
_LEGACY_RUST = r"^_ZN.*17h[0-9a-f]{16}E(\..*)?$"
_LEGACY_HASH = r"h[0-9a-f]{16}"

#: libiberty flags c++filt uses: parameters, ANSI qualifiers, verbose (std:: names in full)
DMGL_PARAMS, DMGL_ANSI, DMGL_VERBOSE = 1, 2, 8
_CPLUS_FLAGS = DMGL_PARAMS | DMGL_ANSI | DMGL_VERBOSE
_BFD_GLOBS = ("/usr/lib/x86_64-linux-gnu/libbfd*.so", "/usr/lib/*-linux-gnu/libbfd*.so", "/usr/lib64/libbfd*.so",
              "/usr/lib/libbfd*.so")

_impl: tuple[str, object] | None = None
_free: object = None
#: libiberty's ``cplus_demangle_v3`` once loaded (the common, fast case of :func:`display_name`)
_iberty: Callable[[bytes, int], _Malloced] | None = None


class _Malloced(ctypes.c_char_p):
    """A malloc'ed C string: ``.value`` reads it and it is passed to ``free`` as is.

    As a restype, a subclass of ``c_char_p`` is returned as the pointer object
    rather than converted to bytes, so the string is read without a
    ``ctypes.string_at`` call and the pointer stays available to free.
    """


def _load() -> str:
    """Pick the in-process C++ demangler: libbfd's libiberty (exactly c++filt), else libstdc++."""
    global _impl, _free, _iberty
    if _impl is not None:
        return _impl[0]
    # PyDLL, not CDLL: calls keep the GIL instead of releasing and taking it back around each
    # ~1 us call (two per name shown; nothing here runs long or calls back into Python)
    try:
        libc = ctypes.PyDLL(None)
        free = libc.free
        free.restype = None  # no argtypes: it is given ctypes pointer objects only (see _iberty_demangle)
        _free = free
    except (OSError, AttributeError):
        _impl = ("none", None)
        return "none"
    for pattern in _BFD_GLOBS:
        for path in _glob(pattern):
            try:
                fn = ctypes.PyDLL(path).cplus_demangle_v3
            except (OSError, AttributeError):
                continue
            fn.restype = _Malloced
            # no argtypes: it is called with (bytes, int) only, which ctypes passes as (char *, int)
            # by default; checking argtypes on every call was a quarter of the time per name
            _impl = ("libiberty", fn)
            _iberty = fn
            return "libiberty"
    from ctypes.util import find_library  # only without libbfd: it imports subprocess (start-up time)

    for name in ("libstdc++.so.6", find_library("stdc++")):
        if not name:
            continue
        try:
            fn = ctypes.CDLL(name).__cxa_demangle
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_void_p
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        _impl = ("cxa", fn)
        return "cxa"
    _impl = ("none", None)
    return "none"


def _glob(pattern: str) -> list[str]:
    """``sorted(glob.glob(pattern))`` for an absolute pattern with at most one ``*`` per component.

    Enough for :data:`_BFD_GLOBS`, without importing ``glob`` (with
    ``fnmatch`` and ``contextlib``, ~1 ms of every ``addr2line`` start).
    """
    paths = ["/"]
    for part in pattern.strip("/").split("/"):
        if "*" not in part:
            paths = [os.path.join(p, part) for p in paths]
            continue
        head, _, tail = part.partition("*")
        found: list[str] = []
        for p in paths:
            try:
                names = os.listdir(p)
            except OSError:
                continue
            found += [os.path.join(p, n) for n in names
                      if n.startswith(head) and n.endswith(tail) and len(n) >= len(head) + len(tail)
                      and not n.startswith(".")]
        paths = found
    return sorted(p for p in paths if os.path.lexists(p))


def backend() -> str:
    """Which C++ demangler is in use: libiberty, cxa (libstdc++), or none (c++filt process)."""
    return _load()


def _cxx(name: str) -> str | None:
    """Itanium demangling in process, None when it cannot."""
    kind = _impl[0] if _impl is not None else _load()
    if kind == "none":
        return None
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return None
    if b"\0" in raw:
        return None
    fn = _impl[1]  # type: ignore[index]
    if kind == "libiberty":
        return _iberty_demangle(fn, raw)  # type: ignore[arg-type]
    status = ctypes.c_int(0)
    ptr = fn(raw, None, None, ctypes.byref(status))  # type: ignore[operator]
    if ptr and status.value != 0:
        ptr = None
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "surrogateescape")
    finally:
        _free(ctypes.c_void_p(ptr))  # type: ignore[operator]


def _iberty_demangle(fn: Callable[[bytes, int], _Malloced], raw: bytes) -> str | None:
    """``cplus_demangle_v3`` with c++filt's flags, the malloc'ed answer freed; None when it cannot."""
    ptr = fn(raw, _CPLUS_FLAGS)
    out = ptr.value
    if out is None:
        return None
    _free(ptr)  # type: ignore[operator]
    return out.decode("utf-8", "surrogateescape")


def strip_suffixes(name: str) -> str:
    """Remove symbol-version (``@GLIBC_2.2.5``) and ThinLTO ``.llvm.N`` suffixes."""
    at = name.find("@")
    if at > 0:
        name = name[:at]
    if ".llvm." not in name:
        return name
    import re

    return re.sub(_LLVM_SUFFIX, "", name)


def display_name_uncached(name: str) -> str:
    """What a symbol-table name is shown as: version suffix dropped, demangled (see :func:`display_name`).

    Most names are plain ASCII Itanium ones (``_Z...``, no ``@VERSION``, no
    dot suffix such as ``.llvm.N``, no Rust hash at the end): those go straight to libiberty, the answer
    :func:`demangle` would give, without its suffix and Rust checks (this is
    called once per distinct symbol hit: 13k times for 100k libLLVM addresses,
    so :func:`_iberty_demangle` is written out here rather than called).
    """
    # (slices compared rather than str.startswith, whose argument parsing cost more than the test itself)
    if _iberty is not None and name[:2] == "_Z" and name.isascii() and "@" not in name and "." not in name \
            and name[-20:-17] != "17h" and "\0" not in name:
        ptr = _iberty(name.encode(), _CPLUS_FLAGS)
        out = ptr.value
        if out is None:
            return name
        _free(ptr)  # type: ignore[operator]
        return out.decode("utf-8", "surrogateescape") or name
    at = name.find("@")
    if name[:1] != "_":  # C names (a tenth of libLLVM's shown): nothing to demangle, the version cut only
        return name[:at] if at > 0 else name
    return demangle(name[:at] if at > 0 else name)


#: :func:`display_name_uncached`, memoized for callers that meet a name many times
display_name = lru_cache(maxsize=1 << 18)(display_name_uncached)


def is_mangled(name: str) -> bool:
    return name.startswith(("_Z", "__Z", "_R", "__R"))


@lru_cache(maxsize=1 << 18)
def demangle(name: str) -> str:
    """The readable form of ``name``; ``name`` itself when not demanglable."""
    base = strip_suffixes(name)
    if not is_mangled(base):
        return name
    try:
        if base.startswith(("_R", "__R")):
            out = demangle_rust_v0(base.lstrip("_")[1:] if base.startswith("__") else base[2:])
            return out if out is not None else name
        if "17h" in base and _is_legacy_rust(base):
            out = demangle_rust_legacy(base)
            if out is not None:
                return out
        out = _cxx(base)
        if out is None and base.startswith("__Z"):
            out = _cxx(base[1:])
        if out is None and _impl is not None and _impl[0] == "none":
            out = _cxxfilt_batch([base]).get(base)
        return out if out else name
    except (RecursionError, ValueError, IndexError, KeyError, UnicodeError):
        return name


def _is_legacy_rust(name: str) -> bool:
    import re

    return re.match(_LEGACY_RUST, name) is not None


def demangle_many(names: Iterable[str]) -> dict[str, str]:
    """Demangle many names; without libstdc++ the C++ ones go through one ``c++filt``."""
    names = list(dict.fromkeys(names))
    if _load() != "none":
        return {n: demangle(n) for n in names}
    cxx = [strip_suffixes(n) for n in names if strip_suffixes(n).startswith("_Z")]
    batch = _cxxfilt_batch(cxx)
    out = {}
    for n in names:
        b = strip_suffixes(n)
        out[n] = batch.get(b) or demangle(n)
    return out


def _cxxfilt_batch(names: list[str]) -> dict[str, str]:
    import shutil
    import subprocess

    exe = shutil.which("c++filt")
    if not exe or not names:
        return {}
    try:
        res = subprocess.run([exe], input="\n".join(names) + "\n", capture_output=True, text=True,
                             errors="surrogateescape", timeout=120)
    except (OSError, subprocess.SubprocessError):
        return {}
    lines = res.stdout.split("\n")
    return {n: o for n, o in zip(names, lines, strict=False) if o and o != n}


# -- Rust legacy -----------------------------------------------------------------

_LEGACY_ESCAPES = {"SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(", "RP": ")", "C": ","}


def demangle_rust_legacy(name: str) -> str | None:
    """``_ZN..17h<hash>E`` to ``path::to::item`` (hash dropped, as rustc-demangle ``{:#}``)."""
    s = name[3:] if name.startswith("_ZN") else name[4:]
    parts: list[str] = []
    i = 0
    while i < len(s) and s[i] != "E":
        j = i
        while j < len(s) and s[j].isdigit():
            j += 1
        if j == i:
            return None
        n = int(s[i:j])
        if j + n > len(s):
            return None
        parts.append(s[j:j + n])
        i = j + n
    if i >= len(s) or not parts:
        return None
    suffix = s[i + 1:]
    import re

    if re.fullmatch(_LEGACY_HASH, parts[-1]):
        parts.pop()
    out = []
    for p in parts:
        if p.startswith("_$"):
            p = p[1:]
        out.append(_legacy_unescape(p))
    text = "::".join(out)
    return text + suffix if suffix else text


def _legacy_unescape(p: str) -> str:
    res = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "$":
            j = p.find("$", i + 1)
            if j < 0:
                return p
            code = p[i + 1:j]
            if code in _LEGACY_ESCAPES:
                res.append(_LEGACY_ESCAPES[code])
            elif code.startswith("u") and code[1:] and all(ch in "0123456789abcdef" for ch in code[1:]):
                res.append(chr(int(code[1:], 16)))
            else:
                return p
            i = j + 1
        elif p.startswith("..", i):
            res.append("::")
            i += 2
        else:
            res.append(c)
            i += 1
    return "".join(res)


# -- Rust v0 ------------------------------------------------------------------------

_BASIC = {"a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str", "f": "f32", "h": "u8", "i": "isize",
          "j": "usize", "l": "i32", "m": "u32", "n": "i128", "o": "u128", "s": "i16", "t": "u16", "u": "()",
          "v": "...", "x": "i64", "y": "u64", "z": "!", "p": "_"}


class _V0:
    """A recursive-descent printer for the Rust v0 mangling grammar (RFC 2603)."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0
        self.depth = 0
        self.bound_lifetimes = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def eat(self, c: str) -> bool:
        if self.peek() == c:
            self.i += 1
            return True
        return False

    def next(self) -> str:
        if self.i >= len(self.s):
            raise ValueError("end of symbol")
        c = self.s[self.i]
        self.i += 1
        return c

    def b62(self) -> int:
        if self.eat("_"):
            return 0
        x = 0
        while True:
            c = self.next()
            if c == "_":
                return x + 1
            if c.isdigit():
                d = ord(c) - 48
            elif "a" <= c <= "z":
                d = ord(c) - 97 + 10
            elif "A" <= c <= "Z":
                d = ord(c) - 65 + 36
            else:
                raise ValueError("bad base-62")
            x = x * 62 + d

    def opt_int(self, tag: str) -> int:
        return self.b62() + 1 if self.eat(tag) else 0

    def decimal(self) -> int:
        if self.peek() == "0":  # "0" stands alone: a zero-length identifier may be followed by digits
            self.i += 1
            return 0
        j = self.i
        while self.peek().isdigit():
            self.i += 1
        if j == self.i:
            raise ValueError("number expected")
        return int(self.s[j:self.i])

    def ident(self) -> str:
        puny = self.eat("u")
        n = self.decimal()
        self.eat("_")
        raw = self.s[self.i:self.i + n]
        if len(raw) != n:
            raise ValueError("short identifier")
        self.i += n
        if puny:
            k = raw.rfind("_")
            enc = (raw[:k] + "-" + raw[k + 1:]) if k >= 0 else "-" + raw
            return enc.encode("ascii").decode("punycode")
        return raw

    def backref(self, fn: object) -> str:
        at = self.b62()
        if at >= self.i - 1:
            raise ValueError("forward backref")
        self.depth += 1
        if self.depth > 200:
            raise ValueError("too deep")
        save = self.i
        self.i = at
        try:
            return fn()  # type: ignore[operator,no-any-return]
        finally:
            self.i = save
            self.depth -= 1

    def path(self, in_value: bool = True) -> str:
        self.depth += 1
        if self.depth > 200:
            raise ValueError("too deep")
        try:
            return self._path(in_value)
        finally:
            self.depth -= 1

    def _path(self, in_value: bool) -> str:
        c = self.next()
        if c == "C":
            self.opt_int("s")
            return self.ident()
        if c == "N":
            ns = self.next()
            prefix = self.path(in_value)
            ident, dis = self.ident_with_dis()
            if ns.isupper():
                label = {"C": "closure", "S": "shim"}.get(ns, ns)
                inner = f"{label}:{ident}" if ident else label
                return f"{prefix}::{{{inner}#{dis}}}"
            return f"{prefix}::{ident}" if ident else prefix
        if c == "M":
            self.opt_int("s")
            self.path()
            return f"<{self.type_()}>"
        if c == "X":
            self.opt_int("s")
            self.path()
            t = self.type_()
            tr = self.path(False)
            return f"<{t} as {tr}>"
        if c == "Y":
            t = self.type_()
            tr = self.path(False)
            return f"<{t} as {tr}>"
        if c == "I":
            base = self.path(in_value)
            args = []
            while not self.eat("E"):
                args.append(self.generic_arg())
            sep = "::" if in_value else ""
            return f"{base}{sep}<{', '.join(args)}>"
        if c == "B":
            return self.backref(lambda: self.path(in_value))
        raise ValueError("bad path")

    def ident_with_dis(self) -> tuple[str, int]:
        dis = self.opt_int("s")
        return self.ident(), dis

    def generic_arg(self) -> str:
        if self.eat("L"):
            return self.lifetime(self.b62())
        if self.eat("K"):
            return self.const()
        return self.type_()

    def lifetime(self, n: int) -> str:
        if n == 0:
            return "'_"
        depth = self.bound_lifetimes - n
        if depth < 0:
            raise ValueError("bad lifetime")
        return "'" + (chr(ord("a") + depth) if depth < 26 else f"_{depth}")

    def binder(self) -> str:
        if not self.eat("G"):
            return ""
        n = self.b62() + 1
        names = []
        for _ in range(n):
            self.bound_lifetimes += 1
            names.append(self.lifetime(1))
        return f"for<{', '.join(names)}> "

    def type_(self) -> str:
        self.depth += 1
        if self.depth > 200:
            raise ValueError("too deep")
        try:
            return self._type()
        finally:
            self.depth -= 1

    def _type(self) -> str:
        c = self.peek()
        if c in _BASIC:
            self.i += 1
            return _BASIC[c]
        if c in "CNMXYI":
            return self.path(False)
        self.i += 1
        if c == "B":
            return self.backref(self.type_)
        if c == "A":
            t = self.type_()
            return f"[{t}; {self.const()}]"
        if c == "S":
            return f"[{self.type_()}]"
        if c == "T":
            items = []
            while not self.eat("E"):
                items.append(self.type_())
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if c in "RQ":
            lt = ""
            if self.eat("L"):
                n = self.b62()
                if n:
                    lt = self.lifetime(n) + " "
            return ("&" if c == "R" else "&mut ") + lt + self.type_()
        if c == "P":
            return "*const " + self.type_()
        if c == "O":
            return "*mut " + self.type_()
        if c == "F":
            saved = self.bound_lifetimes
            b = self.binder()
            unsafe = "unsafe " if self.eat("U") else ""
            abi = ""
            if self.eat("K"):
                if self.eat("C"):
                    abi = 'extern "C" '
                else:
                    abi = f'extern "{self.ident().replace("_", "-")}" '
            args = []
            while not self.eat("E"):
                args.append(self.type_())
            ret = self.type_()
            self.bound_lifetimes = saved
            tail = "" if ret == "()" else f" -> {ret}"
            return f"{b}{unsafe}{abi}fn({', '.join(args)}){tail}"
        if c == "D":
            saved = self.bound_lifetimes
            b = self.binder()
            traits = []
            while not self.eat("E"):
                tr = self.path(False)
                binds = []
                while self.eat("p"):
                    nm = self.ident()
                    binds.append(f"{nm} = {self.type_()}")
                if binds:
                    if tr.endswith(">"):
                        tr = tr[:-1] + ", " + ", ".join(binds) + ">"
                    else:
                        tr = tr + "<" + ", ".join(binds) + ">"
                traits.append(tr)
            if not self.eat("L"):
                raise ValueError("dyn lifetime expected")
            n = self.b62()
            self.bound_lifetimes = saved
            out = "dyn " + b + " + ".join(traits)
            if n:
                out += " + " + self.lifetime(n)
            return out
        raise ValueError("bad type")

    def const(self) -> str:
        if self.eat("B"):
            return self.backref(self.const)
        if self.eat("p"):
            return "_"
        t = self.next()
        neg = self.eat("n")
        j = self.i
        while self.peek() != "_":
            if self.peek() not in "0123456789abcdef":
                raise ValueError("bad const")
            self.i += 1
        hexd = self.s[j:self.i]
        self.i += 1
        v = int(hexd, 16) if hexd else 0
        if t == "b":
            return "true" if v else "false"
        if t == "c":
            return repr(chr(v))
        return f"{'-' if neg else ''}{v}"


def demangle_rust_v0(body: str) -> str | None:
    """Rust v0 (``_R`` prefix removed) to its readable path; None when malformed."""
    p = _V0(body)
    try:
        if p.peek().isdigit():
            p.decimal()
        out = p.path(True)
        if p.peek() and p.peek() in "CNMXYIB":
            p.path(False)  # instantiating crate: not printed
        rest = p.s[p.i:]
        if rest and not rest.startswith("."):
            return None
        return f"{out} ({rest})" if rest else out  # rustc-demangle prints suffixes as " (.0)"
    except (ValueError, IndexError, UnicodeError, RecursionError):
        return None
