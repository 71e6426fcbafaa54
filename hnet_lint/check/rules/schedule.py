"""Warmup, schedule shape and gradient clipping (codes HNL301-HNL308)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ..options import fraction, positive
from ...load.runconfig import RunConfig
from ._util import fmt_num

SCHED = "schedule"


def warmup_steps(run: RunConfig) -> tuple[float | None, tuple]:
    """Warmup in steps and the canonical path that set it (steps win over ratio)."""
    sched = run.schedule
    if sched is None:
        return None, (SCHED,)
    if sched.warmup_steps is not None:
        return float(sched.warmup_steps), (SCHED, "warmup_steps")
    if sched.warmup_ratio is not None and sched.total_steps:
        return sched.warmup_ratio * sched.total_steps, (SCHED, "warmup_ratio")
    return None, (SCHED,)


@rule("HNL301", "warmup-too-short", Severity.WARNING, "schedule",
      options={"min_fraction": fraction(0.05)})
def warmup_too_short(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Warmup shorter than `min_fraction` of the run (default 5%) or than `2/(1-beta2)` steps.

    ## Why it matters
    Warmup bounds the size of the early updates while Adam's second-moment estimate is
    still young; `2/(1-beta2)` steps (40 for beta2 = 0.95) is the horizon over which that
    estimate averages. Longer warmup also raises the peak LR a model tolerates (Wortsman et
    al. 2023; Kalra & Barkeshli 2024). The motivating run warmed up for 2% of its steps.
    This is a heuristic: a short warmup is not by itself the cause of a failed run.

    ## Example
    ```yaml
    schedule: {warmup_steps: 2000, total_steps: 100000}
    ```

    ## Use instead
    ```yaml
    schedule: {warmup_steps: 5000, total_steps: 100000}
    ```
    """
    warm, path = warmup_steps(run)
    sched = run.schedule
    if warm is None or sched is None or not sched.total_steps or sched.total_steps <= 0:
        return
    if warm >= sched.total_steps:
        return  # HNL302
    fraction = warm / sched.total_steps
    beta2 = run.optimizer.betas[1] if run.optimizer and run.optimizer.betas else None
    adam_floor = 2 / (1 - beta2) if beta2 is not None and beta2 < 1 else 0.0
    reasons = []
    if fraction < ctx.options["min_fraction"]:
        reasons.append(f"{fraction:.1%} of {sched.total_steps} steps (below "
                       f"{ctx.options['min_fraction']:.0%})")
    if warm < adam_floor:
        reasons.append(f"fewer than 2/(1-beta2) = {adam_floor:.0f} steps")
    if reasons:
        yield ctx.at(path, f"warmup of {warm:.0f} steps is " + " and ".join(reasons),
                     data={"warmup_steps": warm, "fraction": fraction})


