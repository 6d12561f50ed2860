"""Read pprof (``profile.proto``, gzip-compressed or raw) into a Profile.

Params: ``sample_type`` picks the value to use as weight, by type name
(``cpu``, ``alloc_space``) or index; the default is the profile's
``default_sample_type`` if set, else the last one, as ``go tool pprof``
does.  Inline frames are expanded: a Location's lines run innermost
first, so each is reversed to put the caller first.  Samples whose chosen
value is zero carry no weight and are left out (pprof's views do the
same); their number goes in ``meta["zero_samples"]``.

With ``pid`` or ``tid`` (the perf options), samples carrying the labels
``comm``/``pid``/``tid`` get the root frame ``COMM-PID`` or ``COMM-PID/TID``
of :mod:`flamekit.threads` (``?`` for a missing value), unless their stack
already starts with it or one of its threads (flamekit's own files keep
that frame).  Other
labels are not turned into frames.
"""

from __future__ import annotations

import os
from itertools import chain

from .._records import TYPE_CHECKING
from ..errors import InputError
from ..profile import Profile, Stack
from ..protowire import (
    LEN, VARINT, WireError, fields, looks_like_message, read_varint, signed, unpack_varints, varint,
)
from ._lazy_re import lazy
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import BinaryIO, ClassVar

#: top-level fields of profile.proto and their wire types
_PROFILE_WIRE: dict[int, tuple[int, ...]] = {
    1: (LEN,), 2: (LEN,), 3: (LEN,), 4: (LEN,), 5: (LEN,), 6: (LEN,), 7: (VARINT,), 8: (VARINT,),
    9: (VARINT,), 10: (VARINT,), 11: (LEN,), 12: (VARINT,), 13: (VARINT, LEN), 14: (VARINT,), 15: (VARINT,),
}
_VALUE_TYPE_WIRE: dict[int, tuple[int, ...]] = {1: (VARINT,), 2: (VARINT,)}
_TIME_UNITS = {"nanoseconds", "microseconds", "milliseconds", "seconds"}
#: one varint in a packed field (any number of continuation bytes, then a final one)
_VARINT = lazy(rb"[\x80-\xff]*[\x00-\x7f]")


class _Bad(Exception):
    """A structural problem, turned into an InputError with the source name."""


def _ints(buf: bytes, wire: int, a: int, b: int) -> list[int]:
    """A repeated integer field occurrence: packed (LEN) or a single varint."""
    if wire == LEN:
        return unpack_varints(buf, a, b)
    if wire == VARINT:
        return [a]
    raise _Bad("integer field with a fixed-width wire type")


