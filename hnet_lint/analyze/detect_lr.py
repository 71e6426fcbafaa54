"""Logged learning rates against the config: multipliers per group, and the schedule."""

from __future__ import annotations

import math
from typing import Iterator

from ..diagnostics import Diagnostic, Severity
from ..schedules import Schedule
from .codes import DetectorContext, detector
from .runlog import RunLog, Series
from .stats import median, num

__all__ = ["multipliers_not_applied", "group_ratio_mismatch", "schedule_mismatch"]


def _aligned(log: RunLog, n: int) -> tuple[dict[int, Series], list[int], dict[int, list]]:
    """Groups 0..n-1, the steps at which all of them logged a positive finite LR, and per
    step the values (group order) with the index of each point in its series."""
    groups = {g: s for g, s in log.indexed("lr_group_").items() if g < n}
    if len(groups) < 2:
        return groups, [], {}
    maps = {g: {s: i for i, s in enumerate(series.steps)} for g, series in groups.items()}
    rows: dict[int, list] = {}
    for step in groups[min(groups)].steps:
        idx = [maps[g].get(step) for g in groups]
        if None in idx:
            continue
        vals = [groups[g].values[i] for g, i in zip(groups, idx)]
        if all(math.isfinite(v) and v > 0 for v in vals):
            rows[step] = [vals, idx]
    return groups, sorted(rows), rows


def _multipliers(ctx: DetectorContext) -> tuple[float, ...] | None:
    mult = ctx.expect.multipliers
    if not mult or len(mult) < 2 or any(m <= 0 for m in mult):
        return None
    return mult


def _all_equal(vals: list[float], tol: float) -> bool:
    return max(vals) / min(vals) - 1 <= tol


