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
* **inconclusive** otherwise.

**Sequential plan.** The probe starts with ``--probe-seeds`` pairs (default 3) and, while the
decision is inconclusive, adds one pair (the next seed, 1x and 0.5x) and decides again, up to
``max_seeds`` pairs (HNL807 option, default 9). It stops at the first look that decides. Only
the gaps decide whether to go on, never the clock, so the plan is still a plan in steps: its
most expensive path (``max_seeds`` pairs) is known and printed before the first step, and the
same config takes the same path on every machine up to floating-point noise (under ``--nproc``
the losses are all-reduced, so every rank takes the same path).

**Error rates, stated.** Looking up to K = ``max_seeds - probe_seeds + 1`` times at the same
band inflates both errors. Each look is a one-sided test at level ``a = 1 - Phi(z)``: "past"
rejects "mean gap <= 0" and "not past" rejects "mean gap >= margin". By Bonferroni over the
looks, P(some look says "past" | true gap <= 0) <= K*a, and likewise for "not past" at a true
gap >= margin. The default z = 2.2 (a = 0.014) with 3 -> 9 seeds (K = 7) bounds each error by
0.097 for a known seed sd. The looks share their data, so the real rates are lower; simulated
with the shipped functions (the estimated, prior-shrunk se included; ``python -m
bench.detection.sequential --simulate``), false "past" at a true gap of 0 / false "not past" at
a true gap of ``margin`` are 0.075 / 0.074 at the audit's median seed sd 0.09, 0.124 / 0.131 at
sd 0.15 and 0.008 / 0.015 at sd 0.05, against 0.064 / 0.069, 0.121 / 0.129 and 0.010 / 0.011
for the fixed 3 seeds at z 1.64 shipped before: the errors stay where they were, and the
inconclusive rate at a true gap of 0.10 falls from 0.37 to 0.09 (at 0: 0.66 -> 0.45) for a
mean of 4.8 (6.9) seeds instead of 3. (z 1.64 at every look would raise both errors to 0.15.)
Between 0 and ``margin`` either answer is acceptable and no budget of 9 seeds resolves a gap
that sits there (telling 0 from 0.05 nats at sd 0.09 with 5% errors each way takes ~35 seeds):
such configs stay inconclusive at the cap, by design.

**Attention logits as a tie-breaker.** At the last look only (the cap reached, not a plan cut
by the clock), an inconclusive gap is called "past" when the seed median of the max
attention logit at the end of the 1x runs is at least ``attention_factor`` times HNL808's
level (default 3 x 100 = 300: over the audit's 70 probes a level of 300 had no false alarm, at
recall 0.63, where 100 had 3% and the largest logit of a good LR was 120; issue 17's "past" rested
on 101.7) *and* the mean gap itself is above the margin. A band whose own mean is below the
margin contradicts "past the knee", so no logit level turns it into one. The finding and the
summary then name both numbers: the gap and its band, and the logit median against 300.

