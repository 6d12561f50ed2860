"""Collapsers: one module per input format, found automatically.

A module in this package that defines ``COLLAPSER`` (an object following
:class:`~flamekit.collapse.base.Collapser`) is registered; nothing else needs
editing to add a format.  :func:`detect` asks each, in priority order.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from ..diff import DiffProfile
from ..errors import InputError
from ..io import open_input, source_name
from ..perfdata import is_perf_data, open_perf_data
from ..profile import Profile
from .base import CollapseOptions, Collapser

__all__ = ["CollapseOptions", "Collapser", "collapsers", "get", "detect", "load", "load_profile", "names"]


@cache
def collapsers() -> tuple[Collapser, ...]:
    """Every registered collapser, in detection order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        c = getattr(module, "COLLAPSER", None)
        if c is not None:
            found.append(c)
    return tuple(sorted(found, key=lambda c: (c.priority, c.name)))


def names() -> list[str]:
    return [c.name for c in collapsers()]


def get(name: str) -> Collapser:
    for c in collapsers():
        if c.name == name:
            return c
    raise KeyError(name)


def detect(head: bytes, source: str = "<input>") -> Collapser:
    """The collapser for an input whose first bytes are ``head``.

    A sure answer (True) wins in priority order; otherwise the first
    "could be" (None); otherwise an InputError listing what was tried.
    """
    maybe = None
    for c in collapsers():
        verdict = c.detect(head)
        if verdict is True:
            return c
        if verdict is None and maybe is None:
            maybe = c
    if maybe is not None:
        return maybe
    tried = ", ".join(names())
    what = "empty input" if not head.strip() else "unrecognized input format"
    raise InputError(source, None, f"{what} (tried: {tried}); name one with --format")


def load(
    path: str,
    fmt: str = "auto",
    options: CollapseOptions | None = None,
    progress: bool = False,
    **params: Any,
) -> Profile | DiffProfile:
    """Open ``path``, pick its collapser (``fmt`` or detection) and collapse it.

    Returns a DiffProfile only for the two-column folded form.
    """
    source = source_name(path)
    opts = options or CollapseOptions()
    opts.source = source
    opts.params.update(params)
    stream, head = open_input(path, progress=progress)
    close_stream = path != "-"
    if is_perf_data(head):
        # a perf.data file: read what 'perf script' prints for it, streamed
        raw_stream = stream
        try:
            stream, head = open_perf_data(path, source, raw_stream, opts.params)
        finally:
            if path != "-":
                raw_stream.close()
        opts.params["_path"] = None  # the text is a pipe, not a file to split
        close_stream = True
    else:
        opts.params.setdefault("_path", None if path == "-" else path)
    try:
        if fmt == "auto":
            collapser = detect(head, source)
        else:
            try:
                collapser = get(fmt)
            except KeyError:
                raise InputError(source, None, f"unknown format {fmt!r} (known: {', '.join(names())})") from None
        opts.params.setdefault("_head", head)
        opts.params["_format"] = collapser.name
        result = collapser.collapse(stream, opts)
    finally:
        if close_stream:
            stream.close()
    if isinstance(result, Profile) and source not in result.sources:
        result.sources.append(source)
    return result


def load_profile(path: str, fmt: str = "auto", options: CollapseOptions | None = None, **params: Any) -> Profile:
    """Like :func:`load`, but a differential input yields its AFTER side."""
    result = load(path, fmt, options, **params)
    if isinstance(result, DiffProfile):
        return result.after
    return result
