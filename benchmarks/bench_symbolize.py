#!/usr/bin/env python3
"""CPU time of ``flamekit addr2line`` against ``llvm-symbolizer`` on big DSOs.

Draws N uniform random ``.text`` addresses (seeded) of glibc (symbols from
Debian's libc6-dbg debug file, found by build-id) and of libLLVM (stripped,
``.dynsym`` only), writes them to benchmarks/data/ (gitignored), and runs
each tool over all of them on stdin, start-up and loading included, the two
tools interleaved ``--runs`` times.  CPU seconds are user+sys of the child
(``os.wait4``); the machine may be shared, so the min and median CPU are
printed with the median wall time, MB/s (address-file bytes per min CPU
second) and flamekit's CPU as a multiple of llvm-symbolizer's (min / min).
flamekit runs from this checkout (``PYTHONPATH`` and working directory);
``--baseline DIR`` also runs the flamekit of another checkout (e.g. the main
branch) in the same interleaved rounds, for a before/after in the same
conditions.  ``--venv DIR`` also runs the ``flamekit`` console script of a
virtual environment with a regular (non-editable) install, as a user runs it
(no development site-packages hooks, which here cost ~0.03 CPU-s per start):
``python3 -m venv DIR && DIR/bin/pip install .``.  The start-up of a bare
``python -c pass`` (and ``-S``: without site-packages' ``.pth`` files, which
in some environments cost tens of ms at every start) is printed last, to read
the figures against.

    python3 benchmarks/bench_symbolize.py                 # names + lines+inlines, 100k addresses, 3 runs
    python3 benchmarks/bench_symbolize.py --lines 0       # names only
    python3 benchmarks/bench_symbolize.py --llvm-backend  # also flamekit's --backend llvm
    python3 benchmarks/bench_symbolize.py --lines 0 --runs 7 --baseline /work/main   # names: this vs main vs llvm
    python3 benchmarks/bench_symbolize.py --lines 0 --runs 9 --venv /tmp/fk-venv     # also as installed
    python3 benchmarks/bench_symbolize.py --lines 0 --runs 9 --venv /tmp/main-venv --venv /tmp/fk-venv  # before/after
    python3 benchmarks/bench_symbolize.py --lines 0 --instructions --venv /tmp/main-venv --venv /tmp/fk-venv

Each target also gets a one-address run (start-up and table load only, at
least 9 rounds), the cost a script pays per call.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cli_env  # run the CLI as a user does: cached bytecode (see cli_env.py)

from flamekit.symbolize.elf import ElfFile
from flamekit.symbolize.kallsyms import Kallsyms

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
TARGETS = {
    "libc": "/lib/x86_64-linux-gnu/libc.so.6",
    "libLLVM-14": "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1",
}


def addresses(name: str, path: str, n: int) -> Path:
    out = DATA / f"symbolize_{name}_{n}.txt"
    if out.exists():
        return out
    text = ElfFile(path).sections[".text"]
    rng = random.Random(20261126)
    DATA.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"0x{rng.randrange(text.addr, text.addr + text.size):x}\n" for _ in range(n)))
    return out


def run_cpu(cmd: list[str], stdin: Path, root: Path | None = ROOT) -> tuple[float, float, int]:
    """CPU seconds (user+sys of this child), wall seconds and output line count.

    flamekit is imported from ``root``, or (None) as the command itself finds it (an installed console script).
    """
    if root is None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    else:
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    t0 = time.perf_counter()
    with open(stdin, "rb") as f:
        p = subprocess.Popen(cmd, stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=root or tempfile.gettempdir(), env=env)
        lines = 0
        assert p.stdout is not None
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
            lines += chunk.count(b"\n")
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return ru.ru_utime + ru.ru_stime, wall, lines


def compare(name: str, task: str, addrs: Path, ours: list[str], theirs: list[str], runs: int,
            baseline: Path | None = None, venv: list[Path] | None = None) -> None:
    """Run both commands ``runs`` times, interleaved, and print one line of figures.

    With ``baseline``, ``ours`` also runs from that checkout in each round, and
    with each of ``venv`` as that environment's ``flamekit`` console script;
    their figures follow on lines of their own.
    """
    mine: list[tuple[float, float]] = []
    peer: list[tuple[float, float]] = []
    others: dict[str, list[tuple[float, float]]] = {}
    variants: list[tuple[str, list[str], Path | None]] = []
    if baseline is not None:
        variants.append((f"(baseline {baseline})", ours, baseline))
    for env in venv or []:  # ours is [python, -m, flamekit, ...]: the same arguments to the venv's console script
        variants.append((f"(venv {env})", [str(env / "bin" / "flamekit"), *ours[3:]], None))
    for _ in range(runs):
        cpu, wall, _n = run_cpu(ours, addrs)
        mine.append((cpu, wall))
        cpu, wall, _n = run_cpu(theirs, addrs)
        peer.append((cpu, wall))
        for label, cmd, root in variants:
            cpu, wall, _n = run_cpu(cmd, addrs, root)
            others.setdefault(label, []).append((cpu, wall))
    mb = addrs.stat().st_size / 1e6
    n = addrs.read_bytes().count(b"\n")
    m_cpu, p_cpu = sorted(c for c, _ in mine), sorted(c for c, _ in peer)
    m_wall, p_wall = statistics.median(w for _, w in mine), statistics.median(w for _, w in peer)
    print(f"{name:<11} {task:<20} {n:>8} {mb:>6.2f} | {m_cpu[0]:>6.3f} {statistics.median(m_cpu):>6.3f} "
          f"{m_wall:>6.2f} {mb / m_cpu[0]:>6.2f} | {p_cpu[0]:>6.3f} {statistics.median(p_cpu):>6.3f} "
          f"{p_wall:>6.2f} | {m_cpu[0] / p_cpu[0]:>5.2f}x")
    for label, figures in others.items():
        b_cpu = sorted(c for c, _ in figures)
        print(f"{'':<11} {'  ' + label.split()[0] + ')':<20} {'':>8} {'':>6} | {b_cpu[0]:>6.3f} "
              f"{statistics.median(b_cpu):>6.3f} {statistics.median(w for _, w in figures):>6.2f} {mb / b_cpu[0]:>6.2f} | "
              f"{'':>6} {'':>6} {'':>6} | {b_cpu[0] / p_cpu[0]:>5.2f}x  {label}")


def instructions(name: str, task: str, addrs: Path, ours: list[str], theirs: list[str], baseline: Path | None = None,
                 venv: list[Path] | None = None) -> None:
    """Instructions executed by each command, counted by valgrind's cachegrind: one run each, deterministic.

    CPU seconds on a shared machine vary by tens of percent from run to run;
    instruction counts do not (they miss cache misses and page faults, which
    the CPU figures include), so small changes can be compared exactly.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("instructions: valgrind missing, skipped")
        return
    grind = [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    targets: list[tuple[str, list[str], Path | None]] = [("flamekit", ours, ROOT)]
    if baseline is not None:
        targets.append((f"baseline {baseline}", ours, baseline))
    for env in venv or []:
        targets.append((f"venv {env}", [str(env / "bin" / "python"), str(env / "bin" / "flamekit"), *ours[3:]], None))
    targets.append(("llvm-symbolizer", theirs, ROOT))
    counts = []
    for label, cmd, root in targets:
        run_cpu(cmd, addrs, root)  # bytecode cached before the counted run
        env_vars = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} if root is None else \
            {**os.environ, "PYTHONPATH": str(root)}
        with open(addrs, "rb") as f:
            err = subprocess.run([*grind, *cmd], stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 cwd=root or tempfile.gettempdir(), env=env_vars, check=True).stderr.decode()
        count = int(err.split("I   refs:")[1].split()[0].replace(",", ""))
        counts.append(count)
        print(f"{name:<11} {task:<20} instructions {count / 1e9:7.3f} G  {count / counts[0]:5.3f} of flamekit's  {label}")


