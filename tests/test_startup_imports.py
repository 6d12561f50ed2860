"""Start-up imports only what a command uses (a guard on sys.modules, not on timing).

Every ``flamekit`` run pays for what ``flamekit.cli`` imports before the
command starts: ``--version`` must not load parsers or renderers, naming a
format must not import the other formats, and the registry must still find
every format module without importing it.
"""

from __future__ import annotations

import functools
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from flamekit import collapse

ROOT = Path(__file__).resolve().parent.parent

#: what no command may import before it knows it needs it
HEAVY_STDLIB = {"dataclasses", "subprocess", "tempfile", "gzip", "lzma", "fractions", "json", "multiprocessing"}


def _modules_after(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a fresh interpreter importing this tree's flamekit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    # the list is taken before the probe imports json to print it
    probe = f"import sys\n{code}\nafter = sorted(sys.modules)\nimport json\nprint(json.dumps(after))"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True,
                         cwd=str(ROOT)).stdout
    return set(json.loads(out.splitlines()[-1]))


def _modules_after_cli(args: list[str]) -> set[str]:
    """The modules loaded after running the flamekit command with ``args`` in a fresh interpreter."""
    return _modules_after(f"from flamekit.cli import main\n"
                          f"try:\n    main({args!r}, prog_name='flamekit')\nexcept SystemExit:\n    pass")


@functools.cache
def _baseline() -> frozenset[str]:
    """What the bare interpreter has loaded (site hooks may import more than a user's would)."""
    return frozenset(_modules_after("pass"))


def _heavy(mods: set[str]) -> set[str]:
    """The heavy stdlib modules flamekit itself loaded."""
    return (mods - _baseline()) & HEAVY_STDLIB


def _flamekit(mods: set[str]) -> set[str]:
    return {m for m in mods if m == "flamekit" or m.startswith("flamekit.")}


def test_import_cli_loads_only_click_and_the_error_types() -> None:
    mods = _modules_after("import flamekit.cli")
    assert _flamekit(mods) == {"flamekit", "flamekit._records", "flamekit.cli", "flamekit.errors", "flamekit.inputs",
                              "flamekit.io"}
    assert not _heavy(mods), _heavy(mods)


def test_version_loads_nothing_more() -> None:
    mods = _modules_after_cli(["--version"])
    assert _flamekit(mods) == {"flamekit", "flamekit._records", "flamekit.cli", "flamekit.errors", "flamekit.inputs",
                              "flamekit.io"}
    assert not _heavy(mods), _heavy(mods)


def test_import_flamekit_is_lazy_but_complete() -> None:
    assert _flamekit(_modules_after("import flamekit")) == {"flamekit"}
    mods = _modules_after("import flamekit\nflamekit.Profile\nflamekit.load")
    assert {"flamekit.profile", "flamekit.collapse"} <= mods
    assert "flamekit.symbolize" not in mods
    import flamekit

    for name in flamekit.__all__:
        assert getattr(flamekit, name) is not None
        assert name in dir(flamekit)
    with pytest.raises(AttributeError):
        flamekit.no_such_name  # noqa: B018
    # submodules stay reachable as attributes after a bare "import flamekit", as when imported eagerly
    mods = _modules_after("import flamekit\nassert flamekit.folded.dumps and flamekit.collapse.load")
    assert {"flamekit.folded", "flamekit.collapse"} <= mods


def test_named_format_imports_only_its_collapser(tmp_path: Path) -> None:
    f = tmp_path / "in.folded"
    f.write_bytes(b"a;b 1\n")
    mods = _modules_after_cli(["collapse", "-q", "--format", "folded", str(f)])
    formats = {m for m in mods if m.startswith("flamekit.collapse.") and not m.rpartition(".")[2].startswith("_")}
    assert formats == {"flamekit.collapse.base", "flamekit.collapse.folded"}
    assert "flamekit.symbolize" not in mods and "flamekit.render" not in mods


def test_flamegraph_of_folded_loads_no_other_renderer_nor_symbolizer(tmp_path: Path) -> None:
    f = tmp_path / "in.folded"
    f.write_bytes(b"a;b 1\n")
    out = tmp_path / "out.svg"
    mods = _modules_after_cli(["flamegraph", str(f), "-o", str(out)])
    assert out.read_bytes().startswith(b"<?xml")
    assert "flamekit.render.flamegraph" in mods
    for unused in ("flamekit.symbolize", "flamekit.render.callgraph", "flamekit.render.speedscope",
                   "flamekit.render.diffreport", "flamekit.callgraph", "flamekit.convert"):
        assert unused not in mods, unused


def _plain_flamegraph_modules(source: Path, out: Path) -> set[str]:
    """The modules a launcher run of ``flamegraph SOURCE -o OUT`` loaded: ``-S`` (no site hooks that may
    import them first), the list taken before json is imported to print it."""
    code = (f"import sys\nsys.argv = ['flamekit', 'flamegraph', {str(source)!r}, '-o', {str(out)!r}]\n"
            "from flamekit.launch import main\nmain()\nafter = sorted(sys.modules)\n"
            "import json\nprint(json.dumps(after))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True, text=True, check=False,
                       cwd=str(out.parent))
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.read_bytes().startswith(b"<?xml")
    return set(json.loads(r.stdout.splitlines()[-1]))


