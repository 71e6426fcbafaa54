"""Distributed tests: 2 gloo processes under ``torch.distributed.run``, each in a subprocess with a
timeout so that a hang fails the test instead of blocking CI. Every module here sets
``pytestmark = pytest.mark.distributed`` (``pytest -m distributed`` runs only them)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 150


def env() -> dict:
    out = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    out.pop("MASTER_PORT", None)
    if os.path.exists("/sys/class/net/lo"):
        out.setdefault("GLOO_SOCKET_IFNAME", "lo")  # all ranks are local (as launch.py does)
    return out


def without_numpy(folder) -> dict:
    """``env()`` in which ``import numpy`` fails in every process (a ``sitecustomize`` puts None
    in ``sys.modules``), as in a venv that has only what ``hnet-lint[dry-run]`` declares."""
    site = os.path.join(str(folder), "nonumpy")
    os.makedirs(site, exist_ok=True)
    with open(os.path.join(site, "sitecustomize.py"), "w") as fh:
        fh.write("import sys\nsys.modules['numpy'] = None  # import numpy -> ImportError\n")
    out = env()
    out["PYTHONPATH"] = os.pathsep.join([site, *filter(None, [out.get("PYTHONPATH")])])
    return out


def torchrun(args: list[str], nproc: int = 2, cwd: str = HERE, environ: dict | None = None
             ) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --standalone`` (a free port is picked by the rendezvous)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", *args]
    try:
        return subprocess.run(cmd, cwd=cwd, env=environ or env(), capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"distributed job hung for {TIMEOUT_S} s: {' '.join(cmd)}\n{exc.stderr}")
