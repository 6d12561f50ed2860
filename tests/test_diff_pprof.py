"""Per-function differential numbers checked against ``go tool pprof -top -diff_base``.

pprof prints absolute deltas (AFTER minus BEFORE) of flat and cum weight per
function; flamekit's self and total weights must give exactly those numbers
for every function, and pprof must list exactly the functions whose weights moved.
"""

from __future__ import annotations

import io
from pathlib import Path

from conftest import GOLDEN
from flamekit import folded
from flamekit.collapse import load_profile
from flamekit.diff import diff, function_deltas
from flamekit.profile import Profile
from flamekit.render import pprof
from pprof_oracle import go_pprof, parse_value


def pprof_diff_top(tmp: Path, before: Profile, after: Profile) -> dict[str, tuple[int, int]]:
    """name -> (flat delta, cum delta) as ``go tool pprof -top -diff_base`` prints them."""
    (tmp / "b.pb.gz").write_bytes(pprof.dumps(before))
    (tmp / "a.pb.gz").write_bytes(pprof.dumps(after))
    text = go_pprof(tmp, "-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0",
                    "-diff_base", str(tmp / "b.pb.gz"), str(tmp / "a.pb.gz"))
    rows = text.split("      flat  flat%   sum%        cum   cum%\n", 1)[1].splitlines()
    out = {}
    for line in rows:
        flat, _fp, _sp, cum, _cp, name = line.split(None, 5)
        out[name] = (parse_value(flat), parse_value(cum))
    return out


def flamekit_raw_deltas(before: Profile, after: Profile) -> dict[str, tuple[int, int]]:
    rows = function_deltas(diff(before, after), include_unchanged=True)
    out = {r.name: (r.self_after - r.self_before, r.total_after - r.total_before) for r in rows}
    return {n: v for n, v in out.items() if v != (0, 0)}


def test_constructed_profiles_with_recursion_and_vanished_paths(tmp_path):
    before = folded.read_profile(io.BytesIO(
        b"main;parse;lex 40\nmain;eval;eval;apply 25\nmain;eval 5\nmain;gc 30\nmain;old;path 7\n"), "b")
    after = folded.read_profile(io.BytesIO(
        b"main;parse;lex 41\nmain;eval;eval;apply 75\nmain;eval;eval;eval 9\nmain;gc 12\nmain;new 3\n"), "a")
    expected = flamekit_raw_deltas(before, after)
    assert expected["eval"] == (9 - 5, 84 - 30)  # recursion counted once per stack
    assert pprof_diff_top(tmp_path, before, after) == expected


def test_real_perf_captures(tmp_path):
    before = load_profile(str(GOLDEN / "diff" / "before.perf.gz"), "perf")
    after = load_profile(str(GOLDEN / "diff" / "after.perf.gz"), "perf")
    expected = flamekit_raw_deltas(before, after)
    assert expected["hash_records"][0] > 1000
    assert pprof_diff_top(tmp_path, before, after) == expected
