"""``hnet-lint watch`` on a user's loop in one process: a sane control and one defect each."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hnet_lint.diagnostics import Severity

from .conftest import ROOT, TRAIN, plain

TINY_RUN = """\
model: tiny.json
routing:
  target_ratio: [3.0]
optimizer:
  name: adamw
  lr: 1.0e-3
  lr_multiplier: [2.0, 1.0]
  weight_decay: 0.0
schedule:
  name: cosine
  warmup_steps: 10
  total_steps: 100
training:
  batch_size: 2
  grad_accum_steps: {accum}
  seq_len: 32
  grad_clip: {clip}
  param_dtype: float32
  seed: 0
"""


def _config(tmp_path, accum: int = 2, clip: float = 1.0) -> str:
    from .conftest import TRAIN

    (tmp_path / "tiny.json").write_text(open(TRAIN.replace("train.py", "tiny.json")).read())
    path = tmp_path / "run.yaml"
    path.write_text(TINY_RUN.format(accum=accum, clip=clip))
    return str(path)


def _serious(res):
    return [f for f in res.findings if f.severity >= Severity.WARNING]


def test_sane_loop_passes_and_is_stopped_at_k(watched, tmp_path):
    out = tmp_path / "final.ckpt"
    res = watched(plain("--steps", "1000", "--out", str(out)), steps=4)
    assert _serious(res) == [], [f.message for f in res.findings]
    summary = res.by("HNL826")[0]
    assert summary.data["steps"] == 4 and summary.data["engine"] == "none"
    assert res.outcome.returncode == 0
    assert not out.exists()  # the trainer's shutdown (its "final checkpoint") never ran


def test_scheduler_stepped_per_micro_batch(watched):
    res = watched(plain("--defect", "sched-per-micro", "--accum", "4"))
    f = res.by("HNL820")[0]
    assert f.data["measured"] == 4 and f.severity == Severity.ERROR
    assert f.span.file.endswith("train.py")  # the scheduler.step() line, not the constructor
    assert "sched.step()" in open(TRAIN).read().splitlines()[f.span.line - 1]


def test_gradients_not_zeroed(watched):
    res = watched(plain("--defect", "no-zero"))
    f = res.by("HNL805")[0]
    assert f.data["step"] >= 1
    assert "zero_grad" in open(TRAIN).read().splitlines()[f.span.line - 1]


def test_bf16_storage(watched):
    res = watched(plain("--defect", "bf16"))
    assert {"HNL812", "HNL803"} <= set(res.codes)


def test_multipliers_not_applied(watched):
    res = watched(plain("--defect", "plain-adamw"))
    f = res.by("HNL804")[0]
    assert f.data["stage"] == 1 and f.data["mode"] == "ratio"


def test_nan_is_reported_once_and_traced_to_the_loss(watched):
    res = watched(plain("--defect", "nan"))
    nan = res.by("HNL802")
    assert nan and nan[0].data["step"] == 3
    assert any("loss" in f.message for f in nan)


def test_crash_names_rank_and_last_step(watched):
    res = watched(plain("--defect", "crash"))
    f = res.by("HNL821")[0]
    assert f.data["rank"] == 0 and f.data["step"] == 2 and "data shard 7" in f.message


def test_early_exit_is_a_warning_not_a_pass(watched):
    res = watched(plain("--defect", "exit-early"), steps=6)
    f = res.by("HNL823")[0]
    assert f.data["measured"] == 3 and f.data["threshold"] == 6


def test_nothing_seen_is_an_error(watched):
    res = watched([sys.executable, "-c", "import torch; print('no training here')"])
    assert res.codes == ["HNL827"]


def test_schedule_matches_native_config(watched, tmp_path):
    res = watched(plain("--accum", "2", "--clip", "1.0"), config=_config(tmp_path))
    assert _serious(res) == [], [f.message for f in res.findings]
    assert "LR schedule vs the config" in res.by("HNL826")[0].message


def test_schedule_departure_and_loop_mismatch_against_config(watched, tmp_path):
    res = watched(plain("--defect", "sched-per-micro", "--accum", "4", "--clip", "0.5"),
                  config=_config(tmp_path, accum=2, clip=1.0))
    assert {"HNL820", "HNL824", "HNL825"} <= set(res.codes)
    off = res.by("HNL824")[0]
    assert off.key == "optimizer.lr" and off.span.file.endswith("run.yaml")
    assert "train.py:" in off.message  # and the user's line
    what = {f.data["what"] for f in res.by("HNL825")}
    assert what == {"accumulation", "clipping"}


def test_cli_exit_codes(tmp_path):
    env_cmd = [sys.executable, "-m", "hnet_lint", "watch", "--steps", "3", "--record", str(tmp_path / "r"),
               "--format", "json", "--", sys.executable, TRAIN, "--defect", "no-zero"]
    import os

    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    done = subprocess.run(env_cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    codes = {d["code"] for d in json.loads(done.stdout)}
    assert "HNL805" in codes
    usage = subprocess.run([sys.executable, "-m", "hnet_lint", "watch"], capture_output=True, text=True, env=env)
    assert usage.returncode == 2


def test_follow_streams_stops_on_error_and_writes_an_analyze_log(tmp_path):
    """--follow --stop-on error: the first error ends a run that would go on for 100k steps;
    the finding was streamed while it ran; the records hold a log `analyze` reads."""
    import os

    record = tmp_path / "r"
    cmd = [sys.executable, "-m", "hnet_lint", "watch", "--follow", "--every", "1", "--stop-on", "error",
           "--record", str(record), "--format", "json", "--",
           sys.executable, TRAIN, "--defect", "no-zero", "--steps", "100000"]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "[watch] HNL805 [error]" in done.stderr  # streamed while the run went on
    assert "HNL827" not in done.stderr
    codes = {d["code"] for d in json.loads(done.stdout)}
    assert "HNL805" in codes and "HNL823" not in codes
    lines = (record / "metrics.jsonl").read_text().splitlines()
    assert 2 <= len(lines) < 1000
    analyzed = subprocess.run([sys.executable, "-m", "hnet_lint", "analyze", str(record / "metrics.jsonl"),
                               "--format", "json"], capture_output=True, text=True, env=env, timeout=120)
    assert analyzed.returncode in (0, 1), analyzed.stderr
    assert "HNL901" not in analyzed.stdout  # every line read


def test_scheduler_counting_sees_the_users_calls_only():
    """SequentialLR steps its children from its own step(): one user call, one count; the
    constructor's step() is not a call site."""
    import torch

    from hnet_lint.observe.patches import scheduler_steps_counted

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    seen = []
    with scheduler_steps_counted(lambda s, site: seen.append(site)):
        warm = torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=3)
        decay = torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)
        chain = torch.optim.lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[3])
        before = len(seen)
        opt.step()
        chain.step()
    assert len(seen) == before + 1
    assert seen[-1] is not None and seen[-1].rsplit(":", 1)[0].endswith("test_watch.py")


