"""Frame colours: flamegraph.pl's palettes, keyed by the function name.

By default a name's colour comes from a hash of its bytes, so the same
function has the same colour in every graph and every run (flamegraph.pl
seeds its random generator per name for the same reason; inferno does not
by default).  ``hash`` selects flamegraph.pl's name hash that weights early
characters (similar names get similar colours); ``random`` is truly random.
Differential frames are red (grown) or blue (shrunk) by their delta.
"""

from __future__ import annotations

import os
import re

from .._records import TYPE_CHECKING, Record
from ..errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable
    from random import Random

try:  # the BLAKE2 module itself: hashlib would also load OpenSSL's bindings (~3 ms of start-up), unused here
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it: hashlib's (OpenSSL's) is the same function
    from hashlib import blake2b

PALETTES = ("hot", "mem", "io", "wakeup", "chain", "java", "js", "perl", "python", "rust",
            "red", "green", "blue", "aqua", "yellow", "purple", "orange")

#: background gradients (top, bottom) by name
BACKGROUNDS = {
    "yellow": ("#eeeeee", "#eeeeb0"),
    "blue": ("#eeeeee", "#e0e0ff"),
    "green": ("#eef2ee", "#e0ffe0"),
    "grey": ("#f8f8f8", "#e8e8e8"),
}

#: delimiter frames between user/kernel stacks and waker/target stacks
DELIMITER_FILL = {"-": "rgb(200,200,200)", "--": "rgb(160,160,160)"}

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_SUFFIX = re.compile(r"_\[[kwij]\]$")


def default_background(palette: str) -> str:
    """flamegraph.pl's choice of background for a palette."""
    if palette == "hot":
        return "yellow"
    if palette == "mem":
        return "green"
    if palette in ("io", "wakeup", "chain"):
        return "blue"
    return "grey"


def background(spec: str) -> tuple[str, str]:
    """Gradient stops for ``--bgcolors``: a named scheme or one ``#rrggbb`` (flat)."""
    if spec in BACKGROUNDS:
        return BACKGROUNDS[spec]
    if _HEX.fullmatch(spec):
        return (spec, spec)
    raise InputError("--bgcolors", None, f"unknown background {spec!r} (yellow, blue, green, grey or #rrggbb)")


def strip_annotation(name: str) -> str:
    """The label of a frame: the ``_[k]``/``_[j]``/``_[i]``/``_[w]`` annotation removed."""
    if name.endswith("]") and _SUFFIX.search(name):
        return name[:-4]
    return name


# -- the three random-looking numbers of a name ---------------------------------

def _digest_values(name: str) -> tuple[float, float, float]:
    """Three numbers in [0, 1) from a stable hash of the name's bytes."""
    # three big-endian 16-bit numbers (bytes unpack to ints: ~40 % faster than three int.from_bytes of slices)
    a, b, c, d, e, f = blake2b(name.encode("utf-8", "surrogatepass"), digest_size=6).digest()
    return ((a << 8 | b) / 65536, (c << 8 | d) / 65536, (e << 8 | f) / 65536)


def namehash(name: str) -> float:
    """flamegraph.pl ``--hash``: a value in [0, 1] weighted towards the first characters."""
    tick = name.find("`")
    if tick > 0:  # a module name is present: keep only its first character
        name = name[0] + name[tick + 1:]
    vector = 0.0
    weight = 1.0
    maximum = 1.0
    mod = 10
    for ch in name:
        vector += ((ord(ch) % mod) / (mod - 1)) * weight
        mod += 1
        maximum += weight
        weight *= 0.70
        if mod > 12:
            break
    return 1 - vector / maximum


def _hash_values(name: str) -> tuple[float, float, float]:
    v1 = namehash(name)
    v2 = namehash(name[::-1])
    return (v1, v2, v2)


# -- palettes ------------------------------------------------------------------

def _family(palette: str, name: str) -> str:
    """Which base colour a multi-palette picks for ``name`` (java, js, perl, ...)."""
    if palette == "java":
        if name.endswith("_[j]"):
            return "green"
        if name.endswith("_[i]"):
            return "aqua"
        if re.match(r"L?(java|javax|jdk|net|org|com|io|sun)/", name) or ":::" in name:
            return "green"
        if "::" in name:
            return "yellow"
        if name.endswith("_[k]"):
            return "orange"
        return "red"
    if palette == "js":
        if name.endswith("_[j]"):
            return "green" if "/" in name else "aqua"
        if "::" in name:
            return "yellow"
        if re.search(r"/.*\.js", name):
            return "green"
        if ":" in name:
            return "aqua"
        if name == " ":
            return "green"
        if "_[k]" in name:
            return "orange"
        return "red"
    if palette == "perl":
        if "::" in name:
            return "yellow"
        if "Perl" in name or ".pl" in name:
            return "green"
        if name.endswith("_[k]"):
            return "orange"
        return "red"
    if palette == "python":
        if name.endswith("_[k]"):
            return "orange"
        if re.search(r"\.py\b|<module>|^Py|^_Py", name) or "python" in name.lower():
            return "green" if ".py" in name or "<module>" in name else "aqua"
        if "::" in name:
            return "yellow"
        return "red"
    if palette == "rust":
        if name.endswith("_[k]"):
            return "orange"
        if name.startswith(("core::", "std::", "alloc::", "<core::", "<std::", "<alloc::")):
            return "orange"
        if "::" in name:
            return "aqua"
        return "red"
    if palette == "wakeup":
        return "aqua"
    if palette == "chain":
        return "aqua" if "_[w]" in name else "blue"
    return palette


