"""The ``flamekit`` command: thin click wrappers over the library.

Every command turns options into library calls and writes the result; all
parsing and rendering lives elsewhere.  Errors in the input become one line
on stderr and exit status 2.

Start-up is paid by every command, so this module imports only click and the
error types: each command imports the parsers and renderers it uses, and the
list of input formats is read only when ``--format`` is given or help shown.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .errors import Skips, UsageError
from .inputs import load_inputs, params_of
from .io import atomic_output

if TYPE_CHECKING:
    from .diff import DiffProfile
    from .profile import Profile


class FlamekitGroup(click.Group):
    """Turns every flamekit error into one line and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke_reporting(ctx)
        finally:
            gc.unfreeze()  # see load_inputs: in-process callers (tests) get every object collectable again

    def _invoke_reporting(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as e:  # ours: one line and an exit status
            from .launch import failure

            code = failure(e)
            if code is None:
                raise
            ctx.exit(code)


@click.group(cls=FlamekitGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="flamekit")
def main() -> None:
    """Turn profiler and tracer output into flame graphs, call graphs and portable profiles."""


# -- shared input handling ---------------------------------------------------

class FormatChoice(click.Choice):
    """``--format``: "auto" or a collapser's name, listed only when click needs the list.

    Listing the names imports every collapser module; a command that is not
    given ``--format`` (or given a valid one) never needs the list.
    """

    def __init__(self) -> None:
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        from .collapse import names

        return ("auto", *names())

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        pass  # click.Choice.__init__ assigns it; the list is always the registry's

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "auto":
            return value
        if isinstance(value, str):
            from .collapse import get

            try:
                return get(value).name
            except KeyError:
                pass
        return super().convert(value, param, ctx)  # click's own message, listing the choices


WEIGHT_CHOICES = ["auto", "samples", "period", "self", "total", "calls"]


def input_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that reads raw profiler output accepts."""
    decorators = [
        click.option("--format", "fmt", default="auto", show_default=True,
                     type=FormatChoice(), help="Input format; auto detects it from the first KB."),
        click.option("--strict", is_flag=True, help="Any skipped input line is an error."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar or skip summary."),
        click.option("-v", "--verbose", is_flag=True, help="Say which format was detected, and more."),
        # perf script (names and meaning as stackcollapse-perf.pl)
        click.option("--pid", is_flag=True, help="perf: include PID with process names (pprof: from comm/pid labels)."),
        click.option("--tid", is_flag=True, help="perf: include TID and PID with process names (pprof: from labels)."),
        click.option("--kernel", is_flag=True, help="perf: annotate kernel functions with _[k]."),
        click.option("--jit", is_flag=True, help="perf: annotate JIT functions with _[j]."),
        click.option("--all", "all_", is_flag=True, help="perf: all annotations (--kernel --jit)."),
        click.option("--addrs", is_flag=True, help="perf: include raw addresses where symbols can't be found."),
        click.option("--event-filter", metavar="EVENT", help="perf: only this event (default: the first seen)."),
        click.option("--inline", "inline_", is_flag=True, help="perf: un-inline using addr2line."),
        click.option("--context", is_flag=True, help="perf: add source context (with --inline)."),
        click.option("--srcline", is_flag=True, help="perf: parse source lines printed by 'perf script -F +srcline'."),
        click.option("--bracket-aware-args", is_flag=True,
                     help="perf: cut C++ argument lists at the parameter list, not inside template "
                          "arguments, and keep (anonymous namespace) frames (stackcollapse-perf.pl drops them)."),
        click.option("--exited-as", metavar="NAME",
                     help="perf: root for samples of exited tasks (':-1  -1'), instead of the Perl "
                          "script's root built from the whole header line."),
        click.option("--keep-last-sample", is_flag=True,
                     help="perf: count a last sample with no blank line after it (stackcollapse-perf.pl drops it)."),
        click.option("--jobs", type=click.IntRange(1, 2), default=None,
                     help="perf: 2 folds a large file with two processes, 1 with one (default: 2 from 24 MB)."),
        click.option("--weight", default="auto", show_default=True, type=click.Choice(WEIGHT_CHOICES),
                     help="What a stack's weight is: auto (period when printed), samples, period; "
                          "ftrace: self (time), total (inclusive time of leaf calls), calls."),
        # ftrace (function_graph, function, stack traces)
        click.option("--per-cpu", "per_cpu", is_flag=True, help="ftrace: add a 'CPU n' root frame."),
        click.option("--per-task", "per_task", is_flag=True, help="ftrace: add a 'comm-pid' root frame."),
        # bpftrace, BCC, DTrace
        click.option("--map", "map_", metavar="NAME",
                     help="bpftrace: the map to fold (default: the first printed whose keys hold a stack)."),
        click.option("--offsets", is_flag=True,
                     help="bpftrace/bcc/dtrace: keep +OFFSET in frame names (stripped by default so frames merge)."),
        # pprof input
        click.option("--sample-type", metavar="TYPE", default=None,
                     help="pprof: which sample type is the weight, by name or index (default: the last, as pprof)."),
        # raw addresses (flamekit.symbolize): frames the input left unresolved
        click.option("--elf", "sym_elf", multiple=True, metavar="PATH",
                     help="Resolve raw frames ([unknown], 0xADDR, MODULE+0xOFF) of a module from this ELF file "
                          "(matched by path, name or build-id); repeatable."),
        click.option("--kallsyms", "sym_kallsyms", metavar="FILE", help="Resolve raw kernel addresses with this kallsyms."),
        click.option("--perf-map", "sym_perf_maps", multiple=True, metavar="FILE",
                     help="Resolve raw JIT addresses with this perf-PID.map; repeatable."),
        click.option("--proc-maps", "sym_maps", metavar="FILE", help="A saved /proc/PID/maps for raw absolute addresses."),
        click.option("--debug-dir", "sym_debug_dirs", multiple=True, metavar="DIR",
                     help="Also look for separate debug files here (like /usr/lib/debug); repeatable."),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn


def profile_only(result: Profile | DiffProfile, what: str) -> Profile:
    """``result`` if it is an ordinary profile; a UsageError naming ``what`` if differential."""
    from .profile import Profile

    if not isinstance(result, Profile):
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
    from .plain import collapse as body

    body(inputs, fmt, strict, quiet, verbose, output, **kw)


@main.command(name="merge")
@click.argument("inputs", nargs=-1, required=True, metavar="FOLDED...")
@click.option("--strict", is_flag=True, help="Any malformed line is an error.")
@click.option("-q", "--quiet", is_flag=True, help="No skip summary.")
@output_option
def merge_cmd(inputs: tuple[str, ...], strict: bool, quiet: bool, output: str | None) -> None:
    """Sum folded stack files."""
    from . import folded
    from .diff import DiffProfile

    result = load_inputs(inputs, "folded", strict, quiet, False, {})
    with atomic_output(output) as out:
        if isinstance(result, DiffProfile):
            out.write(folded.dumps_diff(result))
        else:
            out.write(folded.dumps(result))


# -- diff (flamekit/diff.py, flamekit/render/diffreport.py) ---------------------

DIFF_FORMATS = ["report", "json", "folded", "svg"]


@main.command(name="diff")
@click.argument("before", metavar="BEFORE")
@click.argument("after", metavar="AFTER")
@input_options
@output_option
@click.option("--output-format", "out_format", type=click.Choice(DIFF_FORMATS), default=None,
              help="What to write (default: svg when OUT ends in .svg, else report).")
@click.option("-n", "--normalize", is_flag=True, help="Scale BEFORE to AFTER's total (difffolded.pl -n).")
@click.option("-s", "--strip-hex", is_flag=True, help="Replace hex addresses 0x... in frames (difffolded.pl -s).")
@click.option("--negate", is_flag=True, help="svg/folded: widths from BEFORE, hues swapped (what disappeared).")
@click.option("--title", default=None, help="svg: the title (default: Differential Flame Graph).")
@click.option("--top", type=click.IntRange(min=0), default=None, metavar="N",
              help="report: show N functions (default 20, 0 = all); json: only the first N.")
@click.option("--min-delta", "min_delta", type=click.FloatRange(min=0), default=0.0, metavar="PTS",
              help="report/json: leave out functions whose shares moved less than PTS points (noise).")
@click.option("--fail-if-grown", "fail_pct", metavar="PCT", default=None,
              help="Exit 1 if any function's share grew by more than PCT percentage points.")
@click.option("--fail-if-grown-fn", "fail_fn", metavar="REGEX:PCT", multiple=True,
              help="Exit 1 if a function matching REGEX grew by more than PCT points (repeatable).")
@click.option("--gate-on", "measure", type=click.Choice(["total", "self"]), default="total", show_default=True,
              help="Which share the gate compares: inclusive (total) or as leaf (self).")
@click.pass_context
def diff_cmd(ctx: click.Context, before: str, after: str, fmt: str, strict: bool, quiet: bool, verbose: bool,
             output: str | None, out_format: str | None, normalize: bool, strip_hex: bool, negate: bool,
             title: str | None, top: int | None, min_delta: float, fail_pct: str | None, fail_fn: tuple[str, ...], measure: str, **kw: Any) -> None:
    """Compare two captures: which functions grew, and fail CI when one grew too much.

    BEFORE and AFTER may be folded stacks or any raw format flamekit reads.
    Exit status: 0, 1 when the gate fails (each offender named on stderr), 2 for bad input.
    """
    from . import diff as fdiff
    from .render import diffreport

    try:
        rules = [fdiff.parse_fn_rule(spec) for spec in fail_fn]
        if fail_pct is not None:
            rules.append(fdiff.GateRule(fdiff.parse_limit(fail_pct)))
    except fdiff.GateSpecError as e:
        raise UsageError(f"bad gate: {e}") from None
    if out_format is None:
        out_format = "svg" if output and output.lower().endswith(".svg") else "report"
    if negate and out_format not in ("svg", "folded"):
        raise UsageError("--negate applies to svg and folded output only")
    params = params_of(kw)
    sides = [profile_only(load_inputs((path,), fmt, strict, quiet, verbose, dict(params)), f"diff {what}")
             for path, what in ((before, "BEFORE"), (after, "AFTER"))]
    d = fdiff.diff(sides[0], sides[1], normalize=normalize, strip_hex=strip_hex)
    deltas = fdiff.function_deltas(d)
    offenders = fdiff.check_gate(deltas, rules, measure)
    if min_delta:
        # the gate saw every function; only the listing leaves out the noise
        deltas = [x for x in deltas if x.impact >= min_delta]
    with atomic_output(output) as out:
        if out_format == "report":
            out.write(diffreport.report(d, deltas, top, offenders, measure).encode("utf-8", "surrogateescape"))
        elif out_format == "json":
            out.write(diffreport.to_json(d, deltas, top, offenders, bool(rules), measure))
        elif out_format == "folded":
            out.write(fdiff.dumps_folded(d.swapped() if negate else d))
        else:
            out.write(_diff_svg(d, negate, title))
    for o in offenders:
        click.echo(f"flamekit: gate failed: {o.message()}", err=True)
    if offenders:
        ctx.exit(1)


def _diff_svg(d: DiffProfile, negate: bool, title: str | None) -> bytes:
    """A differential flame graph: widths from AFTER (BEFORE with --negate), red grew, blue shrank."""
    from .render import flamegraph

    shown = d.swapped() if negate else d
    if title is None:
        title = "Differential Flame Graph" + (" (widths: BEFORE)" if negate else "")
    return flamegraph.render(shown.materialized(), flamegraph.FlameGraphOptions(title=title, negate=negate))


# -- convert (flamekit/convert.py, render/pprof.py, render/speedscope.py) ------

@main.command(name="convert")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@input_options
@click.option("--to", "to", type=click.Choice(["folded", "pprof", "speedscope", "svg"]), default=None,
              help="Output format (default: from OUT's name: .pb.gz, .speedscope.json, .folded, .svg).")
@click.option("--name", default=None, help="Profile name shown by viewers (default: the input's file name).")
@output_option
def convert_cmd(inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, to: str | None,
                name: str | None, output: str | None, **kw: Any) -> None:
    """Convert any input flamekit reads to folded stacks, pprof, speedscope or an SVG flame graph."""
    from . import convert

    target = to or convert.format_for(output)
    profile = profile_only(load_inputs(inputs, fmt, strict, quiet, verbose, params_of(kw)), "convert")
    title = name or (os.path.basename(inputs[0]) if len(inputs) == 1 and inputs[0] != "-" else "flamekit")
    data = convert.render(profile, target, name=title)
    with atomic_output(output) as out:
        out.write(data)


@main.command(name="callgraph")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@input_options
@output_option
@click.option("--to", "to", type=click.Choice(["dot", "svg", "png"]), default=None,
              help="Output format (default: from the -o extension, else dot).")
@click.option("-n", "--node-thres", type=float, default=0.5, show_default=True, metavar="PCT",
              help="Hide functions below this percentage of the total.")
@click.option("-e", "--edge-thres", type=float, default=0.1, show_default=True, metavar="PCT",
              help="Hide calls below this percentage of the total.")
@click.option("-c", "--colormap", type=click.Choice(["color", "pink", "gray", "bw", "print"]), default="color",
              show_default=True, help="Colour map (as gprof2dot).")
@click.option("--skew", type=float, default=1.0, show_default=True,
              help="Bend the colour map: <1 shows more of the low end, >1 of the high end.")
@click.option("-s", "--strip", is_flag=True, help="Strip C++ parameter lists, template arguments and const.")
@click.option("-w", "--wrap", is_flag=True, help="Wrap long function names.")
@click.option("-z", "--root", multiple=True, metavar="GLOB", help="Only what these functions call (repeatable).")
@click.option("-l", "--leaf", multiple=True, metavar="GLOB", help="Only what calls these functions (repeatable).")
@click.option("--depth", type=click.IntRange(min=0), default=None, help="Levels below --root / above --leaf.")
@click.option("--hide", multiple=True, metavar="REGEX", help="Hide functions matching REGEX (repeatable).")
@click.option("--node-label", "node_labels", multiple=True,
              type=click.Choice(["self-time", "self-time-percentage", "total-time", "total-time-percentage"]),
              help="Node label lines (repeatable; default total-time-percentage, self-time-percentage).")
@click.option("--color-nodes-by-selftime", is_flag=True, help="Colour nodes by self instead of total weight.")
@click.option("--show-samples", is_flag=True, help="Show the raw weights (in the profile's unit) too.")
def callgraph_cmd(inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, output: str | None,
                  to: str | None, node_thres: float, edge_thres: float, colormap: str, skew: float, strip: bool,
                  wrap: bool, root: tuple[str, ...], leaf: tuple[str, ...], depth: int | None,
                  hide: tuple[str, ...], node_labels: tuple[str, ...], color_nodes_by_selftime: bool,
                  show_samples: bool, **kw: Any) -> None:
    """Draw a call graph (DOT, or SVG/PNG through Graphviz) in gprof2dot's style.

    From stacks the totals are exact (each function once per stack); from
    gprof they are gprof's own.
    """
    from .callgraph import graph_of
    from .render import callgraph as cg

    params = params_of(kw)
    params["callgraph_only"] = len(inputs) == 1  # gprof: the exact graph, no approximate stacks
    profile = profile_only(load_inputs(inputs, fmt, strict, quiet, verbose, params), "callgraph")
    if to is None:
        ext = os.path.splitext(output or "")[1].lower().lstrip(".")
        to = ext if ext in ("svg", "png") else "dot"
    opts = cg.CallGraphOptions(
        node_thres=node_thres, edge_thres=edge_thres, colormap=colormap, skew=skew, strip=strip, wrap=wrap,
        root=root, leaf=leaf, depth=depth, hide=hide, node_labels=node_labels or cg.DEFAULT_LABELS,
        color_by_self=color_nodes_by_selftime, show_samples=show_samples)
    data = cg.render(graph_of(profile), to, opts)
    if not quiet:
        for note in opts.notes:
            click.echo(f"flamekit: note: {note}", err=True)
    with atomic_output(output) as out:
        out.write(data)


# -- symbolize / addr2line (flamekit.symbolize) ---------------------------------

def _symbolizer_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Where symbols come from, for commands that resolve raw addresses."""
    decorators = [
        click.option("--kallsyms", metavar="FILE", help="Kernel symbols (/proc/kallsyms or a saved copy)."),
        click.option("--elf", "elf", multiple=True, metavar="PATH",
                     help="ELF file to read for a module (matched by path, name or build-id); repeatable."),
        click.option("--debug-dir", "debug_dirs", multiple=True, metavar="DIR",
                     help="Also look for separate debug files here (like /usr/lib/debug); repeatable."),
        click.option("--lines", is_flag=True, help="Add FILE:LINE from DWARF."),
        click.option("--inlines", is_flag=True, help="Expand inlined calls from DWARF."),
        click.option("--backend", type=click.Choice(["python", "llvm"]), default="python", show_default=True,
                     help="DWARF decoding: pure Python, or batched through llvm-symbolizer."),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn


@main.command(name="symbolize")
@click.argument("input_", metavar="INPUT", default="-")
@click.option("--format", "fmt", default="auto", show_default=True, type=FormatChoice(),
              help="Input format; auto detects it from the first KB.")
@click.option("--pid", "map_pid", type=int, metavar="PID", help="Read /proc/PID/maps and perf-PID.map.")
@click.option("--maps", metavar="FILE", help="A saved /proc/PID/maps for absolute addresses.")
@click.option("--perf-map", "perf_maps", multiple=True, metavar="FILE", help="A JIT perf map (perf-PID.map).")
@_symbolizer_options
@click.option("--strict", is_flag=True, help="Any skipped input line is an error.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or skip summary.")
@click.option("-v", "--verbose", is_flag=True, help="Say which format was detected.")
@output_option
def symbolize_cmd(input_: str, fmt: str, map_pid: int | None, maps: str | None, perf_maps: tuple[str, ...],
                  kallsyms: str | None, elf: tuple[str, ...], debug_dirs: tuple[str, ...], lines: bool,
                  inlines: bool, backend: str, strict: bool, quiet: bool, verbose: bool, output: str | None) -> None:
    """Resolve raw addresses in INPUT (any format) and write folded stacks."""
    from . import folded
    from .collapse import CollapseOptions, load
    from .symbolize import Symbolizer
    from .symbolize.frames import symbolize_profile

    sym = Symbolizer.from_options(kallsyms, elf, map_pid, maps, perf_maps, lines, inlines, debug_dirs, backend)
    skips = Skips(strict=strict)
    opts = CollapseOptions(skips=skips, resolver=sym, verbose=verbose)
    result = profile_only(load(input_, fmt, opts, progress=not quiet), "symbolize")
    if not quiet:
        for msg in skips.messages():
            click.echo(f"flamekit: warning: {msg}", err=True)
    with atomic_output(output) as out:
        out.write(folded.dumps(symbolize_profile(result, sym)))


@main.command(name="addr2line")
@click.argument("addresses", nargs=-1, metavar="[ADDR]...")
@_symbolizer_options
def addr2line_cmd(addresses: tuple[str, ...], kallsyms: str | None, elf: tuple[str, ...],
                  debug_dirs: tuple[str, ...], lines: bool, inlines: bool, backend: str) -> None:
    """Print FUNCTION+0xOFFSET for hex addresses (ELF vaddrs, or kernel ones with --kallsyms).

    Addresses are read from stdin when none are given; one line is printed
    per address, ``0xADDR ??`` when it cannot be resolved.
    """
    from .symbolize import addr2line as a2l

    if (len(elf) == 1) == bool(kallsyms) or len(elf) > 1:
        raise UsageError("give exactly one of --elf PATH or --kallsyms FILE")
    a2l.command(addresses, elf[0] if elf else None, kallsyms, list(debug_dirs), backend, lines, inlines)


# -- flamegraph (flamekit/render/flamegraph.py) ---------------------------------

FLAMEGRAPH_PALETTES = ["hot", "mem", "io", "wakeup", "chain", "java", "js", "perl", "python", "rust",
                       "red", "green", "blue", "aqua", "yellow", "purple", "orange"]


@main.command(name="flamegraph")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@input_options
@output_option
@click.option("--title", default=None, help="Title (default: Flame Graph, Icicle Graph or Flame Chart).")
@click.option("--subtitle", default=None, help="Second line under the title.")
@click.option("--width", type=click.IntRange(min=21), default=1200, show_default=True, help="Image width in pixels.")
@click.option("--height", type=click.IntRange(min=2), default=16, show_default=True, help="Frame height in pixels.")
@click.option("--minwidth", default="0.1", show_default=True, metavar="PX|N%",
              help="Frames narrower than this are not drawn (their weight stays in the parent); "
                   "they are embedded and drawn when a zoom makes them wide enough.")
@click.option("--max-embedded-frames", type=click.IntRange(min=0), default=20_000, show_default=True,
              help="How many frames narrower than --minwidth to embed for zooming (heaviest first).")
@click.option("--fonttype", default="Verdana", show_default=True, help="Font family.")
@click.option("--fontsize", type=click.FloatRange(min=1), default=12, show_default=True, help="Font size.")
@click.option("--fontwidth", type=click.FloatRange(min=0.01), default=0.59, show_default=True,
              help="Average glyph width / font size, for label truncation.")
@click.option("--countname", default=None, help="Unit in tooltips (default: the profile's unit, e.g. samples).")
@click.option("--nametype", default="Function:", show_default=True, help="Prefix of the details line.")
@click.option("--colors", type=click.Choice(FLAMEGRAPH_PALETTES), default="hot", show_default=True,
              help="Palette.")
@click.option("--bgcolors", default=None, help="Background: yellow, blue, green, grey or #rrggbb.")
@click.option("--hash", "hash_", is_flag=True, help="Colour by flamegraph.pl's name hash (early characters weigh more).")
@click.option("--random", "random_", is_flag=True, help="Truly random colours (output differs run to run).")
@click.option("--cp", is_flag=True, help="Consistent palette: read and update palette.map in the working directory.")
@click.option("--reverse", is_flag=True, help="Reverse each stack before merging (leaf becomes root).")
@click.option("--inverted", is_flag=True, help="Icicle graph: root at the top.")
@click.option("--flamechart", is_flag=True, help="Flame chart: keep input order, merge only adjacent stacks.")
@click.option("--negate", is_flag=True, help="Differential input: swap red/blue and negate the printed delta.")
@click.option("--notes", default="", help="Text for an XML comment in the SVG.")
@click.option("--factor", type=float, default=1.0, show_default=True, help="Scale the counts shown in tooltips.")
@click.option("--nameattr", "nameattr", default=None, metavar="FILE",
              help="Per-function attributes: 'func<TAB>key=value...' (href, target, title, class, id).")
@click.option("--encoding", default=None, help="XML encoding of the output (default UTF-8).")
@click.option("--total", type=click.IntRange(min=1), default=None,
              help="Width of the whole graph in weight units (a shared scale; ignored below the real total).")
@click.option("--colordiffusion", is_flag=True, help="Colour by width: wider frames are redder (inferno).")
@click.option("--base", multiple=True, metavar="SYMBOL", help="Re-root stacks at this symbol (repeatable; inferno).")
@click.option("--search-color", default="rgb(230,0,230)", show_default=True, help="Fill of matched frames.")
@click.option("--stroke-color", default=None, help="Outline colour of frames (default none).")
@click.option("--uicolor", default=None, help="Colour of the title, buttons and details text.")
@click.option("--truncate-text-right/--truncate-text-left", default=True, show_default=True,
              help="Where long labels are cut.")
@click.option("--sort", "sort_", type=click.Choice(["name", "weight"]), default="name", show_default=True,
              help="Order of callees: alphabetical (flamegraph.pl) or heaviest first.")
def flamegraph_cmd(inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, output: str | None,
                   **kw: Any) -> None:
    """Draw an interactive SVG flame graph (folded, differential folded or any raw input; several are merged)."""
    from .plain import flamegraph

    flamegraph(inputs, fmt, strict, quiet, verbose, output, **kw)


def run() -> None:
    main(prog_name="flamekit")


if __name__ == "__main__":  # pragma: no cover
    run()
