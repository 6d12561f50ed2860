"""Interactive SVG flame graphs, in flamegraph.pl's document conventions.

``render(profile_or_diff, options) -> bytes`` is the whole API.  The SVG keeps
what post-processing of flamegraph.pl output relies on (frames are ``<g>``
holding ``<title>``, ``<rect>`` and, where there is a label, ``<text>``; ids ``frames``, ``details``,
``unzoom``, ``search``, ``matched``; JS ``search()``, ``zoom()``,
``unzoom()``, ``reset_search()``; URL ``?x=&y=&s=``) and adds inferno's
``fg:x``/``fg:w`` sample offsets.  Frames the width budget hides are embedded
as JSON and drawn by the script when a zoom makes them wide enough.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from .._records import TYPE_CHECKING, Record
from ..errors import InputError, UsageError
from ..gcpause import no_gc
from ..profile import Profile
from . import palette as pal
from .layout import Embedded, Frame, Layout, layout
from .xmltext import display, embed_json, escape, safe_text

if TYPE_CHECKING:  # a profile that is not a Profile is a DiffProfile: its module is imported only with one
    from typing import Any

    from ..diff import DiffProfile
    from ..profile import Stack

FG_NS = "http://github.com/jonhoo/inferno"
ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
XPAD = 10
FRAMEPAD = 1
#: each frame ends its line inside its end tag: a newline between two frames would be a
#: whitespace text node, one more DOM node per frame for the browser to create and style
FRAME_END = "</g\n>"
#: A frame too narrow for a label has no ``<text>``: an empty one carries nothing (no label, no
#: position) yet costs Chromium ~11% of the load of a 54.8k-frame graph, where most frames are
#: that narrow.  The script adds the ``<text>`` when a zoom gives the frame a label.


class FlameGraphOptions(Record):
    """Everything ``flamekit flamegraph`` can be told (flamegraph.pl and inferno names).

    A plain class with a dataclass's constructor, ``repr`` and ``==`` (start-up:
    :class:`flamekit._records.Record`); ``nameattr`` defaults to a new dict.
    """

    _fields = ("title", "subtitle", "width", "height", "minwidth", "fonttype", "fontsize", "fontwidth",
               "countname", "nametype", "colors", "bgcolors", "hash", "random", "cp", "cp_path", "reverse",
               "inverted", "flamechart", "negate", "notes", "factor", "nameattr", "encoding", "total",
               "colordiffusion", "base", "search_color", "stroke_color", "uicolor", "truncate_text_right", "sort",
               "max_embedded_frames")

    def __init__(self, title: str | None = None, subtitle: str | None = None, width: int = 1200, height: int = 16,
                 minwidth: str = "0.1", fonttype: str = "Verdana", fontsize: float = 12, fontwidth: float = 0.59,
                 countname: str | None = None, nametype: str = "Function:", colors: str = "hot",
                 bgcolors: str | None = None, hash: bool = False, random: bool = False, cp: bool = False,
                 cp_path: str | os.PathLike[str] = "palette.map", reverse: bool = False, inverted: bool = False,
                 flamechart: bool = False, negate: bool = False, notes: str = "", factor: float = 1.0,
                 nameattr: dict[str, dict[str, str]] | None = None, encoding: str | None = None,
                 total: int | None = None, colordiffusion: bool = False, base: tuple[str, ...] = (),
                 search_color: str = "rgb(230,0,230)", stroke_color: str | None = None, uicolor: str | None = None,
                 truncate_text_right: bool = True, sort: str = "name", max_embedded_frames: int = 20_000) -> None:
        self.title = title
        self.subtitle = subtitle
        self.width = width
        self.height = height
        self.minwidth = minwidth
        self.fonttype = fonttype
        self.fontsize = fontsize
        self.fontwidth = fontwidth
        self.countname = countname
        self.nametype = nametype
        self.colors = colors
        self.bgcolors = bgcolors
        self.hash = hash
        self.random = random
        self.cp = cp
        self.cp_path = cp_path
        self.reverse = reverse
        self.inverted = inverted
        self.flamechart = flamechart
        self.negate = negate
        self.notes = notes
        self.factor = factor
        self.nameattr: dict[str, dict[str, str]] = {} if nameattr is None else nameattr
        self.encoding = encoding
        self.total = total
        self.colordiffusion = colordiffusion
        self.base = base
        self.search_color = search_color
        self.stroke_color = stroke_color
        self.uicolor = uicolor
        self.truncate_text_right = truncate_text_right
        self.sort = sort
        self.max_embedded_frames = max_embedded_frames


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """A file of ``render/assets`` (the real .js/.css), embedded verbatim."""
    with open(os.path.join(ASSETS, name), encoding="utf-8") as f:
        text = f.read()
    if "]]>" in text:  # would end the CDATA section it is embedded in
        raise RuntimeError(f"asset {name} contains ']]>'")
    return text


# -- input preparation -------------------------------------------------------------

def _rebase(stacks: dict[Stack, int], bases: tuple[str, ...]) -> dict[Stack, int]:
    """inferno's ``--base``: stacks holding a base symbol start at its first occurrence."""
    wanted = set(bases)
    out: dict[Stack, int] = {}
    for s, w in stacks.items():
        for i, f in enumerate(s):
            if f in wanted:
                s = s[i:]
                break
        out[s] = out.get(s, 0) + w
    return out


