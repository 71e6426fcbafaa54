"""Pure parts: the schedule function, proxy widths, the code registry, and torch-free imports."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from hnet_lint.dryrun.codes import DRYRUN_CODES
from hnet_lint.dryrun.proxy import proxy_config
from hnet_lint.dryrun.schedule import lr_factor, warmup_steps

from ..conftest import ROOT


def test_lr_factor_shapes() -> None:
    cos = {"name": "cosine", "warmup_steps": 10, "total_steps": 110, "min_lr": 1e-4}
    assert lr_factor(0, cos, 1e-3) == 0.0
    assert lr_factor(5, cos, 1e-3) == pytest.approx(0.5)
    assert lr_factor(10, cos, 1e-3) == pytest.approx(1.0)
    assert lr_factor(60, cos, 1e-3) == pytest.approx(0.1 + 0.9 * 0.5)  # halfway down to the floor
    assert lr_factor(110, cos, 1e-3) == pytest.approx(0.1)
    lin = {"name": "linear", "warmup_steps": 0, "total_steps": 100}
    assert lr_factor(50, lin) == pytest.approx(0.5)
    assert lr_factor(7, {"name": "constant", "warmup_steps": 4}) == 1.0
    wsd = {"name": "wsd", "warmup_ratio": 0.1, "stable_ratio": 0.7, "decay_ratio": 0.2,
           "decay_type": "linear", "total_steps": 100}
    assert warmup_steps(wsd) == 10
    assert lr_factor(50, wsd) == 1.0
    assert lr_factor(90, wsd) == pytest.approx(0.5)
    assert lr_factor(100, wsd) == pytest.approx(0.0)
    assert lr_factor(3, None) == 1.0


def test_proxy_keeps_ratios_and_mamba_head_dim() -> None:
    xl = json.loads((ROOT / "examples/models/hnet_2stage_XL.json").read_text())
    plan = proxy_config(xl, 64)
    assert plan.widths == [64, 96, 128] and plan.exact_ratios
    expand = xl["ssm_cfg"]["expand"]
    assert all(expand * w % 64 == 0 for w in plan.widths)
    heads = plan.config["attn_cfg"]["num_heads"]
    assert [w // h for w, h in zip(plan.widths, heads)] == [64, 96, 128]  # head dim of XL kept
    assert plan.config["arch_layout"] == xl["arch_layout"]
    assert "proxy widths d_model=[64, 96, 128]" in plan.note


def test_codes_are_documented() -> None:
    for code, meta in DRYRUN_CODES.items():
        assert code.startswith("HNL8")
        assert meta.phase in {"build", "smoke", "probe", "watch"}
        assert meta.evidence in {"exact", "literature", "heuristic"}
        for part in ("## Why it matters", "## Example", "## Use instead"):
            assert part in meta.doc, (code, part)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    return set(out.stdout.split())


def test_static_path_never_imports_torch(tmp_path) -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import hnet_lint.cli"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert "torch" not in {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines()}
    cfg = ROOT / "examples" / "recommended.yaml"
    lint = ("import runpy, sys\nsys.argv = ['hnet-lint', %r]\ntry:\n    runpy.run_module('hnet_lint', "
            "run_name='__main__')\nexcept SystemExit:\n    pass" % str(cfg))
    mods = _modules_after(lint)
    assert "hnet_lint.commands.lint" in mods and "torch" not in mods
    mods = _modules_after("import hnet_lint, hnet_lint.dryrun.codes, hnet_lint.dryrun.schedule, hnet_lint.dryrun.proxy, "
                          "hnet_lint.dryrun.decide")
    assert "torch" not in mods
    assert math.isfinite(1.0)


def test_findings_anchor_in_the_flat_dialect() -> None:
    from hnet_lint.api import lint_paths
    from hnet_lint.dryrun.codes import finding

    path = str(ROOT / "examples/incident/original-flat.json")
    run = next(iter(lint_paths([path]).runs.values()))
    f = finding(run, "HNL803", ("training", "param_dtype"), "frozen")
    assert f.key == "dtype" and f.span.line == 18 and f.phase == "smoke" and f.evidence == "exact"
    g = finding(run, "HNL807", ("optimizer", "lr_multiplier", 0), "knee")
    assert g.key == "lr_multipliers[0]" and g.span.line == 4


def test_data_files_and_packing(tmp_path) -> None:
    from hnet_lint.dryrun.data import load_corpus

    jl = tmp_path / "d.jsonl"
    jl.write_text("\n".join(json.dumps({"text": f"document number {i} " * 20}) for i in range(5)))
    corpus = load_corpus(str(jl))
    batch = corpus.batch(0, 2, 64, seed=1)
    assert batch.input_ids.shape == (2, 65)
    cu = batch.cu_seqlens()
    assert cu[0] == 0 and cu[-1] == 128 and bool((cu[1:] > cu[:-1]).all())
    assert bool(((batch.doc_ids[:, 1:] == batch.doc_ids[:, :-1]) == batch.target_valid).all())
    same = corpus.batch(0, 2, 64, seed=1)
    assert bool((same.input_ids == batch.input_ids).all())  # batches are a function of (seed, index)
    txt = tmp_path / "a.txt"
    txt.write_text("hello world " * 100)
    assert len(load_corpus(str(txt))) == 1200


def test_progress_redraws_one_line_on_a_terminal_and_logs_every_line_elsewhere() -> None:
    import io

    from hnet_lint.dryrun.cli_bridge import _Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    show = _Progress(term)
    show("smoke step 1/10: loss 5.5")
    show("smoke step 10/10: loss 5.4")
    show("probe skipped")
    out = term.getvalue()
    assert out.count("\r") == 2 and "[####################] 10/10 loss 5.4" in out
    assert out.endswith("\n[dry-run] probe skipped\n")

    log = io.StringIO()  # not a terminal: plain lines, one per message
    plain = _Progress(log)
    plain("smoke step 1/10: loss 5.5")
    assert log.getvalue() == "[dry-run] smoke step 1/10: loss 5.5\n"
