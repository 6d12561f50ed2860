"""flamekit._records: NamedTuple records built without typing, and Record classes that behave as the dataclasses they were."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import pickle
import typing
from dataclasses import field
from random import Random
from typing import Any

import pytest

from flamekit._records import NamedTuple
from flamekit.collapse.base import CollapseOptions
from flamekit.errors import Skips
from flamekit.profile import Profile
from flamekit.render.flamegraph import FlameGraphOptions, _Geometry
from flamekit.render.layout import Embedded, Frame, Layout
from flamekit.render.palette import Palette


class Rec(NamedTuple):
    """A record."""

    a: int
    b: str | None = None
    c: int = 0

    @property
    def twice(self) -> int:
        return 2 * self.a

    @classmethod
    def make(cls, a: int) -> Rec:
        return cls(a, "made")


class TypingRec(typing.NamedTuple):
    a: int
    b: str | None = None
    c: int = 0


def test_records_behave_as_typing_named_tuples():
    r = Rec(1)
    t = TypingRec(1)
    assert r == t == (1, None, 0) and hash(r) == hash(t)
    assert repr(r) == repr(t).replace("TypingRec", "Rec")
    assert Rec._fields == TypingRec._fields and Rec._field_defaults == TypingRec._field_defaults
    assert r._replace(c=3) == Rec(1, None, 3) and type(r._replace(c=3)) is Rec
    assert Rec._make([1, "x", 2]) == (1, "x", 2) and type(Rec._make([1, "x", 2])) is Rec
    assert r._asdict() == t._asdict()
    assert r.twice == 2 and Rec.make(4) == (4, "made", 0)
    assert Rec.__doc__ == "A record." and Rec.__module__ == __name__ and Rec.__name__ == "Rec"
    assert isinstance(r, tuple) and not hasattr(r, "__dict__")
    assert pickle.loads(pickle.dumps(r)) == r
    a, b, c = r
    assert (a, b, c) == (1, None, 0)


# -- Record: the plain classes that replaced dataclasses on the flame graph's path -----------------



# The declarations these classes had as dataclasses (before start-up work made them plain classes).
@dataclasses.dataclass
class RefProfile:
    stacks: dict[tuple[str, ...], int] = field(default_factory=dict)
    unit: str = "samples"
    event: str | None = None
    sources: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    input_order: bool = field(default=True, compare=False, repr=False)


@dataclasses.dataclass
class RefCollapseOptions:
    source: str = "<input>"
    skips: Skips = field(default_factory=Skips)
    resolver: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    verbose: bool = False


@dataclasses.dataclass
class RefFlameGraphOptions:
    title: str | None = None
    subtitle: str | None = None
    width: int = 1200
    height: int = 16
    minwidth: str = "0.1"
    fonttype: str = "Verdana"
    fontsize: float = 12
    fontwidth: float = 0.59
    countname: str | None = None
    nametype: str = "Function:"
    colors: str = "hot"
    bgcolors: str | None = None
    hash: bool = False
    random: bool = False
    cp: bool = False
    cp_path: str | os.PathLike[str] = "palette.map"
    reverse: bool = False
    inverted: bool = False
    flamechart: bool = False
    negate: bool = False
    notes: str = ""
    factor: float = 1.0
    nameattr: dict[str, dict[str, str]] = field(default_factory=dict)
    encoding: str | None = None
    total: int | None = None
    colordiffusion: bool = False
    base: tuple[str, ...] = ()
    search_color: str = "rgb(230,0,230)"
    stroke_color: str | None = None
    uicolor: str | None = None
    truncate_text_right: bool = True
    sort: str = "name"
    max_embedded_frames: int = 20_000


@dataclasses.dataclass
class RefGeometry:
    width: int
    height: int
    frameheight: int
    fontsize: float
    ypad1: float
    ypad2: float
    wpt: float
    inverted: bool


@dataclasses.dataclass
class RefPalette:
    scheme: str = "hot"
    mode: str = "name"
    fixed: dict[str, str] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    rng: Random | None = None


@dataclasses.dataclass(slots=True)
class RefFrame:
    name: str
    depth: int
    x: int
    w: int
    before: int = 0
    self_delta: int = 0
    hidden: list[Any] = field(default_factory=list)
    index: int = 0


@dataclasses.dataclass(slots=True)
class RefEmbedded:
    name: str
    dx: int
    w: int
    before: int
    self_delta: int
    kids: list[Any] = field(default_factory=list)
    parent: int = 0
    index: int = 0


@dataclasses.dataclass
class RefLayout:
    frames: list[Any]
    hidden: list[Any]
    total: int
    total_before: int
    max_depth: int
    embedded: int


# (class, its reference, values for every field: different from the defaults, some mutable)
CASES = [
    (Profile, RefProfile, {"stacks": {("a", "b"): 3}, "unit": "ns", "event": "cycles", "sources": ["x"],
                           "meta": {"k": "v"}, "extras": {"e": 1}, "input_order": False}),
    (CollapseOptions, RefCollapseOptions, {"source": "f", "skips": Skips(strict=True), "resolver": len,
                                           "params": {"pid": 1}, "verbose": True}),
    (FlameGraphOptions, RefFlameGraphOptions,
     {**{f.name: f"v{i}" for i, f in enumerate(dataclasses.fields(RefFlameGraphOptions))}, "nameattr": {"f": {}}}),
    (_Geometry, RefGeometry, {"width": 1, "height": 2, "frameheight": 3, "fontsize": 4.0, "ypad1": 5.0, "ypad2": 6.0,
                              "wpt": 0.5, "inverted": True}),
    (Palette, RefPalette, {"scheme": "io", "mode": "hash", "fixed": {"a": "rgb(1,2,3)"}, "used": {"b": "rgb(4,5,6)"},
                           "rng": Random(1)}),
    (Frame, RefFrame, {"name": "f", "depth": 1, "x": 2, "w": 3, "before": 4, "self_delta": 5,
                       "hidden": [Embedded("e", 0, 1, 1, 0)], "index": 6}),
    (Embedded, RefEmbedded, {"name": "e", "dx": 1, "w": 2, "before": 3, "self_delta": 4,
                             "kids": [Embedded("k", 0, 1, 1, 0)], "parent": 5, "index": 6}),
    (Layout, RefLayout, {"frames": [Frame("f", 0, 0, 1)], "hidden": [], "total": 1, "total_before": 1,
                         "max_depth": 0, "embedded": 0}),
]
IDS = [c[0].__name__ for c in CASES]


def _named(text: str, ref: type, cls: type) -> str:
    return text.replace(ref.__qualname__, cls.__qualname__)


@pytest.mark.parametrize(("cls", "ref", "values"), CASES, ids=IDS)
def test_records_construct_as_their_dataclasses_did(cls: type, ref: type, values: dict[str, Any]) -> None:
    fields = [f for f in dataclasses.fields(ref) if f.init]
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [f.name for f in fields]
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
    for p, f in zip(params, fields):
        if f.default_factory is not dataclasses.MISSING:  # a new container per instance, None meaning "the default"
            assert p.default is None, f.name
        else:
            assert p.default == (inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default), f.name
    required = {f.name: values[f.name] for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    a, b, r = cls(**required), cls(**required), ref(**required)
    for f in fields:
        assert getattr(a, f.name) == getattr(r, f.name), f.name
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(a, f.name) is not getattr(b, f.name), f"{f.name}: a shared default"
    # keyword and positional construction give the same fields
    by_kw, by_pos = cls(**values), cls(*(values[f.name] for f in fields))
    for f in fields:
        assert getattr(by_kw, f.name) is values[f.name] and getattr(by_pos, f.name) is values[f.name], f.name
    with pytest.raises(TypeError):
        cls(**values, no_such_field=1)


@pytest.mark.parametrize(("cls", "ref", "values"), CASES, ids=IDS)
def test_records_compare_and_print_as_their_dataclasses_did(cls: type, ref: type, values: dict[str, Any]) -> None:
    a, r = cls(**values), ref(**values)
    assert repr(a) == _named(repr(r), ref, cls)
    assert a == cls(**values) and a == cls(**values)
    assert a != r and a != tuple(values.values()) and a != object()
    with pytest.raises(TypeError):
        hash(a)
    for f in dataclasses.fields(ref):
        if not f.init:
            continue
        other = dict(values, **{f.name: "mem" if f.name == "scheme" else "something else"})
        assert (cls(**other) == a) == (ref(**other) == r), f.name  # compare=False fields do not count
        assert (repr(cls(**other)) == repr(a)) == (repr(ref(**other)) == repr(r)), f.name  # nor do repr=False ones
    assert hasattr(a, "__dict__") == hasattr(r, "__dict__")  # slots where the dataclass had them
    assert copy.copy(a) == a
    if cls is not Palette:  # (its Random compares by identity)
        assert pickle.loads(pickle.dumps(a)) == a and copy.deepcopy(a) == a


def test_packed_profile_unpacks_when_its_stacks_are_read() -> None:
    p = Profile.from_packed({"a\x01b": 2, "": 1}, unit="ns")
    assert p.packed_stacks() == {"a\x01b": 2, "": 1}
    assert p == Profile({("a", "b"): 2, (): 1}, "ns") and p.packed_stacks() is None  # equality reads stacks
    q = Profile.from_packed({"c": 1})
    assert repr(q) == "Profile(stacks={('c',): 1}, unit='samples', event=None, sources=[], meta={})"
    q = Profile.from_packed({"c": 1})
    q.stacks = {("d",): 2}  # setting stacks drops the packed ones
    assert q.packed_stacks() is None and q.stacks == {("d",): 2}
