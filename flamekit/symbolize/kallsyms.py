"""Kernel symbols from ``/proc/kallsyms`` or a saved copy (symbolize.md §5).

Lines are ``<hex addr> <type> <name>[\\t[module]]``; there are no sizes, so a
symbol ends where the next one starts (the last one is capped at the next page
+ 4096, as perf does).  Several names at one address are narrowed with the
same alias rule as ELF symbols.  A copy whose addresses are all zero is
refused: it was read without the privilege to see kernel pointers.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right

from ..errors import InputError
from ..io import read_all

#: symbol types that name code (text, weak, and the module/bpf forms)
_TEXT_TYPES = frozenset(b"tTwWiI")


def _alias_rank(name: str, typ: int) -> tuple[int, int, int, int, str]:
    underscores = len(name) - len(name.lstrip("_"))
    return (0 if typ in b"wW" else 1, 1 if chr(typ).isupper() else 0, -underscores, len(name), name)


class Kallsyms:
    """Sorted kernel text symbols: ``lookup(addr) -> (name, start, size, module)``."""

    def __init__(self, data: bytes, source: str = "/proc/kallsyms") -> None:
        self.source = source
        groups: dict[int, tuple[tuple[int, int, int, int, str], str, str]] = {}
        nonzero = False
        any_lines = False
        for lineno, line in enumerate(data.split(b"\n"), 1):
            if not line.strip():
                continue
            any_lines = True
            parts = line.split(None, 2)
            if len(parts) < 3 or len(parts[1]) != 1:
                raise InputError(source, lineno, "not a kallsyms line (expected 'ADDRESS TYPE NAME')")
            try:
                addr = int(parts[0], 16)
            except ValueError:
                raise InputError(source, lineno, f"bad address {parts[0][:40]!r}") from None
            if addr:
                nonzero = True
            typ = parts[1][0]
            if typ not in _TEXT_TYPES:
                continue
            rest = parts[2]
            module = ""
            tab = rest.find(b"\t")
            if tab >= 0:
                module = rest[tab + 1:].strip().strip(b"[]").decode("utf-8", "surrogateescape")
                rest = rest[:tab]
            name = rest.strip().decode("utf-8", "surrogateescape")
            rank = _alias_rank(name, typ)
            old = groups.get(addr)
            if old is None or rank > old[0]:
                groups[addr] = (rank, name, module)
        if not any_lines:
            raise InputError(source, None, "empty kallsyms file")
        if not nonzero:
            raise InputError(source, None, "all kallsyms addresses are zero: kernel pointers are hidden "
                             "(kptr_restrict, or reading without CAP_SYSLOG); read it as root or with "
                             "kernel.kptr_restrict=0")
        groups.pop(0, None)
        starts = sorted(groups)
        self.starts = array("Q", starts)
        self.names = [groups[a][1] for a in starts]
        self.modules = [groups[a][2] for a in starts]
        ends = array("Q", starts[1:])
        if starts:
            ends.append(((starts[-1] >> 12) + 1 << 12) + 4096)
        # a module's last symbol must not swallow the gap up to the next region
        for i in range(len(starts) - 1):
            if self.modules[i] != self.modules[i + 1]:
                ends[i] = min(ends[i], ((starts[i] >> 12) + 1 << 12) + 4096)
        self.ends = ends

    @classmethod
    def load(cls, path: str = "/proc/kallsyms") -> Kallsyms:
        return cls(read_all(path), path)

    def __len__(self) -> int:
        return len(self.starts)

    def lookup(self, addr: int) -> tuple[str, int, int, str] | None:
        """``(name, start, size, module)`` of the symbol containing ``addr``."""
        i = bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.ends[i]:
            return None
        start = self.starts[i]
        return self.names[i], start, self.ends[i] - start, self.modules[i]
