"""The ``flamekit`` command: thin click wrappers over the library.

Every command turns options into library calls and writes the result; all
parsing and rendering lives elsewhere.  Errors in the input become one line
on stderr and exit status 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from . import __version__, folded
from .collapse import CollapseOptions, load, names
from .diff import DiffProfile
from .errors import FlamekitError, InputError, Skips, UsageError
from .io import atomic_output
from .profile import Profile, merge


class FlamekitGroup(click.Group):
    """Turns every flamekit error into one line and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FlamekitError as e:
            click.echo(f"flamekit: error: {e}", err=True)
            ctx.exit(2)
        except BrokenPipeError:
            # the reader went away (| head): not an error of ours
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), sys.stdout.fileno())
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("flamekit: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except MemoryError:
            click.echo("flamekit: error: out of memory", err=True)
            ctx.exit(2)
        except Exception as e:  # a bug of ours: still one line, unless debugging
            if os.environ.get("FLAMEKIT_DEBUG"):
                raise
            click.echo(f"flamekit: internal error: {type(e).__name__}: {e} (set FLAMEKIT_DEBUG=1 for a traceback)", err=True)
            ctx.exit(3)


@click.group(cls=FlamekitGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="flamekit")
def main() -> None:
    """Turn profiler and tracer output into flame graphs, call graphs and portable profiles."""


# -- shared input handling ---------------------------------------------------

WEIGHT_CHOICES = ["auto", "samples", "period"]


def input_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that reads raw profiler output accepts."""
    decorators = [
        click.option("--format", "fmt", default="auto", show_default=True,
                     type=click.Choice(["auto", *names()]), help="Input format; auto detects it from the first KB."),
        click.option("--strict", is_flag=True, help="Any skipped input line is an error."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar or skip summary."),
        click.option("-v", "--verbose", is_flag=True, help="Say which format was detected, and more."),
        # perf script (names and meaning as stackcollapse-perf.pl)
        click.option("--pid", is_flag=True, help="perf: include PID with process names."),
        click.option("--tid", is_flag=True, help="perf: include TID and PID with process names."),
        click.option("--kernel", is_flag=True, help="perf: annotate kernel functions with _[k]."),
        click.option("--jit", is_flag=True, help="perf: annotate JIT functions with _[j]."),
        click.option("--all", "all_", is_flag=True, help="perf: all annotations (--kernel --jit)."),
        click.option("--addrs", is_flag=True, help="perf: include raw addresses where symbols can't be found."),
        click.option("--event-filter", metavar="EVENT", help="perf: only this event (default: the first seen)."),
        click.option("--inline", "inline_", is_flag=True, help="perf: un-inline using addr2line."),
        click.option("--context", is_flag=True, help="perf: add source context (with --inline)."),
        click.option("--srcline", is_flag=True, help="perf: parse source lines printed by 'perf script -F +srcline'."),
        click.option("--weight", default="auto", show_default=True, type=click.Choice(WEIGHT_CHOICES),
                     help="What a stack's weight is: auto (period when printed), samples, period."),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn


PARAM_KEYS = ("pid", "tid", "kernel", "jit", "all_", "addrs", "event_filter", "inline_", "context", "srcline", "weight")


def _params(kw: dict[str, Any]) -> dict[str, Any]:
    """Format-specific settings handed to collapsers (keys without trailing _)."""
    out = {}
    for k in PARAM_KEYS:
        if k in kw:
            out[k.rstrip("_")] = kw.pop(k)
    return out


def load_inputs(
    inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, params: dict[str, Any]
) -> Profile | DiffProfile:
    """Collapse each input and merge them; report skipped lines on stderr."""
    skips = Skips(strict=strict)
    results = []
    for path in inputs or ("-",):
        opts = CollapseOptions(skips=skips, params=dict(params), verbose=verbose)
        result = load(path, fmt, opts, progress=not quiet)
        if verbose:
            click.echo(f"flamekit: {path}: format {opts.params.get('_format', fmt)}", err=True)
        results.append(result)
    if not quiet:
        for msg in skips.messages():
            click.echo(f"flamekit: warning: {msg}", err=True)
    if len(results) == 1:
        return results[0]
    if any(isinstance(r, DiffProfile) for r in results):
        if not all(isinstance(r, DiffProfile) for r in results):
            raise UsageError("cannot merge differential and ordinary folded inputs")
        return DiffProfile(merge(r.before for r in results), merge(r.after for r in results))  # type: ignore[union-attr]
    return merge(results)  # type: ignore[arg-type]


def profile_only(result: Profile | DiffProfile, what: str) -> Profile:
    if isinstance(result, DiffProfile):
        raise UsageError(f"{what} takes an ordinary profile, not a differential (two-count) one")
    return result


def output_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-o", "--output", "output", metavar="OUT", default=None,
                        help="Write here (atomically) instead of stdout.")(fn)


# -- commands ----------------------------------------------------------------

@main.command()
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@input_options
@output_option
def collapse(inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, output: str | None,
             **kw: Any) -> None:
    """Collapse profiler output into folded stacks (several inputs are merged)."""
    result = load_inputs(inputs, fmt, strict, quiet, verbose, _params(kw))
    with atomic_output(output) as out:
        if isinstance(result, DiffProfile):
            out.write(folded.dumps_diff(result))
        else:
            out.write(folded.dumps(result))


@main.command(name="merge")
@click.argument("inputs", nargs=-1, required=True, metavar="FOLDED...")
@click.option("--strict", is_flag=True, help="Any malformed line is an error.")
@click.option("-q", "--quiet", is_flag=True, help="No skip summary.")
@output_option
def merge_cmd(inputs: tuple[str, ...], strict: bool, quiet: bool, output: str | None) -> None:
    """Sum folded stack files."""
    result = load_inputs(inputs, "folded", strict, quiet, False, {})
    with atomic_output(output) as out:
        if isinstance(result, DiffProfile):
            out.write(folded.dumps_diff(result))
        else:
            out.write(folded.dumps(result))


def run() -> None:
    main(prog_name="flamekit")


if __name__ == "__main__":  # pragma: no cover
    run()
