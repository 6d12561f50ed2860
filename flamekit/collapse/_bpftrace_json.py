"""A bpftrace ``-f json`` map line folded without ``json.loads``.

bpftrace prints a map as one line, ``{"type": "map", "data": {"@name": {"key":
N, "key": N, ...}}}``.  ``json.loads`` of such a line builds every key as a
string (unescaping its ``\\n``) and the whole dict before a key is folded: most
of the CPU where pids make every key new.  This reader cuts the map object at
every quote, which gives the raw keys and the ``: N, `` between them, and folds
a key from its raw JSON text through two memos, as the text reader does: a key
ending in ``,DIGITS`` (a pid) by its text up to the digits, any other key
whole.  A key not in the memos is decoded by ``json.loads`` alone and folded by
the reader's general code, which fills the memos.

The cut is the JSON parse when every key is the body of a valid JSON string (so
it ends before an unescaped quote: a key holding an escaped quote is cut short
and fails) and every piece between keys is ``: N, `` with ``N`` a JSON
integer; anything else (another shape, spacing or value type, a key that does
not decode) gives up on the line, untouched, and the caller parses it with
``json.loads``.  A line whose keys fold to fewer stacks than it has keys is
given up too when two of its keys could be one key for ``json.loads`` (the same
text, or escapes that have another spelling), since a JSON object keeps one
value per key.
"""

from __future__ import annotations

import json

from .._records import TYPE_CHECKING
from ..profile import Stack

if TYPE_CHECKING:
    from .bpftrace import _Reader

MAP_HEAD = b'{"type": "map", "data": {"'
#: most distinct key parts and values memoized
MEMO = 1 << 16


class JsonMaps:
    """Folds map lines for ``reader`` (its maps, memos and general key folding)."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        #: raw key up to the digits that end it -> (fold before them, fold after, has a stack)
        self.fronts: dict[bytes, tuple[tuple[str, ...], Stack, bool]] = {}
        #: raw key -> (its fold, has a stack)
        self.wholes: dict[bytes, tuple[Stack, bool]] = {}
        #: ``: N, `` between two keys -> N
        self.seps: dict[bytes, int] = {}

    def fold(self, raw: bytes) -> bool:
        """Fold one stripped line if it is a map line of the common shape; False (nothing
        changed) if it must be parsed by ``json.loads``."""
        if not (raw.startswith(MAP_HEAD) and raw.endswith(b"}}}")):
            return False
        i = raw.find(b'": {', len(MAP_HEAD))
        name = raw[len(MAP_HEAD):i]
        body = raw[i + 4:-3]
        if i < 0 or b'"' in name or b"\\" in name or not name.isascii() or body[:1] != b'"':
            return False
        # "KEY": N, "KEY": N ... cut at every quote: the keys, and ': N, ' between them
        parts = body.split(b'"')
        if parts[0] or not len(parts) & 1:
            return False
        parts[-1] += b", "  # the last value as the others (a trailing comma would stay doubled)
        keys = parts[1::2]
        fronts, wholes, seps = self.fronts, self.wholes, self.seps
        stacks: dict[Stack, int] = {}
        has_stack = False
        self.odd = False  # a key decoded by learn() had an escape with another spelling
        for key, sep in zip(keys, parts[2::2]):
            value = seps.get(sep)
            if value is None:
                value = _json_int(sep[2:-2]) if sep[:2] == b": " and sep[-2:] == b", " else None
                if value is None:
                    return False
                if len(seps) < MEMO:
                    seps[sep] = value
            c = key.rfind(b",")
            pid = key[c + 1:]
            if pid.isdigit():
                got = fronts.get(key[:c + 1])
                if got is not None:
                    stack = got[0] + (pid.decode(),) + got[1]
                    if not has_stack:
                        has_stack = got[2]
            else:
                got = wholes.get(key)
                if got is not None:
                    stack = got[0]
                    if not has_stack:
                        has_stack = got[1]
            if got is None:
                learnt = self.learn(key)
                if learnt is None:
                    return False
                stack = learnt[0]
                if not has_stack:
                    has_stack = learnt[1]
            n = len(stacks)
            old = stacks.setdefault(stack, value)  # one hash for a new stack
            if len(stacks) == n:  # it was there: add
                stacks[stack] = old + value
        if len(stacks) < len(keys) and (self.odd or len(set(keys)) < len(keys)):
            return False  # stacks met and json.loads may have kept one of two equal keys
        m = self.reader._map(name.decode("ascii"))
        m.printouts += 1
        m.stacks = stacks
        if has_stack:
            m.has_stack = True
        return True

    def learn(self, key: bytes) -> tuple[Stack, bool] | None:
        """Decode a raw key as ``json.loads`` does (None if it is not a JSON string's body),
        fold it as the reader's general code does, and memoize it (see :meth:`fold`)."""
        try:
            text = json.loads((b'"%s"' % key).decode("utf-8"))
        except ValueError:  # not UTF-8, or not a JSON string (UnicodeDecodeError is one)
            return None
        if b"\\u" in key or b"\\/" in key:
            # another key may spell the same text otherwise: never memoized, so that a line
            # where stacks meet is given up whenever such a key is in it
            self.odd = True
            memo = False
        else:
            memo = True
        reader = self.reader
        if not text.isascii():
            stack, has = reader._key(text.encode("utf-8", "surrogateescape"))
            if memo and len(self.wholes) < MEMO:
                self.wholes[key] = (stack, has)
            return stack, has
        last = text.rfind("\n")
        if last < 0:
            pre: tuple[str, ...] = ()
            post = reader.sglue.get(text) or reader._str_scalars(text)
            back: Stack = ()
        else:
            pre, back = reader._json_head(text[:last + 1])
            post = reader._str_post_fields(text[last + 1:]) if last + 1 < len(text) else ()
        stack = pre + post + back
        has = last >= 0
        if not memo:
            return stack, has
        c = key.rfind(b",")
        digits = key[c + 1:]
        if digits.isdigit() and post[-1:] == (digits.decode(),):
            # the fields before the digits fold the same whatever digits follow the comma
            if len(self.fronts) < MEMO:
                self.fronts[key[:c + 1]] = (pre + post[:-1], back, has)
        elif len(self.wholes) < MEMO:
            self.wholes[key] = (stack, has)
        return stack, has


def _json_int(v: bytes) -> int | None:
    """The value of a JSON integer (``-?(0|[1-9][0-9]*)``), else None."""
    digits = v[1:] if v[:1] == b"-" else v
    if not digits.isdigit() or (digits[:1] == b"0" and len(digits) > 1):
        return None
    return int(v)
