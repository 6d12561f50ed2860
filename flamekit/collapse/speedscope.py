"""Read speedscope files (sampled and evented profiles) into a Profile.

Several profiles in one file (speedscope makes one per thread) are merged;
each profile's stacks get its name as root frame, unless they all start
with it already (as flamekit's own per-thread files do), so threads stay
apart and flamekit's files read back exactly; an empty sample stays empty.  Evented profiles weigh each
stack by the time between consecutive events.  Weights stay integers in
the file's unit when they are whole; fractional time is converted to
nanoseconds, other fractions are rounded (``meta["approximate"]``).
"""

from __future__ import annotations

import math

from .._records import TYPE_CHECKING
from ..errors import InputError
from ..profile import Profile, Stack
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import Any, BinaryIO, ClassVar

_NS = {"nanoseconds": 1, "microseconds": 10**3, "milliseconds": 10**6, "seconds": 10**9}


class _Bad(Exception):
    """Structural problem; becomes an InputError naming the source."""


def _number(x: Any, what: str) -> int | float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or (isinstance(x, float) and not math.isfinite(x)):
        raise _Bad(f"{what} is not a finite number")
    return x


def _frames(doc: dict[str, Any]) -> list[str]:
    shared = doc.get("shared")
    frames = shared.get("frames") if isinstance(shared, dict) else None
    if not isinstance(frames, list):
        raise _Bad("no shared.frames list")
    names = []
    for i, fr in enumerate(frames):
        if not isinstance(fr, dict) or not isinstance(fr.get("name"), str):
            raise _Bad(f"frame {i} has no name")
        names.append(_storable(fr["name"]))
    return names


def _storable(name: str) -> str:
    """``name`` as flamekit holds names: JSON may carry lone surrogates (``\\ud800``)
    that UTF-8 cannot encode; they become the escapes of their UTF-8-ish bytes."""
    try:
        name.encode("utf-8", "surrogateescape")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape")


def _sampled(p: dict[str, Any], names: list[str], out: dict[Stack, int | float]) -> None:
    samples, weights = p.get("samples"), p.get("weights")
    if not isinstance(samples, list) or not isinstance(weights, list):
        raise _Bad("sampled profile needs 'samples' and 'weights' lists")
    if len(samples) != len(weights):
        raise _Bad(f"{len(samples)} samples but {len(weights)} weights")
    n = len(names)
    cache: dict[tuple[int, ...], Stack] = {}
    for s, w in zip(samples, weights):
        if not isinstance(s, list):
            raise _Bad("a sample is not a list of frame indices")
        key = tuple(s)
        stack = cache.get(key)
        if stack is None:
            for i in s:
                if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
                    raise _Bad(f"frame index {i!r} out of range (0..{n - 1})")
            stack = cache[key] = tuple(names[i] for i in s)
        out[stack] = out.get(stack, 0) + _number(w, "a weight")


def _evented(p: dict[str, Any], names: list[str], out: dict[Stack, int | float]) -> None:
    events = p.get("events")
    if not isinstance(events, list):
        raise _Bad("evented profile needs an 'events' list")
    n = len(names)
    open_frames: list[int] = []
    last: int | float | None = None
    for k, ev in enumerate(events):
        if not isinstance(ev, dict):
            raise _Bad(f"event {k} is not an object")
        at = _number(ev.get("at"), f"event {k}'s 'at'")
        frame = ev.get("frame")
        if isinstance(frame, bool) or not isinstance(frame, int) or not 0 <= frame < n:
            raise _Bad(f"event {k}: frame index {frame!r} out of range")
        if last is not None:
            if at < last:
                raise _Bad(f"event {k} goes back in time ({at} < {last})")
            if open_frames and at > last:
                stack = tuple(names[i] for i in open_frames)
                out[stack] = out.get(stack, 0) + (at - last)
        last = at
        kind = ev.get("type")
        if kind == "O":
            open_frames.append(frame)
        elif kind == "C":
            if not open_frames or open_frames[-1] != frame:
                raise _Bad(f"event {k} closes frame {frame}, which is not the innermost open frame")
            open_frames.pop()
        else:
            raise _Bad(f"event {k} has type {kind!r} (expected 'O' or 'C')")
    if open_frames:
        raise _Bad(f"{len(open_frames)} frames still open at the end")


def _integral(stacks: dict[Stack, int | float], unit: str) -> tuple[dict[Stack, int], str, bool]:
    """Integer weights: as they are when whole, else nanoseconds (time) or rounded."""
    if all(isinstance(w, int) or w.is_integer() for w in stacks.values()):
        return {s: int(w) for s, w in stacks.items()}, unit, False
    factor = _NS.get(unit, 1)
    if not all(math.isfinite(w * factor) for w in stacks.values()):
        raise _Bad("weights too large")
    return {s: int(round(w * factor)) for s, w in stacks.items()}, ("nanoseconds" if unit in _NS else unit), True


def parse(doc: Any) -> Profile:
    """The Profile a decoded speedscope document describes."""
    if not isinstance(doc, dict) or not isinstance(doc.get("profiles"), list):
        raise _Bad("not a speedscope file (no 'profiles' list)")
    names = _frames(doc)
    profiles = doc["profiles"]
    units = set()
    merged: dict[Stack, int | float] = {}
    for i, p in enumerate(profiles):
        if not isinstance(p, dict):
            raise _Bad(f"profile {i} is not an object")
        part: dict[Stack, int | float] = {}
        kind = p.get("type")
        if kind == "sampled":
            _sampled(p, names, part)
        elif kind == "evented":
            _evented(p, names, part)
        else:
            raise _Bad(f"profile {i} has type {kind!r} (expected 'sampled' or 'evented')")
        unit = p.get("unit", "none")
        units.add(unit if isinstance(unit, str) else "none")
        pname = p.get("name")
        pname = pname if isinstance(pname, str) and pname else f"profile {i}"
        prefix = len(profiles) > 1 and not all(s[0] == pname for s in part if s)
        for stack, w in part.items():
            key = (pname, *stack) if prefix and stack else stack
            merged[key] = merged.get(key, 0) + w
    mixed = len(units) > 1
    unit = units.pop() if len(units) == 1 else "none"
    stacks, unit, approx = _integral(merged, unit)
    profile = Profile(stacks, unit="samples" if unit == "none" else unit)
    if mixed:
        profile.meta["mixed_units"] = "yes"
    if approx:
        profile.meta["approximate"] = "yes"
    return profile


class SpeedscopeCollapser:
    name: ClassVar[str] = "speedscope"
    priority: ClassVar[int] = 60
    description: ClassVar[str] = "speedscope JSON files (sampled and evented profiles)"

    def detect(self, head: bytes) -> bool | None:
        start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]  # a UTF-8 BOM is allowed
        if start != b"{":
            return False
        return b"speedscope.app" in head or (b"speedscope" in head and b'"profiles"' in head)

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        import json  # here, not at the top: detection imports this module for every input

        try:
            doc = json.loads(stream.read())
        except (ValueError, RecursionError) as e:
            raise InputError(options.source, getattr(e, "lineno", None), f"invalid JSON: {getattr(e, 'msg', e)}") from None
        except (OSError, EOFError) as e:
            raise InputError(options.source, None, f"cannot read: {e}") from None
        try:
            profile = parse(doc)
        except _Bad as e:
            raise InputError(options.source, None, f"invalid speedscope file: {e}") from None
        profile.sources.append(options.source)
        return profile


COLLAPSER = SpeedscopeCollapser()
