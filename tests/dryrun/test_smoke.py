"""Phase 2 faults: bf16 storage freezes parameters; a NaN is localized to its module."""

from __future__ import annotations

import pytest
import torch

from hnet_lint.dryrun.build import DryRunOptions, build_setup, spec_from_run
from hnet_lint.dryrun.data import load_corpus
from hnet_lint.dryrun.smoke import run_smoke

from .conftest import codes, dry, load_run, write_config


def test_bf16_parameters_are_frozen(tmp_path) -> None:
    path = write_config(tmp_path, param_dtype="bfloat16", autocast="null")
    res = dry(path, phases=("build", "smoke"))
    frozen = [f for f in res.findings if f.code == "HNL803"]
    assert frozen, res.findings
    f = frozen[0]
    assert f.phase == "smoke" and f.evidence == "exact" and f.key == "training.param_dtype"
    assert f.span.line == 22  # the `param_dtype: bfloat16` line
    assert f.data["measured"] > 0.5 and f.data["threshold"] == 0.5
    assert "HNL802" not in codes(res)
    storage = [f for f in res.findings if f.code == "HNL812"]  # the storage itself, decided at build
    assert storage and storage[0].phase == "build" and storage[0].data["measured"] > 0


def test_fp32_smoke_is_clean(tmp_path) -> None:
    res = dry(write_config(tmp_path), phases=("build", "smoke"))
    assert codes(res, 1) == set(), res.findings  # nothing at warning or above
    assert res.info["scale"] == "proxy" and res.info["param_count"] > 0
    assert res.info["decayed_params"] > 0 and res.info["kernels"]


def test_nan_is_localized_to_the_module(tmp_path) -> None:
    run = load_run(write_config(tmp_path))
    setup = build_setup(spec_from_run(run), DryRunOptions(cpu_seq_len=64))
    target = setup.model.backbone.main_network.main_network.layers[0].mlp.fc1
    target.register_forward_hook(lambda mod, args, out: out * float("nan"))
    res = run_smoke(setup, load_corpus(), run, {}, steps=3, seed=0)
    nan = [f for f in res.findings if f.code == "HNL802"]
    assert len(nan) == 1 and nan[0].phase == "smoke"
    assert nan[0].data["module"] == "backbone.main_network.main_network.layers.0.mlp.fc1"
    assert "backbone.main_network.main_network.layers.0.mlp.fc1" in nan[0].message
    assert all(torch.isfinite(p).all() for p in setup.model.parameters())  # the step was not taken


def test_official_grouping_decays_A_log_in_build_phase(tmp_path) -> None:
    res = dry(write_config(tmp_path), phases=("build", "smoke"), param_groups="official")
    decay = [f for f in res.findings if f.code == "HNL806"]
    assert len(decay) == 1 and decay[0].phase == "build" and decay[0].key == "optimizer.weight_decay"
    assert decay[0].span.line == 11
    assert any(n.endswith("A_log") for n in decay[0].data["params"])
    assert any(n.endswith("dt_bias") for n in decay[0].data["params"])


def test_a_model_too_large_for_this_machine_is_refused_before_building(tmp_path, monkeypatch):
    """The CPU proxy keeps the vocabulary: vocab_size 2**24 asks for GiBs the machine lacks
    (here: 1 GiB, pretended). Allocating it would end in an out-of-memory kill with no
    report; the dry-run says HNL813 and builds nothing."""
    import json

    from hnet_lint.dryrun import build

    from .conftest import TINY_MODEL

    path = write_config(tmp_path)
    (tmp_path / "tiny.json").write_text(json.dumps({**TINY_MODEL, "vocab_size": 2**24}))
    monkeypatch.setattr(build, "available_bytes", lambda device: 2**30)
    monkeypatch.setattr(build, "build_model", lambda *a, **k: pytest.fail("built anyway"))
    res = dry(path, phases=("build", "smoke"))
    [oom] = [f for f in res.findings if f.code == "HNL813"]
    assert oom.phase == "build" and "nothing was built" in oom.message
    assert "1.0 GiB available" in oom.message
