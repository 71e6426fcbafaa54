"""The analyze pipeline as a library call: read logs, lint the config, run the detectors.

>>> from hnet_lint.analyze.run import analyze_logs
>>> result = analyze_logs(["train.jsonl"], config="run.yaml")   # doctest: +SKIP
>>> [d.code for d in result.report.active]                       # doctest: +SKIP
['HNL903', 'HNL906']
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from ..api import Report, lint_paths
from ..diagnostics import Diagnostic, HnetLintError
from ..schedules import schedule_from_config
from .codes import Expectations
from .detectors import run_detectors
from .readers import read_log
from .runlog import RunLog

__all__ = ["Analysis", "analyze_logs", "expectations_from", "expectations_for"]

#: the dry-run's curves (``MetricsWriter(meta=...)``): short runs on their own plan
DRY_RUN_KINDS = ("probe", "smoke")


@dataclass
class Analysis:
    """Everything one ``analyze`` run produced."""

    logs: list[RunLog]
    expect: Expectations
    findings: list[Diagnostic] = field(default_factory=list)
    """Findings from the logs (phase ``analyze``)."""
    static: list[Diagnostic] = field(default_factory=list)
    """The config's static findings, when a config was given."""

    @property
    def report(self) -> Report:
        """Both kinds of finding in one :class:`~hnet_lint.api.Report`, for the reporters."""
        files = [log.path for log in self.logs] + ([self.expect.config]
                                                   if self.expect.config else [])
        return Report(diagnostics=sorted(self.findings + self.static), files=files)


def expectations_from(run: Any, config: str) -> Expectations:
    """What a normalized :class:`~hnet_lint.load.runconfig.RunConfig` says the log should show.

    For a flat file whose trainer profile has its own log format, the schedule is the
    effective one in that log's step units (hierarchical-hnet: micro-batches)."""
    opt, train, routing = run.optimizer, run.training, run.routing
    profile = getattr(run, "trainer", None)
    if profile is not None and profile.log_format and run.dialect == "flat":
        from ..load.trainers.effective import LoggedSchedule, ScheduleUnavailable, schedule_of

        try:
            eff = schedule_of(run)
        except ScheduleUnavailable:
            eff = None
        if eff is not None:
            return Expectations(
                config=config, lr=eff.peak_lr, multipliers=None,
                schedule=LoggedSchedule(eff),  # type: ignore[arg-type]
                grad_clip=train.grad_clip if train else None,
                target_ratio=tuple(routing.target_ratio)
                if routing and routing.target_ratio else None,
                stage_multipliers=eff.multipliers, trainer=profile.label)
    lr = opt.lr if opt else None
    return Expectations(
        config=config, lr=lr,
        multipliers=tuple(opt.lr_multiplier) if opt and opt.lr_multiplier else None,
        schedule=schedule_from_config(lr, run.schedule),
        grad_clip=train.grad_clip if train else None,
        target_ratio=tuple(routing.target_ratio) if routing and routing.target_ratio else None,
    )


def expectations_for(log: RunLog, expect: Expectations) -> Expectations:
    """``expect`` adjusted to what ``log`` says it is.

    The dry-run's probe and smoke curves (``log.meta["kind"]``) are short runs on their own
    plan: a probe warms to its peak over its own ``warmup`` steps and holds it, a smoke runs
    the schedule's first steps and then steps at peak. So they are not compared with the
    configured run's schedule (HNL909) or length (HNL906 measures against ``steps_planned``),
    routers a few dozen steps from init are not held to the compression target (HNL910/911;
    the dry-run judges the boundary rate itself, HNL810), and the spike detectors judge a
    probe only from the end of its warmup (the warmup's steep fall is no trend to measure a
    spike against). The group-LR ratio checks (HNL907/908) apply as to any run."""
    kind = log.meta.get("kind")
    if kind not in DRY_RUN_KINDS:
        return expect
    planned = log.meta.get("steps_planned")
    warmup = log.meta.get("warmup") if kind == "probe" else 0
    return replace(expect, kind=kind, schedule=None, stage_multipliers=None, target_ratio=None,
                   planned_steps=int(planned) if isinstance(planned, (int, float)) and planned > 0 else None,
                   judge_from=int(warmup) if isinstance(warmup, (int, float)) and warmup > 0 else 0)


def analyze_logs(paths: Sequence[str], config: str | None = None,
                 mapping: Mapping[str, str] | None = None,
                 options: Mapping[str, Mapping[str, Any]] | None = None) -> Analysis:
    """Read every log, lint ``config`` (if any) and run the detectors over each log."""
    expect, static = Expectations(), []
    if config is not None:
        report = lint_paths([config])
        static = report.active
        runs = list(report.runs.values())
        if not runs and not static:
            raise HnetLintError(f"{config}: not an H-Net config")
        if runs:
            expect = expectations_from(runs[0], report.files[0] if report.files else config)
    logs = [read_log(p, dict(mapping or {})) for p in paths]
    findings = [d for log in logs for d in run_detectors(log, expectations_for(log, expect), options)]
    return Analysis(logs=logs, expect=expect, findings=findings, static=static)
