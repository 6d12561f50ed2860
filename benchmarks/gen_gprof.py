#!/usr/bin/env python3
"""Record a large real gprof report: a generated C program with N functions.

usage: python3 benchmarks/gen_gprof.py [N] [SEED]   (default 10000 42)
Writes benchmarks/data/gprof_N.c, builds it with gcc -pg, runs it and saves
``gprof -b`` output as benchmarks/data/gprof_N_b.txt.  Each function does a
little work and calls up to three later functions (a DAG), and some call an
earlier one (back edges make cycles).  A large .text pad keeps glibc's mcount
arc table from overflowing on many functions.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def program(n: int, seed: int) -> str:
    rng = random.Random(seed)
    out = ["#include <stdio.h>", "#include <stdlib.h>", "static volatile unsigned long acc;",
           '__attribute__((used,noinline)) void pad_text(void){ __asm__ volatile(".fill %d,1,0x90"); }' % (n * 1000)]
    out += [f"void fn{i}(int d);" for i in range(n)]
    for i in range(n):
        later = rng.sample(range(i + 1, n), k=min(3, n - i - 1)) if i + 1 < n else []
        back = [rng.randrange(max(0, i - 40), i)] if i > 20 and rng.random() < 0.1 else []
        loop = rng.randint(3, 300)
        body = [f"void __attribute__((noinline)) fn{i}(int d) {{",
                f"  for (int k = 0; k < {loop}; k++) acc += (unsigned long)k ^ {i}u;",
                "  if (d <= 0) return;"]
        body += [f"  fn{k}(d - 1);" for k in later] + [f"  fn{b}(d - 3);" for b in back] + ["}"]
        out += body
    out.append("static void (*const entry[])(int) = {" + ",".join(f"fn{i}" for i in range(n)) + "};")
    out.append("int main(int argc, char **argv) { int rounds = argc > 1 ? atoi(argv[1]) : 5;"
               f" for (int r = 0; r < rounds; r++) for (int i = 0; i < {n}; i++) entry[i](3);"
               ' printf("%lu\\n", acc); return 0; }')
    return "\n".join(out) + "\n"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    os.makedirs(DATA, exist_ok=True)
    src = os.path.join(DATA, f"gprof_{n}.c")
    exe = os.path.join(DATA, f"gprof_{n}")
    with open(src, "w") as f:
        f.write(program(n, seed))
    subprocess.run(["gcc", "-pg", "-O1", "-o", exe, src], check=True)
    subprocess.run([exe, "20"], check=True, cwd=DATA, stdout=subprocess.DEVNULL)
    out = os.path.join(DATA, f"gprof_{n}_b.txt")
    with open(out, "wb") as f:
        subprocess.run(["gprof", "-b", exe, os.path.join(DATA, "gmon.out")], check=True, stdout=f)
    print(f"{out}: {os.path.getsize(out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
