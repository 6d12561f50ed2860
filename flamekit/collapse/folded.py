"""Folded stacks as input (pass-through, merging, and the differential form)."""

from __future__ import annotations

from .. import folded
from .._records import TYPE_CHECKING
from .base import CollapseOptions

if TYPE_CHECKING:  # (the differential module is imported only when a file is differential)
    from typing import BinaryIO, ClassVar

    from ..diff import DiffProfile
    from ..profile import Profile


class FoldedCollapser:
    name: ClassVar[str] = "folded"
    priority: ClassVar[int] = 900  # the catch-all: ask every specific format first
    description: ClassVar[str] = "folded stacks 'a;b;c 42' (and 'stack BEFORE AFTER')"

    def detect(self, head: bytes) -> bool | None:
        return folded.looks_folded(head)

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile | DiffProfile:  # type: ignore[override]
        head = options.params.get("_head")
        return folded.read(stream, options.source, options.skips, options.params.get("differential"), head)


COLLAPSER = FoldedCollapser()
