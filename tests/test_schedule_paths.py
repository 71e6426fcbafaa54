"""Which keys each trainer version's scheduler branch consumes, and HNL311 derived from it.

Oracle: each version's ``scripts/train.py`` / ``training/utils.py`` (``get_lr_scheduler``) in
JohannesWesch/hierarchical-hnet, and if001/hnet's ``hnet/training/trainer.py``, as the
profile docstrings cite them. Every profiled version x every scheduler choice is checked.
"""

from __future__ import annotations

import json

import pytest

from hnet_lint.api import lint_paths
from hnet_lint.check.settings import Settings
from hnet_lint.load.trainers import PROFILES
from hnet_lint.load.trainers.effective import (
    effective_schedule, schedule_path, schedule_paths, used_only_when)
from hnet_lint.load.trainers.hierarchical import VERSIONS

HH = "hierarchical-hnet"
WSD_SHAPE = {"warmup_ratio", "stable_ratio", "decay_ratio", "decay_type"}
#: the schedule keys the WSD-era loader reads (8dbea2d and d28b7c4)
WSD_ERA_SCHEDULE = WSD_SHAPE | {"min_lr", "lr_scheduler", "scale_lr_by_world_size"}
#: per scheduler: the WSD-era schedule keys that branch leaves unused
UNUSED = {
    "wsd": set(),
    "cosine": WSD_SHAPE,  # 10% warmup, cosine to min_lr
    "linear": WSD_SHAPE | {"min_lr"},  # get_linear_schedule_with_warmup takes no floor
    "constant": WSD_SHAPE | {"min_lr"},
}


def _values(**extra):
    values = {"model_config": "m.json", "learning_rate": 2e-4, "lr_multipliers": [2.0, 1.0],
              "num_training_steps": 10000, "gradient_accumulation_steps": 1,
              "warmup_ratio": 0.05, "stable_ratio": 0.75, "decay_ratio": 0.2,
              "decay_type": "linear", "min_lr": 1e-5, "scale_lr_by_world_size": False,
              "warmup_steps": 300}
    values.update(extra)
    return values


def _factors(eff):
    return [round(eff.lr(j, s), 15) for j in range(0, eff.optimizer_steps, 97)
            for s in range(len(eff.multipliers))]


WSD_ERA = [v for v, p in VERSIONS.items() if p.reads("lr_scheduler")]
FIRST = [v for v, p in VERSIONS.items() if not p.reads("lr_scheduler")]


def test_the_versions_split_as_the_profiles_say():
    assert sorted(WSD_ERA) == ["8dbea2d", "d28b7c4"]
    assert sorted(FIRST) == ["3f5944b", "d792a0e"]


@pytest.mark.parametrize("version", WSD_ERA)
@pytest.mark.parametrize("scheduler", sorted(UNUSED))
def test_wsd_era_branch_consumes_what_get_lr_scheduler_uses(version, scheduler):
    profile = VERSIONS[version]
    path = schedule_path(profile, _values(lr_scheduler=scheduler))
    assert path.known and path.selector == ("lr_scheduler", scheduler)
    assert WSD_ERA_SCHEDULE - path.consumed == UNUSED[scheduler]
    assert "warmup_steps" not in path.consumed  # the loader never passes it


@pytest.mark.parametrize("version", WSD_ERA)
@pytest.mark.parametrize("scheduler", sorted(UNUSED))
def test_an_unconsumed_key_changes_nothing_and_a_consumed_one_does(version, scheduler):
    """The recorded set is the schedule's real dependence: changing a key the branch did not
    consume leaves every LR as it was; changing min_lr moves the LR where it is consumed."""
    profile = VERSIONS[version]
    base = _values(lr_scheduler=scheduler)
    ref = _factors(effective_schedule(profile, base, num_stages=1))
    changes = [{"warmup_ratio": 0.15, "stable_ratio": 0.65}, {"stable_ratio": 0.5,
               "decay_ratio": 0.45}, {"decay_type": "cosine"}, {"min_lr": 1e-4}]
    for change in changes:  # the ratios keep summing to 1 (the trainer asserts it)
        changed = _factors(effective_schedule(profile, {**base, **change}, num_stages=1))
        assert (changed == ref) == (set(change) <= UNUSED[scheduler]), change


@pytest.mark.parametrize("version", FIRST)
def test_first_loader_has_one_cosine_branch_on_warmup_steps(version):
    profile = VERSIONS[version]
    paths = schedule_paths(profile, _values(lr_scheduler="wsd"))
    assert len(paths) == 1 and paths[0].selector is None
    assert "warmup_steps" in paths[0].consumed
    assert not (WSD_ERA_SCHEDULE & paths[0].consumed)
    short = effective_schedule(profile, _values(warmup_steps=100), num_stages=1)
    long = effective_schedule(profile, _values(warmup_steps=900), num_stages=1)
    assert (short.warmup_end, long.warmup_end) == (100, 900)


def test_reading_an_unrecorded_key_is_a_programming_error():
    path = schedule_path(VERSIONS["d28b7c4"], _values(lr_scheduler="linear"))
    with pytest.raises(LookupError):
        path.value("min_lr")


