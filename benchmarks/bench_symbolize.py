#!/usr/bin/env python3
"""CPU time of ``flamekit addr2line`` against ``llvm-symbolizer`` on big DSOs.

Draws N uniform random ``.text`` addresses (seeded) of glibc (symbols from
Debian's libc6-dbg debug file, found by build-id) and of libLLVM (stripped,
``.dynsym`` only), writes them to benchmarks/data/ (gitignored), and runs
each tool once over all of them on stdin, start-up and loading included.
CPU seconds are user+sys of the child (``os.wait4``): the machine is shared,
so wall time is noise.

    python3 benchmarks/bench_symbolize.py               # names, 100k addresses
    python3 benchmarks/bench_symbolize.py --lines 10000 # + file:line with inlines
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
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


def run_cpu(cmd: list[str], stdin: Path) -> tuple[float, int]:
    """CPU seconds (user+sys, this child only) and output line count."""
    with open(stdin, "rb") as f:
        p = subprocess.Popen(cmd, stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines = 0
        assert p.stdout is not None
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
            lines += chunk.count(b"\n")
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return ru.ru_utime + ru.ru_stime, lines


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
    t_sym, _ = run_cpu([*fk, "symbolize", "-q", "--elf", str(b.full), str(raw)], Path(os.devnull))
    t_col, _ = run_cpu([*fk, "collapse", "-q", str(raw)], Path(os.devnull))
    print(f"capture: perf script {mb:.1f} MB; symbolize --elf {t_sym:.2f} CPU s ({mb / t_sym:.0f} MB/s), "
          f"plain collapse {t_col:.2f} CPU s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="addresses per DSO for function names")
    ap.add_argument("--lines", type=int, default=0, metavar="N",
                    help="also time file:line with inlines on N addresses (python and llvm backends)")
    ap.add_argument("--capture", type=int, default=0, metavar="ROUNDS",
                    help="also record a perf capture of a stripped test binary (ROUNDS of its loop) and time "
                         "'flamekit symbolize --elf' on its perf script output against a plain collapse")
    args = ap.parse_args()
    cli_env.prepare()
    llvm = shutil.which("llvm-symbolizer") or shutil.which("llvm-symbolizer-14")
    if llvm is None:
        raise SystemExit("needs llvm-symbolizer (Debian package llvm)")
    fk = [sys.executable, "-m", "flamekit", "addr2line"]
    print(f"{'target':<12} {'task':<22} {'addresses':>9} {'flamekit CPU s':>15} {'llvm-symbolizer CPU s':>22}")
    for name, path in TARGETS.items():
        if not os.path.exists(path):
            print(f"{name}: {path} missing, skipped")
            continue
        addrs = addresses(name, path, args.n)
        ours, n1 = run_cpu([*fk, "--elf", path], addrs)
        theirs, _ = run_cpu([llvm, f"--obj={path}", "--no-inlines", "--functions=linkage", "--demangle"], addrs)
        print(f"{name:<12} {'function names':<22} {n1:>9} {ours:>15.2f} {theirs:>22.2f}")
        if args.lines:
            few = addresses(name, path, args.lines)
            nt, _ = run_cpu([llvm, f"--obj={path}", "--no-inlines", "--functions=linkage", "--demangle"], few)
            t, _ = run_cpu([*fk, "--elf", path, "--lines"], few)
            print(f"{name:<12} {'lines (no inlines)':<22} {args.lines:>9} {t:>15.2f} {nt:>22.2f}")
            lt, _ = run_cpu([llvm, f"--obj={path}", "--inlining", "--functions=linkage", "--demangle"], few)
            for backend in ("llvm", "python"):
                t, n2 = run_cpu([*fk, "--elf", path, "--lines", "--inlines", "--backend", backend], few)
                print(f"{name:<12} {'lines+inlines/' + backend:<22} {args.lines:>9} {t:>15.2f} {lt:>22.2f}")
    if args.capture:
        capture(args.capture)
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
