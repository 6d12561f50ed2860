"""Reading text inputs in large chunks cut at record boundaries.

The multi-line stack formats (BCC, bpftrace, DTrace) separate records by a
fixed byte sequence; reading megabytes at a time and cutting at the last
boundary lets a parser split and memoize whole records instead of looping
over lines in Python.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from .._records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, BinaryIO

CHUNK = 4 << 20


def chunks(
    stream: BinaryIO, boundary: bytes, size: int | None = None, cut: int | None = None, keep_cr: bool = False
) -> Iterator[tuple[bytes, int]]:
    """Pieces of ``stream`` that end just after a ``boundary`` (the last may not).

    ``cut`` moves the cut to that many bytes into the boundary (e.g. 1 to cut
    ``\\n@`` between the newline and the ``@``).

    Yields ``(piece, line)`` where ``line`` is the 1-based number of the
    piece's first line in the whole input.  CRLF line ends become LF unless ``keep_cr``.
    """
    size = size or CHUNK  # read at call time, so tests can shrink it to cut records anywhere
    line = 1
    rest = b""
    while True:
        data = stream.read(size)
        if not data:
            break
        if not keep_cr and b"\r" in data:
            if data.endswith(b"\r"):
                more = stream.read(1)
                data += more
            data = data.replace(b"\r\n", b"\n")
        buf = rest + data if rest else data
        at = buf.rfind(boundary)
        if at < 0:
            rest = buf
            continue
        at += len(boundary) if cut is None else cut
        piece, rest = buf[:at], buf[at:]
        yield piece, line
        line += piece.count(b"\n")
    if rest:
        yield rest, line


def decode(raw: bytes) -> str:
    """Frame text decoded losslessly (undecodable bytes survive as surrogates)."""
    return raw.decode("utf-8", "surrogateescape")


def with_head(stream: BinaryIO, params: dict[str, Any], size: int = 8192) -> tuple[BinaryIO, bytes]:
    """The stream (buffered if it cannot peek) and its first bytes: ``_head`` when load() gave it."""
    head = params.get("_head")
    if head is not None:
        return stream, head
    if not hasattr(stream, "peek"):
        stream = io.BufferedReader(stream, 1 << 20)  # type: ignore[arg-type,type-var]
    return stream, stream.peek(size)[:size]  # type: ignore[attr-defined]



def line_chunks(stream: BinaryIO, size: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Pieces of ``stream`` made of whole lines (each ends with a newline; the last
    may not), as read: CRLF stays.  Yields ``(line, piece)``, ``line`` being the
    1-based number of the piece's first line."""
    for piece, line in chunks(stream, b"\n", size, keep_cr=True):
        yield line, piece
