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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="addresses per DSO for function names")
    ap.add_argument("--lines", type=int, default=0, metavar="N",
                    help="also time file:line with inlines on N addresses (python and llvm backends)")
    args = ap.parse_args()
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
            lt, _ = run_cpu([llvm, f"--obj={path}", "--inlining", "--functions=linkage", "--demangle"], few)
            for backend in ("llvm", "python"):
                t, n2 = run_cpu([*fk, "--elf", path, "--lines", "--inlines", "--backend", backend], few)
                print(f"{name:<12} {'lines+inlines/' + backend:<22} {args.lines:>9} {t:>15.2f} {lt:>22.2f}")
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
