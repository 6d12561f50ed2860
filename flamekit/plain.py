"""``flamekit flamegraph`` in its plain forms, run without click.

``flamekit flamegraph [OPTION]... INPUT... [-o OUT]`` is what CI scripts and
quick looks type, often on small profiles, where importing click (with
``typing``, ``inspect`` and what ``click.types`` loads: ~0.025 CPU-s) is a
quarter of the whole command.  :func:`flamegraph_args` recognizes those forms
-- inputs, ``-o``, and the drawing options such scripts set (title, size,
colours, sort, the flag options: :data:`PLAIN_VALUED`, :data:`PLAIN_FLAGS`)
-- and gives exactly the arguments the click command would receive (tests
compare the tables with the click command's declarations, the parse with
click's, and the output of both paths); :func:`flamegraph` is the command's
body, which the click command calls too.  Anything else -- another option,
``--help``, a value click would refuse or convert, an odd spelling -- goes
to click (:mod:`flamekit.launch`), which parses, runs or reports it.
"""

from __future__ import annotations

from ._records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

#: what the ``collapse`` command receives for every option that is not given (the input options and -o)
COLLAPSE_DEFAULTS: dict[str, Any] = {
    "fmt": "auto", "strict": False, "quiet": False, "verbose": False,
    "pid": False, "tid": False, "kernel": False, "jit": False, "all_": False, "addrs": False, "event_filter": None,
    "inline_": False, "context": False, "srcline": False, "bracket_aware_args": False, "exited_as": None,
    "keep_last_sample": False, "jobs": None, "weight": "auto", "per_cpu": False, "per_task": False, "map_": None,
    "offsets": False, "sample_type": None, "sym_elf": (), "sym_kallsyms": None, "sym_perf_maps": (), "sym_maps": None,
    "sym_debug_dirs": (), "output": None,
}
#: what the ``flamegraph`` command receives for every option that is not given (input options included)
FLAMEGRAPH_DEFAULTS: dict[str, Any] = {
    **COLLAPSE_DEFAULTS,
    "title": None, "subtitle": None, "width": 1200, "height": 16, "minwidth": "0.1", "max_embedded_frames": 20_000,
    "fonttype": "Verdana", "fontsize": 12.0, "fontwidth": 0.59, "countname": None, "nametype": "Function:",
    "colors": "hot", "bgcolors": None, "hash_": False, "random_": False, "cp": False, "reverse": False,
    "inverted": False, "flamechart": False, "negate": False, "notes": "", "factor": 1.0, "nameattr": None,
    "encoding": None, "total": None, "colordiffusion": False, "base": (), "search_color": "rgb(230,0,230)",
    "stroke_color": None, "uicolor": None, "truncate_text_right": True, "sort_": "name",
}


#: the input options with a value that a plain command line may carry, as the click commands declare them:
#: option -> (keyword, kind); kind is "str", ("int", minimum) or ("choice", values)
INPUT_VALUED: dict[str, tuple[str, Any]] = {
    "--event-filter": ("event_filter", "str"), "--exited-as": ("exited_as", "str"),
    "--weight": ("weight", ("choice", ("auto", "samples", "period", "self", "total", "calls"))),
}
#: the input flag options: option -> (keyword, the value it sets)
INPUT_FLAGS: dict[str, tuple[str, bool]] = {
    "--strict": ("strict", True), "-q": ("quiet", True), "--quiet": ("quiet", True), "-v": ("verbose", True),
    "--verbose": ("verbose", True), "--pid": ("pid", True), "--tid": ("tid", True), "--kernel": ("kernel", True),
    "--jit": ("jit", True), "--all": ("all_", True), "--addrs": ("addrs", True),
    "--bracket-aware-args": ("bracket_aware_args", True), "--keep-last-sample": ("keep_last_sample", True),
    "--per-cpu": ("per_cpu", True), "--per-task": ("per_task", True), "--offsets": ("offsets", True),
}
#: the flame graph's options with a value (its drawing options and the input ones)
PLAIN_VALUED: dict[str, tuple[str, Any]] = {
    **INPUT_VALUED,
    "--title": ("title", "str"), "--subtitle": ("subtitle", "str"), "--countname": ("countname", "str"),
    "--nametype": ("nametype", "str"), "--notes": ("notes", "str"), "--fonttype": ("fonttype", "str"),
    "--minwidth": ("minwidth", "str"), "--bgcolors": ("bgcolors", "str"), "--search-color": ("search_color", "str"),
    "--stroke-color": ("stroke_color", "str"), "--uicolor": ("uicolor", "str"),
    "--width": ("width", ("int", 21)), "--height": ("height", ("int", 2)),
    "--max-embedded-frames": ("max_embedded_frames", ("int", 0)),
    "--colors": ("colors", ("choice", ("hot", "mem", "io", "wakeup", "chain", "java", "js", "perl", "python", "rust",
                                       "red", "green", "blue", "aqua", "yellow", "purple", "orange"))),
    "--sort": ("sort_", ("choice", ("name", "weight"))),
}
#: its flag options
PLAIN_FLAGS: dict[str, tuple[str, bool]] = {
    **INPUT_FLAGS,
    "--hash": ("hash_", True), "--random": ("random_", True), "--cp": ("cp", True), "--reverse": ("reverse", True),
    "--inverted": ("inverted", True), "--flamechart": ("flamechart", True), "--negate": ("negate", True),
    "--colordiffusion": ("colordiffusion", True), "--truncate-text-right": ("truncate_text_right", True),
    "--truncate-text-left": ("truncate_text_right", False),
}


