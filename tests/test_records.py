"""flamekit._records.NamedTuple: class-syntax records built without importing typing."""

from __future__ import annotations

import pickle
import typing

from flamekit._records import NamedTuple


class Rec(NamedTuple):
    """A record."""

    a: int
    b: str | None = None
    c: int = 0

    @property
    def twice(self) -> int:
        return 2 * self.a

    @classmethod
    def make(cls, a: int) -> Rec:
        return cls(a, "made")


class TypingRec(typing.NamedTuple):
    a: int
    b: str | None = None
    c: int = 0


def test_records_behave_as_typing_named_tuples():
    r = Rec(1)
    t = TypingRec(1)
    assert r == t == (1, None, 0) and hash(r) == hash(t)
    assert repr(r) == repr(t).replace("TypingRec", "Rec")
    assert Rec._fields == TypingRec._fields and Rec._field_defaults == TypingRec._field_defaults
    assert r._replace(c=3) == Rec(1, None, 3) and type(r._replace(c=3)) is Rec
    assert Rec._make([1, "x", 2]) == (1, "x", 2) and type(Rec._make([1, "x", 2])) is Rec
    assert r._asdict() == t._asdict()
    assert r.twice == 2 and Rec.make(4) == (4, "made", 0)
    assert Rec.__doc__ == "A record." and Rec.__module__ == __name__ and Rec.__name__ == "Rec"
    assert isinstance(r, tuple) and not hasattr(r, "__dict__")
    assert pickle.loads(pickle.dumps(r)) == r
    a, b, c = r
    assert (a, b, c) == (1, None, 0)
