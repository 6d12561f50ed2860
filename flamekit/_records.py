"""``NamedTuple`` and ``Record`` for records, without importing :mod:`typing` or :mod:`dataclasses` at run time.

``typing`` (with ``contextlib`` and ``warnings``) is ~3 ms of every start, and
``flamekit addr2line`` needs nothing else from it: its records (ELF segments
and symbols, frames) are declared as for ``typing.NamedTuple`` -- annotated
fields, defaults, docstring, methods -- and built here by
``collections.namedtuple``: a tuple subclass with the same fields, defaults,
``repr``, equality, ``_replace`` and ``_fields``.  Type checkers see
``typing.NamedTuple`` itself.

:class:`Record` is the base of the mutable records on the flame graph's path
(the :class:`~flamekit.profile.Profile` hub, options, layout frames), written
as plain classes with their own ``__init__``: ``dataclasses`` (with
``inspect``, ``ast``, ``dis`` and ``tokenize``) costs ~10 ms of every start
and an ``exec`` per class, a tenth of a small flame graph.  It gives them the
``repr`` and ``==`` a dataclass would generate, over the fields they list.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers take it as True)

if TYPE_CHECKING:
    from typing import NamedTuple
else:

    class _RecordType(type):
        """Makes each subclass of :class:`NamedTuple` a subclass of a ``collections.namedtuple``."""

        def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, object]) -> type:
            if ns.get("__module__") == __name__ and name == "NamedTuple":  # the base itself
                return super().__new__(mcls, name, bases, ns)
            fields = list(ns.get("__annotations__", {}))
            defaults = [ns[f] for f in fields if f in ns]
            tup = namedtuple(name, fields, defaults=defaults, module=ns.get("__module__"))
            body = {k: v for k, v in ns.items() if k not in fields and k != "__annotations__"}
            return type(name, (tup,), {**body, "__slots__": ()})

    class NamedTuple(metaclass=_RecordType):
        """Base of class-syntax records (see the module docstring)."""


class Record:
    """``repr`` and ``==`` as ``@dataclass`` generates them, over the attributes named in ``_fields``.

    A subclass lists its fields in ``_fields`` (in constructor order, leaving
    out those a dataclass would declare ``repr=False, compare=False``) and
    writes its ``__init__``; ``__slots__`` works as usual.  Equal records are
    of the same class with equal field tuples; records are unhashable, as
    mutable dataclasses are.  (``repr`` does not guard against a record that
    contains itself: none of flamekit's do.)
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        values = map(self.__getattribute__, self._fields)
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, values))
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(map(self.__getattribute__, self._fields)) == tuple(map(other.__getattribute__, self._fields))