def _reversed(stacks: dict[Stack, int]) -> dict[Stack, int]:
    out: dict[Stack, int] = {}
    for s, w in stacks.items():
        r = s[::-1]
        out[r] = out.get(r, 0) + w
    return out


def _prepare(data: Profile | DiffProfile, o: FlameGraphOptions) -> tuple[dict[Stack, int], dict[Stack, int] | None, Profile]:
    """(AFTER stacks, BEFORE stacks or None, the Profile that describes them), transformed as asked."""
    if not isinstance(data, Profile):
        ordered = data.after.input_order and data.before.input_order
        data = data.materialized()  # a normalized BEFORE as the folded form prints it
        after, before, info = data.after.stacks, data.before.stacks, data.after
    else:
        after, before, info, ordered = data.stacks, None, data, data.input_order
    if o.flamechart and not ordered:
        # a chart draws stacks in input order; where a collapser's order means nothing, the
        # order of its folded text (so charting a capture and charting its folded form agree)
        after = dict(Profile(after).sorted_items())
    for transform, on in ((_reversed, o.reverse), (lambda s: _rebase(s, o.base), bool(o.base))):
        if on:
            after = transform(after)
            before = transform(before) if before is not None else None
    return after, before, info


def parse_minwidth(spec: str) -> tuple[float, bool]:
    """``--minwidth``: pixels, or ``N%`` of the total."""
    text = spec.strip()
    pct = text.endswith("%")
    try:
        value = float(text[:-1] if pct else text)
    except ValueError:
        raise UsageError(f"--minwidth: expected pixels or N%, got {spec!r}") from None
    if value < 0 or value != value:
        raise UsageError(f"--minwidth must not be negative: {spec!r}")
    return value, pct


#: what a --nameattr line may set (flamegraph.pl's raw g_extra/a_extra are refused: they could inject markup)
NAMEATTR_KEYS = ("title", "href", "target", "class", "id")


