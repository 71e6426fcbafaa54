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


def scope_statement(info: dict, probe: Any = None) -> str:
    """The bounded claim a pass makes (docs/evidence.md §6): what ran, and what it does not say."""
    where = (f"a proxy of widths {info.get('proxy_widths')} (configured {info.get('configured_widths')})"
             if info.get("scale") == "proxy" else "the full model")
    if info.get("engine"):
        where += f" under {info['engine']} x {info.get('world_size')} processes"
    if "probe" not in info.get("phases", ("probe",)):
        where += " (build and smoke; the LR-edge probe did not run)"
    dec = getattr(probe, "decision", None)
    steps = probe.plan.steps - probe.plan.warmup if probe is not None and probe.plan else 0
    if dec is None or dec.mean is None:
        return f"no numeric problem found on {where}"
    return (f"not grossly past the LR edge: over {dec.n} seeds the configured peak LR trained no worse than "
            f"0.5x by more than {dec.margin:g} nats (gap {dec.mean:+.3f} +- {dec.se:.3f}) in {steps} steps "
            f"held at peak on {where}, and no numeric problem was found. This does not say the LR is "
            "near-optimal; loss spikes caused by particular data at particular weights cannot be ruled out")


def headline(res: Any) -> str:
    """One line: PASS / WARN / FAIL / INCONCLUSIVE and why."""
    shown = [f for f in res.findings if f.code != "HNL814"]
    worst = max((f.severity for f in shown), default=None)
    if res.passed:
        return "PASS: " + scope_statement(res.info, res.probe)
    if worst is not None and worst >= Severity.WARNING:
        n = sum(f.severity >= Severity.WARNING for f in shown)
        label = "FAIL" if worst >= Severity.ERROR else "WARN"
        if res.interrupted:
            label += " (inconclusive: stopped before the plan completed)"
        codes = ", ".join(sorted({f.code for f in shown if f.severity >= Severity.WARNING}))
        return f"{label}: {n} finding(s) need attention ({codes})"
    dec = getattr(res.probe, "decision", None)
    if dec is not None:
        return ("INCONCLUSIVE: the probe could not tell whether the configured peak LR is past the knee "
                f"({dec.n} seeds); not a pass (see HNL816)")
    return "INCONCLUSIVE: not every planned check ran; not a pass"


def format_verdict(res: Any) -> str:
    """Plain-text verdict for stderr."""
    lines = [f"== dry-run verdict: {res.file} =="]
    info = res.info
    if info.get("peak_lrs"):
        lines.append("effective peak LR per stage: " +
                     ", ".join(f"s{s}={lr:.3g}" for s, lr in enumerate(info["peak_lrs"])))
    if info.get("probe_plan"):
        ran = res.probe is not None or "probe" not in info.get("phases", ["probe"])
        lines.append(f"probe plan: {info['probe_plan']}" + ("" if ran else " (not run)"))
    dec = getattr(res.probe, "decision", None)
    if dec is not None:
        lines.append(dec.summary())
    if res.probe is not None and res.probe.margin is not None:
        lines.append(f"margin: {res.probe.margin}")
    shown = [f for f in res.findings if f.code != "HNL814"]
    if shown:
        lines.append(f"{'code':<7} {'severity':<8} {'phase':<6} {'evidence':<10} {'key':<28} message")
        for f in sorted(shown, key=lambda d: (-int(d.severity), d.code)):
            lines.append(f"{f.code:<7} {f.severity.label:<8} {f.phase:<6} {f.evidence or '-':<10} "
                         f"{f.key or '-':<28} {f.message}")
    lines.append(headline(res))
    if res.interrupted:
        lines.append("(stopped: only what was measured before the stop is reported)")
    t = res.timings
    lines.append("phase times: " + ", ".join(f"{k} {v:.1f}s" for k, v in t.items()))
    return "\n".join(lines)


def write_report(results: list[Any], path: str) -> list[str]:
    """``.json``: machine-readable; ``.html``: a readable page (verdict first, plots; see htmlreport)."""
    data = _finite({"version": 1, "results": [r.to_dict() for r in results]})
    if path.endswith(".html"):
        from .htmlreport import render_html

        text = render_html(results, data)
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
        runs = res.probe.runs if res.probe is not None else []
        first = runs[0].seed if runs else None
        for run in runs:  # the first seed keeps the short name; later seeds say theirs
            tag = f"probe-{run.multiple:g}x" if run.seed == first else f"probe-seed{run.seed}-{run.multiple:g}x"
            series.append((tag, run.multiple, run.steps))
        for name, multiple, steps in series:
            path = f"{stem}.{n}-{name}.jsonl"
            with MetricsWriter(path) as out:
                for st in steps:
                    out.write(step=st.step, loss=st.loss, grad_norm=st.grad_norm,
                              lr=[p * multiple * st.lr_factor for p in peaks] or None,
                              compression=st.boundary_rates or None)
            written.append(path)
    return written


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
