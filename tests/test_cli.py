"""The command line: formats, selection, settings files and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hnet_lint.cli import cli

from .conftest import MODEL_1STAGE, ROOT


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()  # settings discovery stops at the repository root
    (tmp_path / "model.json").write_text(json.dumps(MODEL_1STAGE))
    (tmp_path / "run.yaml").write_text(
        "model: model.json\n"
        "routing: {target_ratio: [6.0], ratio_loss_weight: 0.03}\n"
        "optimizer: {lr: 2.0e-4, lr_multiplier: [2.0, 1.0]}\n"
        "schedule: {warmup_steps: 100, total_steps: 10000}\n"
        "training: {seq_len: 8192, grad_clip: 1.0, autocast_dtype: bfloat16}\n")
    (tmp_path / "notes.yaml").write_text("title: not an H-Net config\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_default_command_is_lint_and_exit_code_reflects_findings(project):
    result = invoke("run.yaml")
    assert result.exit_code == 1
    assert "run.yaml:4:26: HNL301 [warning] warmup of 100 steps is 1.0%" in result.output
    assert "^^^" in result.output  # code frame


def test_fail_on_error_ignores_warnings(project):
    assert invoke("run.yaml", "--fail-on", "error").exit_code == 0


def test_ignore_by_code_prefix_and_name(project):
    assert invoke("run.yaml", "--ignore", "HNL3").exit_code == 0
    assert invoke("run.yaml", "--ignore", "warmup-too-short").exit_code == 0


def test_json_output_is_the_documented_contract(project):
    result = invoke("run.yaml", "--format", "json")
    items = json.loads(result.output)
    assert [d["code"] for d in items] == ["HNL207", "HNL301"]
    warm = items[1]
    assert {k: warm[k] for k in ("line", "column", "end_line", "end_column", "key", "phase")} == {
        "line": 4, "column": 26, "end_line": 4, "end_column": 29,
        "key": "schedule.warmup_steps", "phase": "static"}


def test_directory_lints_configs_and_skips_other_yaml(project):
    result = invoke(".", "--format", "json")
    files = {d["file"] for d in json.loads(result.output)}
    assert files == {"run.yaml"}
    assert "notes.yaml" not in result.output


def test_named_non_config_file_is_reported(project):
    result = invoke("notes.yaml", "--format", "concise")
    assert "HNL011" in result.output and result.exit_code == 1


def test_settings_from_pyproject_and_option_override(project):
    (project / "pyproject.toml").write_text(
        "[tool.hnet-lint]\nignore = ['HNL207']\n"
        "[tool.hnet-lint.options.HNL301]\nmin_fraction = 0.001\n")
    result = invoke("run.yaml", "--format", "json")
    assert json.loads(result.output) == [] and result.exit_code == 0
    result = invoke("run.yaml", "--option", "HNL301.min_fraction=0.5", "--format", "json")
    assert [d["code"] for d in json.loads(result.output)] == ["HNL301"]
    assert invoke("run.yaml", "--isolated", "--format", "json").output.count("HNL207") == 1


def test_unknown_setting_is_a_usage_error(project):
    (project / ".hnet-lint.toml").write_text("ignroe = ['HNL207']\n")
    proc = subprocess.run([sys.executable, "-m", "hnet_lint", "run.yaml"], cwd=project,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "unknown setting 'ignroe'; did you mean 'ignore'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_rule_option_is_a_usage_error(project):
    proc = subprocess.run([sys.executable, "-m", "hnet_lint", "run.yaml", "--option",
                           "HNL301.min_frac=0.1"], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "did you mean 'min_fraction'" in proc.stderr


def test_severity_override_changes_the_exit_code(project):
    assert invoke("run.yaml", "--fail-on", "error").exit_code == 0
    assert invoke("run.yaml", "--fail-on", "error", "--severity", "HNL301=error").exit_code == 1


def test_output_writes_a_second_format(project):
    result = invoke("run.yaml", "--output", "json=out.json")
    assert result.exit_code == 1
    assert [d["code"] for d in json.loads((project / "out.json").read_text())] == ["HNL207", "HNL301"]


def test_rules_and_rule_commands(project):
    listing = invoke("rules")
    assert "HNL401  low-precision-parameters" in listing.output
    explained = invoke("rule", "low-precision-parameters")
    assert explained.output.startswith("HNL401 low-precision-parameters (warning, dtype)")
    assert "## Why it matters" in explained.output


def test_no_paths_is_a_usage_error(project):
    assert invoke("lint").exit_code == 2


def test_dry_run_without_torch_is_a_clear_usage_error(project):
    """Without the dry-run extra, --dry-run says what to install instead of a traceback."""
    code = ("import sys\nsys.modules['torch'] = None  # as if torch were not installed\n"
            "from hnet_lint.cli import main\nmain(['run.yaml', '--dry-run', '--no-cache'])\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "pip install 'hnet-lint[dry-run]'" in proc.stderr and "Traceback" not in proc.stderr
