"""Real captures: raw frames perf could not resolve, resolved by flamekit.

One ``perf record`` of a stripped binary is printed twice by ``perf script``:
once as recorded (user frames ``[unknown]``), once with the unstripped copy
(same build-id) put in its place, so perf resolves them itself.  flamekit
symbolizing the first print must give exactly the folded output of the
second.  The same with a Node.js ``--perf-basic-prof`` capture whose perf map
is moved away before printing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from symbolize_bins import build, c_source

from conftest import require_tool

FLAMEKIT = [os.environ.get("PYTHON", "python3"), "-m", "flamekit"]


def flamekit(*args: str) -> bytes:
    r = subprocess.run([*FLAMEKIT, *args], capture_output=True)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def perf_record(perf: str, out: Path, cmd: list[str], cwd: Path) -> None:
    r = subprocess.run([perf, "record", "-N", "-q", "-g", "-e", "cpu-clock", "-F", "4000", "-o", str(out), "--",
                        *cmd], cwd=cwd, capture_output=True)
    if r.returncode != 0 or not out.exists():
        pytest.skip(f"perf record does not work here: {r.stderr.decode()[-300:]}")


def perf_script(perf: str, data: Path, cwd: Path) -> bytes:
    return subprocess.run([perf, "script", "-i", str(data)], cwd=cwd, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def stripped_capture(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    perf = require_tool("perf", "linux-perf")
    require_tool("gcc")
    require_tool("objcopy", "binutils")
    root = tmp_path_factory.mktemp("perfcap")
    b = build(root / "build", "prog", c_source(), "gcc", ["-O2", "-g", "-fno-omit-frame-pointer"])
    run_dir = root / "run"
    run_dir.mkdir()
    target = run_dir / "prog"
    shutil.copy(b.stripped, target)
    os.chmod(target, 0o755)
    data = root / "perf.data"
    perf_record(perf, data, [str(target), "6000"], run_dir)
    raw = root / "unresolved.txt"
    raw.write_bytes(perf_script(perf, data, run_dir))
    shutil.copy(b.full, target)  # same build-id: perf now finds the symbols itself
    resolved = root / "resolved.txt"
    resolved.write_bytes(perf_script(perf, data, run_dir))
    return {"raw": raw, "resolved": resolved, "full": b.full, "debug_dir": b.debug_dir, "target": target,
            "stripped": b.stripped}


def test_perf_unresolved_frames_become_what_perf_resolves(stripped_capture):
    cap = stripped_capture
    raw = cap["raw"].read_bytes()
    assert b"[unknown] (" + str(cap["target"]).encode() in raw, "perf should not resolve the stripped binary"
    expected = flamekit("collapse", "-q", str(cap["resolved"]))
    assert b"work_" in expected and b"main;" in expected
    shutil.copy(cap["stripped"], cap["target"])  # the module on disk is stripped again
    got = flamekit("symbolize", "-q", "--elf", str(cap["full"]), str(cap["raw"]))
    assert got == expected
    # every command reading inputs takes the same options (here: collapse)
    assert flamekit("collapse", "-q", "--elf", str(cap["full"]), str(cap["raw"])) == expected
    # the same through the build-id debug file instead of an unstripped copy
    got = flamekit("symbolize", "-q", "--debug-dir", str(cap["debug_dir"]), str(cap["raw"]))
    assert got == expected
    # without symbols the frames stay as perf printed them (module names)
    plain = flamekit("collapse", "-q", str(cap["raw"]))
    assert re.search(rb"(^|;)work_\d+[; ]", plain, re.M) is None
    assert re.search(rb"(^|;)work_\d+[; ]", got, re.M) is not None


NODE_JS = """
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
let t = 0;
const end = Date.now() + 400;
while (Date.now() < end) t += fib(20);
console.log(t > 0);
"""


def test_node_perf_basic_prof_jit_frames_resolve_from_the_perf_map(tmp_path):
    perf = require_tool("perf", "linux-perf")
    node = require_tool("node", "nodejs")
    script = tmp_path / "jit.js"
    script.write_text(NODE_JS)
    data = tmp_path / "perf.data"
    perf_record(perf, data, [node, "--perf-basic-prof", str(script)], tmp_path)
    resolved = tmp_path / "resolved.txt"
    resolved.write_bytes(perf_script(perf, data, tmp_path))
    found = re.search(rb"\((/tmp/perf-\d+\.map)\)", resolved.read_bytes())
    assert found, "perf script shows no JIT frames from a perf map"
    pmap = Path(found.group(1).decode())
    kept = tmp_path / pmap.name
    shutil.move(pmap, kept)  # perf can no longer resolve the JIT frames
    raw = tmp_path / "raw.txt"
    raw.write_bytes(perf_script(perf, data, tmp_path))
    assert b"[unknown] (" + str(pmap).encode() in raw.read_bytes()
    expected = flamekit("collapse", "-q", str(resolved))
    assert b"JS:" in expected and b"fib" in expected
    got = flamekit("symbolize", "-q", "--perf-map", str(kept), str(raw))
    assert got == expected
