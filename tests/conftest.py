"""Shared fixtures: the repository root and a helper that lints text in a temp folder."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from hnet_lint.api import Report, lint_paths
from hnet_lint.check.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

#: The official model's state_dict names, shapes and totals, one JSON per official config.
OFFICIAL_PARAMS_DIR = ROOT / "tests" / "data" / "official-params"
OFFICIAL_CONFIGS = tuple(sorted(p.stem for p in OFFICIAL_PARAMS_DIR.glob("*.json")))

MODEL_1STAGE = {
    "arch_layout": ["m2", ["T4"], "m2"],
    "d_model": [256, 320],
    "d_intermediate": [0, 768],
    "vocab_size": 256,
    "ssm_cfg": {"chunk_size": 64, "d_conv": 4, "d_state": 32, "expand": 2},
    "attn_cfg": {"num_heads": [4, 4], "rotary_emb_dim": [16, 16], "window_size": [255, -1]},
    "tie_embeddings": False,
}


@pytest.fixture
def lint_text(tmp_path: Path):
    """Write ``files`` (name -> text) into a temp dir and lint the first one."""

    def run(files: dict[str, str], settings: Settings | None = None) -> Report:
        names = list(files)
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            return lint_paths([names[0]], settings)
        finally:
            os.chdir(cwd)

    return run


@pytest.fixture(autouse=True, scope="session")
def _user_cache_in_a_temp_folder(tmp_path_factory: pytest.TempPathFactory):
    """Runs outside a repository keep their cache in the user's cache folder: point it
    (for this process and the subprocesses it starts) at a temp folder."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


def pytest_addoption(parser: pytest.Parser) -> None:
    """``pytest --update-golden`` rewrites ``rules/*/expected.txt`` from the current output."""
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden expected.txt of every rule case folder")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites goldens instead of comparing against them."""
    return bool(request.config.getoption("--update-golden"))
