"""--write-baseline / --baseline: existing findings pass, new ones fail."""

from __future__ import annotations

import json
import subprocess
import sys

from hnet_lint.check.baseline import apply_baseline, write_baseline

from .gate_helpers import lint_in, make_repo, subprocess_env


def _cli(repo, *args):
    return subprocess.run([sys.executable, "-m", "hnet_lint", *args], cwd=repo,
                          env=subprocess_env(), capture_output=True, text=True)


def test_cli_round_trip(tmp_path):
    repo = make_repo(tmp_path)
    assert _cli(repo, "examples").returncode == 1
    wrote = _cli(repo, "examples", "--write-baseline", "--baseline", "base.json")
    assert wrote.returncode == 0 and "wrote 39 findings" in wrote.stderr
    blob = json.loads((repo / "base.json").read_text())
    assert blob["fingerprint_version"] == 1 and len(blob["findings"]) == 39
    gated = _cli(repo, "examples", "--baseline", "base.json", "--statistics")
    assert gated.returncode == 0, gated.stdout
    assert "39 baselined" in gated.stdout
    # A new finding fails even with the baseline; the old ones stay quiet.
    cfg = repo / "examples" / "recommended.yaml"
    cfg.write_text(cfg.read_text().replace("warmup_ratio: 0.1", "warmup_ratio: 0.01"),
                   encoding="utf-8")
    new = _cli(repo, "examples", "--baseline", "base.json", "--no-source")
    assert new.returncode == 1 and "39 baselined" in new.stdout
    assert "recommended.yaml:17" in new.stdout


def test_baseline_survives_inserted_lines(tmp_path, monkeypatch):
    repo = make_repo(tmp_path)
    report = lint_in(repo, ["examples"], monkeypatch)
    write_baseline(report, str(repo / "b.json"))
    known = set(json.loads((repo / "b.json").read_text())["findings"])
    target = repo / "examples" / "incident" / "original.yaml"
    target.write_text("# moved everything down\n" + target.read_text())
    again = lint_in(repo, ["examples"], monkeypatch)
    assert apply_baseline(again, known) == 39 and again.active == []
    assert all(d.data.get("baseline") for d in again.diagnostics)


def test_baselined_findings_are_suppressed_in_sarif(tmp_path):
    repo = make_repo(tmp_path)
    _cli(repo, "examples", "--write-baseline")
    run = _cli(repo, "examples", "--baseline", ".hnet-lint-baseline.json", "--format", "sarif")
    results = json.loads(run.stdout)["runs"][0]["results"]
    assert results and all(r["suppressions"][0]["kind"] == "external" for r in results)


def test_bad_baseline_is_a_usage_error(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "b.json").write_text("[]")
    run = _cli(repo, "examples", "--baseline", "b.json")
    assert run.returncode == 2 and "--write-baseline" in run.stderr
