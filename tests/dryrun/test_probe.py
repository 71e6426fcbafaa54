"""Phase 3 end to end, only where the margin is wide on every CPU; the decision rule itself is
tested on constructed numbers in test_decide.py.

Measured (tests' tiny model, 5 seeds, AVX2 and ``ATEN_CPU_CAPABILITY=default``): at base LR 3e-3
every seed's 1x-minus-0.5x gap is between -0.30 and -0.15 nats (60 or 100 probe steps), at 0.12
between +0.09 and +0.58; the decision's bands sit at most at -0.18 and at least at +0.11, against
a margin of 0.05 and a lower bound that must clear 0. A single-seed probe at 6e-2 (the old test)
was flagged in 2 of 5 seeds: that LR is within noise and is not asserted on.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from hnet_lint.cli import cli

from hnet_lint.dryrun.build import spec_from_run
from hnet_lint.dryrun.decide import plan_probe
from hnet_lint.dryrun.probe import ProbeResult, ProbeRun, judge
from hnet_lint.dryrun.train import StepStats

from .conftest import PROBE_STEPS, codes, dry, load_run, write_config


@pytest.fixture(scope="module")
def sane_cli(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sane")
    path = write_config(folder)
    out = folder / "report.json"
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, [str(path), "--dry-run", "--steps", str(PROBE_STEPS),
                                          "--smoke-steps", "4", "--report", str(out), "--format", "json",
                                          "--select", "HNL8"])
    finally:
        os.chdir(cwd)
    return result, json.loads(out.read_text())


def test_sane_config_passes_with_scope_statement(sane_cli) -> None:
    result, report = sane_cli
    res = report["results"][0]
    bad = [f for f in res["findings"] if f["severity"] in ("warning", "error")]
    assert bad == [], bad
    assert result.exit_code == 0, result.output
    assert "PASS: not grossly past the LR edge: over 3 seeds" in result.output
    assert "This does not say the LR is near-optimal" in result.output
    assert "loss spikes caused by particular data at particular weights cannot be ruled out" in result.output
    assert "effective peak LR per stage: s0=0.006, s1=0.003" in result.output
    summary = [f for f in res["findings"] if f["code"] == "HNL814"]
    assert summary and summary[0]["phase"] == "probe" and "margin" in summary[0]["data"]
    assert summary[0]["message"].startswith("PASS: not grossly past the LR edge")
    assert summary[0]["data"]["scale"] == "proxy" and summary[0]["data"]["proxy_widths"] == [64, 96]
    assert res["passed"] is True and res["probe"]["decision"]["outcome"] == "not past the knee"
    runs = res["probe"]["runs"]
    assert [(r["seed"], r["multiple"]) for r in runs] == [(0, 1.0), (0, 0.5), (1, 1.0), (1, 0.5), (2, 1.0), (2, 0.5)]
    assert all(len(r["loss"]) == PROBE_STEPS for r in runs)
    assert runs[0]["attn_max_logit"] and runs[0]["mamba"] and runs[0]["update_ratio"]
    assert len(runs[0]["boundary_rates"]) == PROBE_STEPS and all(0 <= r[0] <= 1 for r in runs[0]["boundary_rates"])
    stdout = json.loads(result.stdout)  # the lint JSON carries the dry-run findings too
    diags = stdout if isinstance(stdout, list) else stdout.get("diagnostics", [])
    assert any(d["code"] == "HNL814" and d["phase"] == "probe" for d in diags)


def test_lr_far_past_the_edge_is_flagged_over_seeds(tmp_path) -> None:
    res = dry(write_config(tmp_path, lr="0.12"), probe_steps=None)  # the default plan: 3 seeds x 100 steps
    knee = [f for f in res.findings if f.code == "HNL807"]
    assert knee, res.findings
    f = knee[0]
    assert f.phase == "probe" and f.evidence == "heuristic"
    assert f.key == "optimizer.lr_multiplier[0]"  # stage 0 carries the largest multiplier
    assert f.data["outcome"] == "past the knee" and f.data["seeds"] == 3 and f.data["lower"] > 0
    # Per-seed signs are not asserted: one seed's gap moves by ~0.07 nats between CPU kernels,
    # and the lowest measured seed gap here (+0.09) is within that; the 3-seed decision is not.
    assert len(f.data["gaps"]) == 3
    assert "gradient explosion" not in " ".join(x.message for x in res.findings)
    assert "HNL803" not in codes(res) and "HNL802" not in codes(res) and not res.passed


def test_lower_lr_control_passes_over_seeds(tmp_path) -> None:
    res = dry(write_config(tmp_path, lr="3.0e-3"), probe_steps=None)
    assert "HNL807" not in codes(res) and codes(res, 1) == set(), res.findings
    assert res.probe.decision.outcome == "not past the knee" and res.probe.decision.upper < 0
    assert res.passed


def _fake_run(multiple: float, rates: list[float]) -> ProbeRun:
    steps = [StepStats(t, 1.0, 3.0, 1.0, 1.0, [1.0, 1.0], False, [r], 0.0, 0.0) for t, r in enumerate(rates)]
    return ProbeRun(multiple, steps, planned=len(steps))


def test_boundary_rate_rule(tmp_path) -> None:
    """HNL810's rule on measured-shaped series (both runs must leave the band on the same side).

    Honest limit, measured on the tiny model: within 60 steps the router's rate swings between
    0.03 and 0.8 whatever the target (N in {1.5, 3, 8, 20, 50}, ratio-loss weight 0 to 0.3), and
    the ratio loss pulls it to 1/N within ~30 steps, so a mismatched target does not reliably show
    up as a drift in a short probe. The rule is therefore tested on constructed series here, and
    the probe is checked to record the rate per step.
    """
    run = load_run(write_config(tmp_path))
    spec = spec_from_run(run)
    collapse = [0.4] * 10 + [0.2] * 10 + [0.05] * 10 + [0.01] * 30
    res = ProbeResult(runs=[_fake_run(1.0, collapse), _fake_run(0.5, collapse)], warmup=30,
                      plan=plan_probe(60, 1, 0, (1.0, 0.5)))
    off = [f for f in judge(res, spec, run, {}) if f.code == "HNL810"]
    assert off and off[0].key == "routing.target_ratio[0]" and off[0].data["side"] == "low"
    assert off[0].span.line == 3
    noisy = ProbeResult(runs=[_fake_run(1.0, collapse), _fake_run(0.5, [0.3] * 60)], warmup=30)
    assert not [f for f in judge(noisy, spec, run, {}) if f.code == "HNL810"]
    sane = ProbeResult(runs=[_fake_run(1.0, [0.33] * 60), _fake_run(0.5, [0.3] * 60)], warmup=30)
    assert not [f for f in judge(sane, spec, run, {}) if f.code == "HNL810"]


def test_same_seed_same_report(tmp_path) -> None:
    path = write_config(tmp_path)
    a = dry(path, probe_steps=8, probe_seeds=2)
    b = dry(path, probe_steps=8, probe_seeds=2)
    assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]
    assert a.probe.to_dict() == b.probe.to_dict()
    assert [s.loss for s in a.smoke.steps] == [s.loss for s in b.smoke.steps]
    from hnet_lint.dryrun.verdict import write_report

    write_report([a], str(tmp_path / "r.html"))  # probe curves for 0.5x/1x as inline SVG
    assert "data:image/png;base64," in (tmp_path / "r.html").read_text()  # probe curves inline


def test_dry_run_curves_are_read_by_analyze(tmp_path) -> None:
    """The dry-run writes its curves in analyze's format: every line is read, the values are
    the ones measured, and the per-stage LRs follow base x multiplier x schedule."""
    from hnet_lint.analyze.readers import read_log
    from hnet_lint.dryrun.verdict import write_report

    path = write_config(tmp_path)
    res = dry(path, probe_steps=8, probe_seeds=1)
    write_report([res], str(tmp_path / "r.json"))
    smoke = tmp_path / "r.0-smoke.jsonl"
    half = tmp_path / "r.0-probe-0.5x.jsonl"
    assert smoke.is_file() and half.is_file() and (tmp_path / "r.0-probe-1x.jsonl").is_file()
    log = read_log(str(smoke))
    assert log.skipped == []
    assert log.get("loss").values == pytest.approx([s.loss for s in res.smoke.steps])
    peaks = res.info["peak_lrs"]
    last = res.probe.runs[1].steps[-1]
    group = read_log(str(half))
    lr0, lr1 = group.get("lr_group_0").values[-1], group.get("lr_group_1").values[-1]
    assert lr0 == pytest.approx(peaks[0] * 0.5 * last.lr_factor)
    assert lr1 / lr0 == pytest.approx(peaks[1] / peaks[0])
    assert group.get("compression_0").values[-1] == pytest.approx(last.boundary_rates[0])


def test_verdict_is_the_same_with_another_cpus_kernels(tmp_path) -> None:
    """``ATEN_CPU_CAPABILITY=default`` (the kernels of a CPU without AVX2/AVX-512) moves every
    gap like another seed; far from the edge the 3-seed outcome must not move."""
    import subprocess
    import sys

    from ..conftest import ROOT

    code = ("import sys, torch; torch.set_num_threads(1); sys.path.insert(0, 'tests')\n"
            "from pathlib import Path\nfrom dryrun.conftest import dry, write_config\n"
            "for lr in ('3.0e-3', '0.12'):\n"
            "    d = Path(sys.argv[1]) / lr; d.mkdir()\n"
            "    print(dry(write_config(d, lr=lr), probe_steps=None).probe.decision.outcome)\n")
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                         env=env, check=True)
    assert out.stdout.split("\n")[:2] == ["not past the knee", "past the knee"], out.stderr


def test_cli_probe_seeds_sets_the_number_of_pairs(tmp_path) -> None:
    path = write_config(tmp_path)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, [str(path), "--dry-run", "--steps", "8", "--probe-seeds", "2",
                                      "--smoke-steps", "2", "--report", str(out), "--select", "HNL8", "--no-cache",
                                      "--option", "HNL807.max_seeds=2"])  # a fixed plan: no pair added
    assert result.exit_code in (0, 1), result.output
    runs = json.loads(out.read_text())["results"][0]["probe"]["runs"]
    assert [(r["seed"], r["multiple"]) for r in runs] == [(0, 1.0), (0, 0.5), (1, 1.0), (1, 0.5)]
    assert "probe plan: 2 seeds x (1x, 0.5x) x 8 steps (4 warmup, 4 at peak)\n" in result.output


def test_sequential_plan_adds_whole_pairs_up_to_its_stated_cap(tmp_path) -> None:
    """How many pairs an 8-step probe adds depends on its noisy gaps, so only the plan's shape is
    asserted: the cap printed up front, whole consecutive pairs, and a stop that the decision explains."""
    path = write_config(tmp_path)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, [str(path), "--dry-run", "--steps", "8", "--probe-seeds", "2",
                                      "--smoke-steps", "2", "--report", str(out), "--select", "HNL8", "--no-cache",
                                      "--option", "HNL807.max_seeds=4"])
    assert result.exit_code in (0, 1), result.output
    assert "2 seeds x (1x, 0.5x) x 8 steps (4 warmup, 4 at peak); while the LR edge is undecided, one more " \
           "seed pair at a time up to 4 seeds (at most 8 runs)" in result.output
    probe = json.loads(out.read_text())["results"][0]["probe"]
    pairs = [(r["seed"], r["multiple"]) for r in probe["runs"]]
    n = len(pairs) // 2
    assert 2 <= n <= 4 and pairs == [(s, m) for s in range(n) for m in (1.0, 0.5)]
    dec = probe["decision"]
    assert len(dec["gaps"]) == n and dec["first"] == 2 and dec["cap"] == 4
    assert n == 4 or dec["outcome"] != "inconclusive"  # it stops early only when decided
