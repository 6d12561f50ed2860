"""The resolver chain (:class:`Symbolizer`) and one ELF file's symbolizer (:class:`ModuleSymbolizer`).

See the package docstring (:mod:`flamekit.symbolize`) for what they answer;
the package exports these names lazily, so ``addr2line`` for function names
starts without this module (and the ``dataclasses``/``inspect`` it loads).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from ..errors import InputError, UsageError
from .demangle import display_name
from .elf import DEFAULT_DEBUG_DIRS, ElfFile, LoadedModule, load_module
from .frame import Frame

if TYPE_CHECKING:  # imported where used: `addr2line` for function names needs none of them (start-up time)
    from .dwarf import Dwarf
    from .kallsyms import Kallsyms
    from .maps import ProcMaps
    from .perfmap import PerfMap

#: "perf" is perf script's callchain address: a file offset for a DSO when it
#: fits in the file, else a live address (see :meth:`Symbolizer._perf_kind`)
KINDS = ("absolute", "offset", "vaddr", "perf")
_PERF_MAP = re.compile(r"(?:^|/)perf-(\d+)\.map$")


class Resolution(NamedTuple):
    """What an address is: a symbol (+offset, frames) or unknown with a reason.

    ``frames`` hold the inline chain innermost first when inlines were asked
    for, else the one function; ``module``+``vaddr`` keep what is needed to
    re-symbolize later.
    """

    module: str | None
    address: int
    name: str | None = None
    offset: int = 0
    frames: tuple[Frame, ...] = ()
    reason: str | None = None
    vaddr: int | None = None

    @property
    def ok(self) -> bool:
        return self.name is not None


@runtime_checkable
class Resolver(Protocol):
    """What collapsers call for frames their input left raw."""

    def resolve(self, module: str | None, address: int, kind: str) -> Resolution: ...

    def names(self, module: str | None, address: int, kind: str) -> list[str] | None: ...


class ModuleSymbolizer:
    """One ELF file: symbol table lookup, and DWARF lines/inlines on demand."""

    def __init__(self, mod: LoadedModule, backend: str = "python", debug_dirs: Sequence[str] = (),
                 demangle_names: bool = True) -> None:
        self.mod = mod
        self.demangle_names = demangle_names
        self.path = mod.runtime.path
        self.backend = backend
        self.debug_dirs = list(debug_dirs)
        self._dwarf: Dwarf | None | bool = False
        self._llvm_cache: dict[tuple[int, bool], list[Frame]] = {}

    @classmethod
    def open(cls, path: str, debug_dirs: Sequence[str] = DEFAULT_DEBUG_DIRS, backend: str = "python",
             demangle_names: bool = True) -> ModuleSymbolizer:
        return cls(load_module(path, debug_dirs), backend, debug_dirs, demangle_names)

    @property
    def elf(self) -> ElfFile:
        return self.mod.runtime

    @property
    def dwarf(self) -> Dwarf | None:
        if self._dwarf is False:
            from .dwarf import Dwarf

            f = self.mod.dwarf_file
            self._dwarf = Dwarf(f, self.demangle_names) if f is not None else None
        return self._dwarf  # type: ignore[return-value]

    def symbol(self, vaddr: int) -> tuple[str, int] | None:
        """``(demangled name, offset)`` from the symbol tables."""
        hit = self.mod.symbols.lookup(vaddr)
        if hit is None:
            return None
        return (display_name(hit[0]) if self.demangle_names else hit[0]), vaddr - hit[1]

    def prefetch(self, vaddrs: Sequence[int], inlines: bool) -> None:
        """With the llvm backend, symbolize many addresses in one process."""
        if self.backend != "llvm":
            return
        from .llvm import symbolize_batch

        todo = sorted({v for v in vaddrs if (v, inlines) not in self._llvm_cache})
        if not todo:
            return
        for v, frames in zip(todo, symbolize_batch(self.path, todo, inlines, self.debug_dirs,
                                                                   self.demangle_names), strict=True):
            self._llvm_cache[(v, inlines)] = frames

    def frames(self, vaddr: int, inlines: bool) -> list[Frame]:
        """Source frames (innermost first) at ``vaddr``; [] without DWARF."""
        if self.backend == "llvm":
            if (vaddr, inlines) not in self._llvm_cache:
                self.prefetch([vaddr], inlines)
            return self._llvm_cache[(vaddr, inlines)]
        dw = self.dwarf
        if dw is None:
            return []
        if not inlines:
            row = dw.line_for(vaddr)  # the line table alone: no need to decode the inline tree
            if row is not None:
                return [Frame("??", row[0], row[1])]
        frames = dw.frames(vaddr)
        if not inlines and frames:
            # one frame: the function, at the line-table position (as llvm-symbolizer/addr2line without -i)
            return [Frame(frames[-1].function, frames[0].file, frames[0].line)]
        return frames

    def resolve_vaddr(self, vaddr: int, lines: bool = False, inlines: bool = False) -> Resolution:
        sym = self.symbol(vaddr)
        frames: list[Frame] = []
        if lines or inlines:
            frames = list(self.frames(vaddr, inlines))
        if sym is None:
            # padding between functions can still have line rows: keep them (llvm-symbolizer prints ?? at FILE:LINE)
            return Resolution(self.path, vaddr, frames=tuple(frames), reason="no symbol covers this address",
                              vaddr=vaddr)
        name, off = sym
        if (lines or inlines) and (not frames or frames[-1].file is None):
            # no DWARF line here: llvm-symbolizer names the STT_FILE of a local symbol, line 0
            sfile = self.mod.symbols.files.get(vaddr - off)
            if sfile:
                frames = [Frame(frames[-1].function if frames else name, sfile, 0)] if len(frames) <= 1 else frames
        if frames:
            # the outermost frame takes the symbol-table name (llvm-symbolizer's rule)
            frames[-1] = Frame(name, frames[-1].file, frames[-1].line)
        else:
            frames = [Frame(name)]
        return Resolution(self.path, vaddr, name, off, tuple(frames), vaddr=vaddr)


@dataclass
class Symbolizer:
    """The resolver chain: kallsyms, perf maps, /proc/PID/maps, ELF files.

    ``elf_paths`` substitute files for modules (matched by path, base name
    or build-id), e.g. an unstripped copy of a binary perf saw stripped.
    """

    kallsyms: Kallsyms | None = None
    perf_maps: list[PerfMap] = field(default_factory=list)
    maps: ProcMaps | None = None
    elf_paths: list[str] = field(default_factory=list)
    debug_dirs: list[str] = field(default_factory=lambda: list(DEFAULT_DEBUG_DIRS))
    lines: bool = False
    inlines: bool = False
    backend: str = "python"
    _modules: dict[str, ModuleSymbolizer | None] = field(default_factory=dict, repr=False)
    _overrides: dict[str, str] | None = field(default=None, repr=False)
    _pid_maps: dict[int, PerfMap | None] = field(default_factory=dict, repr=False)
    _memo: dict[tuple[str | None, int, str], Resolution] = field(default_factory=dict, repr=False)

    @classmethod
    def from_options(cls, kallsyms: str | None = None, elf: Sequence[str] = (), pid: int | None = None,
                     maps: str | None = None, perf_maps: Sequence[str] = (), lines: bool = False,
                     inlines: bool = False, debug_dirs: Sequence[str] = (), backend: str = "python") -> Symbolizer:
        """A chain from command-line style settings (``--pid`` reads /proc/PID/maps and perf-PID.map)."""
        from .kallsyms import Kallsyms
        from .maps import ProcMaps
        from .perfmap import PerfMap, perf_map_path

        if pid is not None and maps is not None:
            raise UsageError("give --pid or --maps, not both")
        sym = cls(lines=lines, inlines=inlines, backend=backend, elf_paths=list(elf),
                  debug_dirs=[*debug_dirs, *DEFAULT_DEBUG_DIRS])
        if kallsyms is not None:
            sym.kallsyms = Kallsyms.load(kallsyms)
        if maps is not None:
            sym.maps = ProcMaps.load(maps)
        if pid is not None:
            sym.maps = ProcMaps.for_pid(pid)
            found = perf_map_path(pid)
            if found:
                sym.perf_maps.append(PerfMap.load(found))
        for p in perf_maps:
            sym.perf_maps.append(PerfMap.load(p))
        for p in elf:  # fail early, naming the file, when an --elf is not usable
            sym._override_index()
        return sym

    # -- modules ------------------------------------------------------------------
    def _override_index(self) -> dict[str, str]:
        if self._overrides is None:
            idx: dict[str, str] = {}
            for p in self.elf_paths:
                ab = os.path.abspath(p)
                idx.setdefault("path:" + ab, ab)
                idx.setdefault("base:" + os.path.basename(p), ab)
                try:
                    e = ElfFile(ab)
                except InputError:
                    raise
                if e.build_id:
                    idx.setdefault("bid:" + e.build_id, ab)
                e.close()
            self._overrides = idx
        return self._overrides

    def file_for(self, module: str) -> str | None:
        """The ELF file to read for ``module`` (an override, or the module itself)."""
        idx = self._override_index()
        ab = os.path.abspath(module)
        for key in ("path:" + ab, "base:" + os.path.basename(module)):
            if key in idx:
                return idx[key]
        if os.path.isfile(module):
            if idx:
                try:
                    e = ElfFile(module)
                    bid = e.build_id
                    e.close()
                except InputError:
                    bid = None
                if bid and "bid:" + bid in idx:
                    return idx["bid:" + bid]
            return module
        if len(self.elf_paths) == 1 and not idx.get("path:" + ab):
            return None
        return None

    def module(self, module: str) -> ModuleSymbolizer | None:
        if module in self._modules:
            return self._modules[module]
        path = self.file_for(module)
        ms = None
        if path is not None:
            try:
                ms = ModuleSymbolizer.open(path, self.debug_dirs, self.backend)
            except InputError:
                if path in self.elf_paths or os.path.abspath(path) in map(os.path.abspath, self.elf_paths):
                    raise
                ms = None
        self._modules[module] = ms
        return ms

    def _perf_map_for(self, module: str) -> PerfMap | None:
        m = _PERF_MAP.search(module)
        if not m:
            return None
        pid = int(m.group(1))
        if pid not in self._pid_maps:
            from .perfmap import PerfMap, perf_map_path

            path = module if os.path.isfile(module) else perf_map_path(pid)
            self._pid_maps[pid] = PerfMap.load(path) if path else None
        return self._pid_maps[pid]

    # -- the chain -------------------------------------------------------------------
    def resolve(self, module: str | None, address: int, kind: str = "absolute") -> Resolution:
        """Resolve ``address`` of ``module`` (None when unknown) in address space ``kind``."""
        key = (module, address, kind)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self._resolve(module, address, kind)
        return got

    def _resolve(self, module: str | None, address: int, kind: str) -> Resolution:
        if kind not in KINDS:
            raise UsageError(f"unknown address kind {kind!r} (one of {', '.join(KINDS)})")
        if module and _is_kernel_module(module) or (module is None and address >= 0xFFFF800000000000):
            return self._kernel(module, address)
        if module:
            pm = self._perf_map_for(module)
            if pm is not None:
                return _from_jit(pm, module, address)
        if kind == "perf":
            kind = self._perf_kind(module, address)
        if kind == "absolute":
            for pm in self.perf_maps:
                hit = pm.lookup(address)
                if hit is not None:
                    return _from_jit(pm, module or pm.source, address)
            if self.maps is not None:
                mp = self.maps.find(address)
                if mp is None:
                    return Resolution(module, address, reason="unmapped address")
                if not mp.is_file:
                    return Resolution(mp.path or module, address, reason=f"no file behind mapping {mp.path or '(anon)'}")
                ms = self.module(self.maps.file_for(mp))
                if ms is None:
                    return Resolution(mp.file_path, address, reason="missing file")
                vaddr = ms.elf.absolute_to_vaddr(address, mp.start, mp.offset)
                if vaddr is None:
                    return Resolution(mp.file_path, address, reason="invalid file offset")
                return ms.resolve_vaddr(vaddr, self.lines, self.inlines)
            if not module:
                return Resolution(None, address, reason="no module and no maps for this address")
        if not module or module.startswith("["):
            return Resolution(module, address, reason="no file for this module")
        ms = self.module(module)
        if ms is None:
            return Resolution(module, address, reason="missing file")
        if kind == "offset":
            vaddr = ms.elf.perf_offset_to_vaddr(address)
        elif kind == "absolute":
            vaddr = address if ms.elf.is_exec else None
            if vaddr is None:
                return Resolution(module, address, reason="absolute address without a mapping (give --pid/--maps)")
        else:
            vaddr = address
        return ms.resolve_vaddr(vaddr, self.lines, self.inlines)

    def _perf_kind(self, module: str | None, address: int) -> str:
        if module and not module.startswith("["):
            ms = self.module(module)
            if ms is not None:
                if ms.elf.is_exec:
                    return "vaddr"
                if ms.elf.file_offset_to_vaddr(address) is not None:
                    return "offset"
        return "absolute"

    def _kernel(self, module: str | None, address: int) -> Resolution:
        if self.kallsyms is None:
            return Resolution(module, address, reason="kernel address and no kallsyms")
        hit = self.kallsyms.lookup(address)
        if hit is None:
            return Resolution(module, address, reason="unknown kernel address")
        name, start, _size, mod = hit
        return Resolution(mod or "[kernel.kallsyms]", address, name, address - start, (Frame(name),))

    def names(self, module: str | None, address: int, kind: str = "absolute") -> list[str] | None:
        """Frame names root first (inlined callees after their callers), None when unresolved.

        With ``lines`` each name is ``NAME:FILE:LINE`` (stackcollapse-perf ``--context`` style).
        """
        r = self.resolve(module, address, kind)
        if not r.ok:
            return None
        frames = list(reversed(r.frames)) if self.inlines else [r.frames[-1] if r.frames else Frame(r.name or "??")]
        frames[0] = Frame(r.name or "??", frames[0].file, frames[0].line)
        if self.lines:
            # stackcollapse-perf --context style: NAME:FILE:LINE
            return [f"{f.function}:{f.file or '??'}:{f.line}" if f.file else f.function for f in frames]
        return [f.function for f in frames]

    def prefetch(self, module: str, vaddrs: Iterable[int]) -> None:
        ms = self.module(module)
        if ms is not None and (self.lines or self.inlines):
            ms.prefetch(list(vaddrs), self.inlines)


def _is_kernel_module(module: str) -> bool:
    return module.startswith("[") and module not in ("[unknown]", "[vdso]", "[vsyscall]", "[heap]", "[stack]",
                                                     "[anon]", "[jit]") and not module.startswith("[anon")


def _from_jit(pm: PerfMap, module: str, address: int) -> Resolution:
    hit = pm.lookup(address)
    if hit is None:
        return Resolution(module, address, reason="address not in the perf map")
    name, start, _size = hit
    return Resolution(module, address, name, address - start, (Frame(name),))
