"""Properties of the flame graph writer: any names and weights give a strictly
well-formed SVG whose root carries the whole weight; the small file formats
it reads (--nameattr, --cp palette.map) fail only with InputError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from flamekit.errors import InputError
from flamekit.profile import Profile
from flamekit.render import flamegraph as fg
from flamekit.render.palette import read_palette_map

SVG = "{http://www.w3.org/2000/svg}"
ANY_NAME = st.text(st.characters(codec=None, exclude_categories=()), max_size=12) | st.binary(max_size=8).map(
    lambda b: b.decode("utf-8", "surrogateescape"))
PROFILES = st.dictionaries(st.lists(ANY_NAME, min_size=1, max_size=5).map(tuple), st.integers(1, 10**6),
                           min_size=1, max_size=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROFILES, st.sampled_from(["0", "0.1", "30", "5%"]), st.booleans(), st.booleans())
def test_any_profile_renders_to_strict_xml_with_the_total_at_the_root(stacks: dict[tuple[str, ...], int],
                                                                     minwidth: str, inverted: bool,
                                                                     by_weight: bool) -> None:
    opts = fg.FlameGraphOptions(minwidth=minwidth, inverted=inverted, sort="weight" if by_weight else "name")
    svg = fg.render(Profile(dict(stacks)), opts)
    root = etree.fromstring(svg, etree.XMLParser(recover=False, resolve_entities=False, no_network=True))
    first = root.find(f"{SVG}g[@id='frames']")[0]
    total = sum(stacks.values())
    assert first.findtext(f"{SVG}title") == f"all ({total:,} samples, 100.00%)"
    assert first.find(f"{SVG}rect").get("{http://github.com/jonhoo/inferno}w") == str(total)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_nameattr_files_fail_only_with_input_error(tmp_path_factory: object, data: bytes) -> None:
    path = Path(str(tmp_path_factory.mktemp("na"))) / "attrs"  # type: ignore[attr-defined]
    path.write_bytes(data)
    try:
        attrs = fg.read_nameattr(str(path))
    except InputError as e:
        assert e.source == str(path)
        return
    assert all(isinstance(v, dict) for v in attrs.values())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_palette_maps_fail_only_with_input_error(tmp_path_factory: object, data: bytes) -> None:
    path = Path(str(tmp_path_factory.mktemp("cp"))) / "palette.map"  # type: ignore[attr-defined]
    path.write_bytes(data)
    try:
        colours = read_palette_map(path)
    except InputError as e:
        assert e.line is not None
        return
    assert all(c.startswith("rgb(") for c in colours.values())


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
       st.text(st.characters(codec=None, exclude_categories=()), max_size=20).filter(lambda t: "<" not in t and ">" not in t))
def test_any_user_strings_keep_the_document_well_formed(text: str, notes: str) -> None:
    opts = fg.FlameGraphOptions(title=text, subtitle=text, fonttype=text, nametype=text, countname=text, notes=notes)
    svg = fg.render(Profile({("main", "f"): 2}), opts)
    root = etree.fromstring(svg, etree.XMLParser(recover=False, resolve_entities=False, no_network=True))
    assert root.find(f"{SVG}g[@id='frames']")[0].find(f"{SVG}rect").get("{http://github.com/jonhoo/inferno}w") == "2"


def _hidden_rows_one_by_one(writer: fg._Writer) -> dict[str, object]:
    """The embedded data computed frame by frame (what hidden_data's per-name indexes must reproduce)."""
    names: dict[str, int] = {}
    fills: dict[str, int] = {}
    nodes = []
    for e in writer.lay.hidden:
        n = names.setdefault(fg.display(e.name), len(names))
        c = fills.setdefault(writer.fill(e.name, e.w, e.self_delta), len(fills))
        nodes.append([e.parent, n, e.dx, e.w, c])
    return {"names": list(names), "fills": list(fills), "nodes": nodes}


EMBED_NAMES = st.sampled_from(["a", "b", "-", "--", "\x1b", "\\x1b", "\udcff", "\\xff", "é", "a;b"]) | ANY_NAME


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.lists(EMBED_NAMES, min_size=1, max_size=6).map(tuple), st.integers(1, 50),
                       min_size=1, max_size=40),
       st.sampled_from(["hot", "java", "mem"]), st.sampled_from(["name", "hash"]), st.integers(1, 30))
def test_embedded_data_indexed_per_name_equals_frame_by_frame(stacks: dict[tuple[str, ...], int], colors: str,
                                                               mode: str, budget: int) -> None:
    # names that display alike (a control character and its escape), delimiters and undecodable bytes
    opts = fg.FlameGraphOptions(minwidth="40%", colors=colors, hash=mode == "hash", max_embedded_frames=budget)
    total = sum(stacks.values())
    lay = fg.layout(stacks, threshold=total * 0.4, max_embedded=budget)
    writer = fg._Writer(lay, opts, False, Profile(dict(stacks)), total)
    assert writer.hidden_data() == _hidden_rows_one_by_one(writer)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.lists(EMBED_NAMES, min_size=1, max_size=6).map(tuple), st.integers(1, 50),
                       min_size=1, max_size=40),
       st.sampled_from(["hot", "java"]), st.booleans(), st.booleans(), st.integers(0, 30))
def test_embedded_json_written_row_by_row_equals_the_json_encoders(
        stacks: dict[tuple[str, ...], int], colors: str, diffusion: bool, diff: bool, budget: int) -> None:
    # the document's fk-hidden text: rows formatted straight from the frames, as json.dumps writes them
    opts = fg.FlameGraphOptions(minwidth="40%", colors=colors, colordiffusion=diffusion, max_embedded_frames=budget)
    total = sum(stacks.values())
    before = {s: w + 1 for s, w in stacks.items()} if diff else None
    lay = fg.layout(stacks, threshold=total * 0.4, max_embedded=budget, before=before)
    writer = fg._Writer(lay, opts, diff, Profile(dict(stacks)), total)
    assert writer.hidden_json() == fg.embed_json(writer.hidden_data())
