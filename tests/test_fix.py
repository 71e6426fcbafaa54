"""--fix: exact-span, comment-preserving rewrites; re-lint afterwards."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hnet_lint.check.fix import with_dot

from .gate_helpers import make_repo, subprocess_env

SCI = """\
# yaml-language-server: $schema=../schemas/hnet-run.schema.json
model: models/hnet_1stage_tiny.json
optimizer:
  lr: 2e-4        # peak, keep this comment
  eps: 1E-8
  betas: [0.9, 0.95]
"""


def _cli(repo, *args):
    return subprocess.run([sys.executable, "-m", "hnet_lint", *args], cwd=repo,
                          env=subprocess_env(), capture_output=True, text=True)


@pytest.mark.parametrize("text,expected", [
    ("2e-4", "2.0e-4"), ("1E-8", "1.0e-8"), ("-3e+2", "-3.0e+2"),
    (".5e3", "0.5e3"), ("5.e3", "5.0e3"), ("2.5e-4", "2.5e-4"), ("abc", None),
])
def test_with_dot(text, expected):
    assert with_dot(text) == expected


def test_fix_yaml_floats_preserves_everything_else(tmp_path):
    repo = make_repo(tmp_path)
    cfg = repo / "examples" / "sci.yaml"
    cfg.write_text(SCI)
    before = _cli(repo, "examples/sci.yaml", "--format", "concise")
    assert before.stdout.count("HNL002") == 2
    run = _cli(repo, "examples/sci.yaml", "--fix", "--format", "concise")
    assert "applied 2 fixes" in run.stderr and "HNL002" not in run.stdout
    assert cfg.read_text() == SCI.replace("2e-4", "2.0e-4").replace("1E-8", "1.0e-8")
    again = _cli(repo, "examples/sci.yaml", "--fix", "--format", "concise")
    assert "applied 0 fixes" in again.stderr and cfg.read_text().count("2.0e-4") == 1


def test_fix_flat_comma_string(tmp_path):
    repo = make_repo(tmp_path)
    flat = repo / "examples" / "incident" / "original-flat.json"
    original = flat.read_text()
    run = _cli(repo, str(flat.relative_to(repo)), "--fix", "--format", "concise")
    assert "applied 1 fix" in run.stderr
    fixed = flat.read_text()
    assert fixed == original.replace('"3.0,1.7,0.9"', "[3.0, 1.7, 0.9]")
    # The findings about the values themselves are a judgment and stay.
    assert "HNL204" in run.stdout


def test_fix_leaves_judgment_calls_alone(tmp_path):
    repo = make_repo(tmp_path)
    cfg = repo / "examples" / "incident" / "original.yaml"
    original = cfg.read_text()
    run = _cli(repo, "examples/incident/original.yaml", "--fix")
    assert "applied 0 fixes" in run.stderr and cfg.read_text() == original


def _cached_cli(repo, *args):
    """As a user runs it: the result cache on (it lives at the repository root)."""
    env = subprocess_env()
    env.pop("HNET_LINT_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "hnet_lint", *args], cwd=repo, env=env,
                          capture_output=True, text=True)


def test_fix_after_a_plain_lint_does_not_depend_on_the_cache(tmp_path):
    """`hnet-lint flat.json && hnet-lint --fix flat.json`: the second run is served no
    cached result without the parsed config."""
    repo = make_repo(tmp_path)
    flat = repo / "examples" / "incident" / "original-flat.json"
    original = flat.read_text()
    name = "examples/incident/original-flat.json"
    first = _cached_cli(repo, name)
    assert first.returncode == 1 and (repo / ".hnet-lint-cache").is_dir()
    run = _cached_cli(repo, "--fix", name)
    assert "applied 1 fix" in run.stderr, run.stderr
    assert flat.read_text() == original.replace('"3.0,1.7,0.9"', "[3.0, 1.7, 0.9]")


def test_fixable_findings_are_marked_and_counted(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "examples" / "sci.yaml").write_text(SCI)
    for fmt in ("text", "concise"):
        run = _cli(repo, "examples/sci.yaml", "--format", fmt)
        marked = [line for line in run.stdout.splitlines() if "[*]" in line]
        assert len(marked) == 2 and all(" HNL002 [warning] [*] " in m for m in marked)
        assert "2 fixable with --fix" in run.stdout.splitlines()[-1]
    run = _cli(repo, "examples/incident/original.yaml")
    assert "[*]" not in run.stdout and "fixable" not in run.stdout


def test_diff_shows_the_fix_and_writes_nothing(tmp_path):
    repo = make_repo(tmp_path)
    cfg = repo / "examples" / "sci.yaml"
    cfg.write_text(SCI)
    run = _cli(repo, "examples/sci.yaml", "--diff")
    assert run.returncode == 1, run.stderr
    assert cfg.read_text() == SCI
    assert run.stdout.startswith("--- a/examples/sci.yaml\n+++ b/examples/sci.yaml\n")
    assert "-  lr: 2e-4        # peak, keep this comment\n" in run.stdout
    assert "+  lr: 2.0e-4        # peak, keep this comment\n" in run.stdout
    assert "+  eps: 1.0e-8\n" in run.stdout
    assert "2 fixes would be applied" in run.stderr
    flat = _cli(repo, "examples/incident/original-flat.json", "--diff")
    assert flat.returncode == 1 and '+  "lr_multipliers": [3.0, 1.7, 0.9],' in flat.stdout


def test_diff_without_fixes_exits_0(tmp_path):
    repo = make_repo(tmp_path)
    run = _cli(repo, "examples/recommended.yaml", "--diff")
    assert run.returncode == 0 and run.stdout == ""
def test_fix_keeps_the_string_for_a_trainer_that_splits_it(tmp_path):
    """hierarchical-hnet before 8dbea2d splits the printed value on ',': a list would arrive
    as '[3.0, 1.7, 0.9]' and float('[3.0') raises, so --fix must not write one (HNL208)."""
    repo = make_repo(tmp_path)
    flat = repo / "examples" / "incident" / "original-flat.json"
    original = flat.read_text()
    run = _cli(repo, str(flat.relative_to(repo)), "--fix", "--trainer",
               "hierarchical-hnet@3f5944b", "--format", "concise")
    assert "applied 0 fixes" in run.stderr and flat.read_text() == original


def test_fix_needs_a_known_trainer(tmp_path):
    repo = make_repo(tmp_path)
    flat = repo / "examples" / "incident" / "original-flat.json"
    original = flat.read_text()
    run = _cli(repo, str(flat.relative_to(repo)), "--fix", "--trainer", "none",
               "--format", "concise")
    assert "applied 0 fixes" in run.stderr and flat.read_text() == original


HELM = "replicaCount: 2\nlr: 3e-4   # not ours\nimage: nginx\n"


def test_fix_leaves_a_file_that_is_not_an_hnet_config_alone(tmp_path):
    """HNL011 says "not an H-Net config": --fix, --diff and the [*] marker agree with it."""
    repo = make_repo(tmp_path)
    helm = repo / "helm"
    helm.mkdir()
    values = helm / "values.yaml"
    values.write_text(HELM)
    fixed = _cli(repo, "--fix", "helm/values.yaml")
    assert "HNL011" in fixed.stdout and "applied 0 fixes" in fixed.stderr
    assert values.read_text() == HELM
    diff = _cli(repo, "--diff", "helm/values.yaml")
    assert diff.stdout == "" and "0 fixes would be applied" in diff.stderr
    plain = _cli(repo, "helm/values.yaml")
    assert "HNL002" in plain.stdout and "[*]" not in plain.stdout
    assert "fixable" not in plain.stdout
    # forced to a dialect, it is judged an H-Net config and fixed
    forced = _cli(repo, "--diff", "--dialect", "native", "helm/values.yaml")
    assert "+lr: 3.0e-4   # not ours" in forced.stdout


def test_fix_still_applies_to_a_config_the_normalizer_rejects(tmp_path):
    repo = make_repo(tmp_path)
    cfg = repo / "examples" / "broken.yaml"
    cfg.write_text("model: 3\noptimizer:\n  lr: 2e-4\n")
    _cli(repo, "--fix", "examples/broken.yaml")
    assert "lr: 2.0e-4" in cfg.read_text()
