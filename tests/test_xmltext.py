"""flamekit.render.xmltext: names shown faithfully as well-formed XML text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flamekit.render.xmltext import display, escape, safe_text, xml_name

_VISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)} | {0xFFFE: "\\ufffe", 0xFFFF: "\\uffff"}


def reference_display(name: str) -> str:
    """What display() computes, without its shortcut for printable ASCII."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace").translate(_VISIBLE)


# names as folded text decodes them (surrogateescape'd bytes), and any other text
names = st.one_of(st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
                  st.text(max_size=40), st.text(st.characters(max_codepoint=0x7F), max_size=40))


@given(names)
def test_display_equals_the_full_conversion(name: str) -> None:
    display.cache_clear()  # the shortcut and the full path, not a cached answer
    assert display(name) == reference_display(name)


@given(st.text(max_size=40) | st.text(st.sampled_from('ab&<>"\'; '), max_size=20))
def test_escape_replaces_the_four_characters_and_nothing_else(text: str) -> None:
    expected = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert escape(text) == expected
    assert xml_name(text) == escape(reference_display(text))


def test_display_examples() -> None:
    assert display("main") == "main" and display("a b<c>&") == "a b<c>&"
    assert display("tab\there") == "tab\\x09here" and display("del\x7f") == "del\\x7f"
    assert display("bad\udc80byte") == "bad\\x80byte" and display("\ufffe") == "\\ufffe"
    assert display("lone\ud800") == "lone\\ud800" and display("é") == "é"
    assert xml_name('a<b>&"c"') == "a&lt;b&gt;&amp;&quot;c&quot;"
    assert safe_text("x\x00<") == "x\\x00&lt;"
