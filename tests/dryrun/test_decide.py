"""The LR-edge decision on constructed gaps and runs: the same answer on every CPU, by construction.

End-to-end probes are noisy near the edge (seed sd of one pair's gap 0.075-0.15 nats on the
tiny model, docs/evidence.md §9), so the three-way rule, the standard error, the complete-pair rule
and the plan are tested here on numbers, and end to end only far from the edge (test_probe.py).
"""

from __future__ import annotations

import math

import pytest

from hnet_lint.dryrun.build import spec_from_run
from hnet_lint.dryrun.decide import (INCONCLUSIVE, NOT_PAST, PAST, decide_edge, keep_going, pair_gap,
                                     plan_probe, sequential_edge, standard_error)
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


def test_attention_level_breaks_a_tie_only_when_clearly_past_and_the_gap_agrees() -> None:
    gaps = [0.024, 0.219, 0.086, -0.022, -0.026]  # audit 6e-2: mean +0.056, band straddles the margin
    hot = decide_edge(gaps, attn_levels=[490, 300, 700, 200, 150])  # median 300 = 3 x HNL808's 100
    assert hot.outcome == PAST and hot.by_attention and hot.attn_level == 300
    assert "decided by the attention logits" in hot.summary() and "300" in hot.summary()
    assert decide_edge(gaps, attn_levels=[490, 299, 700, 200, 150]).outcome == INCONCLUSIVE  # just short of 3x
    assert decide_edge(gaps, attn_levels=[490] * 5, attention_factor=5).outcome == INCONCLUSIVE
    assert decide_edge(gaps, attn_levels=[50, 40, 60, 30, 20]).outcome == INCONCLUSIVE
    assert decide_edge(gaps, attn_levels=[490] * 5, max_logit=None).outcome == INCONCLUSIVE  # switched off
    assert decide_edge(gaps, attn_levels=[490] * 5, final=False).outcome == INCONCLUSIVE  # not the last look
    clear = [-0.23, -0.18, -0.23]
    assert decide_edge(clear, attn_levels=[900] * 3).outcome == NOT_PAST  # never overrides a clear gap


def test_issue17_hairs_breadth_logit_no_longer_decides() -> None:
    """Issue 17 item 8: +0.044 +- 0.048 over 3 seeds (band [-0.035, +0.123]) with the logit median at
    101.7 was called "past". The mean is below the margin: no logit level may turn that into "past"."""
    gaps = [0.044 - 0.08, 0.044, 0.044 + 0.08]  # mean +0.044, sample sd 0.08
    for attn in ([101.7] * 3, [5000.0] * 3):
        dec = decide_edge(gaps, z=1.64, attn_levels=attn)
        assert dec.mean == pytest.approx(0.044) and dec.lower < 0 < dec.margin < dec.upper
        assert dec.outcome == INCONCLUSIVE and not dec.by_attention


def test_plan_states_its_most_expensive_path_up_front() -> None:
    plan = plan_probe(None, 3, 7, (1.0, 0.5))  # default cap 9
    assert plan.seeds == (7, 8, 9) and plan.extra_seeds == (10, 11, 12, 13, 14, 15)
    assert plan.cap == 9 and plan.max_runs == 18 and plan.pair_runs(10) == [(10, 1.0), (10, 0.5)]
    assert "up to 9 seeds (at most 18 runs)" in plan.describe()
    with_margin = plan_probe(60, 3, 0, (1.0, 0.5, 2.0), max_seeds=5)
    assert with_margin.max_runs == 7 + 4 and "at most 11 runs" in with_margin.describe()
    fixed = plan_probe(60, 3, 0, (1.0, 0.5), max_seeds=3)
    assert fixed.extra_seeds == () and fixed.max_runs == 6 and "up to" not in fixed.describe()
    assert plan_probe(60, 12, 0, (1.0, 0.5)).extra_seeds == ()  # more seeds asked than the cap: fixed 12


def test_sequential_stops_at_the_first_look_that_decides() -> None:
    nan = float("nan")  # a gap the replay must never read: it would drop out and change n
    clear = sequential_edge([0.30, 0.25, 0.35, nan, nan], first=3, cap=9)
    assert clear.outcome == PAST and clear.n == 3 and clear.added == 0
    # a zero gap: at z 2.2 the band reaches past the margin until the 6th seed narrows it
    gaps = [0.01, -0.01, 0.00, 0.00, 0.00, 0.00, nan, nan]
    dec = sequential_edge(gaps, first=3, cap=9)
    assert [decide_edge(gaps[:k]).outcome for k in (3, 4, 5)] == [INCONCLUSIVE] * 3
    assert dec.outcome == NOT_PAST and dec.n == 6 and dec.added == 3 and not dec.final
    assert "6 seeds (3 + 3 added while undecided, cap 9)" in dec.summary()


