"""The library API: lint files and get a :class:`Report`. The CLI is a thin shell over this.

>>> from hnet_lint.api import lint_paths
>>> report = lint_paths(["examples/"])          # doctest: +SKIP
>>> report.exit_code()                           # doctest: +SKIP
1
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from .diagnostics import Diagnostic, Severity
from .load.dialect import detect_dialect, shows_dialect_keys
from .check.discovery import iter_candidate_files
from .load.codes import make
from .check.settings import Settings, SettingsFinder, check_known
from .load.source import Limits, SourceDoc, load_file
from .check.suppress import apply_suppressions

if TYPE_CHECKING:
    from .check.cache import ResultCache
    from .load.runconfig import RunConfig

# The rule engine and the pydantic schemas (normalize, engine) are imported inside the
# functions that need them: a run whose files all come from the cache never pays for them.

__all__ = ["Report", "lint_paths", "lint_file", "LintSession", "EXIT_CLEAN",
           "EXIT_FINDINGS", "EXIT_USAGE"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


@dataclass
class Report:
    """The outcome of one lint run."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    runs: dict[str, RunConfig] = field(default_factory=dict)
    """Normalized configs by file, for commands that go on (dry-run, model-info)."""
    skipped: list[str] = field(default_factory=list)
    """Files found while walking a folder (or named with ``skip_unrecognized``) that are not
    H-Net configs: they parsed as something else, or did not parse and write no key of any
    dialect. Counted in the summary, listed with ``-v``."""
    fail_on: dict[str, Severity] = field(default_factory=dict)
    """Each linted file's ``fail-on`` level, from the settings that apply to it."""

    @property
    def active(self) -> list[Diagnostic]:
        """Findings that count: not suppressed."""
        return [d for d in self.diagnostics if not d.suppressed]

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for diag in self.active:
            out[diag.severity.label] += 1
        return out

    def exit_code(self, fail_on: Severity | None = None) -> int:
        """0: nothing at or above ``fail_on``; 1: findings; 2: an input could not be read
        or parsed. The one place exit codes are decided. Without ``fail_on``, each finding
        is judged by the ``fail-on`` of its file's settings (default ``warning``)."""
        if any(d.code == "HNL000" for d in self.active):
            return EXIT_USAGE
        for d in self.active:
            level = fail_on or self.fail_on.get(d.span.file, Severity.WARNING)
            if d.severity >= level:
                return EXIT_FINDINGS
        return EXIT_CLEAN


class LintSession:
    """Lints many files in one process, loading each referenced model file once.

    ``settings`` is one :class:`Settings` for every file, or a :class:`SettingsFinder` that
    gives each file the settings nearest to it. Either way, selectors that name no code are
    an error (:class:`HnetLintError`), never a silent "all checks passed".
    """

    def __init__(self, settings: Settings | SettingsFinder | None = None,
                 dialect: str | None = None, limits: Limits = Limits()):
        if isinstance(settings, SettingsFinder):
            self.finder = settings
        else:
            fixed = settings or Settings()
            if not fixed.is_default_selection:
                from .catalog import catalog

                check_known(fixed, catalog(), fixed.source or "settings")
            self.finder = None
            self._fixed = fixed
        self.dialect = dialect
        self.limits = limits
        self._models: dict[str, SourceDoc] = {}
        self._option_cache: dict[tuple[int, str], dict] = {}
        self._enabled_cache: dict[int, frozenset[str]] = {}

    @property
    def settings(self) -> Settings:
        """The settings of the working directory (for commands that need one set)."""
        return self.settings_for(os.curdir)

    def settings_for(self, path: str) -> Settings:
        """The settings that apply to ``path``."""
        return self._fixed if self.finder is None else self.finder.for_path(path)

    def _enabled_codes(self, file: str, settings: Settings) -> frozenset[str]:
        """Codes selected for ``file``; computed once per settings unless per-file ignores
        apply."""
        from .check.engine import registry

        per_file = bool(settings.per_file_ignores)
        cached = self._enabled_cache.get(id(settings))
        if per_file or cached is None:
            cached = frozenset(code for code, meta in registry().items()
                               if settings.enabled(code, meta.name, file if per_file else None))
            if not per_file:
                self._enabled_cache[id(settings)] = cached
        return cached

    def _options_of(self, settings: Settings):
        def options(meta) -> dict:
            """A rule's effective thresholds, resolved once per session and settings."""
            key = (id(settings), meta.code)
            if key not in self._option_cache:
                self._option_cache[key] = settings.options_for(meta.code, meta.name,
                                                               meta.options)
            return self._option_cache[key]

        return options

    def _load_model(self, path: str) -> SourceDoc:
        key = os.path.realpath(path)
        if key not in self._models:
            self._models[key] = load_file(path, _display(path), self.limits)
        return self._models[key]

    def lint_doc(self, doc: SourceDoc, explicit: bool = True) -> tuple[list[Diagnostic],
                                                                        RunConfig | None]:
        diags = list(doc.diagnostics)
        if doc.root is None and not diags and explicit:
            diags.append(make("HNL011", doc.span_of(()), "the file is empty"))
        if doc.root is None:
            return diags, None
        dialect = self.dialect or detect_dialect(doc.data)
        if dialect is None:
            if explicit:
                diags.append(make("HNL011", doc.span_of(()),
                                  "not an H-Net config: expected `model:` (native run config), "
                                  "`arch_layout` (model config) or flat trainer keys such as "
                                  "`model_config`/`learning_rate`; use --dialect to force one"))
            return diags, None
        from .check.engine import run_rules
        from .load.normalize import normalize

        settings = self.settings_for(doc.path)
        run, found = normalize(doc, dialect, self._load_model,
                               trainer=settings.trainer_option,
                               trainer_setting=settings.trainer)
        diags.extend(found)
        if run is not None:
            enabled = self._enabled_codes(doc.path, settings)
            diags.extend(run_rules(
                run,
                enabled=enabled.__contains__,
                severity_of=lambda r: settings.severity_for(r.code, r.name, r.severity),
                options_of=self._options_of(settings),
            ))
        return diags, run

    def lint_file(self, path: str, explicit: bool = True) -> tuple[list[Diagnostic],
                                                                   RunConfig | None, bool]:
        """Lint one file. The flag says whether it was linted at all: a file found in a
        directory (``explicit`` false) that is not an H-Net config is skipped: it parsed as
        something else, or it did not parse and its raw text writes no key of any dialect
        (a Helm template, a multi-document stream, binary junk). A broken H-Net config is
        still reported (HNL000)."""
        doc = load_file(path, _display(path), self.limits)
        if not explicit:
            if doc.root is not None and self.dialect is None and detect_dialect(doc.data) is None:
                return [], None, False
            if doc.root is None and (not doc.diagnostics or not self._shows_dialect(doc, path)):
                return [], None, False
        diags, run = self.lint_doc(doc, explicit)
        diags = self._filter(diags, doc)
        return diags, run, True

    def _shows_dialect(self, doc: SourceDoc, path: str) -> bool:
        """Whether an unparsed file's raw text writes a dialect key (``--dialect`` says so
        for every file)."""
        if self.dialect is not None:
            return True
        text = doc.text
        if not text:  # not UTF-8, too large or unreadable: look at the bytes anyway
            try:
                with open(path, "rb") as fh:
                    text = fh.read(self.limits.max_bytes).decode("utf-8", "replace")
            except OSError:
                return False
        return shows_dialect_keys(text)

    def _filter(self, diags: list[Diagnostic], doc: SourceDoc) -> list[Diagnostic]:
        from .check.engine import registry

        rules = registry()
        settings = self.settings_for(doc.path)
        kept = []
        for diag in diags:
            meta = rules.get(diag.code)
            name = meta.name if meta else diag.name
            if not settings.enabled(diag.code, name, diag.span.file):
                continue
            if meta is not None and meta.check is None:  # built-in codes: apply overrides
                diag = diag.with_severity(settings.severity_for(diag.code, name, diag.severity))
            kept.append(diag)
        report_unused = settings.enabled("HNL010", "unused-suppression", doc.path)
        return apply_suppressions(kept, doc, report_unused)


