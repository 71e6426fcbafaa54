"""The LR-edge decision on constructed gaps and runs: the same answer on every CPU, by construction.

End-to-end probes are noisy near the edge (seed sd of one pair's gap 0.075-0.15 nats on the
tiny model, docs/evidence.md §9), so the three-way rule, the standard error, the complete-pair rule
and the plan are tested here on numbers, and end to end only far from the edge (test_probe.py).
"""

from __future__ import annotations

import math

import pytest

from hnet_lint.dryrun.build import spec_from_run
from hnet_lint.dryrun.decide import (INCONCLUSIVE, NOT_PAST, PAST, decide_edge, pair_gap, plan_probe,
                                     standard_error)
from hnet_lint.dryrun.probe import ProbeResult, ProbeRun, judge
from hnet_lint.dryrun.train import StepStats

from .conftest import load_run, write_config


def test_clear_gaps_decide_and_straddling_gaps_do_not() -> None:
    assert decide_edge([0.34, 0.13, 0.06, 0.25, 0.20]).outcome == PAST  # audit, base LR 3e-2
    assert decide_edge([-0.23, -0.18, -0.23, -0.22, -0.23]).outcome == NOT_PAST  # audit, 3e-3
    # audit 6e-2: one seed says +0.22, three say ~0: within noise, and no attention evidence given
    mid = decide_edge([0.024, 0.219, 0.086, -0.022, -0.026], attn_levels=[])
    assert mid.outcome == INCONCLUSIVE and mid.lower < 0 < mid.margin < mid.upper
    # one pair alone is never enough to call +0.08 past the knee, nor -0.01 safe
    assert decide_edge([0.08]).outcome == INCONCLUSIVE
    assert decide_edge([-0.01]).outcome == INCONCLUSIVE


def test_mean_above_margin_but_lower_bound_below_zero_is_inconclusive() -> None:
    dec = decide_edge([0.40, -0.20, 0.10])  # mean 0.10, wide spread
    assert dec.mean == pytest.approx(0.10) and dec.lower < 0
    assert dec.outcome == INCONCLUSIVE


def test_error_needs_the_lower_bound_past_the_fail_margin() -> None:
    assert decide_edge([0.45, 0.40, 0.42]).error
    soft = decide_edge([0.15, 0.12, 0.14])
    assert soft.outcome == PAST and not soft.error


def test_attention_level_breaks_a_tie_only() -> None:
    gaps = [0.024, 0.219, 0.086, -0.022, -0.026]
    assert decide_edge(gaps, attn_levels=[490, 300, 700, 200, 150]).outcome == PAST
    assert decide_edge(gaps, attn_levels=[490, 300, 700, 200, 150]).by_attention
    assert decide_edge(gaps, attn_levels=[50, 40, 60, 30, 20]).outcome == INCONCLUSIVE
    assert decide_edge(gaps, attn_levels=[490] * 5, max_logit=None).outcome == INCONCLUSIVE  # switched off
    clear = [-0.23, -0.18, -0.23]
    assert decide_edge(clear, attn_levels=[900] * 3).outcome == NOT_PAST  # never overrides a clear gap


def test_standard_error_is_shrunk_toward_the_prior() -> None:
    agree = [0.100, 0.101, 0.099]  # three seeds that agree by luck
    se = standard_error(agree, prior_sd=0.09, prior_dof=2)
    assert se > 0.09 / math.sqrt(3) * 0.6  # not the 0.0006 the sample alone would claim
    many = [0.1 + 0.01 * ((-1) ** k) for k in range(50)]
    assert standard_error(many, 0.09, 2) < 0.005  # the prior fades with many seeds
    assert decide_edge([]).outcome == INCONCLUSIVE and decide_edge([]).mean is None
    assert decide_edge([float("nan")]).outcome == INCONCLUSIVE


def test_pair_gap_compares_the_same_steps() -> None:
    assert pair_gap([3.0] * 8 + [2.0] * 2, [3.0] * 8 + [1.5] * 2, 0.2) == pytest.approx(0.5)
    # a longer 1x run is cut to the control's length before the tails are taken
    assert pair_gap([1.0] * 10 + [9.0] * 5, [1.0] * 10, 0.2) == pytest.approx(0.0)


