"""``NamedTuple`` for class-syntax records, without importing :mod:`typing` at run time.

``typing`` (with ``contextlib`` and ``warnings``) is ~3 ms of every start, and
``flamekit addr2line`` needs nothing else from it: its records (ELF segments
and symbols, frames) are declared as for ``typing.NamedTuple`` -- annotated
fields, defaults, docstring, methods -- and built here by
``collections.namedtuple``: a tuple subclass with the same fields, defaults,
``repr``, equality, ``_replace`` and ``_fields``.  Type checkers see
``typing.NamedTuple`` itself.
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
