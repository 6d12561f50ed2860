"""ftrace function_graph collapser: hand-written cases (tests/golden/ftrace,
each explained in its README), the public samples of the shared corpus, and
properties: any bytes only raise InputError, and a generated call tree comes
back exactly, with durations conserved under the self-time rule."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, detect
from flamekit.collapse.ftrace import COLLAPSER
from flamekit.errors import InputError, Skips
from flamekit.profile import Profile

from conftest import GOLDEN, corpus_path

FT = GOLDEN / "ftrace"


def collapse(data: bytes, strict: bool = False, **params) -> Profile:
    opts = CollapseOptions(source="t", skips=Skips(strict=strict), params=params)
    return COLLAPSER.collapse(io.BytesIO(data), opts)


def fold(p: Profile) -> str:
    return folded.dumps(p).decode()


# -- hand-written cases with exact expectations --------------------------------

def _golden_cases() -> list[tuple[str, str, dict]]:
    cases = []
    for exp in sorted(FT.glob("fgraph_*.folded")):
        stem, *opts = exp.name[: -len(".folded")].split(".")
        params = {o.replace("-", "_"): True for o in opts}
        cases.append((stem + ".txt", exp.name, params))
    return cases


@pytest.mark.parametrize(("trace", "expected", "params"), _golden_cases())
def test_golden_function_graph(trace, expected, params):
    got = collapse((FT / trace).read_bytes(), strict=True, **params)
    assert fold(got) == (FT / expected).read_text()
    assert got.unit == "nanoseconds"


def test_interleaved_cpus_weight_modes():
    data = (FT / "fgraph_interleaved_cpus.txt").read_bytes()
    assert fold(collapse(data, weight="total")) == (
        "sys_read;vfs_read;rw_verify_area 1500\nsys_write;vfs_write 2000\n"
    )
    calls = collapse(data, weight="calls")
    assert calls.unit == "calls"
    assert fold(calls) == (
        "sys_read 1\nsys_read;vfs_read 1\nsys_read;vfs_read;rw_verify_area 1\nsys_write 1\nsys_write;vfs_write 1\n"
    )
    assert fold(collapse(data, per_cpu=True)).splitlines()[0] == "CPU 0;sys_read 6000"


def test_banners_keep_tasks_apart_without_per_task():
    got = collapse((FT / "fgraph_banners_switch_midcall.txt").read_bytes())
    assert fold(got) == "do_work 2000\ndo_work;compute 4000\nsys_nanosleep 1000\nsys_nanosleep;schedule 500000\n"


def test_lost_events_reset_the_cpu_and_are_counted():
    got = collapse((FT / "fgraph_lost_events.txt").read_bytes())
    assert got.meta["lost_events"] == "42"
    assert got.meta["unclosed"] == "1"  # foo() never closed


def test_tracecmd_other_events_are_counted_not_skipped():
    got = collapse((FT / "fgraph_tracecmd_report.txt").read_bytes(), strict=True)
    assert got.meta["events"] == "1"
    assert fold(got) == "do_IRQ 35817\ndo_IRQ;irq_enter 541\nsys_read 1750\nsys_read;vfs_read 2250\n"


def test_tracecmd_latency_layout_and_instance_prefix():
    data = (b"cpus=2\n"
            b"inst:   bash-4242    1d..2. 10.000001: funcgraph_entry:                  |  sys_read() {\n"
            b"inst:   bash-4242    1d..2. 10.000002: funcgraph_entry:        2.250 us   |    vfs_read();\n"
            b"inst:   bash-4242    1d..2. 10.000003: funcgraph_exit:         4.000 us   |  } /* sys_read */\n")
    got = collapse(data, strict=True, per_task=True, per_cpu=True)
    assert fold(got) == "CPU 1;bash-4242;sys_read 1750\nCPU 1;bash-4242;sys_read;vfs_read 2250\n"


def test_nofuncgraph_duration_layout_counts_calls_per_cpu():
    data = b"# tracer: function_graph\n 1) do_sys_open() {\n 1)   getname();\n 0) vfs_read() {\n 1) }\n 0) }\n"
    got = collapse(data, strict=True, per_cpu=True)
    assert got.unit == "calls"
    assert fold(got) == "CPU 0;vfs_read 1\nCPU 1;do_sys_open 1\nCPU 1;do_sys_open;getname 1\n"


def test_nofuncgraph_cpu_layout():
    data = b"  0.541 us    |  foo();\n              |  bar() {\n  1.000 us    |    baz();\n  3.000 us    |  }\n"
    assert fold(collapse(data, strict=True)) == "bar 2000\nbar;baz 1000\nfoo 541\n"


def test_exit_naming_another_function_is_counted():
    got = collapse(b" 0)               |  a() {\n 0)   1.000 us    |  } /* b */\n")
    assert got.stacks == {("a",): 1000}
    assert got.meta["mismatched"] == "1"


def test_unclosed_entries_at_eof_weigh_nothing():
    got = collapse(b" 0)               |  a() {\n 0)   1.000 us    |    b();\n")
    assert fold(got) == "a;b 1000\n"
    assert got.meta["unclosed"] == "1"


def test_children_exceeding_parent_clamp_to_zero():
    # printed durations are truncated: children may sum above their parent
    got = collapse(b" 0)               |  a() {\n 0)   2.000 us    |    b();\n 0)   1.999 us    |  }\n")
    assert fold(got) == "a;b 2000\n"
    assert got.meta["clamped"] == "1"


def test_garbage_line_is_skipped_or_strict_error():
    data = b" 0)   1.000 us    |  a();\nthis is not ftrace\n"
    sk = Skips()
    got = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t", skips=sk))
    assert fold(got) == "a 1000\n" and sk.counts == {"t": 1}
    with pytest.raises(InputError) as e:
        collapse(data, strict=True)
    assert e.value.line == 2


def test_nothing_recognized_is_an_input_error():
    with pytest.raises(InputError, match="no function_graph records"):
        collapse(b"hello\nworld\n")


def test_weight_period_is_refused():
    from flamekit.errors import UsageError

    with pytest.raises(UsageError):
        collapse(b" 0)   1.000 us    |  a();\n", weight="period")


def test_non_utf8_names_survive():
    got = collapse(b" 0)   1.000 us    |  caf\xe9();\n")
    assert folded.dumps(got) == b"caf\xe9 1000\n"


# -- the public samples (read in place from ../shared/corpus) ------------------

def _corpus(name: str) -> bytes:
    return corpus_path("formats", "ftrace", *name.split("/")).read_bytes()


def test_kerneldoc_basic_sample_exact():
    got = collapse(_corpus("kerneldoc/fgraph_basic_header_cpu_duration.txt"), strict=True)
    assert fold(got) == (
        "sys_open;do_sys_open;alloc_fd;_spin_lock 668\n"
        "sys_open;do_sys_open;alloc_fd;_spin_unlock 586\n"
        "sys_open;do_sys_open;alloc_fd;expand_files 570\n"
        "sys_open;do_sys_open;getname 1591\n"
        "sys_open;do_sys_open;getname;kmem_cache_alloc 1096\n"
        "sys_open;do_sys_open;getname;kmem_cache_alloc;__might_sleep 1382\n"
        "sys_open;do_sys_open;getname;strncpy_from_user 1254\n"
        "sys_open;do_sys_open;getname;strncpy_from_user;might_fault 1164\n"
        "sys_open;do_sys_open;getname;strncpy_from_user;might_fault;__might_sleep 1389\n"
    )


def test_tail_and_notail_give_the_same_stacks():
    tail = collapse(_corpus("kerneldoc/fgraph_tail.txt"), strict=True)
    notail = collapse(_corpus("kerneldoc/fgraph_notail_default.txt"), strict=True)
    assert fold(tail) == fold(notail) == (
        "[unknown];[unknown];putname 1104\n"
        "[unknown];[unknown];putname;kmem_cache_free 1239\n"
        "[unknown];[unknown];putname;kmem_cache_free;__phys_addr 518\n"
    )


def test_retval_comments_are_not_names():
    got = collapse(_corpus("kerneldoc/fgraph_retval.txt"), strict=True)
    assert got.stacks[("[unknown]", "cgroup_migrate")] == 7143 - 651 - 4369
    assert got.stacks[("[unknown]", "cgroup_migrate", "cgroup_migrate_execute", "cpu_cgroup_can_attach",
                       "cgroup_taskset_first")] == 1232 - 732


def test_trace_printk_comment_is_not_a_frame():
    got = collapse(_corpus("kerneldoc/fgraph_trace_printk_comment.txt"), strict=True)
    assert got.stacks == {("[unknown]",) * 5 + ("__might_sleep",): 1449}


def test_proc_column_names_tasks():
    got = collapse(_corpus("kerneldoc/fgraph_proc_column.txt"), strict=True, per_task=True)
    assert {s[0] for s in got.stacks} == {"sh-4802"}
    assert got.stacks[("sh-4802",) + ("[unknown]",) * 8 + ("d_free", "call_rcu", "__call_rcu",
                                                             "rcu_process_gp_end")] == 616


def test_overhead_markers_and_interleaved_cpus():
    got = collapse(_corpus("kerneldoc/fgraph_overhead_markers_and_cpu_interleave.txt"), per_cpu=True)
    # '$ 3594274 us' closes CPU 2's handle_IPI caller: 3594274 µs minus its 3.490 µs child
    assert got.stacks[("CPU 2", "[unknown]")] == 3594274000 - 3490
    # '@ 119760.2 us' on CPU 1, children 457.395 µs
    assert got.stacks[("CPU 1", "[unknown]")] == 119760200 - 457395
    # CPU 3 starts with exits only: each named exit names the placeholder it closes
    assert got.stacks[("CPU 3", "schedule_preempt_disabled", "schedule", "__schedule", "__schedule",
                       "finish_task_switch")] == 3177 - 313
    # the doc's '! 140.417 us' __schedule has a 1889.063 us child (time asleep): clamped to 0, counted
    assert got.meta["clamped"] == "1"


def test_irq_markers_nest_the_handler_under_the_interrupted_call():
    got = collapse(_corpus("public/fgraph_module_irq_head_barrysong_proc_example.txt"), strict=True)
    assert got.stacks[("test_proc_show [proc]", "kill_time [proc]", "delay_tsc", "smp_apic_timer_interrupt",
                       "irq_enter", "rcu_irq_enter")] == 105


def test_truncated_start_irq_exit_sample():
    got = collapse(_corpus("public/fgraph_truncated_start_irq_exit_barrysong_proc_example_tail.txt"), strict=True)
    # the trace starts 6 levels deep: the first frame sits under 6 placeholders ...
    assert got.stacks[("[unknown]",) * 6 + ("rcu_process_callbacks", "cpu_needs_another_gp")] == 514 + 159
    # ... and the exits that close those placeholders carry the durations of their subtrees
    assert got.stacks[("[unknown]", "seq_printf", "seq_vprintf")] == 1525
    assert got.stacks[("[unknown]", "seq_printf")] == 2017 - 1525
    assert got.stacks[("[unknown]",)] == 3975158 - 3971558 - 2017
    assert got.total == 3975158  # the outermost exit covers everything


def test_console_dump_prefix_and_banner():
    got = collapse(_corpus("public/fgraph_ftrace_dump_console_dmesg_prefix_lkml_excerpt.txt"), per_task=True)
    assert got.stacks[("migrati-29", "migration_cpu_stop", "sched_ttwu_pending")] == 114
    # lines before the banner belong to the task the banner switches away from
    assert got.stacks[("rcu_tor-126",) + ("[unknown]",) * 3 + ("_cond_resched", "rcu_note_context_switch",
                                                              "rcu_qs")] == 111


def test_ftscope_multitask_tail_names_placeholders():
    got = collapse(_corpus("public/ftscope-05-multitask-noproc.head.trace"), strict=True)
    assert ("[unknown]",) * 6 + ("exit_mmap", "tear_down_vmas", "remove_vma", "vm_area_free", "kfree") in got.stacks
    assert got.stacks[("[unknown]",) * 6 + ("exit_mmap",)] > 4_000_000


def test_ftscope_everything_args_and_return_addresses():
    got = collapse(_corpus("public/ftscope-04-graph-everything.head.trace"), strict=True)
    assert got.stacks[("__x64_sys_dup2", "ksys_dup3", "do_dup2", "filp_close", "filp_flush",
                       "dnotify_flush")] == 161
    assert got.stacks[("mutex_unlock",)] == 1062


def test_ftscope_bare_layout_counts_calls():
    got = collapse(_corpus("public/ftscope-04-graph-bare.head.trace"), strict=True)
    assert got.unit == "calls"
    assert got.stacks[("__x64_sys_dup2", "ksys_dup3", "do_dup2", "filp_close", "fput_close", "__fput_deferred",
                       "task_work_add", "kick_process")] == 1


def test_funcslower_exit_only_examples():
    data = _corpus("public/perftools_funcslower_example.txt")
    got = collapse(data)
    assert set(got.stacks) == {("ext3_readpages",), ("sys_nanosleep",)}
    # every exit is a call of its own: the total is the sum of all printed durations (µs → ns)
    durations = re.findall(rb"([\d.]+) us +\|", data)
    assert len(durations) == 18
    assert got.total == sum(_ns(d) for d in durations)


def _ns(us: bytes) -> int:
    whole, _, frac = us.decode().partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


@pytest.mark.parametrize("name", [
    "kerneldoc/fgraph_basic_header_cpu_duration.txt",
    "kerneldoc/fgraph_abstime_column.txt",
    "kerneldoc/fgraph_proc_column.txt",
    "kerneldoc/fgraph_overhead_markers_and_cpu_interleave.txt",
    "public/fgraph_irq_markers_ext4_module_liaozhaoyan_testFlame.txt",
    "public/fgraph_events_as_comments_banners_rpi_small.txt",
    "public/fgraph_ftrace_dump_console_dmesg_prefix_lkml_excerpt.txt",
    "public/ftscope-04-graph-rich.head.trace",
    "public/ftscope-05-multitask-noproc.head.trace",
    "public/perftools_funcgraph_example.txt",
])
def test_corpus_samples_detected_as_function_graph(name):
    assert detect(_corpus(name)[:8192]).name == "ftrace"


@pytest.mark.parametrize("name", ["fgraph_interleaved_cpus.txt", "fgraph_tracecmd_report.txt",
                                  "fgraph_lost_events.txt", "fgraph_thresh_exit_only.txt"])
def test_golden_detected_as_function_graph(name):
    assert COLLAPSER.detect((FT / name).read_bytes()) is True


@pytest.mark.parametrize("name", [
    "public/ftscope-02-function-default.head.trace",
    "public/perftools_functrace_example.txt",
    "public/perftools_kprobe_example.txt",
    "tracefs_sched_switch_stacktrace_trigger.txt",
    "trace-cmd/tc_report_default_sched_stacktrace.txt",
])
def test_other_ftrace_outputs_are_not_function_graph(name):
    assert COLLAPSER.detect(_corpus(name)[:8192]) is False


def test_output_is_independent_of_hash_seed():
    path = FT / "fgraph_proc_abstime_irq_tail.txt"
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "--format", "ftrace", "--per-task",
                            str(path)], capture_output=True, env=env, check=True)
        outs.add(r.stdout)
    assert len(outs) == 1


# -- properties -----------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_input_error(data):
    for strict in (False, True):
        try:
            collapse(data, strict=strict)
        except InputError:
            pass


_line = st.sampled_from([
    b" 0)               |  a() {", b" 1)   1.000 us    |    b();", b" 0) + 12.5 us     |  } /* a */",
    b" 0)   sh-1   =>   cat-2  ", b"CPU:1 [LOST 3 EVENTS]", b"  9.1 |  0) x-1 | 1.0 us |  }", b" ---------",
    b"   ==========> |", b"  }", b"f();", b" 2) \xff\xfe() {", b"", b"#", b"  bash-1 [000] 1.0: funcgraph_exit: 1 us |  }",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_line, st.binary(max_size=30)), max_size=30))
def test_near_miss_lines_only_raise_input_error(lines):
    try:
        p = collapse(b"\n".join(lines), weight="total")
    except InputError:
        return
    assert all(w > 0 for w in p.stacks.values())


# a call tree: (name, self ns, children)
_names = st.sampled_from(["f", "g", "h", "do_sys_open", "kmem_cache_alloc.isra.0", "ext4_map [ext4]", "x1"])


def _tree(depth: int = 0) -> st.SearchStrategy:
    if depth >= 4:
        return st.tuples(_names, st.integers(0, 5_000_000), st.just(()))
    return st.tuples(_names, st.integers(0, 5_000_000),
                     st.lists(st.deferred(lambda: _tree(depth + 1)), max_size=3).map(tuple))


def _dur(node) -> int:
    return node[1] + sum(_dur(c) for c in node[2])


def _us(ns: int) -> str:
    return f"{ns // 1000}.{ns % 1000:03d}"


def _mark(ns: int) -> str:
    for limit, m in ((1_000_000_000, "$"), (100_000_000, "@"), (10_000_000, "*"), (1_000_000, "#"),
                     (100_000, "!"), (10_000, "+")):
        if ns > limit:
            return m
    return " "


def _render(node, depth: int, tail: bool, empty_pair: bool) -> list[tuple[str, str]]:
    """(duration column, body) pairs for one call and its subtree."""
    name, _self, children = node
    ind = "  " * depth
    d = _dur(node)
    dcol = f"{_mark(d)}{_us(d):>9} us "
    if not children and not empty_pair:
        return [(dcol, f"{ind}{name}();")]
    out = [(" " * 14, f"{ind}{name}() {{")]
    for c in children:
        out += _render(c, depth + 1, tail, empty_pair)
    out.append((dcol, f"{ind}}}" + (f" /* {name.split(' ')[0]} */" if tail else "")))
    return out


def _expected(node, prefix, mode, out):
    name, self_ns, children = node
    path = prefix + (name,)
    if mode == "self":
        w = self_ns
    elif mode == "total":
        w = 0 if children else _dur(node)
    else:
        w = 1
    if w:
        out[path] = out.get(path, 0) + w
    for c in children:
        _expected(c, path, mode, out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    forests=st.lists(st.lists(_tree(), min_size=1, max_size=3), min_size=1, max_size=3),
    order=st.randoms(use_true_random=False),
    proc=st.booleans(), abstime=st.booleans(), tail=st.booleans(), empty_pair=st.booleans(),
    mode=st.sampled_from(["self", "total", "calls"]),
)
def test_generated_call_trees_come_back_exactly(forests, order, proc, abstime, tail, empty_pair, mode):
    # one forest per CPU, each CPU running its own task; CPUs interleave line by line
    per_cpu_lines = []
    for cpu, forest in enumerate(forests):
        lines = []
        for tree in forest:
            for dcol, body in _render(tree, 0, tail, empty_pair):
                cols = f"{cpu:2d}) "
                if proc:
                    cols += f" t{cpu}-{100 + cpu:<5} | "
                lines.append(f"{cols}{dcol}|  {body}")
        per_cpu_lines.append(lines)
    merged, heads = [], [0] * len(per_cpu_lines)
    while any(h < len(ls) for h, ls in zip(heads, per_cpu_lines)):
        cpu = order.choice([c for c, ls in enumerate(per_cpu_lines) if heads[c] < len(ls)])
        line = per_cpu_lines[cpu][heads[cpu]]
        heads[cpu] += 1
        if abstime:
            line = f"{1000 + len(merged) / 1e6:12.6f} | {line}"
        merged.append(line)
    data = ("# tracer: function_graph\n#\n" + "\n".join(merged) + "\n").encode()
    got = collapse(data, strict=True, weight=mode, per_cpu=True)
    expected: dict = {}
    for cpu, forest in enumerate(forests):
        for tree in forest:
            _expected(tree, (f"CPU {cpu}",), mode, expected)
    assert got.stacks == expected
    if mode == "self":  # conservation: the roots' durations, all of them, and nothing else
        assert got.total == sum(_dur(t) for forest in forests for t in forest)
