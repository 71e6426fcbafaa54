"""The LR-edge decision from paired probes, with its uncertainty (torch-free, pure functions).

Each probe *pair* trains the configured peak LR (1x) and a 0.5x control from the same init on
the same batches; its *gap* is the 1x run's mean loss over the tail of the hold minus the
control's. One pair is a coin flip near the edge: on the tests' tiny model the seed-to-seed
sd of the gap is 0.075-0.15 nats from base LR 1e-2 upward (docs/evidence.md §9), and a CPU with
other vector kernels moves it like another seed. So the probe runs several pairs with
different seeds (init and data order) and decides from the mean gap and its standard error:

* **past the knee** when the mean gap exceeds ``margin`` *and* its lower bound
  ``mean - z*se`` is above 0 (the 1x runs are reliably worse than their controls);
* **not past** when the upper bound ``mean + z*se`` is below ``margin``;
* **inconclusive** otherwise. When the gap is inconclusive, the max attention logit at the end
  of the 1x runs is supporting evidence: a seed median above ``max_logit`` (HNL808's level,
  AUROC 0.99 in the audit, architecture-dependent) decides "past", else it stays inconclusive.

The standard error shrinks the sample variance toward a prior sd (``prior_sd`` with
``prior_dof`` pseudo-observations; default 0.09 nats, the audit's median seed sd), because two
or three seeds can agree by luck and a sample sd of 0.01 would claim a certainty the
measurement does not have.

Only *complete* pairs count: both runs of a seed ran every planned step (a pair in which the
1x run went non-finite is reported by HNL802 instead). A plan that was cut short decides on
the pairs it finished and says so.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Optional, Sequence

__all__ = ["ProbePlan", "EdgeDecision", "plan_probe", "tail_mean", "pair_gap", "decide_edge",
           "probe_warmup", "PAST", "NOT_PAST", "INCONCLUSIVE"]

PAST, NOT_PAST, INCONCLUSIVE = "past the knee", "not past the knee", "inconclusive"

DEFAULT_PROBE_STEPS = 100
DEFAULT_PROBE_SEEDS = 3


def probe_warmup(steps: int) -> int:
    """max(40, 10% of the probe), but at most half the probe so some steps run at peak."""
    return max(1, min(max(40, steps // 10), steps // 2))


@dataclass(frozen=True)
class ProbePlan:
    """What the probe will run: a pure function of the config and the options, never of time."""

    steps: int
    warmup: int
    seeds: tuple[int, ...]
    multiples: tuple[float, ...]

    @property
    def runs(self) -> list[tuple[int, float]]:
        """(seed, multiple) in execution order: pair by pair, so a stop leaves whole pairs."""
        return [(s, m) for s in self.seeds for m in self.multiples
                if m in (1.0, 0.5) or s == self.seeds[0]]  # a margin run (2x) for the first seed only

    def describe(self) -> str:
        extra = [m for m in self.multiples if m not in (1.0, 0.5)]
        margin = f" + a {', '.join(f'{m:g}x' for m in extra)} margin run (seed {self.seeds[0]})" if extra else ""
        return (f"{len(self.seeds)} seeds x (1x, 0.5x) x {self.steps} steps ({self.warmup} warmup, "
                f"{self.steps - self.warmup} at peak){margin}")


def plan_probe(steps: Optional[int], seeds: int, first_seed: int, multiples: Sequence[float]) -> ProbePlan:
    """The probe plan from options alone (``steps`` None: the default 100)."""
    n = steps or DEFAULT_PROBE_STEPS
    mults = tuple(dict.fromkeys([1.0, 0.5, *multiples]))  # the pair always runs
    return ProbePlan(steps=n, warmup=probe_warmup(n), seeds=tuple(first_seed + k for k in range(max(1, seeds))),
                     multiples=mults)


def tail_mean(values: Sequence[float], fraction: float) -> float:
    k = max(2, int(round(len(values) * fraction)))
    return statistics.fmean(values[-k:])


def pair_gap(loss_1x: Sequence[float], loss_half: Sequence[float], fraction: float) -> float:
    """1x tail mean minus 0.5x tail mean, over the same steps (positive: the 1x LR trains worse)."""
    n = min(len(loss_1x), len(loss_half))
    return tail_mean(loss_1x[:n], fraction) - tail_mean(loss_half[:n], fraction)


@dataclass
class EdgeDecision:
    outcome: str  # PAST | NOT_PAST | INCONCLUSIVE
    gaps: list[float]
    mean: Optional[float]
    se: Optional[float]
    lower: Optional[float]
    upper: Optional[float]
    margin: float
    z: float
    error: bool = False  # past by more than the fail margin (lower bound above it)
    by_attention: bool = False  # an inconclusive gap decided by the attention-logit level
    attn_median: Optional[float] = None
    reasons: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.gaps)

    def summary(self) -> str:
        if self.mean is None:
            return f"LR edge {self.outcome}: no complete 1x/0.5x pair"
        return (f"LR edge {self.outcome}: 1x minus 0.5x tail loss {self.mean:+.3f} +- {self.se:.3f} nats "
                f"(mean +- se over {self.n} seed{'s' if self.n != 1 else ''}; "
                f"{self.z:g}-se band [{self.lower:+.3f}, {self.upper:+.3f}], margin {self.margin:g})")


def standard_error(gaps: Sequence[float], prior_sd: float, prior_dof: float) -> float:
    """se of the mean gap, the sample variance shrunk toward ``prior_sd**2`` (``prior_dof`` pseudo-dof)."""
    n = len(gaps)
    ss = sum((g - statistics.fmean(gaps)) ** 2 for g in gaps) if n > 1 else 0.0
    var = (ss + prior_dof * prior_sd ** 2) / ((n - 1) + prior_dof)
    return math.sqrt(var / n)


def decide_edge(gaps: Sequence[float], *, margin: float = 0.05, fail_margin: float = 0.10, z: float = 1.64,
                prior_sd: float = 0.09, prior_dof: float = 2.0, attn_levels: Sequence[float] = (),
                max_logit: Optional[float] = 100.0) -> EdgeDecision:
    """Three-way decision from per-seed gaps (see the module docstring)."""
    gaps = [g for g in gaps if math.isfinite(g)]
    attn = statistics.median(attn_levels) if attn_levels else None
    if not gaps:
        return EdgeDecision(INCONCLUSIVE, [], None, None, None, None, margin, z, attn_median=attn,
                            reasons=["no complete 1x/0.5x pair"])
    mean = statistics.fmean(gaps)
    se = standard_error(gaps, prior_sd, prior_dof)
    lower, upper = mean - z * se, mean + z * se
    dec = EdgeDecision(INCONCLUSIVE, list(gaps), mean, se, lower, upper, margin, z, attn_median=attn)
    if mean > margin and lower > 0:
        dec.outcome = PAST
        dec.error = lower > fail_margin
    elif upper < margin:
        dec.outcome = NOT_PAST
    elif attn is not None and max_logit is not None and attn > max_logit and mean > 0:
        dec.outcome, dec.by_attention = PAST, True
    return dec
