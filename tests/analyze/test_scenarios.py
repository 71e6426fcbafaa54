"""Each scenario asserts the exact findings: codes, steps, numbers."""

from __future__ import annotations

import math
from pathlib import Path

from hnet_lint.analyze.run import analyze_logs
from hnet_lint.diagnostics import Severity

from .helpers import SCHEDULE, line_of_step, rows, write_jsonl


def _codes(result) -> list[str]:
    return [d.code for d in result.findings]


def _one(result, code):
    found = [d for d in result.findings if d.code == code]
    assert len(found) == 1, [d.message for d in result.findings]
    return found[0]


def test_stable_run_has_no_findings(tmp_path: Path, config: str) -> None:
    log = write_jsonl(tmp_path / "ok.jsonl", rows(eval_every=500))
    result = analyze_logs([str(log)], config=config)
    assert result.findings == []
    assert {d.code for d in result.static} >= {"HNL301"}  # the config's own findings


def test_clipped_grad_norm_spike_that_recovers(tmp_path: Path, config: str) -> None:
    data = rows()
    data[150]["grad_norm"] = 1810.0  # step 1500
    data[151]["loss"] += 0.4  # the loss jumps once, then is back
    log = write_jsonl(tmp_path / "spike.jsonl", data)
    result = analyze_logs([str(log)], config=config)
    diag = _one(result, "HNL903")
    msg = diag.message
    assert "explosion" not in msg.lower()
    assert msg.startswith("grad norm max/median = ")
    assert "max 1,810 at step 1,500" in msg
    assert "clip level 1: 0.3% of logged steps were above it and clipped" in msg
    assert "the loss recovered" in msg and "at step 1,520, 20 steps later" in msg
    assert diag.severity is Severity.INFO
    assert diag.data["clipped_fraction"] == 1 / 300
    assert diag.data["median"] < 0.6 and diag.data["ratio"] > 3000
    assert diag.data["recovered"] is True
    line = line_of_step(log, 1500)
    assert (diag.span.line, diag.phase, diag.evidence) == (line, "analyze", "literature")
    text = log.read_text().splitlines()[line - 1]
    assert text[diag.span.column - 1:].startswith('"grad_norm": 1810.0')
    # the one-step loss jump is a 6-sigma spike that came back
    spike = _one(result, "HNL904")
    assert spike.data["steps"] == [1510, 1510]
    assert _codes(result) == ["HNL903", "HNL904"]


def test_unrecovered_grad_spike_is_a_warning(tmp_path: Path) -> None:
    data = rows(n=1000)
    data[50]["grad_norm"] = 40.0
    for r in data[51:]:
        r["loss"] += 1.0
    result = analyze_logs([str(write_jsonl(tmp_path / "g.jsonl", data))])
    diag = _one(result, "HNL903")
    assert diag.severity is Severity.WARNING
    assert "did NOT recover" in diag.message
    assert "clip level unknown" in diag.message  # no config


def test_diverging_run(tmp_path: Path, config: str) -> None:
    data = rows()
    for k, r in enumerate(data[200:]):  # from step 2000 the loss climbs, then NaN
        r["loss"] = 4.0 + 0.1 * k if k < 60 else math.nan
    log = write_jsonl(tmp_path / "div.jsonl", data)
    result = analyze_logs([str(log)], config=config)
    div = _one(result, "HNL905")
    assert div.severity is Severity.ERROR
    assert div.data["onset_step"] == 2000
    assert div.data["steps"] == [2000, 2590]
    assert "loss diverged from step 2,000" in div.message
    assert div.span.line == line_of_step(log, 2000)
    nan = _one(result, "HNL902")
    assert nan.data == {"field": "loss", "first_step": 2600, "last_step": 2990, "count": 40}
    assert "loss is nan at step 2,600" in nan.message
    assert "HNL904" not in _codes(result)


