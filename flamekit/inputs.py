"""Reading a command's inputs: collapse each (format detection, symbolization), merge them,
report skipped lines on stderr.

Kept apart from :mod:`flamekit.cli` and free of click, so the launcher's plain
``flamegraph`` path (:mod:`flamekit.plain`) reads inputs exactly as the click
commands do without importing click (~0.025 CPU-s of every start).
"""

from __future__ import annotations

import gc
import sys

from ._records import TYPE_CHECKING
from .errors import Skips, UsageError

if TYPE_CHECKING:
    from typing import Any

    from .diff import DiffProfile
    from .profile import Profile


def say(line: str) -> None:
    """One line on stderr, flushed (as ``click.echo(line, err=True)`` writes it)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


PARAM_KEYS = ("pid", "tid", "kernel", "jit", "all_", "addrs", "event_filter", "inline_", "context", "srcline", "weight",
              "sample_type", "per_cpu", "per_task", "map_", "offsets",
              "bracket_aware_args", "exited_as", "keep_last_sample", "jobs",
              "sym_elf", "sym_kallsyms", "sym_perf_maps", "sym_maps", "sym_debug_dirs")


def params_of(kw: dict[str, Any]) -> dict[str, Any]:
    """Format-specific settings handed to collapsers (keys without trailing _)."""
    out = {}
    for k in PARAM_KEYS:
        if k in kw:
            out[k.rstrip("_")] = kw.pop(k)
    return out


def _resolver(params: dict[str, Any]) -> Any:
    """A symbolizer when --elf/--kallsyms/--perf-map/--proc-maps/--debug-dir was given (their keys leave params)."""
    given = {k: params.pop(k) for k in list(params) if k.startswith("sym_")}
    if not any(given.values()):
        return None
    from .symbolize import Symbolizer

    return Symbolizer.from_options(given.get("sym_kallsyms"), given.get("sym_elf") or (), None, given.get("sym_maps"),
                                   given.get("sym_perf_maps") or (), debug_dirs=given.get("sym_debug_dirs") or ())


def load_inputs(
    inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, params: dict[str, Any]
) -> Profile | DiffProfile:
    """Collapse each input and merge them; report skipped lines on stderr."""
    from .collapse import CollapseOptions, load
    from .gcpause import no_gc
    from .profile import Profile, merge

    skips = Skips(strict=strict)
    results = []
    resolver = _resolver(params)
    # The inputs become one big structure of small objects that lives until
    # the command ends and holds no cycles worth finding: with the collector
    # running, it was rescanned by every collection while loading and again
    # while rendering (~25 ms CPU of ~0.42 CPU-s for a 7 MB gprof file).  So load
    # with the collector paused, then freeze what is alive (gc.freeze: later
    # collections skip it); FlamekitGroup.invoke unfreezes when the command ends.
    with no_gc():
        for path in inputs or ("-",):
            opts = CollapseOptions(skips=skips, params=dict(params), verbose=verbose, resolver=resolver)
            result = load(path, fmt, opts, progress=not quiet)
            if resolver is not None and isinstance(result, Profile):
                from .symbolize.frames import symbolize_profile

                result = symbolize_profile(result, resolver)
            if verbose:
                say(f"flamekit: {path}: format {opts.params.get('_format', fmt)}")
            results.append(result)
        gc.freeze()
    if not quiet:
        for msg in skips.messages():
            say(f"flamekit: warning: {msg}")
    if len(results) == 1:
        return results[0]
    if not all(isinstance(r, Profile) for r in results):
        if any(isinstance(r, Profile) for r in results):
            raise UsageError("cannot merge differential and ordinary folded inputs")
        from .diff import DiffProfile

        return DiffProfile(merge(r.before for r in results), merge(r.after for r in results))  # type: ignore[union-attr]
    return merge(results)  # type: ignore[arg-type]