The standard error shrinks the sample variance toward a prior sd (``prior_sd`` with
``prior_dof`` pseudo-observations; default 0.09 nats, the audit's median seed sd), because two
or three seeds can agree by luck and a sample sd of 0.01 would claim a certainty the
measurement does not have.

Only *complete* pairs count: both runs of a seed ran every planned step (a pair in which the
1x run went non-finite is reported by HNL802 instead, and no pair is added after it). A plan
that was cut short decides on the pairs it finished and says so.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Optional, Sequence

__all__ = ["ProbePlan", "EdgeDecision", "plan_probe", "tail_mean", "pair_gap", "decide_edge",
           "keep_going", "sequential_edge", "probe_warmup", "PAST", "NOT_PAST", "INCONCLUSIVE",
           "DEFAULT_MAX_SEEDS"]

PAST, NOT_PAST, INCONCLUSIVE = "past the knee", "not past the knee", "inconclusive"

DEFAULT_PROBE_STEPS = 100
DEFAULT_PROBE_SEEDS = 3
DEFAULT_MAX_SEEDS = 9  # HNL807's max_seeds default: the sequential plan's cap


def probe_warmup(steps: int) -> int:
    """max(40, 10% of the probe), but at most half the probe so some steps run at peak."""
    return max(1, min(max(40, steps // 10), steps // 2))


@dataclass(frozen=True)
class ProbePlan:
    """What the probe will run: a pure function of the config and the options, never of time.

    ``seeds`` always run; ``extra_seeds`` run one pair at a time, in order, only while the LR
    edge is undecided (:func:`keep_going`). ``max_seeds`` 0 (or <= len(seeds)) is a fixed plan."""

    steps: int
    warmup: int
    seeds: tuple[int, ...]
    multiples: tuple[float, ...]
    max_seeds: int = 0

    @property
    def cap(self) -> int:
        """Most pairs the plan can run."""
        return max(len(self.seeds), self.max_seeds)

    @property
    def extra_seeds(self) -> tuple[int, ...]:
        """Seeds a pair may be added for, in order (consecutive after the last fixed seed)."""
        last = self.seeds[-1] if self.seeds else 0
        return tuple(last + 1 + k for k in range(self.cap - len(self.seeds)))

    @property
    def runs(self) -> list[tuple[int, float]]:
        """The fixed part, (seed, multiple) in execution order: pair by pair, so a stop leaves whole pairs."""
        return [(s, m) for s in self.seeds for m in self.multiples
                if m in (1.0, 0.5) or s == self.seeds[0]]  # a margin run (2x) for the first seed only

    def pair_runs(self, seed: int) -> list[tuple[int, float]]:
        """An added seed's runs: its 1x and 0.5x pair only."""
        return [(seed, 1.0), (seed, 0.5)]

    @property
    def max_runs(self) -> int:
        """Runs on the most expensive path (every added pair taken)."""
        return len(self.runs) + 2 * len(self.extra_seeds)

    def describe(self) -> str:
        extra = [m for m in self.multiples if m not in (1.0, 0.5)]
        margin = f" + a {', '.join(f'{m:g}x' for m in extra)} margin run (seed {self.seeds[0]})" if extra else ""
        more = (f"; while the LR edge is undecided, one more seed pair at a time up to {self.cap} seeds "
                f"(at most {self.max_runs} runs)" if self.extra_seeds else "")
        return (f"{len(self.seeds)} seeds x (1x, 0.5x) x {self.steps} steps ({self.warmup} warmup, "
                f"{self.steps - self.warmup} at peak){margin}{more}")


def plan_probe(steps: Optional[int], seeds: int, first_seed: int, multiples: Sequence[float],
               max_seeds: Optional[int] = None) -> ProbePlan:
    """The probe plan from options alone (``steps`` None: the default 100; ``max_seeds`` None:
    HNL807's default cap, 9; a cap at or below ``seeds`` is a fixed plan)."""
    n = steps or DEFAULT_PROBE_STEPS
    mults = tuple(dict.fromkeys([1.0, 0.5, *multiples]))  # the pair always runs
    k = max(1, seeds)
    cap = DEFAULT_MAX_SEEDS if max_seeds is None else int(max_seeds)
    return ProbePlan(steps=n, warmup=probe_warmup(n), seeds=tuple(first_seed + i for i in range(k)),
                     multiples=mults, max_seeds=cap if cap > k else 0)


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
    error: bool = False  # past by more than the fail margin (mean - fail_z*se above it)
    by_attention: bool = False  # an inconclusive gap decided by the attention-logit level
    attn_median: Optional[float] = None
    attn_level: Optional[float] = None  # the level the median had to reach to break a tie
    final: bool = True  # the plan's last look (the cap reached): the tie-break may apply
    first: Optional[int] = None  # pairs at the first look (sequential plans)
    cap: Optional[int] = None  # most pairs the plan could run
    reasons: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.gaps)

    @property
    def added(self) -> int:
        """Pairs added by the sequential plan beyond the first look."""
        return max(0, self.n - self.first) if self.first is not None else 0

    def seeds_text(self) -> str:
        """"5 seeds (3 + 2 added while undecided, cap 9)" or "3 seeds"."""
        base = f"{self.n} seed{'s' if self.n != 1 else ''}"
        if self.cap is not None and self.first is not None and self.cap > self.first:
            base += (f" ({self.first} + {self.added} added while undecided, cap {self.cap})" if self.added
                     else f" (the first look; up to {self.cap} while undecided)")
        return base

    def summary(self) -> str:
        if self.mean is None:
            return f"LR edge {self.outcome}: no complete 1x/0.5x pair"
        text = (f"LR edge {self.outcome}: 1x minus 0.5x tail loss {self.mean:+.3f} +- {self.se:.3f} nats "
                f"(mean +- se over {self.seeds_text()}; "
                f"{self.z:g}-se band [{self.lower:+.3f}, {self.upper:+.3f}], margin {self.margin:g})")
        if self.by_attention:
            text += (f"; decided by the attention logits: the gap alone is inconclusive, its mean is above the "
                     f"margin, and the median max attention logit {self.attn_median:.0f} is at least "
                     f"{self.attn_level:g}")
        return text


def standard_error(gaps: Sequence[float], prior_sd: float, prior_dof: float) -> float:
    """se of the mean gap, the sample variance shrunk toward ``prior_sd**2`` (``prior_dof`` pseudo-dof)."""
    n = len(gaps)
    ss = sum((g - statistics.fmean(gaps)) ** 2 for g in gaps) if n > 1 else 0.0
    var = (ss + prior_dof * prior_sd ** 2) / ((n - 1) + prior_dof)
    return math.sqrt(var / n)


def decide_edge(gaps: Sequence[float], *, margin: float = 0.05, fail_margin: float = 0.10, z: float = 2.2,
                prior_sd: float = 0.09, prior_dof: float = 2.0, attn_levels: Sequence[float] = (),
                max_logit: Optional[float] = 100.0, attention_factor: float = 3.0,
                final: bool = True, fail_z: float = 1.64) -> EdgeDecision:
    """Three-way decision from per-seed gaps at one look (see the module docstring).

    The severity of a "past" (``error``: ``mean - fail_z*se`` above ``fail_margin``) is judged
    once, at the look that decided, so it keeps the one-look z 1.64 it had before the plan
    became sequential.

    ``final``: this is the plan's last look, so an inconclusive gap may be broken by the
    attention logits (median >= ``attention_factor * max_logit`` and mean gap > ``margin``);
    ``max_logit`` None switches the tie-break off."""
    gaps = [g for g in gaps if math.isfinite(g)]
    attn = statistics.median(attn_levels) if attn_levels else None
    level = attention_factor * max_logit if max_logit is not None else None
    if not gaps:
        return EdgeDecision(INCONCLUSIVE, [], None, None, None, None, margin, z, attn_median=attn,
                            attn_level=level, final=final, reasons=["no complete 1x/0.5x pair"])
    mean = statistics.fmean(gaps)
    se = standard_error(gaps, prior_sd, prior_dof)
    lower, upper = mean - z * se, mean + z * se
    dec = EdgeDecision(INCONCLUSIVE, list(gaps), mean, se, lower, upper, margin, z, attn_median=attn,
                       attn_level=level, final=final)
    if mean > margin and lower > 0:
        dec.outcome = PAST
        dec.error = mean - fail_z * se > fail_margin
    elif upper < margin:
        dec.outcome = NOT_PAST
    elif final and attn is not None and level is not None and attn >= level and mean > margin:
        dec.outcome, dec.by_attention = PAST, True
    return dec


def keep_going(dec: EdgeDecision, pairs_done: int, plan: ProbePlan) -> bool:
    """Add another seed pair? Only while the gap is inconclusive, every pair so far finished,
    and the cap is not reached: a function of the results alone."""
    return dec.outcome == INCONCLUSIVE and dec.mean is not None and dec.n == pairs_done < plan.cap


def sequential_edge(gaps: Sequence[float], *, first: int, cap: int, attn_levels: Sequence[float] = (),
                    **kw) -> EdgeDecision:
    """Replay the sequential plan on per-seed ``gaps`` in plan order (``attn_levels`` aligned with
    them): look at ``first`` pairs, then one more at a time while inconclusive, up to ``cap``.
    The decision at the look where it stopped; gaps beyond it are never read (offline benchmarks,
    tests). With fewer gaps than the stop needs, it decides on what there is, as a cut plan does."""
    cap = max(cap, first)
    n = min(first, len(gaps))
    while True:
        final = n >= cap
        dec = decide_edge(gaps[:n], attn_levels=attn_levels[:n], final=final, **kw)
        dec.first, dec.cap = first, cap
        if dec.outcome != INCONCLUSIVE or final or n >= len(gaps):
            return dec
        n += 1