def flamegraph_args(argv: list[str]) -> dict[str, Any] | None:
    """The click command's arguments when ``argv`` (what follows ``flamegraph``) is plain, else None.

    Plain: inputs (``-`` is stdin), ``--`` before inputs, ``-o OUT`` /
    ``--output OUT`` / ``--output=OUT``, the options of :data:`PLAIN_VALUED`
    as ``--opt VALUE`` or ``--opt=VALUE`` and those of :data:`PLAIN_FLAGS`, a
    later one winning as in click.  A value must not be empty or start with
    ``-``; an int is ASCII digits at least its minimum; a choice is one of its
    values exactly.  Anything else is None.
    """
    return _plain_args(argv, PLAIN_VALUED, PLAIN_FLAGS, FLAMEGRAPH_DEFAULTS)


def collapse_args(argv: list[str]) -> dict[str, Any] | None:
    """``collapse``'s arguments when ``argv`` is plain (as :func:`flamegraph_args`, with the input options)."""
    return _plain_args(argv, INPUT_VALUED, INPUT_FLAGS, COLLAPSE_DEFAULTS)


def _plain_args(argv: list[str], valued: dict[str, tuple[str, Any]], flags: dict[str, tuple[str, bool]],
                defaults: dict[str, Any]) -> dict[str, Any] | None:
    got: dict[str, Any] = {**defaults}
    inputs: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            inputs += args
            break
        if arg == "-" or not arg.startswith("-"):
            inputs.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name in flags and not eq:
            key, flag = flags[name]
            got[key] = flag
            continue
        if name in ("-o", "--output") and not (eq and name == "-o"):
            key, kind = "output", "str"
        elif name in valued:
            key, kind = valued[name]
        else:
            return None
        if not eq:
            value = next(args, "")
        if not value or value.startswith("-"):
            return None
        if kind == "str":
            got[key] = value
        elif kind[0] == "int":
            if not (value.isascii() and value.isdigit()) or int(value) < kind[1]:
                return None
            got[key] = int(value)
        elif value in kind[1]:
            got[key] = value
        else:
            return None
    got["inputs"] = tuple(inputs)
    return got


def flamegraph(inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, output: str | None,
               **kw: Any) -> None:
    """Draw an interactive SVG flame graph of the inputs (merged) to ``output`` (stdout when None)."""
    from .inputs import load_inputs, params_of
    from .io import atomic_output
    from .render import flamegraph as fg

    params = params_of(kw)
    nameattr = kw.pop("nameattr")
    opts = fg.FlameGraphOptions(
        title=kw["title"], subtitle=kw["subtitle"], width=kw["width"], height=kw["height"], minwidth=kw["minwidth"],
        fonttype=kw["fonttype"], fontsize=kw["fontsize"], fontwidth=kw["fontwidth"], countname=kw["countname"],
        nametype=kw["nametype"], colors=kw["colors"], bgcolors=kw["bgcolors"], hash=kw["hash_"],
        random=kw["random_"], cp=kw["cp"], reverse=kw["reverse"], inverted=kw["inverted"],
        flamechart=kw["flamechart"], negate=kw["negate"], notes=kw["notes"], factor=kw["factor"],
        nameattr=fg.read_nameattr(nameattr) if nameattr else {}, encoding=kw["encoding"], total=kw["total"],
        colordiffusion=kw["colordiffusion"], base=kw["base"], search_color=kw["search_color"],
        stroke_color=kw["stroke_color"], uicolor=kw["uicolor"], truncate_text_right=kw["truncate_text_right"],
        sort=kw["sort_"], max_embedded_frames=kw["max_embedded_frames"])
    fg.check_options(opts)
    result = load_inputs(inputs, fmt, strict, quiet, verbose, params)
    try:
        svg = fg.render(result, opts)
    except fg.EmptyProfileError as e:
        with atomic_output(output) as out:
            out.write(fg.error_svg(f"no valid input provided to flamegraph ({e.reason})", opts))
        raise
    with atomic_output(output) as out:
        out.write(svg)


def collapse(inputs: tuple[str, ...], fmt: str, strict: bool, quiet: bool, verbose: bool, output: str | None,
             **kw: Any) -> None:
    """Collapse the inputs (merged) into folded stacks, to ``output`` (stdout when None)."""
    from . import folded
    from .inputs import load_inputs, params_of
    from .io import atomic_output
    from .profile import Profile

    result = load_inputs(inputs, fmt, strict, quiet, verbose, params_of(kw))
    with atomic_output(output) as out:
        if isinstance(result, Profile):
            folded.write(result, out)
        else:  # a two-column differential input
            out.write(folded.dumps_diff(result))
