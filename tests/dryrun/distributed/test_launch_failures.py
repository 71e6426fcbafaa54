"""The distributed path as the README installs it, and what HNL801 says when a rank fails.

``hnet-lint[dry-run]`` declares torch only; ``dist.all_gather_object`` needs numpy ("Numpy is
not available"), so every gather must work without it. Here numpy is made unimportable in every
process (``conftest.without_numpy``); ``tests/test_install.py`` does the same from a real fresh
venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hnet_lint.dryrun import launch
from hnet_lint.dryrun.build import DryRunOptions

from ..conftest import load_run, write_config
from .conftest import HERE, TIMEOUT_S, env, torchrun, without_numpy

pytestmark = pytest.mark.distributed


def test_gather_and_dry_run_work_without_numpy(tmp_path) -> None:
    path = write_config(tmp_path)
    report = tmp_path / "r.json"
    cmd = [sys.executable, "-m", "hnet_lint", str(path), "--dry-run", "--nproc", "2", "--no-probe",
           "--smoke-steps", "2", "--format", "json", "--report", str(report)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=without_numpy(tmp_path), capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    found = json.loads(proc.stdout)
    codes = {f["code"] for f in (found["findings"] if isinstance(found, dict) else found)}
    assert "HNL801" not in codes and "HNL819" in codes, proc.stderr[-3000:]
    assert json.loads(report.read_text())["results"][0]["passed"]


def test_inspect_under_ddp_works_without_numpy(tmp_path) -> None:
    out = tmp_path / "out.json"
    proc = torchrun(["inspect_job.py", str(out), "ddp"], environ=without_numpy(tmp_path))
    assert proc.returncode == 0 and out.exists(), proc.stderr[-3000:]
    data = json.loads(out.read_text())["ddp"]
    assert "error" not in data, data.get("trace")
    assert any(f["code"] == "HNL819" for f in data["findings"])


def test_the_failing_ranks_own_exception_is_quoted(tmp_path, monkeypatch) -> None:
    """Rank 1 raises inside the worker; rank 0 then fails in its next collective or is stopped by
    the launcher. HNL801 quotes rank 1's exception, not torchrun's summary."""
    path = write_config(tmp_path)
    worker = os.path.join(HERE, "failing_worker.py")
    monkeypatch.setattr(launch, "_command", lambda nproc, job: [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", worker, job])
    for k, v in env().items():
        monkeypatch.setenv(k, v)
    res = launch.run_distributed_dry_run(load_run(path), DryRunOptions(smoke_steps=2, phases=("build", "smoke")),
                                         2, "ddp", file=str(path))
    [f] = [f for f in res.findings if f.code == "HNL801"]
    assert f.data["failed_rank"] == 1
    assert f.data["error"] == "RuntimeError: rank 1 failed on purpose"
    assert "rank 1 raised RuntimeError: rank 1 failed on purpose" in f.message
    assert "ChildFailedError" not in f.message and not res.passed


def test_rank_failure_reads_the_oldest_error_file(tmp_path) -> None:
    (tmp_path / "error-rank1.txt").write_text("Traceback (most recent call last):\n  ...\nValueError: first\n")
    os.utime(tmp_path / "error-rank1.txt", ns=(1_000_000_000, 1_000_000_000))
    (tmp_path / "error-rank0.txt").write_text("Traceback\nRuntimeError: Connection closed by peer\n")
    rank, error, tb = launch.rank_failure(str(tmp_path))
    assert (rank, error) == (1, "ValueError: first") and tb.startswith("Traceback")
    (tmp_path / "clean").mkdir()
    assert launch.rank_failure(str(tmp_path / "clean")) is None
