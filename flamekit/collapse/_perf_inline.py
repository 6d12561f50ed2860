"""``--inline``: expand frames into their inline chains with ``addr2line``, as stackcollapse-perf.pl does.

The Perl script runs ``addr2line -a PC -e DSO -i -f -s -C`` once per frame;
here every address of a DSO goes to one ``addr2line`` process (on stdin) after
the whole capture is read, and answers are cached per (DSO, address).  A frame
addr2line cannot name (``??``) keeps the name the ordinary rules give it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from ..errors import UsageError
from ._perf_frames import Unresolved

_ADDR_LINE = re.compile(r"^0x[0-9a-fA-F]+$")
_DISCRIMINATOR = re.compile(r" \(discriminator \S+\)")
_cache: dict[tuple[str, str, bool], tuple[str, ...] | None] = {}


def addr2line_batch(dso: str, pcs: list[str], context: bool) -> dict[str, tuple[str, ...] | None]:
    """Inline chains (root first) for addresses of one DSO; None where addr2line has no answer."""
    tool = shutil.which("addr2line")
    if tool is None:
        raise UsageError("--inline needs addr2line (Debian/Ubuntu: apt-get install binutils)")
    if not os.path.isfile(dso):
        return dict.fromkeys(pcs)
    try:
        proc = subprocess.run([tool, "-a", "-i", "-f", "-s", "-C", "-e", dso], input="\n".join(pcs) + "\n",
                              capture_output=True, text=True, errors="surrogateescape", check=False)
    except OSError:
        return dict.fromkeys(pcs)
    blocks: list[list[str]] = []
    for line in proc.stdout.splitlines():
        if _ADDR_LINE.match(line):
            blocks.append([])
        elif blocks:
            blocks[-1].append(_DISCRIMINATOR.sub("", line))
    out: dict[str, tuple[str, ...] | None] = {}
    for pc, block in zip(pcs, blocks + [[]] * (len(pcs) - len(blocks))):
        names: list[str] = []
        for func, where in zip(block[0::2], block[1::2]):
            names.insert(0, f"{func}:{where}" if context else func)
        joined = ";".join(names)
        out[pc] = tuple(names) if joined not in ("", "??", "??:??:0") else None
    return out


def expand_inline(stacks: dict[tuple[str, ...], int], context: bool) -> dict[tuple[str, ...], int]:
    """``stacks`` with every Unresolved frame replaced by its inline chain (or its fallback)."""
    wanted: dict[str, set[str]] = {}
    for stack in stacks:
        for f in stack:
            if isinstance(f, Unresolved) and (f.dso, f.pc, context) not in _cache:
                wanted.setdefault(f.dso, set()).add(f.pc)
    for dso in sorted(wanted):
        pcs = sorted(wanted[dso])
        for pc, names in addr2line_batch(dso, pcs, context).items():
            _cache[(dso, pc, context)] = names
    out: dict[tuple[str, ...], int] = {}
    for stack, w in stacks.items():
        new: list[str] = []
        for f in stack:
            if isinstance(f, Unresolved):
                names = _cache.get((f.dso, f.pc, context))
                new.extend(names if names is not None else f.fallback)
            else:
                new.append(f)
        key = tuple(new)
        out[key] = out.get(key, 0) + w
    return out
