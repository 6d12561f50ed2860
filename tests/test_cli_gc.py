"""The CLI loads inputs with the cycle collector paused and freezes them for the rest of the command.

What is loaded lives until the command ends; collections while rendering
must not rescan it (they found nothing and cost ~12% of a gprof call graph).
In-process callers get everything collectable again when the command ends.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from flamekit.cli import main
from flamekit.render import callgraph as cg

from conftest import GOLDEN


def test_inputs_are_frozen_while_rendering_and_released_after(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    seen: dict[str, Any] = {}
    render = cg.render

    def spy(graph: Any, to: str, opts: Any) -> bytes:
        seen["frozen"] = gc.get_freeze_count()
        seen["enabled"] = gc.isenabled()
        seen["graph_tracked_young"] = any(o is graph for o in gc.get_objects(0))
        return render(graph, to, opts)

    monkeypatch.setattr(cg, "render", spy)
    assert gc.isenabled()
    out = tmp_path / "g.dot"
    r = CliRunner().invoke(main, ["callgraph", "-q", str(GOLDEN / "gprof" / "calls_b.txt"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"digraph")
    assert seen == {"frozen": seen["frozen"], "enabled": True, "graph_tracked_young": False}
    assert seen["frozen"] > 0
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_collector_is_restored_when_loading_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    r = CliRunner().invoke(main, ["callgraph", "-q", str(bad)])
    assert r.exit_code == 2
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_a_flame_graph_is_drawn_with_the_collector_paused_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # the layout's frames and candidates and the SVG's pieces build no cycles: a collection
    # while writing (or the first one after the layout) would only walk them all
    from flamekit.profile import Profile
    from flamekit.render import flamegraph as fg

    seen: list[tuple[str, bool]] = []

    def spying(name: str, fn: Any) -> Any:
        def spy(*args: Any, **kw: Any) -> Any:
            seen.append((name, gc.isenabled()))
            return fn(*args, **kw)
        return spy

    monkeypatch.setattr(fg, "layout", spying("layout", fg.layout))
    monkeypatch.setattr(fg._Writer, "frames", spying("frames", fg._Writer.frames))
    monkeypatch.setattr(fg._Writer, "hidden_json", spying("hidden_json", fg._Writer.hidden_json))
    profile = Profile({("main", f"f{i}", f"g{j}"): 1 + (i * j) % 7 for i in range(60) for j in range(60)})
    assert gc.isenabled()
    svg = fg.render(profile, fg.FlameGraphOptions(minwidth="2"))
    assert svg.startswith(b"<?xml")
    assert sorted(seen) == [("frames", False), ("hidden_json", False), ("layout", False)]
    assert gc.isenabled()
