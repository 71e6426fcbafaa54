"""The composite Action and the example workflow: schema-valid, and the lint step works.

The lint step is run locally the way the runner would: its ``run:`` text and ``env:`` are
taken from action.yml, ``${{ inputs.* }}`` and ``${{ github.action_path }}`` are replaced
by test values, and bash runs it with ``GITHUB_OUTPUT``/``GITHUB_STEP_SUMMARY`` pointing at
temp files. The pip install step is skipped: hnet-lint is importable from the source tree.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from .gate_helpers import (
    ROOT, load_yaml12, make_repo, sarif_validator, subprocess_env, vendored_schema,
)

ACTION = load_yaml12(ROOT / "action.yml")
_EXPR = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


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
    assert "steps.lint.outputs.exit-code" in ACTION["outputs"]["exit-code"]["value"]


def _substitute(text: str, inputs: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "github.action_path":
            return str(ROOT)
        if name.startswith("inputs."):
            return inputs[name[len("inputs."):]]
        raise AssertionError(f"unexpected expression {name}")

    return _EXPR.sub(value, text)


def _run_lint_step(repo, tmp_path, **overrides):
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    inputs.update(overrides)
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "lint")
    output, summary = tmp_path / "output.txt", tmp_path / "summary.md"
    env = subprocess_env(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    env.update({k: _substitute(str(v), inputs) for k, v in step.get("env", {}).items()})
    proc = subprocess.run([shutil.which("bash"), "-c", _substitute(step["run"], inputs)],
                          cwd=repo, env=env, capture_output=True, text=True)
    return proc, output, summary


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_lint_step_on_examples(tmp_path):
    repo = make_repo(tmp_path)
    proc, output, summary = _run_lint_step(repo, tmp_path, paths="examples")
    assert proc.returncode == 1, proc.stderr
    assert output.read_text() == "exit-code=1\n"
    sarif = json.loads((repo / "hnet-lint.sarif").read_text())
    assert not list(sarif_validator().iter_errors(sarif))
    assert len(sarif["runs"][0]["results"]) == 35  # the bundled examples: see examples/github-step-summary.md
    lines = proc.stdout.splitlines()
    for kind in ("error", "warning", "notice"):
        assert sum(x.startswith(f"::{kind} ") for x in lines) <= 10
    assert "## hnet-lint" in summary.read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_lint_step_passes_exit_code_through(tmp_path):
    repo = make_repo(tmp_path)
    proc, output, _ = _run_lint_step(repo, tmp_path, paths="examples/recommended.yaml",
                                     **{"fail-on": "error", "sarif-file": "x.sarif"})
    assert proc.returncode == 0 and output.read_text() == "exit-code=0\n"
    (repo / "broken.yaml").write_text("model: [unclosed\n")
    proc, output, _ = _run_lint_step(repo, tmp_path, paths="broken.yaml",
                                     **{"extra-args": "--isolated"})
    assert proc.returncode == 2 and output.read_text().endswith("exit-code=2\n")
