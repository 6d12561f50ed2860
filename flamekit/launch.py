"""The ``flamekit`` command's entry point: ``addr2line``, ``flamegraph`` and ``collapse`` in their plain forms start without click.

Importing click (with ``typing``, ``inspect`` and the rest it loads) costs
~0.025-0.03 CPU-s at every start: a tenth of what ``flamekit addr2line --elf F``
spends on 100,000 addresses, a sixth of a flame graph of a 1.3 MB profile.
They are called from scripts, often, on small inputs, where start-up is most
of the cost.  So ``addr2line`` with only the options
:func:`flamekit.symbolize.addr2line.plain_args` knows, and ``flamegraph`` /
``collapse INPUT... [-o OUT]`` with the options
:func:`flamekit.plain.flamegraph_args` / :func:`~flamekit.plain.collapse_args`
know, spelled as click would take them, run here directly; everything else -- other
commands, ``--help``, any other option, an odd spelling -- goes to the click
CLI (:mod:`flamekit.cli`), which parses, runs or reports it.  Errors of the
command itself end the same way on both paths (:func:`failure`).
"""

from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    """Run the ``flamekit`` command line (``sys.argv``)."""
    argv = sys.argv[1:]
    if argv[:1] == ["addr2line"]:
        # imports, symbol columns and answers are long-lived or acyclic: no collection before the
        # command ends would free anything (the command keeps its own rare-GC setting, RelaxedGC)
        thresholds = gc.get_threshold()
        gc.set_threshold(100_000, 50, 1000)
        try:
            from .symbolize import addr2line as a2l

            args = a2l.plain_args(argv[1:])
            if args is not None:
                try:
                    a2l.command(**args)
                except Exception as e:  # noqa: BLE001 - every error becomes one line and an exit status
                    raise SystemExit(_status(e)) from None
                except KeyboardInterrupt as e:
                    raise SystemExit(_status(e)) from None
                return
        finally:
            gc.set_threshold(*thresholds)
    elif argv[:1] in (["flamegraph"], ["collapse"]):
        from . import plain

        command, parse = (plain.flamegraph, plain.flamegraph_args) if argv[0] == "flamegraph" else \
            (plain.collapse, plain.collapse_args)
        args = parse(argv[1:])
        if args is not None:
            # the command's imports are long-lived and the profile is loaded and drawn with the
            # collector paused: the collections its imports set off would free nothing
            thresholds = gc.get_threshold()
            gc.set_threshold(100_000, 50, 1000)
            try:
                command(**args)
            except Exception as e:  # noqa: BLE001 - every error becomes one line and an exit status
                raise SystemExit(_status(e)) from None
            except KeyboardInterrupt as e:
                raise SystemExit(_status(e)) from None
            finally:
                gc.set_threshold(*thresholds)
                gc.unfreeze()  # load_inputs froze the loaded profile: in-process callers get it collectable
            return
    from .cli import run

    run()


def _status(e: BaseException) -> int:
    code = failure(e)
    if code is None:
        raise e
    return code


def failure(e: BaseException) -> int | None:
    """The exit status for ``e`` escaping a command, after its one line on stderr; None: let it propagate.

    A flamekit error (bad input or usage) is 2, a closed stdout (``| head``) 1
    with nothing more written, an interrupt 130, anything else (a bug of
    ours) 3 with its type and message, or a traceback when ``FLAMEKIT_DEBUG``
    is set.
    """
    from .errors import FlamekitError

    if isinstance(e, FlamekitError):
        return _say(f"flamekit: error: {e}", 2)
    if isinstance(e, BrokenPipeError):  # the reader went away: not an error of ours
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return 1
    if isinstance(e, KeyboardInterrupt):
        return _say("flamekit: interrupted", 130)
    if isinstance(e, MemoryError):
        return _say("flamekit: error: out of memory", 2)
    if isinstance(e, Exception) and not os.environ.get("FLAMEKIT_DEBUG"):
        return _say(f"flamekit: internal error: {type(e).__name__}: {e} (set FLAMEKIT_DEBUG=1 for a traceback)", 3)
    return None


def _say(line: str, code: int) -> int:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    return code
