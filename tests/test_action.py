"""The composite Action and the example workflow, run the way a GitHub runner runs them.

A runner starts every ``shell: bash`` step as ``bash --noprofile --norc -eo pipefail {0}``
(``{0}`` is a file holding the ``run:`` text), with the step's ``env:`` (where the inputs
arrive), ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_WORKSPACE`` and ``RUNNER_TEMP``
set and the workspace as working directory. These tests do exactly that: ``${{ ... }}``
expressions are replaced by the values the runner would put there, the script goes to a
file and the runner's bash command line runs it. Running it with ``bash -c`` instead would
hide that ``-e`` is on.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .gate_helpers import (
    ROOT, load_yaml12, make_repo, sarif_validator, subprocess_env, vendored_schema,
)

ACTION = load_yaml12(ROOT / "action.yml")
_EXPR = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="needs bash")

#: the command line GitHub's runner uses for `shell: bash` (docs: "Default shell" table)
RUNNER_BASH = ["--noprofile", "--norc", "-eo", "pipefail"]


def test_action_matches_schema():
    errors = list(vendored_schema("github-actions.json").iter_errors(ACTION))
    assert not errors, errors[0].message


def test_workflow_matches_schema():
    workflow = load_yaml12(ROOT / "examples" / "workflows" / "hnet-lint.yml")
    errors = list(vendored_schema("github-workflows.json").iter_errors(workflow))
    assert not errors, errors[0].message
    job = workflow["jobs"]["hnet-lint"]
    assert job["permissions"]["security-events"] == "write"
    upload = next(s for s in job["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["if"].startswith("always()")


def test_every_run_step_has_bash_and_no_inline_inputs():
    steps = ACTION["runs"]["steps"]
    assert ACTION["runs"]["using"] == "composite"
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            # inputs go through env:, so the script text never contains them
            assert "${{" not in step["run"]
    assert ACTION["inputs"]["paths"]["default"] == "."
    assert ACTION["inputs"]["fail-on"]["default"] == "warning"
    assert ACTION["inputs"]["dry-run"]["default"] == "false"
    assert ACTION["inputs"]["sarif-file"]["default"] == "hnet-lint.sarif"
    assert ACTION["inputs"]["torch-index"]["default"] == "https://download.pytorch.org/whl/cpu"
    assert "steps.lint.outputs.exit-code" in ACTION["outputs"]["exit-code"]["value"]


def _substitute(text: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "github.action_path":
            return str(ROOT)
        if name.startswith("inputs."):
            return inputs[name[len("inputs."):]]
        if name.startswith("steps."):
            return outputs.get(name, "")
        raise AssertionError(f"unexpected expression {name}")

    return _EXPR.sub(value, text)


def _outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's `name=value` lines (the runner's parser; later lines win)."""
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            out[name] = value
    return out


def _run_step(step_id, repo, tmp_path, inputs=None, outputs=None, extra_env=None):
    """Run one step of the Action as the runner does; returns (process, step outputs)."""
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    values.update(inputs or {})
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)
    work = tmp_path / f"runner-{step_id}"
    work.mkdir(exist_ok=True)
    output, summary, script = work / "output.txt", work / "summary.md", work / "step.sh"
    output.write_text("")
    script.write_text(_substitute(step["run"], values, outputs or {}))
    env = subprocess_env(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary),
                         GITHUB_WORKSPACE=str(repo), GITHUB_ACTIONS="true",
                         RUNNER_TEMP=str(work), **(extra_env or {}))
    env.update({k: _substitute(str(v), values, outputs or {})
                for k, v in step.get("env", {}).items()})
    proc = subprocess.run([BASH, *RUNNER_BASH, str(script)], cwd=repo, env=env,
                          capture_output=True, text=True)
    return proc, _outputs(output)


def _run_lint(repo, tmp_path, **inputs):
    """The lint step, with the install step's output pointing at this interpreter."""
    installed = {"steps.install.outputs.python": sys.executable}
    return _run_step("lint", repo, tmp_path, inputs, installed)


@needs_bash
def test_lint_step_exit_code_1_is_an_output(tmp_path):
    repo = make_repo(tmp_path)
    proc, outputs = _run_lint(repo, tmp_path, paths="examples")
    assert proc.returncode == 1, proc.stderr
    assert outputs == {"exit-code": "1"}
    sarif = json.loads((repo / "hnet-lint.sarif").read_text())
    assert not list(sarif_validator().iter_errors(sarif))
    assert len(sarif["runs"][0]["results"]) == 39  # the bundled examples: see examples/github-step-summary.md
    lines = proc.stdout.splitlines()
    for kind in ("error", "warning", "notice"):
        assert sum(x.startswith(f"::{kind} ") for x in lines) <= 10
    summary = tmp_path / "runner-lint" / "summary.md"
    assert "## hnet-lint" in summary.read_text()


