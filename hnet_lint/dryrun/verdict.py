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

__all__ = ["format_verdict", "headline", "static_summary", "scope_statement", "write_report", "check_report_path",
           "REPORT_EXTENSIONS"]

#: ``--report`` formats by extension; anything else is refused before the dry-run starts
REPORT_EXTENSIONS = (".json", ".html")


def check_report_path(path: str) -> None:
    """Refuse (``ValueError``, one line) a ``--report`` path the finished dry-run could not
    write, before any work: an unknown extension, a folder, a parent that cannot be created or
    written. Missing parent folders are created (as ``analyze --out`` does)."""
    if os.path.isdir(path):
        raise ValueError(f"--report {path} is a folder; give a file name such as {os.path.join(path, 'report.json')}")
    ext = os.path.splitext(path)[1].lower()
    if ext not in REPORT_EXTENSIONS:
        raise ValueError(f"--report {path}: unknown extension {ext or '(none)'}; "
                         "write out.json (machine-readable) or out.html (a page)")
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--report {path}: cannot create the folder {parent}: {exc.strerror or exc}") from None
    if not os.access(parent, os.W_OK):
        raise ValueError(f"--report {path}: the folder {parent} is not writable")


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


def static_summary(findings: Any) -> dict[str, Any]:
    """What ``headline`` needs from the config's static findings (stored as ``info["static"]``):
    the number of errors and warnings and their codes."""
    bad = [f for f in findings if f.severity >= Severity.WARNING]
    return {"errors": sum(f.severity >= Severity.ERROR for f in bad),
            "warnings": sum(f.severity == Severity.WARNING for f in bad),
            "codes": sorted({f.code for f in bad})}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(res: Any) -> str:
    """One line: PASS / WARN / FAIL / INCONCLUSIVE and why, accounting for every finding: the
    config's static errors and warnings (``info["static"]``, set by the CLI) as well as the
    dry-run's, so the line never says PASS when the exit code says otherwise."""
    numeric = _numeric_headline(res)
    static = res.info.get("static") or {}
    if not static.get("errors") and not static.get("warnings"):
        return numeric
    parts = [_plural(static[k], k[:-1]) for k in ("errors", "warnings") if static.get(k)]
    label = "FAIL" if static.get("errors") or numeric.startswith("FAIL") else "WARN"
    kind, _, rest = numeric.partition(": ")
    dry = rest if kind in ("PASS", "FAIL", "WARN") else f"{kind.lower()}: {rest}"  # the label above covers it
    return f"{label}: static: {' and '.join(parts)} ({', '.join(static.get('codes', []))}); dry-run: {dry}"


def _numeric_headline(res: Any) -> str:
    """The dry-run's own verdict (its findings only)."""
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
    if info.get("assumed"):  # defaults standing in for what the config does not say
        from .runner import _assumed_text

        lines.append(f"assumed (not in the config): {_assumed_text(info['assumed'])}")
    if info.get("data"):  # the bytes every step trained on: the same hash, the same data
        lines.append(f"data: {info['data']} (sha256 {info.get('data_sha256') or '?'})")
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
    if path.lower().endswith(".html"):
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
    stage peak LRs times the run's LR multiple and its schedule factor at that step.

    Each file starts with a ``{"hnet_lint_curves": {...}}`` line saying what it is (``kind``
    probe or smoke, ``steps_planned``, ``warmup``, ``lr_multiple``, ``seed``, the config and
    the data's sha256), so ``analyze`` judges a probe as a probe, not as a run of the config
    that stopped at step 99 of 100,000."""
    from ..analyze.metrics import MetricsWriter

    written = []
    for n, res in enumerate(results):
        peaks = res.info.get("peak_lrs") or []
        common = {"source": "hnet-lint --dry-run", "config": res.file, "scale": res.info.get("scale"),
                  "data": res.info.get("data"), "data_sha256": res.info.get("data_sha256")}
        series = []
        if res.smoke is not None and res.smoke.steps:
            series.append(("smoke", 1.0, res.smoke.steps,
                           {"kind": "smoke", "steps_planned": res.info.get("smoke_steps_planned"),
                            "lr_multiple": 1.0, "seed": res.info.get("seed")}))
        runs = res.probe.runs if res.probe is not None else []
        plan = getattr(res.probe, "plan", None)
        first = runs[0].seed if runs else None
        for run in runs:  # the first seed keeps the short name; later seeds say theirs
            tag = f"probe-{run.multiple:g}x" if run.seed == first else f"probe-seed{run.seed}-{run.multiple:g}x"
            series.append((tag, run.multiple, run.steps,
                           {"kind": "probe", "steps_planned": plan.steps if plan else None,
                            "warmup": plan.warmup if plan else res.probe.warmup, "lr_multiple": run.multiple,
                            "seed": run.seed}))
        for name, multiple, steps, meta in series:
            path = f"{stem}.{n}-{name}.jsonl"
            with MetricsWriter(path, meta={**meta, **common}) as out:
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