class _Decoded:
    """The parts of a pprof message flamekit needs, decoded from bytes."""

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.sample_spans: list[tuple[int, int]] = []
        self.types: list[tuple[int, int]] = []
        self.default_type = 0
        strings: list[str] = []
        comments: list[int] = []
        mappings: list[tuple[int, int]] = []
        locations: list[tuple[int, int]] = []
        functions: list[tuple[int, int]] = []
        for number, wire, a, b in fields(buf):
            if number == 2 and wire == LEN:
                self.sample_spans.append((a, b))
            elif number == 4 and wire == LEN:
                locations.append((a, b))
            elif number == 5 and wire == LEN:
                functions.append((a, b))
            elif number == 6 and wire == LEN:
                strings.append(buf[a:b].decode("utf-8", "surrogateescape"))
            elif number == 1 and wire == LEN:
                t = u = 0
                for n, w, x, _y in fields(buf, a, b):
                    if w == VARINT and n == 1:
                        t = x
                    elif w == VARINT and n == 2:
                        u = x
                self.types.append((t, u))
            elif number == 3 and wire == LEN:
                mappings.append((a, b))
            elif number == 13:
                comments.extend(_ints(buf, wire, a, b))
            elif number == 14 and wire == VARINT:
                self.default_type = a
            elif number in _PROFILE_WIRE and wire not in _PROFILE_WIRE[number]:
                raise _Bad(f"field {number} has wire type {wire}")
        if strings and strings[0] != "":
            raise _Bad("string_table[0] is not empty")
        self.strings = strings or [""]
        self.comments = [self.string(i) for i in comments]
        self.mapping_files = self._mappings(mappings)
        self.function_names = self._functions(functions)
        self.locations = self._locations(locations)

    def string(self, i: int) -> str:
        if i >= len(self.strings):
            raise _Bad(f"string index {i} out of range ({len(self.strings)} strings)")
        return self.strings[i]

    def _mappings(self, spans: list[tuple[int, int]]) -> dict[int, str]:
        out = {}
        for a, b in spans:
            mid = fname = 0
            for n, w, x, _y in fields(self.buf, a, b):
                if w == VARINT and n == 1:
                    mid = x
                elif w == VARINT and n == 5:
                    fname = x
            out[mid] = self.string(fname)
        return out

    def _functions(self, spans: list[tuple[int, int]]) -> dict[int, str]:
        out = {}
        for a, b in spans:
            fid = name = system = 0
            for n, w, x, _y in fields(self.buf, a, b):
                if w == VARINT:
                    if n == 1:
                        fid = x
                    elif n == 2:
                        name = x
                    elif n == 3:
                        system = x
            if fid == 0:
                raise _Bad("function with id 0")
            out[fid] = self.string(name) if name else self.string(system)
        return out

    def _locations(self, spans: list[tuple[int, int]]) -> dict[int, tuple[tuple[str, ...], str]]:
        """Location id -> (frames caller first, module file name)."""
        buf = self.buf
        out = {}
        for a, b in spans:
            lid = mapping = address = 0
            funcs: list[int] = []
            for n, w, x, y in fields(buf, a, b):
                if w == VARINT:
                    if n == 1:
                        lid = x
                    elif n == 2:
                        mapping = x
                    elif n == 3:
                        address = x
                elif n == 4 and w == LEN:
                    fid = 0
                    for n2, w2, x2, _y2 in fields(buf, x, y):
                        if n2 == 1 and w2 == VARINT:
                            fid = x2
                    funcs.append(fid)
            if lid == 0:
                raise _Bad("location with id 0")
            module = self.mapping_files.get(mapping, "")
            if funcs:
                names = []
                for fid in reversed(funcs):  # lines run innermost first
                    name = self.function_names.get(fid)
                    if name is None:
                        raise _Bad(f"location {lid} refers to missing function {fid}")
                    names.append(name)
                out[lid] = (tuple(names), module)
            else:
                label = f"0x{address:x}" if address else "[unknown]"
                out[lid] = ((f"{os.path.basename(module)} {label}" if module else label,), module)
        return out

    def type_names(self) -> list[tuple[str, str]]:
        return [(self.string(t), self.string(u)) for t, u in self.types]


def _sample(buf: bytes, a: int, b: int) -> tuple[bytes, list[int]]:
    """A Sample's packed location ids (as bytes) and its values.

    The common layout (ids packed, then values packed, then labels) is
    read directly; anything else goes through the general field walk.
    """
    pos = a
    try:
        if buf[pos] == 0x0A:
            n, pos = read_varint(buf, pos + 1, b)
            locseg = buf[pos:pos + n]
            pos += n
        else:
            locseg = b""
        if pos < b and buf[pos] == 0x12:
            n, pos = read_varint(buf, pos + 1, b)
            end = pos + n
            if end <= b:
                values = unpack_varints(buf, pos, end)
                if end == b or buf[end] == 0x1A:
                    # labels (and unknown fields) are checked, not used
                    if all(number > 2 for number, _w, _x, _y in fields(buf, end, b)):
                        return locseg, values
    except IndexError:
        pass
    ids: list[bytes] = []
    values = []
    for number, wire, x, y in fields(buf, a, b):
        if number == 1:
            ids.extend(varint(v) for v in _ints(buf, wire, x, y))
        elif number == 2:
            values.extend(_ints(buf, wire, x, y))
    return b"".join(ids), values


def _task_root(d: _Decoded, buf: bytes, a: int, b: int, tasks: str) -> str | None:
    """``COMM-PID[/TID]`` from a sample's comm/pid/tid labels (None without any)."""
    found: dict[str, str] = {}
    for number, wire, x, y in fields(buf, a, b):
        if number != 3 or wire != LEN:
            continue
        key = text = num = 0
        has_num = False
        for n, w, v, _e in fields(buf, x, y):
            if w == VARINT:
                if n == 1:
                    key = v
                elif n == 2:
                    text = v
                elif n == 3:
                    num, has_num = signed(v), True
        name = d.string(key)
        if name in ("comm", "pid", "tid") and name not in found:
            found[name] = d.string(text) if text else str(num) if has_num else ""
    if not found:
        return None
    root = f"{found.get('comm') or '?'}-{found.get('pid') or '?'}"
    if tasks == "tid":
        root += f"/{found.get('tid') or '?'}"
    return root


def _choose(types: list[tuple[str, str]], wanted: object, default_type: str) -> int:
    """Index of the sample type to use (see the module docstring)."""
    if not types:
        raise _Bad("profile has no sample types")
    if wanted is None or wanted == "":
        if default_type:
            for i, (t, _u) in enumerate(types):
                if t == default_type:
                    return i
        return len(types) - 1
    text = str(wanted)
    for i, (t, _u) in enumerate(types):
        if t == text:
            return i
    if text.isdigit() and int(text) < len(types):
        return int(text)
    known = ", ".join(t for t, _u in types)
    raise _Bad(f"no sample type {text!r} (this profile has: {known})")