@needs_bash
def test_lint_step_exit_code_0_and_2_are_outputs(tmp_path):
    repo = make_repo(tmp_path)
    proc, outputs = _run_lint(repo, tmp_path, paths="examples/recommended.yaml",
                              **{"fail-on": "error", "sarif-file": "x.sarif"})
    assert proc.returncode == 0, proc.stderr
    assert outputs == {"exit-code": "0"}
    (repo / "broken.yaml").write_text("model: [unclosed\n")
    proc, outputs = _run_lint(repo, tmp_path, paths="broken.yaml",
                              **{"extra-args": "--isolated"})
    assert proc.returncode == 2, proc.stderr
    assert outputs == {"exit-code": "2"}


@needs_bash
def test_lint_step_usage_error_is_exit_code_2(tmp_path):
    repo = make_repo(tmp_path)
    proc, outputs = _run_lint(repo, tmp_path, paths="examples",
                              **{"extra-args": "--no-such-option"})
    assert proc.returncode == 2 and outputs == {"exit-code": "2"}


@needs_bash
def test_paths_are_one_per_line_and_may_contain_spaces(tmp_path):
    repo = make_repo(tmp_path)
    spaced = repo / "incident copy"
    spaced.mkdir()
    shutil.copy(repo / "examples" / "incident" / "original.yaml", spaced / "run one.yaml")
    shutil.copytree(repo / "examples" / "models", repo / "models")  # `model: ../models/...`
    (repo / "examples" / "*.yaml").write_text("not: [valid\n")  # a literal star must not glob
    paths = "\n  incident copy/run one.yaml  \r\n\nexamples/recommended.yaml\n"
    proc, outputs = _run_lint(repo, tmp_path, paths=paths, **{"extra-args": "--isolated"})
    assert proc.returncode == 1 and outputs == {"exit-code": "1"}, proc.stderr
    sarif = json.loads((repo / "hnet-lint.sarif").read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]}
    assert uris == {"incident%20copy/run%20one.yaml", "examples/recommended.yaml"}, uris


@needs_bash
def test_empty_paths_is_a_usage_error(tmp_path):
    repo = make_repo(tmp_path)
    proc, outputs = _run_lint(repo, tmp_path, paths="\n  \n")
    assert proc.returncode == 2 and outputs == {"exit-code": "2"}
    assert "::error" in proc.stdout


@needs_bash
def test_install_then_lint_in_the_actions_own_venv(tmp_path):
    """The install step for real: a venv under RUNNER_TEMP with hnet-lint and no torch."""
    repo = make_repo(tmp_path)
    proc, outputs = _run_step("install", repo, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    python = outputs["python"]
    assert python.startswith(str(tmp_path / "runner-install"))
    check = subprocess.run([python, "-c", "import hnet_lint.cli, importlib.util as u; "
                            "print(u.find_spec('torch') is None)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.stdout.strip() == "True", check.stderr
    assert "--extra-index-url" not in proc.stdout
    proc, lint_out = _run_step("lint", repo, tmp_path, {"paths": "examples"},
                               {"steps.install.outputs.python": python})
    assert proc.returncode == 1 and lint_out == {"exit-code": "1"}, proc.stderr


@needs_bash
def test_dry_run_install_takes_torch_from_the_cpu_index(tmp_path):
    """With dry-run on, pip is pointed at PyTorch's CPU index; PIP_DRY_RUN keeps pip from
    downloading anything here (no network), the command it runs is in the log."""
    repo = make_repo(tmp_path, with_examples=False)
    proc, outputs = _run_step("install", repo, tmp_path, {"dry-run": "true"},
                              extra_env={"PIP_DRY_RUN": "1", "PIP_NO_INDEX": "1"})
    log = proc.stdout
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in log, log
    assert f"{ROOT}[dry-run]" in log


@needs_bash
def test_old_python_is_a_clear_error(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("python3", "python"):
        (fake / name).write_text("#!/bin/sh\nexit 1\n")  # says "too old" to the version check
        (fake / name).chmod(0o755)
    proc, outputs = _run_step("install", repo, tmp_path,
                              extra_env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert proc.returncode == 2 and "python" not in outputs
    assert "needs Python >= 3.10" in proc.stdout


@needs_bash
def test_python_without_venv_is_a_clear_error(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    fake = tmp_path / "bin"
    fake.mkdir()
    # passes the version check (`-c ...` exits 0), but `-m venv` fails as without python3-venv
    (fake / "python3").write_text('#!/bin/sh\n[ "$1" = "-c" ] && exit 0\nexit 1\n')
    (fake / "python3").chmod(0o755)
    proc, outputs = _run_step("install", repo, tmp_path,
                              extra_env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert proc.returncode == 2 and "python" not in outputs
    assert "install python3-venv or add actions/setup-python" in proc.stdout
