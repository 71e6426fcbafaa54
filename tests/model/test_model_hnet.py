"""Whole-model behaviour: causality, packing, init scheme, optimizer tags, precision, backends."""

from __future__ import annotations

import math

import pytest
import torch

from hnet_lint.model.backends import apply_backends, select_backends
from hnet_lint.model.config import DEBUG_2STAGE, HNetConfig
from hnet_lint.model.hnet import HNetForCausalLM
from hnet_lint.model.training import group_params_corrected, group_params_official, ratio_loss


def tiny(seed: int = 0, dtype: torch.dtype = torch.float64, **over) -> HNetForCausalLM:
    torch.manual_seed(seed)
    model = HNetForCausalLM(HNetConfig.from_dict({**DEBUG_2STAGE, **over}))
    model.init_weights(0.02)
    with torch.no_grad():  # make routing non-trivial: perturb the identity q/k and residual_proj
        for name, p in model.named_parameters():
            if "proj_layer" in name or "residual_proj.weight" in name or "pad_dimension" in name:
                p.add_(0.2 * torch.randn_like(p))
    return model.to(dtype)


def test_causality_including_routing() -> None:
    model = tiny(0)
    x = torch.randint(0, 256, (1, 96))
    base = model(x)
    rates = [r.boundary_mask.float().mean().item() for r in base.routers]
    assert all(0.0 < r < 1.0 for r in rates), rates  # both stages really chunk
    for t in (1, 17, 50, 95):
        y = x.clone()
        y[0, t] = (y[0, t] + 101) % 256
        out = model(y)
        torch.testing.assert_close(out.logits[:, :t], base.logits[:, :t], rtol=0, atol=1e-12)
        assert not torch.allclose(out.logits[:, t:], base.logits[:, t:])
        for r_new, r_old in zip(out.routers[:1], base.routers[:1]):
            assert torch.equal(r_new.boundary_mask[:, :t], r_old.boundary_mask[:, :t])


def test_packed_padded_and_separate_agree() -> None:
    model = tiny(1)
    lengths = [50, 37, 64]
    docs = [torch.randint(0, 256, (n,)) for n in lengths]
    separate = [model(d[None]).logits[0] for d in docs]

    cu = torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()])
    packed = model(torch.cat(docs)[None], cu_seqlens=cu)
    L = max(lengths)
    ids = torch.zeros(3, L, dtype=torch.long)
    mask = torch.zeros(3, L, dtype=torch.bool)
    for i, d in enumerate(docs):
        ids[i, : len(d)], mask[i, : len(d)] = d, True
    padded = model(ids, mask=mask)
    # Left padding works too: padding is its own segment everywhere.
    left_ids, left_mask = torch.flip(ids, [1]), torch.flip(mask, [1])
    left_ids[left_mask] = torch.cat([d for d in docs])
    left = model(left_ids, mask=left_mask)

    for i, n in enumerate(lengths):
        lo = int(cu[i])
        torch.testing.assert_close(packed.logits[0, lo : lo + n], separate[i], rtol=0, atol=1e-10)
        torch.testing.assert_close(padded.logits[i, :n], separate[i], rtol=0, atol=1e-10)
        torch.testing.assert_close(left.logits[i, L - n :], separate[i], rtol=0, atol=1e-10)
        rp, rm = packed.routers[0], padded.routers[0]
        assert torch.equal(rp.boundary_mask[0, lo : lo + n], rm.boundary_mask[i, :n])
        torch.testing.assert_close(rp.boundary_prob[0, lo : lo + n], rm.boundary_prob[i, :n])
    assert not padded.routers[0].boundary_mask[~mask].any()
    # Every document start is a boundary with p = 1.
    assert packed.routers[0].boundary_prob[0, cu[:-1]].eq(1.0).all()


