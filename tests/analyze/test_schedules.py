"""The schedule functions shared with the dry-run."""

from __future__ import annotations

import math

import pytest

from hnet_lint.schedules import Schedule


def test_cosine_warmup_and_floor() -> None:
    s = Schedule(peak_lr=1.0, total_steps=1100, warmup_steps=100, min_lr=0.1)
    assert s.lr(0) == 0 and s.lr(50) == 0.5 and s.lr(100) == 1.0
    assert math.isclose(s.lr(600), 0.55)
    assert math.isclose(s.lr(1100), 0.1) and math.isclose(s.lr(5000), 0.1)


def test_linear_and_constant() -> None:
    assert math.isclose(Schedule(1.0, 200, "linear", 0).lr(100), 0.5)
    assert Schedule(1.0, 200, "constant", 10).lr(150) == 1.0


@pytest.mark.parametrize("kind, mid", [("linear", 0.55), ("cosine", 0.55),
                                       ("sqrt", 1 - math.sqrt(0.5) * 0.9),
                                       ("inverse_sqrt", 1 / math.sqrt(1 + 0.5 * 99)),
                                       ("exponential", math.sqrt(0.1))])
def test_wsd_decay_types(kind: str, mid: float) -> None:
    s = Schedule(1.0, 1000, "wsd", 100, min_lr=0.1, decay_ratio=0.2, decay_type=kind)
    assert s.lr(500) == 1.0 and s.lr(800) == 1.0
    assert math.isclose(s.lr(900), mid, rel_tol=1e-9)
    assert math.isclose(s.lr(1000), 0.1, rel_tol=1e-9)


def test_wsd_stable_ratio_fills_the_rest() -> None:
    s = Schedule(1.0, 1000, "wsd", 100, stable_ratio=0.7)  # decay over the last 200
    assert s.lr(799) == 1.0 and s.lr(900) == 0.5


def test_unknown_names_raise() -> None:
    with pytest.raises(ValueError):
        Schedule(1.0, 10, "step")