def read_nameattr(path: str) -> dict[str, dict[str, str]]:
    """flamegraph.pl's ``--nameattr`` file: ``function<TAB>key=value<TAB>...`` per line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    out: dict[str, dict[str, str]] = {}
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        line = raw.rstrip(b"\r").decode("utf-8", "surrogateescape")
        if not line.strip():
            continue
        func, *pairs = line.split("\t")
        attrs = out.setdefault(func, {})
        for pair in pairs:
            key, eq, value = pair.partition("=")
            if not eq or not re.fullmatch(r"[A-Za-z_][\w.-]*", key):
                raise InputError(path, lineno, f"expected key=value, got {pair!r}")
            if key not in NAMEATTR_KEYS:
                raise InputError(path, lineno, f"unsupported attribute {key!r} (supported: {', '.join(NAMEATTR_KEYS)})")
            attrs[key] = value
    return out


# -- numbers as flamegraph.pl prints them --------------------------------------------

def _count(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.2f}" if whole else "0.00"


def _tenths(value: float) -> str:
    """A coordinate to 0.1 px without a trailing ``.0`` (``10``, ``4.6``, ``0``).

    Most frames of a big graph are under a pixel wide at integral rows; the shorter
    numbers make the document smaller and Chromium's load of a 54.8k-frame graph executes
    ~3% fewer instructions.
    """
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


# -- the document --------------------------------------------------------------------

class _Geometry(Record):
    _fields = ("width", "height", "frameheight", "fontsize", "ypad1", "ypad2", "wpt", "inverted")

    def __init__(self, width: int, height: int, frameheight: int, fontsize: float, ypad1: float, ypad2: float,
                 wpt: float, inverted: bool) -> None:
        self.width = width
        self.height = height
        self.frameheight = frameheight
        self.fontsize = fontsize
        self.ypad1 = ypad1
        self.ypad2 = ypad2
        self.wpt = wpt  # pixels per unit of weight
        self.inverted = inverted

    def y(self, depth: int) -> tuple[float, float]:
        if self.inverted:
            y1 = self.ypad1 + depth * self.frameheight
            return y1, y1 + self.frameheight - FRAMEPAD
        y2 = self.height - self.ypad2 - depth * self.frameheight
        return y2 - self.frameheight + FRAMEPAD, y2


class _Writer:
    """Builds the SVG text for one layout."""

    def __init__(self, lay: Layout, o: FlameGraphOptions, diff: bool, info: Profile, timemax: int) -> None:
        self.lay = lay
        self.o = o
        self.diff = diff
        self.timemax = timemax
        self.countname = o.countname or (info.unit if info.unit else "samples")
        mode = "random" if o.random else "hash" if o.hash else "name"
        fixed = pal.read_palette_map(o.cp_path) if o.cp else {}
        self.palette = pal.Palette(o.colors, mode, fixed)
        self.maxdelta = 0
        if diff:
            self.maxdelta = max((abs(f.self_delta) for f in lay.frames), default=0)
            stack: list[Embedded] = [e for f in lay.frames for e in f.hidden]
            while stack:
                e = stack.pop()
                self.maxdelta = max(self.maxdelta, abs(e.self_delta))
                stack.extend(e.kids)
        self._rows: dict[int, tuple[str, str, str]] = {}
        self.esc_countname = safe_text(self.countname)
        self._names: dict[str, tuple[str, str]] = {}

    def fill(self, name: str, w: int, self_delta: int) -> str:
        o = self.o
        if self.diff:
            return pal.diff_fill(self_delta, self.maxdelta, o.negate)
        if name in pal.DELIMITER_FILL:
            return pal.DELIMITER_FILL[name]
        if o.colordiffusion:
            return pal.diffusion_fill(w, self.timemax)
        return self.palette.fill(name)

    def info(self, label: str, w: int, before: int, depth: int) -> str:
        """The tooltip text, as escaped XML (``label`` comes escaped)."""
        o = self.o
        shown = label if depth else "all"
        text = f"{shown} ({_count(w * o.factor)} {self.esc_countname}, {_pct(w, self.timemax)}%"
        if self.diff:
            # --negate is for columns given as AFTER BEFORE (difffolded.pl after before):
            # the widths are then the user's BEFORE, and the labels follow the user's sense
            first, second = (w, before) if o.negate else (before, w)
            delta = second - first
            text += (f"; before {_count(first * o.factor)}, after {_count(second * o.factor)}, "
                     f"delta {'+' if delta > 0 else ''}{_count(delta * o.factor)}, "
                     f"{'+' if delta > 0 else ''}{_pct(delta, self.timemax)}%")
        return text + ")"

    def label(self, text: str, px: float) -> str:
        o = self.o
        chars = int(px / (o.fontsize * o.fontwidth))
        if chars < 3:
            return ""
        if len(text) <= chars:
            return text
        if o.truncate_text_right:
            return text[: chars - 2] + ".."
        return ".." + text[len(text) - chars + 2:]

    def _row(self, geo: _Geometry, depth: int) -> tuple[str, str, str]:
        """The y-dependent attribute values of a row of frames (rect y, height, label y), cached by depth."""
        got = self._rows.get(depth)
        if got is None:
            y1, y2 = geo.y(depth)
            got = self._rows[depth] = (_tenths(y1), _tenths(y2 - y1), f"{y1 + (y2 - y1) / 2 + self.o.fontsize / 3:.2f}")
        return got

    def _name(self, name: str) -> tuple[str, str]:
        """(label without annotation, escaped) of a frame name, cached."""
        got = self._names.get(name)
        if got is None:
            label = pal.strip_annotation(display(name))
            got = self._names[name] = (label, escape(label))
        return got

    def frame(self, f: Frame, geo: _Geometry, parts: list[str]) -> None:
        o = self.o
        label, esc_label = self._name(f.name) if f.depth else ("all", "all")
        x1 = XPAD + f.x * geo.wpt
        wpx = f.w * geo.wpt
        y, height, ytext = self._row(geo, f.depth)
        attrs = o.nameattr.get(f.name, {}) if o.nameattr else {}
        title = safe_text(attrs["title"]) if "title" in attrs else self.info(esc_label, f.w, f.before, f.depth)
        fill = self.fill(f.name, f.w, f.self_delta)
        text = self.label(label, wpx)
        text = esc_label if text == label else escape(text)
        if attrs:
            g_attrs = "".join(f' {k}="{escape(display(attrs[k]))}"' for k in ("class", "id") if k in attrs)
            parts.append(f"<g{g_attrs}><title>{title}</title>")
            if "href" in attrs:
                target = escape(display(attrs.get("target", "_top")))
                parts.append(f'<a xlink:href="{escape(display(attrs["href"]))}" target="{target}">')
        else:
            parts.append(f"<g><title>{title}</title>")
        parts.append(f'<rect x="{_tenths(x1)}" y="{y}" width="{_tenths(wpx)}" height="{height}" fill="{fill}" '
                     f'fg:x="{f.x}" fg:w="{f.w}"/>')
        if text:
            parts.append(f'<text x="{x1 + 3:.2f}" y="{ytext}">{text}</text>')
        if "href" in attrs:
            parts.append("</a>")
        parts.append(FRAME_END)

    def frames(self, geo: _Geometry, parts: list[str]) -> None:
        """Every drawn frame; the common case (no diff, no --nameattr, no diffusion) on one inlined path.

        The fast path computes exactly what :meth:`frame` does, with the per-name and
        per-depth pieces cached and no call per frame beyond the cached lookups.
        """
        o = self.o
        if self.diff or o.nameattr or o.colordiffusion:
            for f in self.lay.frames:
                self.frame(f, geo, parts)
            return
        append = parts.append
        wpt = geo.wpt
        timemax = self.timemax
        factor = o.factor
        countname = self.esc_countname
        per_char = o.fontsize * o.fontwidth
        right = o.truncate_text_right
        delimiter = pal.DELIMITER_FILL
        palette_fill = self.palette.fill
        # per name: (label, escaped label, fill); per depth: the y-dependent attribute runs; per
        # weight: the title's count and percentage, the width, how many characters fit and the
        # fg:w value; per x: the x attributes (the frames of one stack share an x and a weight,
        # and light frames repeat few weights)
        names: dict[str, tuple[str, str, str]] = {}
        rows: dict[int, tuple[str, str, str]] = {}
        weights: dict[int, tuple[str, str, int, str]] = {}
        xs: dict[int, tuple[str, str, str]] = {}
        for f in self.lay.frames:
            name, depth, fx, w = f.name, f.depth, f.x, f.w
            got = names.get(name) if depth else ("all", "all", "")
            if got is None:
                label, esc_label = self._name(name)
                got = names[name] = (label, esc_label, delimiter.get(name) or palette_fill(name))
            label, esc_label, fill = got
            if not depth:
                fill = delimiter.get(name) or palette_fill(name)
            row = rows.get(depth)
            if row is None:
                y, height, ytext = self._row(geo, depth)
                row = rows[depth] = (f'" y="{y}" width="', f'" height="{height}" fill="', f'" y="{ytext}">')
            per_w = weights.get(w)
            if per_w is None:
                value = w * factor
                count = f"{int(value):,}" if value == int(value) else f"{value:,.2f}"
                wpx = w * wpt
                per_w = weights[w] = (f" ({count} {countname}, {100 * w / timemax:.2f}%)</title><rect x=\"",
                                      _tenths(wpx), int(wpx / per_char), f'{w}"/>')
            tail, width, chars, fgw = per_w
            per_x = xs.get(fx)
            if per_x is None:
                x1 = XPAD + fx * wpt
                per_x = xs[fx] = (_tenths(x1), f'" fg:x="{fx}" fg:w="', f'<text x="{x1 + 3:.2f}')
            x1s, fgx, xtext = per_x
            if chars < 3:
                append(f"<g><title>{esc_label}{tail}{x1s}{row[0]}{width}{row[1]}{fill}{fgx}{fgw}{FRAME_END}")
                continue
            if len(label) <= chars:
                text = esc_label
            elif right:
                text = escape(label[: chars - 2] + "..")
            else:
                text = escape(".." + label[len(label) - chars + 2:])
            append(f"<g><title>{esc_label}{tail}{x1s}{row[0]}{width}{row[1]}{fill}{fgx}{fgw}{xtext}{row[2]}{text}"
                   f"</text>{FRAME_END}")

    def hidden_data(self) -> dict[str, Any]:
        """Embedded frames, flat and callers first: ``[parent, name, dx, w, fill(, before)]``.

        ``parent`` >= 0 is a drawn frame (its index in ``#frames``), -1-k the k-th embedded
        frame; names and fills are interned.  Flat, so any depth costs no recursion.
        """
        names: dict[str, int] = {}
        fills: dict[str, int] = {}
        nodes: list[list[Any]] = []
        if self.diff or self.o.colordiffusion:  # the fill depends on more than the name
            for e in self.lay.hidden:
                n = names.setdefault(display(e.name), len(names))
                c = fills.setdefault(self.fill(e.name, e.w, e.self_delta), len(fills))
                row = [e.parent, n, e.dx, e.w, c]
                if self.diff:
                    row.append(e.before)
                nodes.append(row)
            return {"names": list(names), "fills": list(fills), "nodes": nodes}
        per_name = self._per_name(names, fills)
        for e in self.lay.hidden:
            got = per_name(e)
            nodes.append([e.parent, got[0], e.dx, e.w, got[1]])
        return {"names": list(names), "fills": list(fills), "nodes": nodes}

    def _per_name(self, names: dict[str, int], fills: dict[str, int]) -> Any:
        """(name index, fill index) of an embedded frame of an ordinary graph, interned into ``names`` and ``fills``.

        Kept per raw name: the fill of an ordinary graph depends on the name only, and embedded
        frames repeat few names.
        """
        cache: dict[str, tuple[int, int]] = {}

        def indexes(e: Embedded) -> tuple[int, int]:
            got = cache.get(e.name)
            if got is None:
                got = cache[e.name] = (names.setdefault(display(e.name), len(names)),
                                       fills.setdefault(self.fill(e.name, e.w, e.self_delta), len(fills)))
            return got
        return indexes

    def hidden_json(self) -> str:
        """:meth:`hidden_data` as the document embeds it (:func:`embed_json`), the nodes written row by row.

        The nodes are integers only, so each is formatted straight from its frame instead of
        being built as a list for the JSON encoder (20k embedded frames: ~15 ms less of ~50).
        """
        if self.diff or self.o.colordiffusion:
            return embed_json(self.hidden_data())
        names: dict[str, int] = {}
        fills: dict[str, int] = {}
        per_name = self._per_name(names, fills)
        rows = []
        append = rows.append
        for e in self.lay.hidden:
            got = per_name(e)
            append(f"[{e.parent},{got[0]},{e.dx},{e.w},{got[1]}]")
        head = embed_json({"names": list(names), "fills": list(fills)})  # '{"names":[...],"fills":[...]}'
        return f'{head[:-1]},"nodes":[{",".join(rows)}]}}'


def _title(o: FlameGraphOptions) -> str:
    if o.title is not None:
        return o.title
    if o.flamechart:
        return "Flame Chart"
    return "Icicle Graph" if o.inverted else "Flame Graph"


def _css(o: FlameGraphOptions) -> str:
    font = re.sub(r"[^\w ,.'\"-]", " ", o.fonttype)  # a family list; nothing that could end the CSS or the CDATA
    rules = [f"text {{ font-family:{font}, sans-serif; font-size:{o.fontsize:g}px; }}"]
    if o.uicolor:
        rules.append(f".ui {{ fill:{_colour(o.uicolor, '--uicolor')}; }}")
    if o.stroke_color and o.stroke_color != "none":
        rules.append(f"#frames rect {{ stroke:{_colour(o.stroke_color, '--stroke-color')}; stroke-width:0.5; }}")
    return "\n".join(rules) + "\n" + asset("flamegraph.css")


_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|rgb\(\d{1,3},\s*\d{1,3},\s*\d{1,3}\)|[a-zA-Z]{1,30}")


def _colour(value: str, option: str) -> str:
    if not _COLOUR.fullmatch(value):
        raise UsageError(f"{option}: expected #rrggbb, rgb(r,g,b) or a colour name, got {value!r}")
    return value


class EmptyProfileError(InputError):
    """Nothing to draw (flamegraph.pl then writes an SVG saying so, and fails)."""


def check_options(o: FlameGraphOptions) -> None:
    """Reject impossible options before any input is read."""
    if o.width <= 2 * XPAD or o.height <= FRAMEPAD or o.fontsize <= 0 or o.fontwidth <= 0:
        raise UsageError("--width, --height, --fontsize and --fontwidth must be positive (width > 20)")
    if o.sort not in ("name", "weight"):
        raise UsageError(f"--sort: name or weight, not {o.sort!r}")
    if o.notes and ("<" in o.notes or ">" in o.notes):
        raise UsageError("--notes must not contain < or >")
    parse_minwidth(o.minwidth)
    _colour(o.search_color, "--search-color")
    if o.colors not in pal.PALETTES:
        raise UsageError(f"--colors: unknown palette {o.colors!r}")
    if o.bgcolors:
        pal.background(o.bgcolors)
    if o.encoding:
        try:
            "".encode(o.encoding)
        except LookupError:
            raise UsageError(f"--encoding: unknown encoding {o.encoding!r}") from None


def error_svg(message: str, o: FlameGraphOptions | None = None) -> bytes:
    """A small SVG that says what went wrong (what flamegraph.pl writes for empty input)."""
    width = (o or FlameGraphOptions()).width
    return (f'<?xml version="1.0" standalone="no"?>\n<svg version="1.1" width="{width}" height="60" '
            f'viewBox="0 0 {width} 60" xmlns="http://www.w3.org/2000/svg">\n'
            f'<text x="{width / 2:.2f}" y="30" text-anchor="middle" style="font-size:17px">'
            f'ERROR: {safe_text(message)}</text>\n</svg>\n').encode("utf-8")


def _preamble(o: FlameGraphOptions, height: int, title: str, subtitle: str | None, config: dict[str, Any],
              hidden: str, diff: bool) -> list[str]:
    """Everything before the frames: declaration, background, style, data, script and UI text."""
    fs = o.fontsize
    ypad2 = fs * 2 + 10
    bg1, bg2 = pal.background(o.bgcolors or pal.default_background(o.colors if not diff else "io"))
    parts: list[str] = []
    enc = f' encoding="{escape(o.encoding)}"' if o.encoding else ""
    parts.append(f'<?xml version="1.0"{enc} standalone="no"?>\n'
                 '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
                 f'<svg version="1.1" width="{o.width}" height="{height}" onload="init(evt)" '
                 f'viewBox="0 0 {o.width} {height}" xmlns="http://www.w3.org/2000/svg" '
                 f'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:fg="{FG_NS}">\n'
                 "<!-- Flame graph stack visualization by flamekit; interaction after Brendan Gregg's FlameGraph. -->\n")
    if o.notes:
        parts.append(f"<!-- NOTES: {safe_text(o.notes).replace('--', '- -')} -->\n")
    parts.append(f'<defs>\n<linearGradient id="background" y1="0" y2="1" x1="0" x2="0">\n'
                 f'<stop stop-color="{bg1}" offset="5%"/>\n<stop stop-color="{bg2}" offset="95%"/>\n'
                 "</linearGradient>\n</defs>\n")
    parts.append(f'<style type="text/css"><![CDATA[\n{_css(o)}]]></style>\n')
    parts.append(f'<script type="application/json" id="fk-config">{embed_json(config)}</script>\n')
    parts.append(f'<script type="application/json" id="fk-hidden">{hidden}</script>\n')
    parts.append(f'<script type="text/ecmascript"><![CDATA[\n{asset("flamegraph.js")}]]></script>\n')
    parts.append(f'<rect id="background-rect" x="0" y="0" width="{o.width}" height="{height}" fill="url(#background)"/>\n')
    parts.append(f'<text id="title" class="ui" x="{o.width / 2:.2f}" y="{fs * 2:g}" text-anchor="middle" '
                 f'style="font-size:{fs + 5:g}px">{safe_text(title)}</text>\n')
    if subtitle:
        parts.append(f'<text id="subtitle" class="ui" x="{o.width / 2:.2f}" y="{fs * 4:g}" '
                     f'text-anchor="middle">{safe_text(subtitle)}</text>\n')
    detail_y = height - ypad2 / 2
    parts.append(f'<text id="details" class="ui" x="{XPAD:.2f}" y="{detail_y:.0f}"> </text>\n'
                 f'<text id="unzoom" class="ui hide" x="{XPAD:.2f}" y="{fs * 2:g}">Reset Zoom</text>\n'
                 f'<text id="search" class="ui" x="{o.width - XPAD - 100:.2f}" y="{fs * 2:g}">Search</text>\n'
                 f'<text id="ignorecase" class="ui" x="{o.width - XPAD - 16:.2f}" y="{fs * 2:g}">ic</text>\n'
                 f'<text id="matched" class="ui" x="{o.width - XPAD - 100:.2f}" y="{detail_y:.0f}"> </text>\n')
    return parts


def render(data: Profile | DiffProfile, options: FlameGraphOptions | None = None) -> bytes:
    """An interactive SVG flame graph of a Profile (or a DiffProfile, in red and blue)."""
    # Sorting 100k+ stacks, the layout's frames and candidates and the SVG's pieces build no
    # cycles, so the collector is paused for the whole drawing: paused for the layout alone, the
    # first allocation after it set off a collection that walked every frame and candidate still
    # alive (~100k objects on the 50 MB file: 13-22 ms), and later ones walked them again (the
    # whole render of that file, in-process: 0.64 -> 0.60 s).
    with no_gc():
        return _render(data, options or FlameGraphOptions())


def _render(data: Profile | DiffProfile, o: FlameGraphOptions) -> bytes:
    check_options(o)
    search_color = _colour(o.search_color, "--search-color")
    diff = not isinstance(data, Profile)  # a DiffProfile
    # packed stacks (folded input) are laid out as they are unless an option must rewrite stacks
    packed = None if diff or o.reverse or o.base or o.flamechart else data.packed_stacks()  # type: ignore[union-attr]
    if packed is not None:
        after, before, info = packed, None, data  # type: ignore[assignment]
    else:
        after, before, info = _prepare(data, o)
    total = sum(after.values())
    if total <= 0:
        raise EmptyProfileError(", ".join(info.sources) or None, None, "no stacks with weight to draw")
    timemax = max(total, o.total or 0)
    wpt = (o.width - 2 * XPAD) / timemax
    value, pct = parse_minwidth(o.minwidth)
    threshold = timemax * value / 100 if pct else value / wpt
    lay = layout(after, threshold=threshold, before=before, sort=o.sort, flamechart=o.flamechart,
                 max_embedded=max(0, o.max_embedded_frames), packed=packed is not None)
    writer = _Writer(lay, o, diff, info, timemax)

    subtitle = o.subtitle
    approx = info.meta.get("approximate")
    if approx:
        note = "approximate" if approx in ("yes", "true", "1") else f"approximate: {approx}"
        subtitle = f"{subtitle} ({note})" if subtitle else note.capitalize()
    fs = o.fontsize
    ypad1 = fs * 3 + (fs * 2 if subtitle else 0)
    ypad2 = fs * 2 + 10
    height = int((lay.max_depth + 1) * o.height + ypad1 + ypad2)
    geo = _Geometry(o.width, height, o.height, fs, ypad1, ypad2, wpt, o.inverted)

    config = {
        "nametype": display(o.nametype), "countname": display(writer.countname), "factor": o.factor,
        "total": timemax, "xpad": XPAD, "width": o.width, "height": height, "frameheight": o.height,
        "fontsize": fs, "fontwidth": o.fontwidth, "ypad1": ypad1, "ypad2": ypad2,
        "inverted": o.inverted, "minwidth": (value / 100 * timemax * wpt) if pct else value,
        "searchcolor": search_color, "diff": diff, "negate": o.negate,
        "truncate_right": o.truncate_text_right, "embedded": lay.embedded,
    }
    parts = _preamble(o, height, _title(o), subtitle, config, writer.hidden_json(), diff)
    parts.append('<g id="frames">\n')
    writer.frames(geo, parts)
    parts.append("</g>\n</svg>\n")
    if o.cp:
        pal.write_palette_map(o.cp_path, {**writer.palette.fixed, **writer.palette.used})
    text = "".join(parts)
    if not o.encoding:
        return text.encode("utf-8")
    try:
        return text.encode(o.encoding, "xmlcharrefreplace")
    except LookupError:
        raise UsageError(f"--encoding: unknown encoding {o.encoding!r}") from None