def test_init_scheme_statistics() -> None:
    torch.manual_seed(0)
    cfg = HNetConfig.from_dict(DEBUG_2STAGE)
    model = HNetForCausalLM(cfg)
    model.init_weights(0.02)
    # n_res: stage 0 = 1+1, stage 1 = 2 + 3+3, stage 2 = 8 + 2·2.
    n_res = {"backbone.encoder": 2, "backbone.decoder": 2, "backbone.main_network.encoder": 8,
             "backbone.main_network.decoder": 8, "backbone.main_network.main_network": 12}
    checked = 0
    for name, p in model.named_parameters():
        std = p.std().item() if p.numel() > 1 else None
        if name.startswith("lm_head"):
            assert std == pytest.approx(0.02, rel=0.1)
        elif name.startswith("embeddings"):
            assert std == pytest.approx(1.0, rel=0.1)
        elif "proj_layer" in name:
            assert torch.equal(p, torch.eye(p.shape[0]))
        elif name.endswith("residual_proj.weight") or "pad_dimension" in name:
            assert p.abs().max() == 0
        elif name.endswith(("norm1.weight", "norm2.weight", "rmsnorm.weight", "norm.weight", ".D")):
            assert p.eq(1).all()
        elif name.endswith("A_log"):
            assert (p.exp() >= 1).all() and (p.exp() <= 16).all()
        elif name.endswith("dt_bias"):
            dt = torch.nn.functional.softplus(p)
            assert (dt >= 1e-3 * 0.999).all() and (dt <= 0.1 * 1.001).all()
        elif name.endswith("proj.weight") or "fc" in name or "Wqkv" in name:
            prefix = next(k for k in sorted(n_res, key=len, reverse=True) if name.startswith(k))
            scale = n_res[prefix] ** -0.5 if ("out_proj" in name or "fc2" in name) else 1.0
            assert std == pytest.approx(0.02 * scale, rel=0.1), name
            checked += 1
    assert checked > 20


def test_lr_multiplier_tags_and_groups() -> None:
    model = HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE))
    with pytest.raises(AttributeError):
        group_params_official(model)
    model.apply_lr_multiplier([3.0, 1.7, 0.9])
    tags = {n: p._optim["lr_multiplier"] for n, p in model.named_parameters()}
    assert tags["embeddings.weight"] == tags["lm_head.weight"] == 3.0
    assert tags["backbone.routing_module.q_proj_layer.weight"] == 3.0
    assert tags["backbone.main_network.pad_dimension"] == 1.7
    assert tags["backbone.main_network.residual_proj.bias"] == 1.7
    assert tags["backbone.main_network.main_network.pad_dimension"] == 0.9
    assert tags["backbone.main_network.main_network.main_network.layers.0.mixer.Wqkv.weight"] == 0.9

    def decay_of(groups: list[dict]) -> dict[str, float | None]:
        return {n: g.get("weight_decay") for g in groups for n in g["names"]}

    official = decay_of(group_params_official(model, with_names=True))
    corrected = decay_of(group_params_corrected(model, weight_decay=0.1, with_names=True))
    gaps = [n for n in official if official[n] is None and corrected[n] == 0.0]
    # Upstream exempts only ".bias" and ".norm." names: these are decayed there, not here.
    for suffix in ("norm1.weight", "rmsnorm.weight", "mixer.dt_bias", "mixer.A_log", "mixer.D", "pad_dimension"):
        assert any(n.endswith(suffix) for n in gaps), suffix
    assert official["backbone.encoder.layers.0.mixer.norm.weight"] == 0.0
    assert official["backbone.residual_proj.bias"] == 0.0
    assert corrected["backbone.encoder.layers.0.mixer.in_proj.weight"] == 0.1
    groups = group_params_corrected(model, base_lr=1e-3)
    assert all(g["lr"] == pytest.approx(1e-3 * g["lr_multiplier"]) for g in groups)
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_ratio_loss_values_and_gradient() -> None:
    N = 3.0
    mask = torch.tensor([[True, False, False, True, False, False]])
    p = torch.full((1, 6), 1 / 3, requires_grad=True)
    loss = ratio_loss(mask, p, N)
    assert loss.item() == pytest.approx(1.0)  # F = 1/N gives exactly 1
    loss.backward()
    assert p.grad.abs().max() < 1e-7  # dL/dG = N(NF-1)/(N-1) = 0 at the target
    all_b = ratio_loss(torch.ones(1, 4, dtype=torch.bool), torch.ones(1, 4), N)
    assert all_b.item() == pytest.approx(N)  # F = G = 1 gives N
    F_, G = 0.5, 0.4
    expected = N / (N - 1) * ((N - 1) * F_ * G + (1 - F_) * (1 - G))
    got = ratio_loss(torch.tensor([[True, False]]), torch.tensor([[0.6, 0.2]]), N)
    assert got.item() == pytest.approx(expected)
    stacked = torch.stack([1 - torch.tensor([[0.6, 0.2]]), torch.tensor([[0.6, 0.2]])], dim=-1)
    assert ratio_loss(torch.tensor([[True, False]]), stacked, N).item() == pytest.approx(expected)
    with pytest.raises(ValueError):
        ratio_loss(mask, p, 1.0)


