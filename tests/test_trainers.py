"""Trainer profiles: selection, what each trainer version does with a flat file, the
effective schedule, the history corpus of hierarchical-hnet and the log check.

The corpus under tests/data/trainers/ is written for hnet-lint in its own layout (keys grouped
by model, optimizer, schedule, batch, precision, routing, loss, operations; lists inline): the
keys and values of the hyperparams.json files in JohannesWesch/hierarchical-hnet's history, one
folder per commit, with our own output paths. Each file is judged by the trainer version of
its own commit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from hnet_lint.api import lint_paths
from hnet_lint.check.settings import Settings
from hnet_lint.cli import cli
from hnet_lint.diagnostics import HnetLintError, Severity
from hnet_lint.load.trainers import PROFILES, resolve, select_profile
from hnet_lint.load.trainers.effective import LoggedSchedule, effective_schedule, schedule_of

from .conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "trainers" / "hierarchical-hnet"
HISTORY = sorted(CORPUS.glob("training_configs/*/*/hyperparams.json"))
HH = "hierarchical-hnet"
TRAINER_CODES = {"HNL208", "HNL309", "HNL310", "HNL311", "HNL312", "HNL507"}
SMALL_MODEL = {
    "arch_layout": ["m2", ["T2"], "m2"], "d_model": [256, 320], "d_intermediate": [0, 768],
    "vocab_size": 256, "ssm_cfg": {"chunk_size": 64, "d_conv": 4, "d_state": 32, "expand": 2},
    "attn_cfg": {"num_heads": [4, 4], "rotary_emb_dim": [16, 16], "window_size": [255, -1]},
    "tie_embeddings": False,
}


def _lint(path: Path, trainer: str | None = None):
    return lint_paths([str(path)], Settings(trainer_option=trainer)).active


def _commit(path: Path) -> str:
    return path.parts[-3]


# --- selection ---------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "label", "how"), [
    ({"model_config": "m.json", "downsampling_factors": [6.0]}, f"{HH}@d28b7c4", "detected"),
    ({"model_config": "m.json", "lr_scheduler": "wsd"}, f"{HH}@d28b7c4", "assumed"),
    ({"model_config": "m.json", "lr_multipliers": "2.0,1.0"}, f"{HH}@d28b7c4", "assumed"),
    ({"model_config_path": "m.json", "grad_accum_steps": 16}, "if001-hnet@c3a898f", "detected"),
    ({"learning_rate": 3e-4, "lr_multipliers": [2.0, 1.0]}, "none", "none"),
    ({"trainer": "hierarchical-hnet@8dbea2d", "model_config": "m.json"}, f"{HH}@8dbea2d", "file"),
])
def test_selection_uses_only_unambiguous_evidence(data, label, how):
    sel = select_profile(data)
    assert (sel.label, sel.how) == (label, how)


def test_option_beats_the_file_key_and_the_setting():
    data = {"trainer": f"{HH}@8dbea2d", "model_config": "m.json"}
    assert select_profile(data, f"{HH}@3f5944b", "none").label == f"{HH}@3f5944b"
    assert select_profile({"model_config": "m.json"}, None, f"{HH}@8dbea2d").how == "setting"


@pytest.mark.parametrize(("spec", "version"), [
    (HH, "d28b7c4"), (f"{HH}@latest", "d28b7c4"), (f"{HH}@884a517", "d28b7c4"),
    (f"{HH}@c23788a", "3f5944b"), (f"{HH}@954705e", "8dbea2d"), (f"{HH}@64466f9", "d792a0e"),
])
def test_any_commit_a_version_covers_resolves_to_it(spec, version):
    assert resolve(spec).version == version


def test_unknown_trainer_is_a_usage_error():
    with pytest.raises(HnetLintError, match="unknown trainer"):
        resolve("hierarchical-hnet@0000000")
    result = CliRunner().invoke(cli, ["--trainer", "nope", str(HISTORY[0])])
    assert isinstance(result.exception, HnetLintError)  # main() turns it into exit 2


def test_a_bad_trainer_key_in_the_file_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "hp.json"
    path.write_text(json.dumps({"trainer": "nope", "model_config": "m.json"}))
    codes = {d.code for d in _lint(path)}
    assert "HNL007" in codes and "HNL012" not in codes


# --- effective schedule ------------------------------------------------------------------

def _hh_values(**kw):
    base = {"model_config": "m.json", "learning_rate": 2e-4, "lr_multipliers": [2.0, 1.5, 1.0],
            "num_training_steps": 100_000, "gradient_accumulation_steps": 4,
            "warmup_steps": 5000}
    base.update(kw)
    return base


def test_cosine_before_wsd_ends_near_89_percent_with_accumulation_4():
    """3f5944b: warmup 5000 of a 100000-step cosine, stepped 25000 times."""
    eff = effective_schedule(PROFILES[f"{HH}@3f5944b"], _hh_values(), num_stages=2)
    assert eff.optimizer_steps == 25_000
    assert eff.optimizer_step_reaching(eff.warmup_end) == 5000  # 20% of the run
    expected = 0.5 * (1 + math.cos(math.pi * (24_999 - 5000) / 95_000))
    assert eff.final_factor() == pytest.approx(expected) and 0.89 < expected < 0.90
    assert eff.lr_scale == 4.0 and eff.peak_lr == pytest.approx(8e-4)  # always x world size


def test_wsd_warmup_ends_at_80_percent_and_decay_never_starts():
    values = _hh_values(num_training_steps=200_000, gradient_accumulation_steps=8,
                        lr_scheduler="wsd", warmup_ratio=0.1, stable_ratio=0.7,
                        decay_ratio=0.2, min_lr=1e-5)
    eff = effective_schedule(PROFILES[f"{HH}@d28b7c4"], values, num_stages=2)
    assert eff.optimizer_steps == 25_000 and eff.warmup_end == 20_000
    assert eff.optimizer_step_reaching(eff.warmup_end) == 20_000  # 80% of the run
    assert eff.optimizer_step_reaching(eff.decay_start) is None
    assert eff.lr_scale == 1.0  # scale_lr_by_world_size absent
    assert eff.lr(24_999, 0) == pytest.approx(2e-4 * 2.0)


def test_wsd_with_one_step_per_update_reaches_min_lr():
    values = _hh_values(gradient_accumulation_steps=1, lr_scheduler="wsd", min_lr=1e-5,
                        decay_type="linear")
    eff = effective_schedule(PROFILES[f"{HH}@d28b7c4"], values, num_stages=2)
    assert eff.final_factor() == pytest.approx(1e-5 / 2e-4, rel=1e-3)


def test_first_version_steps_the_scheduler_every_100_micro_batches():
    eff = effective_schedule(PROFILES[f"{HH}@d792a0e"], _hh_values(), num_stages=2)
    assert eff.scheduler_step_of(eff.optimizer_steps - 1) == 1000
    assert eff.optimizer_step_reaching(eff.warmup_end) is None  # warmup never completes
    assert eff.final_factor() == pytest.approx(1000 / 5000)


def test_scale_key_and_world_size_override():
    values = _hh_values(lr_scheduler="wsd", scale_lr_by_world_size=True)
    profile = PROFILES[f"{HH}@d28b7c4"]
    assert effective_schedule(profile, values, 2).peak_lr == pytest.approx(8e-4)
    assert effective_schedule(profile, values, 2, world_size=8).peak_lr == pytest.approx(1.6e-3)


def test_if001_counts_optimizer_steps():
    values = {"learning_rate": 3.5e-4, "min_learning_rate": 3e-5, "max_steps": 1000,
              "lr_multipliers": [1.5, 1.2, 1.0], "grad_accum_steps": 16}
    eff = effective_schedule(PROFILES["if001-hnet@c3a898f"], values, num_stages=2)
    assert eff.optimizer_steps == 1000 and eff.warmup_end == 100
    assert eff.factor(99) == pytest.approx(1.0) and eff.factor(500) == 1.0
    assert eff.factor(999) == pytest.approx(3e-5 / 3.5e-4, rel=0.02)


# --- the history corpus ------------------------------------------------------------------

def test_corpus_covers_every_history_file():
    assert len(HISTORY) == 30  # 28 files in history + HEAD's two XL files (from 954705e)


@pytest.mark.parametrize("path", HISTORY, ids=lambda p: f"{p.parts[-3]}/{p.parts[-2]}")
def test_history_file_judged_by_its_own_commit(path: Path, monkeypatch):
    monkeypatch.chdir(path.parent)
    commit = _commit(path)
    found = _lint(Path("hyperparams.json"), f"{HH}@{commit}")
    codes = [d.code for d in found]
    data = json.loads(path.read_text())
    # HNL403 quotes the coefficient the trainer really uses
    decay = [d for d in found if d.code == "HNL403"]
    assert len(decay) == 1 and "default 0.01" in decay[0].message
    # the schedule finding wherever accumulation > 1 (every file in the history)
    assert (data["gradient_accumulation_steps"] > 1) == ("HNL309" in codes)
    # no error the trainer would not hit: the only error is the missing N at HEAD
    errors = {d.code for d in found if d.severity == Severity.ERROR}
    profile = resolve(f"{HH}@{commit}")
    raises = profile.target_ratio_policy == "required" and "downsampling_factors" not in data
    assert errors == ({"HNL507"} if raises else set()), [d.message for d in found]
    assert "HNL304" not in codes and "HNL308" not in codes and "HNL301" not in codes
    if "weight_decay" in data:
        assert any(d.code == "HNL311" and d.path == ("weight_decay",) for d in found)


def test_head_xl_files_get_the_missing_n_error():
    heads = [p for p in HISTORY if _commit(p) == "884a517" and "XL" in p.parts[-2]]
    assert len(heads) == 2
    for path in heads:
        assert "HNL507" in {d.code for d in _lint(path)}  # detected: the current trainer


def test_string_multipliers_become_an_error_only_as_a_list_for_old_versions(tmp_path):
    data = json.loads((CORPUS / "training_configs" / "c23788a" / "2stage_L" /
                       "hyperparams.json").read_text())
    data["lr_multipliers"] = [2.0, 1.5, 1.0]
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "hnet_2stage_L.json").write_text(
        (CORPUS / "configs" / "hnet_2stage_L.json").read_text())
    path = tmp_path / "hyperparams.json"
    path.write_text(json.dumps(data))
    assert "HNL208" in {d.code for d in _lint(path, f"{HH}@c23788a")}
    assert "HNL208" not in {d.code for d in _lint(path, f"{HH}@8dbea2d")}


# --- other trainers and none -------------------------------------------------------------

def _write(tmp_path: Path, data: dict) -> Path:
    (tmp_path / "model.json").write_text(json.dumps(SMALL_MODEL))
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def test_if001_training_config_is_not_judged_as_hierarchical_hnet(tmp_path):
    path = _write(tmp_path, {
        "model_config_path": "model.json", "output_dir": "out", "seq_len": 2048,
        "batch_size": 32, "grad_accum_steps": 16, "max_steps": None,
        "learning_rate": 3.5e-4, "min_learning_rate": 3e-5, "warmup_steps": 20,
        "weight_decay": 0.1, "grad_clip_norm": 1.0, "compression_ratios": [3.0],
        "lr_multipliers": [1.5, 1.0], "train_ratio_weight": 0.02, "seed": 42})
    found = _lint(path)
    codes = {d.code for d in found}
    assert not codes & (TRAINER_CODES | {"HNL301", "HNL009", "HNL013", "HNL008"}), codes
    decay = [d for d in found if d.code == "HNL403"]  # if001 applies the file's 0.1
    assert decay and "weight_decay 0.1" in decay[0].message


def test_unknown_trainer_gets_only_trainer_free_checks(tmp_path):
    path = _write(tmp_path, {"learning_rate": 3e-4, "lr_multipliers": [3.0, 1.7, 0.9],
                             "my_own_key": 1, "warmup_steps": 10})
    found = _lint(path)
    codes = {d.code for d in found}
    # value checks that need no trainer (the 3.33 multiplier spread) and one note that no
    # profile matched; no defaults, no unknown-key warnings, no clipping "not set"
    assert codes == {"HNL013", "HNL204"}, codes
    note = next(d for d in found if d.code == "HNL013")
    assert "no trainer profile matches" in note.message and note.severity == Severity.INFO


def test_native_configs_are_untouched_by_profiles():
    assert [d.code for d in lint_paths([str(ROOT / "examples" / "recommended.yaml")]).active] \
        == ["HNL207"]


def test_wsd_defaults_are_the_trainers_and_produce_no_false_error(tmp_path):
    """The issue's false positive: a WSD file with warmup_ratio got HNL304/308/301 from an
    injected warmup_steps 2000."""
    path = _write(tmp_path, {
        "model_config": "model.json", "learning_rate": 6.25e-4, "lr_multipliers": [2.0, 1.0],
        "lr_scheduler": "wsd", "warmup_ratio": 0.1, "stable_ratio": 0.7, "decay_ratio": 0.2,
        "num_training_steps": 20000, "gradient_accumulation_steps": 1, "max_grad_norm": 1.0,
        "batch_size": 8, "max_seq_length": 4096, "downsampling_factors": [6.0],
        "output_dir": "o", "save_interval": 1, "eval_interval": 1, "log_interval": 1,
        "dtype": "float32", "backend": "nccl"})
    codes = {d.code for d in _lint(path)}
    assert not codes & {"HNL301", "HNL304", "HNL308", "HNL309"}
    assert not [c for c in codes if c.startswith("HNL0") and c != "HNL013"]


def test_choices_are_the_trainers(tmp_path):
    path = _write(tmp_path, {"model_config": "model.json", "dtype": "bf16",
                             "decay_type": "sqrt", "lr_scheduler": "wsd"})
    messages = [d.message for d in _lint(path) if d.code == "HNL007"]
    assert any("dtype 'bf16' is rejected" in m for m in messages)
    assert any("decay_type 'sqrt' is rejected" in m for m in messages)


# --- what the launcher hands scripts/train.py (print, then argparse) ----------------------

WSD_FILE = {
    "trainer": "hierarchical-hnet@d28b7c4", "model_config": "model.json",
    "learning_rate": 6.25e-4, "lr_multipliers": [2.0, 1.0], "lr_scheduler": "wsd",
    "warmup_ratio": 0.1, "stable_ratio": 0.7, "decay_ratio": 0.2, "num_training_steps": 20000,
    "gradient_accumulation_steps": 2, "max_grad_norm": 1.0, "batch_size": 8,
    "max_seq_length": 4096, "downsampling_factors": [6.0], "output_dir": "o",
    "save_interval": 1, "eval_interval": 1, "log_interval": 1, "dtype": "float32",
    "backend": "nccl"}


def _findings(tmp_path: Path, **changes) -> list[tuple[str, str]]:
    path = _write(tmp_path, {**WSD_FILE, **changes})
    return sorted((d.code, d.message) for d in _lint(path))


def test_quoted_numbers_are_what_argparse_makes_of_them(tmp_path):
    """The loader prints every value and argparse parses the text: "3e-4" is 3e-4. The
    strict schema called these type errors, and the schedule (HNL309) went silent."""
    plain = _findings(tmp_path)
    quoted = _findings(tmp_path, learning_rate="6.25e-4", batch_size="8", stable_ratio="0.7",
                       num_training_steps="20000", gradient_accumulation_steps="2")
    assert quoted == plain
    assert "HNL309" in {code for code, _ in plain}


@pytest.mark.parametrize("key,value,text", [
    ("batch_size", 8.0, "invalid int value: '8.0'); write 8"),
    ("learning_rate", True, "invalid float value: 'True'"),
    ("weight_decay", None, "invalid float value: 'None'"),   # passed as the text None
    ("max_grad_norm", "1e-0.5", "invalid float value: '1e-0.5'"),
])
def test_values_argparse_rejects_stop_the_launch(tmp_path, key, value, text):
    errors = [m for c, m in _findings(tmp_path, **{key: value}) if c == "HNL007"]
    assert len(errors) == 1 and errors[0].startswith(f"{key} ") and text in errors[0], errors


def test_a_required_key_written_as_null_is_named_at_its_value(tmp_path):
    path = _write(tmp_path, {**WSD_FILE, "learning_rate": None})
    [missing] = [d for d in _lint(path) if d.code == "HNL008"]
    assert "is null" in missing.message and missing.span.line > 1  # at the value, not 1:1


def test_null_for_a_flag_the_launcher_leaves_out_is_the_default(tmp_path):
    with_null = _findings(tmp_path, stable_ratio=None, warmup_ratio=None, decay_ratio=None)
    assert not [m for c, m in with_null if c == "HNL007"]
    assert with_null == _findings(tmp_path, stable_ratio=0.7, warmup_ratio=0.1, decay_ratio=0.2)


def test_the_evaling_launcher_splits_or_runs_shell_syntax(tmp_path):
    for value in ("my runs", "runs;rm -rf x", "$(id)", ""):
        errors = [m for c, m in _findings(tmp_path, output_dir=value) if c == "HNL007"]
        assert len(errors) == 1 and "evals its command unquoted" in errors[0], (value, errors)
    # the first loader's launchers pass every value quoted and run no eval
    first = _findings(tmp_path, trainer="hierarchical-hnet@3f5944b", output_dir="my runs",
                      warmup_steps=2000)
    assert not [m for c, m in first if c == "HNL007" and "output_dir" in m]


# --- schedule command and analyze --------------------------------------------------------

def test_schedule_json_has_every_optimizer_step_per_group(monkeypatch):
    folder = ROOT / "rules" / "HNL309-schedule-cut-by-accumulation"
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, ["schedule", "bad.json", "--format", "json"])
    assert result.exit_code == 1, result.output  # lint's HNL309, on stderr
    assert "HNL309 [warning]" in result.stderr
    out = json.loads(result.stdout)
    assert out["profile"] == f"{HH}@d28b7c4" and out["step_unit"] == "optimizer step"
    assert out["loop_unit"] == "micro-batch" and out["optimizer_steps"] == 2500
    assert len(out["groups"]) == 4 and all(len(g["lr"]) == 2500 for g in out["groups"])
    assert {g["weight_decay"] for g in out["groups"]} == {0.0, 0.01}
    last = out["groups"][0]["lr"][-1]
    assert last == pytest.approx(2e-4 * 2.0)  # still at peak: the decay never started


def test_schedule_json_samples_when_asked_and_refuses_a_listing_that_cannot_fit(tmp_path):
    """A fuzzed file with num_training_steps 2**63 ran --format json out of memory."""
    path = _write(tmp_path, {**WSD_FILE, "num_training_steps": 2**63,
                             "gradient_accumulation_steps": 1})
    runner = CliRunner()
    huge = runner.invoke(cli, ["schedule", str(path), "--format", "json"])
    assert isinstance(huge.exception, HnetLintError)  # main() makes it exit 2
    assert "--points" in str(huge.exception)
    sampled = runner.invoke(cli, ["schedule", str(path), "--format", "json", "--points", "5"])
    assert sampled.exit_code == 1, sampled.output  # HNL312 (zero_grad every 100), on stderr
    out = json.loads(sampled.stdout)
    assert out["optimizer_steps"] == 2**63 and 5 <= len(out["steps"]) <= 7  # + phase edges
    assert all(len(g["lr"]) == len(out["steps"]) for g in out["groups"])


def test_schedule_text_and_errors(monkeypatch):
    monkeypatch.chdir(ROOT / "rules" / "HNL309-schedule-cut-by-accumulation")
    result = CliRunner().invoke(cli, ["schedule", "bad.json", "--points", "5"])
    assert result.exit_code == 1 and "2500 optimizer steps" in result.stdout
    assert "HNL309" in result.stderr and "HNL309" not in result.stdout
    monkeypatch.chdir(ROOT / "examples")
    model_only = CliRunner().invoke(cli, ["schedule", "models/hnet_2stage_XL.json"])
    assert isinstance(model_only.exception, HnetLintError)  # main() makes it exit 2


def test_schedule_of_a_native_config_is_its_own_schedule_section(monkeypatch):
    """A native config is its own trainer's contract: optimizer steps, no world-size factor,
    the file's weight decay and grouping; the LR follows hnet_lint.schedules exactly."""
    from hnet_lint.schedules import Schedule

    monkeypatch.chdir(ROOT / "examples")
    result = CliRunner().invoke(cli, ["schedule", "recommended.yaml", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["profile"] == "native" and out["loop_unit"] == "optimizer"
    assert out["world_size"] == 1 and out["lr_scale"] == 1.0
    # examples/recommended.yaml: lr 2e-4, multipliers [2.0, 1.5, 1.0], wsd over 100k steps,
    # 10% warmup, weight decay 0.1 with the corrected grouping.
    assert out["optimizer_steps"] == 100_000 and len(out["groups"]) == 6
    reference = Schedule(peak_lr=2e-4, total_steps=100_000, name="wsd", warmup_steps=10_000,
                         min_lr=1e-5, stable_ratio=0.7, decay_ratio=0.2,
                         decay_type="inverse_sqrt")
    stage1 = next(g for g in out["groups"] if g["stage"] == 1 and g["weight_decay"] == 0.1)
    for step in (0, 5_000, 50_000, 85_000, 99_999):
        assert stage1["lr"][step] == pytest.approx(1.5 * reference.lr(step))
    exempt = next(g for g in out["groups"] if g["weight_decay"] == 0.0)
    assert "A_log" in exempt["tensors"]


def _hh_log(path: Path, lr_of, steps: int, every: int, mults=(2.0, 2.0, 1.0, 1.0)) -> None:
    lines = []
    for m in range(every, steps + 1, every):
        lrs = ", ".join(f"group_{i}: {lr_of(m) * k:.4e}" for i, k in enumerate(mults))
        lines.append(f"2025-11-07 12:00:00 - hnet_training - INFO - Step {m} | Loss: 2.0000 | "
                     f"loss: 2.0000, ce_loss: 1.9000 | LR: {lrs} | Time: 0.100s")
    path.write_text("\n".join(lines) + "\n")


def test_analyze_reads_the_trainers_log_in_micro_batches(tmp_path, monkeypatch):
    """A log whose warmup spans accumulation x the scheduler's warmup is what this trainer
    does: it matches; a log that follows the schedule in micro-batches does not."""
    folder = ROOT / "rules" / "HNL309-schedule-cut-by-accumulation"
    monkeypatch.chdir(folder)
    run = next(iter(lint_paths(["bad.json"]).runs.values()))
    eff = schedule_of(run)
    logged = LoggedSchedule(eff)
    assert logged.warmup_end() == eff.warmup_end * 8
    good, naive = tmp_path / "train.log", tmp_path / "naive.log"
    _hh_log(good, logged.lr, eff.scheduler_total, 10)
    _hh_log(naive, lambda m: eff.peak_lr * eff.factor(m), eff.scheduler_total, 10)
    ok = CliRunner().invoke(cli, ["analyze", str(good), "--config", "bad.json", "--no-plots",
                                  "--format", "json"])
    codes = {d["code"] for d in json.loads(ok.stdout)}
    assert "HNL309" in codes and not {c for c in codes if c.startswith("HNL90")}
    bad = CliRunner().invoke(cli, ["analyze", str(naive), "--config", "bad.json",
                                   "--no-plots", "--format", "json"])
    found = [d for d in json.loads(bad.stdout) if d["code"] == "HNL909"]
    assert found and "micro-batches" in found[0]["message"]


def test_analyze_notices_unapplied_multipliers_in_the_trainers_log(tmp_path, monkeypatch):
    """The trainer's groups are not in stage order, so the analyzer matches them to stages;
    all groups at one LR still means the multipliers were never applied (HNL907)."""
    monkeypatch.chdir(ROOT / "rules" / "HNL309-schedule-cut-by-accumulation")
    run = next(iter(lint_paths(["bad.json"]).runs.values()))
    logged = LoggedSchedule(schedule_of(run))
    flat = tmp_path / "train.log"
    _hh_log(flat, logged.lr, 20_000, 10, mults=(1.0, 1.0, 1.0, 1.0))
    result = CliRunner().invoke(cli, ["analyze", str(flat), "--config", "bad.json",
                                      "--no-plots", "--format", "json"])
    assert "HNL907" in {d["code"] for d in json.loads(result.stdout)}


def test_trainer_setting_is_read_and_checked(tmp_path):
    from hnet_lint.check.settings import load_settings

    good = tmp_path / ".hnet-lint.toml"
    good.write_text('trainer = "hierarchical-hnet@8dbea2d"\n')
    assert load_settings(str(good)).trainer == "hierarchical-hnet@8dbea2d"
    bad = tmp_path / "bad.toml"
    bad.write_text('trainer = "hierarchical-hnet@nope"\n')
    with pytest.raises(HnetLintError, match="unknown trainer"):
        load_settings(str(bad))


def test_schedule_reports_lint_schedule_findings_and_exits_like_lint(tmp_path, monkeypatch):
    """A warmup longer than the run: the schedule never reaches its peak, and `schedule`
    says so with lint's own finding (HNL302) on stderr and lint's exit code."""
    monkeypatch.chdir(ROOT / "examples")
    text = (ROOT / "examples" / "recommended.yaml").read_text()
    text = text.replace("warmup_ratio: 0.1\n", "warmup_steps: 2000\n").replace(
        "  stable_ratio: 0.7\n  decay_ratio: 0.2\n", "").replace(
        "total_steps: 100000", "total_steps: 1000").replace("name: wsd", "name: cosine")
    cfg = tmp_path / "warm.yaml"
    cfg.write_text(text.replace("models/", str(ROOT / "examples" / "models") + "/"))
    result = CliRunner().invoke(cli, ["schedule", str(cfg), "--points", "3"])
    assert result.exit_code == 1, result.output
    assert "HNL302 [error] warmup of 2000 steps is not shorter than total_steps 1000" \
        in result.stderr
    assert "HNL207" not in result.stderr  # not a schedule finding
    assert result.stdout.startswith("trainer: native")
    # the settings lint would use apply: ignoring the code silences it and the exit is 0
    (tmp_path / ".hnet-lint.toml").write_text('ignore = ["HNL302"]\n')
    quiet = CliRunner().invoke(cli, ["schedule", str(cfg), "--points", "3"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    # a clean file stays exit 0 with nothing on stderr
    clean = CliRunner().invoke(cli, ["schedule", "recommended.yaml", "--points", "3"])
    assert clean.exit_code == 0 and clean.stderr == ""


def test_schedule_plot_marks_a_shared_boundary_once():
    from hnet_lint.commands.schedule import _marks

    values = _hh_values(lr_scheduler="cosine", gradient_accumulation_steps=1)
    cosine = effective_schedule(PROFILES[f"{HH}@d28b7c4"], values, num_stages=2)
    assert cosine.warmup_end == cosine.decay_start
    assert [label for _, label in _marks(cosine)] == ["warmup ends, decay starts"]
    values["lr_scheduler"] = "wsd"
    wsd = effective_schedule(PROFILES[f"{HH}@d28b7c4"], values, num_stages=2)
    assert [label for _, label in _marks(wsd)] == ["warmup ends", "decay starts"]
