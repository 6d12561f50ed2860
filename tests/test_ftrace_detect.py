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
