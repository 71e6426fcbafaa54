"""Files that are not H-Net configs never break a directory run, the hook or the Action's
`paths: "."`: found while walking (or named with --skip-unrecognized), a file that does not
parse and writes no key of any dialect is skipped and counted; a broken H-Net config is
still HNL000, and so is a named file without the flag."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .gate_helpers import make_repo, subprocess_env

HELM = """\
{{- if .Values.enabled }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "chart.fullname" . }}
data:
  value: {{ .Values.x | quote }}
{{- end }}
"""
MULTI = "kind: A\n---\nkind: B\n"
JUNK = bytes(range(256)) * 4


def _cli(repo, *args):
    return subprocess.run([sys.executable, "-m", "hnet_lint", "--isolated", "--no-cache", *args],
                          cwd=repo, env=subprocess_env(), capture_output=True, text=True)


def _with_non_configs(repo):
    other = repo / "deploy"
    (other / "templates").mkdir(parents=True)
    (other / "templates" / "configmap.yaml").write_text(HELM)
    (other / "stream.yml").write_text(MULTI)
    (other / "blob.json").write_bytes(JUNK)
    (other / "package.json").write_text('{"name": "x", "version": "1.0.0"}\n')
    return ["deploy/blob.json", "deploy/stream.yml", "deploy/templates/configmap.yaml"]


def test_directory_run_skips_non_configs_and_counts_them(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    _with_non_configs(repo)
    proc = _cli(repo, ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HNL000" not in proc.stdout
    assert "4 files skipped, not H-Net configs" in proc.stdout


def test_verbose_lists_the_skipped_files(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    broken = _with_non_configs(repo)
    proc = _cli(repo, "-v", ".")
    for name in broken + ["deploy/package.json"]:
        assert f"skipped {name}: not an H-Net config" in proc.stderr


def test_skip_unrecognized_skips_named_non_configs(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    broken = _with_non_configs(repo)
    proc = _cli(repo, "--skip-unrecognized", *broken)
    assert proc.returncode == 0 and "3 files skipped" in proc.stdout, proc.stdout


@pytest.mark.parametrize("name,text", [
    ("run.yaml", "model: models/m.json\noptimizer: [\n"),
    ("flat.json", '{"model_config": "m.json", "learning_rate": 3e-4,,}'),
    ("model.json", '{"arch_layout": ["m4", ["T8"], "m4"], \n'),
    ("two.yaml", "model: a.json\n---\nmodel: b.json\n"),
])
def test_a_broken_hnet_config_is_still_hnl000(tmp_path, name, text):
    repo = make_repo(tmp_path, with_examples=False)
    (repo / "configs").mkdir()
    (repo / "configs" / name).write_text(text)
    _with_non_configs(repo)
    for args in (["."], ["--skip-unrecognized", f"configs/{name}"]):
        proc = _cli(repo, *args)
        assert proc.returncode == 2 and "HNL000" in proc.stdout, (args, proc.stdout)
        assert proc.stdout.count("HNL000") == 1


def test_a_named_non_config_without_the_flag_is_still_reported(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    broken = _with_non_configs(repo)
    proc = _cli(repo, *broken)
    assert proc.returncode == 2 and proc.stdout.count("HNL000") == 3


@pytest.mark.parametrize("text,expected", [
    ("model: x.json\n", True), ('{"model": {}}', True), ("  arch_layout: [m4]", True),
    ('{"learning_rate": 1e-3}', True), ("- lr_multipliers: 1", True),
    (HELM, False), (MULTI, False), ("  model: nested-in-something-else\n", False),
    ("my_learning_rate: 2\n", False),
])
def test_raw_text_signs_of_a_dialect(text, expected):
    from hnet_lint.load.dialect import shows_dialect_keys

    assert shows_dialect_keys(text) is expected
