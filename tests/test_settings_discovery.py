"""Settings and cache follow the files, not the working directory (ruff's hierarchical
configuration and project-root cache): each file gets the nearest `pyproject.toml` /
`.hnet-lint.toml` above it up to its repository root, and one cache lives at the root."""

from __future__ import annotations

import os
import subprocess
import sys

from .gate_helpers import make_repo, subprocess_env


def _cli(cwd, *args, **env):
    full = subprocess_env(**env)
    full.pop("HNET_LINT_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "hnet_lint", "--no-source", *args], cwd=cwd,
                          env=full, capture_output=True, text=True)


def _codes(proc) -> set[str]:
    return {line.split()[1] for line in proc.stdout.splitlines() if ": HNL" in line}


def test_a_file_gets_its_own_repositorys_settings_from_anywhere(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "pyproject.toml").write_text('[tool.hnet-lint]\nignore = ["HNL301", "HNL4"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = repo / "examples" / "incident" / "original.yaml"
    from_inside = _cli(repo, "examples/incident/original.yaml")
    from_outside = _cli(elsewhere, str(target))
    assert "HNL301" not in _codes(from_outside) and "HNL401" not in _codes(from_outside)
    assert _codes(from_inside) == _codes(from_outside) and "HNL204" in _codes(from_outside)


def test_the_nearest_settings_file_wins_per_folder(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "pyproject.toml").write_text('[tool.hnet-lint]\nignore = ["HNL301"]\n')
    (repo / "examples" / "incident" / ".hnet-lint.toml").write_text('ignore = ["HNL204"]\n')
    proc = _cli(repo, "examples")
    by_file: dict[str, set[str]] = {}
    for line in proc.stdout.splitlines():
        if ": HNL" in line:
            by_file.setdefault(line.split(":")[0], set()).add(line.split()[1])
    assert "HNL301" in by_file["examples/incident/original.yaml"]  # the nearer file rules
    assert "HNL204" not in by_file["examples/incident/original.yaml"]
    assert "HNL301" not in by_file.get("examples/recommended.yaml", set())


def test_patterns_are_relative_to_their_settings_file(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "pyproject.toml").write_text(
        '[tool.hnet-lint.per-file-ignores]\n"examples/incident/*" = ["HNL2"]\n')
    proc = _cli(tmp_path, str(repo / "examples" / "incident" / "original.yaml"))
    assert not any(c.startswith("HNL2") for c in _codes(proc)) and _codes(proc)


def test_config_and_isolated_still_win(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "pyproject.toml").write_text('[tool.hnet-lint]\nignore = ["HNL301"]\n')
    (tmp_path / "other.toml").write_text('ignore = ["HNL204"]\n')
    target = "examples/incident/original.yaml"
    assert "HNL301" in _codes(_cli(repo, target, "--isolated"))
    named = _codes(_cli(repo, target, "--config", str(tmp_path / "other.toml")))
    assert "HNL301" in named and "HNL204" not in named


def test_one_cache_at_the_repository_root(tmp_path):
    repo = make_repo(tmp_path)
    sub = repo / "examples" / "incident"
    _cli(sub, "original.yaml")
    _cli(repo / "examples", "recommended.yaml")
    caches = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob(".hnet-lint-cache"))
    assert [str(p) for p in caches] == [os.path.join("repo", ".hnet-lint-cache")]


def test_outside_a_repository_the_cache_is_in_the_user_cache_folder(tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "flat.json").write_text('{"learning_rate": 3e-4, "lr_multipliers": [1, 1]}\n')
    user = tmp_path / "xdg"
    _cli(loose, "flat.json", XDG_CACHE_HOME=str(user))
    assert not (loose / ".hnet-lint-cache").exists()
    assert (user / "hnet-lint" / ".gitignore").is_file()


def test_default_cache_dir(tmp_path, monkeypatch):
    from hnet_lint.check.cache import default_cache_dir

    monkeypatch.delenv("HNET_LINT_CACHE_DIR", raising=False)
    repo = make_repo(tmp_path, with_examples=False)
    (repo / "a" / "b").mkdir(parents=True)
    assert default_cache_dir(str(repo / "a" / "b")) == str(repo / ".hnet-lint-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir(str(tmp_path)) == str(tmp_path / "xdg" / "hnet-lint")
    monkeypatch.setenv("HNET_LINT_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir(str(repo)) == str(tmp_path / "mine")


def test_model_file_search_stops_at_the_folder_outside_a_repository(tmp_path):
    """Outside a repository a referenced model file is looked for next to the config and in
    the working directory only, never in every parent up to `/`."""
    from hnet_lint.repo import folders_up_to_repo_root

    loose = tmp_path / "a" / "b"
    loose.mkdir(parents=True)
    assert folders_up_to_repo_root(str(loose), outside_repo="stop") == [str(loose)]
    (tmp_path / "a" / "m.json").write_text("{}")  # a same-named file in a parent
    (loose / "run.json").write_text('{"model_config": "m.json", "learning_rate": 3e-4}\n')
    proc = _cli(loose, "run.json", "--isolated")
    assert "HNL701" in _codes(proc)
    tried = proc.stdout.split("tried: ", 1)[1].split(")")[0]
    assert str(tmp_path / "a" / "m.json") not in tried and "/m.json" not in tried.split(", ")


def test_fail_on_covers_findings_in_a_referenced_model_file(tmp_path):
    """`fail-on = "error"` (settings or command line) judges a warning in the model JSON that
    a run config references by the run config's settings: exit 0, not 1."""
    import json

    from .conftest import MODEL_1STAGE

    repo = make_repo(tmp_path, with_examples=False)
    model = dict(MODEL_1STAGE, d_intermediate=[256, 768])  # HNL118 warning in model.json
    (repo / "model.json").write_text(json.dumps(model))
    (repo / "run.yaml").write_text("model: model.json\n")
    proc = _cli(repo, "--isolated", "run.yaml")
    assert proc.returncode == 1 and "model.json" in proc.stdout and "HNL118" in proc.stdout
    assert _cli(repo, "--isolated", "--fail-on", "error", "run.yaml").returncode == 0
    (repo / ".hnet-lint.toml").write_text('fail-on = "error"\n')
    assert _cli(repo, "run.yaml").returncode == 0
