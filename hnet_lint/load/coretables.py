"""The core-schema tables a lint validates with, right for the pydantic installed here.

:mod:`hnet_lint.load.coreschemas` holds the tables (``SCHEMAS``, ``CONFIGS``, ``FIELDS``)
that one pydantic release derived from the classes in ``schema/``. pydantic-core is only
promised to understand its own release's schemas, and pydantic's derivation changes between
releases, so the generated tables are used only under the exact releases they name
(``GENERATED_WITH``). Under any other release the tables are derived from the classes by
the installed pydantic (:func:`hnet_lint.load.coregen.build_tables`, 60-90 ms) and kept
as JSON in the user's cache folder (``coretables/``, see
:func:`hnet_lint.load.cachedir.user_cache_dir`), keyed by the source hash and both
versions, so only the first lint under a new release pays for it. Like a ``.pyc`` file the
entry is never stale (its name says what it was derived from) and writing it is best
effort: a read-only cache folder costs time, never a wrong verdict. The entry is data
(JSON), never code.
"""

from __future__ import annotations

import os

__all__ = ["Tables", "tables", "origin"]

#: (SCHEMAS, CONFIGS, FIELDS)
Tables = tuple[dict, dict, dict]

_TABLES: Tables | None = None
_ORIGIN = ""
_FORMAT = 1


def tables() -> Tables:
    """``(SCHEMAS, CONFIGS, FIELDS)`` for the installed pydantic, found once per process."""
    global _TABLES, _ORIGIN
    if _TABLES is None:
        _TABLES, _ORIGIN = _find()
    return _TABLES


def origin() -> str:
    """Where this process's tables came from: ``generated``, ``cached`` or ``derived``."""
    tables()
    return _ORIGIN


def installed_versions() -> dict[str, str]:
    """The pydantic and pydantic-core releases installed here, without importing pydantic
    (a lint imports only pydantic-core): pydantic's version is read from its ``version.py``
    (``VERSION = '2.x.y'`` in every 2.x release), imported only if that text says otherwise."""
    import importlib.util
    import re

    import pydantic_core

    spec = importlib.util.find_spec("pydantic")
    found = None
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            try:
                with open(os.path.join(folder, "version.py"), encoding="utf-8") as fh:
                    found = re.search(r"""^VERSION\s*=\s*['"]([^'"]+)['"]""", fh.read(),
                                      re.MULTILINE)
            except OSError:
                continue
            break
    if found is not None:
        version = found.group(1)
    else:
        from pydantic.version import VERSION as version
    return {"pydantic": version, "pydantic_core": pydantic_core.__version__}


def _find() -> tuple[Tables, str]:
    from . import coreschemas

    versions = installed_versions()
    if versions == coreschemas.GENERATED_WITH:
        return (coreschemas.SCHEMAS, coreschemas.CONFIGS, coreschemas.FIELDS), "generated"
    path = _entry_path(coreschemas.SOURCE_HASH, versions)
    cached = _read(path)
    if cached is not None and tuple(map(set, cached)) == (
            set(coreschemas.SCHEMAS), set(coreschemas.CONFIGS), set(coreschemas.FIELDS)):
        return cached, "cached"  # (an entry naming other models is not ours: derive again)
    from . import coregen  # the classes and pydantic's schema machinery: only now

    derived = coregen.build_tables()
    _write(path, derived)
    return derived, "derived"


def _entry_path(source_hash: str, versions: dict[str, str]) -> str:
    from .cachedir import user_cache_dir

    name = (f"{source_hash[:16]}-pydantic-{versions['pydantic']}"
            f"-core-{versions['pydantic_core']}.json")
    return os.path.join(user_cache_dir(), "coretables", name)


def _read(path: str) -> Tables | None:
    """The entry at ``path``, or None if it is missing or not one this code wrote."""
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("format") != _FORMAT:
            return None
        fields = {name: tuple(tuple(row) for row in rows)
                  for name, rows in data["fields"].items()}
        schemas, configs = data["schemas"], data["configs"]
        if not (isinstance(schemas, dict) and isinstance(configs, dict)):
            return None
        return schemas, configs, fields
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write(path: str, derived: Tables) -> None:
    import json
    import tempfile

    from .cachedir import ensure_cache_folder

    schemas, configs, fields = derived
    text = json.dumps({"format": _FORMAT, "schemas": schemas, "configs": configs,
                       "fields": fields})
    again = json.loads(text)
    if (again["schemas"], again["configs"]) != (schemas, configs):
        return  # something JSON cannot hold as it is (a tuple default): derive it every time
    tmp = None
    try:
        ensure_cache_folder(os.path.dirname(os.path.dirname(path)))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)  # atomic: a concurrent reader sees all of it or nothing
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
