"""A content-addressed cache of lint results, so unchanged files are not parsed again.

Like ruff's ``.ruff_cache``: the command line keeps one entry per linted file in one
``.hnet-lint-cache/`` at the repository root, wherever the command runs from (outside a
repository: the user's cache folder; see :func:`default_cache_dir`). ``--no-cache`` or
``HNET_LINT_NO_CACHE=1`` turn it off. An entry is
found by a hash of the file's bytes, its path, the effective settings and the linter's own
code, and it lists the files the result also depended on (a referenced model JSON) with
their hashes, so editing either file invalidates it. Results that depend on what is *not*
on disk (a missing model file, data globs) are never cached. A warm run imports neither
PyYAML nor pydantic.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Iterable

from ..diagnostics import Diagnostic, Severity, Span

__all__ = ["ResultCache", "code_fingerprint", "default_cache_dir"]

_FORMAT = 1


def code_fingerprint() -> str:
    """Changes whenever hnet-lint's own code changes (version and source files' mtimes), so
    a development checkout never serves results computed by older rules."""
    from .. import __version__

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the hnet_lint package
    latest = 0
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                latest = max(latest, os.stat(os.path.join(folder, name)).st_mtime_ns)
    return f"{__version__}:{latest}"


def default_cache_dir(start: str | None = None) -> str:
    """Where the cache lives: ``$HNET_LINT_CACHE_DIR``; else ``.hnet-lint-cache`` at the
    root of the repository that holds ``start`` (the working directory), so one cache serves
    every folder a command runs from; else, outside a repository, ``hnet-lint`` in the
    user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``; ``%LOCALAPPDATA%`` on
    Windows), never a new folder wherever the command happened to run."""
    from ..load.cachedir import user_cache_dir
    from ..repo import find_repo_root

    if os.environ.get("HNET_LINT_CACHE_DIR"):
        return os.environ["HNET_LINT_CACHE_DIR"]
    root = find_repo_root(start or os.getcwd())
    if root is not None:
        return os.path.join(root, ".hnet-lint-cache")
    return user_cache_dir()


def _digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _read(path: str, limit: int) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            blob = fh.read(limit + 1)
    except OSError:
        return None
    return blob if len(blob) <= limit else None


class ResultCache:
    """Lint results by file content. ``salt`` must capture everything else that changes a
    result: settings, dialect, limits and :func:`code_fingerprint`."""

    def __init__(self, folder: str, salt: str, max_bytes: int):
        self.folder = folder
        self.salt = salt
        self.max_bytes = max_bytes
        self._folder_ready = False

    def _entry_path(self, name: str, blob: bytes) -> str:
        key = _digest(f"{_FORMAT}\0{self.salt}\0{name}\0".encode() + blob)
        return os.path.join(self.folder, key[:2], key + ".json")

    def get(self, path: str, name: str) -> tuple[bool, list[Diagnostic]] | None:
        """``(linted, diagnostics)`` from a valid entry, or ``None``. ``name`` is what the
        result was stored under (the displayed path and how the file was named)."""
        blob = _read(path, self.max_bytes)
        if blob is None:
            return None
        try:
            with open(self._entry_path(name, blob), encoding="utf-8") as fh:
                entry = json.load(fh)
        except (OSError, ValueError):
            return None
        for dep, digest in entry.get("deps", {}).items():
            dep_blob = _read(dep, self.max_bytes)
            if dep_blob is None or _digest(dep_blob) != digest:
                return None
        try:
            return entry["linted"], [_decode(item) for item in entry["diagnostics"]]
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, path: str, name: str, linted: bool, diags: list[Diagnostic],
            deps: Iterable[str]) -> None:
        """Store a result; failures to write (read-only folder, full disk) are ignored."""
        blob = _read(path, self.max_bytes)
        if blob is None:
            return
        dep_digests = {}
        for dep in deps:
            dep_blob = _read(dep, self.max_bytes)
            if dep_blob is None:
                return  # cannot vouch for it later: do not cache
            dep_digests[os.path.abspath(dep)] = _digest(dep_blob)
        entry = {"linted": linted, "deps": dep_digests,
                 "diagnostics": [_encode(d) for d in diags]}
        target = self._entry_path(name, blob)
        try:
            self._ensure_folder()
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = f"{target}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            os.replace(tmp, target)  # atomic: a concurrent reader sees all or nothing
        except OSError:
            pass

    def _ensure_folder(self) -> None:
        """The folder and its ``.gitignore``, checked once per run, not once per entry."""
        if not self._folder_ready:
            from ..load.cachedir import ensure_cache_folder

            ensure_cache_folder(self.folder)
            self._folder_ready = True


def _encode(diag: Diagnostic) -> dict[str, Any]:
    s = diag.span
    return {"span": [s.file, s.line, s.column, s.end_line, s.end_column], "code": diag.code,
            "severity": int(diag.severity), "message": diag.message, "name": diag.name,
            "path": list(diag.path), "phase": diag.phase, "evidence": diag.evidence,
            "data": diag.data, "suppressed": diag.suppressed}


def _decode(item: dict[str, Any]) -> Diagnostic:
    return Diagnostic(
        span=Span(*item["span"]), code=item["code"], severity=Severity(item["severity"]),
        message=item["message"], name=item["name"], path=tuple(item["path"]),
        phase=item["phase"], evidence=item["evidence"], data=item["data"],
        suppressed=item["suppressed"],
    )
