"""Turning arbitrary frame names into text that is always well-formed XML.

Names are decoded with surrogateescape, so they may hold bytes that are not
UTF-8, NUL and other control characters that XML 1.0 forbids outright.  Such
characters are shown as visible escapes (``\\x80``, ``\\x00``), so a name is
displayed faithfully and the document always parses; ``& < > "`` become
entities.  Data embedded for scripts is JSON with ``< > &`` escaped, so no
name can end a CDATA section or an element, or run as code.
"""

from __future__ import annotations

import json
from functools import lru_cache

from .._records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

# C0 controls (XML forbids most; tab/newline/CR would render as blanks) and DEL
_VISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_VISIBLE.update({0xFFFE: "\\ufffe", 0xFFFF: "\\uffff"})
_ENTITIES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
_TEXT_TABLE = {**_VISIBLE, **_ENTITIES}


@lru_cache(maxsize=1 << 16)
def display(name: str) -> str:
    """The name as shown: undecodable bytes and control characters as visible escapes."""
    if name.isascii() and name.isprintable():  # most names: nothing to show otherwise (~10x faster)
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that did not come from a byte
        raw = name.encode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "backslashreplace")
    return text.translate(_VISIBLE)


def escape(text: str) -> str:
    """``text`` (already displayable) safe in XML content and double-quoted attributes."""
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.translate(_ENTITIES)
    return text  # (most names: four scans in C are ~8x faster than translating character by character)


def xml_name(name: str) -> str:
    """A frame name as escaped XML text (display form, entities)."""
    return escape(display(name))


def safe_text(text: str) -> str:
    """Any user string (titles, notes) as escaped XML text."""
    return display(text).translate(_TEXT_TABLE)


def embed_json(data: Any) -> str:
    """JSON that can sit in an XML element: ASCII only, no ``<``, ``>`` or ``&``."""
    out = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