HIERARCHICAL = """{
  "model_config": "tiny.json", "learning_rate": 0.002, "lr_multipliers": [2.0, 1.0],
  "lr_scheduler": "%s", "num_training_steps": 400, "warmup_ratio": 0.1, "stable_ratio": 0.7,
  "decay_ratio": 0.2, "min_lr": 1e-05, "batch_size": 2, "gradient_accumulation_steps": 2,
  "max_seq_length": 32, "max_grad_norm": 0.5, "dtype": "float32", "downsampling_factors": [3.0]
}
"""


@pytest.mark.parametrize("scheduler", ["wsd", "cosine"])
def test_schedule_check_on_a_hierarchical_hnet_file(watched, tmp_path, scheduler):
    """A flat trainer file, judged through its profile with the world size the run really has:
    a loop that follows it passes; the same loop stepping per micro-batch departs (HNL824)."""
    from .conftest import ROOT

    (tmp_path / "tiny.json").write_text(open(TRAIN.replace("train.py", "tiny.json")).read())
    config = tmp_path / "hyperparams.json"
    config.write_text(HIERARCHICAL % scheduler)
    loop = f"{ROOT}/tests/watch/schedule_loop.py"
    good = watched([sys.executable, loop, str(config)], config=str(config), steps=5)
    assert not [f for f in good.findings if f.severity >= Severity.ERROR], [f.message for f in good.findings]
    assert "LR schedule vs the config" in good.by("HNL826")[0].message
    bad = watched([sys.executable, loop, str(config), "--per-micro"], config=str(config), steps=5)
    assert {"HNL820", "HNL824"} <= set(bad.codes)
    assert bad.by("HNL824")[0].span.file.endswith("hyperparams.json")
