""""Did you mean" prefers the key whose words match, in any order, over a shorter key that
only shares a prefix (issue 18, item 9)."""

from __future__ import annotations

import json

import pytest

from hnet_lint.api import lint_paths
from hnet_lint.load.suggest import suggest
from hnet_lint.load.trainers import PROFILES

HH = list(PROFILES["hierarchical-hnet@d28b7c4"].keys)
IF001 = list(PROFILES["if001-hnet@c3a898f"].keys)


@pytest.mark.parametrize("word, keys, expected", [
    ("learnig_rate_min", IF001, "min_learning_rate"),  # the case
    ("learnig_rate_min", HH, "min_lr"),  # lr spelled out
    ("lr_min", HH, "min_lr"),
    ("lerning_rate", HH, "learning_rate"),
    ("warmup_ration", HH, "warmup_ratio"),
    ("learning_rate_scheduler", HH, "lr_scheduler"),
    ("HNL2O4", ["HNL204", "HNL205"], "HNL204"),
])
def test_suggests_the_closest_key(word, keys, expected):
    assert suggest(word, keys) == f"; did you mean {expected!r}?"


def test_one_shared_word_is_not_enough():
    assert suggest("foo_rate", HH) == ""
    assert suggest("zzz", HH) == ""


def test_lint_message_names_the_closer_key(tmp_path):
    path = tmp_path / "training_config.json"
    path.write_text(json.dumps({"model_config_path": "m.json", "max_steps": 10,
                                "learning_rate": 3e-4, "learnig_rate_min": 1e-5}))
    found = [d.message for d in lint_paths([str(path)]).diagnostics if d.code == "HNL009"]
    assert found == ["unknown key 'learnig_rate_min'; did you mean 'min_learning_rate'?"]
