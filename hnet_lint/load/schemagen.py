"""JSON Schemas of the three config dialects, with field docs for editor hover.

The pydantic models keep ``use_attribute_docstrings`` off (it costs startup time on every
lint), so the attribute docstrings are read here from the schema modules' source with
``ast`` and put into the ``model_json_schema()`` output as ``description``.
"""

from __future__ import annotations

import ast
import json
import os
from typing import Any

__all__ = ["KINDS", "FILENAMES", "build_schema", "schema_text", "write_schemas",
           "attribute_docs"]

#: kind -> (module, model class)
KINDS: dict[str, tuple[str, str]] = {
    "native": ("hnet_lint.load.schema.native", "NativeConfig"),
    "flat": ("hnet_lint.load.schema.flat", "FlatConfig"),
    "model": ("hnet_lint.load.schema.model", "HNetModelConfig"),
}
FILENAMES = {"native": "hnet-run.schema.json", "flat": "hnet-flat.schema.json",
             "model": "hnet-model.schema.json"}
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def attribute_docs() -> dict[str, dict[str, str]]:
    """Class name -> field name -> the docstring written under that field."""
    folder = os.path.join(os.path.dirname(__file__), "schema")
    out: dict[str, dict[str, str]] = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    out[node.name] = _class_docs(node)
    return out


def _class_docs(node: ast.ClassDef) -> dict[str, str]:
    docs = {}
    body = node.body
    for stmt, nxt in zip(body, body[1:]):
        if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)):
            docs[stmt.target.id] = " ".join(nxt.value.value.split())
    return docs


def _models(root: type) -> list[type]:
    """``root`` and every model class reachable from its fields."""
    from pydantic import BaseModel

    seen: list[type] = []
    stack = [root]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for field in cls.model_fields.values():
            for arg in _type_args(field.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    stack.append(arg)
    return seen


def _type_args(tp: Any) -> list[Any]:
    from typing import get_args

    out, stack = [], [tp]
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(get_args(item))
    return out


def build_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one dialect, descriptions included."""
    import importlib

    module_name, class_name = KINDS[kind]
    root = getattr(importlib.import_module(module_name), class_name)
    schema = root.model_json_schema(by_alias=True)
    docs = attribute_docs()
    for cls in _models(root):
        target = schema if cls is root else schema.get("$defs", {}).get(cls.__name__)
        if target is None:
            continue
        props = target.get("properties", {})
        for name, field in cls.model_fields.items():
            doc = docs.get(cls.__name__, {}).get(name)
            prop = props.get(field.alias or name)
            if doc and prop is not None:
                prop["description"] = doc
    return {"$schema": _DRAFT, **schema}


def schema_text(kind: str) -> str:
    """The schema as written to disk: stable key order, two-space indent, final newline."""
    return json.dumps(build_schema(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: str) -> list[str]:
    """Write all three schema files into ``folder``; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for kind, filename in FILENAMES.items():
        path = os.path.join(folder, filename)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(schema_text(kind))
        paths.append(path)
    return paths
