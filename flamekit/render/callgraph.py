"""Call graphs as Graphviz DOT in gprof2dot's style, and SVG/PNG through ``dot``.

Node label: name, total %, (self %), calls; node colour from a colormap over
total % (or self %); edge pen width by weight.  Pruning (node/edge
thresholds, --root/--leaf/--depth, --hide) happens on a copy of the graph
before anything is written.  Output is deterministic: nodes by id, edges by
callee id, attributes sorted.
"""

from __future__ import annotations

import fnmatch
import math
import re
import textwrap
from collections import deque
from dataclasses import dataclass, field

from ..callgraph import CallGraph, Edge, Node
from ..errors import UsageError

TIMES = "\u00d7"
MAX_NAME = 4096
LABEL_CHOICES = ("self-time", "self-time-percentage", "total-time", "total-time-percentage")
DEFAULT_LABELS = ("total-time-percentage", "self-time-percentage")
#: Graphviz takes minutes beyond about this many nodes; SVG/PNG prune further
MAX_LAYOUT_NODES = 400


@dataclass(frozen=True)
class Theme:
    """A colormap: HSL from ``lo`` to ``hi``, gamma, font and pen ranges."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    gamma: float = 2.2
    min_font: float = 10.0
    max_font: float = 10.0
    min_pen: float = 0.5
    max_pen: float = 4.0
    font_color: str = "white"
    node_style: str = "filled"


THEMES = {
    "color": Theme((2.0 / 3.0, 0.80, 0.25), (0.0, 1.0, 0.5), gamma=1.0),
    "pink": Theme((0.0, 1.0, 0.90), (0.0, 1.0, 0.5)),
    "gray": Theme((0.0, 0.0, 0.85), (0.0, 0.0, 0.0)),
    "bw": Theme((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), min_font=8.0, max_font=24.0, min_pen=0.1, max_pen=8.0),
    "print": Theme((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), min_font=18.0, max_font=30.0, min_pen=0.1, max_pen=8.0,
                   font_color="black", node_style="solid"),
}


@dataclass
class CallGraphOptions:
    """What to show; thresholds are percentages of the graph's total."""

    node_thres: float = 0.5
    edge_thres: float = 0.1
    colormap: str = "color"
    skew: float = 1.0
    strip: bool = False
    wrap: bool = False
    root: tuple[str, ...] = ()
    leaf: tuple[str, ...] = ()
    depth: int | None = None
    hide: tuple[str, ...] = ()
    node_labels: tuple[str, ...] = DEFAULT_LABELS
    color_by_self: bool = False
    show_samples: bool = False
    notes: list[str] = field(default_factory=list)


# -- colours ------------------------------------------------------------------

def _hue(m1: float, m2: float, h: float) -> float:
    if h < 0.0:
        h += 1.0
    elif h > 1.0:
        h -= 1.0
    if h * 6 < 1.0:
        return m1 + (m2 - m1) * h * 6.0
    if h * 2 < 1.0:
        return m2
    if h * 3 < 2.0:
        return m1 + (m2 - m1) * (2.0 / 3.0 - h) * 6.0
    return m1


def hsl_rgb(h: float, s: float, light: float, gamma: float) -> tuple[float, float, float]:
    """CSS3 HSL to RGB in [0, 1], then gamma per channel."""
    h %= 1.0
    s = min(max(s, 0.0), 1.0)
    light = min(max(light, 0.0), 1.0)
    m2 = light * (s + 1.0) if light <= 0.5 else light + s - light * s
    m1 = light * 2.0 - m2
    return (_hue(m1, m2, h + 1.0 / 3.0) ** gamma, _hue(m1, m2, h) ** gamma, _hue(m1, m2, h - 1.0 / 3.0) ** gamma)


