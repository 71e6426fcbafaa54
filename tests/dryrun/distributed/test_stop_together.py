"""Under ``--nproc`` a non-finite value or the time budget on one rank stops every rank at the
same step, and the step names the rank; a rank stopping alone used to hang the others in
DDP's all-reduce until the launcher's timeout."""

from __future__ import annotations

import json
import os

import pytest

from .conftest import HERE, torchrun

pytestmark = pytest.mark.distributed


def _job(tmp_path, scenario: str) -> list[dict]:
    proc = torchrun([os.path.join(HERE, "nonfinite_job.py"), str(tmp_path), scenario])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]


def test_nan_loss_on_one_rank_stops_both_and_names_it(tmp_path) -> None:
    ranks = _job(tmp_path, "nan-loss")
    for got in ranks:
        nonfinite = got["nonfinite"]
        assert nonfinite["stage"] == "loss"
        assert nonfinite["ranks"] == [1] and nonfinite["world_size"] == 2
        assert nonfinite["loss"] != nonfinite["loss"]  # rank 1's loss (NaN), not rank 0's
    assert ranks[0]["nonfinite"] == ranks[1]["nonfinite"]


def test_one_rank_past_its_deadline_stops_both_at_the_same_step(tmp_path) -> None:
    ranks = _job(tmp_path, "late")
    assert ranks == [{"interrupted": True, "steps": 0}] * 2


def test_one_rank_past_its_deadline_stops_the_probe_on_both(tmp_path) -> None:
    """The probe keeps the time budget under --nproc (HNL815 like one process, not a hang)."""
    ranks = _job(tmp_path, "late-probe")
    assert ranks == [{"interrupted": True, "runs": [0]}] * 2
