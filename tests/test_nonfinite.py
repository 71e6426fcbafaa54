"""NaN and infinity are never a hyperparameter, however the file spells them (YAML's .nan,
JSON's NaN, or hierarchical-hnet's "nan", which its argparse accepts); only a clipping
threshold may be infinite ("never clip"). They used to pass silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hnet_lint.api import lint_paths

from .conftest import ROOT

RECOMMENDED = (ROOT / "examples" / "recommended.yaml").read_text()


def _native(tmp_path: Path, old: str, new: str) -> list:
    (tmp_path / "models").mkdir()
    for model in (ROOT / "examples" / "models").glob("*.json"):
        (tmp_path / "models" / model.name).write_text(model.read_text())
    assert old in RECOMMENDED
    path = tmp_path / "run.yaml"
    path.write_text(RECOMMENDED.replace(old, new, 1))
    return lint_paths([str(path)]).active


def _value_line(old: str) -> int:
    return RECOMMENDED[:RECOMMENDED.index(old)].count("\n") + 1


@pytest.mark.parametrize("old,new", [
    ("lr: 2.0e-4", "lr: .nan"),
    ("lr: 2.0e-4", "lr: .inf"),
    ("temperature: 0.8", "temperature: .nan"),
    ("lr_multiplier: [2.0, 1.5, 1.0]", "lr_multiplier: [2.0, .nan, 1.0]"),
])
def test_non_finite_values_are_errors_at_the_value(tmp_path, old, new):
    errors = [d for d in _native(tmp_path, old, new) if d.code == "HNL007"]
    assert len(errors) == 1 and "finite number" in errors[0].message
    assert errors[0].span.line == _value_line(old)


def test_an_infinite_clip_threshold_is_clipping_off_and_nan_is_no_threshold(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    inf = _native(tmp_path / "a", "grad_clip: 1.0", "grad_clip: .inf")
    assert [d.message for d in inf if d.code == "HNL307"] == [
        "grad_clip inf never triggers: clipping is off"]
    assert not [d for d in inf if d.code == "HNL007"]
    nan = _native(tmp_path / "b", "grad_clip: 1.0", "grad_clip: .nan")
    assert [d.code for d in nan if "NaN" in d.message] == ["HNL306"]


def test_hierarchical_hnet_nan_that_argparse_accepts_is_an_error(tmp_path):
    data = json.loads((ROOT / "examples" / "hierarchical-hnet" / "training_configs"
                       / "2stage_XL" / "hyperparams.json").read_text())
    data.update(trainer="hierarchical-hnet@d28b7c4", learning_rate="nan")
    path = tmp_path / "hyperparams.json"
    path.write_text(json.dumps(data, indent=1))
    errors = [d for d in lint_paths([str(path)]).active if d.code == "HNL007"]
    assert [("learning_rate" in json.dumps(d.path), "finite number" in d.message)
            for d in errors] == [(True, True)]
