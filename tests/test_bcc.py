"""BCC collapser: hand-written records of every layout, real captures made
here (tests/golden/bcc, see its README), the shared corpus, and properties:
arbitrary bytes only raise InputError; generated reports fold back exactly."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.collapse.bcc import COLLAPSER
from flamekit.errors import InputError, Skips
from flamekit.profile import Profile

from conftest import GOLDEN, corpus_path

BCC = GOLDEN / "bcc"


def collapse(data: bytes, strict: bool = True, **params) -> Profile:
    opts = CollapseOptions(source="t", skips=Skips(strict=strict), params=params)
    return COLLAPSER.collapse(io.BytesIO(data), opts)


def fold(p: Profile) -> str:
    return folded.dumps(p).decode("utf-8", "surrogateescape")


# -- hand-written records ----------------------------------------------------------

PROFILE_D = b"""Sampling at 49 Hertz of PID [1581] by user + kernel stack for 2 secs.

    read_zero
    read_zero
    vfs_read
    --
    __read
    -                dd (1581)
        2

    [unknown]
    -                dd (1581)
        1

    read_zero
    read_zero
    vfs_read
    --
    __read
    -                dd (1581)
        3

"""


def test_profile_default_delimited_sums_identical_records():
    p = collapse(PROFILE_D)
    assert fold(p) == "dd;[unknown] 1\ndd;__read;-;vfs_read;read_zero;read_zero 5\n"
    assert p.unit == "samples" and p.event == "cpu-clock"


def test_pid_option_names_the_process_like_stackcollapse_perf():
    assert fold(collapse(PROFILE_D, pid=True)).splitlines()[0] == "dd-1581;[unknown] 1"


def test_missed_stacks_and_user_only():
    data = b"""
    [Missed Kernel Stack]
    main
    -                app (7)
        4

"""
    assert fold(collapse(data)) == "app;main;[Missed Kernel Stack] 4\n"


def test_new_frame_format_strips_offsets_and_modules():
    # bcc commit 72965b6f: sym+0xOFF [module]; -A prefixes the address
    data = b"""
    0xffffffff945afbb8 __get_user_8+0x10 [kernel]
    0xffffffff9462601f do_syscall_64+0x7f [kernel]
    0x00007df292898d61 os_event::wait(std::chrono::duration<long, std::ratio<1l, 1000l> >)+0x81 [mysqld]
    0x0000645da19efb19 [unknown] [mysqld]
    -                ib_log (28830)
        1

"""
    base = "ib_log;[mysqld];os_event::wait(std::chrono::duration<long, std::ratio<1l, 1000l> >);"
    assert fold(collapse(data)) == base + "do_syscall_64;__get_user_8 1\n"
    assert fold(collapse(data, kernel=True)) == base + "do_syscall_64_[k];__get_user_8_[k] 1\n"
    assert fold(collapse(data, offsets=True)) == (
        "ib_log;[mysqld];os_event::wait(std::chrono::duration<long, std::ratio<1l, 1000l> >)+0x81;"
        "do_syscall_64+0x7f;__get_user_8+0x10 1\n"
    )


def test_clone_suffix_is_not_a_module():
    data = b"    foo(int) [clone .constprop.0]\n    -                a (1)\n        1\n"
    assert fold(collapse(data)) == "a;foo(int) [clone .constprop.0] 1\n"


def test_stackcount_per_process_delimited():
    data = b"""Tracing 1 functions for "t:sched:sched_switch"... Hit Ctrl-C to end.
^C
  __schedule
  schedule
    --
  [unknown]
    b'python3' [1583]
    3

  __schedule
    b'a\\xffb' [9]
    2

Detaching...
"""
    p = collapse(data)
    assert fold(p) == "a\udcffb;__schedule 2\npython3;[unknown];-;schedule;__schedule 3\n"
    assert p.unit == "count"
    assert fold(collapse(data, pid=True)).splitlines()[1] == "python3-1583;[unknown];-;schedule;__schedule 3"


def test_stackcount_verbose_addresses_and_offsets():
    # stackcount -v: "%-16x " address, then sym+0xOFF (user addresses are shorter, so padded)
    data = b"  ffffffff81234567 submit_bio+0x5\n  7f1234567890     main+0x1c\n    3\n\n"
    assert fold(collapse(data)) == "main;submit_bio 3\n"
    assert fold(collapse(data, offsets=True)) == "main+0x1c;submit_bio+0x5 3\n"


def test_stackcount_without_process_has_no_comm_frame():
    data = b"  submit_bio\n  ext4_io_submit\n    36\n\n  submit_bio\n    2\n"
    assert fold(collapse(data)) == "ext4_io_submit;submit_bio 36\nsubmit_bio 2\n"


def test_offwaketime_waker_on_top_in_microseconds():
    data = b"""Tracing blocked time (us) by kernel off-CPU and waker stack for 5 secs.

    waker:           swapper/0
    ffffffff8137897c blk_mq_complete_request
    ffffffff810b5b12 autoremove_wake_function
    -                -
    ffffffff81785085 schedule
    ffffffff81787e16 io_schedule
    target:          cksum
        56529

