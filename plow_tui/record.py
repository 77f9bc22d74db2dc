"""`Record`: a small value class written out by hand, what `@dataclass` would generate.

The resources the store reads before the main screen's first frame (`Chat`,
`ChatMessage`, …), the widgets' view models (`ChatSummary`, `Entry`) and
`Unsent` all load before it. On Python 3.11 a dataclass writes its
`__init__`, `__repr__`, `__eq__`, `__hash__` (and, frozen, `__setattr__`)
as source and compiles each with `exec` as its class is defined: about
1.7 ms per class, ~15 ms of start-up for these nine. A `Record` subclass
writes its `__init__` itself (the hot one: messages are built by the
thousand) and lists its fields in `__slots__`; this base gives it the rest
from that list, with the dataclass's meaning:

- `repr` shows every field but those in `_hidden` (`raw`: the server's JSON);
- `==` compares records of the same class field by field, except `_hidden`;
  `hash` hashes the same fields (all these classes were hashable);
- `frozen = True` refuses to set an attribute after `__init__`, which sets
  them with `set_field` (`object.__setattr__`), as a frozen dataclass does;
- `replace(record, **changes)` is `dataclasses.replace` for records.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")

# How a frozen record's `__init__` sets its fields (the class's own `__setattr__` refuses).
set_field = object.__setattr__


class Record:
    """Base of a hand-written value class: `__slots__` names its fields, in `__init__`'s order."""

    __slots__ = ()
    # Fields left out of repr, ==, and hash (the server's raw JSON).
    _hidden: ClassVar[tuple[str, ...]] = ("raw",)
    # Set for each subclass from its __slots__.
    _fields: ClassVar[tuple[str, ...]] = ()
    _shown: ClassVar[tuple[str, ...]] = ()
    _key: ClassVar[Any] = None
    frozen: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(cls.__slots__)
        cls._shown = tuple(name for name in cls._fields if name not in cls._hidden)
        # A tuple of the compared fields (attrgetter of one name returns the value alone).
        getter = attrgetter(*cls._shown)
        cls._key = getter if len(cls._shown) > 1 else (lambda record: (getter(record),))
        if cls.frozen:
            cls.__setattr__ = _refuse_set  # type: ignore[method-assign, assignment]
            cls.__delattr__ = _refuse_delete  # type: ignore[method-assign, assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{self.__class__.__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key(self) == self._key(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key(self))


def replace(record: R, **changes: Any) -> R:
    """A copy of `record` with `changes` (as `dataclasses.replace`)."""
    unknown = changes.keys() - set(record._fields)
    if unknown:
        raise TypeError(f"{record.__class__.__qualname__} has no field {sorted(unknown)[0]!r}")
    values = {name: getattr(record, name) for name in record._fields}
    values.update(changes)
    return record.__class__(**values)


def _refuse_set(self: Record, name: str, value: object) -> None:
    raise AttributeError(f"cannot assign to field {name!r} of a {self.__class__.__qualname__}")


def _refuse_delete(self: Record, name: str) -> None:
    raise AttributeError(f"cannot delete field {name!r} of a {self.__class__.__qualname__}")
