"""Gradient-norm spikes, loss spikes and divergence.

Spike rules are relative to the run's own history, as in production trainers
(docs/evidence.md §1): OLMo-core flags a value above mean + 6 sigma of the previous 128; Megatron flags 10x.
Neither fires before its window fills, so a short log gets no spike findings at all.
"""

from __future__ import annotations

import math
from typing import Iterator

from ..diagnostics import Diagnostic, Severity
from .codes import DetectorContext, detector
from .runlog import RunLog, Series
from .stats import ZEvent, median, num, pct, zscore_events

__all__ = ["grad_norm_spike", "loss_spike", "loss_divergence", "Z_OPTIONS"]

#: OLMo-core's StabilityMonitor: 6 sigma over a 128-value window; we wait for 32 values.
Z_OPTIONS = {"window": 128, "threshold": 6.0, "min_history": 32, "min_rel_std": 0.001,
             "min_sustained": 10, "max_reports": 5}


@detector("HNL903", "grad-norm-spike", Severity.WARNING, "literature",
          {"ratio": 10.0, "baseline": 10})
def grad_norm_spike(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """The gradient norm peaked at `ratio` (10, Megatron's factor) times its median or more.

    Reported as max/median with the clip level, the fraction of clipped steps and whether
    the loss recovered; info when it did, warning when it did not.

    ## Why it matters
    One large pre-clip gradient norm is not a diagnosis. Clipping bounds the update, and
    maxima 25-45x the median hit runs that ended fine (docs/evidence.md §1); the motivating
    run's "max 1,810, final 0.17" was read as an explosion from that one number. What
    matters is how often the norm was clipped and whether the loss came back.

    ## Example
    `grad_norm` 0.8 for 5,000 steps, 1,810 at step 3,100, loss back to its level 40 steps later.

    ## Use instead
    Look at the clipped fraction and the loss after the spike before changing the config;
    for repeated unrecovered spikes, a lower peak LR or qk-norm, not a larger clip.
    """
    gn = log.get("grad_norm")
    gn = gn.finite() if gn else None
    if gn is None or len(gn) < 2:
        return
    med = median(gn.values)
    peak = max(range(len(gn)), key=lambda i: gn.values[i])
    ratio = gn.values[peak] / med if med > 0 else math.inf
    if ratio < ctx.options["ratio"]:
        return
    clip_text, clipped = _clip_text(gn, ctx.expect.grad_clip)
    recovered, rec_text, rec_data = _recovery(log.get("loss"), gn.steps[peak],
                                              ctx.options["baseline"])
    spikes = sum(v >= ctx.options["ratio"] * med for v in gn.values)
    yield ctx.at(gn, peak,
                 f"grad norm max/median = {num(ratio)} (max {num(gn.values[peak])} at step "
                 f"{gn.steps[peak]:,}, median {num(med)} over {len(gn):,} logged steps; "
                 f"{spikes} step(s) at >= {num(ctx.options['ratio'])}x the median); "
                 f"{clip_text}; {rec_text}",
                 severity=Severity.INFO if recovered else None,
                 data={"max": gn.values[peak], "median": med, "ratio": ratio,
                       "step": gn.steps[peak], "spike_steps": spikes,
                       "clip": ctx.expect.grad_clip, "clipped_fraction": clipped,
                       "recovered": recovered, "steps": [gn.steps[0], gn.steps[-1]],
                       **rec_data})


def _clip_text(gn: Series, clip: float | None) -> tuple[str, float | None]:
    if not clip or clip <= 0:
        return "clip level unknown or clipping off (no training.grad_clip)", None
    fraction = sum(v > clip for v in gn.values) / len(gn)
    return (f"clip level {num(clip)}: {pct(fraction)} of logged steps were above it and "
            f"clipped"), fraction


def _recovery(loss: Series | None, step: int, baseline: int) -> tuple[bool | None, str, dict]:
    """Did the loss come back to its pre-spike level (the highest of the last ``baseline``
    values before ``step``, so noise and a falling trend do not count against it) at some
    later logged step?"""
    loss = loss.finite() if loss else None
    if loss is None:
        return None, "no loss logged to tell whether it recovered", {}
    before = [v for s, v in zip(loss.steps, loss.values) if s < step][-baseline:]
    after = [(s, v) for s, v in zip(loss.steps, loss.values) if s > step]
    if len(before) < 3 or not after:
        return None, "too little loss history around it to tell whether it recovered", {}
    level = max(before)
    back = next(((s, v) for s, v in after if v <= level), None)
    peak = max(v for _, v in after[:20])
    if back is None:
        return False, (f"the loss did NOT recover: it stayed above its pre-spike level "
                       f"{num(level)} through step {after[-1][0]:,} (last {num(after[-1][1])})"
                       ), {"loss_level": level}
    return True, (f"the loss recovered: back to {num(back[1])} (pre-spike level "
                  f"{num(level)}) at step {back[0]:,}, {back[0] - step:,} steps later; "
                  f"highest loss just after it {num(peak)}"), {
        "loss_level": level, "recovered_step": back[0]}


def _events(log: RunLog, ctx: DetectorContext) -> tuple[Series | None, list[ZEvent]]:
    loss = log.get("loss")
    if loss is None:
        return None, []
    o = {**Z_OPTIONS, **ctx.options}
    if ctx.expect.judge_from:  # a probe: only the part held at peak (Expectations.judge_from)
        held = Series(loss.name)
        for s, v, w in zip(loss.steps, loss.values, loss.where):
            if s >= ctx.expect.judge_from:
                held.append(s, v, w)
        loss = held
        if not loss:
            return None, []
    return loss, zscore_events(loss.values, o["window"], o["threshold"], o["min_history"],
                               o["min_rel_std"])


def _is_divergence(loss: Series, event: ZEvent, min_sustained: int) -> bool:
    """The event runs to the last finite value and is long enough to call."""
    last_finite = max(i for i, v in enumerate(loss.values) if math.isfinite(v))
    flagged = sum(math.isfinite(v) for v in loss.values[event.start:event.end + 1])
    return event.end == last_finite and flagged >= min_sustained


@detector("HNL904", "loss-spike", Severity.WARNING, "literature", Z_OPTIONS)
def loss_spike(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """The loss rose more than 6 sigma above its recent trend, then came back.

    Window 128 logged values, threshold 6 sigma, at least 32 values of history (OLMo-core's
    StabilityMonitor numbers). Unlike OLMo-core, the expectation is a straight line fitted
    to the window, not its mean, so a steeply falling loss does not hide spikes in its own
    trend. Flagged values stay out of the history; sigma is floored at 0.1% of the loss.

    ## Why it matters
    Isolated spikes happen in healthy large runs (PaLM saw ~20) and usually come from a
    particular batch meeting a particular state; many or growing spikes precede divergence.

    ## Example
    Loss 2.31 +- 0.02 for 1,000 steps, 4.1 at step 5,000, back to 2.3 by step 5,040.

    ## Use instead
    Note the steps (and the batches behind them). Frequent spikes call for a lower peak LR,
    qk-norm or z-loss, or skipping outlier steps (OLMo-core's SkipStepAdamW).
    """
    loss, events = _events(log, ctx)
    spikes = [e for e in events if not _is_divergence(loss, e, ctx.options["min_sustained"])]
    for e in spikes[: ctx.options["max_reports"]]:
        more = f"; {len(spikes)} spikes in all" if len(spikes) > 1 else ""
        yield ctx.at(loss, e.peak,
                     f"loss spiked to {num(loss.values[e.peak])} at step "
                     f"{loss.steps[e.peak]:,} (z = {e.peak_z:.1f}: expected {num(e.mean)} +- "
                     f"{num(e.std)} from the trend of the previous "
                     f"{ctx.options['window']} values; threshold "
                     f"{num(ctx.options['threshold'])} sigma); steps "
                     f"{loss.steps[e.start]:,}-{loss.steps[e.end]:,} flagged, then back "
                     f"under the threshold{more}",
                     data={"step": loss.steps[e.peak], "steps": [loss.steps[e.start],
                           loss.steps[e.end]], "peak": loss.values[e.peak],
                           "z": round(e.peak_z, 2), "mean": e.mean, "std": e.std,
                           "window": ctx.options["window"], "count": len(spikes)})


@detector("HNL905", "loss-divergence", Severity.ERROR, "heuristic", Z_OPTIONS)
def loss_divergence(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """The loss left its trend (6 sigma, 128-value window) and never came back.

    Same rule as HNL904, but the flagged stretch runs to the end of the log and lasts at
    least `min_sustained` (10) logged values.

    ## Why it matters
    A loss that stays far above its history for the rest of the run has diverged; later
    steps train a damaged model. The onset step is where to look (LR at that step, the
    batches, the gradient norm just before).

    ## Example
    Loss 2.3 until step 6,000, then 3, 5, 8 and NaN.

    ## Use instead
    Restart from a checkpoint before the onset with a lower peak LR, a longer warmup, or
    qk-norm; check the gradient norm and the per-group LRs at the onset.
    """
    loss, events = _events(log, ctx)
    for e in events:
        if not _is_divergence(loss, e, ctx.options["min_sustained"]):
            continue
        finite = [i for i in range(e.start, e.end + 1) if math.isfinite(loss.values[i])]
        yield ctx.at(loss, e.start,
                     f"loss diverged from step {loss.steps[e.start]:,}: it stayed more than "
                     f"{num(ctx.options['threshold'])} sigma above its trend (expected "
                     f"{num(e.mean)}, "
                     f"sigma {num(e.std)}, window {ctx.options['window']}) for the "
                     f"remaining {len(finite)} logged values through step "
                     f"{loss.steps[e.end]:,}, peaking at {num(loss.values[e.peak])} "
                     f"(z = {e.peak_z:.1f})",
                     data={"onset_step": loss.steps[e.start], "steps": [
                         loss.steps[e.start], loss.steps[e.end]], "peak":
                         loss.values[e.peak], "z": round(e.peak_z, 2), "mean": e.mean,
                         "std": e.std, "window": ctx.options["window"]})
