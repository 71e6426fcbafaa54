"""Pydantic validation that reports through diagnostics, with spans and suggestions.

Sections are named by their schema class (``"OptimizerSection"``) and validated by
pydantic-core with the schemas generated from those classes (:mod:`.records`), so a lint
never creates a ``BaseModel`` class.

Each section is validated on its own so that a type error in ``generation`` does not stop
the architecture rules. Fields that fail are dropped and the section is validated again, so
the rest of a half-broken section is still checked (only the first pass's errors are shown).
"""

from __future__ import annotations

from typing import Any, Hashable, Iterable

from pydantic_core import ValidationError

from ..diagnostics import Diagnostic
from .codes import make
from .records import Record, fields, validator
from .source import SourceDoc
from .suggest import suggest

__all__ = ["validate_section", "suggest", "unknown_key_diagnostic", "field_names"]


def field_names(model: str) -> list[str]:
    """The keys the schema class ``model`` accepts as written in a file (aliases win over
    attribute names)."""
    return [key for key, _, _ in fields(model)]


def unknown_key_diagnostic(
    doc: SourceDoc, path: tuple, key: Hashable, valid: Iterable[str], code: str = "HNL006"
) -> Diagnostic:
    valid = list(valid)
    hint = suggest(str(key), valid)
    if not hint:
        shown = ", ".join(sorted(valid)[:12])
        hint = f"; valid keys here: {shown}" if valid else ""
    where = f" in {'.'.join(map(str, path))}" if path else ""
    return make(code, doc.span_of(path + (key,), key=True),
                f"unknown key {key!r}{where}{hint}", path=path + (key,))


def validate_section(
    model: str, data: Any, doc: SourceDoc, path: tuple
) -> tuple[Record | None, list[Diagnostic]]:
    """Validate ``data`` (found at ``path`` in ``doc``) against the schema class ``model``."""
    check = validator(model)
    try:
        return check.validate_python(data), []
    except ValidationError as exc:
        diags = _to_diagnostics(exc, model, data, doc, path)
        errors = exc.errors(include_url=False)
    if not isinstance(data, dict):
        return None, diags
    broken = {_first_key(err["loc"], data) for err in errors}
    pruned = {k: v for k, v in data.items() if k not in broken}
    try:
        return check.validate_python(pruned), diags
    except ValidationError:
        return None, diags


def _first_key(loc: tuple, data: dict) -> Hashable:
    return loc[0] if loc else None


def _to_diagnostics(
    exc: ValidationError, model: str, data: Any, doc: SourceDoc, path: tuple
) -> list[Diagnostic]:
    grouped: dict[tuple, list[dict]] = {}
    for err in exc.errors(include_url=False):
        rel = _data_path(err["loc"], data, err["type"])
        grouped.setdefault((err["type"] == "extra_forbidden", rel), []).append(err)
    diags = []
    for (is_extra, rel), errs in grouped.items():
        full = path + rel
        if is_extra:
            parent = _model_at(model, rel[:-1])
            valid = field_names(parent) if parent else []
            diags.append(unknown_key_diagnostic(doc, full[:-1], full[-1], valid))
        elif errs[0]["type"] == "missing":
            field = errs[0]["loc"][-1]
            diags.append(make("HNL008", doc.span_of(full, key=True),
                              f"missing required key {field!r}", path=full + (field,)))
        else:
            diags.append(make("HNL007", doc.span_of(full), _message(errs), path=full))
    return diags


def _data_path(loc: tuple, data: Any, kind: str) -> tuple:
    """Map a pydantic ``loc`` onto the data: union-member tags and function names in the
    loc are skipped because they do not exist in the file."""
    out: list[Hashable] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif kind == "missing" and part == loc[-1]:
            break  # the missing key itself: stay at its parent mapping
    return tuple(out)


def _model_at(model: str, rel: tuple) -> str | None:
    """The schema class of the nested section at ``rel`` (``None``: not a section)."""
    for part in rel:
        nested = next((n for key, _, n in fields(model) if key == part), None)
        if nested is None:
            return None
        model = nested
    return model


def _message(errs: list[dict]) -> str:
    got = errs[0].get("input")
    shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    if len(shown) > 40:
        shown = shown[:37] + "..."
    msgs = []
    for err in errs:
        msg = err["msg"]
        msg = msg[0].lower() + msg[1:] if msg else msg
        if msg not in msgs:
            msgs.append(msg)
    return f"{' or '.join(msgs)} (got {shown})"
