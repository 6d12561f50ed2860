"""Frame lines of ``perf script`` records turned into numbered frame tuples, memoized.

A capture repeats itself: the same call sites print the same caller lines
sample after sample, and only a few thousand distinct functions appear.  The
fold therefore looks a record's leaf line and its block of caller lines up as
raw text first (one dict lookup each, on the hot path), and only on a miss
does the work here:

* a caller block is looked up again by its *shape*: the block with the
  address word of every indented line replaced by ``0``.  Names do not depend
  on addresses (unless ``--addrs``, ``--inline`` or a resolver ask for them),
  and user-space stacks differ mostly in addresses ([unknown] frames,
  relocated code), so 3x fewer shapes than raw blocks occur in a mixed
  capture;
* a shape not seen yet is named line by line, each line memoized by its own
  shape;
* a leaf line not seen yet is looked up by its *symbol key*: the text after
  the address with the ``+0xOFF`` of the symbol cut (:func:`symbol_key`).
  Leaf lines differ mostly in address and offset, and the names depend on
  neither, so a capture's leaves come down to a few thousand keys (6.5k for
  the 36k distinct leaf lines of half the mixed capture).

Why replacing the address is exact: the Perl frame regex
``^\\s*(\\w+)\\s*(.+) \\((.*)\\)`` takes the whole address word whenever the
rest of the line allows it, and then the names depend on that rest only.  The
line with ``0`` as its address parses iff the rest allows a whole word; when
it does not (the original line might still parse, with a shorter "address"),
the record goes to the state machine (:data:`COMPLEX`), which reads the
original lines.

Why the symbol key is exact: on a line ``ADDR REST`` whose REST starts with no
blank and ends with ``)``, the greedy ``(.+) \\((.*)\\)`` ends the symbol at the
last ``" ("`` of REST (every later ``" ("`` has the final ``)`` after it) and
the DSO runs to that final ``)``.  The names are a function of the symbol with
its trailing ``\\+0x[\\da-f]+`` removed (that is all the Perl script keeps of it,
:meth:`FrameNamer.line_frames` memoizes on the same) and of the DSO; the key
is exactly those two, so lines with equal keys have equal names.  Any other
line keeps the shape path.

Every table is bounded (emptied when full), so memory does not grow with the
input; the numbered frame tuples grow with the distinct stacks only.
"""

from __future__ import annotations

from itertools import chain

from .._records import TYPE_CHECKING

from ._lazy_re import lazy
from ._perf_frames import FrameNamer
from ._perf_header import RX_HEAD

if TYPE_CHECKING:
    from typing import Any

ENC, ERR = "utf-8", "surrogateescape"
#: memo value: the record needs the line-by-line state machine
COMPLEX: Any = object()
EMPTY: tuple[str, ...] = ()
#: entries per table of caller blocks (raw and shapes) before it is emptied
BLOCK_LIMIT = 8_000
#: entries per table of single lines (raw leaf lines, line shapes) before it is emptied
LINE_LIMIT = 40_000

# the address word of an indented frame line, with the line break before it
_RX_ADDRESS = lazy(rb"\n[ \t]+[0-9A-Za-z]+ ")
_RX_LINE_ADDRESS = lazy(rb"[ \t]+[0-9A-Za-z]+ ")
_HEX_DIGITS = b"0123456789abcdef"


def symbol_key(rest: bytes) -> bytes | None:
    """``SYMBOL (DSO)`` of a frame line's text after its address word, with the
    ``+0xOFF`` that ends SYMBOL removed; None when ``rest`` is not that plain shape
    (see the module docstring for why equal keys give equal names)."""
    j = rest.rfind(b" (")
    if j < 1 or rest[-1:] != b")" or rest[0] in b" \t\n\r\x0b\x0c":
        return None
    k = rest.rfind(b"+0x", 0, j)
    if k >= 0 and k + 3 < j and not rest[k + 3:j].strip(_HEX_DIGITS):
        return rest[:k] + rest[j:]
    return rest


