"""``flamekit diff``: outputs, the CI gate's exit codes, bad input, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit.cli import main

BEFORE = b"main;fa 10\nmain;fb 20\nmain;fc 10\n"
AFTER = b"main;fa 10\nmain;fb 60\nmain;fc 9\nmain;new 1\n"


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    b, a = tmp_path / "before.folded", tmp_path / "after.folded"
    b.write_bytes(BEFORE)
    a.write_bytes(AFTER)
    return str(b), str(a)


def test_report_is_the_default_and_exact(pair):
    b, a = pair
    r = run("diff", b, a)
    assert r.exit_code == 0, r.output
    assert r.output == (
        f"BEFORE              40 samples         3 stacks  {b}\n"
        f"AFTER               80 samples         4 stacks  {a}\n"
        "change  +100.0% in total samples\n"
        "\n"
        "shares are % of each capture's total; deltas in percentage points; 'total' is inclusive, 'self' is as leaf\n"
        "  total Δ    self Δ  total before    after    rel  self before    after    rel  function\n"
        "   +25.00    +25.00        50.00%   75.00%   +50%       50.00%   75.00%   +50%  fb\n"
        "   -13.75    -13.75        25.00%   11.25%   -55%       25.00%   11.25%   -55%  fc\n"
        "   -12.50    -12.50        25.00%   12.50%   -50%       25.00%   12.50%   -50%  fa\n"
        "    +1.25     +1.25         0.00%    1.25%    new        0.00%    1.25%    new  new\n"
    )


def test_report_top_limits_rows_and_says_how_many_are_hidden(pair):
    r = run("diff", *pair, "--top", "1")
    lines = r.output.splitlines()
    assert lines[-2].endswith("  fb")
    assert lines[-1] == "... 3 more functions changed (--top N shows more)"


def test_identical_captures_report_nothing(pair):
    b, _ = pair
    r = run("diff", b, b, "--fail-if-grown", "0")
    assert r.exit_code == 0
    assert r.output.endswith("\nno function's share changed\n")


def test_folded_output_with_flags(pair, tmp_path):
    out = tmp_path / "d.folded"
    r = run("diff", *pair, "--output-format", "folded", "-n", "-o", str(out))
    assert r.exit_code == 0, r.output
    # totals 40 -> 80: BEFORE doubled
    assert out.read_bytes() == b"main;fa 20 10\nmain;fb 40 60\nmain;fc 20 9\nmain;new 0 1\n"
    r = run("diff", *pair, "--output-format", "folded", "--negate")
    assert r.output == "main;fa 10 10\nmain;fb 60 20\nmain;fc 9 10\nmain;new 1 0\n"


def test_json_output(pair):
    b, a = pair
    r = run("diff", b, a, "--output-format", "json", "--fail-if-grown", "20")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["format"] == "flamekit-diff" and doc["version"] == 1
    assert doc["before"] == {"sources": [b], "unit": "samples", "event": None, "total": 40, "stacks": 3}
    assert doc["after"]["total"] == 80 and doc["normalize_scale"] is None
    assert [f["name"] for f in doc["functions"]] == ["fb", "fc", "fa", "new"]
    assert doc["functions"][0] == {
        "name": "fb",
        "total": {"before": 20, "after": 60, "before_pct": 50.0, "after_pct": 75.0, "delta_pts": 25.0, "relative": 0.5},
        "self": {"before": 20, "after": 60, "before_pct": 50.0, "after_pct": 75.0, "delta_pts": 25.0, "relative": 0.5},
    }
    assert doc["functions"][3]["total"]["relative"] is None
    assert doc["gate"] == {"checked": True, "measure": "total", "passed": False,
                           "offenders": [{"name": "fb", "grew_pts": 25.0, "limit_pts": 20.0, "rule": None}]}


def test_gate_fails_with_exit_1_naming_each_offender(pair):
    r = run("diff", *pair, "--fail-if-grown", "1")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "flamekit: gate failed: fb: inclusive share grew +25.00 points (50.00% -> 75.00%), limit 1 for any function",
        "flamekit: gate failed: new: inclusive share grew +1.25 points (0.00% -> 1.25%), limit 1 for any function",
    ]
    assert "FAILED: 2 functions grew past the limit:" in r.stdout


def test_gate_passes_with_exit_0(pair):
    r = run("diff", *pair, "--fail-if-grown", "25", "--fail-if-grown-fn", "^f[ac]$:0")
    assert r.exit_code == 0, r.output
    assert r.stderr == ""


def test_fn_gate_only_checks_matching_functions(pair):
    r = run("diff", *pair, "--fail-if-grown-fn", "^fb$:10", "--fail-if-grown-fn", "^zzz:0")
    assert r.exit_code == 1
    assert r.stderr == ("flamekit: gate failed: fb: inclusive share grew +25.00 points (50.00% -> 75.00%), "
                        "limit 10 for /^fb$/\n")


@pytest.mark.parametrize("args, message", [
    (["--fail-if-grown", "lots"], "bad gate: 'lots' is not a number of percentage points"),
    (["--fail-if-grown-fn", "([:3"], "bad gate: '([:3': bad regex: "),
    (["--negate"], "--negate applies to svg and folded output only"),
])
def test_bad_options_are_one_line_and_exit_2(pair, args, message):
    r = run("diff", *pair, *args)
    assert r.exit_code == 2
    assert r.stderr.startswith("flamekit: error: " + message)
    assert r.stderr.count("\n") == 1


def test_missing_input_is_exit_2_even_with_a_gate(pair):
    r = subprocess.run([sys.executable, "-m", "flamekit", "diff", pair[0], "/no/such/after", "--fail-if-grown", "1"],
                       capture_output=True)
    assert r.returncode == 2
    assert r.stderr == b"flamekit: error: /no/such/after: no such file\n"


def test_a_differential_input_is_refused(pair, tmp_path):
    two = tmp_path / "two.folded"
    two.write_bytes(b"a;b 1 2\n")
    r = run("diff", pair[0], str(two))
    assert r.exit_code == 2
    assert "diff AFTER takes an ordinary profile" in r.stderr


def test_strict_turns_a_skipped_line_into_exit_2(pair, tmp_path):
    bad = tmp_path / "bad.folded"
    bad.write_bytes(b"main;fa 3\nmain;fb 1\nnot a folded line\n")
    assert run("diff", pair[0], str(bad)).exit_code == 0
    r = run("diff", pair[0], str(bad), "--strict")
    assert r.exit_code == 2
    assert r.stderr == f"flamekit: error: {bad}:3: expected 'frame;frame;... COUNT' (--strict)\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_exit_0_1_or_2(tmp_path, data):
    f = tmp_path / "junk"
    f.write_bytes(data)
    r = run("diff", str(f), str(f), "--fail-if-grown", "0")
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 2:
        assert r.stderr.startswith("flamekit: error: ") and r.stderr.count("\n") == 1


@pytest.mark.parametrize("fmt", ["report", "json", "folded", "svg"])
def test_output_is_identical_whatever_the_hash_seed(pair, fmt):
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-m", "flamekit", "diff", *pair, "--output-format", fmt, "-s"],
                           capture_output=True, env=env, check=True)
        outs.add(r.stdout)
    assert len(outs) == 1


def test_min_delta_hides_noise_from_the_listing_but_not_from_the_gate(pair):
    r = run("diff", *pair, "--min-delta", "2", "--fail-if-grown", "1")
    assert r.exit_code == 1
    assert "  new\n" not in r.stdout and r.stdout.count("\n   ") == 3  # fb, fc, fa
    assert "gate failed: new:" in r.stderr


def test_captures_in_different_units_compare_only_shares(tmp_path):
    from flamekit.diff import diff, function_deltas
    from flamekit.profile import Profile
    from flamekit.render.diffreport import report

    d = diff(Profile({("a",): 10}, unit="samples"), Profile({("a",): 900}, unit="period"))
    text = report(d, function_deltas(d))
    assert "note    the captures weigh stacks differently (samples / period); only shares compare\n" in text
    assert "change  " not in text


def test_control_characters_in_names_cannot_break_report_lines(tmp_path):
    from flamekit.diff import diff, function_deltas, check_gate, GateRule
    from flamekit.profile import Profile
    from flamekit.render.diffreport import report

    d = diff(Profile({("m", "ok"): 1}), Profile({("m", "ok"): 1, ("m", "evil\nname\x1b[31m"): 3}))
    deltas = function_deltas(d)
    offenders = check_gate(deltas, [GateRule(0)])
    text = report(d, deltas, offenders=offenders)
    assert "evil\\x0aname\\x1b[31m" in text and "\x1b" not in text
    assert offenders[0].message().startswith("evil\\x0aname\\x1b[31m: inclusive share grew +75.00 points")


names_st = st.sampled_from(["main", "a", "b b", "c::d<int>", "0xdead", "é"])
folded_st = st.dictionaries(st.lists(names_st, min_size=1, max_size=4).map(lambda s: ";".join(s)),
                            st.integers(1, 1000), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folded_st, st.integers(1, 9))
def test_a_capture_against_a_multiple_of_itself_passes_every_gate(tmp_path, stacks, k):
    a, b = tmp_path / "a.folded", tmp_path / "b.folded"
    a.write_text("".join(f"{s} {w}\n" for s, w in stacks.items()))
    b.write_text("".join(f"{s} {w * k}\n" for s, w in stacks.items()))
    r = run("diff", str(a), str(b), "--fail-if-grown", "0", "--fail-if-grown-fn", ".:0", "--gate-on", "self")
    assert r.exit_code == 0, r.output
    assert r.stdout.endswith("\nno function's share changed\n")
    r = run("diff", str(a), str(b), "--output-format", "folded", "-n")
    assert r.stdout == "".join(f"{s} {w * k} {w * k}\n" for s, w in sorted(stacks.items(), key=lambda x: x[0].encode()))
