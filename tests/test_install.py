"""The README's own install: ``pip install ".[dry-run]"`` into a fresh venv, then the distributed
dry-run from that venv only (no dev extras, so no numpy, no matplotlib).

Marked ``install`` (deselect with ``-m "not install"``); it runs by default. Measured here
(2026-12-06, 2 shared cores, local wheel index): the venv and install take ~40 s, the
``--nproc 2`` smoke ~8 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .dryrun.conftest import write_config

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                              "tests", "bench", ".venv*", "node_modules")


def _env() -> dict:
    out = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    out.update(OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    if os.path.exists("/sys/class/net/lo"):
        out.setdefault("GLOO_SOCKET_IFNAME", "lo")
    return out


def test_nproc_dry_run_from_a_fresh_dry_run_install(tmp_path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)  # a copy: pip's in-tree build must not litter the checkout
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", f"{src}[dry-run]"], env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-3000:]
    probe = subprocess.run([str(py), "-c", "import numpy"], env=_env(), capture_output=True, timeout=60)
    assert probe.returncode != 0, "numpy got installed: this test no longer checks a numpy-free install"
    cfg = write_config(tmp_path)
    report = tmp_path / "r.json"
    proc = subprocess.run([str(venv / "bin" / "hnet-lint"), str(cfg), "--dry-run", "--nproc", "2", "--no-probe",
                           "--smoke-steps", "2", "--format", "json", "--report", str(report)],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    found = json.loads(proc.stdout)
    codes = {f["code"] for f in (found["findings"] if isinstance(found, dict) else found)}
    assert "HNL801" not in codes and "HNL819" in codes, proc.stderr[-3000:]
    result = json.loads(report.read_text())["results"][0]
    assert result["passed"] and result["info"]["data_sha256"], result["info"]
