"""Linter settings: rule selection, severities, thresholds and the fail level.

Read from ``[tool.hnet-lint]`` in a ``pyproject.toml`` or from a ``.hnet-lint.toml``, then
overridden by the command line. As in ruff's hierarchical configuration, each file gets the
settings file nearest to *it* (its folder, then each parent up to the repository root), not
the one nearest to the working directory (:class:`SettingsFinder`); ``--config`` names one
file for all, ``--isolated`` uses none. Unknown keys, and selectors that name no code, prefix
or rule, are an error (:func:`check_known`).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from ..diagnostics import HnetLintError, Severity
from ..repo import folders_up_to_repo_root
from ..load.suggest import suggest
from .options import option_problems

__all__ = ["Settings", "SettingsFinder", "load_settings", "find_settings_file", "check_known"]

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
                if _path_matches(file, pattern, self.base) and any(
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
        return any(_path_matches(path, pattern, self.base) for pattern in self.exclude)

    @property
    def base(self) -> str | None:
        """The folder that ``exclude`` and ``per-file-ignores`` patterns are relative to:
        the settings file's own folder (as in ruff)."""
        return os.path.dirname(os.path.abspath(self.source)) if self.source else None

    def merged(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def is_default_selection(self) -> bool:
        """Nothing to check against the code table: all rules, no overrides."""
        return (self.select == ("ALL",) and not self.ignore and not self.extend_select
                and not self.severity and not self.options and not self.per_file_ignores)


def check_known(settings: Settings, known: Mapping[str, Any], where: str) -> None:
    """Raise :class:`HnetLintError` (exit 2) for any selector, severity key or option that
    names no code, prefix or rule: a typo must not switch rules off silently, as in ruff.
    An option value outside its declared type and range is refused here too
    (:mod:`hnet_lint.check.options`), naming the option, the value and what is allowed.

    ``known`` maps each code to an object with ``name`` and ``options`` (the catalogue of
    every code, dry-run and analyzer ones included); ``where`` says where the settings came
    from (a file, or "the command line").
    """
    if settings.is_default_selection:
        return
    names = {meta.name: code for code, meta in known.items()}
    choices = list(known) + list(names)
    problems = []

    def selector_ok(sel: str) -> bool:
        sel = sel.strip()
        return (sel == "ALL" or sel in names
                or (bool(sel) and any(code.startswith(sel.upper()) for code in known)))

    def hint(word: str) -> str:
        return suggest(word.strip(), choices) or suggest(word.strip().upper(), list(known))

    dash = "--" if where == "command line" else ""
    lists = [(f"{dash}select", settings.select), (f"{dash}ignore", settings.ignore),
             (f"{dash}extend-select", settings.extend_select)]
    lists += [(f"per-file-ignores[{pattern!r}]", codes)
              for pattern, codes in settings.per_file_ignores.items()]
    for label, selectors in lists:
        for sel in selectors:
            if not isinstance(sel, str) or not selector_ok(sel):
                problems.append(f"unknown rule selector {sel!r} in {label}{hint(str(sel))}")
    for key in settings.severity:
        if key not in known and key not in names:
            problems.append(f"unknown rule {key!r} in {dash}severity{hint(key)}")
    by_code: dict[str, dict[str, Any]] = {}
    # by code, then by name: the order Settings.options_for applies them in
    for key, opts in sorted(settings.options.items(), key=lambda kv: kv[0] not in known):
        code = key if key in known else names.get(key)
        if code is None:
            problems.append(f"unknown rule {key!r} in {dash or ''}{'option' if dash else 'options'}"
                            f"{hint(key)}")
            continue
        valid = dict(getattr(known[code], "options", None) or {})
        for opt in opts:
            if opt not in valid:
                extra = suggest(opt, valid) or f"; valid: {', '.join(valid) or 'none'}"
                problems.append(f"rule {code} has no option {opt!r}{extra}")
        by_code.setdefault(code, {}).update(opts)
    for code, opts in by_code.items():
        # each value against the option's declared type and range, once, here
        problems += option_problems(code, known[code], opts)
    if problems:
        raise HnetLintError(f"{where}: " + "; ".join(problems) if len(problems) == 1 else
                            f"{where}:\n  " + "\n  ".join(problems))


def _path_matches(path: str, pattern: str, base: str | None = None) -> bool:
    """``pattern`` against the path as given, relative to ``base`` (the settings file's
    folder), or the file name."""
    candidates = {path.replace(os.sep, "/"), os.path.basename(path)}
    if base is not None:
        rel = os.path.relpath(os.path.abspath(path), base)
        if not rel.startswith(os.pardir):
            candidates.add(rel.replace(os.sep, "/"))
    return any(fnmatch.fnmatch(c, pattern) for c in candidates)


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


def with_overrides(base: Settings, overrides: Mapping[str, Any]) -> Settings:
    """``base`` with the command line on top: ``select``, ``ignore``, ``extend_select``,
    ``fail_on`` and ``trainer_option`` (``--trainer``) replace, ``severity`` and ``options``
    are merged rule by rule."""
    if not overrides:
        return base
    severity = dict(base.severity)
    severity.update(overrides.get("severity") or {})
    options = {k: dict(v) for k, v in base.options.items()}
    for code, opts in (overrides.get("options") or {}).items():
        options.setdefault(code, {}).update(opts)
    return base.merged(select=overrides.get("select"), ignore=overrides.get("ignore"),
                       extend_select=overrides.get("extend_select"),
                       fail_on=overrides.get("fail_on"), severity=severity, options=options,
                       trainer_option=overrides.get("trainer_option"))


class SettingsFinder:
    """The settings of each linted file, found from the file's own location.

    For a file, the nearest ``.hnet-lint.toml`` or ``pyproject.toml`` with a
    ``[tool.hnet-lint]`` table in its folder or a parent, up to the repository root (the
    folder with ``.git``), as ruff finds its configuration; the command-line ``overrides``
    apply on top. ``config`` (``--config``) names one file for every path; ``isolated``
    (``--isolated``) uses the defaults. Each settings file is read and checked once.

    ``known`` returns the code table that selectors are checked against (see
    :func:`check_known`); it is called only when some settings select or override rules.
    """

    def __init__(self, overrides: Mapping[str, Any] | None = None, config: str | None = None,
                 isolated: bool = False,
                 known: Callable[[], Mapping[str, Any]] | None = None):
        if config and not os.path.isfile(config):
            raise HnetLintError(f"settings file not found: {config}")
        self.overrides = dict(overrides or {})
        self.config = config
        self.isolated = isolated
        self._known = known
        self._by_folder: dict[str, str | None] = {}
        self._by_file: dict[str | None, Settings] = {}

    def for_path(self, path: str) -> Settings:
        """Settings for a file (or a folder: the settings that apply inside it)."""
        full = os.path.abspath(path)
        folder = full if os.path.isdir(full) else os.path.dirname(full)
        return self._settings(self._file_for(folder))

    def _file_for(self, folder: str) -> str | None:
        if self.isolated:
            return None
        if self.config:
            return self.config
        if folder not in self._by_folder:
            self._by_folder[folder] = find_settings_file(folder)
        return self._by_folder[folder]

    def _settings(self, path: str | None) -> Settings:
        if path not in self._by_file:
            base = load_settings(path)
            if self._known is not None and not base.is_default_selection:
                check_known(base, self._known(), path or "settings")
            merged = with_overrides(base, self.overrides)
            cli = with_overrides(Settings(), self.overrides)
            if self._known is not None and not cli.is_default_selection:
                check_known(cli, self._known(), "command line")
            if self._known is not None and base.options and cli.options:
                # each source passed alone; a min from one and a max from the other may not
                check_known(merged, self._known(), f"{path} with the command line")
            self._by_file[path] = merged
        return self._by_file[path]
