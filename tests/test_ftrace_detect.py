"""Every ftrace input of tests/golden/ftrace is detected as its own format
(fgraph_* as ftrace, stack_* as ftrace-stack, function_* as ftrace-function)."""

from __future__ import annotations

import pytest

from conftest import GOLDEN
from flamekit.collapse import detect

FT = GOLDEN / "ftrace"
OWN = {"fgraph": "ftrace", "stack": "ftrace-stack", "function": "ftrace-function"}


@pytest.mark.parametrize("name", sorted(p.name for p in FT.glob("*.txt")))
def test_golden_inputs_detected_as_their_own_format(name):
    head = (FT / name).read_bytes()[:8192]
    assert detect(head, name).name == OWN[name.split("_")[0]]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from flamekit.collapse import get  # noqa: E402

_bits = st.sampled_from([b"# tracer: function_graph\n", b"# tracer: function\n", b" 0)   1.0 us  |  f();\n",
                         b"  a-1  [000] .... 1.0: <stack trace>\n", b" => f\n", b"funcgraph_entry:", b"\xff\n",
                         b"caller=ARRAY[", b" a-1 [000] 1.0: f <-g\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_bits, st.binary(max_size=40)), max_size=20))
def test_detect_never_raises(parts):
    head = b"".join(parts)
    for name in OWN.values():
        assert get(name).detect(head) in (True, False, None)


def test_cli_auto_detects_and_says_which_with_verbose():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "-v", "--per-task",
                        str(FT / "stack_tracecmd_report.txt")], capture_output=True)
    assert r.returncode == 0
    assert r.stderr.endswith(b": format ftrace-stack\n")
    assert r.stdout == (FT / "stack_tracecmd_report.per-task.folded").read_bytes()


def test_cli_strict_error_is_one_line_exit_2(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "t.txt"
    bad.write_bytes(b"# tracer: function_graph\n 0)   1.000 us    |  a();\nnot a graph line\n")
    r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "--strict", str(bad)], capture_output=True)
    assert r.returncode == 2
    assert r.stderr == f"flamekit: error: {bad}:3: not a function_graph line (--strict)\n".encode()
