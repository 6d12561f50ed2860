"""Optional backend: batch addresses of one file through ``llvm-symbolizer``.

All addresses of one DSO go to one process over stdin (never one process per
address, never interactive round trips), with JSON output.  Names come back mangled and are demangled here, so both
backends print C++ names the same (c++filt) way.  Used for
``--backend llvm``: DWARF-heavy binaries symbolize faster this way than with
pure-Python DWARF decoding.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence

from ..errors import UsageError
from .demangle import demangle
from .dwarf import Frame

CANDIDATES = ("llvm-symbolizer", "llvm-symbolizer-14", "llvm-symbolizer-15", "llvm-symbolizer-16")


def find_llvm_symbolizer() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def symbolize_batch(path: str, vaddrs: Sequence[int], inlines: bool = True,
                    debug_dirs: Sequence[str] = (), demangle_names: bool = True) -> list[list[Frame]]:
    """Frames (innermost first) for each vaddr of ``path``; [] where unknown."""
    exe = find_llvm_symbolizer()
    if exe is None:
        raise UsageError("--backend llvm needs llvm-symbolizer (Debian package llvm)")
    if not vaddrs:
        return []
    args = [exe, f"--obj={path}", "--output-style=JSON", "--functions=linkage", "--no-demangle",
            "--inlining" if inlines else "--no-inlines"]
    for d in debug_dirs:
        args.append(f"--debug-file-directory={d}")
    text = "".join(f"0x{a:x}\n" for a in vaddrs)
    try:
        res = subprocess.run(args, input=text, capture_output=True, text=True, errors="surrogateescape",
                             check=False)
    except OSError as e:
        raise UsageError(f"cannot run {exe}: {e}") from None
    out: list[list[Frame]] = []
    for line in res.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            out.append([])
            continue
        frames = []
        for s in rec.get("Symbol", []):
            fn = s.get("FunctionName") or "??"
            if fn == "??" and not s.get("FileName"):
                continue
            frames.append(Frame(demangle(fn) if demangle_names else fn, s.get("FileName") or None,
                                int(s.get("Line") or 0)))
        out.append(frames)
    if len(out) != len(vaddrs):
        raise UsageError(f"{exe} answered {len(out)} of {len(vaddrs)} addresses for {path}")
    return out
