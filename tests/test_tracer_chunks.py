"""The BCC, bpftrace and DTrace readers cut their input into chunks at record
boundaries; with chunks of a few bytes (records cut everywhere) every capture
must give exactly what one chunk gives, skips and line numbers included."""

from __future__ import annotations

import io

import pytest

from flamekit import folded
from flamekit.collapse import CollapseOptions, _chunks, get
from flamekit.errors import Skips

from conftest import CORPUS, GOLDEN

CASES = [
    ("bcc", GOLDEN / "bcc" / "profile_both_d.default.txt"),
    ("bcc", GOLDEN / "bcc" / "stackcount_Pd.txt"),
    ("bcc", CORPUS / "formats" / "bcc" / "bcc_offwaketime_example.txt"),
    ("bcc", CORPUS / "formats" / "bcc" / "bcc_profile_example.txt"),
    ("bpftrace", GOLDEN / "bpftrace" / "print_midrun.txt"),
    ("bpftrace", GOLDEN / "bpftrace" / "named_maps.txt"),
    ("bpftrace", GOLDEN / "bpftrace" / "sum_hist.txt"),
    ("dtrace", GOLDEN / "dtrace" / "kernel_user_cxx.txt"),
]


def _run(fmt: str, data: bytes) -> tuple[bytes, dict, dict]:
    skips = Skips()
    p = get(fmt).collapse(io.BytesIO(data), CollapseOptions(source="t", skips=skips))
    return folded.dumps(p), skips.counts, skips.first


@pytest.mark.parametrize(("fmt", "path"), CASES, ids=[f"{f}:{p.name}" for f, p in CASES])
@pytest.mark.parametrize("size", [1, 7, 64])
def test_tiny_chunks_give_the_same_result(fmt, path, size, monkeypatch):
    if not path.exists():
        pytest.skip("../shared/corpus is not present")
    data = path.read_bytes()
    whole = _run(fmt, data)
    monkeypatch.setattr(_chunks, "CHUNK", size)
    assert _run(fmt, data) == whole
    assert whole[0]
