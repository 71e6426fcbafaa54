"""``hnet_lint.inspect`` on a team's own objects: the exact checks, without our trainer."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import hnet_lint
from hnet_lint.dryrun.build import make_optimizer, spec_from_run
from hnet_lint.model import HNetConfig, HNetForCausalLM
from hnet_lint.model.training import group_params_official

from .conftest import TINY_MODEL, load_run, write_config

MULTS = {"lr_multiplier": [2.0, 1.0]}


def _model() -> HNetForCausalLM:
    torch.manual_seed(0)
    model = HNetForCausalLM(HNetConfig.from_dict(TINY_MODEL))
    model.init_weights(0.02)
    model.apply_lr_multiplier(MULTS["lr_multiplier"])
    return model


def _step_fn(model, opt, zero_every: int = 1, accum: int = 2, sched=None, sched_per_micro: bool = False):
    g = torch.Generator().manual_seed(0)

    def step(i: int) -> None:
        for _ in range(accum):
            x = torch.randint(0, 256, (2, 33), generator=g)
            logits = model(x[:, :-1]).logits
            (F.cross_entropy(logits.reshape(-1, 256), x[:, 1:].reshape(-1)) / accum).backward()
            if sched is not None and sched_per_micro:
                sched.step()
        opt.step()
        if sched is not None and not sched_per_micro:
            sched.step()
        if i % zero_every == zero_every - 1:
            opt.zero_grad()
    return step


def _configured_scheduler(opt, spec):
    """A LambdaLR that follows the config's schedule (the groups start at peak x multiplier)."""
    from hnet_lint.dryrun.schedule import lr_factor

    return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: lr_factor(t, spec.schedule, spec.lr))


def test_plain_adamw_ignores_lr_multiplier() -> None:
    model = _model()
    opt = torch.optim.AdamW(group_params_official(model), lr=1e-3)  # the upstream trap
    res = hnet_lint.inspect(model, opt, config=MULTS)
    bad = [f for f in res.findings if f.code == "HNL804"]
    assert bad and bad[0].data["stage"] == 1 and bad[0].key == "optimizer.lr_multiplier[1]"
    assert bad[0].data["measured"] == 1e-3 and bad[0].data["threshold"] == 5e-4


def test_decay_on_A_log_and_dt_bias() -> None:
    model = _model()
    opt = torch.optim.AdamW(group_params_official(model), lr=1e-3, weight_decay=0.1)
    res = hnet_lint.inspect(model, opt, config=MULTS)
    decay = [f for f in res.findings if f.code == "HNL806"]
    assert len(decay) == 1 and decay[0].key == "optimizer.weight_decay"
    names = decay[0].data["params"]
    assert any(n.endswith("mixer.A_log") for n in names) and any(n.endswith("mixer.dt_bias") for n in names)
    assert any(n.endswith("norm1.weight") for n in names)


def test_gradients_accumulated_across_cycles() -> None:
    model = _model()
    groups = group_params_official(model)
    for g in groups:
        g["lr"] = 1e-3 * g["lr_multiplier"]
    opt = torch.optim.AdamW(groups, lr=1e-3, weight_decay=0.0)
    res = hnet_lint.inspect(model, opt, config=MULTS, step_fn=_step_fn(model, opt, zero_every=3), steps=3)
    dirty = [f for f in res.findings if f.code == "HNL805"]
    assert dirty and dirty[0].data["step"] == 1 and dirty[0].phase == "smoke"
    assert "HNL804" not in res.codes()


def test_correct_setup_passes_and_anchors_to_the_file(tmp_path) -> None:
    path = write_config(tmp_path)
    run = load_run(path)
    spec = spec_from_run(run)
    model = _model()
    opt, decayed = make_optimizer(model, spec)
    sched = _configured_scheduler(opt, spec)
    res = hnet_lint.inspect(model, opt, config=str(path), step_fn=_step_fn(model, opt, sched=sched), steps=2)
    assert res.findings == [] and res.ok, res.format()
    assert len(res.lr_log) == 2 and res.unchanged and all(u["fraction"] < 0.5 for u in res.unchanged)
    assert not any(n.endswith(("A_log", "dt_bias", ".D", "norm1.weight")) for n in decayed)
    # The same trap, but anchored to the run config's key.
    model2 = _model()
    opt2 = torch.optim.AdamW(group_params_official(model2), lr=1e-3)
    bad = [f for f in hnet_lint.inspect(model2, opt2, config=str(path)).findings if f.code == "HNL804"]
    assert bad and bad[0].span.file.endswith("run.yaml") and bad[0].span.line == 8 and bad[0].span.column == 24  # `1.0` of [2.0, 1.0]