class Interner:
    """A small int per distinct frame tuple: the fold counts samples under these numbers."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, ...], int] = {EMPTY: 0}
        self.frames: list[tuple[str, ...]] = [EMPTY]  # number -> frames

    def __call__(self, frames: tuple[str, ...]) -> int:
        found = self.known.get(frames)
        if found is None:
            found = self.known[frames] = len(self.frames)
            self.frames.append(frames)
        return found


class FrameMemo:
    """Memo tables for the records of one naming (Java process names or the others).

    ``leaves`` (raw leaf line) and ``callers`` (raw caller block) are read by
    the fold's hot loop directly; :meth:`leaf` and :meth:`callers_of` fill them.
    Their values are the Interner's numbers of frame tuples (root first);
    :data:`COMPLEX` (the record needs the state machine) is only ever returned
    by those two, never stored there, so a hit needs no check.
    """

    def __init__(self, namer: FrameNamer, java: bool, address_free: bool, intern: Interner) -> None:
        self.namer = namer
        self.java = java
        self.address_free = address_free
        self.intern = intern
        self.leaves: dict[bytes, Any] = {}
        self.callers: dict[bytes, Any] = {}
        self.shapes: dict[bytes, Any] = {}
        self.lines: dict[bytes, Any] = {}
        self.symbols: dict[bytes, Any] = {}  # symbol key of a leaf line -> frame tuple number

    def leaf(self, line: bytes) -> Any:
        """The frames of a leaf line (a miss of ``leaves``), remembered there."""
        found = None
        key = line
        if self.address_free:
            m = _RX_LINE_ADDRESS.match(line)
            if m is not None:
                rest = line[m.end():]
                sym = symbol_key(rest)
                if sym is not None:
                    found = self.symbols.get(sym)
                    if found is None:
                        found = self._leaf_named(b"\t0 " + rest)
                        if len(self.symbols) >= LINE_LIMIT:
                            self.symbols.clear()
                        self.symbols[sym] = found
                else:
                    key = b"\t0 " + rest
        if found is None:
            found = self._leaf_named(key)
        if found is not COMPLEX:  # (the fold's hot loop trusts what it finds here)
            if len(self.leaves) >= LINE_LIMIT:
                self.leaves.clear()
            self.leaves[line] = found
        return found

    def _leaf_named(self, key: bytes) -> Any:
        """The frame tuple number of a leaf line shape (or COMPLEX)."""
        names = self.lines.get(key)
        if names is None:
            names = self._named(key)
        return names if names is COMPLEX else self.intern(names)

    def callers_of(self, block: bytes) -> Any:
        """The frames of a block of caller lines (a miss of ``callers``), remembered there."""
        if self.address_free:
            shape = _RX_ADDRESS.sub(b"\n\t0 ", b"\n" + block)[1:]
            frames = self.shapes.get(shape)
            if frames is None:
                frames = self._block(shape)
                if len(self.shapes) >= BLOCK_LIMIT:
                    self.shapes.clear()
                self.shapes[shape] = frames
        else:
            frames = self._block(block)
        if frames is not COMPLEX:  # (the fold's hot loop trusts what it finds here)
            if len(self.callers) >= BLOCK_LIMIT:
                self.callers.clear()
            self.callers[block] = frames
        return frames

    def _block(self, shape: bytes) -> Any:
        """The frames (root first) of a block of line shapes, or COMPLEX."""
        keys = shape.split(b"\n")
        found = list(map(self.lines.get, keys))
        if None in found:
            for i, names in enumerate(found):
                if names is None:
                    found[i] = self._named(keys[i])
        if COMPLEX in found:
            return COMPLEX
        found.reverse()
        return self.intern(tuple(chain.from_iterable(found)))

    def _named(self, key: bytes) -> Any:
        """Names for a line shape not in ``lines`` (or COMPLEX), remembered there."""
        if not key or key[:1] == b"#" or RX_HEAD.match(key):
            names = COMPLEX
        else:
            found = self.namer.line_frames(key.decode(ENC, ERR), self.java)
            names = COMPLEX if found is None else tuple(found)
        if len(self.lines) >= LINE_LIMIT:
            self.lines.clear()
        self.lines[key] = names
        return names