def hex_color(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join("%02x" % (0 if c <= 0.0 else 255 if c >= 1.0 else int(255.0 * c + 0.5)) for c in rgb)


def color(theme: Theme, weight: float, skew: float = 1.0) -> str:
    """The colormap at ``weight`` in [0, 1]; ``skew`` != 1 bends it exponentially."""
    if skew <= 0:
        raise UsageError("--skew must be greater than 0")
    w = min(max(weight, 0.0), 1.0)
    f = w if skew == 1.0 else (skew ** w - 1.0) / (skew - 1.0)
    h, s, light = (lo + f * (hi - lo) for lo, hi in zip(theme.lo, theme.hi))
    return hex_color(hsl_rgb(h, s, light, theme.gamma))


# -- names --------------------------------------------------------------------

def strip_name(name: str) -> str:
    """Drop C++ parameter lists, template arguments and a trailing ``const``,
    keeping ``operator()``, ``operator<`` and ``(anonymous namespace)`` intact."""
    out: list[str] = []
    recent = ""  # the last few characters kept, to spot "operator"
    depth_paren = depth_angle = 0
    i = 0
    n = len(name)
    anon = "(anonymous namespace)"
    while i < n:
        ch = name[i]
        if depth_paren == 0 and depth_angle == 0:
            piece = None
            if ch == "(" and name.startswith(anon, i):
                piece = anon
            elif ch in "(<" and recent.rstrip().endswith("operator"):
                # operator() / operator< / operator<< / operator<=: the symbol, not a list
                if name.startswith("()", i):
                    piece = "()"
                else:
                    j = i
                    while j < n and name[j] in "<=>":
                        j += 1
                    piece = name[i:j]
            if piece is not None:
                out.append(piece)
                recent = (recent + piece)[-16:]
                i += len(piece)
                continue
        if ch == "(":
            depth_paren += 1
        elif ch == ")" and depth_paren:
            depth_paren -= 1
        elif ch == "<" and depth_paren == 0:
            depth_angle += 1
        elif ch == ">" and depth_angle and depth_paren == 0:
            depth_angle -= 1
        elif depth_paren == 0 and depth_angle == 0:
            out.append(ch)
            recent = (recent + ch)[-16:]
        i += 1
    s = "".join(out).rstrip()
    while s.endswith(" const"):
        s = s[: -len(" const")].rstrip()
    return s or name


def wrap_name(name: str, width: int = 32) -> str:
    """Break long names over lines of about ``width`` characters."""
    if len(name) <= width:
        return name
    pieces = re.split(r"(?<=::)|(?<=, )|(?<=[ (<])", name)
    lines: list[str] = []
    cur = ""
    for p in pieces:
        if cur and len(cur) + len(p) > width:
            lines.append(cur)
            cur = p
        else:
            cur += p
    if cur:
        lines.append(cur)
    return "\n".join(textwrap.fill(line, width, break_long_words=False) if " " in line and len(line) > width
                     else line for line in lines)


def display(name: str) -> str:
    """Non-UTF-8 bytes (kept as surrogates) shown as ``\\xNN``; very long names truncated."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if len(name) >= MAX_NAME:
        name = name[: MAX_NAME - 1] + "\u2026"
    return name


def quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace('"', '\\"') + '"'


# -- pruning ------------------------------------------------------------------

@dataclass
class View:
    """The nodes and edges to draw, with their weights as fractions in [0, 1]."""

    nodes: list[Node]
    edges: list[Edge]
    weight: dict[str, float]
    self_weight: dict[str, float]
    edge_weight: dict[tuple[str, str], float | None]
    ids: dict[str, int]


def _fractions(graph: CallGraph) -> tuple[dict[str, float], dict[str, float], dict[tuple[str, str], float | None]]:
    if graph.metric == "calls":
        top = float(max((n.all_calls or 0 for n in graph.nodes.values()), default=0)) or 1.0
        weight = {k: (n.all_calls or 0) / top for k, n in graph.nodes.items()}
        selfw = dict(weight)
        edge = {k: (e.calls or 0) / top for k, e in graph.edges.items()}
        return weight, selfw, edge  # type: ignore[return-value]
    total = graph.total or 1.0
    weight = {k: n.total / total for k, n in graph.nodes.items()}
    selfw = {k: n.self / total for k, n in graph.nodes.items()}
    edgew: dict[tuple[str, str], float | None] = {
        k: (None if e.weight is None else e.weight / total) for k, e in graph.edges.items()}
    return weight, selfw, edgew


def _reach(start: list[str], adj: dict[str, list[str]], depth: int | None) -> set[str]:
    seen = set(start)
    queue = deque((s, 0) for s in start)
    while queue:
        v, d = queue.popleft()
        if depth is not None and d >= depth:
            continue
        for w in adj.get(v, ()):
            if w not in seen:
                seen.add(w)
                queue.append((w, d + 1))
    return seen


def _visible(graph: CallGraph, weight: dict[str, float],
             edgew: dict[tuple[str, str], float | None]) -> dict[str, float]:
    """The weight a node is thresholded by.

    A node counts as heavy as the heaviest arc touching it: gprof gives a
    cycle's entry member only its own share, the whole cycle's time is on
    the arc into it, and the entry must not vanish under the threshold.  A
    cycle is drawn whole or not at all.
    """
    visible = dict(weight)
    for (a, b), w in edgew.items():
        if w is not None:
            if w > visible[a]:
                visible[a] = w
            if w > visible[b]:
                visible[b] = w
    for cyc in graph.cycles:
        members = [m for m in cyc.members if m in visible]
        top = max((visible[m] for m in members), default=0.0)
        for m in members:
            visible[m] = top
    return visible


def select(graph: CallGraph, opts: CallGraphOptions, node_thres: float | None = None) -> View:
    """Apply --hide, thresholds, --root, --leaf and --depth."""
    weight, selfw, edgew = _fractions(graph)
    nthres = (opts.node_thres if node_thres is None else node_thres) / 100.0
    ethres = opts.edge_thres / 100.0
    hide = [re.compile(h) for h in opts.hide]
    visible = _visible(graph, weight, edgew)
    keep = {k for k in graph.nodes
            if visible[k] >= nthres and not any(rx.search(k) for rx in hide)}
    edges = []
    for key, edge in graph.edges.items():
        a, b = key
        if a not in keep or b not in keep:
            continue
        w = edgew[key]
        if (w if w is not None else min(visible[a], visible[b])) < ethres:
            continue
        edges.append(edge)
    edges.sort(key=lambda e: (e.caller, e.callee))
    down: dict[str, list[str]] = {}
    up: dict[str, list[str]] = {}
    for e in edges:
        down.setdefault(e.caller, []).append(e.callee)
        up.setdefault(e.callee, []).append(e.caller)
    if opts.root:
        starts = sorted(k for k in keep if any(fnmatch.fnmatchcase(k, g) for g in opts.root))
        keep = _reach(starts, down, opts.depth)
    if opts.leaf:
        ends = sorted(k for k in keep if any(fnmatch.fnmatchcase(k, g) for g in opts.leaf))
        keep = _reach(ends, {k: [p for p in v if p in keep] for k, v in up.items()}, opts.depth)
    if opts.depth is not None and not opts.root and not opts.leaf:
        roots = sorted(k for k in keep if not any(p in keep and p != k for p in up.get(k, ())))
        keep = _reach(roots, down, opts.depth)
    edges = [e for e in edges if e.caller in keep and e.callee in keep]
    ids = _ids(graph)
    nodes = sorted((graph.nodes[k] for k in keep), key=lambda n: ids[n.name])
    edges.sort(key=lambda e: (ids[e.caller], ids[e.callee]))
    return View(nodes, edges, weight, selfw, edgew, ids)


def _ids(graph: CallGraph) -> dict[str, int]:
    """gprof's index where known, then the rest in order of weight and name."""
    ids: dict[str, int] = {}
    used: set[int] = set()
    for idx, name in sorted((n.index, k) for k, n in graph.nodes.items() if n.index is not None):
        if idx not in used:
            ids[name] = idx
            used.add(idx)
    nxt = max(used, default=0) + 1
    rest = [k for k in graph.nodes if k not in ids]
    for name in sorted(rest, key=lambda k: (-graph.nodes[k].total, k)):
        ids[name] = nxt
        nxt += 1
    return ids


# -- DOT ----------------------------------------------------------------------

def _attrs(**kw: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(kw.items()))


def _fmt_time(x: float) -> str:
    return "%.7g" % x


def _pct(x: float) -> str:
    return "%.2f%%" % (x * 100.0)


def _node_lines(graph: CallGraph, node: Node, view: View, opts: CallGraphOptions) -> list[str]:
    name = node.name
    if opts.strip:
        name = strip_name(name)
    name = display(name)
    if opts.wrap:
        name = wrap_name(name)
    lines = [name]
    if graph.metric != "calls":
        for label in opts.node_labels:
            if label == "total-time-percentage":
                lines.append(_pct(view.weight[node.name]))
            elif label == "self-time-percentage":
                lines.append("(" + _pct(view.self_weight[node.name]) + ")")
            elif label == "total-time":
                lines.append(_fmt_time(node.total))
            elif label == "self-time":
                lines.append("(" + _fmt_time(node.self) + ")")
        if opts.show_samples:
            lines.append(f"{_fmt_time(node.total)} {graph.unit}")
    calls = node.all_calls
    if calls is not None:
        lines.append(f"{calls}{TIMES}")
    return lines


def to_dot(graph: CallGraph, opts: CallGraphOptions | None = None, node_thres: float | None = None) -> bytes:
    """The DOT text of ``graph`` (UTF-8)."""
    opts = opts or CallGraphOptions()
    theme = THEMES.get(opts.colormap)
    if theme is None:
        raise UsageError(f"unknown colormap {opts.colormap!r} (known: {', '.join(THEMES)})")
    for label in opts.node_labels:
        if label not in LABEL_CHOICES:
            raise UsageError(f"unknown node label {label!r} (known: {', '.join(LABEL_CHOICES)})")
    view = select(graph, opts, node_thres)
    skew = opts.skew
    white = hex_color(hsl_rgb(0.0, 0.0, 1.0, theme.gamma))
    out = ["digraph {", '\ttooltip=" "']
    approx = graph.meta.get("approximate")
    title = f"approximate: {approx}" if approx else graph.meta.get("no_time")
    if title:
        out.append(f"\tlabel={quote(title)}")
    out.append("\tgraph [" + _attrs(fontname="Arial", nodesep="0.125", ranksep="0.25") + "];")
    out.append("\tnode [" + _attrs(fontcolor=theme.font_color, fontname="Arial", height="0", shape="box",
                                   style=theme.node_style, width="0") + "];")
    out.append("\tedge [" + _attrs(fontname="Arial") + "];")
    by_caller: dict[str, list[Edge]] = {}
    for e in view.edges:
        by_caller.setdefault(e.caller, []).append(e)
    for node in view.nodes:
        w = view.self_weight[node.name] if opts.color_by_self else view.weight[node.name]
        c = color(theme, w, skew)
        fg = white if theme.node_style == "filled" else c
        label = "\n".join(_node_lines(graph, node, view, opts))
        out.append(f"\t{view.ids[node.name]} [" + _attrs(
            color=quote(c), fontcolor=quote(fg), fontsize=quote("%.2f" % max(w * w * theme.max_font, theme.min_font)),
            label=quote(label)) + "];")
        for e in by_caller.get(node.name, ()):
            ew = view.edge_weight[(e.caller, e.callee)]
            cw = ew if ew is not None else view.weight[e.caller]
            lines = []
            if graph.metric != "calls" and ew is not None:
                lines.append(_pct(ew))
                if opts.show_samples and e.weight is not None:
                    lines.append(f"{_fmt_time(e.weight)} {graph.unit}")
            if e.calls is not None:
                lines.append(f"{e.calls}{TIMES}")
            pen = max(cw * theme.max_pen, theme.min_pen)
            ec = quote(color(theme, cw, skew))
            out.append(f"\t{view.ids[e.caller]} -> {view.ids[e.callee]} [" + _attrs(
                arrowsize=quote("%.2f" % (0.5 * math.sqrt(pen))), color=ec, fontcolor=ec,
                fontsize=quote("%.2f" % max(cw * cw * theme.max_font, theme.min_font)),
                label=quote("\n".join(lines)), labeldistance=quote("%.2f" % pen), penwidth=quote("%.2f" % pen)) + "];")
    out.append("}")
    return ("\n".join(out) + "\n").encode("utf-8")


def layout_threshold(graph: CallGraph, opts: CallGraphOptions, limit: int = MAX_LAYOUT_NODES) -> float:
    """The smallest node threshold (from the requested one up) that leaves at
    most ``limit`` nodes, so Graphviz finishes in reasonable time."""
    thres = opts.node_thres
    weight, _, edgew = _fractions(graph)
    ranked = sorted(_visible(graph, weight, edgew).values(), reverse=True)
    if sum(1 for w in ranked if w >= thres / 100.0) <= limit:
        return thres
    return max(thres, ranked[limit] * 100.0 + 1e-9)


def render(graph: CallGraph, fmt: str, opts: CallGraphOptions | None = None,
           limit: int = MAX_LAYOUT_NODES) -> bytes:
    """``fmt`` is dot, svg or png; svg/png run Graphviz ``dot`` (pruning to
    ``limit`` nodes first and noting it in ``opts.notes``)."""
    opts = opts or CallGraphOptions()
    if fmt == "dot":
        return to_dot(graph, opts)
    if fmt not in ("svg", "png"):
        raise UsageError(f"unknown call-graph output format {fmt!r} (dot, svg, png)")
    thres = layout_threshold(graph, opts, limit)
    if thres > opts.node_thres:
        opts.notes.append(f"too many nodes for Graphviz: raised the node threshold to {thres:.3g}% "
                          f"(at most {limit} nodes)")
    dot = to_dot(graph, opts, node_thres=thres)
    import shutil  # here: only SVG/PNG run Graphviz, and subprocess costs every DOT run ~3 ms of start-up
    import subprocess

    exe = shutil.which("dot")
    if exe is None:
        raise UsageError("SVG/PNG call graphs need Graphviz 'dot' (Debian package graphviz); "
                         "write .dot instead")
    proc = subprocess.run([exe, f"-T{fmt}"], input=dot, capture_output=True, check=False)
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"dot failed: {msg[-1] if msg else proc.returncode}")
    return proc.stdout
