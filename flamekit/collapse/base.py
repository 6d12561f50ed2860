"""The collapser protocol and the options every collapser receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar, Protocol, runtime_checkable

from ..errors import Skips
from ..profile import Profile


@dataclass
class CollapseOptions:
    """What a collapser is told: where the input comes from, how strict to be,
    an optional resolver for raw addresses, and format-specific settings in
    ``params`` (each collapser documents the keys it reads)."""

    source: str = "<input>"
    skips: Skips = field(default_factory=Skips)
    resolver: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    verbose: bool = False

    @property
    def strict(self) -> bool:
        return self.skips.strict

    def get(self, key: str, default: Any = None) -> Any:
        value = self.params.get(key, default)
        return default if value is None else value


@runtime_checkable
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
