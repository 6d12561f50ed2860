"""The collapser protocol and the options every collapser receives."""

from __future__ import annotations

from .._records import TYPE_CHECKING, Record
from ..errors import Skips

if TYPE_CHECKING:
    from typing import Any, BinaryIO, ClassVar, Protocol

    from ..profile import Profile
else:  # the protocol documents what a collapser has; nothing checks it at run time (typing: start-up)
    Protocol = object


class CollapseOptions(Record):
    """What a collapser is told: where the input comes from, how strict to be,
    an optional resolver for raw addresses, and format-specific settings in
    ``params`` (each collapser documents the keys it reads).

    A plain class with a dataclass's constructor, ``repr`` and ``==`` (start-up:
    :class:`flamekit._records.Record`); ``skips`` and ``params`` default to new ones."""

    _fields = ("source", "skips", "resolver", "params", "verbose")

    def __init__(self, source: str = "<input>", skips: Skips | None = None, resolver: Any = None,
                 params: dict[str, Any] | None = None, verbose: bool = False) -> None:
        self.source = source
        self.skips = Skips() if skips is None else skips
        self.resolver = resolver
        self.params: dict[str, Any] = {} if params is None else params
        self.verbose = verbose

    @property
    def strict(self) -> bool:
        return self.skips.strict

    def get(self, key: str, default: Any = None) -> Any:
        value = self.params.get(key, default)
        return default if value is None else value


class Collapser(Protocol):
    """One input format.

    ``detect`` looks at the first few KB of (decompressed) input and says
    True (mine), False (not mine) or None (could be).  ``collapse`` reads
    the whole stream and returns a Profile; bad input raises InputError or
    is recorded in ``options.skips``.
    """

    name: ClassVar[str]
    #: lower runs earlier in detection; the catch-all formats use high values
    priority: ClassVar[int]
    description: ClassVar[str]

    def detect(self, head: bytes) -> bool | None: ...

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile: ...
