"""Run-level detectors: unreadable lines, NaN/Inf, a run stopped early, a growing eval gap."""

from __future__ import annotations

import math
from typing import Iterator

from ..diagnostics import Diagnostic, Severity
from .codes import DetectorContext, detector
from .runlog import RunLog, Series
from .stats import median, num, pct, slope

__all__ = ["unreadable_lines", "non_finite", "stopped_early", "eval_gap_growing"]

_WATCHED = ("loss", "grad_norm", "eval_loss")


@detector("HNL901", "unreadable-log-lines", Severity.INFO, "exact", {"show": 5})
def unreadable_lines(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """Lines of the log that could not be read as metrics (counted, never fatal).

    ## Why it matters
    A truncated last line (the job was killed mid-write), interleaved stderr or a garbled
    row is normal in real logs; it must not stop the analysis. The count tells you how much
    of the log the findings rest on. Field names that map to nothing are listed so you can
    map them with `--map`.

    ## Example
    ```
    {"step": 100, "loss": 2.31}
    {"step": 101, "loss": 2.3
    ```

    ## Use instead
    Nothing to fix when the count is small; `--map grad_norm=my_gn` for unusual names.
    """
    if not log.skipped:
        return
    first = ", ".join(str(n) for n in log.skipped[: ctx.options["show"]])
    more = ", ..." if len(log.skipped) > ctx.options["show"] else ""
    unknown = sorted(log.unknown_fields)[:8]
    hint = f"; unmapped fields: {', '.join(unknown)} (see --map)" if unknown else ""
    yield ctx.at(None, None, f"{len(log.skipped)} of {log.lines} lines could not be read as "
                 f"metrics (lines {first}{more}){hint}",
                 data={"count": len(log.skipped), "lines": log.skipped[:50],
                       "unknown_fields": unknown})


def _watched(log: RunLog) -> list[Series]:
    names = [*_WATCHED, *sorted(n for n in log.series if n.startswith(
        ("lr", "ratio_loss_", "compression_")))]
    return [log.series[n] for n in names if log.get(n)]


@detector("HNL902", "non-finite-metric", Severity.ERROR, "exact")
def non_finite(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """A logged loss, gradient norm, LR or routing metric is NaN or infinite.

    ## Why it matters
    Every production trainer treats this as fatal (torchtitan asserts before the optimizer
    step, OLMo-core raises, Megatron checks by default): once a NaN reaches the weights,
    every later step is NaN. The first step it appears is where to look (the batch, a
    division by a zero boundary count, an overflow in fp16/bf16).

    ## Example
    ```
    step 300 | loss nan | grad_norm inf
    ```

    ## Use instead
    Skip the step on a non-finite loss or grad norm, and find the first batch that caused it.
    """
    for series in _watched(log):
        bad = [i for i, v in enumerate(series.values) if not math.isfinite(v)]
        if not bad:
            continue
        i = bad[0]
        finite_before = [j for j in range(i) if math.isfinite(series.values[j])]
        prev = (f"; last finite value {num(series.values[finite_before[-1]])} at step "
                f"{series.steps[finite_before[-1]]:,}") if finite_before else ""
        yield ctx.at(series, i, f"{series.name} is {series.values[i]} at step "
                     f"{series.steps[i]:,} ({len(bad)} non-finite of {len(series)} logged "
                     f"values){prev}",
                     data={"field": series.name, "first_step": series.steps[i],
                           "last_step": series.steps[bad[-1]], "count": len(bad)})


@detector("HNL906", "run-stopped-early", Severity.WARNING, "exact",
          {"tail_fraction": 0.10, "t_threshold": 2.0})
def stopped_early(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """The log ends before the configured `schedule.total_steps`.

    ## Why it matters
    A run that stopped at a third of its steps never reached the low-LR part of its
    schedule, so its loss and samples say little about the config. Whether the loss was
    still falling (least-squares slope over the last 10% of logged steps, t-statistic
    below -2) tells you whether it had converged or was simply cut off.

    ## Example
    Config `total_steps: 100000`; the log ends at step 32,800 with the loss still falling.

    ## Use instead
    Resume from the last checkpoint, or shorten `total_steps` so the schedule completes.
    """
    total, last = ctx.expect.total_steps, log.last_step
    loss = log.get("loss")
    if not total or last is None or loss is None:
        return
    interval = _interval(loss)
    if last + interval >= total:
        return
    trend, data = _tail_trend(loss.finite(), ctx.options)
    yield ctx.at(loss, len(loss) - 1,
                 f"the log ends at step {last:,} of the {'configured' if ctx.expect.kind == 'run' else 'planned'} "
                 f"{total:,} "
                 f"({pct(last / total)}; {total - last:,} steps short); {trend}",
                 data={"last_step": last, "total_steps": total,
                       "fraction": round(last / total, 4), **data})


def _interval(series: Series) -> int:
    """Typical logging interval in steps."""
    gaps = [b - a for a, b in zip(series.steps, series.steps[1:]) if b > a]
    return int(median(gaps)) if gaps else 1


def _tail_trend(loss: Series, options) -> tuple[str, dict]:
    """Describe the loss trend over the last ``tail_fraction`` of the logged steps."""
    if len(loss) < 5:
        return "too few loss values to tell whether it was still falling", {}
    first, last = loss.steps[0], loss.steps[-1]
    cut = last - options["tail_fraction"] * (last - first)
    idx = [i for i, s in enumerate(loss.steps) if s >= cut]
    if len(idx) < 5:
        idx = list(range(len(loss) - 5, len(loss)))
    xs = [loss.steps[i] / 1000 for i in idx]
    b, se = slope(xs, [loss.values[i] for i in idx])
    t = b / se if se > 0 and math.isfinite(se) else (0.0 if b == 0 else math.copysign(99.0, b))
    state = ("still falling" if t < -options["t_threshold"] else
             "rising" if t > options["t_threshold"] else "flat")
    window = f"steps {loss.steps[idx[0]]:,}-{loss.steps[idx[-1]]:,}"
    text = (f"the loss was {state} at the end: slope {b:+.3g} per 1k steps over the last "
            f"{pct(options['tail_fraction'])} ({window}, t = {t:.1f})")
    return text, {"trend": state.replace("still ", ""), "slope_per_1k": b, "t": round(t, 2),
                  "tail_steps": [loss.steps[idx[0]], loss.steps[idx[-1]]]}


@detector("HNL912", "eval-gap-growing", Severity.WARNING, "heuristic",
          {"min_growth": 0.1, "min_evals": 3, "train_points": 10})
def eval_gap_growing(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """The gap between eval and train loss grew by more than `min_growth` nats (0.1).

    ## Why it matters
    Train loss is averaged over the last `train_points` (10) logged values at or before
    each eval step, so the gap compares losses of the same moment. A gap that grows means the model fits its training bytes
    better than held-out bytes: repeated data (too few epochs' worth of text), a leak of
    eval into train in reverse, or an eval set from a different distribution.

    ## Example
    eval - train gap 0.02 at step 2,000, 0.35 at step 10,000.

    ## Use instead
    More (deduplicated) training data, fewer epochs, or an eval split from the same source.
    """
    gaps = _gaps(log, ctx.options["train_points"])
    if len(gaps) < ctx.options["min_evals"]:
        return
    low = min(range(len(gaps) - 1), key=lambda k: gaps[k][1])
    growth = gaps[-1][1] - gaps[low][1]
    if growth < ctx.options["min_growth"]:
        return
    evals = log.series["eval_loss"].finite()
    yield ctx.at(evals, len(evals) - 1,
                 f"eval - train loss gap grew from {gaps[low][1]:+.3f} at step "
                 f"{gaps[low][0]:,} to {gaps[-1][1]:+.3f} at step {gaps[-1][0]:,} "
                 f"(+{growth:.3f} nats; threshold {ctx.options['min_growth']})",
                 data={"gap_min": gaps[low][1], "gap_min_step": gaps[low][0],
                       "gap_last": gaps[-1][1], "last_step": gaps[-1][0],
                       "growth": round(growth, 4)})


def _gaps(log: RunLog, points: int) -> list[tuple[int, float]]:
    """(eval step, eval loss - mean of the last ``points`` train losses up to that step)."""
    evals, loss = log.get("eval_loss"), log.get("loss")
    if evals is None or loss is None:
        return []
    evals, loss = evals.finite(), loss.finite()
    out = []
    for step, value in zip(evals.steps, evals.values):
        window = [v for s, v in zip(loss.steps, loss.values) if s <= step][-points:]
        if window:
            out.append((step, value - sum(window) / len(window)))
    return out
