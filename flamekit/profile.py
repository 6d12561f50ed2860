"""The hub: a Profile maps stacks (root first) to integer weights.

Collapsers produce Profiles, operations transform them, renderers consume
them.  Metadata says what a unit of weight means and where the data came
from, so renderers can label their output honestly.
"""

from __future__ import annotations

from ._records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from typing import Any

Stack = tuple[str, ...]

#: separator of a packed stack: ``"a\x01b\x01c"`` is the stack ``("a", "b", "c")``.  It sorts
#: below every other character, so sorted packed stacks keep each caller's callees together.
PACK_SEP = "\x01"


def unpack(packed: Mapping[str, int]) -> dict[Stack, int]:
    """Stack tuples of packed stacks (``""`` is the empty stack), in the same order."""
    return {tuple(k.split(PACK_SEP)) if k else (): w for k, w in packed.items()}

#: well-known units of weight; any other string is allowed too
UNITS = ("samples", "period", "nanoseconds", "microseconds", "bytes", "count", "calls")


class Profile(Record):
    """Stacks (tuples of frame names, root first) and their integer weights.

    ``unit`` says what one unit of weight is (samples, nanoseconds, ...);
    ``event`` names the profiler event when known; ``sources`` lists where
    the data came from; ``meta`` holds small string facts (``approximate``,
    ``sample_type``, ...) that renderers may show; ``extras`` carries rich
    attachments a collapser wants to hand on (e.g. gprof's call graph).

    A plain class rather than a dataclass (start-up, see :class:`flamekit._records.Record`),
    with a dataclass's constructor: ``stacks``, ``sources``, ``meta`` and
    ``extras`` default to new empty containers; ``repr`` and ``==`` leave out
    ``extras`` and ``input_order``.
    """

    _fields = ("stacks", "unit", "event", "sources", "meta")

    def __init__(self, stacks: dict[Stack, int] | None = None, unit: str = "samples", event: str | None = None,
                 sources: list[str] | None = None, meta: dict[str, str] | None = None,
                 extras: dict[str, Any] | None = None, input_order: bool = True) -> None:
        self._stacks: dict[Stack, int] = {} if stacks is None else stacks
        #: the stacks still packed (see :meth:`from_packed`); ``None`` once :attr:`stacks` was used
        self._packed: dict[str, int] | None = None
        self.unit = unit
        self.event = event
        self.sources: list[str] = [] if sources is None else sources
        self.meta: dict[str, str] = {} if meta is None else meta
        self.extras: dict[str, Any] = {} if extras is None else extras
        #: True when :attr:`stacks` are in the order the input first showed them (what a flame chart
        #: draws); False when the order is an artifact of how a collapser worked (perf's memo tables
        #: and two processes): a flame chart then draws the stacks sorted, as their folded text lists them
        self.input_order = input_order

    @property
    def stacks(self) -> dict[Stack, int]:
        """Stacks (tuples, root first) and their weights (packed ones are unpacked on first use, transparently)."""
        if self._packed is not None:
            self._stacks = unpack(self._packed)
            self._packed = None
        return self._stacks

    @stacks.setter
    def stacks(self, stacks: dict[Stack, int]) -> None:
        self._stacks = stacks
        self._packed = None

    @classmethod
    def from_packed(cls, packed: dict[str, int], **kw: Any) -> Profile:
        """A Profile whose stacks stay packed strings until :attr:`stacks` is first read.

        Keys are stacks joined by :data:`PACK_SEP`, frames as folded text has them
        (no ``;``, no newline, no character below ``"\x03"``).  A renderer that works on packed stacks (the flame graph)
        never pays for millions of frame strings and tuples; anything else reads
        :attr:`stacks` and gets ordinary tuples, decoded once.
        """
        p = cls(**kw)
        p._packed = packed
        return p

    def packed_stacks(self) -> dict[str, int] | None:
        """The packed stacks if they were never unpacked (read-only), else ``None``."""
        return self._packed

    # -- building -----------------------------------------------------------
    def add(self, stack: Stack, weight: int = 1) -> None:
        """Add ``weight`` to ``stack`` (summing duplicates)."""
        stacks = self.stacks
        stacks[stack] = stacks.get(stack, 0) + weight

    def update(self, counts: Mapping[Stack, int]) -> None:
        stacks = self.stacks
        for stack, w in counts.items():
            stacks[stack] = stacks.get(stack, 0) + w

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[Stack, int]], **kw: Any) -> Profile:
        p = cls(**kw)
        for stack, w in pairs:
            p.add(tuple(stack), w)
        return p

    # -- reading ------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.stacks)

    def __iter__(self) -> Iterator[Stack]:
        return iter(self.stacks)

    def items(self) -> Iterable[tuple[Stack, int]]:
        return self.stacks.items()

    @property
    def total(self) -> int:
        """Sum of all weights."""
        return sum(self.stacks.values())

    def sorted_items(self) -> list[tuple[Stack, int]]:
        """Stacks in the byte order of their folded form (what FlameGraph sorts by)."""
        return sorted(self.stacks.items(), key=lambda kv: ";".join(kv[0]).encode("utf-8", "surrogateescape"))

    def frame_names(self) -> set[str]:
        names: set[str] = set()
        for stack in self.stacks:
            names.update(stack)
        return names

    def max_depth(self) -> int:
        return max((len(s) for s in self.stacks), default=0)

    def self_weights(self) -> dict[str, int]:
        """Weight of each function as the leaf of a stack."""
        out: dict[str, int] = {}
        for stack, w in self.stacks.items():
            if stack:
                out[stack[-1]] = out.get(stack[-1], 0) + w
        return out

    def total_weights(self) -> dict[str, int]:
        """Inclusive weight of each function, counted once per stack."""
        out: dict[str, int] = {}
        for stack, w in self.stacks.items():
            for name in set(stack):
                out[name] = out.get(name, 0) + w
        return out

    # -- operations (each returns a new Profile) ------------------------------
    def _like(self, stacks: dict[Stack, int]) -> Profile:
        return Profile(stacks, self.unit, self.event, list(self.sources), dict(self.meta), dict(self.extras),
                       self.input_order)

    def copy(self) -> Profile:
        return self._like(dict(self.stacks))

    def merge(self, *others: Profile) -> Profile:
        """Sum of this and ``others`` (order does not matter)."""
        out = self.copy()
        for o in others:
            out.update(o.stacks)
            for s in o.sources:
                if s not in out.sources:
                    out.sources.append(s)
            if out.unit != o.unit:
                out.meta["mixed_units"] = "yes"
            if out.event is None:
                out.event = o.event
            out.input_order = out.input_order and o.input_order
        return out

    def filter(self, keep: Callable[[Stack, int], bool]) -> Profile:
        """Only the stacks for which ``keep(stack, weight)`` is true."""
        return self._like({s: w for s, w in self.stacks.items() if keep(s, w)})

    def grep(self, pattern: str, invert: bool = False) -> Profile:
        """Stacks with (or without) a frame matching the regex ``pattern``."""
        import re

        rx = re.compile(pattern)
        return self.filter(lambda s, _w: any(rx.search(f) for f in s) != invert)

    def map_frames(self, fn: Callable[[str], str]) -> Profile:
        """Rename every frame through ``fn``; stacks that become equal are summed."""
        cache: dict[str, str] = {}
        out: dict[Stack, int] = {}
        for stack, w in self.stacks.items():
            new = []
            for f in stack:
                r = cache.get(f)
                if r is None:
                    r = cache[f] = fn(f)
                new.append(r)
            key = tuple(new)
            out[key] = out.get(key, 0) + w
        return self._like(out)

    def focus(self, pattern: str) -> Profile:
        """Re-root each stack at its first frame matching ``pattern``; drop the others."""
        import re

        rx = re.compile(pattern)
        out: dict[Stack, int] = {}
        for stack, w in self.stacks.items():
            for i, f in enumerate(stack):
                if rx.search(f):
                    key = stack[i:]
                    out[key] = out.get(key, 0) + w
                    break
        return self._like(out)

    def prune(self, min_weight: int) -> Profile:
        """Cut every stack at the first prefix whose weight is below ``min_weight``.

        Weight is conserved: what a cut hides stays counted in the parent.
        """
        prefix: dict[Stack, int] = {}
        for stack, w in self.stacks.items():
            for i in range(1, len(stack) + 1):
                k = stack[:i]
                prefix[k] = prefix.get(k, 0) + w
        out: dict[Stack, int] = {}
        for stack, w in self.stacks.items():
            cut = len(stack)
            for i in range(1, len(stack) + 1):
                if prefix[stack[:i]] < min_weight:
                    cut = i - 1
                    break
            key = stack[:cut]
            out[key] = out.get(key, 0) + w
        return self._like(out)

    def scaled(self, factor: float) -> Profile:
        """Weights multiplied by ``factor`` and rounded (used to normalize)."""
        return self._like({s: int(round(w * factor)) for s, w in self.stacks.items()})


def merge(profiles: Iterable[Profile]) -> Profile:
    """Sum of several Profiles (an empty Profile for none)."""
    it = iter(profiles)
    first = next(it, None)
    if first is None:
        return Profile()
    return first.merge(*it)
