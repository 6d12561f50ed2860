"""``--inline``: expand frames into their inline chains with ``addr2line``, as stackcollapse-perf.pl does.

The Perl script runs ``addr2line -a PC -e DSO -i -f -s -C`` once per frame;
here every address of a DSO goes to one ``addr2line`` process (on stdin) after
the whole capture is read, and answers are cached per (DSO, address).  When
addr2line answers ``??`` for a ``func+0xOFF`` frame, the address of ``func``
from ``nm`` plus the offset is tried instead (as the Perl script does); a frame
still unnamed keeps the name the ordinary rules give it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ..errors import UsageError
from ._lazy_re import lazy
from ._perf_frames import Unresolved

_ADDR_LINE = lazy(r"^0x[0-9a-fA-F]+$")
_DISCRIMINATOR = lazy(r" \(discriminator \S+\)")
_HEX = lazy(r"^[0-9a-fA-F]+$")
_FUNC_OFFSET = lazy(r"^(.+)\+0x([0-9a-f]+)$")
_cache: dict[tuple[str, str, bool], tuple[str, ...] | None] = {}
_nm_cache: dict[str, dict[str, int]] = {}


def addr2line_batch(dso: str, pcs: list[str], context: bool) -> dict[str, tuple[tuple[str, ...] | None, bool]]:
    """For addresses of one DSO: (inline chain root first, or None) and whether addr2line said ``??``."""
    tool = shutil.which("addr2line")
    if tool is None:
        raise UsageError("--inline needs addr2line (Debian/Ubuntu: apt-get install binutils)")
    if not os.path.isfile(dso) or not pcs:
        return dict.fromkeys(pcs, (None, False))
    try:
        proc = subprocess.run([tool, "-a", "-i", "-f", "-s", "-C", "-e", dso], input="\n".join(pcs) + "\n",
                              capture_output=True, text=True, errors="surrogateescape", check=False)
    except OSError:
        return dict.fromkeys(pcs, (None, False))
    blocks: list[list[str]] = []
    for line in proc.stdout.splitlines():
        if _ADDR_LINE.match(line):
            blocks.append([])
        elif blocks:
            blocks[-1].append(_DISCRIMINATOR.sub("", line))
    out: dict[str, tuple[tuple[str, ...] | None, bool]] = {}
    for pc, block in zip(pcs, blocks + [[]] * (len(pcs) - len(blocks))):
        names: list[str] = []
        for func, where in zip(block[0::2], block[1::2]):
            names.insert(0, f"{func}:{where}" if context else func)
        joined = ";".join(names)
        unknown = "??\n??:0" in "\n".join(block)
        out[pc] = (tuple(names) if joined not in ("", "??", "??:??:0") else None, unknown)
    return out


def nm_symbols(dso: str) -> dict[str, int]:
    """Symbol name -> address from ``nm`` (the Perl script's fallback table), cached per DSO."""
    found = _nm_cache.get(dso)
    if found is None:
        found = {}
        tool = shutil.which("nm")
        if tool is not None and os.path.isfile(dso):
            try:
                text = subprocess.run([tool, dso], capture_output=True, text=True, errors="surrogateescape",
                                      check=False).stdout
            except OSError:
                text = ""
            for line in text.splitlines():
                parts = line.split(" ", 2)
                if len(parts) == 3 and _HEX.match(parts[0]):
                    found.setdefault(parts[2], int(parts[0], 16))
        _nm_cache[dso] = found
    return found


def _resolve_dso(dso: str, frames: list[Unresolved], context: bool) -> None:
    """Fill the cache for these frames of one DSO: addr2line, then the nm fallback for ``??``."""
    pcs = sorted({f.pc for f in frames})
    answers = addr2line_batch(dso, pcs, context)
    retry: dict[str, str] = {}  # pc -> address of symbol + offset
    for f in frames:
        names, unknown = answers[f.pc]
        _cache[(dso, f.pc, context)] = names
        m = _FUNC_OFFSET.match(f.rawfunc)
        if unknown and m is not None:
            base = nm_symbols(dso).get(m.group(1))
            if base is not None:
                retry[f.pc] = f"0x{base + int(m.group(2), 16):x}"
    if retry:
        again = addr2line_batch(dso, sorted(set(retry.values())), context)
        for pc, new_pc in retry.items():
            _cache[(dso, pc, context)] = again[new_pc][0]


def expand_inline(stacks: dict[tuple[str, ...], int], context: bool) -> dict[tuple[str, ...], int]:
    """``stacks`` with every Unresolved frame replaced by its inline chain (or its fallback)."""
    wanted: dict[str, list[Unresolved]] = {}
    for stack in stacks:
        for f in stack:
            if isinstance(f, Unresolved) and (f.dso, f.pc, context) not in _cache:
                wanted.setdefault(f.dso, []).append(f)
    for dso in sorted(wanted):
        _resolve_dso(dso, wanted[dso], context)
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
