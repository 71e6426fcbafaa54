"""Dynamic chunking: boundary rate per stage against 1/N, and ratio losses against 1.0."""

from __future__ import annotations

from typing import Iterator

from ..diagnostics import Diagnostic, Severity
from .codes import DetectorContext, detector
from .runlog import RunLog, Series
from .stats import num, pct

__all__ = ["compression_off_target", "ratio_loss_off_target", "tail_mean"]


def tail_mean(series: Series, fraction: float) -> tuple[float, int, int]:
    """Mean over the last ``fraction`` of the logged steps (at least 5 values, or all):
    (mean, index of the first value used, count)."""
    finite = series.finite()
    first, last = finite.steps[0], finite.steps[-1]
    cut = last - fraction * (last - first)
    start = next(i for i, s in enumerate(finite.steps) if s >= cut)
    start = min(start, max(len(finite) - 5, 0))
    vals = finite.values[start:]
    return sum(vals) / len(vals), start, len(vals)


@detector("HNL910", "compression-off-target", Severity.WARNING, "heuristic",
          {"tolerance": 0.2, "tail_fraction": 0.1})
def compression_off_target(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """A stage's boundary rate F is more than 20% away from its target 1/N.

    F is the mean over the last 10% of the logged steps.

    ## Why it matters
    The ratio loss pushes F toward 1/N (`routing.target_ratio`). A rate far above target
    means the outer stages do the work and the main network sees nearly every byte (slow,
    no compression); far below, or drifting toward 0, means chunks too long to encode, a
    collapse the CE loss can hide for a while.

    ## Example
    `target_ratio: [3.0]`; `compression_0` settles at 0.55 (target 0.333).

    ## Use instead
    Check `ratio_loss_weight` (0.03 in the paper) and that the ratio loss is added to the
    total; compare the stage's ratio loss (HNL911).
    """
    targets = ctx.expect.target_ratio
    if not targets:
        return
    for stage, series in log.indexed("compression_").items():
        if stage >= len(targets) or targets[stage] <= 1 or not series.finite():
            continue
        goal = 1.0 / targets[stage]
        mean, start, count = tail_mean(series, ctx.options["tail_fraction"])
        if abs(mean / goal - 1) <= ctx.options["tolerance"]:
            continue
        finite = series.finite()
        yield ctx.at(finite, len(finite) - 1,
                     f"stage {stage} selected {pct(mean)} of positions as boundaries (mean of "
                     f"the last {count} values, steps {finite.steps[start]:,}-"
                     f"{finite.steps[-1]:,}); target 1/N = {pct(goal)} (N = "
                     f"{num(targets[stage])}): {mean / goal:.2f}x the target, tolerance "
                     f"+-{pct(ctx.options['tolerance'])}",
                     data={"stage": stage, "mean": mean, "target": goal, "ratio": mean / goal,
                           "steps": [finite.steps[start], finite.steps[-1]]})


@detector("HNL911", "ratio-loss-off-target", Severity.WARNING, "heuristic",
          {"tolerance": 0.05, "tail_fraction": 0.1})
def ratio_loss_off_target(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """A stage's ratio loss (mean over the last 10% of steps) is more than 0.05 from 1.0.

    ## Why it matters
    L = 1 + (1 - N F)(1 - N G)/(N - 1) equals 1 whenever the boundary rate F is on target
    1/N, so a logged value near 1.0 means "on target" (docs/evidence.md §8), not "high". The
    loss is quadratic near the target, so even 0.05 is a clear miss: with N = 3, F = G =
    0.5 (instead of 0.33) gives 1.125; a collapse to F = G = 0 gives 1 + 1/(N-1) = 1.5.

    ## Example
    `ratio_loss_0` settles at 1.4.

    ## Use instead
    Look at the stage's boundary rate (HNL910) and `ratio_loss_weight`.
    """
    for stage, series in log.indexed("ratio_loss_").items():
        if not series.finite():
            continue
        mean, start, count = tail_mean(series, ctx.options["tail_fraction"])
        if abs(mean - 1.0) <= ctx.options["tolerance"]:
            continue
        finite = series.finite()
        yield ctx.at(finite, len(finite) - 1,
                     f"stage {stage} ratio loss averaged {mean:.3f} over the last {count} "
                     f"values (steps {finite.steps[start]:,}-{finite.steps[-1]:,}); 1.0 "
                     f"means the boundary rate is on target (tolerance "
                     f"+-{ctx.options['tolerance']})",
                     data={"stage": stage, "mean": mean,
                           "steps": [finite.steps[start], finite.steps[-1]]})
