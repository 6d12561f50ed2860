"""Rewrite raw frames left in a Profile: ``0xADDR`` and ``MODULE+0xOFFSET``.

Collapsers resolve what they can while parsing; this pass catches raw frames
in any format afterwards (folded files from other tools, pprof without
symbols, BCC/bpftrace stacks).  ``0xADDR`` is an absolute address (kernel
ones go to kallsyms); ``MODULE+0xOFFSET`` is a file offset in MODULE, the
form flamekit and blazesym keep for re-symbolization.  With inlines one raw
frame may become several (callers first); weights are unchanged.
"""

from __future__ import annotations

import re

from ..profile import Profile, Stack

RX_ABS = re.compile(r"^0x([0-9a-fA-F]{1,16})$")
RX_MOD_OFF = re.compile(r"^(.+)\+0x([0-9a-fA-F]{1,16})$")


def raw_frame_names(frame: str, resolver: object) -> list[str] | None:
    """Names (root first) for a raw frame, None when it is not raw or stays unknown."""
    m = RX_ABS.match(frame)
    if m:
        return resolver.names(None, int(m.group(1), 16), "absolute")  # type: ignore[attr-defined,no-any-return]
    m = RX_MOD_OFF.match(frame)
    if m and ("/" in m.group(1) or "." in m.group(1) or m.group(1).startswith("[")):
        mod = m.group(1)
        kind = "absolute" if mod.startswith("[") else "offset"
        return resolver.names(mod, int(m.group(2), 16), kind)  # type: ignore[attr-defined,no-any-return]
    return None


def symbolize_profile(profile: Profile, resolver: object) -> Profile:
    """A copy of ``profile`` with raw frames resolved (unresolvable ones kept as they are)."""
    cache: dict[str, tuple[str, ...]] = {}
    out: dict[Stack, int] = {}
    for stack, w in profile.stacks.items():
        new: list[str] = []
        for f in stack:
            r = cache.get(f)
            if r is None:
                names = raw_frame_names(f, resolver) if ("0x" in f) else None
                r = cache[f] = tuple(names) if names else (f,)
            new.extend(r)
        key = tuple(new)
        out[key] = out.get(key, 0) + w
    res = profile.copy()
    res.stacks = out
    return res


def raw_address_name(resolver: object, text: bytes, module: str | None = None) -> str | None:
    """The name of a live address printed as hex (``7f3d...`` or ``0x7f3d...``), None when unknown.

    For collapsers whose input pairs an address with ``[unknown]`` (BCC with
    addresses, bpftrace perf mode).
    """
    t = text.strip()
    try:
        addr = int(t, 16)
    except ValueError:
        return None
    found = resolver.resolve(module, addr, "absolute")  # type: ignore[attr-defined]
    return found.name if getattr(found, "ok", False) else None