def test_unknown_scheduler_is_no_branch():
    path = schedule_path(VERSIONS["d28b7c4"], _values(lr_scheduler="cosin"))
    assert not path.known


def test_used_only_when_names_the_branches():
    paths = schedule_paths(VERSIONS["d28b7c4"], _values())
    assert used_only_when("min_lr", paths) == "lr_scheduler is cosine or wsd"
    assert used_only_when("decay_type", paths) == "lr_scheduler is wsd"


def test_if001_warmup_steps_used_only_without_max_steps():
    profile = PROFILES["if001-hnet@c3a898f"]
    values = {"model_config_path": "m.json", "max_steps": 1000, "warmup_steps": 50,
              "lr_multipliers": [1.0, 1.0]}
    assert "warmup_steps" not in schedule_path(profile, values).consumed
    assert "warmup_steps" in schedule_path(profile, {**values, "max_steps": None}).consumed


# -- HNL311 end to end ------------------------------------------------------------------

def _hnl311(tmp_path, data, name="hyperparams.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    result = lint_paths([str(path)], settings=Settings(select=("HNL311",)))
    return {d.path[0]: d.message for d in result.diagnostics if d.code == "HNL311"}


@pytest.mark.parametrize("version", WSD_ERA)
@pytest.mark.parametrize("scheduler", sorted(UNUSED))
def test_hnl311_reports_each_key_the_branch_ignores(tmp_path, version, scheduler):
    data = _values(trainer=f"{HH}@{version}", lr_scheduler=scheduler)
    if VERSIONS[version].reads("downsampling_factors"):
        data["downsampling_factors"] = [3.0]
    data.pop("warmup_steps")
    found = _hnl311(tmp_path, data)
    assert set(found) == UNUSED[scheduler]
    for key in found:
        assert f"lr_scheduler {scheduler}" in found[key]
        assert "used only when lr_scheduler is" in found[key]


def test_hnl311_issue_example_cosine_default_and_linear_min_lr(tmp_path):
    found = _hnl311(tmp_path, {"model_config": "m.json", "learning_rate": 3e-4,
                               "lr_multipliers": "2.0,1.0", "num_training_steps": 20000,
                               "gradient_accumulation_steps": 1, "warmup_ratio": 0.02,
                               "downsampling_factors": [3.0]})
    assert set(found) == {"warmup_ratio"}
    assert "10% of num_training_steps (2000 steps)" in found["warmup_ratio"]
    found = _hnl311(tmp_path, {"model_config": "m.json", "learning_rate": 3e-4,
                               "lr_multipliers": "2.0,1.0", "num_training_steps": 20000,
                               "gradient_accumulation_steps": 1, "lr_scheduler": "linear",
                               "min_lr": 1e-4, "downsampling_factors": [3.0]})
    assert set(found) == {"min_lr"}
    assert "lr_scheduler is cosine or wsd" in found["min_lr"]


@pytest.mark.parametrize("version", FIRST)
def test_hnl311_first_loader_says_the_schedule_is_cosine_on_warmup_steps(tmp_path, version):
    data = {**_values(trainer=f"{HH}@{version}", lr_scheduler="wsd"), "lr_multipliers": "2,1"}
    found = _hnl311(tmp_path, data)
    assert WSD_ERA_SCHEDULE <= set(found)
    assert "always cosine: warmup for warmup_steps (300)" in found["warmup_ratio"]
    assert "warmup_steps" not in found


def test_hnl311_keeps_the_keys_no_version_uses(tmp_path):
    data = _values(lr_scheduler="wsd", weight_decay=0.1, dropout=0.1, label_smoothing=0.0,
                   downsampling_factors=[3.0])
    found = _hnl311(tmp_path, data)
    assert {"weight_decay", "dropout", "warmup_steps"} == set(found)  # 0.0 smoothing: silent
    assert "AdamW's default 0.01" in found["weight_decay"]
    assert "lr_scheduler wsd" in found["warmup_steps"]


def test_hnl311_if001_record_reports_only_a_changed_default(tmp_path):
    base = {"model_config_path": "m.json", "max_steps": 1000, "learning_rate": 3e-4,
            "lr_multipliers": [1.0, 1.0]}
    assert _hnl311(tmp_path, {**base, "warmup_steps": 20}, "training_config.json") == {}
    found = _hnl311(tmp_path, {**base, "warmup_steps": 500}, "training_config.json")
    assert set(found) == {"warmup_steps"} and "max_steps is null" in found["warmup_steps"]
    assert _hnl311(tmp_path, {**base, "max_steps": None, "warmup_steps": 500},
                   "training_config.json") == {}


def test_unwritten_min_lr_is_the_argparse_default_floor() -> None:
    """A file that does not write min_lr still gets scripts/train.py's argparse default (1e-5):
    the cosine ends at 1e-5 / 3e-4 of peak, not at 0 (a regression caught while merging)."""
    from hnet_lint.api import lint_paths
    from hnet_lint.load.trainers.effective import schedule_of

    report = lint_paths(["examples/incident/original-flat.json"])
    eff = schedule_of(next(iter(report.runs.values())))
    assert eff.name == "cosine"
    assert abs(eff.factor(eff.scheduler_total) - 1e-5 / 3e-4) < 1e-9
