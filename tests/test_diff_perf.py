"""End to end on real captures: perf recorded a program before and after one
function (hash_records) was made 3x slower; the diff must name that function
and no unrelated one.  The captures and how they were made are in
tests/golden/diff/ (src/workload.c, src/record.sh)."""

from __future__ import annotations

import json

import jsonschema
from click.testing import CliRunner

from flamekit.cli import main
from flamekit.collapse import load_profile
from flamekit.diff import diff, function_deltas

from conftest import GOLDEN

BEFORE = str(GOLDEN / "diff" / "before.perf.gz")
AFTER = str(GOLDEN / "diff" / "after.perf.gz")
STAGES = ("parse_input", "hash_records", "write_output")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_captures_are_what_they_claim():
    b, a = load_profile(BEFORE, "perf"), load_profile(AFTER, "perf")
    sb, sa = b.self_weights(), a.self_weights()
    # the same work in the untouched stages, three times the work in hash_records
    ratio = (sa["hash_records"] / sb["hash_records"]) / (sa["parse_input"] / sb["parse_input"])
    assert 2.5 < ratio < 3.5
    for p in (b, a):
        stage_stacks = [s for s in p.stacks if s[-1] in STAGES]
        assert all(s[-2] == "main" for s in stage_stacks)


def test_report_puts_the_slowed_function_first_and_alone_among_the_grown():
    r = run("diff", BEFORE, AFTER)
    assert r.exit_code == 0, r.output
    rows = r.output.split("  function\n", 1)[1].splitlines()
    assert rows[0].endswith("  hash_records")
    grown = [line.rsplit("  ", 1)[1] for line in rows if float(line.split()[0]) > 1.0]
    assert grown == ["hash_records"]


def test_gate_names_the_slowed_function_and_no_other():
    r = run("diff", BEFORE, AFTER, "--fail-if-grown", "5")
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("flamekit: gate failed: hash_records: inclusive share grew +")
    r = run("diff", BEFORE, AFTER, "--fail-if-grown", "5", "--gate-on", "self")
    assert r.exit_code == 1 and [x.split(":")[2].strip() for x in r.stderr.splitlines()] == ["hash_records"]


def test_fn_gates_on_the_untouched_stages_pass():
    r = run("diff", BEFORE, AFTER, "--fail-if-grown-fn", "^(parse_input|write_output|main)$:0")
    assert r.exit_code == 0, r.stderr
    r = run("diff", BEFORE, AFTER, "--fail-if-grown-fn", "^hash_:20")
    assert r.exit_code == 1 and "hash_records" in r.stderr


def test_the_regression_is_the_whole_story():
    d = diff(load_profile(BEFORE, "perf"), load_profile(AFTER, "perf"))
    by = {x.name: x for x in function_deltas(d)}
    h = by["hash_records"]
    # one third of the work before, three fifths after (3x of one of three equal stages)
    assert 28 < h.total_before_pct < 38 and 55 < h.total_after_pct < 65
    others = [x for x in by.values() if x.name != "hash_records" and x.total_delta > 0.5]
    assert others == []


def test_json_on_real_captures():
    r = run("diff", BEFORE, AFTER, "--output-format", "json", "--fail-if-grown", "5")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, json.loads((GOLDEN / "diff" / "flamekit-diff.schema.json").read_text()))
    assert doc["before"]["unit"] == doc["after"]["unit"]
    assert doc["functions"][0]["name"] == "hash_records"
    assert [o["name"] for o in doc["gate"]["offenders"]] == ["hash_records"]


def test_svg_of_real_captures_paints_the_slowed_function_deepest_red(tmp_path):
    from test_diff_svg import frames

    out = tmp_path / "d.svg"
    r = run("diff", BEFORE, AFTER, "-o", str(out))
    assert r.exit_code == 0, r.output
    f = frames(out.read_bytes())
    assert f["hash_records"][2] == "rgb(255,0,0)"
    # raw counts: the untouched stages moved by a few samples only, so they stay pale
    for s in ("parse_input", "write_output"):
        assert min(int(c) for c in f[s][2][4:-1].split(",")) >= 190, f[s]
    # normalized to the same total, the untouched stages lost share: blue
    r = run("diff", BEFORE, AFTER, "-n", "-o", str(out))
    f = frames(out.read_bytes())
    assert f["hash_records"][2] == "rgb(255,0,0)"
    assert all(f[s][2].endswith(",255)") for s in ("parse_input", "write_output"))


def test_sides_may_be_different_formats_and_stdin(tmp_path):
    folded_after = tmp_path / "after.folded"
    assert run("collapse", AFTER, "-o", str(folded_after)).exit_code == 0
    both_perf = run("diff", BEFORE, AFTER, "--output-format", "json")
    mixed = run("diff", BEFORE, str(folded_after), "--output-format", "json")
    assert json.loads(mixed.stdout)["functions"] == json.loads(both_perf.stdout)["functions"]
    piped = CliRunner().invoke(main, ["diff", BEFORE, "-", "--output-format", "json"],
                               input=folded_after.read_bytes())
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["functions"] == json.loads(both_perf.stdout)["functions"]
