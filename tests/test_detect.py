"""Format auto-detection across every registered collapser.

Every sample of the shared corpus and of tests/golden is detected as its own
format (told by where it lives, or listed below) and no other collapser claims
it for sure.  Files that are no input at all (sources, docs, reference
renderings) are left out by name; reference outputs no collapser reads must
be rejected with the list of formats tried.  The table covers collapsers by
directory name, so formats added later are checked without editing this file.
"""

from __future__ import annotations

import fnmatch
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from flamekit.cli import main
from flamekit.collapse import collapsers, detect, get, names
from flamekit.errors import InputError
from flamekit.io import open_input

from conftest import CORPUS, GOLDEN

#: not inputs: sources, docs, scripts, schemas, renderings, symbol maps, man pages
NOT_INPUT = [
    "*.md", "*.rst", "*.c", "*.cpp", "*.cc", "*.h", "*.js", "*.py", "*.sh", "*.go", "go.mod", "go.sum",
    "*.dot", "*.svg", "*.png", "*.html", "*.css", "*.map", "*.schema.json", "*_expected.json", "*.1.txt",
    "*.traces.txt", "*/src/*", "*/capture/*", "*/goburn/*", "*_man_*", "formats/perf/p12_node_pid.txt",
    "*.expected.json", "*.pprof-top.txt", "*.tree.txt",
]

#: folded text wherever it lives: expected outputs, and tools that print folded themselves
FOLDED = [
    "*.folded", "*collapsed*", "perf/expected/*", "*.folded.txt",
    "formats/bcc/b04_profile_folded.txt", "formats/bcc/b05_profile_folded_delimited.txt",
    "formats/bcc/b15_stackcount_Pdf_sched_switch.txt", "bcc/stackcount_Pdf.txt",
    "formats/perf/p23_perf_builtin_stackcollapse.txt",
]

#: reference outputs that no collapser reads (perf report, trace-cmd stat/profile,
#: kprobe event text, perf's flamegraph JSON): detection must refuse them
NO_FORMAT = [
    "formats/perf/p17_report_stdio_nochildren.txt", "formats/perf/p18_report_stdio_children.txt",
    "formats/perf/p19_report_stdio_g_folded.txt", "formats/perf/p19b_report_g_folded_caller_count.txt",
    "formats/perf/p19c_report_g_folded_caller_period.txt", "formats/perf/p20_report_stdio_g_caller.txt",
    "formats/perf/p21_report_stdio_flat.txt", "formats/perf/p27_perf_script_flamegraph_py.json",
    "formats/ftrace/trace-cmd/tc_report_stat.txt", "formats/ftrace/trace-cmd/tc_report_profile.txt",
    "formats/ftrace/public/perftools_kprobe_example.txt",
]

#: directory name -> the collapsers that may claim a sample there
FAMILIES = {
    "ftrace": ("ftrace", "ftrace-stack", "ftrace-function"),
    "diff": ("perf",),
    "inputs": ("perf",),
    "large": ("perf",),
}

#: known misses in modules owned by others (reported, not fixed here); non-strict xfail
MISSED = {
    # one indented line per sample, no blank lines: the perf fold drops them all (as the Perl script does)
}
#: samples another module's detect() also claims for sure (priority hides it today)
DOUBLE_CLAIMS: dict[str, str] = {}


def _match(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def expected_formats(rel: str) -> tuple[str, ...] | None:
    """The formats a sample may be detected as; () when none may; None when not an input."""
    if _match(rel, NOT_INPUT):
        return None
    if _match(rel, FOLDED):
        return ("folded",)
    if rel in NO_FORMAT:
        return ()
    parts = rel.split("/")
    for part in reversed(parts[:-1]):
        if part in FAMILIES:
            return FAMILIES[part]
        if part in names():
            return (part,)
    return None


def samples(gaps: dict[str, str]) -> list:
    """One pytest param per input sample; ``gaps`` marks known problems as xfail."""
    out = []
    for root, label in ((CORPUS, ""), (GOLDEN, "golden/")):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file() or "node_modules" in path.parts:
                continue
            rel = path.relative_to(root).as_posix()
            want = expected_formats(rel)
            if want is None:
                continue
            marks = [pytest.mark.xfail(reason=gaps[rel], strict=False)] if rel in gaps else []
            out.append(pytest.param(path, want, id=label + rel, marks=marks))
    return out


def _head(path: Path) -> bytes:
    stream, head = open_input(str(path))
    stream.close()
    return head


SAMPLES = samples(MISSED)


@pytest.mark.parametrize(("path", "want"), SAMPLES)
def test_sample_detected_as_its_own_format(path, want):
    head = _head(path)
    if not want:
        with pytest.raises(InputError, match=r"unrecognized input format \(tried: "):
            detect(head, str(path))
        return
    assert detect(head, str(path)).name in want


@pytest.mark.parametrize(("path", "want"), samples(DOUBLE_CLAIMS))
def test_no_other_collapser_is_sure_it_is_theirs(path, want):
    head = _head(path)
    claims = [c.name for c in collapsers() if c.detect(head) is True]
    assert set(claims) <= set(want), f"{path.name} claimed by {claims}, belongs to {want or 'none'}"


def test_table_covers_every_registered_collapser_with_samples():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    covered = {f for p in SAMPLES for f in p.values[1]}
    # pprof and speedscope inputs live in tests/golden of their owners; only fail for formats with a home
    homeless = {c.name for c in collapsers()} - covered
    assert homeless <= {"pprof", "speedscope"}, f"no samples for {sorted(homeless)}"


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"hello world\nthis is prose\n", b"\x00\x01\x02binary"])
def test_unrecognized_input_lists_what_was_tried(data):
    with pytest.raises(InputError) as e:
        detect(data, "x.txt")
    msg = str(e.value)
    assert msg.startswith("x.txt: ")
    for name in ("bcc", "bpftrace", "dtrace", "folded"):
        assert name in msg
    assert "--format" in msg


