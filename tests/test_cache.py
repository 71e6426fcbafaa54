"""The result cache: warm runs agree with cold ones and skip the parser; edits invalidate."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hnet_lint.api import lint_paths
from hnet_lint.check.cache import ResultCache

from .conftest import MODEL_1STAGE, ROOT

RUN = "model: model.json\noptimizer: {lr: 2.0e-4, lr_multiplier: [2.0, 1.0]}\n"


def _project(tmp_path, run_text=RUN, model=MODEL_1STAGE):
    (tmp_path / ".git").mkdir(exist_ok=True)  # the repository root: where the cache lives
    (tmp_path / "model.json").write_text(json.dumps(model))
    (tmp_path / "run.yaml").write_text(run_text)
    return tmp_path


def _lint(tmp_path, cache):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        return lint_paths(["run.yaml"], cache=cache)
    finally:
        os.chdir(cwd)


def _cache(tmp_path):
    return ResultCache(str(tmp_path / ".cache"), salt="test", max_bytes=1 << 20)


def test_warm_result_equals_cold_result(tmp_path):
    _project(tmp_path)
    cold = _lint(tmp_path, _cache(tmp_path))
    warm = _lint(tmp_path, _cache(tmp_path))
    assert warm.diagnostics == cold.diagnostics and warm.files == cold.files
    assert [d.message for d in warm.diagnostics] == [d.message for d in cold.diagnostics]
    assert cold.runs and not warm.runs  # the warm run parsed nothing


def test_editing_the_referenced_model_invalidates(tmp_path):
    _project(tmp_path)
    assert not any(d.code == "HNL103" for d in _lint(tmp_path, _cache(tmp_path)).diagnostics)
    (tmp_path / "model.json").write_text(json.dumps(dict(MODEL_1STAGE, d_model=[256])))
    assert any(d.code == "HNL103" for d in _lint(tmp_path, _cache(tmp_path)).diagnostics)


def test_results_that_depend_on_missing_files_are_not_cached(tmp_path):
    (tmp_path / "run.yaml").write_text(RUN)
    assert any(d.code == "HNL701" for d in _lint(tmp_path, _cache(tmp_path)).diagnostics)
    (tmp_path / "model.json").write_text(json.dumps(MODEL_1STAGE))  # the model appears
    assert not any(d.code == "HNL701" for d in _lint(tmp_path, _cache(tmp_path)).diagnostics)


def test_data_globs_are_rechecked_every_time(tmp_path):
    _project(tmp_path, RUN + "data: {train: corpus/*.txt}\n")
    assert any(d.code == "HNL702" for d in _lint(tmp_path, _cache(tmp_path)).diagnostics)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("text")
    assert not any(d.code == "HNL702" for d in _lint(tmp_path, _cache(tmp_path)).diagnostics)


def test_a_warm_cli_run_imports_neither_yaml_nor_pydantic(tmp_path):
    _project(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("HNET_LINT_NO_CACHE", None)
    probe = ("import sys, runpy\nsys.argv = ['hnet-lint', 'run.yaml', '--isolated']\n"
             "try:\n    runpy.run_module('hnet_lint', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('LOADED', ' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    first = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert first.stdout == second.stdout and "HNL" in first.stdout
    loaded = set(second.stderr.split("LOADED", 1)[1].split())
    assert "yaml" in set(first.stderr.split("LOADED", 1)[1].split())
    assert not {"yaml", "pydantic"} & loaded
    assert (tmp_path / ".hnet-lint-cache" / ".gitignore").is_file()


def test_no_cache_writes_nothing(tmp_path):
    _project(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "hnet_lint", "run.yaml", "--no-cache"], cwd=tmp_path,
                   env=env, capture_output=True)
    assert not (tmp_path / ".hnet-lint-cache").exists()


def test_skip_unrecognized_is_not_served_a_named_file_result(tmp_path):
    """The same non-config file, named (HNL011) then skipped (pre-commit hook): the cached
    result of the first run must not leak into the second."""
    (tmp_path / "notes.yaml").write_text("title: not an H-Net config\n")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        named = lint_paths(["notes.yaml"], cache=_cache(tmp_path))
        skipped = lint_paths(["notes.yaml"], cache=_cache(tmp_path), skip_unrecognized=True)
    finally:
        os.chdir(cwd)
    assert [d.code for d in named.diagnostics] == ["HNL011"] and named.files == ["notes.yaml"]
    assert skipped.diagnostics == [] and skipped.files == []
