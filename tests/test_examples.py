"""The bundled examples say what the README says they say."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hnet_lint.api import lint_paths
from hnet_lint.cli import cli

from .conftest import ROOT

EX = ROOT / "examples"


def _codes(path):
    return sorted(d.code for d in lint_paths([str(path)]).active)


def test_original_run_findings():
    assert _codes(EX / "incident" / "original.yaml") == [
        "HNL204", "HNL206", "HNL207", "HNL301", "HNL401", "HNL403"]


def test_flat_dialect_of_the_original_run_is_judged_by_its_trainer():
    """The same values in hierarchical-hnet's hyperparams.json: the model and multiplier
    findings agree; the rest is what that trainer does with the file (its cosine warms up
    for 10% of the run and ignores warmup_steps and weight_decay, the schedule is cut by
    accumulation 4, gradients are zeroed every 100 micro-batches)."""
    flat = _codes(EX / "incident" / "original-flat.json")
    assert flat == ["HNL204", "HNL206", "HNL207", "HNL309", "HNL311", "HNL311", "HNL312",
                    "HNL401", "HNL403"]
    assert "HNL301" not in flat  # the 2000-step warmup is not what this trainer runs


def test_postmortem_fix_keeps_bf16_and_adds_a_byte_repetition_penalty():
    assert _codes(EX / "incident" / "postmortem-fixed.yaml") == [
        "HNL207", "HNL401", "HNL403", "HNL605"]


def test_recommended_run_passes():
    report = lint_paths([str(EX / "recommended.yaml")])
    assert [d.code for d in report.active] == ["HNL207"]  # information only
    assert report.exit_code() == 0


def test_analyze_on_the_incident_log_reports_a_recovered_spike_not_an_explosion():
    result = CliRunner().invoke(cli, [
        "analyze", str(EX / "logs" / "incident-train.log"), "--config",
        str(EX / "incident" / "original.yaml"), "--no-plots", "--format", "json"])
    found = {d["code"]: d for d in json.loads(result.output)}
    spike = found["HNL903"]
    assert spike["severity"] == "info" and "recovered" in spike["message"]
    assert "1,810" in spike["message"] and "explosion" not in spike["message"].lower()
    assert "32.8%" in found["HNL906"]["message"]
    assert "HNL901" not in found  # the comment line is not an unreadable metric
