"""Per-stage learning-rate multipliers (codes HNL201-HNL207)."""

from __future__ import annotations

import math
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ..options import integer, number, positive
from ...load.runconfig import RunConfig
from ._util import fmt_num, stage_widths

MULT = ("optimizer", "lr_multiplier")


def _multipliers(run: RunConfig) -> list[float] | None:
    return run.optimizer.lr_multiplier if run.optimizer else None


@rule("HNL201", "lr-multiplier-missing-stages", Severity.ERROR, "multipliers")
def missing_stages(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Fewer `lr_multiplier` entries than stages (S+1).

    ## Why it matters
    `apply_lr_multiplier` indexes the list by stage and raises IndexError for a short
    list; trainers that zip the list with stages silently leave the inner stages untagged.

    ## Example
    ```yaml
    # 2-stage model: three stages 0, 1, 2
    optimizer: {lr_multiplier: [2.0, 1.5]}
    ```

    ## Use instead
    ```yaml
    optimizer: {lr_multiplier: [2.0, 1.5, 1.0]}
    ```
    """
    mult = _multipliers(run)
    if mult is None or run.layout is None:
        return
    need = run.layout.width
    if len(mult) < need:
        yield ctx.at(MULT, f"{len(mult)} multiplier{'s' if len(mult) != 1 else ''} for "
                           f"{need} stages; give one per stage, outermost first")


@rule("HNL202", "lr-multiplier-nonpositive", Severity.ERROR, "multipliers")
def nonpositive(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A multiplier that is zero or negative.

    ## Why it matters
    Zero freezes a stage; a negative value makes it ascend the loss.

    ## Example
    ```yaml
    optimizer: {lr_multiplier: [2.0, 0.0, 1.0]}
    ```

    ## Use instead
    ```yaml
    optimizer: {lr_multiplier: [2.0, 1.5, 1.0]}
    ```
    """
    for s, value in enumerate(_multipliers(run) or []):
        if value <= 0:
            yield ctx.at(MULT + (s,), f"multiplier for stage {s} is {fmt_num(value)}; "
                                      "it must be positive")


@rule("HNL203", "lr-multiplier-extra", Severity.WARNING, "multipliers")
def extra(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """More `lr_multiplier` entries than stages.

    ## Why it matters
    Extra entries are ignored. A 1-stage config carrying three multipliers (seen in public
    configs) usually means it was copied from a 2-stage run and the values were never
    re-derived for this model.

    ## Example
    ```yaml
    # 1-stage model
    optimizer: {lr_multiplier: [3.0, 1.7, 0.9]}
    ```

    ## Use instead
    ```yaml
    optimizer: {lr_multiplier: [2.0, 1.0]}
    ```
    """
    mult = _multipliers(run)
    if mult is None or run.layout is None:
        return
    need = run.layout.width
    if len(mult) > need:
        yield ctx.at(MULT + (need,), f"{len(mult)} multipliers for {need} stages; entries "
                                     f"from index {need} on are ignored")


@rule("HNL204", "lr-multiplier-ratio", Severity.INFO, "multipliers",
      options={"max_ratio": number(3.0, lo=1.0)})
def ratio(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Largest over smallest multiplier above `max_ratio` (default 3.0).

    ## Why it matters
    A wide spread puts the outer stage's effective LR far above the inner one's. The
    motivating run used [3.0, 1.7, 0.9] (ratio 3.3): stage 0 trained at 9e-4. Whether that
    is too much depends on widths and batch; the paper-style formula (HNL207) gives a
    reference point, and the dry-run's LR probe measures it. Info, not a warning: on the
    dry-run's detection benchmark (`bench/results/detection-2026-12-04.md`, a 64-wide H-Net
    trained 1,000 steps) a spread of 4 ([4, 1]) at base LR 3e-3 gave the lowest held-out loss
    of all 31 configs, and as a predictor of "LR too high" the rule had precision 0.50 and
    recall 0.15.

    ## Example
    ```yaml
    optimizer: {lr_multiplier: [3.0, 1.7, 0.9]}
    ```

    ## Use instead
    ```yaml
    optimizer: {lr_multiplier: [2.0, 1.5, 1.0]}
    ```
    """
    mult = [m for m in (_multipliers(run) or [])[: _width(run)] if m > 0]
    if len(mult) < 2:
        return
    value = max(mult) / min(mult)
    if value > ctx.options["max_ratio"]:
        yield ctx.at(MULT, f"multiplier spread max/min = {fmt_num(max(mult))}/"
                           f"{fmt_num(min(mult))} = {value:.2f} exceeds "
                           f"{ctx.options['max_ratio']}", data={"ratio": round(value, 4)})


def _width(run: RunConfig) -> int | None:
    return run.layout.width if run.layout else None


@rule("HNL205", "lr-multiplier-increasing", Severity.WARNING, "multipliers")
def increasing(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Multipliers that grow from an outer stage to an inner one.

    ## Why it matters
    Outer stages are narrower and see more positions per batch, so both the 1/sqrt(width)
    and the sqrt(batch) heuristics behind H-Net's LR modulation give them the larger LR.
    An inner stage with a larger multiplier is usually a reversed list.

    ## Example
    ```yaml
    optimizer: {lr_multiplier: [1.0, 1.5, 2.0]}
    ```

    ## Use instead
    ```yaml
    optimizer: {lr_multiplier: [2.0, 1.5, 1.0]}
    ```
    """
    mult = (_multipliers(run) or [])[: _width(run)]
    for s in range(1, len(mult)):
        if mult[s] > mult[s - 1]:
            yield ctx.at(MULT + (s,), f"stage {s} multiplier {fmt_num(mult[s])} is larger than "
                                      f"stage {s - 1}'s {fmt_num(mult[s - 1])}; multipliers "
                                      "should not increase inwards (outermost first)")


@rule("HNL206", "stage-peak-lr-too-high", Severity.INFO, "multipliers",
      options={"reference_lr": positive(8e-4), "reference_width": integer(1024)})
def stage_peak_lr(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A stage's peak LR `lr * lr_multiplier[s]` above `reference_lr * sqrt(reference_width / d_model[s])`.

    ## Why it matters
    The LR a width tolerates falls roughly as 1/sqrt(width) (a heuristic, not a law). With
    the defaults, a 1024-wide stage is pointed at above 8e-4 and a 2048-wide stage above
    5.7e-4. The motivating run put stage 0 (1024 wide) at 3e-4 * 3.0 = 9e-4. This rule only
    says where to look, so it is **info**: measured against long runs it cries wolf. On the
    dry-run's detection benchmark (31 configs of a 64-wide H-Net, each trained 1,000 steps,
    `bench/results/detection-2026-12-04.md`) it fired on every case, including all that trained
    within 0.05 nats of their family's best; in the probe audit (14 LRs x 5 seeds) it fired on
    86% of the good settings, the best LR included; and it fires on the paper-style 6.25e-4 x
    2.0 at width 1024. The same benchmark puts the knee of that model near 10x the
    threshold, so no single `reference_lr` serves both 64- and 1024-wide stages (narrow models
    tolerate more under standard parameterisation). The dry-run's multi-seed probe (HNL807)
    measures the edge for the model at hand.

    ## Example
    ```yaml
    optimizer: {lr: 3.0e-4, lr_multiplier: [3.0, 1.7, 0.9]}   # d_model [1024, 1536, 2048]
    ```

    ## Use instead
    ```yaml
    optimizer: {lr: 2.0e-4, lr_multiplier: [2.0, 1.5, 1.0]}
    ```
    Or keep it and run `--dry-run`.
    """
    widths = stage_widths(run)
    mult = _multipliers(run)
    if widths is None or mult is None or run.optimizer.lr is None:
        return
    lr = run.optimizer.lr
    ref_lr, ref_w = ctx.options["reference_lr"], ctx.options["reference_width"]
    for s, width in enumerate(widths):
        if s >= len(mult) or width <= 0:
            continue
        peak, limit = lr * mult[s], ref_lr * math.sqrt(ref_w / width)
        if peak > limit:
            yield ctx.at(MULT + (s,),
                         f"stage {s} peak LR {fmt_num(lr)} x {fmt_num(mult[s])} = {fmt_num(peak)} "
                         f"exceeds {fmt_num(limit)} (= {fmt_num(ref_lr)} x sqrt({ref_w}/{width})); "
                         "check it with `--dry-run`",
                         data={"stage": s, "peak_lr": peak, "limit": limit})


def paper_multipliers(widths: list[int], ratios: list[float], n_gpt: float) -> list[float]:
    """lambda_s = sqrt(N_gpt * D_S / D_s / prod_{i<s} N_i), outermost first."""
    out, seen = [], 1.0
    for s, width in enumerate(widths):
        out.append(math.sqrt(n_gpt * widths[-1] / width / seen))
        if s < len(ratios):
            seen *= ratios[s]
    return out


@rule("HNL207", "lr-multiplier-paper-value", Severity.INFO, "multipliers",
      options={"n_gpt": positive(4.6)})
def paper_value(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """The paper-style multipliers for this model, printed beside the configured ones.

    ## Why it matters
    H-Net's LR modulation combines LR ~ 1/sqrt(width) with LR ~ sqrt(positions per batch):
    `lambda_s = sqrt(N_gpt * D_S / D_s / prod_{i<s} N_i)`, where `D` are the stage widths,
    `N_i` the target ratios and `N_gpt` the bytes per token of a BPE baseline (option
    `n_gpt`, default 4.6; the paper's exact value is not confirmed). For the 2-stage XL
    model with N = (3, 3) this gives about [3.03, 1.43, 0.715]. Whether the paper used
    target or realized ratios is unresolved, so this is information, not a verdict.

    ## Example
    ```yaml
    optimizer: {lr_multiplier: [3.0, 1.7, 0.9]}
    ```

    ## Use instead
    Keep your values if an LR sweep chose them; otherwise start from the formula's.
    """
    widths = stage_widths(run)
    mult = _multipliers(run)
    ratios = run.routing.target_ratio if run.routing else None
    if widths is None or mult is None or not ratios or len(widths) < 2:
        return
    if len(ratios) < len(widths) - 1 or any(n <= 0 for n in ratios):
        return
    if any(w <= 0 for w in widths):  # sqrt of a non-positive width: nothing to show
        return
    paper = paper_multipliers(widths, ratios, ctx.options["n_gpt"])
    shown = ", ".join(f"{v:.2f}" for v in paper)
    given = ", ".join(fmt_num(v) for v in mult[: len(widths)])
    yield ctx.at(MULT, f"paper-style multipliers for widths {widths} and N={list(ratios)} "
                       f"(N_gpt={ctx.options['n_gpt']}): [{shown}]; configured: [{given}]",
                 data={"paper": [round(v, 4) for v in paper]})
