"""Resolve raw addresses to function names (and file:line, inline chains).

A :class:`Symbolizer` is the resolver chain collapsers receive as
``CollapseOptions.resolver``.  It answers ``resolve(module, address, kind)``
where ``kind`` says which address space the number is in (symbolize.md §1):

- ``"absolute"``: a live address (sample ip, perf map, /proc/PID/maps);
- ``"offset"``: perf script's dso-relative, file-offset-based address;
- ``"vaddr"``: the ELF virtual address symbol tables use.

The chain: kernel modules go to kallsyms; absolute addresses try the JIT perf
maps, then /proc/PID/maps to find the file and translate; files are opened
once (with their separate debug file) and cached.  Unresolved answers say why.

The resolver chain lives in :mod:`.resolver` and is imported on first use
(PEP 562): ``flamekit addr2line`` for function names needs only :mod:`.elf`,
:mod:`.demangle` and :mod:`.addr2line`, not the ``dataclasses`` and
``inspect`` the resolver imports (~10 ms of every start).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)

# bound now: ``demangle`` is also a submodule's name, and the package attribute must stay the function
from .demangle import demangle
from .demangle import display_name as display_name
from .elf import DEFAULT_DEBUG_DIRS as DEFAULT_DEBUG_DIRS
from .elf import ElfFile as ElfFile
from .elf import LoadedModule as LoadedModule
from .elf import load_module as load_module
from .frame import Frame

if TYPE_CHECKING:
    from typing import Any

    from .resolver import KINDS, ModuleSymbolizer, Resolution, Resolver, Symbolizer

__all__ = ["KINDS", "Frame", "ModuleSymbolizer", "Resolution", "Resolver", "Symbolizer", "demangle"]

#: names of :mod:`.resolver` the package exports
_LAZY = {"KINDS", "ModuleSymbolizer", "Resolution", "Resolver", "Symbolizer"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib  # here, not at start-up: function names never need it

        value = getattr(importlib.import_module(".resolver", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