def startup(runs: int) -> None:
    """CPU of a bare interpreter start, with and without site-packages (``-S``), min and median."""
    for label, cmd in (("python -c pass", [sys.executable, "-c", "pass"]),
                       ("python -S -c pass", [sys.executable, "-S", "-c", "pass"])):
        cpus = sorted(run_cpu(cmd, Path(os.devnull))[0] for _ in range(max(runs, 5)))
        print(f"start-up: {label:<18} {cpus[0]:.3f} min {statistics.median(cpus):.3f} med CPU s")


def capture(rounds: int) -> None:
    """perf record a stripped binary, then: symbolize its perf script against the unstripped copy."""
    sys.path.insert(0, str(ROOT / "tests"))
    from symbolize_bins import build, c_source

    perf = shutil.which("perf")
    if perf is None:
        print("capture: perf missing, skipped")
        return
    root = DATA / "symbolize_capture"
    b = build(root / "build", "prog", c_source(), "gcc", ["-O2", "-g", "-fno-omit-frame-pointer"])
    target = root / "prog"
    shutil.copy(b.stripped, target)
    os.chmod(target, 0o755)
    pdata, raw = root / "perf.data", root / "unresolved.txt"
    subprocess.run([perf, "record", "-N", "-q", "-g", "-e", "cpu-clock", "-F", "4000", "-o", str(pdata), "--",
                    str(target), str(rounds)], check=True, capture_output=True)
    with open(raw, "wb") as f:
        subprocess.run([perf, "script", "-i", str(pdata)], stdout=f, check=True, stderr=subprocess.DEVNULL)
    mb = raw.stat().st_size / 1e6
    fk = [sys.executable, "-m", "flamekit"]
    t_sym, _, _ = run_cpu([*fk, "symbolize", "-q", "--elf", str(b.full), str(raw)], Path(os.devnull))
    t_col, _, _ = run_cpu([*fk, "collapse", "-q", str(raw)], Path(os.devnull))
    print(f"capture: perf script {mb:.1f} MB; symbolize --elf {t_sym:.2f} CPU s ({mb / t_sym:.0f} MB/s), "
          f"plain collapse {t_col:.2f} CPU s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="addresses per DSO for function names")
    ap.add_argument("--lines", type=int, default=100_000, metavar="N",
                    help="also time file:line with inlines on N addresses (0: skip)")
    ap.add_argument("--runs", type=int, default=3, help="interleaved runs per tool (min and median reported)")
    ap.add_argument("--baseline", type=Path, metavar="DIR",
                    help="also run the flamekit of this checkout (e.g. /work/main) in the same rounds")
    ap.add_argument("--venv", type=Path, metavar="DIR", action="append",
                    help="also run DIR/bin/flamekit (a venv with a regular install of flamekit) in the same rounds; "
                         "repeatable (e.g. one venv of main, one of this branch: installed before/after)")
    ap.add_argument("--instructions", action="store_true",
                    help="also count the instructions of each command on the function-names input (valgrind's "
                         "cachegrind, one run each: exact, where CPU seconds on a shared machine are noisy)")
    ap.add_argument("--llvm-backend", action="store_true",
                    help="also time flamekit's --backend llvm (batched llvm-symbolizer) for lines+inlines")
    ap.add_argument("--capture", type=int, default=0, metavar="ROUNDS",
                    help="also record a perf capture of a stripped test binary (ROUNDS of its loop) and time "
                         "'flamekit symbolize --elf' on its perf script output against a plain collapse")
    args = ap.parse_args()
    cli_env.prepare()
    llvm = shutil.which("llvm-symbolizer") or shutil.which("llvm-symbolizer-14")
    if llvm is None:
        raise SystemExit("needs llvm-symbolizer (Debian package llvm)")
    fk = [sys.executable, "-m", "flamekit", "addr2line"]
    print(f"CPU s = user+sys (to the ms: a few % matter here); min/med of {args.runs} interleaved runs; "
          "wall = median; MB/s = input MB / min CPU s")
    print(f"{'target':<11} {'task':<20} {'addrs':>8} {'MB':>6} | {'flamekit CPU min/med, wall, MB/s':<30} | "
          f"{'llvm-symbolizer CPU min/med, wall':<33} | ratio")
    for name, path in TARGETS.items():
        if not os.path.exists(path):
            print(f"{name}: {path} missing, skipped")
            continue
        addrs = addresses(name, path, args.n)
        names = [llvm, f"--obj={path}", "--no-inlines", "--functions=linkage", "--demangle"]
        compare(name, "function names", addrs, [*fk, "--elf", path], names, args.runs, args.baseline, args.venv)
        if args.instructions:
            instructions(name, "function names", addrs, [*fk, "--elf", path], names, args.baseline, args.venv)
        # start-up and table load: what a script calling the symbolizer once per address pays every time
        compare(name, "names, 1 address", addresses(name, path, 1), [*fk, "--elf", path], names,
                max(args.runs, 9), args.baseline, args.venv)
        if args.lines:
            few = addresses(name, path, args.lines)
            inl = [llvm, f"--obj={path}", "--inlining", "--functions=linkage", "--demangle"]
            compare(name, "lines (no inlines)", few, [*fk, "--elf", path, "--lines"], names, args.runs, args.baseline,
                    args.venv)
            compare(name, "lines+inlines", few, [*fk, "--elf", path, "--lines", "--inlines"], inl, args.runs,
                    args.baseline, args.venv)
            if args.llvm_backend:
                compare(name, "lines+inlines/llvm", few,
                        [*fk, "--elf", path, "--lines", "--inlines", "--backend", "llvm"], inl, args.runs)
    if args.capture:
        capture(args.capture)
    startup(args.runs)
    try:
        data = open("/proc/kallsyms", "rb").read()
        t0 = time.process_time()
        k = Kallsyms(data)
        print(f"kallsyms: {len(data.splitlines())} lines, {len(k)} text symbols, parsed in "
              f"{time.process_time() - t0:.2f} CPU s")
    except (OSError, Exception) as e:  # noqa: BLE001 - a benchmark reports and goes on
        print(f"kallsyms: not measured ({e})")


if __name__ == "__main__":
    main()
