"""Watched runs of ``examples/watch/train.py``, a loop written as users write theirs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hnet_lint.watch import watch

HERE = Path(__file__).resolve().parent
ROOT = str(HERE.parents[1])
TRAIN = str(HERE.parents[1] / "examples" / "watch" / "train.py")
CONFIG = str(HERE.parents[1] / "examples" / "watch" / "run.yaml")


def torchrun(*args: str, n: int = 2) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={n}", TRAIN, *args]


def plain(*args: str) -> list[str]:
    return [sys.executable, TRAIN, *args]


@pytest.fixture
def watched(tmp_path, monkeypatch):
    """Run a watched command; the trainer imports hnet_lint from this checkout."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))

    def run(command, **kw):
        kw.setdefault("steps", 5)
        kw.setdefault("start_timeout", 240.0)
        kw.setdefault("step_timeout", 120.0)
        res = watch(command, record=str(tmp_path / "records"), **kw)
        res.codes = sorted({f.code for f in res.findings})
        res.by = lambda code: [f for f in res.findings if f.code == code]
        return res
    return run
