"""Frame lines of ``perf script`` output turned into frame names.

By default the names are exactly those of stackcollapse-perf.pl (FlameGraph
41fee1f): offsets stripped, ``[unknown]`` replaced by the DSO's basename,
arguments cut at the first ``(``, quotes deleted, Java ``L`` prefixes dropped,
``->`` inline chains split and tagged ``_[i]``, optional ``_[k]``/``_[j]``.
``bracket_aware_args`` fixes two of its bugs: C++ names are cut at the
parameter list, not inside template arguments, and ``(anonymous namespace)``
frames are kept instead of dropped.  All the naming happens in
:meth:`FrameNamer.line_frames`, the one place a symbolizer hooks into.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .._records import TYPE_CHECKING, NamedTuple
from ._lazy_re import lazy

if TYPE_CHECKING:
    from typing import Any

RX_FRAME = lazy(r"^\s*(\w+)\s*(.+) \((.*)\)", re.ASCII)
RX_OFFSET = lazy(r"\+0x[\da-f]+$", re.ASCII)
RX_GO_METHOD = lazy(r"\.\(.*\)\.")
RX_ARGS = lazy(r"\((?!anonymous namespace\)).*")
RX_KERNEL_DSO = lazy(r"^\[|vmlinux$")
RX_JIT_DSO = lazy(r"/tmp/perf-\d+\.map", re.ASCII)
RX_NO_INLINE_DSO = lazy(r"perf-\d+.map|kernel\.|\[[^\]]+\]", re.ASCII)
RX_SRCLINE_BRACKETS = lazy(r"\[.*?\]")
RX_ARROW_NOT_OPERATOR = lazy(r"(?<!operator)->")
#: entries of FrameNamer's memo before it is emptied (keeps memory bounded on any input)
NAMES_LIMIT = 20_000
_OPERATOR_CHARS = frozenset("<>=!+-*/%^&|~[],")
_ANON = "(anonymous namespace)"


class NamingOptions(NamedTuple):
    """The settings that change frame names (see the module docstring; an immutable record)."""

    kernel: bool = False
    jit: bool = False
    addrs: bool = False
    inline: bool = False
    context: bool = False
    srcline: bool = False
    bracket_aware_args: bool = False


class Unresolved(str):
    """A frame ``--inline`` will expand through addr2line once all samples are read.

    ``fallback`` holds the names used when addr2line has no answer; ``rawfunc``
    is the symbol as perf printed it (``func+0xOFF`` allows the nm fallback).
    """

    pc: str
    dso: str
    rawfunc: str
    fallback: tuple[str, ...]

    def __new__(cls, pc: str, dso: str, rawfunc: str, fallback: tuple[str, ...]) -> Unresolved:
        self = super().__new__(cls, "\x00".join(("\x00inline", dso, pc, rawfunc, *fallback)))
        self.pc, self.dso, self.rawfunc, self.fallback = pc, dso, rawfunc, fallback
        return self


def cut_args_bracket_aware(func: str) -> str:
    """``func`` without its parameter list: cut at the first ``(`` outside ``<>[]{}()``.

    ``operator()``/``operator<<``-style names and ``(anonymous namespace)`` are
    not parameter lists.
    """
    depth = 0
    i, n = 0, len(func)
    while i < n:
        c = func[i]
        if c == "o" and func.startswith("operator", i) and (i == 0 or not (func[i - 1].isalnum() or func[i - 1] == "_")):
            j = i + 8
            if func.startswith("()", j):
                i = j + 2
                continue
            while j < n and func[j] in _OPERATOR_CHARS:
                j += 1
            i = max(j, i + 8)
            continue
        if c in "<[{":
            depth += 1
        elif c in ">]}":
            depth = max(depth - 1, 0)
        elif c == "(":
            if func.startswith(_ANON, i):
                i += len(_ANON)
                continue
            if depth == 0:
                return func[:i]
            depth += 1
        elif c == ")":
            depth = max(depth - 1, 0)
        i += 1
    return func


class FrameNamer:
    """Names for the frames of one ``perf script`` frame line."""

    def __init__(self, opts: NamingOptions, resolver: Any = None) -> None:
        self.opts = opts
        self.resolver = resolver
        # (symbol without its +0xOFF, DSO, java?) -> names: unless --addrs or a resolver want
        # the address, that is all the names depend on (a function shows up at many offsets)
        self.memo: dict[tuple[str, str, bool], tuple[str, ...]] | None = (
            {} if resolver is None and not opts.addrs else None)

    def resolve_unknown(self, pc: str, dso: str) -> str | None:
        """A name for an ``[unknown]`` symbol in a known DSO, from the resolver if one is set."""
        if self.resolver is None:
            return None
        try:
            found = self.resolver.resolve(dso, int(pc, 16), "perf")
        except Exception:  # a resolver that cannot answer leaves the frame as perf printed it
            return None
        name = getattr(found, "name", found)
        return name if isinstance(name, str) and name else None

    def line_frames(self, text: str, is_java: bool,
                    next_line: Callable[[], bytes | None] | None = None) -> Sequence[str] | None:
        """The frames (in print order) of one frame line, or None when ``text`` is not one.

        ``next_line`` supplies the source line ``perf script -F +srcline`` prints
        after each frame (``--srcline``).
        """
        m = RX_FRAME.match(text)
        if m is None:
            return None
        pc, rawfunc, mod = m.group(1, 2, 3)
        if self.opts.inline and not RX_NO_INLINE_DSO.search(mod):
            return [Unresolved(pc, mod, rawfunc, tuple(self._names(pc, rawfunc, mod, is_java, None)))]
        memo = self.memo
        if memo is None or next_line is not None:
            return self._names(pc, rawfunc, mod, is_java, next_line)
        key = (RX_OFFSET.sub("", rawfunc, count=1), mod, is_java)
        names = memo.get(key)
        if names is None:
            if len(memo) >= NAMES_LIMIT:
                memo.clear()
            names = memo[key] = tuple(self._named(pc, key[0], mod, is_java, None))
        return names

    def _names(self, pc: str, rawfunc: str, mod: str, is_java: bool,
               next_line: Callable[[], bytes | None] | None) -> list[str]:
        return self._named(pc, RX_OFFSET.sub("", rawfunc, count=1), mod, is_java, next_line)

    def _named(self, pc: str, rawfunc: str, mod: str, is_java: bool,
               next_line: Callable[[], bytes | None] | None) -> list[str]:
        """The names of a frame whose symbol ``rawfunc`` has no +0xOFF suffix any more."""
        o = self.opts
        if rawfunc.startswith("(") and not (o.bracket_aware_args and rawfunc.startswith(_ANON)):
            return []  # the Perl script skips these as process names
        is_unknown = False
        out: list[str] = []
        pieces = (RX_ARROW_NOT_OPERATOR if o.bracket_aware_args else _ARROW).split(rawfunc)
        while pieces and pieces[-1] == "":  # Perl's split drops trailing empty fields
            pieces.pop()
        for func in pieces:
            if func == "[unknown]":
                resolved = self.resolve_unknown(pc, mod) if mod != "[unknown]" else None
                if resolved is not None:
                    func = resolved
                else:
                    if mod != "[unknown]":
                        func = mod.rpartition("/")[2]
                    else:
                        func = "unknown"
                        is_unknown = True
                    func = f"[{func} <{pc}>]" if o.addrs else f"[{func}]"
            func = func.replace(";", ":")
            if not RX_GO_METHOD.search(func):
                func = cut_args_bracket_aware(func) if o.bracket_aware_args else RX_ARGS.sub("", func, count=1)
            func = func.replace('"', "").replace("'", "")
            if is_java and "/" in func and func.startswith("L"):
                func = func[1:]
            if out:
                if "_[i]" not in func:
                    func += "_[i]"
            elif o.kernel and RX_KERNEL_DSO.search(mod) and "unknown" not in mod:
                func += "_[k]"
            elif o.jit and RX_JIT_DSO.search(mod):
                if "_[j]" not in func:
                    func += "_[j]"
            if o.srcline and not is_unknown and next_line is not None:
                src = next_line()
                if src is not None:
                    s = RX_SRCLINE_BRACKETS.sub("", src.rstrip(b"\n").decode("utf-8", "surrogateescape")).strip(" \t\n\r\x0b\x0c")
                    if s:
                        func += ":" + s
            out.append(func)
        return out


class _Arrow:
    """``str.split('->')`` with the interface of a compiled regex."""

    @staticmethod
    def split(s: str) -> list[str]:
        return s.split("->")


_ARROW = _Arrow()
