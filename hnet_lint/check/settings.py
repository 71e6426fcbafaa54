"""Linter settings: rule selection, severities, thresholds and the fail level.

Read from ``[tool.hnet-lint]`` in the nearest ``pyproject.toml`` or from ``.hnet-lint.toml``
(searched from the working directory upwards to the repository root; ``--config`` names a
file), then overridden by the command line. Unknown keys are an error, as in ruff.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from ..diagnostics import HnetLintError, Severity
from ..repo import folders_up_to_repo_root
from ..load.suggest import suggest

__all__ = ["Settings", "load_settings", "find_settings_file"]

_KEYS = ("select", "ignore", "extend-select", "severity", "options", "fail-on",
         "per-file-ignores", "exclude", "max-file-bytes", "trainer")


@dataclass(frozen=True)
class Settings:
    """Effective settings of one run."""

    select: tuple[str, ...] = ("ALL",)
    """Codes, code prefixes (``HNL2``), rule names or ``ALL``."""
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    """Per-rule severity override, by code or name."""
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per-rule threshold overrides, by code or name."""
    fail_on: Severity = Severity.WARNING
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    source: str | None = None
    """The settings file these came from, for messages."""
    trainer: str | None = None
    """Trainer profile for flat files (``NAME[@VERSION]``, see ``hnet-lint trainers``); a
    ``trainer`` key in a file wins over it."""
    trainer_option: str | None = None
    """``--trainer`` from the command line: wins over the file's ``trainer`` key."""

    def _matches(self, selector: str, code: str, name: str) -> bool:
        sel = selector.strip()
        return sel == "ALL" or code.startswith(sel.upper()) or sel == name

    def enabled(self, code: str, name: str = "", file: str | None = None) -> bool:
        chosen = any(self._matches(s, code, name) for s in self.select + self.extend_select)
        if not chosen or any(self._matches(s, code, name) for s in self.ignore):
            return False
        if file is not None:
            for pattern, codes in self.per_file_ignores.items():
                if _path_matches(file, pattern) and any(
                        self._matches(s, code, name) for s in codes):
                    return False
        return True

    def severity_for(self, code: str, name: str, default: Severity) -> Severity:
        return self.severity.get(code, self.severity.get(name, default))

    def options_for(self, code: str, name: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        merged = dict(defaults)
        for key in (code, name):
            for opt, value in self.options.get(key, {}).items():
                if opt not in defaults:
                    hint = suggest(opt, defaults) or f"; valid: {', '.join(defaults) or 'none'}"
                    raise HnetLintError(f"rule {code} has no option {opt!r}{hint}")
                merged[opt] = value
        return merged

    def excluded(self, path: str) -> bool:
        return any(_path_matches(path, pattern) for pattern in self.exclude)

    def merged(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _path_matches(path: str, pattern: str) -> bool:
    norm = path.replace(os.sep, "/")
    return fnmatch.fnmatch(norm, pattern) or fnmatch.fnmatch(os.path.basename(norm), pattern)


def find_settings_file(start: str) -> str | None:
    """The nearest ``.hnet-lint.toml``, or ``pyproject.toml`` with a ``[tool.hnet-lint]``
    table, from ``start`` up to the repository root."""
    for here in folders_up_to_repo_root(start):
        for name in (".hnet-lint.toml", "pyproject.toml"):
            candidate = os.path.join(here, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_table(candidate)):
                return candidate
    return None


def _has_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            return "[tool.hnet-lint" in fh.read()
    except OSError:
        return False


def load_settings(path: str | None) -> Settings:
    """Settings from ``path`` (a pyproject.toml or .hnet-lint.toml), or defaults."""
    if path is None:
        return Settings()
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise HnetLintError(f"cannot read settings file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise HnetLintError(f"invalid TOML in {path}: {exc}") from None
    if os.path.basename(path) == "pyproject.toml":
        data = data.get("tool", {}).get("hnet-lint", {})
    return _from_table(data, path)


def _from_table(data: dict[str, Any], path: str) -> Settings:
    for key in data:
        if key not in _KEYS:
            raise HnetLintError(f"{path}: unknown setting {key!r}{suggest(key, _KEYS)}")
    try:
        severity = {k: Severity.parse(v) for k, v in data.get("severity", {}).items()}
        return Settings(
            select=tuple(data.get("select", ("ALL",))),
            ignore=tuple(data.get("ignore", ())),
            extend_select=tuple(data.get("extend-select", ())),
            severity=severity,
            options={k: dict(v) for k, v in data.get("options", {}).items()},
            fail_on=Severity.parse(data.get("fail-on", "warning")),
            per_file_ignores={k: tuple(v) for k, v in data.get("per-file-ignores", {}).items()},
            exclude=tuple(data.get("exclude", ())),
            source=path,
            trainer=_trainer(data.get("trainer"), path),
        )
    except (TypeError, AttributeError, ValueError) as exc:
        raise HnetLintError(f"{path}: invalid settings: {exc}") from None


def _trainer(spec: Any, path: str) -> str | None:
    """A ``trainer`` setting, checked against the known profiles."""
    if spec is None:
        return None
    from ..load.trainers import resolve

    if not isinstance(spec, str):
        raise HnetLintError(f"{path}: trainer must be a string such as 'hierarchical-hnet'")
    resolve(spec)  # raises with the list of known names
    return spec
