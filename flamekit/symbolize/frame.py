"""The :class:`Frame` record every symbolize backend answers with.

Its own module so that the package can name it without importing the DWARF
decoder, which a function-names-only ``addr2line`` never uses (start-up time).
"""

from __future__ import annotations

from .._records import NamedTuple


class Frame(NamedTuple):
    """One (possibly inlined) function at an address, with its source position."""

    function: str
    file: str | None = None
    line: int = 0
