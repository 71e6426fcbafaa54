"""``hnet-lint watch -- torchrun ...``: every rank watched, compared without collectives, stopped together."""

from __future__ import annotations

import pytest

from hnet_lint.diagnostics import Severity

from .conftest import torchrun

pytestmark = pytest.mark.distributed


def test_ddp_sane_loop_passes_on_both_ranks(watched):
    res = watched(torchrun("--engine", "ddp", "--steps", "1000"), steps=4)
    assert [f for f in res.findings if f.severity >= Severity.WARNING] == [], [f.message for f in res.findings]
    s = res.by("HNL826")[0]
    assert s.data["ranks"] == [0, 1] and s.data["engine"] == "ddp" and s.data["steps"] == 4
    assert "replicated tensors compared across ranks" in s.message
    assert res.outcome.returncode == 0


def test_ddp_clipping_inside_no_sync(watched):
    res = watched(torchrun("--engine", "ddp", "--defect", "clip-in-no-sync"), steps=3)
    f = res.by("HNL817")[0]
    assert f.data["when"] == "clip_digests"


def test_ddp_nan_on_one_rank_names_it_and_raises_no_false_alarm(watched):
    res = watched(torchrun("--engine", "ddp", "--defect", "nan"))
    assert "HNL817" not in res.codes and "HNL818" not in res.codes  # NaN == NaN bit for bit; never compared
    traced = [f for f in res.by("HNL802") if f.data.get("module", "x") is None]
    assert traced and traced[0].data["ranks"] == [1]


def test_ddp_crashing_rank_is_named_first(watched):
    res = watched(torchrun("--engine", "ddp", "--defect", "crash"))
    first = res.by("HNL821")[0]
    assert first.data["rank"] == 1 and first.data["step"] == 2


def test_ddp_stuck_rank_hits_the_deadline(watched):
    res = watched(torchrun("--engine", "ddp", "--defect", "stuck"), step_timeout=15.0)
    f = res.by("HNL822")[0]
    assert f.data["rank"] == 1 and f.data["step"] == 2


def test_fsdp2_gradients_not_zeroed(watched):
    res = watched(torchrun("--engine", "fsdp2", "--defect", "no-zero"), steps=4)
    assert "HNL805" in res.codes
    assert "nothing replicated" in res.by("HNL826")[0].message
