"""Folded stacks, flamekit's on-disk form: ``root;child;leaf COUNT`` per line.

Reading streams line by line; ``#`` comments and blank lines are skipped; the
count is split off at the last space (frames may contain spaces).  The
two-column differential form ``stack BEFORE AFTER`` is recognized per file
(every data line of the head has two counts), never per line, so a leaf such
as ``Worker 3`` is not mistaken for a count.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import BinaryIO

from .diff import DiffProfile
from .errors import InputError, Skips
from .profile import Profile, Stack

ENC = "utf-8"
ERR = "surrogateescape"


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
    before: dict[Stack, int] = {}
    after: dict[Stack, int] = {}
    lineno = 0
    for lineno, line in enumerate(stream, 1):
        line = line.rstrip(b"\r\n")
        if not line or line[0] == 35 or not line.strip():  # '#'
            continue
        if differential:
            parts = line.rsplit(b" ", 2)
            if len(parts) != 3 or not (_is_count(parts[1]) and _is_count(parts[2])):
                skips.skip(source, lineno, "expected 'stack BEFORE AFTER'")
                continue
            stack = decode_stack(parts[0])
            b, a = _parse_count(parts[1]), _parse_count(parts[2])
            before[stack] = before.get(stack, 0) + b
            after[stack] = after.get(stack, 0) + a
        else:
            stack_b, sep, count = line.rpartition(b" ")
            if not sep or not _is_count(count):
                skips.skip(source, lineno, "expected 'frame;frame;... COUNT'")
                continue
            stack = decode_stack(stack_b.rstrip(b" \t"))
            after[stack] = after.get(stack, 0) + _parse_count(count)
    if differential:
        return DiffProfile(Profile(before, sources=[source]), Profile(after, sources=[source]))
    return Profile(after, sources=[source])


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
