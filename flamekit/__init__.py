"""flamekit: profiler and tracer output into flame graphs, call graphs and portable profiles.

The public API: :class:`Profile` (the hub), :mod:`flamekit.folded` (its
on-disk form), :func:`load` (any input, auto-detected) and the error family.
"""

__version__ = "0.1.0"

from .collapse import CollapseOptions, detect, load, load_profile  # noqa: E402
from .diff import DiffProfile  # noqa: E402
from .errors import FlamekitError, InputError, Skips, UsageError  # noqa: E402
from .profile import Profile, Stack, merge  # noqa: E402

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
