"""The HTML report: verdict first, plots inline, parameter lists collapsed; no NumPy noise."""

from __future__ import annotations

import subprocess
import sys

from hnet_lint.dryrun.verdict import write_report

from ..conftest import ROOT
from .conftest import dry, write_config


def test_html_report_puts_the_verdict_first_and_collapses_parameter_lists(tmp_path) -> None:
    res = dry(write_config(tmp_path), probe_steps=12, probe_seeds=2)
    out = tmp_path / "r.html"
    write_report([res], str(out))
    html = out.read_text()
    verdict = html.index('class="verdict')
    assert verdict < html.index("<h3>Findings</h3>") < html.index("<img")
    assert html.count('src="data:image/png;base64,') == 2  # smoke and probe
    assert "probe plan: 2 seeds x (1x, 0.5x) x 12 steps" in html
    assert "<details><summary>" in html and "parameter tensors with weight decay" in html
    assert (tmp_path / "r.0-probe-1x.jsonl").is_file() and (tmp_path / "r.0-probe-seed1-0.5x.jsonl").is_file()


def test_no_numpy_warning_when_numpy_is_absent() -> None:
    code = ("import sys; sys.modules['numpy'] = None\n"
            "import hnet_lint.dryrun.build, torch\nprint(torch.zeros(2).sum().item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "NumPy" not in out.stderr and out.stdout.strip() == "0.0"
