"""Rule metadata, the registry, and running rules over a normalized config.

A rule is a pure function ``check(run, ctx) -> Iterator[Diagnostic]`` decorated with
:func:`rule`. It reads the :class:`~hnet_lint.load.runconfig.RunConfig`, asks ``ctx`` to build
each diagnostic from a canonical key path (``ctx.at(("optimizer", "lr"), "...")``) and
yields it. Rules do no I/O (except the files family), never mutate, and yield nothing
when all is well. Thresholds are declared as data (``options``) next to the rule.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable, Iterator, Mapping

from ..diagnostics import Diagnostic, Severity, Span
from ..load.codes import BUILTIN_CODES, make
from ..load.runconfig import RunConfig

__all__ = ["Rule", "RuleContext", "rule", "registry", "run_rules", "CheckFn"]

CheckFn = Callable[[RunConfig, "RuleContext"], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    """Everything hnet-lint knows about one code."""

    code: str
    name: str
    severity: Severity
    area: str
    doc: str
    check: CheckFn | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    """Option name -> default."""
    option_specs: Mapping[str, Any] = field(default_factory=dict)
    """Option name -> :class:`~hnet_lint.check.options.Opt` (type and range); an option
    without one is typed by its default."""

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name


def rule(
    code: str, name: str, severity: Severity, area: str, options: Mapping[str, Any] | None = None
) -> Callable[[CheckFn], CheckFn]:
    """Declare a check function as rule ``code``; its docstring is its documentation.
    ``options`` maps each option to its default or to its declaration
    (:mod:`hnet_lint.check.options`: ``fraction(0.05)``, ``positive(3.0)``, ...)."""
    from .options import split_options

    defaults, specs = split_options(options)

    def decorate(fn: CheckFn) -> CheckFn:
        fn.__hnl_rule__ = Rule(  # type: ignore[attr-defined]
            code=code, name=name, severity=severity, area=area,
            doc=inspect.cleandoc(fn.__doc__ or ""), check=fn, options=defaults,
            option_specs=specs,
        )
        return fn

    return decorate


_REGISTRY: dict[str, Rule] | None = None


def registry() -> dict[str, Rule]:
    """All codes, built-in (parser, schema) and rules, in code order."""
    global _REGISTRY
    if _REGISTRY is None:
        from .rules import ALL_RULES

        table: dict[str, Rule] = {}
        for code, (name, sev, summary, detail) in BUILTIN_CODES.items():
            table[code] = Rule(code, name, sev, "input", f"{summary}\n\n{detail}")
        for fn in ALL_RULES:
            meta: Rule = fn.__hnl_rule__  # type: ignore[attr-defined]
            if meta.code in table:
                raise RuntimeError(f"duplicate rule code {meta.code}")
            table[meta.code] = meta
        _REGISTRY = dict(sorted(table.items()))
    return _REGISTRY


class RuleContext:
    """What a running rule may use: its options and a way to build located diagnostics."""

    def __init__(self, meta: Rule, run: RunConfig, options: Mapping[str, Any],
                 severity: Severity):
        self.meta = meta
        self.run = run
        self.options = options
        self.severity = severity

    def at(
        self, path: tuple[Hashable, ...], message: str, *, key: bool = False,
        data: dict[str, Any] | None = None, severity: Severity | None = None,
    ) -> Diagnostic:
        """A diagnostic at canonical ``path``; the span is that of the value as written
        (or of its key when ``key`` is set; of the nearest written ancestor for defaults)."""
        where = self.run.sources.locate(path, key=key)
        if not where.written and self.run.is_default(path):
            message += self._default_note(path)
        return Diagnostic(
            span=where.span, code=self.meta.code, severity=severity or self.severity,
            message=message, name=self.meta.name, path=tuple(where.path), data=data,
        )


    def _default_note(self, path: tuple[Hashable, ...]) -> str:
        """Names the profile and the default value a finding about an unwritten value used."""
        profile = getattr(self.run, "trainer", None)
        if profile is None:
            return " (trainer default; not set in the file)"
        value = next((self.run.defaults[path[:cut]] for cut in range(len(path), 0, -1)
                      if path[:cut] in self.run.defaults), None)
        shown = f" {value}" if isinstance(value, (int, float, str)) else ""
        return f" ({profile.label} default{shown}; not set in the file)"


def run_rules(
    run: RunConfig,
    enabled: Callable[[str], bool],
    severity_of: Callable[[Rule], Severity],
    options_of: Callable[[Rule], Mapping[str, Any]],
) -> list[Diagnostic]:
    """Run every enabled rule; a crashing rule becomes an HNL012 diagnostic."""
    out: list[Diagnostic] = []
    for meta in registry().values():
        if meta.check is None or not enabled(meta.code):
            continue
        ctx = RuleContext(meta, run, options_of(meta), severity_of(meta))
        try:
            out.extend(_checked(meta.check(run, ctx)))
        except Exception as exc:  # a bug in hnet-lint must not hide the other findings
            span = Span.start_of(run.doc.path)
            out.append(make("HNL012", span,
                            f"rule {meta.code} ({meta.name}) crashed: {type(exc).__name__}: {exc}"))
    return out


def _checked(found: Iterable[Diagnostic] | None) -> Iterator[Diagnostic]:
    yield from found or ()
