"""Pausing Python's cycle collector around bulk parsing.

Parsers and decoders build many small acyclic objects (tuples, strings) and a
growing dict of stacks; collections triggered by those allocations rescan the
dict again and again (7-25% of CPU measured in the perf, BCC, gprof and DWARF
readers) while finding nothing to free.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Disable the cycle collector for the block (restoring its previous state)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