def test_sequential_never_decided_stops_at_the_cap() -> None:
    gaps = [0.10, -0.05, 0.08, -0.02, 0.09, -0.04, 0.07, 0.00, 0.06, 5.0]  # mean ~0.03, never resolved
    dec = sequential_edge(gaps, first=3, cap=9)
    assert dec.outcome == INCONCLUSIVE and dec.n == 9 and dec.final and dec.gaps[-1] == 0.06
    # at the cap (the last look) the logits may break the tie, but only with a mean above the margin
    assert sequential_edge(gaps, first=3, cap=9, attn_levels=[900] * 10).outcome == INCONCLUSIVE
    hot = [0.30, -0.15, 0.10, -0.10, 0.25, -0.12, 0.20, -0.05, 0.12]  # mean +0.061, sd 0.17
    assert sequential_edge(hot, first=3, cap=9).outcome == INCONCLUSIVE
    tie = sequential_edge(hot, first=3, cap=9, attn_levels=[400] * 9)
    assert tie.outcome == PAST and tie.by_attention and tie.n == 9
    # fewer recorded gaps than the stop needs (a cut plan): decided on what there is, not final
    short = sequential_edge(gaps[:5], first=3, cap=9)
    assert short.n == 5 and not short.final


def test_keep_going_reads_only_the_results() -> None:
    plan = plan_probe(60, 3, 0, (1.0, 0.5))
    undecided = decide_edge([0.10, -0.05, 0.08])
    assert undecided.outcome == INCONCLUSIVE
    assert keep_going(undecided, 3, plan)
    assert not keep_going(undecided, 4, plan)  # a pair did not finish: stop, decide on what finished
    assert not keep_going(decide_edge([0.10, -0.05, 0.08] * 3), 9, plan)  # the cap
    assert not keep_going(decide_edge([0.3, 0.3, 0.3]), 3, plan)  # decided
    assert not keep_going(decide_edge([]), 0, plan)  # nothing finished


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


def _attn_run(seed: int, series: list[float], steps: int = 40, loss: float = 3.0) -> ProbeRun:
    run = _run(1.0, seed, [loss] * steps, steps)
    every = steps // len(series)
    run.attn_logits = {"backbone.main_network.layers.0.mixer": [(k * every, v) for k, v in enumerate(series)]}
    return run


def _with_attn(series: list[list[float]]) -> ProbeResult:
    res = ProbeResult(warmup=20, plan=plan_probe(40, len(series), 0, (1.0, 0.5), max_seeds=len(series)))
    for seed, sr in enumerate(series):
        res.runs += [_attn_run(seed, sr), _run(0.5, seed, [3.0] * 40, 40)]
    return res


def test_hnl808_fires_on_a_saturated_level_without_a_rising_trend(tiny) -> None:
    """Issue 17: at 6e-2 and 0.12 the logits sat at 615-1665 and had stopped growing, and the old
    "above 100 and still rising" rule said nothing."""
    run, spec = tiny
    flat = [[900, 1600, 1600, 1590, 1580, 1570, 1560, 1550]] * 3  # saturated: falling slightly at the end
    found = {f.code: f for f in judge(_with_attn(flat), spec, run, {})}
    f = found["HNL808"]
    assert f.data["measured"] == 1550 and f.data["rising"] == 0 and f.key == "optimizer.lr_multiplier[1]"
    assert "median 1550 over 3 seeds" in f.message and "no longer rising" in f.message
    rising = [[10, 20, 40, 60, 80, 100, 120, 140]] * 3
    f = {f.code: f for f in judge(_with_attn(rising), spec, run, {})}["HNL808"]
    assert "still rising over the last 25% of the probe in 3 of 3 seeds" in f.message
    # the seed median decides: one hot seed of three is not a finding; two are
    assert "HNL808" not in {f.code for f in judge(_with_attn([[900] * 8, [40] * 8, [50] * 8]), spec, run, {})}
    assert "HNL808" in {f.code for f in judge(_with_attn([[900] * 8, [140] * 8, [50] * 8]), spec, run, {})}
    assert "HNL808" not in {f.code for f in judge(_with_attn([[60] * 8] * 3), spec, run, {})}


def test_judge_names_the_seeds_the_sequential_plan_added(tiny) -> None:
    run, spec = tiny
    res = ProbeResult(warmup=20, plan=plan_probe(40, 3, 0, (1.0, 0.5)))  # cap 9
    gaps = [0.10, -0.05, 0.08, -0.02, 0.09]  # undecided at every look so far
    for seed, g in enumerate(gaps):
        res.runs += [_run(1.0, seed, [3.0 + g] * 40, 40), _run(0.5, seed, [3.0] * 40, 40)]
    res.runs += [_run(1.0, 5, [3.0] * 40, 40)]  # the 6th pair's 1x finished; the clock stopped its control
    res.interrupted = True
    found = {f.code: f for f in judge(res, spec, run, {})}
    f = found["HNL816"]
    assert res.decision.n == 5 and not res.decision.final  # cut by the clock: no tie-break, not the cap
    assert "5 seeds (3 + 2 added while undecided, cap 9); 1 of 6 planned pairs did not finish" in f.message
    assert f.data["seeds_first"] == 3 and f.data["seeds_cap"] == 9 and f.data["pairs_planned"] == 6
    assert res.not_run() == ["seed 5 at 0.5x"]
    assert ProbeResult.from_dict(res.to_dict()).plan == res.plan
    assert ProbeResult.from_dict(res.to_dict()).decision.cap == 9