def _rgb(family: str, v1: float, v2: float, v3: float) -> str:
    if family == "hot":
        return f"rgb({205 + int(50 * v3)},{int(230 * v1)},{int(55 * v2)})"
    if family == "mem":
        return f"rgb(0,{190 + int(50 * v2)},{int(210 * v1)})"
    if family == "io":
        r = 80 + int(60 * v1)
        return f"rgb({r},{r},{190 + int(55 * v2)})"
    if family == "red":
        x = 50 + int(80 * v1)
        return f"rgb({200 + int(55 * v1)},{x},{x})"
    if family == "green":
        x = 50 + int(60 * v1)
        return f"rgb({x},{200 + int(55 * v1)},{x})"
    if family == "blue":
        x = 80 + int(60 * v1)
        return f"rgb({x},{x},{205 + int(50 * v1)})"
    if family == "yellow":
        x = 175 + int(55 * v1)
        return f"rgb({x},{x},{50 + int(20 * v1)})"
    if family == "purple":
        x = 190 + int(65 * v1)
        return f"rgb({x},{80 + int(60 * v1)},{x})"
    if family == "aqua":
        return f"rgb({50 + int(60 * v1)},{165 + int(55 * v1)},{165 + int(55 * v1)})"
    if family == "orange":
        return f"rgb({190 + int(65 * v1)},{90 + int(65 * v1)},0)"
    return "rgb(0,0,0)"


class Palette(Record):
    """Colours frames by name; caches, and optionally persists, what it chose.

    ``mode`` is ``name`` (stable hash of the whole name, the default), ``hash``
    (flamegraph.pl's early-character hash) or ``random``.  ``fixed`` holds
    colours read from a ``--cp`` palette file, which win over computed ones.
    A plain class with a dataclass's constructor, ``repr`` and ``==`` (start-up:
    :class:`flamekit._records.Record`); ``fixed`` and ``used`` default to new dicts.
    """

    _fields = ("scheme", "mode", "fixed", "used", "rng")

    def __init__(self, scheme: str = "hot", mode: str = "name", fixed: dict[str, str] | None = None,
                 used: dict[str, str] | None = None, rng: Random | None = None) -> None:
        self.scheme = scheme
        self.mode = mode
        self.fixed: dict[str, str] = {} if fixed is None else fixed
        self.used: dict[str, str] = {} if used is None else used
        self.rng = rng
        if scheme not in PALETTES:
            raise InputError("--colors", None, f"unknown palette {scheme!r} (one of {', '.join(PALETTES)})")
        if mode == "random" and rng is None:
            from random import Random  # only --random needs it (start-up)

            self.rng = Random()
        self._values: Callable[[str], tuple[float, float, float]] = (
            _hash_values if mode == "hash" else self._random_values if mode == "random" else _digest_values)

    def _random_values(self, _name: str) -> tuple[float, float, float]:
        assert self.rng is not None
        return (self.rng.random(), self.rng.random(), self.rng.random())

    def fill(self, name: str) -> str:
        """The ``fill`` of a frame called ``name`` (the raw name, annotation included)."""
        got = self.used.get(name)
        if got is not None:
            return got
        if name in DELIMITER_FILL:
            got = DELIMITER_FILL[name]
        elif name in self.fixed:
            got = self.fixed[name]
        else:
            v1, v2, v3 = self._values(name)
            got = _rgb(_family(self.scheme, name), v1, v2, v3)
        self.used[name] = got
        return got


def diff_fill(delta: int, maxdelta: int, negate: bool = False) -> str:
    """flamegraph.pl's differential colour: red grew, blue shrank, white unchanged."""
    if negate:
        delta = -delta
    if delta == 0 or maxdelta <= 0:
        return "rgb(250,250,250)"
    x = int(210 * (maxdelta - abs(delta)) / maxdelta)
    return f"rgb(255,{x},{x})" if delta > 0 else f"rgb({x},{x},255)"


def diffusion_fill(weight: int, total: int) -> str:
    """inferno's ``--colordiffusion``: wider frames are redder, narrow ones fade to yellow/white."""
    share = weight / total if total else 0.0
    share = min(1.0, share) ** 0.5
    g = int(230 * (1 - share))
    b = int(180 * (1 - share) ** 2)
    return f"rgb(255,{g},{b})"


# -- consistent palette file (--cp) ------------------------------------------------

_CP_LINE = re.compile(r"(.*)->(rgb\(\d{1,3},\d{1,3},\d{1,3}\))")


def read_palette_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """``name->rgb(r,g,b)`` lines of a flamegraph.pl ``palette.map`` (missing file: empty)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise InputError(str(path), None, f"cannot read palette map: {e.strerror or e}") from None
    out: dict[str, str] = {}
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        line = raw.rstrip(b"\r").decode("utf-8", "surrogateescape")
        if not line:
            continue
        m = _CP_LINE.fullmatch(line)
        if not m:
            raise InputError(str(path), lineno, "expected 'name->rgb(r,g,b)'")
        out[m.group(1)] = m.group(2)
    return out


def write_palette_map(path: str | os.PathLike[str], colours: dict[str, str]) -> None:
    """Write every colour used, sorted by name, so later graphs reuse them."""
    lines = [f"{name}->{fill}\n" for name, fill in sorted(colours.items())]
    with open(path, "wb") as f:
        f.write("".join(lines).encode("utf-8", "surrogateescape"))
