"""Pausing Python's cycle collector around bulk parsing.

Parsers and decoders build many small acyclic objects (tuples, strings) and a
growing dict of stacks; collections triggered by those allocations rescan the
dict again and again (7-25% of CPU measured in the perf, BCC, gprof and DWARF
readers) while finding nothing to free.
"""

from __future__ import annotations

import gc


class no_gc:  # (lower case: used as the function it was, ``with no_gc():``)
    """Disable the cycle collector for the block (restoring its previous state).

    A class rather than a ``contextlib.contextmanager`` generator: importing
    contextlib is ~1 % of a small flame graph's start.
    """

    def __enter__(self) -> None:
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was:
            gc.enable()
