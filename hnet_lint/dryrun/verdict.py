"""Phase 4, verdict: the findings table, effective per-stage peak LRs, margin, and the scope line.

A pass is bounded: it says what was run and what it cannot rule out (docs/evidence.md §6).
Grad-norm maxima are reported as context with the clipped fraction, never as "explosion".
"""

from __future__ import annotations

import json
import os
import math
from typing import Any

from ..diagnostics import Severity

__all__ = ["format_verdict", "scope_statement", "write_report"]


def scope_statement(info: dict, steps: int) -> str:
    """The bounded claim a pass makes (docs/evidence.md §6)."""
    where = (f"a proxy of widths {info.get('proxy_widths')} (configured {info.get('configured_widths')})"
             if info.get("scale") == "proxy" else "the full model")
    return (f"no numeric or LR-edge problem found in {steps} steps at peak LR on {where}; loss spikes "
            "caused by particular data at particular weights cannot be ruled out")


def format_verdict(res: Any) -> str:
    """Plain-text verdict for stderr."""
    lines = [f"== dry-run verdict: {res.file} =="]
    info = res.info
    if info.get("peak_lrs"):
        lines.append("effective peak LR per stage: " +
                     ", ".join(f"s{s}={lr:.3g}" for s, lr in enumerate(info["peak_lrs"])))
    if res.probe is not None and res.probe.margin is not None:
        lines.append(f"margin: {res.probe.margin}")
    shown = [f for f in res.findings if f.code != "HNL814"]
    if shown:
        lines.append(f"{'code':<7} {'severity':<8} {'phase':<6} {'evidence':<10} {'key':<28} message")
        for f in sorted(shown, key=lambda d: (-int(d.severity), d.code)):
            lines.append(f"{f.code:<7} {f.severity.label:<8} {f.phase:<6} {f.evidence or '-':<10} "
                         f"{f.key or '-':<28} {f.message}")
    worst = max((f.severity for f in shown), default=None)
    if worst is None or worst < Severity.WARNING:
        lines.append("PASS: " + scope_statement(info, res.probe.steps_run if res.probe is not None else 0))
    else:
        lines.append(f"{'FAIL' if worst >= Severity.ERROR else 'WARN'}: "
                     f"{sum(f.severity >= Severity.WARNING for f in shown)} finding(s) need attention")
    if res.interrupted:
        lines.append("(interrupted: only what was measured before the stop is reported)")
    t = res.timings
    lines.append("phase times: " + ", ".join(f"{k} {v:.1f}s" for k, v in t.items()))
    return "\n".join(lines)


def write_report(results: list[Any], path: str) -> list[str]:
    """``.json``: machine-readable; ``.html``: the same data with curves as inline SVG-free tables."""
    data = _finite({"version": 1, "results": [r.to_dict() for r in results]})
    if path.endswith(".html"):
        body = "".join(f"<h2>{_esc(r.file)}</h2><pre>{_esc(format_verdict(r))}</pre>{_curves_svg(r)}"
                       for r in results)
        text = (f"<!doctype html><meta charset=utf-8><title>hnet-lint dry-run</title>{body}"
                f"<h2>data</h2><pre>{_esc(json.dumps(data, indent=1, default=str))}</pre>")
    else:
        text = json.dumps(data, indent=1, default=_default)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return write_curves(results, os.path.splitext(path)[0])


def write_curves(results: list[Any], stem: str) -> list[str]:
    """The smoke and probe curves as JSON lines in ``hnet-lint analyze``'s canonical fields
    (``<stem>.<n>-smoke.jsonl``, ``<stem>.<n>-probe-1x.jsonl``, ...), so the analyzer's
    reader, detectors, plots and report template serve the dry-run too. Per-group LRs are the
    stage peak LRs times the run's LR multiple and its schedule factor at that step."""
    from ..analyze.metrics import MetricsWriter

    written = []
    for n, res in enumerate(results):
        peaks = res.info.get("peak_lrs") or []
        series = []
        if res.smoke is not None and res.smoke.steps:
            series.append(("smoke", 1.0, res.smoke.steps))
        for run in (res.probe.runs if res.probe is not None else []):
            series.append((f"probe-{run.multiple:g}x", run.multiple, run.steps))
        for name, multiple, steps in series:
            path = f"{stem}.{n}-{name}.jsonl"
            with MetricsWriter(path) as out:
                for st in steps:
                    out.write(step=st.step, loss=st.loss, grad_norm=st.grad_norm,
                              lr=[p * multiple * st.lr_factor for p in peaks] or None,
                              compression=st.boundary_rates or None)
            written.append(path)
    return written


def _curves_svg(res: Any) -> str:
    """Probe curves for 0.5x / 1x / 2x (loss, pre-clip grad norm, max attention logit, boundary
    rate of stage 0) as inline SVG, so users see the margin; empty without matplotlib or a probe."""
    if res.probe is None or not res.probe.runs:
        return ""
    try:
        import io

        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ""
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    for r in res.probe.runs:
        label = f"{r.multiple:g}x"
        steps = [s.step for s in r.steps]
        axes[0].plot(steps, [s.loss for s in r.steps], label=label)
        axes[1].plot(steps, [s.grad_norm for s in r.steps], label=label)
        logits = {}
        for series in r.attn_logits.values():
            for t, v in series:
                logits[t] = max(logits.get(t, 0.0), v)
        axes[2].plot(sorted(logits), [logits[t] for t in sorted(logits)], marker=".", label=label)
        if r.steps and r.steps[0].boundary_rates:
            axes[3].plot(steps, [s.boundary_rates[0] for s in r.steps], label=label)
    for ax, title in zip(axes, ("loss", "pre-clip grad norm", "max attention logit", "boundary rate, stage 0")):
        ax.set_title(title)
        ax.set_xlabel("probe step")
        ax.legend(fontsize=7)
    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _finite(obj: Any) -> Any:
    """NaN/Inf -> None so the file is strict JSON (a failed step's loss is NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _default(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj
    return str(obj)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
