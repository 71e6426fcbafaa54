"""Analyze codes HNL901+: metadata, the run's expectations, and located findings.

A detector is a pure function ``detect(log, ctx) -> Iterator[Diagnostic]`` decorated with
:func:`detector`. Its docstring is its documentation (*Why it matters / Example / Use
instead*), printed by ``hnet-lint rule HNL902`` like a static rule's. Thresholds are data
(``options``) next to the detector; each code carries an evidence tag, as the dry-run's do:
``exact`` (decided outright), ``literature`` (a published threshold) or ``heuristic``
(provisional).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..diagnostics import Diagnostic, Severity, Span
from ..schedules import Schedule
from .runlog import RunLog, Series, Where

__all__ = ["AnalyzeCode", "Expectations", "DetectorContext", "detector", "Detector"]


@dataclass(frozen=True)
class AnalyzeCode:
    """Everything hnet-lint knows about one analyze code."""

    code: str
    name: str
    severity: Severity
    evidence: str
    doc: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name


@dataclass(frozen=True)
class Expectations:
    """What the config says the run should look like; every field may be unknown."""

    config: str | None = None
    lr: float | None = None
    multipliers: tuple[float, ...] | None = None
    schedule: Schedule | None = None
    grad_clip: float | None = None
    target_ratio: tuple[float, ...] | None = None
    stage_multipliers: tuple[float, ...] | None = None
    """Per-stage multipliers when the log's groups are not in stage order (a trainer
    profile's ``group_params`` groups by multiplier and decay): each logged group is matched
    to the stage whose multiplier fits it."""
    trainer: str | None = None
    """The trainer profile whose step units and schedule the expectations use."""
    kind: str = "run"
    """``run`` (a training run of the config), or the dry-run's ``probe`` / ``smoke`` curves
    (a short run on its own schedule: judged against its plan, not the config's)."""
    planned_steps: int | None = None
    """The steps the log's own plan asked for (dry-run curves), instead of the schedule's."""
    judge_from: int = 0
    """First step the spike detectors judge (a probe: the end of its warmup)."""

    @property
    def total_steps(self) -> int | None:
        if self.planned_steps is not None:
            return self.planned_steps
        return self.schedule.total_steps if self.schedule else None


Detector = Callable[[RunLog, "DetectorContext"], Iterable[Diagnostic]]


def detector(code: str, name: str, severity: Severity, evidence: str,
             options: Mapping[str, Any] | None = None) -> Callable[[Detector], Detector]:
    """Declare ``fn`` as the detector for ``code``; its docstring is its documentation."""

    def decorate(fn: Detector) -> Detector:
        fn.__hnl_analyze__ = AnalyzeCode(  # type: ignore[attr-defined]
            code, name, severity, evidence, inspect.cleandoc(fn.__doc__ or ""),
            dict(options or {}))
        return fn

    return decorate


class DetectorContext:
    """What a running detector may use: the expectations, its options, located findings."""

    def __init__(self, meta: AnalyzeCode, log: RunLog, expect: Expectations,
                 options: Mapping[str, Any] | None = None):
        self.meta = meta
        self.log = log
        self.expect = expect
        self.options = {**meta.options, **(options or {})}

    def at(self, series: Series | None, index: int | None, message: str, *,
           data: dict[str, Any] | None = None, severity: Severity | None = None) -> Diagnostic:
        """A finding at point ``index`` of ``series`` (its line and field columns in the log);
        at the top of the file when there is no point to show."""
        where = series.where[index] if series is not None and index is not None else Where(1)
        span = Span(self.log.path, where.line, where.column, where.line, where.end_column)
        return Diagnostic(
            span=span, code=self.meta.code,
            severity=self.meta.severity if severity is None else severity,
            message=message, name=self.meta.name,
            path=(series.name,) if series is not None else (), phase="analyze",
            evidence=self.meta.evidence, data=data,
        )
