"""The ``flamekit addr2line`` output: one line per address, streamed in batches.

``0xADDR FUNCTION+0xOFFSET`` (`` at FILE:LINE`` with lines), then with
inlines one indented line per inlined call, outermost first, each with its
own position; ``0xADDR ??`` when unresolved.  Addresses are read lazily and
answered in batches so 100,000 of them stream without a large buffer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..errors import InputError
from . import Frame, Resolution

BATCH = 4096


def parse_address(text: str, source: str = "<stdin>", line: int | None = None) -> int:
    t = text.strip()
    try:
        return int(t[2:] if t[:2].lower() == "0x" else t, 16)
    except ValueError:
        raise InputError(source, line, f"not a hex address: {t[:40]!r}") from None


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
        for depth, f in enumerate(reversed(frames[:-1]), 1):
            out.append("  " * depth + f"inlined {f.function}" + (_pos(f) if lines else "") + "\n")
    return "".join(out)


def run(addresses: Iterable[int], resolve: Callable[[int], Resolution],
        prefetch: Callable[[list[int]], None] | None, lines: bool, inlines: bool) -> Iterator[str]:
    """Yield output text batch by batch."""
    batch: list[int] = []

    def flush() -> str:
        if prefetch is not None:
            prefetch(batch)
        text = "".join(format_resolution(a, resolve(a), lines, inlines) for a in batch)
        batch.clear()
        return text

    for a in addresses:
        batch.append(a)
        if len(batch) >= BATCH:
            yield flush()
    if batch:
        yield flush()


def read_addresses(stream: Iterable[bytes], source: str = "<stdin>") -> Iterator[int]:
    for lineno, raw in enumerate(stream, 1):
        for word in raw.split():
            yield parse_address(word.decode("ascii", "replace"), source, lineno)
