"""Fixtures for the model-info tests."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import REFERENCE_NAMES, load_reference


@pytest.fixture(params=REFERENCE_NAMES)
def reference(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Each of the six official configs with its instantiated state_dict dump."""
    return load_reference(request.param)