def test_plain_flamegraph_of_folded_imports_no_dataclasses_nor_typing(tmp_path: Path) -> None:
    """``flamekit flamegraph F -o OUT`` of a folded file (the launcher's plain path) imports neither
    ``dataclasses`` (with ``inspect``, ``ast``, ``dis``: ~10 ms) nor ``typing`` (~4 ms): a tenth of a
    small flame graph; nor ``contextlib`` or ``importlib`` (with ``warnings``), ~1 % each."""
    f = tmp_path / "in.folded"
    f.write_bytes(b"main;a;b 3\nmain;c_[k] 2\nmain;a 1\n")
    mods = _plain_flamegraph_modules(f, tmp_path / "out.svg")
    assert "flamekit.render.flamegraph" in mods and "flamekit.plain" in mods and "click" not in mods
    unwanted = {"dataclasses", "inspect", "typing", "ast", "dis", "contextlib", "importlib", "warnings"}
    assert not unwanted & mods, unwanted & mods


def test_plain_flamegraph_of_a_small_perf_capture_imports_no_dataclasses_typing_nor_multiprocessing(
        tmp_path: Path) -> None:
    """``perf script | flamekit flamegraph``, the main job, on a small capture: the perf fold's records are
    typing-free named tuples, and ``multiprocessing`` (~5 ms) is imported only for a capture worth two
    processes."""
    mods = _plain_flamegraph_modules(ROOT / "examples" / "perf-cdeep.perf.txt", tmp_path / "out.svg")
    assert "flamekit.collapse._perf_fold" in mods
    unwanted = {"dataclasses", "inspect", "typing", "multiprocessing", "click"}
    assert not unwanted & mods, unwanted & mods


def test_registry_finds_every_format_module_without_importing_it() -> None:
    """module_names() (a directory listing) agrees with what pkgutil would import."""
    expected = tuple(sorted(info.name for info in pkgutil.iter_modules(collapse.__path__)
                            if not info.name.startswith("_") and info.name != "base"))
    assert collapse.module_names() == expected
    assert len(collapse.names()) == len(expected)  # each such module defines a COLLAPSER
    mods = _modules_after("import flamekit.collapse as c\nc.module_names()")
    assert not {f"flamekit.collapse.{m}" for m in expected} & mods


def test_get_by_name_and_by_dashed_name() -> None:
    for name in collapse.names():
        assert collapse.get(name).name == name
    with pytest.raises(KeyError):
        collapse.get("no-such-format")


def test_detection_imports_format_modules_but_not_their_parsers() -> None:
    """Detection must import every format module: those keep their parsers' imports for collapse()."""
    mods = _modules_after("import flamekit.collapse as c\n"
                          "assert c.detect(b'a;b 1\\n').name == 'folded'\n"
                          "import flamekit.protowire as w\n"
                          "assert w.small_varints.cache_info().currsize == 0, 'pprof writer table built'")
    assert {f"flamekit.collapse.{m}" for m in collapse.module_names()} <= mods
    for parser in ("flamekit.collapse._gprof_text", "flamekit.callgraph", "flamekit.render.pprof",
                   "flamekit.threads"):
        assert parser not in mods, parser


def test_registry_falls_back_to_pkgutil_when_the_package_is_not_a_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoListing:
        path = os.path

        @staticmethod
        def listdir(directory: str) -> list[str]:
            raise NotADirectoryError(directory)  # as inside a zip archive

    expected = collapse.module_names()
    collapse.module_names.cache_clear()
    monkeypatch.setattr(collapse, "os", NoListing)
    try:
        assert collapse.module_names() == expected
    finally:
        collapse.module_names.cache_clear()


def test_dot_call_graph_does_not_load_subprocess(tmp_path: Path) -> None:
    """Only SVG/PNG run Graphviz; DOT output, and reading gprof, need no child process."""
    from conftest import GOLDEN

    out = tmp_path / "g.dot"
    mods = _modules_after_cli(["callgraph", "-q", str(GOLDEN / "gprof" / "calls_b.txt"), "-o", str(out)])
    assert out.read_bytes().startswith(b"digraph")
    assert "flamekit.render.callgraph" in mods
    assert "subprocess" not in mods - _baseline()


def test_the_installed_command_is_bin_flamekit_and_it_imports_no_re() -> None:
    """The ``flamekit`` command is ``bin/flamekit`` (pip points its ``#!python`` at the interpreter), not a
    ``[project.scripts]`` entry point, whose wrapper imports ``re`` and ``enum`` (~7 ms) at every start."""
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["tool"]["setuptools"]["script-files"] == ["bin/flamekit"]
    assert "scripts" not in meta["project"] and "gui-scripts" not in meta["project"]
    script = ROOT / "bin" / "flamekit"
    assert script.read_text().startswith("#!python\n") and os.access(script, os.X_OK)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # run as installed (``-S``: no site hooks that may import re first); the plain addr2line path imports no re
    r = subprocess.run([sys.executable, "-S", "-X", "importtime", str(script), "addr2line", "--elf",
                        os.path.realpath(sys.executable), "0x0"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout == "0x0 ??\n", r.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert "flamekit.launch" in imported and not {"re", "enum", "typing", "click"} & imported
    r = subprocess.run([sys.executable, str(script), "--version"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("flamekit, version"), r.stderr
