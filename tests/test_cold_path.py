"""Cold start: a lint validates with pydantic-core from the generated core schemas, so it
creates no pydantic ``BaseModel`` class (pydantic's schema machinery stays unimported); it
builds only the validators its files need; and the static path never imports torch,
jsonschema or jinja2. (Speed itself is measured in bench/lint_speed.py, never asserted here.)

Under a pydantic release other than the one ``coreschemas`` was generated with, the first
lint derives the tables from the classes and caches them (tests/test_coreschemas.py); these
tests look at a lint after that, whichever release is installed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .gate_helpers import make_repo, subprocess_env

PROBE = """\
import sys
from hnet_lint.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
from hnet_lint.load import records
print("BUILT", " ".join(sorted(records._VALIDATORS)), file=sys.stderr)
print("LOADED", " ".join(sorted(sys.modules)), file=sys.stderr)
"""


def _run(repo, *args) -> tuple[set[str], set[str], str]:
    """(modules imported, validators built, output) of one lint in a fresh process, after a
    first one has found the core-schema tables for the installed pydantic."""
    env = subprocess_env(HNET_LINT_CACHE_DIR=str(repo.parent / "user-cache"))
    warm = [sys.executable, "-c", "from hnet_lint.load.coretables import tables; tables()"]
    subprocess.run(warm, cwd=repo, env=env, check=True)
    proc = subprocess.run([sys.executable, "-c", PROBE, "--no-cache", "--isolated", *args],
                          cwd=repo, env=env, capture_output=True, text=True)
    assert "LOADED" in proc.stderr, proc.stderr
    built = proc.stderr.split("BUILT", 1)[1].split("LOADED", 1)[0].split()
    return set(proc.stderr.split("LOADED", 1)[1].split()), set(built), proc.stdout


def _modules(repo, *args) -> set[str]:
    return _run(repo, *args)[0]


#: what importing pydantic's BaseModel machinery loads (a lint must not)
PYDANTIC_MODELS = {"pydantic.main", "pydantic._internal._model_construction",
                   "pydantic._internal._generate_schema"}


@pytest.mark.parametrize("target,needed,unneeded", [
    ("examples/models/hnet_2stage_XL.json", {"HNetModelConfig"},
     {"OptimizerSection", "FlatConfig"}),
    ("examples/recommended.yaml", {"HNetModelConfig", "OptimizerSection", "TrainingSection"},
     {"FlatConfig"}),
])
def test_a_lint_validates_without_pydantic_model_classes(tmp_path, target, needed, unneeded):
    loaded, built, _ = _run(make_repo(tmp_path), target)
    assert needed <= built and not unneeded & built, built
    assert not PYDANTIC_MODELS & loaded
    assert not {m for m in loaded if m.startswith("hnet_lint.load.schema")}


def test_a_flat_file_with_type_errors_is_validated_without_model_classes(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    (repo / "hyperparams.json").write_text(
        '{"learning_rate": "3e-4", "lr_multipliers": [3.0, 1.7], "num_training_steps": 10,'
        ' "bogus": 1}')
    loaded, built, out = _run(repo, "hyperparams.json")
    assert "FlatConfig" in built
    assert "HNL007" in out and "learning_rate" in out  # the string was reported
    assert not PYDANTIC_MODELS & loaded


def test_the_static_path_imports_no_torch_jsonschema_or_jinja2(tmp_path):
    loaded = _modules(make_repo(tmp_path), "examples/")
    assert not {"torch", "jsonschema", "jinja2"} & loaded


def test_a_run_of_only_unparseable_files_never_imports_pydantic_models(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    (repo / "a.yaml").write_text("model: [unclosed\n")
    loaded = _modules(repo, "a.yaml")
    assert "hnet_lint.load.coreschemas" not in loaded and "pydantic.main" not in loaded
