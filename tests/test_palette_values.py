"""flamekit.render.palette: a name's colour comes from a stable hash of its bytes."""

from __future__ import annotations

from hashlib import blake2b

from hypothesis import given
from hypothesis import strategies as st

from flamekit.render.palette import Palette, _digest_values


@given(st.text(max_size=60) | st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")))
def test_digest_values_are_the_three_big_endian_halfwords_of_the_hash(name: str) -> None:
    d = blake2b(name.encode("utf-8", "surrogatepass"), digest_size=6).digest()
    expected = tuple(int.from_bytes(d[i:i + 2], "big") / 65536 for i in (0, 2, 4))
    assert _digest_values(name) == expected
    assert all(0 <= v < 1 for v in expected)


def test_known_colours_do_not_change() -> None:
    """The same function gets the same colour in every graph, release after release."""
    p = Palette()
    assert [p.fill(n) for n in ("main", "do_syscall_64_[k]", "-")] == [
        "rgb(247,65,22)", "rgb(215,225,38)", "rgb(200,200,200)"]
