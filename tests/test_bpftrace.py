"""bpftrace collapser: every key shape of formats.md §4 written by hand, real
captures made here (tests/golden/bpftrace, see its README), the shared corpus,
and properties: arbitrary bytes only raise InputError; generated map
printouts (text and JSON) fold back exactly."""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.collapse.bpftrace import COLLAPSER
from flamekit.errors import InputError, Skips
from flamekit.profile import Profile

from conftest import GOLDEN, corpus_path

BT = GOLDEN / "bpftrace"


def collapse(data: bytes, strict: bool = True, **params) -> Profile:
    opts = CollapseOptions(source="t", skips=Skips(strict=strict), params=params)
    return COLLAPSER.collapse(io.BytesIO(data), opts)


def fold(p: Profile) -> str:
    return folded.dumps(p).decode("utf-8", "surrogateescape")


# -- key shapes --------------------------------------------------------------------

SHAPES = b"""Attaching 2 probes...


@[, 
    0x7f8ce5fbc13d
, dot]: 1
@[, , dot]: 2
@[
    alloc_pages+5
    asm_exc_page_fault+34
, 
    __memmove_avx512_unaligned_erms+344
    main+12
, python3]: 1
@[
    alloc_pages+7
    asm_exc_page_fault+34
, 
    __memmove_avx512_unaligned_erms+344
    main+12
, python3]: 4
"""


def test_key_shapes_fold_scalars_then_user_then_kernel():
    assert fold(collapse(SHAPES)) == (
        "dot 2\n"
        "dot;0x7f8ce5fbc13d 1\n"
        "python3;main;__memmove_avx512_unaligned_erms;asm_exc_page_fault;alloc_pages 5\n"
    )


def test_offsets_kept_on_request():
    got = fold(collapse(SHAPES, offsets=True)).splitlines()
    assert got[-2:] == [
        "python3;main+12;__memmove_avx512_unaligned_erms+344;asm_exc_page_fault+34;alloc_pages+5 1",
        "python3;main+12;__memmove_avx512_unaligned_erms+344;asm_exc_page_fault+34;alloc_pages+7 4",
    ]


def test_scalars_first_and_empty_stacks():
    data = b"""@[cppburn, 429, 429, 
    app::Worker::operator()(int)+20
    main+61
]: 1
@[cpuburn, 427, 427, ]: 11
@[]: 396
"""
    assert fold(collapse(data)) == (
        " 396\ncppburn;429;429;main;app::Worker::operator()(int) 1\ncpuburn;427;427 11\n"
    )


def test_perf_and_raw_stack_modes():
    perf = b"""@[
\tffffffff81587475 __rseq_handle_notify_resume+5
\tffffffff81000d62 asm_common_interrupt+34
, 
\t564a3d7361cc inner_x+51 (/tmp/spin)
\t7f9ea78df24a __libc_start_call_main+122 (/usr/lib/x86_64-linux-gnu/libc.so.6)
]: 3
"""
    assert fold(collapse(perf)) == (
        "__libc_start_call_main;inner_x;asm_common_interrupt;__rseq_handle_notify_resume 3\n"
    )
    # perf mode tells kernel from user by address: kernel frames go on top whatever the key order
    swapped = perf.replace(b"@[\n\tffffffff81587475 __rseq_handle_notify_resume+5\n"
                           b"\tffffffff81000d62 asm_common_interrupt+34\n, \n", b"@[\n")
    swapped = swapped.replace(b"]: 3", b", \n\tffffffff81587475 __rseq_handle_notify_resume+5\n"
                                       b"\tffffffff81000d62 asm_common_interrupt+34\n]: 3")
    assert swapped != perf and fold(collapse(swapped)) == fold(collapse(perf))
    raw = b"@[\n7f9ea78df24a\n564a3d7361cc\n]: 2\n@[\n\t7f9ea78df24a\n]: 1\n"
    assert fold(collapse(raw)) == "564a3d7361cc;7f9ea78df24a 2\n7f9ea78df24a 1\n"


def test_named_maps_default_is_first_stack_map_and_map_selects():
    data = b"""@by_comm[spin]: 198
@cpu[
    inner_x+37
    main+113
]: 5
@kstacks[]: 198
"""
    p = collapse(data)
    assert fold(p) == "main;inner_x 5\n"
    assert p.meta["map"] == "@cpu" and p.meta["other_maps"] == "@by_comm,@kstacks"
    assert fold(collapse(data, map="by_comm")) == "spin 198\n"
    assert fold(collapse(data, map="@kstacks")) == " 198\n"
    with pytest.raises(InputError, match=r"no map @nope in this output \(maps: @by_comm, @cpu, @kstacks\)"):
        collapse(data, map="nope")


