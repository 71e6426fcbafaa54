"""Validated config sections: pydantic-core validators and the read-only records they build.

A lint validates with ``pydantic_core.SchemaValidator``s built from the core schemas that
pydantic derives from the classes in :mod:`hnet_lint.load.schema`, generated ahead of time
into :mod:`hnet_lint.load.coreschemas` (``python -m hnet_lint.load.coregen``) and derived
again under any other pydantic release (:mod:`hnet_lint.load.coretables`). Validation is
pydantic's own (the same engine, schema, errors and messages) but no ``BaseModel`` class is
created, which spares every cold run pydantic's schema-generation machinery.

What the validators return are :class:`Record` instances named after the classes
(``HNetModelConfig``, ``OptimizerSection``, ...): attribute access to every field, nested
records for nested models, ``model_dump()``, equality and a repr like pydantic's, and no
assignment (the classes are frozen).
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["Record", "record_class", "validator", "fields"]


class Record:
    """A validated section: the fields of its schema class as read-only attributes."""

    # the four slots pydantic-core fills when it builds a model instance
    __slots__ = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__",
                 "__pydantic_private__")

    #: (key in the file, attribute, nested record name or None) per field, in order
    _fields: tuple = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only (cannot delete {name!r})")

    @property
    def model_fields_set(self) -> set[str]:
        """The fields the file wrote (the rest hold defaults)."""
        return self.__pydantic_fields_set__

    def model_dump(self, *, by_alias: bool = False, exclude_none: bool = False) -> dict:
        """Plain data, as pydantic's ``model_dump`` gives it: nested records become dicts,
        lists are copied, keys that a schema allows beyond its fields come last."""
        out = {}
        values = self.__dict__
        for key, attr, _ in self._fields:
            value = values[attr]
            if not (exclude_none and value is None):
                out[key if by_alias else attr] = _dump(value, by_alias, exclude_none)
        for key, value in (self.__pydantic_extra__ or {}).items():
            if not (exclude_none and value is None):
                out[key] = _dump(value, by_alias, exclude_none)
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (self.__dict__ == other.__dict__
                and self.__pydantic_extra__ == other.__pydantic_extra__)

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self.__dict__.values()))

    def __repr__(self) -> str:
        shown = [f"{attr}={self.__dict__[attr]!r}" for _, attr, _ in self._fields]
        shown += [f"{k}={v!r}" for k, v in (self.__pydantic_extra__ or {}).items()]
        return f"{type(self).__name__}({', '.join(shown)})"

    def __reduce__(self):
        return (_rebuild, (type(self).__name__, dict(self.__dict__), self.__pydantic_extra__,
                           set(self.__pydantic_fields_set__)))


def _dump(value: Any, by_alias: bool, exclude_none: bool) -> Any:
    if isinstance(value, Record):
        return value.model_dump(by_alias=by_alias, exclude_none=exclude_none)
    if isinstance(value, list):
        return [_dump(item, by_alias, exclude_none) for item in value]
    if isinstance(value, dict):
        return {k: _dump(v, by_alias, exclude_none) for k, v in value.items()}
    return value


def _rebuild(name: str, values: dict, extra: dict | None, fields_set: set) -> Record:
    record = record_class(name).__new__(record_class(name))
    for slot, value in (("__dict__", values), ("__pydantic_extra__", extra),
                        ("__pydantic_fields_set__", fields_set),
                        ("__pydantic_private__", None)):
        object.__setattr__(record, slot, value)
    return record


_CLASSES: dict[str, type[Record]] = {}
_VALIDATORS: dict[str, Any] = {}


def fields(name: str) -> tuple:
    """``(key in the file, attribute, nested record name or None)`` per field of ``name``."""
    from .coretables import tables

    return tables()[2][name]


def record_class(name: str) -> type[Record]:
    """The record class named like the schema class ``name`` (pydantic-core's error
    messages name it: "Input should be a valid dictionary or instance of SSMConfig")."""
    cls = _CLASSES.get(name)
    if cls is None:
        cls = type(name, (Record,), {"__slots__": (), "_fields": fields(name),
                                     "__module__": __name__, "__qualname__": name})
        _CLASSES[name] = cls
    return cls


def validator(name: str):
    """The ``SchemaValidator`` of the schema class ``name``, built on first use."""
    built = _VALIDATORS.get(name)
    if built is None:
        from pydantic_core import SchemaValidator

        from .coretables import tables

        schemas, configs, _ = tables()
        built = SchemaValidator(_resolve(schemas[name]), configs[name])
        _VALIDATORS[name] = built
    return built


def _resolve(node: Any) -> Any:
    """A generated schema with its names replaced by what they stand for."""
    if isinstance(node, dict):
        if len(node) == 1:
            (key, value), = node.items()
            if key == "$record":
                return record_class(value)
            if key == "$factory":
                return list if value == "list" else _default_of(value)
            if key == "$model":
                from .coretables import tables

                return _resolve(tables()[0][value])
        return {key: _resolve(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_resolve(item) for item in node)
    return node


def _default_of(name: str) -> Callable[[], Record]:
    """What ``Field(default_factory=SSMConfig)`` gives: the section with all its defaults."""
    return lambda: validator(name).validate_python({})
