"""Reports (content, not just existence) and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hnet_lint.analyze.output import write_outputs
from hnet_lint.analyze.run import analyze_logs
from hnet_lint.cli import cli

from .helpers import rows, write_jsonl


def _spiky(tmp_path: Path) -> Path:
    data = rows()
    data[150]["grad_norm"] = 1810.0
    return write_jsonl(tmp_path / "spike.jsonl", data)


def test_reports_carry_findings_and_plots(tmp_path: Path, config: str) -> None:
    result = analyze_logs([str(_spiky(tmp_path))], config=config)
    out = tmp_path / "out"
    write_outputs(result, str(out))
    html, md = (out / "report.html").read_text(), (out / "report.md").read_text()
    gn = next(d for d in result.findings if d.code == "HNL903")
    for png in ("loss.png", "grad_norm.png", "lr.png", "compression.png"):
        assert (out / png).stat().st_size > 5000
        assert f'<img src="{png}"' in html and f"]({png})" in md
    assert gn.message in md
    assert "grad norm max/median = 3,394 (max 1,810 at step 1,500" in html
    assert "HNL301 warmup-too-short" in md and "HNL301 warmup-too-short" in html  # static
    assert "&lt;" not in md  # autoescape is for HTML only
    findings = json.loads((out / "findings.json").read_text())
    assert {f["code"] for f in findings} >= {"HNL903", "HNL301"}
    assert next(f for f in findings if f["code"] == "HNL903")["phase"] == "analyze"


def test_cli_text_json_and_exit_codes(tmp_path: Path, config: str) -> None:
    log = _spiky(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["analyze", str(log), "--format", "json"])
    assert res.exit_code == 0, res.output  # the recovered spike is info only
    assert [f["code"] for f in json.loads(res.output)] == ["HNL903"]
    out = tmp_path / "o"
    res = runner.invoke(cli, ["analyze", str(log), "--config", config, "--out", str(out),
                              "--no-plots"])
    assert res.exit_code == 1  # the config's warnings count
    assert "HNL903 [info] grad norm max/median" in res.output
    assert (out / "report.html").exists() and not (out / "loss.png").exists()
    assert "plots were turned off" in (out / "report.md").read_text()
    res = runner.invoke(cli, ["analyze", str(log), "--map", "bad"])
    assert res.exit_code != 0 and "FIELD=NAME" in str(res.exception or res.output)


def test_codes_are_documented_and_explained() -> None:
    from hnet_lint.analyze.detectors import analyze_codes

    codes = analyze_codes()
    assert list(codes) == [f"HNL{n}" for n in range(901, 913)]
    assert len({m.name for m in codes.values()}) == len(codes)
    for meta in codes.values():
        assert meta.evidence in ("exact", "literature", "heuristic")
        for heading in ("## Why it matters", "## Example", "## Use instead"):
            assert heading in meta.doc, (meta.code, heading)
    res = CliRunner().invoke(cli, ["rule", "HNL903"])
    assert res.exit_code == 0 and "grad-norm-spike" in res.output
    assert "Why it matters" in res.output


def test_no_source_and_the_lint_formats(tmp_path: Path, config: str) -> None:
    log = str(_spiky(tmp_path))
    runner = CliRunner()
    framed = runner.invoke(cli, ["analyze", log, "--config", config])
    bare = runner.invoke(cli, ["analyze", log, "--config", config, "--no-source"])
    assert framed.exit_code == bare.exit_code == 1
    assert " | " in framed.output and " | " not in bare.output and "HNL903" in bare.output
    github = runner.invoke(cli, ["analyze", log, "--format", "github"])
    assert "::notice file=" in github.output and "title=HNL903" in github.output  # info without a config
    sarif = json.loads(runner.invoke(cli, ["analyze", log, "--format", "sarif"]).output)
    assert any(r["ruleId"] == "HNL903" for r in sarif["runs"][0]["results"])
    concise = runner.invoke(cli, ["analyze", log, "--format", "concise"]).output
    assert concise.splitlines()[0].startswith(log) and "HNL903" in concise