def test_multipliers_not_applied(tmp_path: Path, config: str) -> None:
    log = write_jsonl(tmp_path / "mult.jsonl", rows(multipliers=(1.0, 1.0, 1.0)))
    result = analyze_logs([str(log)], config=config)
    diag = _one(result, "HNL907")
    assert "all 3 parameter groups logged the same LR at every one of the 299" in diag.message
    assert "[2.0, 1.5, 1.0]" in diag.message and "never applied" in diag.message
    assert diag.data["steps"] == [10, 2990]
    assert _codes(result) == ["HNL907"]  # no schedule or ratio noise on top


def test_scheduler_erases_multipliers_after_warmup(tmp_path: Path, config: str) -> None:
    data = rows()
    for r in data[10:]:  # from step 100 every group gets group 2's LR
        r["lr_group_0"] = r["lr_group_1"] = r["lr_group_2"]
    result = analyze_logs([str(write_jsonl(tmp_path / "erase.jsonl", data))], config=config)
    diag = _one(result, "HNL908")
    assert diag.data["first_step"] == 100
    assert diag.data["logged_ratios"] == [1.0, 1.0, 1.0]
    assert "matched at the 9 logged steps before it" in diag.message
    assert "a scheduler overwrote the multipliers" in diag.message


def test_wrong_warmup(tmp_path: Path, config: str) -> None:
    from dataclasses import replace

    short = replace(SCHEDULE, warmup_steps=20)
    data = rows()
    for r in data:
        for g, m in enumerate((2.0, 1.5, 1.0)):
            r[f"lr_group_{g}"] = short.lr(r["step"]) * m
    result = analyze_logs([str(write_jsonl(tmp_path / "w.jsonl", data))], config=config)
    diag = _one(result, "HNL909")
    assert diag.data["first_step"] == 10
    assert diag.data["logged_peak_step"] == 20
    assert "the config's warmup ends at step 100" in diag.message


def test_run_stopped_at_a_third(tmp_path: Path, config: str) -> None:
    log = write_jsonl(tmp_path / "short.jsonl", rows(n=1000))
    result = analyze_logs([str(log)], config=config)
    diag = _one(result, "HNL906")
    assert diag.data["last_step"] == 990 and diag.data["total_steps"] == 3000
    assert diag.data["fraction"] == 0.33
    assert diag.data["trend"] == "falling"
    assert diag.data["tail_steps"] == [900, 990]
    assert "the log ends at step 990 of the configured 3,000 (33.0%" in diag.message
    assert "the loss was still falling" in diag.message
    assert _codes(result) == ["HNL906"]


def test_routing_off_target(tmp_path: Path, config: str) -> None:
    data = rows()
    for r in data:
        r["compression_1"] = 0.55
        r["ratio_loss_1"] = 1.125
    result = analyze_logs([str(write_jsonl(tmp_path / "r.jsonl", data))], config=config)
    comp, ratio = _one(result, "HNL910"), _one(result, "HNL911")
    assert comp.data["stage"] == 1 and math.isclose(comp.data["ratio"], 1.65)
    assert "target 1/N = 33.3% (N = 3)" in comp.message
    assert comp.data["steps"] == [2700, 2990]
    assert ratio.data["stage"] == 1 and "averaged 1.125" in ratio.message


def test_eval_gap_growing(tmp_path: Path) -> None:
    data = rows(eval_every=500)
    for r in data:
        if "eval_loss" in r:
            r["eval_loss"] = r["loss"] + 0.02 + 0.1 * r["step"] / 1000
    result = analyze_logs([str(write_jsonl(tmp_path / "e.jsonl", data))])
    diag = _one(result, "HNL912")
    assert diag.data["gap_min_step"] == 500 and diag.data["last_step"] == 2500
    assert diag.data["growth"] == 0.2185  # 0.2 from the drift, plus the falling train loss
    assert "(+0.218 nats; threshold 0.1)" in diag.message
