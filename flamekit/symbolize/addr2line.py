"""The ``flamekit addr2line`` output: one line per address, streamed in batches.

``0xADDR FUNCTION+0xOFFSET`` (`` at FILE:LINE`` with lines), then with
inlines one line indented by two spaces per inlined call, outermost first, each with its
own position; ``0xADDR ??`` when unresolved.  Addresses are read lazily and
answered in batches so 100,000 of them stream without a large buffer.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import chain, islice, repeat
from operator import rshift

from .._records import TYPE_CHECKING
from ..errors import InputError
from .demangle import display_name
from .elf import DEFAULT_DEBUG_DIRS, SymbolTable
from .frame import Frame

if TYPE_CHECKING:
    from typing import Any

    from .resolver import ModuleSymbolizer, Resolution

BATCH = 16384
#: function names answer fewer addresses at a time: a batch's ints, lines and text then stay in the CPU
#: caches and its freed memory is reused for the next (100k libLLVM addresses: ~600 page faults instead
#: of ~1700 with BATCH, ~5-9 ms CPU less)
NAMES_BATCH = 4096
#: the llvm backend answers a batch per process start: fewer, larger batches
LLVM_BATCH = 1 << 17


def parse_address(text: str, source: str = "<stdin>", line: int | None = None) -> int:
    t = text.strip()
    try:
        v = int(t[2:] if t[:2].lower() == "0x" else t, 16)
    except ValueError:
        raise InputError(source, line, f"not a hex address: {t[:40]!r}") from None
    if v < 0 or t[2:3] in ("-", "+") or t[:1] in ("-", "+"):
        raise InputError(source, line, f"not a hex address: {t[:40]!r}")
    return v


def _pos(f: Frame) -> str:
    return f" at {f.file or '??'}:{f.line}"


def format_resolution(addr: int, r: Resolution, lines: bool, inlines: bool) -> str:
    if not r.ok:
        return f"0x{addr:x} ??\n"
    frames = list(r.frames) or [Frame(r.name or "??")]
    outer = frames[-1]
    head = f"0x{addr:x} {r.name}+0x{r.offset:x}"
    if lines:
        head += _pos(outer)
    out = [head + "\n"]
    if inlines:
        for f in reversed(frames[:-1]):
            out.append(f"  inlined {f.function}" + (_pos(f) if lines else "") + "\n")
    return "".join(out)


def names_only(addresses: Iterable[int], table: SymbolTable, show: Callable[[str], str]) -> Iterator[str]:
    """:func:`names_of_blocks` for plain address ints, :data:`NAMES_BATCH` at a time."""
    addresses = iter(addresses)
    return names_of_blocks(iter(lambda: (list(islice(addresses, NAMES_BATCH)), None), ([], None)), table, show)


def names_of_blocks(blocks: Iterable[tuple[list[int], list[str] | None]], table: SymbolTable,
                    show: Callable[[str], str]) -> Iterator[str]:
    """The hot path for function names, block by block (``(addresses, their words or None)``).

    Each block is bisected in C (``map(bisect_right, ...)``), within the
    symbols of each address's page once the input is longer than a block
    (:func:`page_bounds`); the columns are shifted by one so the bisect
    result indexes them directly (slot 0: before every symbol); a name is
    decoded and demangled the first time an address hits it, and kept with
    its separators (`` NAME+``): one string fewer to join per address.  An
    address is printed as its input word when the block's words are already
    written as ``hex()`` writes them (:func:`_address_blocks`: most input,
    which comes from tools printing ``0x%x``), else by ``hex()``.
    """
    starts = table.start_list
    lo = [0, *starts]
    hi = [0, *table.end_list]
    shown: list[str | None] = [None] * len(lo)  # " NAME+" of symbol k, once an address hits it
    pages: tuple[int, list[int], list[int]] | None = None
    seen = 0

    def fill(k: int) -> str:
        text = shown[k] = f" {show(table.name(k - 1))}+"
        return text

    for batch, words in blocks:
        if not batch:
            continue
        seen += len(batch)
        if pages is None and seen >= NAMES_BATCH:  # a long input: worth indexing the pages once
            pages = page_bounds(starts) or (0, [], [])  # (no pages: every batch bisects the whole table)
        if pages and max(batch) >> pages[0] < len(pages[1]):  # else an address past the last page
            shift, first, stop = pages
            page = list(map(rshift, batch, repeat(shift)))
            ks = map(bisect_right, repeat(starts), batch, map(first.__getitem__, page), map(stop.__getitem__, page))
        else:
            ks = map(bisect_right, repeat(starts), batch)
        # each line is two pieces, the address and the rest (a shared " ??\n" when no symbol covers it):
        # no string is made per unresolved line; hex(a) is f"0x{a:x}" for a >= 0 (no negatives are read)
        pieces: list[str] = [" ??\n"] * (2 * len(batch))
        pieces[0::2] = words or list(map(hex, batch))
        pieces[1::2] = [f"{shown[k] or fill(k)}{hex(a - lo[k])}\n" if a < hi[k] else " ??\n" for a, k in zip(batch, ks)]
        yield "".join(pieces)


def page_bounds(starts: list[int]) -> tuple[int, list[int], list[int]] | None:
    """``(shift, first, stop)``: page ``p`` (``a >> shift``) holds ``starts[first[p]:stop[p]]``.

    So ``bisect_right(starts, a, first[p], stop[p]) == bisect_right(starts, a)``
    for every ``a`` with ``p < len(first)``, in 2-3 comparisons instead of
    ~15 (libLLVM's 34k symbols): bisecting 100k addresses costs a third less.
    Pages hold ~4-8 symbols on average; None when the table is too small
    to gain, or when its addresses are so high that a page list from
    address 0 would be much longer than the table.
    """
    n = len(starts)
    if n < 64:
        return None
    shift = ((starts[-1] - starts[0]) // n).bit_length() + 2
    count = (starts[-1] >> shift) + 2  # the last page is past every start: first == stop == n
    if count > 4 * n:
        return None
    low = starts[0] >> shift  # the pages before the first symbol's all start at 0: no bisect for them
    edges = [0] * low
    edges += map(bisect_left, repeat(starts), range(low << shift, (count + 1) << shift, 1 << shift))
    return shift, edges[:-1], edges[1:]


def with_dwarf(addresses: Iterable[int], ms: ModuleSymbolizer, lines: bool, inlines: bool) -> Iterator[str]:
    """The hot path for file:line and inlines (python backend), batch by batch.

    The same answer as :func:`format_resolution` of ``ms.resolve_vaddr`` (the
    symbol-table name and offset, the outermost frame renamed to it, the
    STT_FILE fallback without a line row) without building a Resolution per
    address; DWARF is not consulted where no symbol covers the address, as
    the output then is ``??`` whatever the line table says.
    """
    table = ms.mod.symbols
    starts = table.start_list
    lo = [0, *starts]
    hi = [0, *table.end_list]
    shown: list[str | None] = [None] * len(lo)
    show = display_name if ms.demangle_names else str
    sfiles = table.files
    # with inlines and the python backend, ms.frames is dw.frames: call it without the wrapper
    dw = ms.dwarf if inlines and ms.backend == "python" else None
    frames_at = dw.frames if dw is not None else partial(ms.frames, inlines=inlines)
    addresses = iter(addresses)

    def fill(k: int) -> str:
        name = shown[k] = show(table.name(k - 1))
        return name

    while batch := list(islice(addresses, BATCH)):
        done: dict[int, str] = {}
        todo = sorted(set(batch))  # in address order: neighbours share line tables and scopes (cache locality)
        for a, k in zip(todo, map(bisect_right, repeat(starts), todo)):
            if a >= hi[k]:
                done[a] = f"0x{a:x} ??\n"
                continue
            name = shown[k] or fill(k)
            start = lo[k]
            frames = frames_at(a)
            if (not frames or frames[-1].file is None) and len(frames) <= 1:
                sfile = sfiles.get(start)
                if sfile:  # no DWARF line here: llvm-symbolizer names the STT_FILE of a local symbol, line 0
                    frames = [Frame(frames[-1].function if frames else name, sfile, 0)]
            head = f"0x{a:x} {name}+0x{a - start:x}"
            if lines:
                outer = frames[-1] if frames else Frame(name)
                head = f"{head} at {outer.file or '??'}:{outer.line}"
            if inlines and len(frames) > 1:
                if lines:
                    inner = [f"  inlined {f.function} at {f.file or '??'}:{f.line}\n" for f in reversed(frames[:-1])]
                else:
                    inner = [f"  inlined {f.function}\n" for f in reversed(frames[:-1])]
                done[a] = f"{head}\n{''.join(inner)}"
            else:
                done[a] = head + "\n"
        yield "".join(map(done.__getitem__, batch))


def run(addresses: Iterable[int], resolve: Callable[[int], Resolution],
        prefetch: Callable[[list[int]], None] | None, lines: bool, inlines: bool,
        batch_size: int = BATCH) -> Iterator[str]:
    """Yield output text batch by batch."""
    batch: list[int] = []

    def flush() -> str:
        if prefetch is not None:
            prefetch(batch)
        # each distinct address once, in address order: neighbours share tables (memory locality)
        done = {a: format_resolution(a, resolve(a), lines, inlines) for a in sorted(set(batch))}
        text = "".join([done[a] for a in batch])
        batch.clear()
        return text

    for a in addresses:
        batch.append(a)
        if len(batch) >= batch_size:
            yield flush()
    if batch:
        yield flush()


def read_addresses(stream: Iterable[bytes], source: str = "<stdin>") -> Iterator[int]:
    """Hex addresses (``0x`` optional), any number per line.

    Many lines are converted at a time (``map(int, ...)`` over their words);
    a block with a bad word is re-read word by word to name its line.  The
    blocks are flattened by ``chain`` (in C): no generator step per address.
    """
    return chain.from_iterable(ints for ints, _ in _address_blocks(stream, source))


class AddressBlocks:
    """Addresses read from ``stream`` (as :func:`read_addresses`), kept in the blocks they were read in.

    ``blocks`` yields ``(addresses, words)``: ``words`` are the block's input
    words as ``str`` when each reads exactly as ``hex()`` prints its address
    (``0x``, lowercase, no leading zero), so the names-only output can show
    them as they are; else None.  Iterating the object gives the addresses.
    """

    __slots__ = ("blocks",)

    def __init__(self, stream: Iterable[bytes], source: str = "<stdin>") -> None:
        self.blocks = _address_blocks(stream, source)

    def __iter__(self) -> Iterator[int]:
        return chain.from_iterable(ints for ints, _ in self.blocks)


#: with "x" (of 0x), the bytes of a block whose words may read as hex() prints them: lowercase hex digits,
#: spaces, newlines
_HEX_SPACE = b"0123456789abcdef \n"


def _address_blocks(stream: Iterable[bytes], source: str) -> Iterator[tuple[list[int], list[str] | None]]:
    first = 1
    for text, count, lines in _line_blocks(stream):
        words = None
        try:
            if b"-" in text:  # a sign: only the word-by-word reading refuses negative values
                raise ValueError
            xs = text.translate(None, _HEX_SPACE)  # the "x"s of 0x prefixes, and any other byte
            if not xs.strip(b"x"):  # only those: ASCII, and str and bytes split the same words
                words = text.decode().split()
                values = list(map(int, words, repeat(16)))
                # every word parsed, so an "x" can only follow a leading 0: one per word means every word has
                # the 0x prefix, and no "x0" means no leading zero after it (0x0 itself goes by hex() too)
                if len(xs) != len(words) or b"x0" in text:
                    words = None
            else:
                values = list(map(int, text.split(), repeat(16)))
        except ValueError:
            words = None
            values = list(_addresses_of(text.split(b"\n") if lines is None else lines, first, source))
        yield values, words
        first += count


def _line_blocks(stream: Iterable[bytes]) -> Iterator[tuple[bytes, int, list[bytes] | None]]:
    """Whole lines, many at a time: ``(text, line count, the lines or None when text.split(b"\\n") gives them)``.

    A binary file is read in blocks cut at their last newline (``read1``: no
    waiting for more than is available), so no bytes object is made per line;
    any other iterable of lines is taken 4096 lines at a time.
    """
    read = getattr(stream, "read1", None) or getattr(stream, "read", None)
    if read is None:
        it = iter(stream)
        while chunk := list(islice(it, 4096)):
            yield b" ".join(chunk), len(chunk), chunk
        return
    rest = b""
    while block := read(1 << 16):
        data = rest + block
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut], data.count(b"\n", 0, cut), None
        rest = data[cut:]
    if rest:
        yield rest, 1, None


def _addresses_of(lines: list[bytes], first: int, source: str) -> Iterator[int]:
    for lineno, raw in enumerate(lines, first):
        for word in raw.split():
            try:
                v = int(word, 16)
            except ValueError:
                v = parse_address(word.decode("ascii", "replace"), source, lineno)
            if v < 0:
                raise InputError(source, lineno, f"not a hex address: {word.decode('ascii', 'replace')[:40]!r}")
            yield v


def resolver_for(elf: str | None, kallsyms: str | None, debug_dirs: list[str], backend: str, lines: bool,
                 inlines: bool) -> tuple[Callable[[int], Resolution], Callable[[list[int]], None] | None]:
    """``(resolve, prefetch)`` for one ELF file (vaddrs) or a kallsyms file."""
    from .kallsyms import Kallsyms
    from .resolver import ModuleSymbolizer, Symbolizer

    if kallsyms is not None:
        sym = Symbolizer(kallsyms=Kallsyms.load(kallsyms))
        return (lambda a: sym._kernel(None, a)), None
    assert elf is not None
    ms = ModuleSymbolizer.open(elf, [*debug_dirs, *DEFAULT_DEBUG_DIRS], backend)
    want_dwarf = lines or inlines
    return (lambda a: ms.resolve_vaddr(a, lines, inlines)), ((lambda b: ms.prefetch(b, inlines)) if want_dwarf else None)


def command(addresses: Sequence[str], elf: str | None, kallsyms: str | None, debug_dirs: list[str], backend: str,
            lines: bool, inlines: bool) -> None:
    """``flamekit addr2line``: the answers for ``addresses`` (or for stdin's when none are given) on stdout."""
    import sys

    addrs: Iterable[int] = [parse_address(a, "<args>") for a in addresses] if addresses else \
        AddressBlocks(sys.stdin.buffer)
    out = sys.stdout
    for chunk in stream(addrs, elf, kallsyms, debug_dirs, backend, lines, inlines):
        out.write(chunk)
    out.flush()


#: addr2line's options taking a value -> command()'s keyword; flags likewise
_VALUED = {"--elf": "elf", "--debug-dir": "debug_dirs", "--backend": "backend"}
_FLAGS = {"--lines": "lines", "--inlines": "inlines"}


def plain_args(argv: list[str]) -> dict[str, Any] | None:
    """:func:`command`'s arguments when ``argv`` (what follows ``addr2line``) is in a plain form, else None.

    Plain: ``--elf PATH`` once (no ``--kallsyms``), any ``--debug-dir DIR``,
    ``--backend python|llvm``, ``--lines``, ``--inlines``, values as ``--opt
    VALUE`` or ``--opt=VALUE``, addresses, ``--`` before addresses.  This is
    what the click command would parse from such an argv (a test checks it);
    anything else -- help, another option, a missing, empty or dash-led
    value -- is None, for the click command to parse or report
    (:mod:`flamekit.launch`).
    """
    got: dict[str, Any] = {"addresses": [], "elf": [], "kallsyms": None, "debug_dirs": [], "backend": "python",
                           "lines": False, "inlines": False}
    args = iter(argv)
    for arg in args:
        if arg == "--":
            got["addresses"] += args
            break
        if not arg.startswith("-"):
            got["addresses"].append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name in _FLAGS and not eq:
            got[_FLAGS[name]] = True
            continue
        if name not in _VALUED:
            return None
        if not eq:
            value = next(args, "")
        if not value or value.startswith("-"):
            return None
        key = _VALUED[name]
        if key == "backend":
            got[key] = value
        else:
            got[key].append(value)
    if len(got["elf"]) != 1 or got["backend"] not in ("python", "llvm"):
        return None
    got["elf"] = got["elf"][0]
    return got


def stream(addresses: Iterable[int], elf: str | None, kallsyms: str | None, debug_dirs: list[str], backend: str,
           lines: bool, inlines: bool) -> Iterator[str]:
    """The whole command: output text for ``addresses``, batch by batch."""
    if elf is not None and not (lines or inlines):
        from .demangle import display_name_uncached
        from .elf import load_module

        with RelaxedGC():  # the table's columns are big young lists that every collection would re-scan
            mod = load_module(elf, [*debug_dirs, *DEFAULT_DEBUG_DIRS])
        # names_only shows each symbol once: display_name's cache would only cost time
        if isinstance(addresses, AddressBlocks):
            return _gc_relaxed(names_of_blocks(addresses.blocks, mod.symbols, display_name_uncached))
        return _gc_relaxed(names_only(addresses, mod.symbols, display_name_uncached))
    if elf is not None and backend == "python":
        from .resolver import ModuleSymbolizer

        ms = ModuleSymbolizer.open(elf, [*debug_dirs, *DEFAULT_DEBUG_DIRS], backend)
        return _gc_relaxed(with_dwarf(addresses, ms, lines, inlines))
    resolve, prefetch = resolver_for(elf, kallsyms, debug_dirs, backend, lines, inlines)
    return _gc_relaxed(run(addresses, resolve, prefetch, lines, inlines, LLVM_BATCH if backend == "llvm" else BATCH))


class RelaxedGC:
    """A block with rare cyclic-GC passes (the thresholds are restored after it).

    The objects made here are long-lived (symbol columns, decoded DWARF: up to
    millions) or acyclic and freed by reference counting (output text, demangled
    names); each collection would re-scan the young ones and find nothing to
    free: a quarter of the CPU time on 100k glibc addresses with DWARF, ~10 %
    for function names of libLLVM (17 collections, ~15 ms).
    """

    __slots__ = ("old",)

    def __enter__(self) -> None:
        self.old = gc.get_threshold()
        gc.set_threshold(100_000, 50, 1000)

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self.old)


def _gc_relaxed(chunks: Iterator[str]) -> Iterator[str]:
    """``chunks`` produced with rare GC passes (:class:`RelaxedGC`)."""
    with RelaxedGC():
        yield from chunks
