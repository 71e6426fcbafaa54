"""Dynamic chunking targets and the ratio loss (codes HNL501-HNL506)."""

from __future__ import annotations

import math
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ..options import integer, number
from ...load.runconfig import RunConfig
from ._util import fmt_num

TARGET = ("routing", "target_ratio")
WEIGHT = ("routing", "ratio_loss_weight")


def _ratios(run: RunConfig) -> list[float] | None:
    return run.routing.target_ratio if run.routing else None


@rule("HNL501", "target-ratio-invalid", Severity.ERROR, "chunking")
def target_ratio_invalid(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A target downsampling ratio N of 1 or less.

    ## Why it matters
    The ratio loss is `N/(N-1) * ((N-1)*F*G + (1-F)*(1-G))`. At N = 1 it divides by zero
    (inf/nan, no exception); below 1 the prefactor is negative and the loss pushes the
    router the wrong way.

    ## Example
    ```yaml
    routing: {target_ratio: [1.0, 3.0]}
    ```

    ## Use instead
    ```yaml
    routing: {target_ratio: [3.0, 3.0]}
    ```
    """
    for s, n in enumerate(_ratios(run) or []):
        if n <= 1:
            yield ctx.at(TARGET + (s,), f"target ratio {fmt_num(n)} for stage {s} must be "
                                        "greater than 1 (the ratio loss divides by N-1)")


@rule("HNL502", "target-ratio-count", Severity.ERROR, "chunking")
def target_ratio_count(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A number of target ratios different from the number of chunking stages S.

    ## Why it matters
    There is one router, and so one ratio loss, per stage boundary: S of them, outermost
    first. A 1-stage model takes one N, a 2-stage model two.

    ## Example
    ```yaml
    # 2-stage model
    routing: {target_ratio: [6.0]}
    ```

    ## Use instead
    ```yaml
    routing: {target_ratio: [3.0, 3.0]}
    ```
    """
    ratios = _ratios(run)
    if ratios is None or run.layout is None:
        return
    s = run.layout.num_stages
    if len(ratios) != s:
        yield ctx.at(TARGET, f"{len(ratios)} target ratio{'s' if len(ratios) != 1 else ''} "
                             f"for {s} chunking stage{'s' if s != 1 else ''}; give one per stage "
                             "boundary, outermost first")


@rule("HNL503", "target-ratio-out-of-range", Severity.WARNING, "chunking",
      options={"min": number(1.5, lo=1.0, at_most="max"), "max": number(16.0, lo=1.0)})
def target_ratio_range(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A target ratio outside [`min`, `max`] (default [1.5, 16]).

    ## Why it matters
    Published H-Nets use N = 6 (one stage) or (3, 3) (two stages); ablations went up to 16.
    Near 1 a stage barely compresses and costs a full encoder; far above 16 each chunk
    spans several words.

    ## Example
    ```yaml
    routing: {target_ratio: [32.0]}
    ```

    ## Use instead
    ```yaml
    routing: {target_ratio: [6.0]}
    ```
    """
    lo, hi = ctx.options["min"], ctx.options["max"]
    for s, n in enumerate(_ratios(run) or []):
        if n > 1 and not lo <= n <= hi:
            yield ctx.at(TARGET + (s,), f"target ratio {fmt_num(n)} for stage {s} is outside "
                                        f"[{fmt_num(lo)}, {fmt_num(hi)}]")


@rule("HNL504", "ratio-loss-weight-missing", Severity.WARNING, "chunking")
def ratio_loss_missing(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """No ratio (load-balancing) loss for a model that chunks.

    ## Why it matters
    Without the ratio loss nothing holds the router near its target: boundary rates drift
    toward every byte (no compression) or almost none (everything merged).

    ## Example
    ```yaml
    routing: {target_ratio: [3.0, 3.0], ratio_loss_weight: 0}
    ```

    ## Use instead
    ```yaml
    routing: {target_ratio: [3.0, 3.0], ratio_loss_weight: 0.03}
    ```
    """
    if run.layout is None or run.layout.num_stages < 1 or run.dialect == "model":
        return
    weight = run.routing.ratio_loss_weight if run.routing else None
    if weight is None or weight <= 0:
        shown = "not set" if weight is None else fmt_num(weight)
        yield ctx.at(WEIGHT, f"ratio_loss_weight is {shown} for a model with "
                             f"{run.layout.num_stages} chunking stage(s); use e.g. 0.03")


@rule("HNL505", "ratio-loss-weight-out-of-range", Severity.WARNING, "chunking",
      options={"min": number(0.005, lo=0.0, at_most="max"), "max": number(0.1, lo=0.0)})
def ratio_loss_range(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A ratio-loss weight outside [`min`, `max`] (default [0.005, 0.1]).

    ## Why it matters
    0.03 is the common value. Much less lets the compression drift; much more makes the
    router hit its target at the expense of the language-modeling loss.

    ## Example
    ```yaml
    routing: {ratio_loss_weight: 0.5}
    ```

    ## Use instead
    ```yaml
    routing: {ratio_loss_weight: 0.03}
    ```
    """
    weight = run.routing.ratio_loss_weight if run.routing else None
    lo, hi = ctx.options["min"], ctx.options["max"]
    if weight is not None and weight > 0 and not lo <= weight <= hi:
        yield ctx.at(WEIGHT, f"ratio_loss_weight {fmt_num(weight)} is outside "
                             f"[{fmt_num(lo)}, {fmt_num(hi)}]")


@rule("HNL506", "innermost-sequence-too-short", Severity.WARNING, "chunking",
      options={"min_positions": integer(64)})
def innermost_too_short(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Innermost sequence `seq_len / prod(N)` below `min_positions` (default 64).

    ## Why it matters
    The main network sees about `seq_len / prod(N)` chunks per sequence. With too few, the
    stage that holds most of the parameters has almost no context to model.

    ## Example
    ```yaml
    routing: {target_ratio: [6.0, 6.0]}
    training: {seq_len: 2048}        # 57 chunks at the innermost stage
    ```

    ## Use instead
    ```yaml
    training: {seq_len: 8192}
    ```
    """
    ratios = _ratios(run)
    seq_len = run.training.seq_len if run.training else None
    if not ratios or seq_len is None or any(n <= 1 for n in ratios):
        return
    inner = seq_len / math.prod(ratios)
    if inner < ctx.options["min_positions"]:
        yield ctx.at(("training", "seq_len"),
                     f"the innermost stage sees about {seq_len}/{fmt_num(math.prod(ratios))} = "
                     f"{inner:.0f} positions per sequence (below {ctx.options['min_positions']})")
