"""open_input's stream gives back exactly the input, however it is read (whole, or in parts across the head)."""

from __future__ import annotations

import gzip
import lzma
import subprocess
import sys
from pathlib import Path

import pytest

from flamekit.io import HEAD_SIZE, open_input

DATA = bytes(range(256)) * 200  # 51 KB, more than the detection head


@pytest.mark.parametrize("pack", [lambda b: b, gzip.compress, lzma.compress], ids=["plain", "gzip", "xz"])
@pytest.mark.parametrize("first", [0, 1, 100, HEAD_SIZE - 1, HEAD_SIZE, HEAD_SIZE + 1, 20_000])
def test_read_whole_after_a_partial_read(tmp_path: Path, pack, first: int) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "in"
    f.write_bytes(pack(DATA))
    stream, head = open_input(f)
    assert head == DATA[:HEAD_SIZE]
    got = stream.read(first) if first else b""
    got += stream.read()
    stream.close()
    assert got == DATA


def test_read_whole_from_a_pipe() -> None:
    code = "import sys\nfrom flamekit.io import open_input\ns, h = open_input('-')\nsys.stdout.buffer.write(s.read())"
    out = subprocess.run([sys.executable, "-c", code], input=DATA, capture_output=True, check=True).stdout
    assert out == DATA
