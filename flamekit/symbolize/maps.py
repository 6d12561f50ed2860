"""``/proc/PID/maps``: which file is mapped where (symbolize.md §2).

Lines are ``start-end perms offset dev inode pathname``; pathnames may hold
spaces, end in `` (deleted)`` or be pseudo-names (``[vdso]``, ``[heap]``,
``[anon:x]``, ``memfd:x``) or be empty for anonymous memory.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from ..errors import InputError
from ..io import read_all


@dataclass(frozen=True)
class Mapping:
    start: int
    end: int
    perms: str
    offset: int
    path: str

    @property
    def deleted(self) -> bool:
        return self.path.endswith(" (deleted)")

    @property
    def is_file(self) -> bool:
        return self.path.startswith("/")

    @property
    def file_path(self) -> str:
        return self.path[: -len(" (deleted)")] if self.deleted else self.path


class ProcMaps:
    """Sorted mappings with ``find(addr)``."""

    def __init__(self, data: bytes, source: str, pid: int | None = None) -> None:
        self.source = source
        #: set when read live: deleted files are then still readable through map_files
        self.pid = pid
        maps: list[Mapping] = []
        for lineno, line in enumerate(data.split(b"\n"), 1):
            if not line.strip():
                continue
            parts = line.split(None, 5)
            try:
                lo, hi = parts[0].split(b"-")
                m = Mapping(int(lo, 16), int(hi, 16), parts[1].decode("ascii"), int(parts[2], 16),
                            parts[5].strip().decode("utf-8", "surrogateescape") if len(parts) > 5 else "")
            except (ValueError, IndexError, UnicodeDecodeError):
                raise InputError(source, lineno, "not a /proc/PID/maps line") from None
            maps.append(m)
        maps.sort(key=lambda m: m.start)
        self.maps = maps
        self._starts = [m.start for m in maps]

    @classmethod
    def load(cls, path: str) -> ProcMaps:
        return cls(read_all(path), path)

    @classmethod
    def for_pid(cls, pid: int) -> ProcMaps:
        path = f"/proc/{pid}/maps"
        return cls(read_all(path), path, pid)

    def file_for(self, m: Mapping) -> str:
        """A readable path for a mapping's file: ``/proc/PID/map_files/...`` when it was deleted
        or lives in another mount namespace (needs CAP_SYS_ADMIN), else its path."""
        import os

        if self.pid is not None and (m.deleted or not os.path.exists(m.file_path)):
            alt = f"/proc/{self.pid}/map_files/{m.start:x}-{m.end:x}"
            if os.path.exists(alt):
                return alt
        return m.file_path

    def find(self, addr: int) -> Mapping | None:
        i = bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.maps[i].end:
            return self.maps[i]
        return None
