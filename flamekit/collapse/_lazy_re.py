"""Regular expressions compiled on first use, not at import.

Detection imports every format module, and between them they define some
eighty patterns: compiling all of them cost about 10 ms of every command's
start-up, although one input needs only its own format's few.  A
:func:`lazy` pattern is compiled the first time any of its attributes is
asked for; the bound methods (``match``, ``search``, ...) are then kept on
the object, so a hot loop pays nothing more than for a compiled pattern.
"""

from __future__ import annotations

from .._records import TYPE_CHECKING

if TYPE_CHECKING:
    import re
    from typing import Any, AnyStr


class _LazyPattern:
    """Stands in for ``re.compile(pattern, flags)`` until an attribute is used."""

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # only called for attributes not yet in the instance dict: compile (once), keep, return
        if name.startswith("__"):
            raise AttributeError(name)
        import re  # here, not at import: detection imports every format module, a folded input needs no re

        value = getattr(re.compile(*self._args), name)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"lazy({self._args[0]!r})"


def lazy(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """A pattern that compiles itself on first use (typed as the compiled pattern it acts as)."""
    return _LazyPattern(pattern, flags)  # type: ignore[return-value]
