"""Folded stacks, flamekit's on-disk form: ``root;child;leaf COUNT`` per line.

Reading streams line by line; ``#`` comments and blank lines are skipped; the
count is split off at the last space (frames may contain spaces).  The
two-column differential form ``stack BEFORE AFTER`` is recognized per file
(every data line of the head has two counts), never per line, so a leaf such
as ``Worker 3`` is not mistaken for a count.

The one-column form is read in blocks of lines and kept packed (see
:meth:`Profile.from_packed`): a block of ordinary lines is split by one regex
into stacks and counts, with no Python work per frame or per line, and repeats
are summed once at the end; a block with anything unusual (comments, blank or
bad lines, fractional counts, blanks before a count) takes the line-by-line path, which reports every
skip.  Bytes the packing reserves (NUL, 0x01, 0x02) make the reader fall back to
tuples for the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from operator import itemgetter

from ._records import TYPE_CHECKING
from .errors import InputError, Skips
from .profile import Profile, Stack, unpack

if TYPE_CHECKING:  # imported when a file is differential (start-up: it also loads fractions and dataclasses)
    from typing import BinaryIO

    from .diff import DiffProfile

ENC = "utf-8"
ERR = "surrogateescape"
#: bytes of input read at once (then cut after its last complete line): a block and the copies
#: made of it on the way to strings (translated, decoded) stay in a core's 2 MB cache, and
#: the allocator reuses their memory instead of mapping fresh pages for every block
BLOCK = 1 << 20
#: a folded separator and the packed one (:data:`flamekit.profile.PACK_SEP`)
_SEMI, _PACK_SEP = b";", b"\x01"
#: packed separators made folded ones again, and CRs spaces (as :func:`sanitize` writes them)
_UNPACK = str.maketrans("\x01\r", "; ")
#: the end of an ordinary line: the count after the last space (a literal first, which regex search
#: is fast at), no blank before that space (blanks before a count belong to no frame: such a line
#: is not split off, and its block is read line by line; the look-behind costs nothing measurable)
_COUNT_END = re.compile(r" (?<![ \t] )([0-9]+)\r*\n")
#: the same for a block without CRs (a quarter faster: no CR run to try after every count)
_COUNT_END_LF = re.compile(r" (?<![ \t] )([0-9]+)\n")


def decode_stack(raw: bytes) -> Stack:
    """Frames of a folded stack (bytes, ``;``-separated), decoded losslessly."""
    if not raw:
        return ()
    return tuple(raw.decode(ENC, ERR).split(";"))


def _is_count(tok: bytes) -> bool:
    if not tok:
        return False
    if tok.isdigit():
        return True
    head, dot, tail = tok.partition(b".")
    return bool(dot) and (head.isdigit() or not head) and (tail.isdigit() or not tail) and bool(head or tail)


def _parse_count(tok: bytes) -> int:
    if tok.isdigit():
        return int(tok)
    # fractional counts are accepted (some tools write them) and rounded
    return int(round(float(tok)))


def looks_differential(head: bytes) -> bool:
    """True when every complete data line in ``head`` carries two counts."""
    lines = head.split(b"\n")
    if not head.endswith(b"\n"):
        lines = lines[:-1]
    seen = 0
    for line in lines:
        line = line.rstrip(b"\r")
        if not line.strip() or line.startswith(b"#"):
            continue
        parts = line.rsplit(None, 2)
        if len(parts) < 3 or not (_is_count(parts[1]) and _is_count(parts[2])):
            return False
        seen += 1
    return seen > 0


def looks_folded(head: bytes) -> bool | None:
    """Detection for folded text: most data lines end in `` COUNT``."""
    lines = head.split(b"\n")
    if not head.endswith(b"\n") and len(lines) > 1:
        lines = lines[:-1]
    elif len(lines) == 1 and len(head) >= 4096:
        # one stack longer than the head (deep recursion): frames, not yet a count
        first = head.lstrip(b"\xef\xbb\xbf")
        if b";" in first and b"\x00" not in first and not first[:1].isspace() and not first.startswith(b"#"):
            return None
        return False
    good = bad = 0
    for line in lines[:200]:
        line = line.rstrip(b"\r")
        if not line.strip() or line.startswith(b"#"):
            continue
        stack, sep, count = line.rpartition(b" ")
        if sep and _is_count(count) and stack.strip() and not stack.startswith((b" ", b"\t")):
            if b";" not in stack and stack.rstrip().endswith(b":"):
                bad += 1  # 'name: 0', a statistics report (trace-cmd stat), not a one-frame stack
                continue
            good += 1
        else:
            bad += 1
    if good == 0:
        return False
    if bad == 0:
        return True
    return None if good > bad else False


def read(
    stream: BinaryIO,
    source: str = "<input>",
    skips: Skips | None = None,
    differential: bool | None = None,
    head: bytes | None = None,
) -> Profile | DiffProfile:
    """Read folded stacks; a :class:`DiffProfile` for the two-column form.

    ``differential`` forces the form; by default the head decides.
    """
    skips = skips if skips is not None else Skips()
    if differential is None:
        if head is None and hasattr(stream, "peek"):
            head = stream.peek(8192)[:8192]
        differential = looks_differential(head or b"")
    if not differential:
        return _read_one_column(stream, source, skips)
    from .diff import DiffProfile

    before: dict[Stack, int] = {}
    after: dict[Stack, int] = {}
    lineno = 0
    for lineno, line in enumerate(stream, 1):
        line = line.rstrip(b"\r\n")
        if not line or line[0] == 35 or not line.strip():  # '#'
            continue
        parts = line.rsplit(b" ", 2)
        if len(parts) != 3 or not (_is_count(parts[1]) and _is_count(parts[2])):
            skips.skip(source, lineno, "expected 'stack BEFORE AFTER'")
            continue
        stack = decode_stack(parts[0])
        b, a = _parse_count(parts[1]), _parse_count(parts[2])
        before[stack] = before.get(stack, 0) + b
        after[stack] = after.get(stack, 0) + a
    return DiffProfile(Profile(before, sources=[source]), Profile(after, sources=[source]))


def _blocks(stream: BinaryIO) -> Iterator[bytes]:
    """The input in pieces of whole lines, each ending in ``\n`` (one is added to a last unended line)."""
    pending: list[bytes] = []
    while True:
        block = stream.read(BLOCK)
        if not block:
            break
        cut = block.rfind(b"\n") + 1
        if not cut:
            pending.append(block)
            continue
        pending.append(block[:cut])
        yield b"".join(pending)
        pending = [block[cut:]] if cut < len(block) else []
    if pending:
        yield b"".join(pending) + b"\n"


def _pack_key(stack: bytes) -> str:
    return stack.replace(_SEMI, _PACK_SEP).decode(ENC, ERR)


def _read_one_column(stream: BinaryIO, source: str, skips: Skips) -> Profile:
    """``frame;frame;... COUNT`` lines, kept packed unless a frame holds a byte the packing reserves."""
    keys: list[str] = []  # packed stacks in input order, repeats included
    weights: list[int] = []
    stacks: dict[Stack, int] | None = None  # the tuple form, once packing is impossible
    lineno = 0
    for block in _blocks(stream):
        if stacks is None and (b"\x00" in block or b"\x01" in block or b"\x02" in block):
            stacks = unpack(_summed(keys, weights))
        if stacks is not None:
            for raw, w in _lines(block, lineno, source, skips):
                stack = decode_stack(raw)
                stacks[stack] = stacks.get(stack, 0) + w
        else:
            added = _add_block(block, keys, weights)
            if added is not None:
                lineno += added
                continue
            for raw, w in _lines(block, lineno, source, skips):
                keys.append(_pack_key(raw))
                weights.append(w)
        lineno += block.count(b"\n")
    if stacks is not None:
        return Profile(stacks, sources=[source])
    return Profile.from_packed(_summed(keys, weights), sources=[source])


def _summed(keys: list[str], weights: list[int]) -> dict[str, int]:
    """Weights by stack, repeats summed, in first-seen order (one dict construction when nothing repeats)."""
    out = dict(zip(keys, weights))
    if len(out) != len(keys):
        out = {}
        for k, w in zip(keys, weights):
            out[k] = out.get(k, 0) + w
    return out


def _add_block(block: bytes, keys: list[str], weights: list[int]) -> int | None:
    """Append a block of ordinary lines and return how many; None (nothing appended) if some line is not ordinary."""
    # (one-byte tests first: they run at memchr speed, two-byte ones far slower)
    if b"#" in block and (block[:1] == b"#" or b"\n#" in block):
        return None
    text = block.replace(_SEMI, _PACK_SEP).decode(ENC, ERR)  # (a third faster than bytes.translate)
    parts = (_COUNT_END if b"\r" in block else _COUNT_END_LF).split(text)
    got = parts[0:-1:2]
    # every line ended in ' COUNT' unless a newline is left in a stack or after the last count
    # (a blank, bad or fractional line, or blanks before a count, join the next one); joining
    # and searching at memchr speed costs a third of counting the block's newlines
    if parts[-1] or "\n" in "".join(got):
        return None
    keys.extend(got)
    weights.extend(map(int, parts[1::2]))
    return len(got)


def _lines(block: bytes, before: int, source: str, skips: Skips) -> Iterator[tuple[bytes, int]]:
    """(stack bytes, weight) of a block's lines (after line ``before``) one by one; comments, blank and
    bad lines as folded text always was (bad ones reported)."""
    for lineno, line in enumerate(block.split(b"\n")[:-1], before + 1):
        line = line.rstrip(b"\r")
        if not line or line[0] == 35 or not line.strip():  # '#'
            continue
        stack, sep, count = line.rpartition(b" ")
        if not sep or not _is_count(count):
            skips.skip(source, lineno, "expected 'frame;frame;... COUNT'")
            continue
        yield stack.rstrip(b" \t"), _parse_count(count)


def read_profile(stream: BinaryIO, source: str = "<input>", skips: Skips | None = None) -> Profile:
    """Read one-column folded stacks (a differential file is an error)."""
    result = read(stream, source, skips, differential=False)
    assert isinstance(result, Profile)
    return result


def sanitize(name: str) -> str:
    """A frame name made safe for folded text: ``;`` → ``:``, line breaks → space."""
    if ";" in name or "\n" in name or "\r" in name:
        return name.replace(";", ":").replace("\r", " ").replace("\n", " ")
    return name


def encode_stack(stack: Stack) -> bytes:
    """The folded bytes of a stack (frames sanitized, non-UTF-8 bytes restored)."""
    text = ";".join(stack)
    if text.count(";") != len(stack) - 1 or "\n" in text or "\r" in text:
        text = ";".join(map(sanitize, stack))  # some frame needs sanitizing (rare)
    return text.encode(ENC, ERR)


def _sorted_rows(profile: Profile) -> list[tuple[bytes, int]]:
    """(encoded stack, weight) pairs in the byte order of the stacks (as FlameGraph sorts)."""
    packed = profile.packed_stacks()
    if packed:
        # stacks read from folded text: no frame holds ';' or a newline, so the folded
        # bytes are the packed keys with separators put back (and CRs sanitized), encoded at once
        text = "\n".join(packed).translate(_UNPACK).encode(ENC, ERR)
        rows = list(zip(text.split(b"\n"), packed.values()))
    else:
        rows = [(encode_stack(s), w) for s, w in profile.stacks.items()]
    rows.sort(key=itemgetter(0))
    return rows


def dumps(profile: Profile) -> bytes:
    """Folded text of ``profile``, lines in byte order (as FlameGraph sorts)."""
    return b"".join([b"%s %d\n" % row for row in _sorted_rows(profile)])


def write(profile: Profile, out: BinaryIO) -> None:
    """Write the folded text of ``profile`` in pieces (never the whole text in memory at once)."""
    rows = _sorted_rows(profile)
    for i in range(0, len(rows), 4096):
        out.write(b"".join([b"%s %d\n" % row for row in rows[i:i + 4096]]))


def dumps_diff(diff: DiffProfile) -> bytes:
    """The two-column form ``stack BEFORE AFTER``, lines in byte order."""
    rows = []
    for stack in diff.stacks():
        key = encode_stack(stack)
        rows.append((key, diff.before.stacks.get(stack, 0), diff.after.stacks.get(stack, 0)))
    rows.sort(key=lambda r: r[0])
    return b"".join(b"%s %d %d\n" % r for r in rows)


def iter_lines(profile: Profile) -> Iterable[bytes]:
    for stack, w in profile.sorted_items():
        yield encode_stack(stack) + b" %d\n" % w
