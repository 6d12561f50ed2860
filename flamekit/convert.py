"""Output formats of ``flamekit convert``: which renderer, chosen by name or file name."""

from __future__ import annotations

import os

from . import folded
from .errors import UsageError
from .profile import Profile

#: format -> file name endings that select it (checked longest first)
EXTENSIONS = {
    "pprof": (".pb.gz", ".pprof", ".pb"),
    "speedscope": (".speedscope.json", ".speedscope"),
    "folded": (".folded", ".collapsed", ".txt"),
    "svg": (".svg",),
}
FORMATS = tuple(EXTENSIONS)


def format_for(path: str | None) -> str:
    """The output format a file name asks for; folded when it says nothing."""
    if not path or path == "-":
        return "folded"
    name = os.path.basename(path).lower()
    endings = sorted(((end, fmt) for fmt, ends in EXTENSIONS.items() for end in ends), key=lambda e: -len(e[0]))
    for end, fmt in endings:
        if name.endswith(end):
            return fmt
    raise UsageError(f"cannot tell the output format from {path!r}: name it with --to ({', '.join(FORMATS)})")


def render(profile: Profile, fmt: str, name: str = "flamekit") -> bytes:
    """``profile`` in output format ``fmt``; ``name`` titles it where the format has a title."""
    if fmt == "folded":
        return folded.dumps(profile)
    if fmt == "pprof":
        from .render import pprof

        return pprof.dumps(profile)
    if fmt == "speedscope":
        from .render import speedscope

        return speedscope.dumps(profile, name=name)
    if fmt == "svg":
        from .render import flamegraph

        # flamegraph's defaults: the same SVG as ``flamekit flamegraph`` draws
        # (whose --fontsize is a float, written 12.0 into the SVG's config)
        options = flamegraph.FlameGraphOptions()
        options.fontsize = float(options.fontsize)
        return flamegraph.render(profile, options)
    raise UsageError(f"unknown output format {fmt!r} (known: {', '.join(FORMATS)})")
