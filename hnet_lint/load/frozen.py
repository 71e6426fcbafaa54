"""A cheap base for small immutable value classes on the lint path (the reading wing's).

``@dataclass(frozen=True)`` builds each class by compiling its generated methods, 0.3-0.7 ms
per class at import: on a cold one-file lint, hnet-lint's dataclasses together cost about as
much as linting the file. Classes created on that path whose users need only construction,
attributes, equality, hashing and a readable repr derive from :class:`Frozen` instead: the
same behaviour (positional or keyword construction, comparison field by field, no
assignment), written once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Frozen"]


class Frozen:
    """Fields are the ``__slots__`` in order; a subclass writes its own ``__init__`` that
    stores them with :meth:`_set` (assignment is refused)."""

    __slots__ = ()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self):  # copy and pickle rebuild through __init__ (fields in slot order)
        return (self.__class__, self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__qualname__}({shown})"
