"""A selector that names nothing is a usage error (exit 2) with a did-you-mean, never a
silent "All checks passed" (ruff's behaviour). Run through the real command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .gate_helpers import make_repo, subprocess_env


def _cli(repo, *args):
    return subprocess.run([sys.executable, "-m", "hnet_lint", *args], cwd=repo,
                          env=subprocess_env(), capture_output=True, text=True)


@pytest.mark.parametrize("args,hint", [
    (["--select", "HNL99"], "'HNL99'"),
    (["--select", "warmup-to-short"], "did you mean 'warmup-too-short'"),
    (["--extend-select", "HNL3O1"], "'HNL3O1'"),
    (["--ignore", "warmup-to-short"], "did you mean 'warmup-too-short'"),
    (["--severity", "HNL999=error"], "'HNL999'"),
    (["--severity", "low-precision-paramters=error"], "did you mean 'low-precision-parameters'"),
    (["--option", "HNL999.max_ratio=4"], "'HNL999'"),
    (["--option", "HNL204.max_ration=4"], "did you mean 'max_ratio'"),
])
def test_unknown_selectors_on_the_command_line_exit_2(tmp_path, args, hint):
    repo = make_repo(tmp_path)
    proc = _cli(repo, "--isolated", "examples/incident/original.yaml", *args)
    assert proc.returncode == 2, proc.stdout
    assert "All checks passed" not in proc.stdout and hint in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("table", [
    'select = ["HNL9999"]',
    'ignore = ["HNL2", "warmup-to-short"]',
    '[tool.hnet-lint.severity]\nHNL999 = "error"',
    '[tool.hnet-lint.per-file-ignores]\n"examples/*" = ["HNL77"]',
    '[tool.hnet-lint.options.HNL9999]\nmax_ratio = 4.0',
])
def test_unknown_selectors_in_pyproject_exit_2(tmp_path, table):
    repo = make_repo(tmp_path)
    (repo / "pyproject.toml").write_text(f"[tool.hnet-lint]\n{table}\n")
    proc = _cli(repo, "examples/incident/original.yaml")
    assert proc.returncode == 2, proc.stdout
    assert "pyproject.toml" in proc.stderr and "unknown rule" in proc.stderr


@pytest.mark.parametrize("args", [
    ["--select", "HNL3"], ["--select", "hnl301"], ["--select", "warmup-too-short"],
    ["--select", "ALL", "--ignore", "HNL2,HNL4,HNL6,HNL9"],
    ["--select", "HNL8"],  # dry-run codes are known codes even without --dry-run
    ["--severity", "warmup-too-short=error"], ["--option", "lr-multiplier-ratio.max_ratio=4"],
])
def test_known_codes_prefixes_and_names_are_accepted(tmp_path, args):
    repo = make_repo(tmp_path)
    proc = _cli(repo, "--isolated", "examples/incident/original.yaml", *args)
    assert proc.returncode in (0, 1), proc.stderr


def test_a_prefix_selects_what_it_names(tmp_path):
    repo = make_repo(tmp_path)
    proc = _cli(repo, "--isolated", "--no-source", "examples/incident/original.yaml",
                "--select", "HNL3")
    codes = {line.split()[1] for line in proc.stdout.splitlines() if ": HNL" in line}
    assert codes == {"HNL301"} and proc.returncode == 1


def test_library_settings_are_checked_too(tmp_path, monkeypatch):
    from hnet_lint.api import lint_paths
    from hnet_lint.check.settings import Settings
    from hnet_lint.diagnostics import HnetLintError

    repo = make_repo(tmp_path)
    monkeypatch.chdir(repo)
    with pytest.raises(HnetLintError, match="did you mean 'warmup-too-short'"):
        lint_paths(["examples/incident/original.yaml"], Settings(select=("warmup-to-short",)))
