"""Issue 17.5: a rank that raises inside ``step_fn`` (exception caught by inspect, process alive)
never leaves the others waiting: every rank returns, naming the rank and step. (A rank that stalls
without raising is bounded by ``hnet-lint watch``'s per-step deadline: tests/watch.)"""

from __future__ import annotations

import json

import pytest

from .conftest import torchrun

pytestmark = pytest.mark.distributed


def _results(tmp_path, mode: str) -> list[dict]:
    out = tmp_path / "out"
    proc = torchrun(["raise_job.py", str(out), mode])
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [json.loads((tmp_path / f"out.{r}").read_text()) for r in (0, 1)]


def test_rank_that_raises_releases_the_others(tmp_path) -> None:
    for r, res in enumerate(_results(tmp_path, "raise")):
        failed = [f for f in res["findings"] if f["code"] == "HNL821"]
        assert failed, res["findings"]
        assert failed[0]["data"]["rank"] == 1 and failed[0]["data"]["step"] == 1
        assert "bad batch" in failed[0]["message"]

