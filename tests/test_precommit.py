"""The pre-commit hook, run for real through `pre-commit try-repo` on a good and a bad file.

This builds the hook's own virtualenv from this repository (as a user's pre-commit would),
so it needs the package index; it is the slowest test in the suite (~1 minute).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import MODEL_1STAGE, ROOT

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None and
                                subprocess.run([sys.executable, "-m", "pre_commit", "--version"],
                                               capture_output=True).returncode != 0,
                                reason="pre-commit is not installed")


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    repo = tmp_path_factory.mktemp("user-project")
    (repo / "model.json").write_text(json.dumps(MODEL_1STAGE))
    (repo / "good.yaml").write_text(
        "model: model.json\nrouting: {target_ratio: [6.0], ratio_loss_weight: 0.03}\n"
        "optimizer: {lr: 2.0e-4, lr_multiplier: [2.0, 1.0]}\n"
        "schedule: {warmup_steps: 500, total_steps: 10000}\n"
        "training: {seq_len: 8192, grad_clip: 1.0, autocast_dtype: bfloat16}\n")
    (repo / "bad.yaml").write_text("model: model.json\ngeneration: {temperature: 0}\n")
    (repo / "workflow.yml").write_text("on: push\njobs: {}\n")  # not an H-Net config
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    return repo


def _try_repo(project, *files):
    env = dict(os.environ, PRE_COMMIT_HOME=str(project / ".pre-commit-home"))
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "hnet-lint", "--files", *files],
        cwd=project, capture_output=True, text=True, env=env, timeout=600,
    )


def test_hook_passes_a_good_file_and_fails_a_bad_one(project):
    good = _try_repo(project, "good.yaml", "model.json", "workflow.yml")
    assert good.returncode == 0, good.stdout + good.stderr
    bad = _try_repo(project, "bad.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "HNL601" in bad.stdout


def test_hook_environment_installs_no_torch():
    """try-repo builds the hook's virtualenv in a store it deletes afterwards, so check what
    that environment is built from: the package's runtime dependencies and the hook's own
    additional dependencies, neither of which may name torch."""
    import tomllib

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "hnet-lint")
    assert hook["language"] == "python" and hook["require_serial"] is True
    assert not any("torch" in dep for dep in hook.get("additional_dependencies", []))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("torch") for dep in project["dependencies"])
    assert any(dep.startswith("torch") for dep in project["optional-dependencies"]["dry-run"])
