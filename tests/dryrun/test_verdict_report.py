"""The report path (checked first, never losing results), the shipped corpus and its hash, the
headline accounting for static findings, and the curves judged by ``analyze`` as probes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hnet_lint.analyze.run import analyze_logs
from hnet_lint.diagnostics import Diagnostic, Severity, Span
from hnet_lint.dryrun.cli_bridge import write_report_safely
from hnet_lint.dryrun.data import DEFAULT_SHA256, default_corpus_bytes, load_corpus
from hnet_lint.dryrun.runner import DryRunResult
from hnet_lint.dryrun.verdict import check_report_path, format_verdict, headline

from ..conftest import ROOT
from .conftest import dry, write_config


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hnet_lint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})


# --- item 6: the report path ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["r.txt", "r", "r.JSONL"])
def test_unknown_report_extension_is_refused_before_any_work(tmp_path, name) -> None:
    path = write_config(tmp_path)
    proc = _cli(tmp_path, str(path), "--dry-run", "--report", name)
    assert proc.returncode == 2 and "unknown extension" in proc.stderr
    assert "[dry-run]" not in proc.stderr  # nothing was built
    assert not (tmp_path / name).exists()


def test_report_parent_that_cannot_exist_is_refused_at_once(tmp_path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match="cannot create the folder"):
        check_report_path(str(tmp_path / "afile" / "r.json"))
    with pytest.raises(ValueError, match="is a folder"):
        check_report_path(str(tmp_path))


def test_missing_report_folders_are_created(tmp_path) -> None:
    check_report_path(str(tmp_path / "a" / "b" / "r.HTML"))
    assert (tmp_path / "a" / "b").is_dir()


def test_a_failed_report_write_keeps_the_results_and_says_where(tmp_path) -> None:
    res = DryRunResult(file="run.yaml", info={"peak_lrs": [1e-3]})
    said: list[str] = []
    gone = tmp_path / "removed-after-the-check" / "r.json"  # the folder vanished during the run
    written = write_report_safely([res], str(gone), said.append)
    assert written != str(gone) and Path(written).is_file()
    assert json.loads(Path(written).read_text())["results"][0]["file"] == "run.yaml"
    assert any(written in s and "could not write" in s for s in said)


# --- item 7: the shipped corpus -----------------------------------------------------------------

def test_default_corpus_is_the_shipped_file_and_its_hash_is_reported(tmp_path) -> None:
    raw = default_corpus_bytes()
    assert hashlib.sha256(raw).hexdigest() == DEFAULT_SHA256 and 100_000 < len(raw) < 500_000
    corpus = load_corpus()
    assert corpus.sha256 == DEFAULT_SHA256 and len(corpus) > 100_000
    own = tmp_path / "mine.txt"
    own.write_bytes(b"hello world " * 100)
    assert load_corpus(str(own)).sha256 == hashlib.sha256(own.read_bytes()).hexdigest()
    spec = (ROOT / "pyproject.toml").read_text()
    assert "dryrun/corpus/*.txt" in spec  # package data: in the wheel (tests/test_install.py runs it)


def test_the_hash_is_in_every_report(tmp_path) -> None:
    res = dry(write_config(tmp_path), phases=("build", "smoke"), smoke_steps=2)
    assert res.info["data_sha256"] == DEFAULT_SHA256
    assert f"sha256 {DEFAULT_SHA256}" in format_verdict(res)
    write_report_safely([res], str(tmp_path / "r.html"), lambda s: None)
    assert DEFAULT_SHA256 in (tmp_path / "r.html").read_text()


# --- item 10: the headline accounts for every finding ---------------------------------------------

def test_headline_with_a_static_error_is_not_a_pass(tmp_path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("warmup_steps: 100", "warmup_steps: 3000"))  # HNL302
    proc = _cli(tmp_path, str(path), "--dry-run", "--no-probe", "--smoke-steps", "2", "--format", "json")
    assert proc.returncode == 1
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith(("PASS", "FAIL", "WARN", "INCONCLUSIVE"))]
    assert len(line) == 1 and line[0].startswith("FAIL: static: 1 error"), proc.stderr[-2000:]
    assert "HNL302" in line[0] and "dry-run: no numeric problem found" in line[0]


def test_headline_without_static_findings_is_unchanged() -> None:
    res = DryRunResult(file="x", info={"phases": ["build", "smoke"], "static": {"errors": 0, "warnings": 0}})
    res.smoke = object()
    assert headline(res).startswith("PASS: no numeric problem found")
    res.info["static"] = {"errors": 0, "warnings": 2, "codes": ["HNL110", "HNL506"]}
    assert headline(res).startswith("WARN: static: 2 warnings (HNL110, HNL506); dry-run: no numeric")
    res.findings.append(Diagnostic(span=Span.start_of("x"), code="HNL803", severity=Severity.ERROR, message="m"))
    assert headline(res) == ("FAIL: static: 2 warnings (HNL110, HNL506); dry-run: 1 finding(s) need attention "
                             "(HNL803)")


# --- item 9: analyze judges the dry-run's curves as what they are ---------------------------------

def test_analyze_judges_the_dry_runs_probe_curves_as_probes(tmp_path) -> None:
    path = write_config(tmp_path)
    # one pair, no added ones: the sequential plan is capped at the starting seed
    res = dry(path, probe_steps=40, probe_seeds=1, smoke_steps=3, options={"HNL807": {"max_seeds": 1}})
    write_report_safely([res], str(tmp_path / "r.json"), lambda s: None)
    curves = sorted(str(p) for p in tmp_path.glob("r.0-*.jsonl"))
    assert len(curves) == 3
    head = json.loads(Path(curves[1]).read_text().splitlines()[0])["hnet_lint_curves"]
    assert head["kind"] == "probe" and head["steps_planned"] == 40 and head["data_sha256"] == DEFAULT_SHA256
    result = analyze_logs(curves, config=str(path))
    assert all(log.meta.get("kind") in ("probe", "smoke") and not log.skipped for log in result.logs)
    spurious = {"HNL906", "HNL909", "HNL910", "HNL911"}
    assert not [f for f in result.findings if f.code in spurious], result.findings
    # the same probe curve without its header is judged as a run of the config: the length check fires
    bare = tmp_path / "bare.jsonl"
    bare.write_text("\n".join(Path(curves[1]).read_text().splitlines()[1:]) + "\n")
    assert "HNL906" in {f.code for f in analyze_logs([str(bare)], config=str(path)).findings}


# --- issue 18 item 9: what a bare model JSON dry-run assumes, and the micro-batch it runs -----------

def test_bare_model_json_says_what_it_assumes_and_the_micro_batch(tmp_path) -> None:
    write_config(tmp_path)
    proc = _cli(tmp_path, "tiny.json", "--dry-run", "--no-probe", "--smoke-steps", "1")
    assert "assumed, not in the config (no optimizer, schedule, training section): LR 3e-4" in proc.stderr
    assert "weight decay 0.01" in proc.stderr
    assert "assumed (not in the config): LR 3e-4" in proc.stderr  # in the verdict block too
    assert "micro-batch 1 x 128 bytes" in proc.stderr  # seq_len 2048 assumed; the CPU proxy caps it at 128
    proc = _cli(tmp_path, "run.yaml", "--dry-run", "--no-probe", "--smoke-steps", "1")
    assert "micro-batch 1 x 64 bytes" in proc.stderr and "assumed" not in proc.stderr  # seq_len 64
