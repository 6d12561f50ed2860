"""Write a Profile as a speedscope file (``sampled`` profiles, shared frames table).

One sampled profile per process or thread when the stacks follow the
``COMM-PID[/TID]`` root-frame convention (:mod:`flamekit.threads`), else
one profile.  Samples are the unique stacks in folded byte order (so
speedscope's time-order view shows them merged like a flame graph), each
with its weight; the root frame is kept, so reading the file back gives
exactly the stacks written.  Output is compact, deterministic JSON.
"""

from __future__ import annotations

import json

from .. import __version__
from ..errors import UsageError
from ..profile import Profile
from ..threads import task_roots

SCHEMA_URL = "https://www.speedscope.app/file-format-schema.json"
#: speedscope's units; any other flamekit unit (samples, period, count) is "none"
UNITS = {"nanoseconds", "microseconds", "milliseconds", "seconds", "bytes"}


def to_dict(profile: Profile, name: str = "flamekit") -> dict[str, object]:
    """The speedscope document for ``profile`` as plain JSON values."""
    unit = profile.unit if profile.unit in UNITS else "none"
    frame_index: dict[str, int] = {}
    get = frame_index.get
    groups: dict[str, tuple[list[list[int]], list[int]]] = {}
    tasks = task_roots(profile.stacks)
    for stack, weight in profile.sorted_items():
        if weight < 0:
            raise UsageError(f"speedscope cannot show negative weights ({weight} for {';'.join(stack)})")
        ids = list(map(get, stack))
        if None in ids:  # first sight of a frame: give it the next index
            for f in stack:
                if f not in frame_index:
                    frame_index[f] = len(frame_index)
            ids = list(map(get, stack))
        key = stack[0] if tasks and stack else name
        group = groups.get(key)
        if group is None:
            group = groups[key] = ([], [])
        group[0].append(ids)  # type: ignore[arg-type]
        group[1].append(weight)
    profiles = []
    for pname, (samples, weights) in groups.items():
        profiles.append({
            "type": "sampled",
            "name": pname,
            "unit": unit,
            "startValue": 0,
            "endValue": sum(weights),
            "samples": samples,
            "weights": weights,
        })
    if not profiles:
        profiles.append({"type": "sampled", "name": name, "unit": unit, "startValue": 0, "endValue": 0,
                         "samples": [], "weights": []})
    return {
        "$schema": SCHEMA_URL,
        "shared": {"frames": [{"name": f} for f in frame_index]},
        "profiles": profiles,
        "name": name,
        "activeProfileIndex": 0,
        "exporter": f"flamekit {__version__}",
    }


def dumps(profile: Profile, name: str = "flamekit") -> bytes:
    """``profile`` as speedscope JSON (UTF-8; non-UTF-8 names kept as ``\\udcXX`` escapes)."""
    doc = to_dict(profile, name)
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a name held undecodable bytes: escape, losslessly
        return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"