def lint_paths(paths: Iterable[str], settings: Settings | SettingsFinder | None = None,
               dialect: str | None = None, cache: ResultCache | None = None,
               skip_unrecognized: bool = False) -> Report:
    """Lint files and directories; the main entry point of the library.

    ``settings``: one :class:`Settings` for all files (default: the defaults), or a
    :class:`~hnet_lint.check.settings.SettingsFinder` to find each file's own settings file,
    as the command line does. With a :class:`~hnet_lint.check.cache.ResultCache`, files
    whose result is cached are not parsed again (``report.runs`` then lacks them: commands
    that need the normalized config, such as the dry-run and ``--fix``, lint without a
    cache). With ``skip_unrecognized``, named files that are not H-Net configs are skipped
    as they are inside directories (what a pre-commit hook wants: it is handed every
    changed YAML and JSON file).
    """
    session = LintSession(settings, dialect)
    report = Report()
    seen: set[str] = set()
    salts: dict[int, str] = {}
    for path in paths:
        for file, explicit in iter_candidate_files(path):
            explicit = explicit and not skip_unrecognized
            real = os.path.realpath(file)
            if real in seen:
                continue
            file_settings = session.settings_for(file)
            if not explicit and file_settings.excluded(file):
                continue
            seen.add(real)
            display = _display(file)
            salt = salts.get(id(file_settings))
            if salt is None:
                salt = salts[id(file_settings)] = repr(file_settings)
            # a named file may be reported as unrecognized; settings differ between folders
            key = f"{display}\0{int(explicit)}\0{salt}"
            hit = cache.get(file, key) if cache is not None else None
            if hit is not None:
                linted, diags = hit
                run = None
            else:
                diags, run, linted = session.lint_file(file, explicit)
                if cache is not None and _cacheable(diags, run):
                    cache.put(file, key, linted, diags, _dependencies(run))
            if linted:
                report.files.append(display)
                report.diagnostics.extend(diags)
                # findings may sit in a referenced model file: judge them by the settings
                # of the config that was linted (the stricter one if two disagree)
                for where in {display, *(d.span.file for d in diags)}:
                    level = report.fail_on.get(where)
                    report.fail_on[where] = (file_settings.fail_on if level is None
                                             else min(level, file_settings.fail_on))
                if run is not None:
                    report.runs[display] = run
            else:
                report.skipped.append(display)
    report.diagnostics = sorted(set(report.diagnostics))
    return report


def _cacheable(diags: list[Diagnostic], run: RunConfig | None) -> bool:
    """Results that depend on files being *absent* or on globs are recomputed every time."""
    if any(d.code in ("HNL000", "HNL701", "HNL012") for d in diags):
        return False
    if run is not None and run.data is not None and (run.data.train or run.data.eval):
        return False
    return True


def _dependencies(run: RunConfig | None) -> list[str]:
    """Other files the result was computed from (a referenced model JSON)."""
    if run is None:
        return []
    main = os.path.abspath(run.doc.path)
    return sorted({os.path.abspath(doc.path) for doc, _ in run.sources.entries.values()}
                  - {main})


def lint_file(path: str, settings: Settings | None = None,
              dialect: str | None = None) -> Report:
    """Lint a single file."""
    return lint_paths([path], settings, dialect)


def _display(path: str) -> str:
    """Paths are shown relative to the working directory when they are inside it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel
