"""The committed JSON Schemas match the models, carry field docs, and accept the examples."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
import yaml

from hnet_lint.load.schemagen import FILENAMES, build_schema, schema_text

from .gate_helpers import ROOT, subprocess_env


@pytest.mark.parametrize("kind", sorted(FILENAMES))
def test_committed_schema_is_fresh(kind):
    """Compared as JSON values, not text: pydantic releases print the same bound as ``0`` or
    ``0.0`` (equal as JSON numbers), and the files must stay fresh under any of them."""
    path = ROOT / "schemas" / FILENAMES[kind]
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(schema_text(kind)), (
        f"{path} is stale: run `python -m hnet_lint schema --write schemas`")


@pytest.mark.parametrize("kind", sorted(FILENAMES))
def test_schema_is_valid_and_documented(kind):
    schema = build_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    described = [p for p in schema["properties"].values() if p.get("description")]
    assert len(described) == len(schema["properties"])


def test_examples_validate():
    validator = jsonschema.Draft202012Validator(build_schema("native"))
    for name in ("recommended.yaml", "incident/original.yaml"):
        data = yaml.safe_load((ROOT / "examples" / name).read_text())
        assert not list(validator.iter_errors(data)), name
    model = jsonschema.Draft202012Validator(build_schema("model"))
    data = json.loads((ROOT / "examples" / "models" / "hnet_2stage_XL.json").read_text())
    assert not list(model.iter_errors(data))


def test_cli_prints_schema():
    run = subprocess.run([sys.executable, "-m", "hnet_lint", "schema", "flat"],
                         capture_output=True, text=True, env=subprocess_env())
    assert run.returncode == 0 and json.loads(run.stdout)["title"] == "FlatConfig"
