"""Rule options have declared types and ranges; a bad value is a usage error (exit 2) that
names the option, the value and what is allowed, from the command line and from settings
files alike, never a crashed rule (HNL012) or an absurd threshold."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hnet_lint.catalog import catalog
from hnet_lint.check.options import fraction, integer, option_problems, positive, spec_of

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FLAT = {"model_config": "m.json", "learning_rate": 3e-4, "lr_multipliers": "2.0,1.0",
        "num_training_steps": 20000, "gradient_accumulation_steps": 1}


def _run(args, cwd):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "hnet_lint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_default_satisfies_its_own_declaration():
    for code, meta in catalog().items():
        for name, default in meta.options.items():
            assert spec_of(meta, name).problem(default) is None, (code, name, default)
        assert option_problems(code, meta, dict(meta.options)) == [], code


def test_static_and_dryrun_options_are_declared_not_inferred():
    for code, meta in catalog().items():
        if code < "HNL900":  # analyzer options are typed by their defaults
            assert set(meta.option_specs) == set(meta.options), code


@pytest.mark.parametrize("value, why", [
    ("abc", "'abc' is not a number"),
    (True, "true is not a number"),
    (float("inf"), "inf is not a finite number"),
    (5, "5 is out of range (a fraction, not a percentage: write 0.05 for 5%)"),
    ("5%", "'5%' is not a number (write 0.05 for 5%)"),
    (-0.1, "-0.1 is out of range"),
])
def test_fraction_refusals(value, why):
    assert fraction(0.05).problem(value) == why
    assert fraction(0.05).describe() == "a fraction in [0, 1]"


def test_other_kinds():
    assert fraction(0.05).problem(0.0) is None and fraction(0.05).problem(1) is None
    assert positive(3.0).problem(0) == "0 is out of range"
    assert positive(3.0).describe() == "a number > 0"
    assert integer(64).problem(64.0) == "64.0 is not an integer (write 64)"
    assert integer(64).problem(0) == "0 is out of range"
    assert integer(64).describe() == "an integer >= 1"


def test_order_of_a_min_max_pair():
    meta = catalog()["HNL503"]
    assert option_problems("HNL503", meta, {"min": 20}) == [
        "option HNL503.min: 20 is above HNL503.max = 16.0; expected min <= max"]
    assert option_problems("HNL503", meta, {"min": 2, "max": 20}) == []


@pytest.mark.parametrize("option, message", [
    ("HNL204.max_ratio=abc",
     "option HNL204.max_ratio: 'abc' is not a number; expected a number >= 1"),
    ("HNL301.min_fraction=5", "write 0.05 for 5%); expected a fraction in [0, 1]"),
    ("HNL309.min_reach=1.5", "option HNL309.min_reach: 1.5 is out of range"),
    ("HNL803.max_frozen_fraction=half", "option HNL803.max_frozen_fraction: 'half'"),
    ("HNL809.consecutive=0", "option HNL809.consecutive: 0 is out of range; expected an "
                             "integer >= 1"),
])
def test_command_line_bad_value_exits_2(tmp_path, option, message):
    (tmp_path / "hyperparams.json").write_text(json.dumps(FLAT))
    proc = _run(["hyperparams.json", "--isolated", "--option", option], tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "HNL012" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_settings_file_bad_value_exits_2(tmp_path):
    (tmp_path / "hyperparams.json").write_text(json.dumps(FLAT))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hnet-lint.options.HNL301]\nmin_fraction = "five percent"\n')
    proc = _run(["hyperparams.json"], tmp_path)
    assert proc.returncode == 2
    assert ("pyproject.toml: option HNL301.min_fraction: 'five percent' is not a number; "
            "expected a fraction in [0, 1]") in proc.stderr


def test_settings_file_by_rule_name_and_cross_source_order(tmp_path):
    (tmp_path / "hyperparams.json").write_text(json.dumps(FLAT))
    (tmp_path / ".hnet-lint.toml").write_text('[options.target-ratio-out-of-range]\nmax = 2.0\n')
    proc = _run(["hyperparams.json", "--option", "HNL503.min=3"], tmp_path)
    assert proc.returncode == 2
    assert "option HNL503.min: 3 is above HNL503.max = 2.0" in proc.stderr
    (tmp_path / ".hnet-lint.toml").write_text('[options.target-ratio-out-of-range]\nmax = -1\n')
    proc = _run(["hyperparams.json"], tmp_path)
    assert proc.returncode == 2 and "option HNL503.max: -1 is out of range" in proc.stderr


def test_a_good_value_is_used(tmp_path):
    data = {**FLAT, "warmup_ratio": 0.02, "lr_scheduler": "wsd", "stable_ratio": 0.78,
            "decay_ratio": 0.2, "downsampling_factors": [3.0]}
    (tmp_path / "hyperparams.json").write_text(json.dumps(data))
    strict = _run(["hyperparams.json", "--isolated", "--select", "HNL301",
                   "--option", "HNL301.min_fraction=0.05"], tmp_path)
    loose = _run(["hyperparams.json", "--isolated", "--select", "HNL301",
                  "--option", "HNL301.min_fraction=0.01"], tmp_path)
    assert "HNL301" in strict.stdout and "(below 5%)" in strict.stdout
    assert "HNL301" not in loose.stdout and loose.returncode == 0
