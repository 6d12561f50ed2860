"""How the benchmarks run the flamekit CLI: as a user's installed copy runs.

A user's interpreter writes and reuses bytecode (``__pycache__``); this
environment sets PYTHONDONTWRITEBYTECODE, under which every run would
recompile every module it imports and start-up would be measured several
times too slow.  :func:`prepare` drops that setting for the child processes
and compiles the flamekit that ``sys.executable -m flamekit`` imports once,
so no timed run pays for compiling.  Call it before timing anything.
"""

from __future__ import annotations

import os
import subprocess
import sys


def prepare() -> str:
    """Make child runs use cached bytecode; returns the flamekit package directory being measured."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    where = subprocess.run([sys.executable, "-c", "import flamekit, os; print(os.path.dirname(flamekit.__file__))"],
                           check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True, stdout=subprocess.DEVNULL)
    return where
