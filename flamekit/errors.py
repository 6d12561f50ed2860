"""One exception family, and the bookkeeping of skipped input lines.

Every problem with a user's input is an :class:`InputError` naming the source,
the line (1-based, or None when the whole input is at fault) and the reason;
the CLI prints it as one line and exits 2.  Lines a parser chooses to skip are
recorded in a :class:`Skips` so nothing is dropped silently; with ``strict``
the first skip is raised as an :class:`InputError` instead.
"""

from __future__ import annotations


class FlamekitError(Exception):
    """Base of every error flamekit raises on purpose."""


class InputError(FlamekitError):
    """Bad input: which source, which line, and why."""

    def __init__(self, source: str | None, line: int | None, reason: str) -> None:
        self.source = source or "<input>"
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.reason}"


class UsageError(FlamekitError):
    """The request cannot be served (missing tool, conflicting options)."""


class Skips:
    """Counts lines skipped per source; raises instead when ``strict``.

    A plain class rather than a dataclass: the CLI imports this module at
    start-up, and ``dataclasses`` (with ``inspect`` and ``ast``) would cost
    every command, ``--version`` included, several milliseconds.
    """

    def __init__(self, strict: bool = False, counts: dict[str, int] | None = None,
                 first: dict[str, tuple[int | None, str]] | None = None) -> None:
        self.strict = strict
        self.counts: dict[str, int] = {} if counts is None else counts
        #: per source, where the first skip was and why
        self.first: dict[str, tuple[int | None, str]] = {} if first is None else first

    def __repr__(self) -> str:
        return f"Skips(strict={self.strict!r}, counts={self.counts!r}, first={self.first!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Skips):
            return NotImplemented
        return (self.strict, self.counts, self.first) == (other.strict, other.counts, other.first)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def skip(self, source: str | None, line: int | None, reason: str) -> None:
        src = source or "<input>"
        if self.strict:
            raise InputError(src, line, reason + " (--strict)")
        self.counts[src] = self.counts.get(src, 0) + 1
        self.first.setdefault(src, (line, reason))

    def add(self, source: str | None, count: int, line: int | None, reason: str) -> None:
        """Record ``count`` skips at once (parsers that count in bulk)."""
        if count <= 0:
            return
        if self.strict:
            raise InputError(source or "<input>", line, reason + " (--strict)")
        src = source or "<input>"
        self.counts[src] = self.counts.get(src, 0) + count
        self.first.setdefault(src, (line, reason))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def messages(self) -> list[str]:
        out = []
        for src in sorted(self.counts):
            line, reason = self.first[src]
            where = src if line is None else f"{src}:{line}"
            n = self.counts[src]
            out.append(f"skipped {n} line{'s' if n != 1 else ''} of {src} (first at {where}: {reason})")
        return out
