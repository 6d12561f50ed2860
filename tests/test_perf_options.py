"""perf script collapser behaviours, each on a small inline input."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flamekit import folded
from flamekit.collapse import CollapseOptions, load
from flamekit.collapse._perf_frames import cut_args_bracket_aware
from flamekit.collapse.perf import COLLAPSER
from flamekit.errors import InputError, Skips, UsageError

from conftest import require_tool

EXITED = (b"bash  1200 [000]   323.55: 333444 cpu-clock:ppp: \n"
          b"\tffffffff8101 do_exit+0x1 ([kernel.kallsyms])\n\n"
          b":-1    -1 [001]   323.554347:     333444 cpu-clock:ppp: \n"
          b"\tffffffff8102 finish_task_switch+0x2 ([kernel.kallsyms])\n"
          b"\tffffffff8103 schedule+0x3 ([kernel.kallsyms])\n\n")


def fold(data: bytes, skips: Skips | None = None, **params: object) -> bytes:
    opts = CollapseOptions(source="t.perf", skips=skips or Skips(), params=dict(params))
    return folded.dumps(COLLAPSER.collapse(io.BytesIO(data), opts))


def test_exited_task_root_like_the_perl_script_by_default() -> None:
    assert fold(EXITED) == (b":-1____-1_[001]___323.554347:;schedule;finish_task_switch 333444\n"
                            b"bash;do_exit 333444\n")


def test_exited_as_names_the_root() -> None:
    assert fold(EXITED, exited_as="[exited]") == (b"[exited];schedule;finish_task_switch 333444\n"
                                                  b"bash;do_exit 333444\n")


def test_exited_as_applies_on_the_line_by_line_path_too() -> None:
    # a comment line makes the record go through the reference state machine
    data = EXITED.replace(b":-1    -1", b"# note\n:-1    -1")
    assert fold(data, exited_as="[exited]") == fold(EXITED, exited_as="[exited]")


LAST = b"app 1 1.0: 5 cycles: \n\t1 f (x)\n\napp 1 2.0: 7 cycles: \n\t2 g (x)\n"


def test_unterminated_last_sample_dropped_and_reported() -> None:
    skips = Skips()
    assert fold(LAST, skips) == b"app;f 5\n"
    assert skips.total == 1 and "--keep-last-sample" in skips.messages()[0]


def test_keep_last_sample_counts_it() -> None:
    assert fold(LAST, keep_last_sample=True) == b"app;f 5\napp;g 7\n"


def test_strict_makes_the_dropped_last_sample_an_error() -> None:
    with pytest.raises(InputError, match="last sample"):
        fold(LAST, Skips(strict=True))


TWO_EVENTS = (b"prog 1 1.0: 10 cycles: \n\t1 f (x)\n\n"
              b"prog 1 1.1: 3 instructions: \n\t1 g (x)\n\n"
              b"prog 1 1.2: 20 cycles: \n\t1 f (x)\n\n")


def test_only_the_first_event_is_kept_and_the_rest_reported() -> None:
    skips = Skips()
    opts = CollapseOptions(source="t.perf", skips=skips)
    p = COLLAPSER.collapse(io.BytesIO(TWO_EVENTS), opts)
    assert folded.dumps(p) == b"prog;f 30\n" and p.event == "cycles" and p.unit == "period"
    assert skips.counts == {"t.perf": 1} and "'instructions'" in skips.messages()[0]


def test_the_report_names_the_first_other_event_and_its_line(tmp_path) -> None:
    """Not the last one seen: the record fast path used to overwrite it (it had no line to remember)."""
    data = TWO_EVENTS + b"prog 1 1.3: 4 branch-misses: \n\t1 h (x)\n\n"
    skips = Skips()
    COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t.perf", skips=skips))
    assert skips.messages() == ["skipped 2 lines of t.perf (first at t.perf:4: sample of event 'instructions': "
                                "only the first event seen, 'cycles', is kept (choose with --event-filter))"]
    f = tmp_path / "r.perf.txt"
    f.write_bytes(data * 40_000)  # large enough for two processes
    for jobs in (1, 2):
        skips = Skips()
        load(str(f), "perf", CollapseOptions(skips=skips, params={"jobs": jobs}))
        assert skips.messages() == [f"skipped 80000 lines of {f} (first at {f}:4: sample of event 'instructions': "
                                    "only the first event seen, 'cycles', is kept (choose with --event-filter))"]


def test_event_filter_chooses_and_accepts_the_name_without_modifiers() -> None:
    assert fold(TWO_EVENTS, event_filter="instructions") == b"prog;g 3\n"
    assert fold(TWO_EVENTS.replace(b"cycles:", b"cycles:ppp:"), event_filter="cycles") == b"prog;f 30\n"


def test_weight_samples_counts_samples() -> None:
    assert fold(TWO_EVENTS, weight="samples") == b"prog;f 2\n"


def test_units_follow_the_event_and_period() -> None:
    cpu = b"prog 1 1.0: 250000 cpu-clock: \n\t1 f (x)\n\n"
    no_period = b"prog 1 1.0: cpu-clock: \n\t1 f (x)\n\n"
    assert load_bytes(cpu).unit == "nanoseconds"
    assert load_bytes(no_period).unit == "samples" and load_bytes(no_period).total == 1
    with pytest.raises(InputError, match="no period"):
        load_bytes(no_period, weight="period")


def load_bytes(data: bytes, **params: object):
    return COLLAPSER.collapse(io.BytesIO(data), CollapseOptions(source="t.perf", params=dict(params)))


def test_zero_frame_sample_is_its_comm_alone() -> None:
    assert fold(b"idle 0 1.0: 3 cpu-clock: \n\n") == b"idle 3\n"


def test_unrecognized_line_is_a_skip_with_its_line_number() -> None:
    skips = Skips()
    assert fold(b"prog 1 1.0: 1 c: \n\t1 f (x)\nTHIS_IS_A_WEIRD_LINE\n\n", skips) == b"prog;f 1\n"
    assert skips.first == {"t.perf": (3, "unrecognized line")}


def test_srcline_lines_are_appended_to_their_frames() -> None:
    data = (b"a.out 35081 252436.005167:     667783 cycles: \n"
            b"\t          408ebb some_method_name+0x8b (/full/path/to/a.out)\n"
            b"  uniform_int_dist.h:300\n"
            b"\t          4069f5 main+0x935 (/full/path/to/a.out)\n"
            b"  file.cpp:137\n"
            b"\t    7f6d2148eb25 __libc_start_main+0xd5 (/lib64/libc-2.33.so)\n"
            b"  libc-2.33.so[27b25]\n"
            b"\t    7ffc71ee9580 [unknown] ([unknown])\n\n")
    assert fold(data, srcline=True) == (b"a.out;[unknown];__libc_start_main:libc-2.33.so;main:file.cpp:137;"
                                        b"some_method_name:uniform_int_dist.h:300 667783\n")


@pytest.mark.parametrize(("name", "cut"), [
    ("std::_Function_handler<long (int), run(double)::{lambda(int)#1}>::_M_invoke(std::_Any_data const&, int&&)",
     "std::_Function_handler<long (int), run(double)::{lambda(int)#1}>::_M_invoke"),
    ("main::{lambda(int)#1}::operator()(int) const", "main::{lambda(int)#1}::operator()"),
    ("std::ostream::operator<<(int)", "std::ostream::operator<<"),
    ("(anonymous namespace)::hidden_work(long)", "(anonymous namespace)::hidden_work"),
    ("plain", "plain"),
    ("f(int)", "f"),
])
def test_bracket_aware_cut(name: str, cut: str) -> None:
    assert cut_args_bracket_aware(name) == cut


def test_bracket_aware_args_keeps_operator_arrow_whole() -> None:
    data = b"java_app 1 1.0: 1 c: \n\t1 std::unique_ptr<A>::operator->() const (x)\n\n"
    assert fold(data) == b"java_app;std::unique_ptr<A>::operator;_[i] 1\n"
    assert fold(data, bracket_aware_args=True) == b"java_app;std::unique_ptr<A>::operator-> 1\n"


def test_inline_and_srcline_together_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        fold(b"prog 1 1.0: 1 c: \n\t1 f (x)\n\n", inline=True, srcline=True)


def test_inline_names_frames_with_addr2line(tmp_path: Path) -> None:
    require_tool("addr2line", "binutils")
    gcc = require_tool("gcc")
    src = tmp_path / "prog.c"
    src.write_text("int work(int x) { return x * 3; }\nint main(void) { return work(2); }\n")
    exe = tmp_path / "prog"
    subprocess.run([gcc, "-O0", "-g", "-o", str(exe), str(src)], check=True)
    nm = subprocess.run(["nm", str(exe)], capture_output=True, text=True, check=True).stdout
    addr = next(line.split()[0] for line in nm.splitlines() if line.endswith(" work"))
    data = f"prog 7 1.0: 1 cycles: \n\t{addr} [unknown] ({exe})\n\t0 [unknown] (/no/such/lib.so)\n\n".encode()
    assert fold(data, inline=True) == b"prog;[lib.so];work 1\n"
    assert fold(data, inline=True, context=True) == b"prog;[lib.so];work:prog.c:1 1\n"
    # addr2line answers ?? for address 0: the symbol's nm address plus the offset is tried next
    fallback = f"prog 7 1.0: 1 cycles: \n\t0 work+0x4 ({exe})\n\n".encode()
    assert fold(fallback, inline=True, context=True) == b"prog;work:prog.c:1 1\n"
    unknown = fallback.replace(b"\t0 work+0x4", b"\t00 nosuch+0x4")  # answers are cached per (dso, pc)
    assert fold(unknown, inline=True, context=True) == b"prog;nosuch 1\n"


def test_perf_data_is_read_through_perf_script(tmp_path: Path) -> None:
    perf = require_tool("perf", "linux-perf")
    data = tmp_path / "perf.data"
    rec = subprocess.run([perf, "record", "-q", "-g", "-F", "499", "-o", str(data), "--",
                          sys.executable, "-c", "sum(i * i for i in range(2_000_000))"], capture_output=True)
    if rec.returncode != 0:
        pytest.skip(f"perf record cannot run here: {rec.stderr.decode(errors='replace')[-200:]}")
    text = subprocess.run([perf, "script", "-i", str(data)], capture_output=True, check=True).stdout
    via_text = fold(text)
    assert via_text
    assert folded.dumps(load(str(data))) == via_text
    cli = subprocess.run([sys.executable, "-m", "flamekit", "collapse", "-q", "-"], input=data.read_bytes(),
                         capture_output=True)
    assert cli.returncode == 0 and cli.stdout == via_text


def test_perf_data_without_perf_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "perf.data"
    data.write_bytes(b"PERFILE2" + bytes(200))
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "perf" else real_which(name))
    with pytest.raises(UsageError, match="apt-get install linux-perf"):
        load(str(data))


class _NamesByAddress:
    """A stand-in resolver: names an [unknown] frame after its address and DSO."""

    def resolve(self, module: str, address: int, kind: str) -> str:
        return f"fn_{address:x}@{module.rsplit('/', 1)[-1]}_{kind}"


def test_unknown_frames_go_to_the_resolver_in_both_processes(tmp_path: Path) -> None:
    rec = b"app 7 1.0: 1 cycles: \n\t4005d0 [unknown] (/opt/app)\n\t4004a0 main (/opt/app)\n\n"
    f = tmp_path / "r.perf.txt"
    f.write_bytes(rec * 200)
    outs = []
    for jobs in (1, 2):
        opts = CollapseOptions(skips=Skips(), resolver=_NamesByAddress(), params={"jobs": jobs})
        outs.append(folded.dumps(load(str(f), "perf", opts)))
    assert outs[0] == outs[1] == b"app;main;fn_4005d0@app_perf 200\n"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_bad_line_in_the_second_half_is_reported_at_its_true_line(tmp_path: Path, jobs: int) -> None:
    rec = b"app 7 1.0: 1 cycles: \n\t4004a0 main (/opt/app)\n\n"
    f = tmp_path / "r.perf.txt"
    f.write_bytes(rec * 100 + b"app 7 1.0: 1 cycles: \n\tGARBAGE\n\n" + rec * 10)
    skips = Skips()
    p = load(str(f), "perf", CollapseOptions(skips=skips, params={"jobs": jobs}))
    assert p.total == 111 and skips.first == {str(f): (302, "unrecognized line")}
    with pytest.raises(InputError, match=r":302: unrecognized line"):
        load(str(f), "perf", CollapseOptions(skips=Skips(strict=True), params={"jobs": jobs}))


def test_verbose_reports_the_cpu_seconds_of_each_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = b"app 7 1.0: 1 cycles: \n\t4004a0 main (/opt/app)\n\n"
    f = tmp_path / "r.perf.txt"
    f.write_bytes(rec * 100)
    p = load(str(f), "perf", CollapseOptions(skips=Skips(), verbose=True, params={"jobs": 2}))
    assert p.total == 100
    err = capsys.readouterr().err
    assert re.search(r"perf folded by 2 processes: bytes 0-\d+ in [\d.]+ CPU-s, the rest in [\d.]+ CPU-s", err)
    load(str(f), "perf", CollapseOptions(skips=Skips(), params={"jobs": 2}))
    assert capsys.readouterr().err == ""


def test_line_numbers_stay_right_after_several_records_went_to_the_state_machine() -> None:
    rec = b"app 7 1.0: 1 cycles: \n\t4004a0 main (/opt/app)\n\n"
    commented = b"app 7 1.0: 1 cycles: \n# a comment\n\t4004a0 main (/opt/app)\n\n"  # 4 lines
    bad = b"app 7 1.0: 1 cycles: \n\tGARBAGE\n\n"
    data = rec + commented + rec * 2 + commented + rec + bad
    skips = Skips()
    p = COLLAPSER.collapse(io.BytesIO(data), CollapseOptions("t.perf", skips))
    assert p.total == 7
    assert skips.first == {"t.perf": (3 * 1 + 4 + 3 * 2 + 4 + 3 + 2, "unrecognized line")}
