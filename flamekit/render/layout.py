"""Flame graph layout: which frames are drawn where, and what the budget hid.

Stacks are sorted once as strings whose separators sort below every name
character, so each frame's callees are a contiguous run found by bisection
and its weight is a difference of prefix sums.  Folded input arrives already
in that form (packed stacks, :meth:`Profile.from_packed`) and is sorted as it
is.  Only frames that are drawn (or embedded for zooming) are ever visited: a
callee lighter than the floor is skipped by bisecting the prefix sums, so a
subtree narrower than the minimum width costs nothing beyond the sort.  Frames below the width
threshold are not drawn but stay counted in their parent; the heaviest of
them (up to ``max_embedded``) are kept as nested data so the browser can draw
them when a zoom makes them wide enough.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from itertools import accumulate

from .._records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ..profile import Stack

SEP = "\x01"
#: embedded frames are chosen among those a zoom up to this factor would show
#: (per DEFAULT_EMBED frames of budget: a bigger budget reaches deeper)
EMBED_ZOOM = 16
DEFAULT_EMBED = 20_000
_UPPER = "\x02"
#: bits of a hidden candidate's number in its heap key (more candidates than 2**40 cannot be found)
SEQ_BITS = 40
SEQ_MASK = (1 << SEQ_BITS) - 1
#: name characters that would sort at or below the separators are escaped as \x02 + char+3
_ESCAPE = {chr(c): "\x02" + chr(c + 3) for c in range(3)}
_UNESCAPE = {v: k for k, v in _ESCAPE.items()}


class Frame(Record):
    """One drawn frame: name, depth (root 0), start and width in weight units.

    Plain classes with slots (these three) rather than dataclasses: start-up, see
    :class:`flamekit._records.Record`; constructor, ``repr`` and ``==`` are a dataclass's.
    """

    __slots__ = ("name", "depth", "x", "w", "before", "self_delta", "hidden", "index")  # noqa: RUF023 - in order
    _fields = __slots__

    def __init__(self, name: str, depth: int, x: int, w: int, before: int = 0, self_delta: int = 0,
                 hidden: list[Embedded] | None = None, index: int = 0) -> None:
        self.name = name
        self.depth = depth
        self.x = x
        self.w = w
        self.before = before
        self.self_delta = self_delta
        #: pruned callees kept for zooming (each an :class:`Embedded`)
        self.hidden: list[Embedded] = [] if hidden is None else hidden
        #: position in ``Layout.frames``
        self.index = index


class Embedded(Record):
    """A frame the budget hid, kept as data: offset from its parent, width, callees."""

    __slots__ = ("name", "dx", "w", "before", "self_delta", "kids", "parent", "index")  # noqa: RUF023 - in order
    _fields = __slots__

    def __init__(self, name: str, dx: int, w: int, before: int, self_delta: int, kids: list[Embedded] | None = None,
                 parent: int = 0, index: int = 0) -> None:
        self.name = name
        self.dx = dx
        self.w = w
        self.before = before
        self.self_delta = self_delta
        self.kids: list[Embedded] = [] if kids is None else kids
        #: where it hangs: an index into ``Layout.frames`` (>= 0), or -1 - index into ``Layout.hidden``
        self.parent = parent
        #: position in ``Layout.hidden``
        self.index = index


class Layout(Record):
    """Drawn frames in depth-first order (parents first) and what was embedded."""

    _fields = ("frames", "hidden", "total", "total_before", "max_depth", "embedded")

    def __init__(self, frames: list[Frame], hidden: list[Embedded], total: int, total_before: int, max_depth: int,
                 embedded: int) -> None:
        self.frames = frames
        #: embedded frames, callers before callees (the order they were chosen in)
        self.hidden = hidden
        self.total = total
        self.total_before = total_before
        self.max_depth = max_depth
        self.embedded = embedded


if TYPE_CHECKING:  # (an annotation only: Any is typing's)
    # A child as sources report it: name, absolute x, weight, before-weight, self delta, handle.
    Child = tuple[str, int, int, int, int, Any]


class SortedSource:
    """Callees of any frame, from stacks sorted with low-sorting separators."""

    def __init__(self, stacks: dict[Stack, int], before: dict[Stack, int] | None) -> None:
        order = list(stacks)
        if before is not None:
            order.extend(s for s in before if s not in stacks)
        # the empty stack is the root's own weight: it sorts first, so it sits at x=0
        self.root_w = stacks.get((), 0)
        self.root_b = before.get((), 0) if before is not None else self.root_w
        if () in stacks or (before is not None and () in before):
            order.remove(())
        raw = list(map(SEP.join, order))
        blob = "".join(raw)
        self.escaped = "\x00" in blob or _UPPER in blob or blob.count(SEP) != sum(map(len, order)) - len(order)
        if self.escaped:
            table = str.maketrans(_ESCAPE)
            raw = [SEP.join(f.translate(table) for f in s) for s in order]
        perm = sorted(range(len(raw)), key=raw.__getitem__)
        self.keys = list(map(raw.__getitem__, perm))
        if before is not None:
            self.ws = [stacks.get(order[i], 0) for i in perm]
            self.bs = [before.get(order[i], 0) for i in perm]
            self.cumb = list(accumulate(self.bs, initial=self.root_b))
        else:
            weights = list(stacks.values()) if () not in stacks else [stacks[s] for s in order]
            self.ws = self.bs = list(map(weights.__getitem__, perm))
        self.cum = list(accumulate(self.ws, initial=self.root_w))
        if before is None:
            self.cumb = self.cum

    @classmethod
    def from_packed(cls, packed: dict[str, int]) -> SortedSource:
        """The same source from packed stacks (:meth:`Profile.from_packed`): they are the keys already."""
        self = cls.__new__(cls)
        keys = sorted(packed)
        ws = list(map(packed.__getitem__, keys))
        self.root_w = self.root_b = 0
        if keys and not keys[0]:  # the empty stack: the root's own weight
            self.root_w = self.root_b = ws[0]
            del keys[0], ws[0]
        self.keys, self.ws, self.bs, self.escaped = keys, ws, ws, False
        self.cum = self.cumb = list(accumulate(ws, initial=self.root_w))
        return self

    def root(self) -> Child:
        n = len(self.keys)
        return ("all", 0, self.cum[n], self.cumb[n], self.root_w - self.root_b, (0, n, 0))

    def children(self, handle: tuple[int, int, int], floor: float = 0) -> list[Child]:
        """Callees in name order; with ``floor`` > 0, only those weighing at least ``floor``.

        Lighter callees are never looked at: from a position, the first stack at which
        the weight since then reaches ``floor`` (a bisection of the prefix sums) must
        belong to the next callee that can be heavy enough, so each light candidate
        costs two bisections and each kept callee three, however many stacks lie between.
        """
        lo, hi, off = handle
        keys = self.keys
        if hi - lo == 1:  # one stack (the commonest case by far): its next frame, if any
            return self._next_frame(lo, off, floor)
        i = lo
        if i < hi and len(keys[i]) < off:  # the parent's own stack sorts first
            i += 1
        if floor <= 0:
            return self._all_children(i, hi, off)
        cum, cumb = self.cum, self.cumb
        # (without a BEFORE column a callee's self delta is 0 and its before-weight its weight)
        diff = cumb is not cum
        escaped = self.escaped
        out: list[Child] = []
        # (each bisection is tried first at the nearest place, where it most often ends: a
        # comparison in Python is far cheaper than a bisection among scattered strings)
        if i >= hi:
            return out
        target = cum[i] + floor
        q = i + 1 if cum[i + 1] >= target else bisect_left(cum, target, i + 2, hi + 1)
        while q <= hi:
            # stacks i..q-2 weigh less than floor: the callee holding stack q-1 is the next candidate
            k = keys[q - 1]
            j = k.find(SEP, off)
            if j < 0:
                # stack q-1 ends with the candidate: it is the candidate's own stack, which sorts first
                # (its callees' stacks extend it), so no search (most candidates on a big profile)
                pre, start = k, q - 1
            else:
                pre = k[:j]
                start = i if keys[i] >= pre else bisect_left(keys, pre, i + 1, q)
            upper = pre + _UPPER
            # the first stack at which the candidate's weight (from its start) reaches floor
            x = cum[start]
            target = x + floor
            e = q if cum[q] >= target else bisect_left(cum, target, q + 1, hi + 1)
            if e > hi:
                break  # not even everything from its start on weighs floor
            if keys[e - 1] >= upper:  # it ends before: too light; the callee holding e-1 is next
                i, q = start, e
                continue
            end = e if e == hi or keys[e] >= upper else bisect_left(keys, upper, e + 1, hi)
            name = pre[off:]
            if escaped and "\x02" in name:
                name = _unescape(name)
            w = cum[end] - x
            if diff:
                sd = self.ws[start] - self.bs[start] if len(keys[start]) == len(pre) else 0
                out.append((name, x, w, cumb[end] - cumb[start], sd, (start, end, len(pre) + 1)))
            else:
                out.append((name, x, w, w, 0, (start, end, len(pre) + 1)))
            i = end
            if i >= hi:
                break
            target = cum[i] + floor
            q = i + 1 if cum[i + 1] >= target else bisect_left(cum, target, i + 2, hi + 1)
        return out

    def _next_frame(self, i: int, off: int, floor: float) -> list[Child]:
        """The callee of a frame that only stack ``i`` passes through: its next frame, if any."""
        k = self.keys[i]
        if len(k) < off:  # it ends here
            return []
        cum, cumb = self.cum, self.cumb
        w = cum[i + 1] - cum[i]
        if floor > 0 and w < floor:
            return []
        j = k.find(SEP, off)
        pre = k if j < 0 else k[:j]
        name = pre[off:]
        if self.escaped and "\x02" in name:
            name = _unescape(name)
        sd = self.ws[i] - self.bs[i] if j < 0 else 0
        return [(name, cum[i], w, cumb[i + 1] - cumb[i], sd, (i, i + 1, len(pre) + 1))]

    def chain(self, handle: tuple[int, int, int]) -> list[tuple[str, int]] | None:
        """The frames under a frame that only one stack passes through: (name, self delta) each, callers first.

        They all weigh what that frame weighs (the stack's weight), so whenever it is drawn, all of
        them are, one above the other, and none has another callee: the layout adds them at once
        instead of asking for each one's callees.  None when ``handle`` spans several stacks.
        """
        i, hi, off = handle
        if hi - i != 1:
            return None
        k = self.keys[i]
        if len(k) < off:  # the stack ends at this frame
            return []
        names = k[off:].split(SEP)
        if self.escaped:
            names = [_unescape(n) if "\x02" in n else n for n in names]
        out = [(n, 0) for n in names]
        out[-1] = (names[-1], self.ws[i] - self.bs[i])
        return out

    def _all_children(self, i: int, hi: int, off: int) -> list[Child]:
        """Every callee among stacks ``i..hi-1`` (none of them the parent's own), in name order."""
        keys, cum, cumb = self.keys, self.cum, self.cumb
        out: list[Child] = []
        while i < hi:
            k = keys[i]
            j = k.find(SEP, off)
            if j < 0:
                pre, name = k, k[off:]
                sd = self.ws[i] - self.bs[i]
            else:
                pre, name = k[:j], k[off:j]
                sd = 0
            if i + 1 < hi and keys[i + 1].startswith(pre):
                end = bisect_left(keys, pre + _UPPER, i + 1, hi)
            else:
                end = i + 1
            if self.escaped and "\x02" in name:
                name = _unescape(name)
            out.append((name, cum[i], cum[end] - cum[i], cumb[end] - cumb[i], sd, (i, end, len(pre) + 1)))
            i = end
        return out


def _unescape(name: str) -> str:
    for esc, ch in _UNESCAPE.items():
        name = name.replace(esc, ch)
    return name


class ChartSource:
    """A flame chart: stacks kept in input order, only adjacent equal frames merge."""

    def __init__(self, stacks: dict[Stack, int], before: dict[Stack, int] | None) -> None:
        # node: [name, x, w, before, self_delta, children]
        root: list[Any] = ["all", 0, 0, 0, 0, []]
        path: list[list[Any]] = [root]
        prev: Stack = ()
        x = 0
        items: Iterable[tuple[Stack, int]] = stacks.items()
        for stack, w in items:
            b = before.get(stack, 0) if before is not None else w
            common = 0
            limit = min(len(prev), len(stack))
            while common < limit and prev[common] == stack[common]:
                common += 1
            del path[common + 1:]
            node: list[Any]
            for depth in range(common, len(stack)):
                node = [stack[depth], x, 0, 0, 0, []]
                path[-1][5].append(node)
                path.append(node)
            for node in path:
                node[2] += w
                node[3] += b
            path[-1][4] += w - b
            x += w
            prev = stack
        if before is not None:  # stacks only in BEFORE have no width but count in the before totals
            root[3] += sum(b for s, b in before.items() if s not in stacks)
        self._root = root

    @staticmethod
    def _child(node: list[Any]) -> Child:
        return (node[0], node[1], node[2], node[3], node[4], node)

    def root(self) -> Child:
        return self._child(self._root)

    def children(self, handle: list[Any], floor: float = 0) -> list[Child]:
        return [self._child(c) for c in handle[5]]


def _by_weight(kids: list[Child], start: int) -> list[tuple[Child, int]]:
    """Children heaviest first from ``start`` (ties by name), with their new x."""
    out = []
    x = start
    for k in sorted(kids, key=lambda c: (-c[2], c[0])):
        out.append((k, x))
        x += k[2]
    return out


def layout(stacks: dict[Stack, int] | dict[str, int], *, threshold: float, before: dict[Stack, int] | None = None,
           sort: str = "name", flamechart: bool = False, max_embedded: int = 0, packed: bool = False) -> Layout:
    """Lay out ``stacks``: frames at least ``threshold`` wide are drawn, the rest embedded or summed.

    ``before`` (differential input) supplies the other column; widths come from ``stacks``.
    ``packed``: the keys of ``stacks`` are packed stacks (:meth:`Profile.from_packed`), not tuples
    (no ``before``, no flame chart).
    """
    src: SortedSource | ChartSource
    if packed:
        if before is not None or flamechart:
            raise ValueError("packed stacks: no differential layout, no flame chart")
        src = SortedSource.from_packed(stacks)  # type: ignore[arg-type]
    else:
        src = ChartSource(stacks, before) if flamechart else SortedSource(stacks, before)  # type: ignore[arg-type]
    by_weight = sort == "weight" and not flamechart
    root = src.root()
    total, total_before = root[2], root[3]
    # hidden frames lighter than this are never embedded, so never looked at: the
    # embedded ones are (the heaviest of) those a zoom up to EMBED_ZOOM x would reveal
    zoom = EMBED_ZOOM * max(1.0, max_embedded / DEFAULT_EMBED)
    floor = threshold if not max_embedded else (0 if len(stacks) <= max_embedded else threshold / zoom)
    # weights are integers: w >= floor is w >= ceil(floor), and the bisections of the prefix sums
    # then compare ints with ints (against a float, each comparison took a slower path: ~10-20%
    # of the callee search on the 50 MB file)
    floor = math.ceil(floor)
    frames: list[Frame] = []
    # hidden candidates, heaviest first and then first found: ints (-weight << SEQ_BITS) + number
    # (compared far faster than tuples), the number indexing what the candidate is in ``found``
    heap: list[int] = []
    # (depth, Embedded.parent of the candidate, the list it joins when embedded, child, dx)
    found: list[tuple[int, int, list[Embedded], Child, int]] = []
    max_depth = 0
    # (child, depth, new x)
    todo: list[tuple[Child, int, int]] = [(root, 0, 0)]
    chains = isinstance(src, SortedSource)
    while todo:
        node, depth, x = todo.pop()
        frame = Frame(node[0], depth, x, node[2], node[3], node[4], [], len(frames))
        frames.append(frame)
        if depth > max_depth:
            max_depth = depth
        handle = node[5]
        # (not the root: its width also holds the empty stack's weight, which is not its callee's)
        if chains and depth and handle[1] - handle[0] == 1:
            chain = src.chain(handle)  # type: ignore[union-attr]
            if chain is not None:
                # one stack from here on: its frames are as wide as this one, so all drawn, in this order
                w, b = node[2], node[3]
                for name, sd in chain:
                    depth += 1
                    frames.append(Frame(name, depth, x, w, b, sd, [], len(frames)))
                max_depth = max(max_depth, depth)
                continue
        kids = src.children(handle, floor)
        if not kids:
            continue
        # alphabetical keeps the flow order (self weight first, as flamegraph.pl);
        # by weight puts the heaviest callee leftmost and the self weight last
        placed = _by_weight(kids, x) if by_weight else [(k, k[1] - node[1] + x) for k in kids]
        drawn = []
        for kid, kx in placed:
            w = kid[2]
            if w >= threshold and w > 0:
                drawn.append((kid, depth + 1, kx))
            elif w >= floor and w > 0 and max_embedded:
                heap.append((-w << SEQ_BITS) + len(found))
                found.append((depth + 1, frame.index, frame.hidden, kid, kx - x))
        todo.extend(reversed(drawn))
    # the heaviest hidden frames, parents before children, up to the budget
    if len(heap) > max_embedded > 0:
        # callees are never heavier than their caller, so nothing lighter than the
        # budget-th heaviest candidate can be embedded: drop it, and never look at it again
        cut = -(sorted(heap)[max_embedded - 1] >> SEQ_BITS)
        heap = [c for c in heap if c < (1 - cut) << SEQ_BITS]  # weight >= cut
        # and a callee found from here on needs more than cut: the heap always holds at least as
        # many candidates of weight >= cut as budget is left, all found earlier (so winning ties),
        # and pops never make it hold fewer; weights are integers
        floor = max(floor, cut + 1)
    heapq.heapify(heap)
    embedded = 0
    hidden: list[Embedded] = []
    heappop, heappush, children = heapq.heappop, heapq.heappush, src.children
    while heap and embedded < max_embedded:
        depth, parent, siblings, kid, dx = found[heappop(heap) & SEQ_MASK]
        e = Embedded(kid[0], dx, kid[2], kid[3], kid[4], [], parent, embedded)
        siblings.append(e)
        hidden.append(e)
        embedded += 1
        if depth > max_depth:
            max_depth = depth
        if embedded == max_embedded:
            break  # (its callees could not be embedded any more)
        if kid[2] < floor:
            continue  # (nor can a callee of a frame lighter than the floor)
        sub = children(kid[5], floor)
        if not sub:  # (most embedded frames: nothing under them weighs floor)
            continue
        depth += 1
        if by_weight:
            for gk, gdx in _by_weight(sub, 0):
                if gk[2] >= floor and gk[2] > 0:
                    heappush(heap, (-gk[2] << SEQ_BITS) + len(found))
                    found.append((depth, -1 - e.index, e.kids, gk, gdx))
            continue
        x0, ref, kids = kid[1], -1 - e.index, e.kids
        for gk in sub:
            w = gk[2]
            if w >= floor and w > 0:
                heappush(heap, (-w << SEQ_BITS) + len(found))
                found.append((depth, ref, kids, gk, gk[1] - x0))
    return Layout(frames, hidden, total, total_before, max_depth, embedded)
