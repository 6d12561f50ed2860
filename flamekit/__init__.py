"""flamekit: profiler and tracer output into flame graphs, call graphs and portable profiles.

The public API: :class:`Profile` (the hub), :mod:`flamekit.folded` (its
on-disk form), :func:`load` (any input, auto-detected) and the error family.

The names are imported on first use (PEP 562), so ``import flamekit`` -- and
with it every ``flamekit`` command, ``--version`` included -- starts without
loading the parsers and renderers it does not need.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)

__version__ = "0.1.0"

#: public name -> the submodule that defines it
_EXPORTS = {
    "CollapseOptions": "collapse",
    "detect": "collapse",
    "load": "collapse",
    "load_profile": "collapse",
    "DiffProfile": "diff",
    "FlamekitError": "errors",
    "InputError": "errors",
    "Skips": "errors",
    "UsageError": "errors",
    "Profile": "profile",
    "Stack": "profile",
    "merge": "profile",
}

__all__ = [
    "__version__",
    "CollapseOptions",
    "DiffProfile",
    "FlamekitError",
    "InputError",
    "Profile",
    "Skips",
    "Stack",
    "UsageError",
    "detect",
    "load",
    "load_profile",
    "merge",
]

if TYPE_CHECKING:
    from typing import Any

    from .collapse import CollapseOptions, detect, load, load_profile
    from .diff import DiffProfile
    from .errors import FlamekitError, InputError, Skips, UsageError
    from .profile import Profile, Stack, merge


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is asked for.

    A submodule asked for as an attribute (``flamekit.folded`` after a bare
    ``import flamekit``) is imported too, as when this package imported them eagerly.
    (``from . import folded`` in a submodule asks this too, so modules are imported with
    ``__import__``, not ``importlib.import_module``: importing importlib, with warnings, was
    ~3 M instructions of every start that detects a format.)
    """
    module = _EXPORTS.get(name)
    if module is None:
        try:
            return _submodule(name)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_submodule(module), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def _submodule(name: str) -> Any:
    """The submodule ``flamekit.NAME``, imported if it was not."""
    import sys

    full = f"{__name__}.{name}"
    __import__(full)
    return sys.modules[full]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
