"""Write a Profile as pprof (``profile.proto``, gzip-compressed), byte-stable.

Encoding is hand-written (see :mod:`flamekit.protowire` for why): one
Function and one Location per distinct frame name, ids in first-seen order
of the stacks sorted as folded text, one Sample per stack with its location
ids leaf first, gzip with mtime 0 -- so the same Profile always gives the
same bytes.  The sample type comes from the Profile's unit and event.

Optional facts a collapser can hand on:

* ``profile.extras["frame_modules"]``: frame name -> module path; those
  frames' Locations point at one Mapping per module.
* the ``COMM-PID[/TID]`` root-frame convention (``--pid``/``--tid``, see
  :mod:`flamekit.threads`): each sample then carries the labels ``comm``,
  ``pid`` and ``tid`` (strings, so pprof keeps tid 0).  The root frame stays in the stack, so reading the
  file back gives exactly the same stacks.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping

from ..errors import UsageError
from ..profile import Profile
from ..protowire import SMALL_VARINTS, bytes_field, packed, uint_field, varint
from ..threads import task_roots

#: comments that let flamekit's reader restore the Profile's own unit and event
UNIT_COMMENT = "flamekit-unit="
EVENT_COMMENT = "flamekit-event="

_TIME_UNITS = {"nanoseconds", "microseconds", "milliseconds", "seconds"}
#: perf events whose period is a time in nanoseconds
_CLOCK_EVENTS = {"cpu-clock", "task-clock"}

#: gzip level: 6 (Go's default) is ~3x faster than 9 for a few % larger files
GZIP_LEVEL = 6


def sample_type(profile: Profile) -> tuple[str, str]:
    """pprof's (type, unit) for the Profile's weights, e.g. ``samples/count``."""
    unit, event = profile.unit, profile.event
    if unit == "samples":
        return "samples", "count"
    if unit in _TIME_UNITS:
        return event or "time", unit
    if unit == "bytes":
        return event or "space", "bytes"
    if unit == "period":
        return event or "period", "nanoseconds" if event in _CLOCK_EVENTS else "count"
    return event or unit, "count"


class _Strings:
    """The string table: index 0 is the empty string, then first-seen order."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}

    def __call__(self, s: str) -> int:
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.index)
        return i

    def encode(self) -> bytes:
        return b"".join([bytes_field(6, s.encode("utf-8", "surrogateescape")) for s in self.index])


def _label(key: int, text: int) -> bytes:
    return bytes_field(3, uint_field(1, key) + uint_field(2, text))


def encode(profile: Profile) -> bytes:
    """The uncompressed ``profile.proto`` message for ``profile``."""
    strings = _Strings()
    stype, sunit = sample_type(profile)
    header = bytes_field(1, uint_field(1, strings(stype)) + uint_field(2, strings(sunit)))

    tasks = task_roots(profile.stacks)
    task_labels: dict[str, bytes] = {}
    if tasks:
        for root, task in sorted(tasks.items()):
            task_labels[root] = b"".join([_label(strings(k), strings(v)) for k, v in task.labels()])

    loc_bytes: dict[str, bytes] = {}
    loc_get = loc_bytes.get
    names: list[str] = []
    samples: list[bytes] = []
    small = SMALL_VARINTS
    for stack, weight in profile.sorted_items():
        parts = list(map(loc_get, reversed(stack)))
        if None in parts:  # first sight of a frame: give it the next id
            for f in stack:
                if f not in loc_bytes:
                    names.append(f)
                    loc_bytes[f] = varint(len(names))
            parts = list(map(loc_get, reversed(stack)))
        locs = b"".join(parts)  # type: ignore[arg-type]
        try:
            value = varint(weight)
        except OverflowError:
            raise UsageError(f"weight {weight} does not fit pprof's int64 values") from None
        n = len(locs)
        # Sample {location_id: 1 (packed), value: 2 (packed), label: 3}, inlined for speed
        body = (b"\x0a" + (small[n] if n < 16384 else varint(n)) + locs if n else b"") \
            + b"\x12" + small[len(value)] + value
        if task_labels and stack:
            body += task_labels[stack[0]]
        n = len(body)
        samples.append(b"\x12" + (small[n] if n < 16384 else varint(n)) + body)

    mappings, mapping_of = _mappings(profile.extras.get("frame_modules") or {}, names, strings)
    locations = []
    functions = []
    for i, name in enumerate(names, 1):
        s = strings(name)
        functions.append(bytes_field(5, uint_field(1, i) + uint_field(2, s) + uint_field(3, s)))
        line = bytes_field(4, uint_field(1, i))
        locations.append(bytes_field(4, uint_field(1, i) + uint_field(2, mapping_of.get(name, 0)) + line))

    comments = [strings(UNIT_COMMENT + profile.unit)]
    if profile.event:
        comments.append(strings(EVENT_COMMENT + profile.event))
    return b"".join([
        header,
        *samples,
        *mappings,
        *locations,
        *functions,
        strings.encode(),
        packed(13, comments),
    ])


def _mappings(modules: Mapping[str, str], names: list[str], strings: _Strings) -> tuple[list[bytes], dict[str, int]]:
    """One Mapping per module named in ``modules`` (ids in sorted module order)."""
    used = sorted({modules[n] for n in names if n in modules})
    ids = {m: i for i, m in enumerate(used, 1)}
    out = [
        bytes_field(3, uint_field(1, i) + uint_field(5, strings(m)) + uint_field(7, 1))
        for m, i in ids.items()
    ]
    return out, {n: ids[modules[n]] for n in names if n in modules}


def dumps(profile: Profile) -> bytes:
    """``profile`` as a gzip-compressed pprof file (byte-identical for equal input)."""
    return gzip.compress(encode(profile), compresslevel=GZIP_LEVEL, mtime=0)
