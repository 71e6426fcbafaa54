"""``hnet_lint.inspect`` inside a user's torchrun job on DDP-, FSDP2- and FSDP1-wrapped models."""

from __future__ import annotations

import json

import pytest

from .conftest import torchrun

pytestmark = pytest.mark.distributed

SCENARIOS = ["ddp", "ddp-bf16-storage", "single-bf16-storage", "ddp-nan-rank1", "ddp-clip-in-loop", "ddp-rank-seed", "ddp-ratio-per-rank", "ddp-lr-scaled", "ddp-no-sync-throughout",
             "fsdp2-bf16-policy",
             "fsdp2-bf16-storage", "fsdp2-grads-not-zeroed", "fsdp1-flat"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("inspect") / "out.json"
    proc = torchrun(["inspect_job.py", str(out), *SCENARIOS])
    assert proc.returncode == 0 and out.exists(), proc.stderr[-4000:]
    data = json.loads(out.read_text())
    broken = {k: v["trace"] for k, v in data.items() if "error" in v}
    assert not broken, broken
    return data


def _codes(result: dict, min_severity: str = "info") -> set[str]:
    order = ["info", "warning", "error"]
    return {f["code"] for f in result["findings"] if order.index(f["severity"]) >= order.index(min_severity)}


def _one(result: dict, code: str) -> dict:
    found = [f for f in result["findings"] if f["code"] == code]
    assert len(found) == 1, result["findings"]  # reported once, not once per rank
    return found[0]


def test_sane_ddp_passes_and_states_the_setup(results) -> None:
    r = results["ddp"]
    assert r["engine"] == "ddp" and r["world_size"] == 2 and r["steps"] == 2
    assert _codes(r, "warning") == set(), r["findings"]
    summary = _one(r, "HNL819")["data"]
    assert summary["world_size"] == 2 and summary["peak_lrs"] == [2e-3, 1e-3]
    assert "compared bit for bit after init and after 2 steps" in summary["rank_agreement"]
    assert summary["ratio_loss"].startswith("averaged")


def test_rank_with_another_init_seed_is_caught(results) -> None:
    f = _one(results["ddp-rank-seed"], "HNL817")
    assert f["severity"] == "error" and f["data"]["when"].startswith("after init")
    assert "embeddings.weight" in f["data"]["params"]  # original names: DDP's module. stripped


def test_ratio_loss_computed_per_rank_is_caught(results) -> None:
    f = _one(results["ddp-ratio-per-rank"], "HNL818")
    assert len(f["data"]["values"]) == 2 and f["data"]["values"][0] != f["data"]["values"][1]
    assert "HNL818" not in _codes(results["ddp"])


def test_fsdp2_bf16_compute_over_fp32_shards_passes(results) -> None:
    r = results["fsdp2-bf16-policy"]
    assert r["engine"] == "fsdp2"
    assert _codes(r, "warning") == set(), r["findings"]


def test_bf16_storage_under_fsdp2_is_caught(results) -> None:
    r = results["fsdp2-bf16-storage"]
    assert r["engine"] == "fsdp2"
    assert {"HNL812", "HNL803"} <= _codes(r)
    assert any(n.endswith("norm1.weight") or "norm" in n for n in _one(r, "HNL812")["data"]["params"])


def test_fsdp1_flattening_is_caught_as_multipliers_not_applied(results) -> None:
    r = results["fsdp1-flat"]
    assert r["engine"] == "fsdp1-flat"
    f = _one(r, "HNL804")
    assert f["data"]["mode"] == "mixed-group" and f["data"]["stages"] == [0, 1]
    assert f["data"]["flat"] and f["data"]["flat"][0].endswith("_flat_param")
    # decay exemptions collapse too: judged by the original names and shapes inside the flat tensor
    assert any(n.endswith("mixer.A_log") for n in _one(r, "HNL806")["data"]["params"])


def test_lr_scaled_by_world_size_is_stated(results) -> None:
    r = results["ddp-lr-scaled"]
    assert _codes(r, "warning") == set()  # the ratios still match the multipliers
    summary = _one(r, "HNL819")
    assert summary["data"]["observed_over_configured"] == pytest.approx(2.0)
    assert "scaled by the world size 2" in summary["message"]
    assert "scaled by the world size" not in _one(results["ddp"], "HNL819")["message"]


def test_grads_not_zeroed_caught_under_fsdp2(results) -> None:
    """FSDP2 writes .grad itself (parameter hooks never fire): the output-gradient hook sees it."""
    f = _one(results["fsdp2-grads-not-zeroed"], "HNL805")
    assert f["data"]["step"] == 1
    assert "HNL805" not in _codes(results["fsdp2-bf16-policy"])


def test_step_on_unsynced_gradients_is_caught(results) -> None:
    """Accumulation under no_sync that never leaves it: the step sees this rank's gradients only."""
    f = _one(results["ddp-no-sync-throughout"], "HNL817")
    assert f["data"]["when"] == "at optimizer step 0" and "no_sync" in f["message"]
    assert "HNL817" not in _codes(results["ddp"])


def test_clipping_before_the_all_reduce_is_caught(results) -> None:
    """no_sync accumulation with clip_grad_norm_ after every micro-batch: the first clip sees
    each rank's partial gradients. The step itself sees synced gradients, so only the clip
    watch can tell; the sane scenario clips once after the last backward and passes."""
    f = _one(results["ddp-clip-in-loop"], "HNL817")
    assert f["data"]["when"] == "at clip_grad_norm_ before optimizer step 0"
    assert "clipped before DDP's all-reduce" in f["message"]
    assert "HNL817" not in _codes(results["ddp"])
    summary = _one(results["ddp"], "HNL819")
    assert summary["data"]["clipping"] == "2 clip_grad_norm_ call(s) compared across ranks"


def test_merging_ranks_keeps_every_fact(results) -> None:
    """Issue 17.2: several optimizer groups over the HNL803 limit are as many findings in one
    process and under DDP (the ranks' observations are merged before judging: one per group,
    not one per code, not one per rank)."""
    single = [f for f in results["single-bf16-storage"]["findings"] if f["code"] == "HNL803"]
    ddp = [f for f in results["ddp-bf16-storage"]["findings"] if f["code"] == "HNL803"]
    assert len(single) >= 2
    assert sorted(f["data"]["group"] for f in ddp) == sorted(f["data"]["group"] for f in single)


def test_nan_on_one_rank_is_named_and_raises_no_false_alarm(results) -> None:
    """Issue 17.3: all-NaN gradients are identical, a NaN ratio loss is not "per rank"."""
    r = results["ddp-nan-rank1"]
    codes = _codes(r)
    assert "HNL802" in codes and "HNL817" not in codes and "HNL818" not in codes, r["findings"]
    nan = [f for f in r["findings"] if f["code"] == "HNL802"][0]
    assert nan["data"]["loss_ranks"] == [1] and nan["data"]["loss_step"] == 1
    assert "on rank 1 of 2" in nan["message"]
