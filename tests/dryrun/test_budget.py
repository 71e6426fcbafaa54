"""Time budget, checkpoint loading and the HTML report: the dry-run stops cleanly and says so."""

from __future__ import annotations

import torch

from hnet_lint.dryrun.build import DryRunOptions
from hnet_lint.diagnostics import Severity
from hnet_lint.dryrun.verdict import format_verdict, write_report

from .conftest import TINY_MODEL, dry, write_config


def test_plan_does_not_depend_on_the_clock() -> None:
    from hnet_lint.dryrun.runner import probe_plan

    assert probe_plan(DryRunOptions(), 0) == probe_plan(DryRunOptions(time_budget=5.0), 0)
    plan = probe_plan(DryRunOptions(probe_seeds=5, probe_steps=120), 3)
    assert plan.seeds == (3, 4, 5, 6, 7) and plan.steps == 120 and plan.warmup == 40


def test_run_stopped_in_the_smoke_phase_is_inconclusive_never_a_pass(tmp_path) -> None:
    res = dry(write_config(tmp_path), time_budget=1e-9, smoke_steps=50, probe_steps=None)
    assert res.interrupted and not res.passed
    stop = [f for f in res.findings if f.code == "HNL815"]
    assert stop and stop[0].severity == Severity.WARNING
    assert "inconclusive" in stop[0].message and "not run: smoke steps 1-50" in stop[0].message
    assert "the whole probe (3 seeds x (1x, 0.5x) x 100 steps" in stop[0].message
    text = format_verdict(res)
    assert "PASS" not in text and "WARN (inconclusive" in text
    out = tmp_path / "r.html"
    write_report([res], str(out))
    html = out.read_text()
    assert 'class="verdict warn"' in html and "WARN (inconclusive: stopped before the plan completed)" in html


def test_cli_exit_code_is_1_when_the_budget_cuts_the_run(tmp_path) -> None:
    from click.testing import CliRunner

    from hnet_lint.cli import cli

    path = write_config(tmp_path)
    result = CliRunner().invoke(cli, [str(path), "--dry-run", "--time-budget", "0.000001", "--select", "HNL8",
                                      "--no-cache"])
    assert result.exit_code == 1, result.output
    assert "PASS" not in result.output and "HNL815" in result.output


def test_run_stopped_in_the_probe_decides_on_complete_pairs_only(tmp_path, monkeypatch) -> None:
    """Ctrl-C (or the safety stop) in seed 1's control: seed 0's pair is judged, the rest named."""
    import hnet_lint.dryrun.probe as probe

    real, calls = probe.train_step, {"n": 0}

    def step(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2 * 20 + 20 + 5:  # seed 0 at 1x and 0.5x (20 each), seed 1 at 1x, 5 steps of its control
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(probe, "train_step", step)
    res = dry(write_config(tmp_path), probe_steps=20, probe_seeds=3)
    assert res.interrupted and not res.passed
    assert [(r.seed, r.multiple, r.complete) for r in res.probe.runs] == [
        (0, 1.0, True), (0, 0.5, True), (1, 1.0, True), (1, 0.5, False)]
    assert res.probe.decision.n == 1
    stop = [f for f in res.findings if f.code == "HNL815"][0]
    assert stop.severity == Severity.WARNING and stop.phase == "probe"
    assert "not run: seed 1 at 0.5x, seed 2 at 1x, seed 2 at 0.5x" in stop.message
    assert not any(f.message.startswith("PASS") for f in res.findings)


def test_from_checkpoint_full_scale(tmp_path) -> None:
    from hnet_lint.model import HNetConfig, HNetForCausalLM

    model = HNetForCausalLM(HNetConfig.from_dict(TINY_MODEL))
    ckpt = tmp_path / "w.pt"
    torch.save({"model": model.state_dict()}, ckpt)
    res = dry(write_config(tmp_path), proxy=False, checkpoint=str(ckpt), phases=("build",))
    assert res.info["scale"] == "full"
    assert any("weights loaded from" in n and "0 missing" in n for n in res.info["notes"])


def test_ctrl_c_stops_cleanly_with_what_was_measured(tmp_path) -> None:
    from hnet_lint.dryrun.build import build_setup, spec_from_run
    from hnet_lint.dryrun.data import load_corpus
    from hnet_lint.dryrun.smoke import run_smoke

    from .conftest import load_run

    run = load_run(write_config(tmp_path))
    setup = build_setup(spec_from_run(run), DryRunOptions(cpu_seq_len=64))
    calls = {"n": 0}

    def interrupt(mod, args, out):
        calls["n"] += 1
        if calls["n"] == 5:  # third optimizer step, first micro-batch (2 micro-batches per step)
            raise KeyboardInterrupt
    setup.model.lm_head.register_forward_hook(interrupt)
    res = run_smoke(setup, load_corpus(), run, {}, steps=10, seed=0)
    assert res.interrupted and len(res.steps) == 2