"""
    p = collapse(data)
    assert fold(p) == (
        "cksum;io_schedule;schedule;--;autoremove_wake_function;blk_mq_complete_request;swapper/0 56529\n"
    )
    assert p.unit == "microseconds"


def test_offwaketime_026_layout_with_pids_and_delimiters():
    # bcc 0.26 -d: waker user then kernel stack (root first), "--  --", target kernel then user (leaf first)
    data = b"""Tracing blocked time (us) by user + kernel off-CPU and waker stack... Hit Ctrl-C to end.

    waker:           sshd 812
    main
    write
    -
    entry_SYSCALL_64
    pipe_write
    --               --
    schedule
    pipe_read
    -
    read
    main
    target:          cat 900
        77

"""
    expected = "cat;main;read;-;pipe_read;schedule;--;pipe_write;entry_SYSCALL_64;-;write;main;sshd 77\n"
    assert fold(collapse(data)) == expected
    assert fold(collapse(data, pid=True)) == expected.replace("cat;", "cat-900;").replace(";sshd", ";sshd-812")


def test_wakeuptime_and_old_offcputime_shapes():
    wake = b"""Tracing blocked time (us) by kernel stack... Hit Ctrl-C to end.

    target:          vmstat
    ffffffff810df082 hrtimer_wakeup
    ffffffff810df494 __hrtimer_run_queues
    waker:           swapper/1
        4000415

"""
    assert fold(collapse(wake)) == "swapper/1;__hrtimer_run_queues;hrtimer_wakeup;vmstat 4000415\n"
    old = b"""Tracing off-CPU time (us) of all threads by kernel stack... Hit Ctrl-C to end.
^C
    schedule
    do_page_fault
    chmod
        13

