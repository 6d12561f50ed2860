"""Test binaries for the symbolizer, compiled once per session in a temp dir.

A generated C program (many functions, static inline helpers that -O2
inlines, cold paths that gcc splits into ``.cold`` clones, constant
arguments that make ``.constprop`` clones) and a C++ program with templates,
a lambda, classes and an anonymous namespace, built as PIE, non-PIE, shared
library, stripped with a debug file found by build-id or by debuglink.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile


def c_source(n: int = 120) -> str:
    """A deterministic C program with ``n`` worker functions and inlined helpers."""
    out = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", ""]
    out.append("volatile long sink;")
    for i in range(n):
        out.append(f"static inline long helper_{i}(long x) {{\n"
                   f"    long acc = x;\n"
                   f"    for (int k = 0; k < (int)(x & 7) + {i % 5 + 1}; k++) acc = acc * {i + 3} + (k ^ {i});\n"
                   f"    return acc;\n}}")
        out.append(f"static inline long twice_{i}(long x) {{ return helper_{i}(x) + helper_{i}(x + 1); }}")
    for i in range(n):
        attr = "__attribute__((noinline)) " if i % 3 else ""
        body = [f"{attr}long work_{i}(long x, const char *s) {{",
                f"    long r = twice_{i}(x) ^ (long)strlen(s);",
                f"    if (__builtin_expect(r == {i * 7919 + 13}, 0)) {{",
                f"        fprintf(stderr, \"rare path %d %ld\\n\", {i}, r); fflush(stderr); abort();",
                "    }",
                f"    for (long j = 0; j < (x & 15); j++) r += helper_{(i + 1) % n}(j + r);"]
        if i:
            body.append(f"    if (x > {i}) r += work_{i - 1}(x - 1, s);")
        body += ["    sink = r;", "    return r;", "}"]
        out.extend(body)
    out.append("static __attribute__((noinline)) long scaled(long x, long k) { return x * k + sink; }")
    out.append("long use_scaled(long x) { return scaled(x, 3) + scaled(x + 1, 3); }")
    out.append("int main(int argc, char **argv) {")
    out.append("    long total = 0;")
    out.append("    long rounds = argc > 1 ? atol(argv[1]) : 1;")
    out.append("    for (long r = 0; r < rounds; r++) {")
    for i in range(0, n, 7):
        out.append(f"        total += work_{i}(r + argc, argv[0]);")
    out.append("        total += use_scaled(r);")
    out.append("    }")
    out.append("    printf(\"%ld\\n\", total);")
    out.append("    return 0;\n}")
    return "\n".join(out) + "\n"


CXX_SOURCE = r"""
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace shapes {
template <typename T> struct Box {
    T value;
    explicit Box(T v) : value(v) {}
    T area() const { return value * value; }
    template <typename F> T apply(F f) const { return f(value); }
};
class Counter {
  public:
    virtual ~Counter() = default;
    virtual long bump(long by) { n_ += by; return n_; }
  private:
    long n_ = 0;
};
class Twice : public Counter {
  public:
    long bump(long by) override { return Counter::bump(by * 2); }
};
}  // namespace shapes

namespace {
long hidden(long x) { return x * 31 + 7; }
}

template <typename T> __attribute__((noinline)) T accumulate_all(const std::vector<T> &v) {
    T s{};
    for (const auto &x : v) s += x;
    return s;
}

__attribute__((noinline)) long sort_and_sum(std::vector<long> v) {
    std::sort(v.begin(), v.end(), [](long a, long b) { return a > b; });
    return accumulate_all(v);
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? std::atol(argv[1]) : 1;
    long total = 0;
    std::map<std::string, long> m;
    shapes::Twice t;
    for (long r = 0; r < rounds; r++) {
        shapes::Box<long> b(r);
        shapes::Box<double> d(r * 0.5);
        total += b.area() + (long)d.area();
        total += b.apply([&](long v) { return v + hidden(r); });
        std::vector<long> v;
        for (long i = 0; i < 64; i++) v.push_back((i * 7919 + r) % 101);
        total += sort_and_sum(v);
        m[std::to_string(r % 17)] += t.bump(r);
        std::function<long(long)> f = [total](long x) { return x ^ total; };
        total += f(r);
    }
    std::printf("%ld %zu\n", total, m.size());
    return 0;
}
"""


@dataclass
class Built:
    """Paths of one program's variants."""

    root: Path
    full: Path  # unstripped, with DWARF
    stripped: Path | None = None  # strip --strip-all (only .dynsym)
    debug_dir: Path | None = None  # holds .build-id/xx/yyyy.debug for ``stripped``
    linked: Path | None = None  # stripped, with .gnu_debuglink to a .debug beside it


def run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)


def build_id(path: Path) -> str:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        for sec in elf.iter_sections():
            if sec["sh_type"] == "SHT_NOTE":
                for note in sec.iter_notes():
                    if note["n_type"] == "NT_GNU_BUILD_ID":
                        return str(note["n_desc"])
    raise AssertionError(f"no build-id in {path}")


def build(root: Path, name: str, source: str, compiler: str, flags: list[str], ext: str = "c",
          variants: bool = True) -> Built:
    """Compile ``source``; with ``variants`` also make stripped + debug-file copies."""
    root.mkdir(parents=True, exist_ok=True)
    src = root / f"{name}.{ext}"
    src.write_text(source)
    full = root / name
    run([compiler, *flags, "-Wl,--build-id", "-o", str(full), str(src)], root)
    b = Built(root, full)
    if not variants:
        return b
    objcopy = shutil.which("objcopy") or "objcopy"
    dbg = root / f"{name}.debug"
    run([objcopy, "--only-keep-debug", str(full), str(dbg)], root)
    # by build-id: <dir>/.build-id/xx/rest.debug
    bid = build_id(full)
    ddir = root / "debugroot"
    target = ddir / ".build-id" / bid[:2] / (bid[2:] + ".debug")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(dbg, target)
    stripped = root / f"{name}.stripped"
    run([objcopy, "--strip-all", str(full), str(stripped)], root)
    b.stripped, b.debug_dir = stripped, ddir
    # by debuglink: a stripped copy in its own dir, the .debug beside it
    ldir = root / "linked"
    ldir.mkdir(exist_ok=True)
    shutil.copy(dbg, ldir / f"{name}.debug")
    linked = ldir / name
    run([objcopy, "--strip-all", f"--add-gnu-debuglink={name}.debug", str(full), str(linked)], ldir)
    b.linked = linked
    os.chmod(linked, 0o755)
    return b


def text_range(path: Path) -> tuple[int, int]:
    with open(path, "rb") as f:
        sec = ELFFile(f).get_section_by_name(".text")
        return sec["sh_addr"], sec["sh_addr"] + sec["sh_size"]
