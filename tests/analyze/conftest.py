"""Fixtures: a config file next to the generated logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import CONFIG


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(CONFIG)
    return str(path)