@detector("HNL907", "lr-multipliers-not-applied", Severity.ERROR, "exact", {"tolerance": 0.02})
def multipliers_not_applied(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """Every parameter group logged the same LR while the config sets different multipliers.

    ## Why it matters
    H-Net trains outer stages at a higher LR (`lr * lr_multiplier[s]`). A trainer that
    builds one param group, or a custom scheduler that writes one scalar LR into every
    group, silently trains all stages at the base LR; the config then documents a run that
    never happened (docs/evidence.md §7).

    ## Example
    Config `lr_multiplier: [2.0, 1.5, 1.0]`; the log shows `lr_group_0 = lr_group_1 =
    lr_group_2 = 3e-4` at every step.

    ## Use instead
    Set each group's LR as `base * multiplier` and let the scheduler scale, not overwrite,
    it (`LambdaLR` keeps ratios); log every group's LR.
    """
    mult = _multipliers(ctx)
    if mult is None and ctx.expect.stage_multipliers:
        # groups are not in stage order (a trainer profile): compare every logged group
        mult = tuple(ctx.expect.stage_multipliers)
        if len(mult) < 2 or _all_equal(list(mult), 1e-9):
            return
        groups, steps, rows = _aligned(log, max(log.indexed("lr_group_"), default=-1) + 1)
    elif mult is None or _all_equal(list(mult), 1e-9):
        return
    else:
        groups, steps, rows = _aligned(log, len(mult))
    tol = ctx.options["tolerance"]
    if not steps or not all(_all_equal(rows[s][0], tol) for s in steps):
        return
    first = steps[0]
    g1 = sorted(groups)[1]
    yield ctx.at(groups[g1], rows[first][1][1],
                 f"all {len(groups)} parameter groups logged the same LR at every one of "
                 f"the {len(steps):,} logged steps (e.g. {num(rows[steps[-1]][0][0])} at "
                 f"step {steps[-1]:,}) while optimizer.lr_multiplier is {list(mult)} in "
                 f"{ctx.expect.config}: the per-stage multipliers were never applied",
                 data={"groups": len(groups), "multipliers": list(mult),
                       "steps": [steps[0], steps[-1]], "compared": len(steps)})


@detector("HNL908", "lr-group-ratio-mismatch", Severity.ERROR, "exact", {"tolerance": 0.02})
def group_ratio_mismatch(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """The ratios between the logged group LRs differ from the configured multipliers.

    Checked at every step where all groups logged; tolerance 2% relative. The case of all
    groups equal at every step is HNL907.

    ## Why it matters
    Ratios that match at first and collapse later point at a scheduler that re-sets every
    group's LR (multipliers erased after warmup); ratios that are off by a constant point
    at multipliers applied twice or in the wrong stage order.

    ## Example
    `lr_group_0 / lr_group_2` = 2.0 until step 2,000, then 1.0.

    ## Use instead
    Scale each group's own initial LR in the scheduler (`LambdaLR`), never assign one value.
    """
    mult = _multipliers(ctx)
    if mult is None:
        return
    groups, steps, rows = _aligned(log, len(mult))
    tol = ctx.options["tolerance"]
    if not steps or (not _all_equal(list(mult), 1e-9)
                     and all(_all_equal(rows[s][0], tol) for s in steps)):
        return  # HNL907
    order = list(groups)
    want = [mult[g] / mult[order[0]] for g in order]
    bad = [s for s in steps if any(abs(v / rows[s][0][0] / w - 1) > tol
                                   for v, w in zip(rows[s][0], want))]
    if not bad:
        return
    s0 = bad[0]
    got = [round(v / rows[s0][0][0], 3) for v in rows[s0][0]]
    before = steps.index(s0)
    history = (f"they matched at the {before:,} logged steps before it" if before
               else "they never matched")
    equal = all(_all_equal(rows[s][0], tol) for s in bad)
    cause = "; from then on all groups log one LR (a scheduler overwrote the " \
            "multipliers)" if equal and before else ""
    yield ctx.at(groups[order[1]], rows[s0][1][1],
                 f"group LR ratios {got} at step {s0:,} differ from the multiplier ratios "
                 f"{[round(w, 3) for w in want]} (optimizer.lr_multiplier {list(mult)}); "
                 f"{history}; {len(bad):,} of {len(steps):,} steps differ{cause}",
                 data={"first_step": s0, "logged_ratios": got, "expected_ratios": want,
                       "mismatched": len(bad), "compared": len(steps),
                       "steps": [bad[0], bad[-1]]})


def _fits(logged: float, step: int, sched: Schedule, scale: float, o: dict) -> bool:
    """Within tolerance of the scaled schedule at step-1, step or step+1 (trainers differ
    by one step in when they count warmup)."""
    slack = o["abs_tolerance"] * scale * sched.peak_lr
    return any(abs(logged - scale * sched.lr(step + d)) <= o["tolerance"] * scale *
               sched.lr(step + d) + slack for d in (-1, 0, 1))


def _series_to_check(log: RunLog, ctx: DetectorContext) -> list[tuple[Series, float]]:
    """(series, multiplier) pairs: each logged group, or the single base ``lr``."""
    mult = ctx.expect.multipliers or ()
    groups = log.indexed("lr_group_")
    if groups and ctx.expect.stage_multipliers:
        return [(s.finite(), _best_stage(s.finite(), ctx)) for s in groups.values()]
    if groups:
        return [(s.finite(), mult[g] if g < len(mult) else 1.0) for g, s in groups.items()]
    lr = log.get("lr")
    return [(lr.finite(), 1.0)] if lr else []


def _best_stage(series: Series, ctx: DetectorContext) -> float:
    """The stage multiplier that fits a logged group best (median log-ratio to the
    schedule), for trainers whose groups are not in stage order."""
    sched = ctx.expect.schedule
    best, err = 1.0, math.inf
    for m in ctx.expect.stage_multipliers or (1.0,):
        logs = [abs(math.log(v / (sched.lr(st) * m))) for st, v in
                zip(series.steps, series.values) if v > 0 and sched.lr(st) > 0.1 * sched.peak_lr]
        score = median(logs) if logs else math.inf
        if score < err:
            best, err = m, score
    return best


@detector("HNL909", "lr-schedule-mismatch", Severity.WARNING, "exact",
          {"tolerance": 0.05, "abs_tolerance": 0.01})
def schedule_mismatch(log: RunLog, ctx: DetectorContext) -> Iterator[Diagnostic]:
    """The logged LR does not follow the configured schedule (shape, warmup or peak).

    Each group is compared with `schedule(step) * multiplier` up to one constant factor
    (its median ratio), within 5% relative plus 1% of the peak, allowing one step of
    offset. A factor shared by all groups is a wrong peak LR; factors that differ between
    groups are HNL907/HNL908.

    ## Why it matters
    A warmup that ends at step 500 instead of 2,000, a cosine that decays to zero instead
    of `min_lr`, or a peak read from the wrong key all change the run without an error.

    ## Example
    Config `warmup_steps: 2000`; the logged LR reaches its peak at step 500.

    ## Use instead
    Build the scheduler from the same config values (`hnet_lint.schedules` implements them).
    """
    sched = ctx.expect.schedule
    if sched is None or sched.peak_lr <= 0:
        return
    checks = [(s, m) for s, m in _series_to_check(log, ctx) if len(s) >= 3]
    scales = []
    for series, m in checks:
        ratios = [v / (sched.lr(st) * m) for st, v in zip(series.steps, series.values)
                  if sched.lr(st) > 0.1 * sched.peak_lr]
        scales.append(median(ratios) if ratios else 1.0)
    for (series, m), scale in zip(checks, scales):
        bad = [i for i, (st, v) in enumerate(zip(series.steps, series.values))
               if not _fits(v, st, sched, m * scale, ctx.options)]
        if bad:
            yield _shape_finding(ctx, series, m, scale, bad)
            return
    yield from _peak_finding(ctx, checks, scales)


def _shape_finding(ctx, series: Series, m: float, scale: float, bad: list[int]) -> Diagnostic:
    sched = ctx.expect.schedule
    i = bad[0]
    st, v = series.steps[i], series.values[i]
    top = max(series.values)
    peak_at = next(s for s, x in zip(series.steps, series.values) if x >= 0.99 * top)
    return ctx.at(series, i,
                  f"{series.name} departs from the configured {sched.name} schedule at step "
                  f"{st:,}: logged {num(v)}, expected {num(sched.lr(st) * m * scale)}; "
                  f"{len(bad):,} of {len(series):,} logged values differ; the logged LR "
                  f"first reaches its peak at step {peak_at:,}, the config's warmup ends "
                  f"at step {sched.warmup_end():,}"
                  + (f" (steps as {ctx.expect.trainer} logs them)" if ctx.expect.trainer else ""),
                  data={"first_step": st, "logged": v, "expected": sched.lr(st) * m * scale,
                        "mismatched": len(bad), "logged_peak_step": peak_at,
                        "warmup_steps": sched.warmup_steps,
                        "steps": [series.steps[bad[0]], series.steps[bad[-1]]]})


def _peak_finding(ctx, checks, scales) -> Iterator[Diagnostic]:
    """All groups share one factor != 1: the peak LR is not the configured one. A lone
    base ``lr`` that equals group 0's LR (factor = multiplier[0]) is accepted."""
    if not checks:
        return
    tol = ctx.options["tolerance"]
    if max(scales) / min(scales) - 1 > tol:
        return  # groups disagree: multipliers (HNL907/908)
    scale = median(scales)
    mult0 = (ctx.expect.multipliers or (1.0,))[0]
    if abs(scale - 1) <= tol or (checks[0][0].name == "lr" and abs(scale - mult0) <= tol):
        return
    series = checks[0][0]
    peak = ctx.expect.schedule.peak_lr
    yield ctx.at(series, 0,
                 f"the logged LR is {scale:.3g}x the configured one at every step "
                 f"(optimizer.lr {num(peak)} -> logged peak {num(peak * scale)} before "
                 f"multipliers): the run used a different peak LR",
                 data={"scale": scale, "config_lr": peak})