def _unit_and_event(stype: str, sunit: str) -> tuple[str, str | None]:
    if sunit == "count" and stype == "samples":
        return "samples", None
    if sunit in _TIME_UNITS or sunit == "bytes":
        return sunit, stype or None
    return (sunit or "count"), stype or None


def decode(buf: bytes, source: str = "<input>", sample_type: object = None, tasks: str | None = None) -> Profile:
    """The Profile in the raw (uncompressed) pprof message ``buf``; ``tasks`` is
    None, ``"pid"`` or ``"tid"`` (root frames from labels, see the module docstring)."""
    try:
        return _decode(buf, source, sample_type, tasks)
    except (WireError, _Bad) as e:
        raise InputError(source, None, f"invalid pprof: {e}") from None


def _decode(buf: bytes, source: str, sample_type: object, tasks: str | None = None) -> Profile:
    d = _Decoded(buf)
    types = d.type_names()
    index = _choose(types, sample_type, d.string(d.default_type))
    ntypes = len(types)
    stype, sunit = types[index]
    unit, event = _unit_and_event(stype, sunit)
    if ntypes == 1:
        from ..render.pprof import EVENT_COMMENT, UNIT_COMMENT  # the writer (and its imports) only when read back

        for c in d.comments:
            if c.startswith(UNIT_COMMENT):
                unit = c[len(UNIT_COMMENT):]
            elif c.startswith(EVENT_COMMENT):
                event = c[len(EVENT_COMMENT):]
    locations = d.locations
    # frames of each location keyed by its id's varint bytes, so packed ids
    # split by one regex map straight to frames
    by_bytes = {varint(lid): frames for lid, (frames, _m) in locations.items()}
    stacks: dict[Stack, int] = {}
    cache: dict[bytes, Stack] = {}
    zero = 0
    for a, b in d.sample_spans:
        locseg, values = _sample(buf, a, b)
        if len(values) != ntypes:
            raise _Bad(f"sample has {len(values)} values vs. {ntypes} types")
        weight = signed(values[index])
        if weight == 0:
            zero += 1
            continue
        stack = cache.get(locseg)  # real profiles repeat stacks (with other labels)
        if stack is None:
            parts: list[tuple[str, ...] | None] = (
                list(map(by_bytes.get, _VARINT.findall(locseg))) if locseg and locseg[-1] < 0x80 else [None])
            if None in parts:  # non-canonical varints or a missing location: the slow, exact way
                parts = []
                for lid in unpack_varints(locseg, 0, len(locseg)):
                    loc = locations.get(lid)
                    if loc is None:
                        raise _Bad(f"sample refers to missing location {lid}")
                    parts.append(loc[0])
            stack = cache[locseg] = tuple(chain.from_iterable(reversed(parts)))  # type: ignore[arg-type]
        if tasks:
            root = _task_root(d, buf, a, b, tasks)
            if root is not None and not (stack and (stack[0] == root or stack[0].startswith(root + "/"))):
                stack = (root, *stack)
        stacks[stack] = stacks.get(stack, 0) + weight
    profile = Profile(stacks, unit=unit, event=event, sources=[source])
    profile.meta["sample_type"] = f"{stype}/{sunit}"
    if zero:
        profile.meta["zero_samples"] = str(zero)
    modules: dict[str, str] = {}
    for names, module in locations.values():
        if module:
            for name in names:
                modules.setdefault(name, module)
    if modules:
        profile.extras["frame_modules"] = modules
    return profile


class PprofCollapser:
    name: ClassVar[str] = "pprof"
    priority: ClassVar[int] = 50
    description: ClassVar[str] = "pprof profile.proto (gzip or raw), as go tool pprof writes"

    def detect(self, head: bytes) -> bool | None:
        if not looks_like_message(head, _PROFILE_WIRE):
            return False
        # a leading sample_type must itself be a ValueType
        if head[:1] == b"\x0a" and len(head) > 2 and head[1] < 0x80:
            return looks_like_message(head[2:2 + head[1]], _VALUE_TYPE_WIRE, min_fields=1) or None
        return None

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        try:
            buf = stream.read()
        except (OSError, EOFError) as e:
            raise InputError(options.source, None, f"cannot read: {e}") from None
        tasks = "tid" if options.get("tid") else "pid" if options.get("pid") else None
        return decode(buf, options.source, options.get("sample_type"), tasks)


COLLAPSER = PprofCollapser()
