"""JIT symbol maps: ``/tmp/perf-PID.map`` (symbolize.md §6).

Each line is ``START SIZE name`` (hex without 0x; the name runs to the end of
the line).  The file is append-only and code space is reused, so on overlap
the later line wins.  Lookups take the raw absolute address.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from bisect import bisect_right

from ..errors import InputError, Skips
from ..io import read_all


class PerfMap:
    """Non-overlapping ranges built from a perf map, later entries winning."""

    def __init__(self, data: bytes, source: str, skips: Skips | None = None) -> None:
        self.source = source
        entries: list[tuple[int, int, str]] = []
        for lineno, line in enumerate(data.split(b"\n"), 1):
            line = line.rstrip(b"\r")
            if not line.strip():
                continue
            parts = line.split(b" ", 2)
            try:
                start, size = int(parts[0], 16), int(parts[1], 16)
                name = parts[2].decode("utf-8", "surrogateescape")
            except (ValueError, IndexError):
                reason = "not a perf map line (expected 'START SIZE name')"
                if skips is None:
                    raise InputError(source, lineno, reason) from None
                skips.skip(source, lineno, reason)
                continue
            if size:
                entries.append((start, start + size, name))
        self._build(entries)

    def _build(self, entries: list[tuple[int, int, str]]) -> None:
        # paint ranges in file order onto a sorted list of disjoint intervals
        starts: list[int] = []
        ends: list[int] = []
        names: list[str] = []
        for lo, hi, name in entries:
            i = bisect_right(starts, lo) - 1
            if i >= 0 and ends[i] > lo:
                # split the interval that begins before lo
                if ends[i] > hi:
                    starts.insert(i + 1, hi)
                    ends.insert(i + 1, ends[i])
                    names.insert(i + 1, names[i])
                ends[i] = lo
                if starts[i] == ends[i]:
                    del starts[i], ends[i], names[i]
                    i -= 1
            j = i + 1
            while j < len(starts) and starts[j] < hi:
                if ends[j] <= hi:
                    del starts[j], ends[j], names[j]
                else:
                    starts[j] = hi
                    break
            starts.insert(j, lo)
            ends.insert(j, hi)
            names.insert(j, name)
        self.starts = array("Q", starts)
        self.ends = array("Q", ends)
        self.names = names

    @classmethod
    def load(cls, path: str, skips: Skips | None = None) -> PerfMap:
        return cls(read_all(path), path, skips)

    def __len__(self) -> int:
        return len(self.starts)

    def lookup(self, addr: int) -> tuple[str, int, int] | None:
        """``(name, start, size)`` of the JIT code object containing ``addr``."""
        i = bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.ends[i]:
            return None
        return self.names[i], self.starts[i], self.ends[i] - self.starts[i]


def perf_map_path(pid: int) -> str | None:
    """Where perf would find the map of ``pid`` (also inside the process's root)."""
    name = f"perf-{pid}.map"
    for cand in (os.path.join(tempfile.gettempdir(), name), f"/proc/{pid}/root/tmp/{name}"):
        if os.path.isfile(cand):
            return cand
    return None
