"""Cold start: a run builds only the schema of the dialect its files need, and the static
path never imports torch, jsonschema or jinja2. (Speed itself is measured in
bench/lint_speed.py, never asserted here.)"""

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
print("LOADED", " ".join(sorted(sys.modules)), file=sys.stderr)
"""


def _modules(repo, *args) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, "--no-cache", "--isolated", *args],
                          cwd=repo, env=subprocess_env(), capture_output=True, text=True)
    assert "LOADED" in proc.stderr, proc.stderr
    return set(proc.stderr.split("LOADED", 1)[1].split())


@pytest.mark.parametrize("target,needed,unneeded", [
    ("examples/models/hnet_2stage_XL.json", {"model"}, {"native", "flat"}),
    ("examples/recommended.yaml", {"model", "native"}, {"flat"}),
])
def test_only_the_dialect_a_file_needs_is_imported(tmp_path, target, needed, unneeded):
    loaded = _modules(make_repo(tmp_path), target)
    for name in needed:
        assert f"hnet_lint.load.schema.{name}" in loaded
    for name in unneeded:
        assert f"hnet_lint.load.schema.{name}" not in loaded


def test_the_static_path_imports_no_torch_jsonschema_or_jinja2(tmp_path):
    loaded = _modules(make_repo(tmp_path), "examples/")
    assert not {"torch", "jsonschema", "jinja2"} & loaded


def test_a_run_of_only_unparseable_files_never_imports_pydantic_models(tmp_path):
    repo = make_repo(tmp_path, with_examples=False)
    (repo / "a.yaml").write_text("model: [unclosed\n")
    loaded = _modules(repo, "a.yaml")
    assert "hnet_lint.load.schema.base" not in loaded and "pydantic.main" not in loaded