"""
    p = collapse(old)
    assert fold(p) == "chmod;do_page_fault;schedule 13\n" and p.unit == "microseconds"


def test_chatter_is_not_a_skip_but_prose_is():
    data = PROFILE_D + b"WARNING: 2 stack traces could not be displayed.\n\nDetaching...\n"
    assert collapse(data).total == 6
    prose = PROFILE_D + b"this is not BCC output\n"
    with pytest.raises(InputError, match=r"t:23: not part of a BCC stack record"):
        collapse(prose, strict=True)
    skips = Skips()
    opts = CollapseOptions(source="t", skips=skips)
    assert COLLAPSER.collapse(io.BytesIO(prose), opts).total == 6
    assert skips.counts == {"t": 1}


def test_interval_timestamps_are_summed():
    data = b"12:00:01\n  submit_bio\n    2\n\n12:00:02\n  submit_bio\n    3\n\n"
    assert fold(collapse(data)) == "submit_bio 5\n"


def test_folded_output_is_read_as_folded():
    data = b"dd;__read;-;vfs_read 3\ndd;__read;-;vfs_read 1\n;a;b 2\n"
    assert fold(collapse(data)) == ";a;b 2\ndd;__read;-;vfs_read 4\n"


def test_crlf_input():
    assert fold(collapse(PROFILE_D.replace(b"\n", b"\r\n"))) == fold(collapse(PROFILE_D))


# -- real captures (tests/golden/bcc/README.md) --------------------------------------

CAPTURES = ["profile_both.default", "profile_both.folded", "profile_both_d.default", "profile_both_d.folded",
            "stackcount", "stackcount_Pd", "stackcount_Pdf"]


@pytest.mark.parametrize("name", CAPTURES)
def test_capture_golden(name):
    got = load(str(BCC / f"{name}.txt"), "auto", CollapseOptions(skips=Skips(strict=True)))
    assert fold(got) == (BCC / f"{name}.folded").read_text()


@pytest.mark.parametrize("name", ["profile_both", "profile_both_d"])
def test_default_and_folded_print_of_one_capture_are_the_same_profile(name):
    # BCC's profile printed ONE capture both ways (src/profile_both.py)
    default = load(str(BCC / f"{name}.default.txt"), "bcc")
    fold_f = load(str(BCC / f"{name}.folded.txt"), "bcc")
    assert default.stacks == fold_f.stacks
    assert default.total == fold_f.total > 100


def test_stackcount_conserves_counts():
    text = (BCC / "stackcount_Pd.txt").read_bytes()
    expected = sum(int(x) for x in re.findall(rb"(?m)^    (\d+)$", text))
    assert collapse(text).total == expected


# -- the shared corpus --------------------------------------------------------------

MULTILINE = ["b01_profile_default_cpuburn.txt", "b02_profile_default_dd_kernel_user.txt",
             "b03_profile_delimited_dd.txt", "b07_profile_kernel_only.txt", "b08_profile_user_only_cpp.txt",
             "b12_stackcount_sched_switch.txt", "b13_stackcount_P_sched_switch.txt"]


@pytest.mark.parametrize("name", MULTILINE)
def test_corpus_weights_conserved(name):
    text = corpus_path("formats", "bcc", name).read_bytes()
    counts = sum(int(x) for x in re.findall(rb"(?m)^ {4,8}(\d+)$", text))
    assert collapse(text, strict=True).total == counts > 0


def test_corpus_delimited_profile_matches_the_folded_layout():
    p = collapse(corpus_path("formats", "bcc", "b03_profile_delimited_dd.txt").read_bytes())
    assert p.stacks[("dd", "__read", "-", "entry_SYSCALL_64_after_hwframe", "do_syscall_64", "ksys_read",
                     "vfs_read", "read_zero", "read_zero")] >= 1
    assert all(s[0] == "dd" for s in p.stacks)


def test_corpus_stackcount_pid_bytes_repr():
    p = collapse(corpus_path("formats", "bcc", "b13_stackcount_P_sched_switch.txt").read_bytes())
    roots = {s[0] for s in p.stacks}
    assert {"python3", "cppburn", "dd"} <= roots
    assert not any(r.startswith("b'") for r in roots)


@pytest.mark.parametrize(("tool", "unit", "indent"), [
    ("profile", "samples", 8), ("offcputime", "microseconds", 8), ("offwaketime", "microseconds", 8),
    ("wakeuptime", "microseconds", 8), ("stackcount", "count", 4)])
def test_corpus_upstream_examples_keep_every_record(tool, unit, indent):
    # bcc's own example files: prose around real reports (one record even runs into a "[...]"
    # line); prose is skipped and reported, every record is kept
    text = corpus_path("formats", "bcc", f"bcc_{tool}_example.txt").read_bytes()
    skips = Skips()
    p = COLLAPSER.collapse(io.BytesIO(text), CollapseOptions(source="t", skips=skips))
    assert p.unit == unit
    assert p.total == sum(int(x) for x in re.findall(rb"(?m)^ {%d}(\d+)$" % indent, text))
    assert skips.total > 0


def test_records_not_parted_by_blank_lines():
    data = PROFILE_D.replace(b"        2\n\n", b"        2\n[...]\n")
    skips = Skips()
    p = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=skips))
    assert fold(p) == fold(collapse(PROFILE_D))
    assert skips.total == 0  # "[...]" is the examples' own elision mark


def test_corpus_empty_capture():
    p = collapse(corpus_path("formats", "bcc", "b17_stackcount_uprobe_malloc_cpp.txt").read_bytes())
    assert p.stacks == {} and p.unit == "count"


# -- properties ----------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_only_raise_input_error(data):
    for strict in (False, True):
        try:
            collapse(data, strict=strict)
        except InputError:
            pass


FRAME = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                                       blacklist_characters=";[]()"), min_size=1, max_size=8).filter(
    lambda f: not f.startswith(("-", "waker:", "target:")))
RECORD = st.tuples(st.lists(FRAME, min_size=0, max_size=5), st.lists(FRAME, min_size=1, max_size=5),
                   st.sampled_from(["dd", "my app", "kworker/0:1"]), st.integers(1, 10**6))


@settings(max_examples=80, deadline=None)
@given(st.lists(RECORD, min_size=1, max_size=8), st.booleans())
def test_generated_profile_reports_fold_back_exactly(records, delimited):
    out = [b"Sampling at 49 Hertz of all threads by user + kernel stack for 1 secs.\n\n"]
    expected: dict[tuple[str, ...], int] = {}
    for kernel, user, comm, count in records:
        lines = [f"    {f}" for f in kernel]
        if delimited and kernel:
            lines.append("    --")
        lines += [f"    {f}" for f in user]
        lines.append(f"    {'-':<16} {comm} (42)")
        out.append(("\n".join(lines) + f"\n        {count}\n\n").encode("utf-8", "surrogateescape"))
        stack = (comm, *reversed(user), *(["-"] if delimited and kernel else []), *reversed(kernel))
        expected[stack] = expected.get(stack, 0) + count
    p = collapse(b"".join(out))
    assert p.stacks == expected
    assert p.total == sum(r[3] for r in records)