def test_bf16_parameters_flagged_and_frozen() -> None:
    model = _model().to(torch.bfloat16)
    groups = group_params_official(model)
    for g in groups:
        g["lr"] = 3e-4 * g["lr_multiplier"]
    opt = torch.optim.AdamW(groups, lr=3e-4, weight_decay=0.0)
    res = hnet_lint.inspect(model, opt, config=MULTS, step_fn=_step_fn(model, opt), steps=3)
    assert "HNL812" in res.codes() and "HNL803" in res.codes()
    frozen = [f for f in res.findings if f.code == "HNL803"]
    assert all(f.data["measured"] > 0.5 for f in frozen)
    assert any("norm" in w for f in frozen for w in f.data["worst"])


def test_one_group_for_all_stages_is_multipliers_not_applied() -> None:
    """A plain AdamW over model.parameters(): one group, one LR, multipliers [2, 1] cannot apply."""
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    bad = [f for f in hnet_lint.inspect(model, opt, config=MULTS).findings if f.code == "HNL804"]
    assert len(bad) == 1 and bad[0].data["mode"] == "mixed-group" and bad[0].data["stages"] == [0, 1]
    assert bad[0].data["flat"] == []  # not a wrapper's flat parameter: the group itself mixes stages
    # equal multipliers: one group is fine
    assert "HNL804" not in hnet_lint.inspect(model, opt, config={"lr_multiplier": [1.0, 1.0]}).codes()


def test_names_seen_through_wrappers() -> None:
    from dataclasses import replace

    from hnet_lint.diagnostics import Severity, Span, Diagnostic
    from hnet_lint.dryrun.distributed import original_name
    from hnet_lint.observe.checks import merge_findings as merge_rank_findings

    assert original_name("module.backbone.main_network.layers.0.mixer.A_log") == \
        "backbone.main_network.layers.0.mixer.A_log"
    assert original_name("_fsdp_wrapped_module.backbone._fsdp_wrapped_module._flat_param") == "backbone._flat_param"
    assert original_name("_orig_mod.lm_head.weight") == "lm_head.weight"
    d = Diagnostic(Span.start_of("<inspect>"), "HNL803", Severity.ERROR, "90% frozen", path=("training",))
    same = merge_rank_findings([[d], [d], []])  # the same fact from two ranks: said once
    assert len(same) == 1 and same[0].message == "90% frozen" and same[0].data["ranks"] == [0, 1]
    merged = merge_rank_findings([[d], [replace(d, message="88% frozen")], []])  # two facts: both kept
    assert [f.message for f in merged] == ["90% frozen", "rank 1: 88% frozen"]
    only_1 = merge_rank_findings([[], [d]])
    assert only_1[0].message == "rank 1: 90% frozen"


def test_scheduler_stepped_per_micro_batch_is_off_the_configured_schedule(tmp_path) -> None:
    """The held-out user loop: a LambdaLR stepped after every micro-batch with accumulation 4.
    The ratios between groups stay right, so only the schedule check (HNL824) and the
    scheduler count (HNL820) can see it."""
    path = write_config(tmp_path)
    spec = spec_from_run(load_run(path))
    model = _model()
    opt, _ = make_optimizer(model, spec)
    sched = _configured_scheduler(opt, spec)
    res = hnet_lint.inspect(model, opt, config=str(path), steps=6,
                            step_fn=_step_fn(model, opt, accum=4, sched=sched, sched_per_micro=True))
    assert "HNL804" not in res.codes()
    off = [f for f in res.findings if f.code == "HNL824"]
    assert off and off[0].span.file.endswith("run.yaml")
    counted = [f for f in res.findings if f.code == "HNL820"][0]
    assert counted.data["measured"] == 4 and "test_inspect.py:" in counted.message
