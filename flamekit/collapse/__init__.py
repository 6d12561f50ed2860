"""Collapsers: one module per input format, found automatically.

A module in this package that defines ``COLLAPSER`` (an object following
:class:`~flamekit.collapse.base.Collapser`) is registered; nothing else needs
editing to add a format.  :func:`detect` asks each, in priority order.

Start-up matters (every command pays it), so nothing here imports a format
module until it is needed: the modules are found by listing this package's
directory, ``--format NAME`` imports just the module of that name (``-``
spelled ``_``), and only detection, which must ask every format, imports
them all.
"""

from __future__ import annotations

import os
from functools import cache

from .._records import TYPE_CHECKING
from ..errors import InputError
from .base import CollapseOptions, Collapser

if TYPE_CHECKING:
    from typing import Any

    from ..diff import DiffProfile
    from ..profile import Profile

__all__ = ["CollapseOptions", "Collapser", "collapsers", "detect", "get", "load", "load_profile", "module_names", "names"]

#: what starts every perf.data file (both header versions; flamekit.perfdata checks all 8 bytes)
_PERF_DATA_PREFIX = b"PERF"


@cache
def module_names() -> tuple[str, ...]:
    """The modules of this package that may hold a collapser, found without importing them.

    Private modules (``_name``) and ``base`` are helpers, never formats.
    """
    found = set()
    for directory in __path__:
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            stem, ext = os.path.splitext(entry)
            if not stem.isidentifier() or stem.startswith("_") or stem == "base":
                continue
            if ext == ".py" or (not ext and os.path.isfile(os.path.join(directory, entry, "__init__.py"))):
                found.add(stem)
    if not found:  # not plain directories (a zip import, say): ask the import system
        import pkgutil

        found = {info.name for info in pkgutil.iter_modules(__path__)
                 if not info.name.startswith("_") and info.name != "base"}
    return tuple(sorted(found))


def _collapser_in(module_name: str) -> Collapser | None:
    """The COLLAPSER a module of this package defines (importing it), or None."""
    # __import__ with a fromlist returns the submodule itself; importlib.import_module would do the
    # same, but importing importlib (with warnings) is ~3 M instructions of every detecting start
    module = __import__(f"{__name__}.{module_name}", fromlist=["COLLAPSER"])
    return getattr(module, "COLLAPSER", None)


@cache
def collapsers() -> tuple[Collapser, ...]:
    """Every registered collapser, in detection order (imports every format module)."""
    found = [c for c in map(_collapser_in, module_names()) if c is not None]
    return tuple(sorted(found, key=lambda c: (c.priority, c.name)))


def names() -> list[str]:
    """Every format name, in detection order."""
    return [c.name for c in collapsers()]


def get(name: str) -> Collapser:
    """The collapser called ``name``; KeyError if none is.

    The module spelled like the name is tried first, so naming a format
    imports that one module, not all of them.
    """
    guess = name.replace("-", "_")
    if guess in module_names():
        c = _collapser_in(guess)
        if c is not None and c.name == name:
            return c
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
    from ..io import open_input, source_name
    from ..profile import Profile

    source = source_name(path)
    opts = options or CollapseOptions()
    opts.source = source
    opts.params.update(params)
    stream, head = open_input(path, progress=progress)
    close_stream = path != "-"
    if head.startswith(_PERF_DATA_PREFIX) and _perfdata().is_perf_data(head):
        # a perf.data file: read what 'perf script' prints for it, streamed
        raw_stream = stream
        try:
            stream, head = _perfdata().open_perf_data(path, source, raw_stream, opts.params)
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
    from ..profile import Profile

    result = load(path, fmt, options, **params)
    if not isinstance(result, Profile):  # a DiffProfile
        return result.after
    return result


def _perfdata() -> Any:
    """flamekit.perfdata, imported only for perf.data input (it pulls in subprocess and tempfile)."""
    from .. import perfdata

    return perfdata