def test_histograms_do_not_fold():
    data = b"""@lat: 
[4, 8)                99 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@s[x]: count 5, average 3, total 15
@us[
    inner_x+51
, 11979]: 22000
"""
    assert fold(collapse(data)) == "11979;inner_x 22000\n"
    with pytest.raises(InputError, match="histograms or stats"):
        collapse(data, map="lat")
    with pytest.raises(InputError, match="histograms or stats"):
        collapse(data, map="s")


def test_print_midrun_last_printout_wins():
    # print(@m) twice (adjacent, values restart low), then exit's printout after blank lines
    data = b"""@m[a]: 1
@m[b]: 5
@m[a]: 2
@m[b]: 9
@m[c]: 9


@m[a]: 3
@m[b]: 12
"""
    p = collapse(data)
    assert fold(p) == "a 3\nb 12\n"
    assert p.meta["printouts"] == "3"


def test_printouts_of_a_map_without_keys():
    assert fold(collapse(b"@total: 5\n@total: 9\n")) == " 9\n"


def test_duplicate_keys_in_one_printout_are_summed():
    data = b"@[\n    f+1\n]: 2\n@[\n    f+2\n]: 3\n"
    assert fold(collapse(data)) == "f 5\n"


def test_other_output_is_skipped_not_silently_dropped():
    data = b"Attaching 1 probe...\nhello from printf\n@[\n    f+1\n]: 2\n"
    with pytest.raises(InputError, match=r"t:2: not part of a bpftrace map printout"):
        collapse(data)
    skips = Skips()
    p = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=skips))
    assert p.total == 2 and skips.total == 1


def test_bundled_tools_banners_are_chatter():
    data = (b"Attaching 2 probes...\nSampling at 99 Hertz of all threads by user + kernel stack... "
            b"Hit Ctrl-C to end.\n^C\n@[\n    f+1\n, spin]: 2\n")
    assert fold(collapse(data, strict=True)) == "spin;f 2\n"


def test_empty_output_is_an_empty_profile():
    assert collapse(b"Attaching 1 probe...\n\n\n").stacks == {}


def test_json_last_printout_and_hist():
    lines = [
        {"type": "attached_probes", "data": {"probes": 3}},
        {"type": "map", "data": {"@cpu": {"\n    inner_x+44\n    outer_b+14\n": 1}}},
        {"type": "map", "data": {"@cpu": {"\n    inner_x+44\n    outer_b+14\n": 4,
                                          "\n    inner_x+3\n    outer_b+14\n": 2,
                                          ",\n    x+1\n,spin": 7}}},
        {"type": "hist", "data": {"@lat": [{"min": 4, "max": 7, "count": 196}]}},
        {"type": "map", "data": {"@n": {"spin": 196}}},
    ]
    data = ("\n".join(json.dumps(x) for x in lines) + "\n").encode()
    assert fold(collapse(data)) == "outer_b;inner_x 6\nspin;x 7\n"
    assert fold(collapse(data, map="n")) == "spin 196\n"
    with pytest.raises(InputError, match="histograms or stats"):
        collapse(data, map="lat")


def test_json_garbage_line():
    with pytest.raises(InputError, match=r"t:2: not a bpftrace JSON record"):
        collapse(b'{"type": "attached_probes", "data": {"probes": 1}}\n{"type": \n')


# -- real captures (tests/golden/bpftrace/README.md) ---------------------------------

CAPTURES = ["kstack_ustack_comm.txt", "named_maps.txt", "print_midrun.txt", "perf_mode.txt", "sum_hist.txt",
            "json_kstack_ustack_comm.json", "json_maps_print_hist.json"]


@pytest.mark.parametrize("name", CAPTURES)
def test_capture_golden(name):
    got = load(str(BT / name), "auto", CollapseOptions(skips=Skips(strict=True)))
    assert fold(got) == (BT / (name.rsplit(".", 1)[0] + ".folded")).read_text()


def test_capture_print_midrun_counts_only_the_last_printout():
    text = (BT / "print_midrun.txt").read_bytes()
    last = text.rsplit(b"\n\n\n", 1)[1]
    assert collapse(text).total == sum(int(x) for x in re.findall(rb"\]: (\d+)$", last, re.M))


def test_capture_json_and_text_of_the_same_script_agree_in_shape():
    text = collapse((BT / "kstack_ustack_comm.txt").read_bytes())
    js = collapse((BT / "json_kstack_ustack_comm.json").read_bytes())
    assert all(s[0] == "spin" and s[1] == "__libc_start_call_main" for s in list(text) + list(js))