def test_detectors_never_raise_on_arbitrary_heads():
    # truncated heads (a record cut at 8 KB) and odd bytes: True/False/None only
    heads = [b"@[\n    f+1\n", b'{"type": "map", "data": {"@', b"Sampling at 49 Hertz", b"    -    x (1",
             b"\xff\xfe" * 40,
             b"CPU     ID                    FUNCTION:NAME\n", b"  f\n    ", b"\r\n" * 10]
    for head in heads:
        for c in collapsers():
            assert c.detect(head) in (True, False, None), c.name


def test_statistics_report_is_not_folded():
    # 'name: N' lines (trace-cmd stat) end in a count but are no one-frame stacks
    head = (b"cpus=2\n\nKernel buffer statistics:\n\nCPU: 0\nentries: 0\noverrun: 0\ncommit overrun: 0\n"
            b"bytes: 0\noldest event ts:  12.5\nnow ts:  13.25\ndropped events: 0\nread events: 42\n")
    assert get("folded").detect(head) is False
    with pytest.raises(InputError, match="unrecognized input format"):
        detect(head, "stat.txt")
    # a stack whose frames end in ':' is still folded
    assert get("folded").detect(b"main;parse: 3\nmain;run 2\n") is True


def test_bpftrace_tool_with_bcc_banner_is_bpftrace():
    # bpftrace's bundled profile.bt prints the banner of BCC's profile
    head = (b"Attaching 2 probes...\nSampling at 99 Hertz of all threads by user + kernel stack... "
            b"Hit Ctrl-C to end.\n^C\n@[\n    f+1\n, spin]: 2\n")
    assert [c.name for c in collapsers() if c.detect(head)] == ["bpftrace"]
    assert [c.name for c in collapsers() if c.detect(head[head.index(b"\n") + 1:])] == ["bpftrace"]


def test_cli_verbose_says_which_format_was_detected(tmp_path):
    p = tmp_path / "bt.txt"
    p.write_bytes(b"Attaching 1 probe...\n\n\n@[\n    f+1\n    main+2\n]: 3\n")
    r = CliRunner().invoke(main, ["collapse", "-v", str(p)])
    assert r.exit_code == 0, r.output
    assert r.stdout == "main;f 3\n"
    assert f"{p}: format bpftrace" in r.stderr


def test_cli_unrecognized_input_is_one_line_exit_2(tmp_path):
    p = tmp_path / "prose.txt"
    p.write_bytes(b"just some prose\nwith no numbers\n")
    r = CliRunner().invoke(main, ["collapse", str(p)])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unrecognized input format (tried: " in lines[0] and "dtrace" in lines[0]


def test_head_of_stdin_style_stream_is_enough():
    # detection sees only the first KB; a bcc record that starts after long chatter is still found
    data = b"Tracing 1 functions for \"t:sched:sched_switch\"... Hit Ctrl-C to end.\n" + b"\n" * 10
    assert detect(data).name == "bcc"
    assert detect(io.BytesIO(b"@x: 5\n").read()).name == "bpftrace"


FOLDED_FRAME = st.from_regex(r"[A-Za-z_\[][\w:<>(), .\[\]`+-]{0,20}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(FOLDED_FRAME, min_size=1, max_size=6), st.integers(1, 10**6)),
                min_size=1, max_size=30))
def test_folded_text_is_never_claimed_by_the_tracer_formats(lines):
    head = "".join(f"{';'.join(frames)} {n}\n" for frames, n in lines).encode()
    for name in ("bcc", "bpftrace", "dtrace"):
        assert get(name).detect(head) is not True, name
    assert detect(head).name == "folded"
