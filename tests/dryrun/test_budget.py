"""Time budget, checkpoint loading and the HTML report: the dry-run stops cleanly and says so."""

from __future__ import annotations

import torch

from hnet_lint.dryrun.build import DryRunOptions
from hnet_lint.dryrun.runner import plan_probe
from hnet_lint.dryrun.verdict import format_verdict, write_report

from .conftest import TINY_MODEL, dry, write_config


def test_planner_drops_the_margin_run_before_shortening() -> None:
    opts = DryRunOptions()
    assert plan_probe(opts, 0.1, 60.0)[:2] == (120, (1.0, 0.5, 2.0))
    steps, mults, note = plan_probe(opts, 0.4, 60.0)
    assert mults == (1.0, 0.5) and steps == 75 and "dropped" in note
    assert plan_probe(opts, 5.0, 60.0)[0] == 40  # never below 40; the deadline stops it cleanly
    assert plan_probe(DryRunOptions(probe_steps=7), 5.0, 1.0)[0] == 7  # explicit --steps is kept


def test_tiny_budget_stops_cleanly(tmp_path) -> None:
    res = dry(write_config(tmp_path), time_budget=1.0, smoke_steps=50, probe_steps=None)
    assert res.interrupted
    assert any(f.code == "HNL815" for f in res.findings) or res.probe is not None
    assert "interrupted" in format_verdict(res)
    out = tmp_path / "r.html"
    write_report([res], str(out))
    assert "dry-run verdict" in out.read_text()


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