# -- the shared corpus --------------------------------------------------------------

@pytest.mark.parametrize("name", ["bt01_kstack_ustack_comm_count.txt", "bt02_ustack_count_cpuburn.txt",
                                  "bt03_ustack_count_cppburn.txt", "bt04_ustack_count_node_perfmap.txt",
                                  "bt05_kstack_count.txt"])
def test_corpus_weights_conserved(name):
    text = corpus_path("formats", "bpftrace", name).read_bytes()
    assert collapse(text).total == sum(int(x) for x in re.findall(rb"(?m)\]: (\d+)$", text))


def test_corpus_cpp_and_jit_frames():
    p = collapse(corpus_path("formats", "bpftrace", "bt04_ustack_count_node_perfmap.txt").read_bytes())
    names = p.frame_names()
    assert "JS:* /opt/demo/nodeburn.js:1:1" in names
    assert "v8::base::ieee754::sin(double)" in names


def test_corpus_json_matches_its_sum():
    text = corpus_path("formats", "bpftrace", "bt09_json_kstack_ustack_comm.json").read_bytes()
    maps = [json.loads(x)["data"] for x in text.splitlines() if x.startswith(b'{"type": "map"')]
    assert collapse(text).total == sum(maps[-1]["@"].values())


# -- properties ----------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_only_raise_input_error(data):
    for strict in (False, True):
        for d in (data, b"@[\n" + data, b'{"type": "map", ' + data):
            try:
                collapse(d, strict=strict)
            except InputError:
                pass


SYM = st.from_regex(r"[A-Za-z_][A-Za-z0-9_:<>~]{0,10}", fullmatch=True)
ENTRY = st.tuples(st.lists(SYM, max_size=4), st.lists(SYM, max_size=4), st.sampled_from(["spin", "a b", "x"]),
                  st.integers(0, 10**9))


@settings(max_examples=80, deadline=None)
@given(st.lists(ENTRY, min_size=1, max_size=8), st.booleans())
def test_generated_printouts_fold_back_exactly(entries, as_json):
    entries = sorted(entries, key=lambda e: e[3])  # bpftrace prints in ascending value order
    expected: dict[tuple[str, ...], int] = {}
    text = [b"Attaching 1 probe...\n\n\n"]
    js: dict[str, int] = {}
    for kernel, user, comm, value in entries:
        def stack(frames: list[str]) -> str:
            return "".join(f"\n    {f}+{i}" for i, f in enumerate(frames)) + ("\n" if frames else "")
        key_text = f"{stack(kernel)}, {stack(user)}, {comm}"
        text.append(f"@[{key_text}]: {value}\n".encode())
        js_key = f"{stack(kernel)},{stack(user)},{comm}"
        js[js_key] = js.get(js_key, 0) + value
        key = (comm, *reversed(user), *reversed(kernel))
        expected[key] = expected.get(key, 0) + value
    if as_json:
        data = (json.dumps({"type": "map", "data": {"@": js}}) + "\n").encode()
    else:
        data = b"".join(text)
    p = collapse(data)
    assert p.stacks == expected
    assert p.total == sum(e[3] for e in entries)


# -- the command line ----------------------------------------------------------------

def test_cli_map_and_offsets_options():
    from click.testing import CliRunner

    from flamekit.cli import main

    runner = CliRunner()
    r = runner.invoke(main, ["collapse", "--map", "by_comm", str(BT / "named_maps.txt")])
    assert r.exit_code == 0 and r.stdout == "spin 198\n"
    r = runner.invoke(main, ["collapse", "--map", "nope", str(BT / "named_maps.txt")])
    assert r.exit_code == 2 and "no map @nope" in r.stderr
    r = runner.invoke(main, ["collapse", "--offsets", str(BT / "named_maps.txt")])
    assert r.exit_code == 0 and "inner_x+" in r.stdout


def test_output_does_not_depend_on_hash_seed():
    import os
    import subprocess
    import sys

    inputs = [str(BT / "named_maps.txt"), str(BT / "json_maps_print_hist.json"),
              str(GOLDEN / "bcc" / "stackcount_Pd.txt"), str(GOLDEN / "dtrace" / "kernel_user_cxx.txt")]
    outs = []
    for seed in ("1", "2"):
        # one run merges them all: two interpreter start-ups, not eight
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.append(subprocess.run([sys.executable, "-m", "flamekit", "collapse", *inputs], env=env,
                                   capture_output=True, check=True).stdout)
    assert outs[0] == outs[1] and outs[0].count(b"\n") > 10
