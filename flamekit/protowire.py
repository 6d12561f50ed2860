"""The protobuf wire format, by hand: just what pprof's ``profile.proto`` needs.

flamekit writes and reads pprof without the ``protobuf`` package: the
schema is small and stable, a generated module would add a dependency and
a code-generation step, and the hot paths (packed location ids, sample
values) are faster as byte joins and ``bytes.isascii`` short cuts than
through message objects.  Decoding is defensive: every malformed input
raises :class:`WireError`, which readers turn into an ``InputError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from ._records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

VARINT, I64, LEN, I32 = 0, 1, 2, 5

_SMALL = [bytes([i]) for i in range(128)]
_MASK64 = (1 << 64) - 1


@cache
def small_varints() -> list[bytes]:
    """The varints of 0 .. 2**14-1 (lengths and ids on the writer's hot path).

    Built on first use: the 16k-entry table costs ~3 ms, and every command
    imports this module (format detection asks the pprof reader), while only
    writing pprof uses the table.
    """
    return _SMALL + [bytes([(i & 0x7F) | 0x80, i >> 7]) for i in range(128, 1 << 14)]


def __getattr__(name: str) -> Any:
    """``SMALL_VARINTS``: the table of :func:`small_varints`, for importers of the old name."""
    if name == "SMALL_VARINTS":
        return small_varints()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class WireError(ValueError):
    """The bytes are not valid protobuf wire format (or not what we expect)."""


# -- encoding -----------------------------------------------------------------

def varint(n: int) -> bytes:
    """``n`` as a base-128 varint; negative int64 values take ten bytes, as protobuf does."""
    if 0 <= n < 128:
        return _SMALL[n]
    if n < 0:
        if n < -(1 << 63):
            raise OverflowError(f"{n} does not fit in int64")
        n &= _MASK64
    elif n >= 1 << 64:
        raise OverflowError(f"{n} does not fit in 64 bits")
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def tag(field: int, wire: int) -> bytes:
    return varint((field << 3) | wire)


def uint_field(field: int, n: int) -> bytes:
    """A varint field; proto3 omits zero values."""
    return tag(field, VARINT) + varint(n) if n else b""


def bytes_field(field: int, data: bytes) -> bytes:
    """A length-delimited field (string, message, or packed repeated)."""
    n = len(data)
    return tag(field, LEN) + (small_varints()[n] if n < 16384 else varint(n)) + data


def packed(field: int, values: list[int]) -> bytes:
    """A packed repeated varint field (nothing for an empty list)."""
    if not values:
        return b""
    return bytes_field(field, b"".join([varint(v) for v in values]))


# -- decoding -----------------------------------------------------------------

def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise WireError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _MASK64, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than ten bytes")


def signed(n: int) -> int:
    """An int64 read as an unsigned varint, back to its sign."""
    return n - (1 << 64) if n >= 1 << 63 else n


def fields(buf: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, int, int]]:
    """Fields of the message in ``buf[start:end]``: (number, wire type, a, b).

    For a varint, ``a`` is the value; for a length-delimited field,
    ``buf[a:b]`` is its content; fixed-width fields are skipped over (a, b
    give their span).  Groups and unknown wire types are errors.
    """
    if end is None:
        end = len(buf)
    pos = start
    while pos < end:
        key = buf[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == VARINT:
            b = buf[pos] if pos < end else 0x80
            if b < 0x80 and pos < end:
                yield number, wire, b, pos + 1
                pos += 1
            else:
                value, pos = read_varint(buf, pos, end)
                yield number, wire, value, pos
        elif wire == LEN:
            length, pos = read_varint(buf, pos, end)
            stop = pos + length
            if stop > end:
                raise WireError("length-delimited field runs past its message")
            yield number, wire, pos, stop
            pos = stop
        elif wire == I64 or wire == I32:
            stop = pos + (8 if wire == I64 else 4)
            if stop > end:
                raise WireError("truncated fixed-width field")
            yield number, wire, pos, stop
            pos = stop
        else:
            raise WireError(f"unsupported wire type {wire}")


def unpack_varints(buf: bytes, start: int, end: int) -> list[int]:
    """The values of a packed repeated varint field."""
    seg = buf[start:end]
    if seg.isascii():  # every value below 128: one byte each
        return list(seg)
    out = []
    pos = 0
    n = len(seg)
    while pos < n:
        b = seg[pos]
        if b < 0x80:
            out.append(b)
            pos += 1
        else:
            v, pos = read_varint(seg, pos, n)
            out.append(v)
    return out


def looks_like_message(head: bytes, wire_types: dict[int, tuple[int, ...]], min_fields: int = 2) -> bool:
    """Whether ``head`` (possibly truncated) starts like a message whose fields
    are all among ``wire_types`` (field number -> allowed wire types).

    Only fields that end inside ``head`` count; at least ``min_fields`` of
    them, or a whole short message that ends exactly at the end of ``head``.
    """
    seen = 0
    pos = 0
    end = len(head)
    while pos < end:
        try:
            key, nxt = read_varint(head, pos, end)
            number, wire = key >> 3, key & 7
            if wire not in wire_types.get(number, ()):
                return False
            if wire == VARINT:
                _, nxt = read_varint(head, nxt, end)
            elif wire == LEN:
                length, nxt = read_varint(head, nxt, end)
                nxt += length
            else:
                nxt += 8 if wire == I64 else 4
        except WireError:
            break  # the head ends inside a field
        if nxt > end:
            break
        pos = nxt
        seen += 1
    return seen >= min_fields or (seen >= 1 and pos == end)
