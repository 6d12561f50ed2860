"""Cheap tests on a detection head, asked before a line-anchored regex is.

Detection gives every format's ``detect()`` the first 64 KB of an input, and
a pattern anchored at line starts (``(?m)^...``) makes the regex engine try
every line: 0.3-1 ms each on 64 KB of folded text, which every flame graph of
a folded file reads through all formats.  A substring search for what such a
line must start with answers most heads in microseconds, and only a head that
has one goes on to the regex.
"""

from __future__ import annotations


def has_line_starting(head: bytes, *starts: bytes) -> bool:
    """Whether a line of ``head`` starts with one of ``starts``."""
    return any(head.startswith(s) or b"\n" + s in head for s in starts)


def has_any(head: bytes, *needles: bytes) -> bool:
    """Whether ``head`` holds one of ``needles`` (a function, so a test can check what it spares)."""
    return any(n in head for n in needles)