def test_plan_is_a_function_of_the_options_only() -> None:
    plan = plan_probe(None, 3, 7, (1.0, 0.5))
    assert (plan.steps, plan.warmup, plan.seeds) == (100, 40, (7, 8, 9))
    assert plan.runs == [(7, 1.0), (7, 0.5), (8, 1.0), (8, 0.5), (9, 1.0), (9, 0.5)]
    with_margin = plan_probe(60, 2, 0, (1.0, 0.5, 2.0))
    assert with_margin.warmup == 30 and with_margin.runs == [(0, 1.0), (0, 0.5), (0, 2.0), (1, 1.0), (1, 0.5)]
    assert plan_probe(60, 2, 0, (2.0,)).multiples[:2] == (1.0, 0.5)  # the pair always runs


def _run(multiple: float, seed: int, losses: list[float], planned: int, attn: float = 10.0) -> ProbeRun:
    steps = [StepStats(t, 1.0, x, 1.0, 1.0, [1.0, 1.0], False, [0.33], 0.0, 0.0) for t, x in enumerate(losses)]
    return ProbeRun(multiple, steps, attn_logits={"layer": [(len(losses) - 1, attn)]}, seed=seed, planned=planned)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    run = load_run(write_config(tmp_path_factory.mktemp("decide")))
    return run, spec_from_run(run)


def _result(pairs: list[tuple[list[float], list[float]]], planned: int = 40) -> ProbeResult:
    res = ProbeResult(warmup=20, plan=plan_probe(planned, len(pairs), 0, (1.0, 0.5)))
    for seed, (a, b) in enumerate(pairs):
        res.runs += [_run(1.0, seed, a, planned), _run(0.5, seed, b, planned)]
    return res


def test_judge_flags_a_reliable_gap_at_the_anchor_stage(tiny) -> None:
    run, spec = tiny
    res = _result([([3.0] * 40, [2.7] * 40), ([3.1] * 40, [2.8] * 40), ([2.9] * 40, [2.65] * 40)])
    found = {f.code: f for f in judge(res, spec, run, {})}
    f = found["HNL807"]
    assert f.key == "optimizer.lr_multiplier[0]" and f.data["seeds"] == 3 and f.data["outcome"] == PAST
    assert "+- " in f.message and "3 seeds" in f.message
    assert "HNL816" not in found and found["HNL814"].data["outcome"] == PAST


def test_rising_loss_with_a_falling_control_is_no_longer_a_finding(tiny) -> None:
    """The old 'rises while the control falls' sub-rule was at chance (AUROC 0.47) and caused
    every low-LR false alarm; a 1x run better than its control is not past the knee."""
    run, spec = tiny
    rising = [2.0] * 30 + [2.00 + 0.01 * k for k in range(10)]
    falling = [2.3] * 30 + [2.30 - 0.01 * k for k in range(10)]
    res = _result([(rising, falling)] * 3)
    codes = {f.code for f in judge(res, spec, run, {})}
    assert "HNL807" not in codes and res.decision.outcome == NOT_PAST


def test_only_complete_pairs_are_compared(tiny) -> None:
    run, spec = tiny
    res = _result([([3.0] * 40, [2.7] * 40)])  # one complete pair, worse by 0.3
    res.plan = plan_probe(40, 3, 0, (1.0, 0.5))
    res.runs += [_run(1.0, 1, [9.0] * 40, 40), _run(0.5, 1, [1.0] * 12, 40)]  # cut control: ignored
    res.interrupted = True
    found = {f.code: f for f in judge(res, spec, run, {})}
    assert res.decision.n == 1 and res.decision.gaps == [pytest.approx(0.3)]
    assert res.complete_pairs()[0][0].seed == 0
    assert res.not_run() == ["seed 1 at 0.5x", "seed 2 at 1x", "seed 2 at 0.5x"]
    f = found.get("HNL807") or found.get("HNL816")
    assert "2 of 3 planned pairs did not finish" in f.message


def test_no_complete_pair_is_inconclusive_not_a_pass(tiny) -> None:
    run, spec = tiny
    res = ProbeResult(warmup=20, plan=plan_probe(40, 2, 0, (1.0, 0.5)))
    res.runs = [_run(1.0, 0, [3.0] * 40, 40), _run(0.5, 0, [2.0] * 5, 40)]
    found = {f.code: f for f in judge(res, spec, run, {})}
    assert res.decision.outcome == INCONCLUSIVE and "HNL807" not in found
    assert "no complete 1x/0.5x pair" in found["HNL816"].message