@rule("HNL302", "warmup-exceeds-total", Severity.ERROR, "schedule")
def warmup_exceeds_total(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Warmup at least as long as the whole run.

    ## Why it matters
    The LR never reaches its peak and no decay happens; usually a unit mix-up (micro-steps
    against optimizer steps, or tokens against steps).

    ## Example
    ```yaml
    schedule: {warmup_steps: 100000, total_steps: 50000}
    ```

    ## Use instead
    ```yaml
    schedule: {warmup_steps: 2500, total_steps: 50000}
    ```
    """
    warm, path = warmup_steps(run)
    total = run.schedule.total_steps if run.schedule else None
    if warm is not None and total and total > 0 and warm >= total:
        yield ctx.at(path, f"warmup of {warm:.0f} steps is not shorter than total_steps {total}")


@rule("HNL303", "total-steps-nonpositive", Severity.ERROR, "schedule")
def total_steps_nonpositive(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`total_steps` of zero or less.

    ## Why it matters
    The schedule divides by the run length; zero steps trains nothing.

    ## Example
    ```yaml
    schedule: {total_steps: 0}
    ```

    ## Use instead
    ```yaml
    schedule: {total_steps: 100000}
    ```
    """
    total = run.schedule.total_steps if run.schedule else None
    if total is not None and total <= 0:
        yield ctx.at((SCHED, "total_steps"), f"total_steps is {total}; it must be positive")


@rule("HNL304", "wsd-fractions-invalid", Severity.ERROR, "schedule")
def wsd_fractions(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Warmup, stable and decay fractions of a WSD schedule that do not add up to 1.

    ## Why it matters
    Warmup-stable-decay splits the run into three phases. If the fractions sum to more than
    1 the decay never finishes; to less than 1, the run ends before or after the schedule
    was designed to, depending on the trainer.

    ## Example
    ```yaml
    schedule: {name: wsd, warmup_ratio: 0.1, stable_ratio: 0.8, decay_ratio: 0.2}
    ```

    ## Use instead
    ```yaml
    schedule: {name: wsd, warmup_ratio: 0.1, stable_ratio: 0.7, decay_ratio: 0.2}
    ```
    """
    sched = run.schedule
    if sched is None or sched.name != "wsd":
        return
    warm, _ = warmup_steps(run)
    if sched.decay_ratio is None or warm is None or not sched.total_steps:
        return
    warm_frac = warm / sched.total_steps
    if sched.stable_ratio is not None:
        total = warm_frac + sched.stable_ratio + sched.decay_ratio
        if abs(total - 1) > 1e-6:
            yield ctx.at((SCHED, "decay_ratio"),
                         f"warmup {warm_frac:.3g} + stable {sched.stable_ratio:.3g} + decay "
                         f"{sched.decay_ratio:.3g} = {total:.3g}; the fractions must sum to 1")
    elif warm_frac + sched.decay_ratio > 1 + 1e-6:
        yield ctx.at((SCHED, "decay_ratio"),
                     f"warmup {warm_frac:.3g} + decay {sched.decay_ratio:.3g} exceeds 1")


@rule("HNL305", "min-lr-above-lr", Severity.ERROR, "schedule")
def min_lr_above_lr(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`min_lr` larger than the peak `lr`.

    ## Why it matters
    The decay phase then raises the LR instead of lowering it.

    ## Example
    ```yaml
    optimizer: {lr: 2.0e-4}
    schedule: {min_lr: 1.0e-3}
    ```

    ## Use instead
    ```yaml
    schedule: {min_lr: 1.0e-5}
    ```
    """
    lr = run.optimizer.lr if run.optimizer else None
    min_lr = run.schedule.min_lr if run.schedule else None
    if lr is not None and min_lr is not None and min_lr > lr:
        yield ctx.at((SCHED, "min_lr"), f"min_lr {fmt_num(min_lr)} is above the peak lr "
                                        f"{fmt_num(lr)}")


@rule("HNL306", "no-gradient-clipping", Severity.WARNING, "clipping")
def no_clipping(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Gradient clipping disabled (absent, null, 0 or NaN).

    ## Why it matters
    A single bad batch can then move the weights arbitrarily far. Every public H-Net
    recipe clips at 1.0. Clipping is cheap insurance, not a cure for a too-high LR.

    ## Example
    ```yaml
    training: {grad_clip: 0}
    ```

    ## Use instead
    ```yaml
    training: {grad_clip: 1.0}
    ```
    """
    training = run.training
    if training is None or run.dialect == "model":
        return
    clip = training.grad_clip
    if clip is None and _written_but_invalid(run, ("training", "grad_clip")):
        return  # HNL007 already reports the value; it is not "not set"
    if clip is None and run.dialect == "flat" and \
            not run.sources.locate(("training", "grad_clip")).written:
        return  # a flat file's trainer decides (required there: HNL008; unknown: no default)
    if clip is not None and clip != clip:
        yield ctx.at(("training", "grad_clip"),
                     "grad_clip is NaN, not a threshold: clip_grad_norm_ with a NaN threshold "
                     "turns every gradient into NaN, and a trainer that clips only when the "
                     "threshold is > 0 never clips; set grad_clip, e.g. 1.0")
        return
    if clip is None or clip <= 0:
        written = run.sources.locate(("training", "grad_clip")).written
        shown = f"{fmt_num(clip)}" if clip is not None else "null" if written else "not set"
        yield ctx.at(("training", "grad_clip"), f"gradient clipping is disabled ({shown}); "
                                                "set grad_clip, e.g. 1.0")


@rule("HNL307", "clip-rarely-triggers", Severity.INFO, "clipping",
      options={"max_clip": positive(10.0)})
def clip_high(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A clipping threshold above `max_clip` (default 10), which rarely triggers.

    ## Why it matters
    Early pre-clip norms of a healthy run are around 1 to 2 and fall below 1 later, so a
    threshold of 10 only acts on extreme steps. That may be intended; say so with a
    suppression comment.

    ## Example
    ```yaml
    training: {grad_clip: 50.0}
    ```

    ## Use instead
    ```yaml
    training: {grad_clip: 1.0}
    ```
    """
    clip = run.training.grad_clip if run.training else None
    if clip is not None and clip == float("inf"):
        yield ctx.at(("training", "grad_clip"), "grad_clip inf never triggers: clipping is off")
    elif clip is not None and clip > ctx.options["max_clip"]:
        yield ctx.at(("training", "grad_clip"),
                     f"grad_clip {fmt_num(clip)} is above {ctx.options['max_clip']} and will "
                     "rarely trigger")


@rule("HNL308", "warmup-set-twice", Severity.WARNING, "schedule")
def warmup_set_twice(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Both `warmup_steps` and `warmup_ratio` set.

    ## Why it matters
    Trainers pick one and silently ignore the other, and they do not agree on which.
    hnet-lint uses `warmup_steps`.

    ## Example
    ```yaml
    schedule: {warmup_steps: 2000, warmup_ratio: 0.1}
    ```

    ## Use instead
    ```yaml
    schedule: {warmup_ratio: 0.1}
    ```
    """
    sched = run.schedule
    if sched and sched.warmup_steps is not None and sched.warmup_ratio is not None:
        yield ctx.at((SCHED, "warmup_ratio"), "both warmup_steps and warmup_ratio are set; "
                                              "keep one (warmup_steps is used here)")


def _written_but_invalid(run: RunConfig, path: tuple) -> bool:
    """True when ``path`` has a non-null value in the file that validation dropped."""
    where = run.sources.locate(path)
    node = where.doc.node_at(where.path) if where.written else None
    return node is not None and node.to_python() is not None