def test_mixed_precision_modes() -> None:
    x = torch.randint(0, 256, (2, 80))
    ref = tiny(2, torch.float32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = ref(x)
    assert torch.isfinite(out.logits).all()
    out.logits.float().logsumexp(-1).mean().backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in ref.parameters())

    torch.manual_seed(2)
    bf = HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE), dtype=torch.bfloat16)
    bf.init_weights()
    dtypes = {n: p.dtype for n, p in bf.named_parameters()}
    assert dtypes["backbone.residual_proj.weight"] == torch.float32
    assert dtypes["backbone.encoder.layers.0.mixer.D"] == torch.float32
    assert dtypes["backbone.encoder.layers.0.mixer.A_log"] == torch.bfloat16
    logits = bf(x).logits
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits).all()


def test_backend_report_on_cpu_is_reference() -> None:
    kernels, report = select_backends("cpu")
    assert kernels is None and report.untested == []
    assert {c.impl for c in report.choices} <= {"reference (pure torch)", "sdpa"}
    report = apply_backends(tiny(3), "cpu")
    assert "cpu" in report.format()
    # Asking for CUDA kernels without the packages (or a GPU) must fall back and say why.
    _, cuda_report = select_backends("cuda")
    for choice in cuda_report.choices:
        assert choice.reason
    assert set(cuda_report.untested) == {
        c.component for c in cuda_report.choices if c.impl not in ("reference (pure torch)", "sdpa")
    }


def test_tied_embeddings_init_keeps_std_one() -> None:
    torch.manual_seed(0)
    model = HNetForCausalLM(HNetConfig.from_dict({**DEBUG_2STAGE, "tie_embeddings": True}))
    model.init_weights()
    assert model.lm_head.weight is model.embeddings.weight
    assert model.lm_head.weight.std().item() == pytest.approx(1.0, rel=0.1)
    assert math.isfinite(model(torch.randint(0, 256, (1, 16))).logits.sum().item())


def test_layer_stats_for_dryrun_signals() -> None:
    from hnet_lint.model.hnet import layer_stats, set_collect_stats

    model = tiny(4, torch.float32)
    assert layer_stats(model) == {}
    set_collect_stats(model)
    model(torch.randint(0, 256, (2, 48)))
    stats = layer_stats(model)
    mamba = stats["backbone.encoder.layers.0.mixer"]
    assert 0 < mamba["dt_min"] <= mamba["dt_median"] <= mamba["dt_max"]
    assert -16 <= mamba["A_min"] <= mamba["A_max"] <= -1
    assert 0 < mamba["decay_min"] <= mamba["decay_max"] < 1
    attn = stats["backbone.main_network.encoder.layers.0.mixer"]
    assert attn["max_logit"] > 0
    set_collect_stats(model, False)
    assert layer_stats(model) == {}


@pytest.mark.parametrize(
    "layout, d_model",
    [(["T2"], [64]), (["m1", ["M1t1"], "m1"], [64, 64]), (["m1", ["T1"], "m1"], [64, 128])],
)
def test_other_depths_run_packed_and_padded(layout: list, d_model: list) -> None:
    cfg = {**DEBUG_2STAGE, "arch_layout": layout, "d_model": d_model, "d_intermediate": [128] * len(d_model)}
    model = tiny(5, **cfg)
    docs = [torch.randint(0, 256, (n,)) for n in (20, 33)]
    packed = model(torch.cat(docs)[None], cu_seqlens=torch.tensor([0, 20, 53]))
    assert len(packed.routers) == HNetConfig.from_dict(cfg).num_stages
    alone = model(docs[1][None]).logits
    torch.testing.assert_close(packed.logits[:, 20:], alone, rtol=0, atol=1e-10)


def test_shrinking_width_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-decreasing"):
        HNetForCausalLM(HNetConfig.from_dict({**DEBUG_2STAGE, "d_model": [128, 96, 128]}))
