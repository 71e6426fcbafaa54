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
from .load.dialect import detect_dialect
from .check.discovery import iter_candidate_files
from .load.codes import make
from .check.settings import Settings
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

    @property
    def active(self) -> list[Diagnostic]:
        """Findings that count: not suppressed."""
        return [d for d in self.diagnostics if not d.suppressed]

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for diag in self.active:
            out[diag.severity.label] += 1
        return out

    def exit_code(self, fail_on: Severity = Severity.WARNING) -> int:
        """0: nothing at or above ``fail_on``; 1: findings; 2: an input could not be read
        or parsed. The one place exit codes are decided."""
        if any(d.code == "HNL000" for d in self.active):
            return EXIT_USAGE
        if any(d.severity >= fail_on for d in self.active):
            return EXIT_FINDINGS
        return EXIT_CLEAN


class LintSession:
    """Lints many files in one process, loading each referenced model file once."""

    def __init__(self, settings: Settings | None = None, dialect: str | None = None,
                 limits: Limits = Limits()):
        self.settings = settings or Settings()
        self.dialect = dialect
        self.limits = limits
        self._models: dict[str, SourceDoc] = {}
        self._option_cache: dict[str, dict] = {}
        self._enabled_cache: frozenset[str] | None = None

    def _enabled_codes(self, file: str) -> frozenset[str]:
        """Codes selected for ``file``; computed once unless per-file ignores apply."""
        from .check.engine import registry

        per_file = bool(self.settings.per_file_ignores)
        if per_file or self._enabled_cache is None:
            codes = frozenset(code for code, meta in registry().items()
                              if self.settings.enabled(code, meta.name, file if per_file else None))
            if per_file:
                return codes
            self._enabled_cache = codes
        return self._enabled_cache

    def _options(self, meta) -> dict:
        """A rule's effective thresholds, resolved once per session."""
        if meta.code not in self._option_cache:
            self._option_cache[meta.code] = self.settings.options_for(
                meta.code, meta.name, meta.options)
        return self._option_cache[meta.code]

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

        run, found = normalize(doc, dialect, self._load_model,
                               trainer=self.settings.trainer_option,
                               trainer_setting=self.settings.trainer)
        diags.extend(found)
        if run is not None:
            settings, enabled = self.settings, self._enabled_codes(doc.path)
            diags.extend(run_rules(
                run,
                enabled=enabled.__contains__,
                severity_of=lambda r: settings.severity_for(r.code, r.name, r.severity),
                options_of=self._options,
            ))
        return diags, run

    def lint_file(self, path: str, explicit: bool = True) -> tuple[list[Diagnostic],
                                                                   RunConfig | None, bool]:
        """Lint one file. The flag says whether it was linted at all: files found in a
        directory that are not H-Net configs are skipped silently."""
        doc = load_file(path, _display(path), self.limits)
        if not explicit and doc.root is not None and detect_dialect(doc.data) is None:
            return [], None, False
        if not explicit and doc.root is None and not doc.diagnostics:
            return [], None, False
        diags, run = self.lint_doc(doc, explicit)
        diags = self._filter(diags, doc)
        return diags, run, True

    def _filter(self, diags: list[Diagnostic], doc: SourceDoc) -> list[Diagnostic]:
        from .check.engine import registry

        rules = registry()
        settings = self.settings
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


def lint_paths(paths: Iterable[str], settings: Settings | None = None,
               dialect: str | None = None, cache: ResultCache | None = None,
               skip_unrecognized: bool = False) -> Report:
    """Lint files and directories; the main entry point of the library.

    With a :class:`~hnet_lint.check.cache.ResultCache`, files whose result is cached are not
    parsed again (``report.runs`` then lacks them: commands that need the normalized
    config, such as the dry-run, lint without a cache). With ``skip_unrecognized``, named
    files that are not H-Net configs are skipped as they are inside directories (what a
    pre-commit hook wants: it is handed every changed YAML and JSON file).
    """
    session = LintSession(settings, dialect)
    report = Report()
    seen: set[str] = set()
    for path in paths:
        for file, explicit in iter_candidate_files(path):
            explicit = explicit and not skip_unrecognized
            real = os.path.realpath(file)
            if real in seen or (not explicit and session.settings.excluded(file)):
                continue
            seen.add(real)
            display = _display(file)
            key = f"{display}\0{int(explicit)}"  # a named file may be reported as unrecognized
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
                if run is not None:
                    report.runs[display] = run
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
