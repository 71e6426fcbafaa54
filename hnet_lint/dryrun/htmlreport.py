"""``--report out.html``: one self-contained page per dry-run, verdict first.

Layout (styled like ``hnet-lint analyze``'s report): the verdict banner (PASS / WARN / FAIL /
INCONCLUSIVE) with the LR-edge decision and its uncertainty, then the findings, then plots of
the smoke phase (loss, pre-clip grad norm against the clip, LR per group on the real schedule
prefix) and of the probe (per-seed curves with the band across seeds at 1x and 0.5x, the
per-seed gap with the tail window it is averaged over, the max attention logit, the boundary
rate against 1/N), then the setup with long parameter lists collapsed. Plots are PNGs inlined
as data URIs that scale to the page width; without matplotlib the page says so and keeps the
rest.
"""

from __future__ import annotations

import base64
import io
import json
import math
from typing import Any

from ..diagnostics import Severity

__all__ = ["render_html"]

_SIZE = (12, 3.3)
_COLORS = {1.0: "#c0392b", 0.5: "#2e86c1", 2.0: "#7d3c98"}


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig, plt) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _finite(xs, ys):
    pts = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    return [p[0] for p in pts], [p[1] for p in pts]


def smoke_plot(res: Any, plt) -> dict | None:
    steps = res.smoke.steps if res.smoke is not None else []
    if not steps:
        return None
    unchanged = [u for u in (res.smoke.unchanged or []) if u.get("elements")]
    fig, ax = plt.subplots(1, 4 if unchanged else 3, figsize=_SIZE)
    t = [s.step for s in steps]
    ax[0].plot(*_finite(t, [s.loss for s in steps]), marker=".", color="#222")
    ax[0].set_title("loss")
    ax[1].plot(*_finite(t, [s.grad_norm for s in steps]), marker=".", color="#222", label="pre-clip")
    clip = res.info.get("grad_clip")
    if clip:
        ax[1].axhline(clip, color="#d68910", ls="--", label=f"clip {clip:g}")
    ax[1].set_title("pre-clip grad norm")
    ax[1].legend(fontsize=7)
    for s, peak in enumerate(res.info.get("peak_lrs") or []):
        ax[2].plot(t, [peak * st.lr_factor for st in steps], marker=".", label=f"stage {s}")
    ax[2].set_title("LR per stage (real schedule)")
    ax[2].legend(fontsize=7)
    for a in ax[:3]:
        a.set_xlabel("optimizer step")
    if unchanged:  # where a bf16-storage config fails: elements that never moved at peak LR
        limit = res.info.get("max_frozen_fraction", 0.5)
        labels = [f"g{u['group']} s{','.join(map(str, u['stages']))}" for u in unchanged]
        fracs = [u["fraction"] for u in unchanged]
        bars = ax[3].bar(labels, fracs, color=["#c0392b" if f > limit else "#7f8c8d" for f in fracs])
        ax[3].bar_label(bars, labels=[f"{f:.0%}" for f in fracs], fontsize=7)
        ax[3].axhline(limit, color="#d68910", ls="--", lw=0.8, label=f"limit {limit:.0%}")
        ax[3].set_ylim(0, 1)
        ax[3].set_title("never changed at peak LR")
        ax[3].set_xlabel("optimizer group (stage)")
        ax[3].tick_params(axis="x", labelsize=7, rotation=30)
        ax[3].legend(fontsize=7)
    return {"title": "Smoke phase: the configured schedule's first steps, full accumulation cycles, then 3 at peak LR",
            "src": _png(fig, plt)}


def _band(ax, runs, key, color, label) -> None:
    """Each seed thin, the min-max band across seeds shaded."""
    series = [key(r) for r in runs]
    series = [s for s in series if s[0]]
    if not series:
        return
    for xs, ys in series:
        ax.plot(xs, ys, color=color, lw=0.7, alpha=0.6)
    common = sorted(set.intersection(*[set(xs) for xs, _ in series]))
    if len(series) > 1 and common:
        maps = [dict(zip(xs, ys)) for xs, ys in series]
        lo = [min(m[x] for m in maps) for x in common]
        hi = [max(m[x] for m in maps) for x in common]
        ax.fill_between(common, lo, hi, color=color, alpha=0.18, lw=0)
    ax.plot([], [], color=color, label=f"{label} ({len(series)} seed{'s' if len(series) > 1 else ''})")


def probe_plot(res: Any, plt) -> dict | None:
    probe = res.probe
    if probe is None or not probe.runs:
        return None
    fig, ax = plt.subplots(2, 2, figsize=(11, 6.2))
    ax = ax.ravel()
    for m in sorted({r.multiple for r in probe.runs}, reverse=True):
        runs = [r for r in probe.runs if r.multiple == m]
        color = _COLORS.get(m, "#555")
        _band(ax[0], runs, lambda r: _finite([s.step for s in r.steps], r.losses()), color, f"{m:g}x")
        _band(ax[2], runs, lambda r: _attn(r), color, f"{m:g}x")
        _band(ax[3], runs, lambda r: _finite([s.step for s in r.steps],
                                              [s.boundary_rates[0] if s.boundary_rates else None for s in r.steps]),
              color, f"{m:g}x")
    ax[0].set_title("probe loss (per seed; band = range over seeds)")
    frac = res.info.get("tail_fraction", 0.25)
    for a, b in probe.complete_pairs():
        n = min(len(a.steps), len(b.steps))
        ax[1].plot(range(n), [x - y for x, y in zip(a.losses()[:n], b.losses()[:n])], lw=0.8,
                   label=f"seed {a.seed}")
    if probe.plan:
        start = probe.plan.steps - max(2, int(round(probe.plan.steps * frac)))
        ax[1].axvspan(start, probe.plan.steps, color="#f5cba7", alpha=0.4, lw=0, label="tail averaged")
        ax[1].axvline(probe.plan.warmup, color="#888", ls=":", lw=0.8)
    ax[1].axhline(0, color="#888", lw=0.6)
    dec = probe.decision
    if dec is not None and dec.mean is not None:
        ax[1].axhline(dec.margin, color="#d68910", ls="--", lw=0.8, label=f"margin {dec.margin:g}")
    ax[1].set_title("1x minus 0.5x loss, same batches")
    ax[2].axhline(100, color="#d68910", ls="--", lw=0.8)
    ax[2].set_title("max attention logit")
    ratios = res.info.get("target_ratios") or []
    if ratios:
        ax[3].axhline(1 / ratios[0], color="#888", ls="--", lw=0.8, label=f"1/N = {1 / ratios[0]:.2f}")
    ax[3].set_title("boundary rate, stage 0")
    for a in ax:
        a.set_xlabel("probe step")
        a.legend(fontsize=7)
    return {"title": "Probe: warm-up to the configured peak, then hold; 1x and its 0.5x control per seed",
            "src": _png(fig, plt)}


def _attn(r) -> tuple[list, list]:
    per_step: dict[int, float] = {}
    for series in r.attn_logits.values():
        for t, v in series:
            per_step[t] = max(per_step.get(t, 0.0), v)
    xs = sorted(per_step)
    return xs, [per_step[x] for x in xs]


def _verdict(res: Any) -> dict[str, str]:
    from .verdict import headline

    text = headline(res)
    kind = text.split(":")[0].split()[0].lower()
    return {"kind": kind, "text": text}


def context(res: Any) -> dict[str, Any]:
    plt = _pyplot()
    plots, note = [], None
    if plt is None:
        note = "plots need the optional 'plot' extra: pip install 'hnet-lint[plot]'"
    else:
        plots = [p for p in (smoke_plot(res, plt), probe_plot(res, plt)) if p]
    findings = [{"code": f.code, "name": f.name, "severity": f.severity.label, "phase": f.phase,
                 "evidence": f.evidence, "where": f"{f.span.file}:{f.span.line}:{f.span.column} {f.key or ''}",
                 "message": f.message}
                for f in sorted(res.findings, key=lambda d: (-int(d.severity), d.code)) if f.code != "HNL814"]
    from .verdict import scope_statement

    summary = next((f.message for f in res.findings if f.code == "HNL814"), None)
    head = f"PASS: {scope_statement(res.info, res.probe)}. "
    if summary and summary.startswith(head):  # the banner already says it
        summary = summary[len(head):]
    info = res.info
    dec = getattr(res.probe, "decision", None)
    params = {"decayed": info.get("decayed_param_names") or [],
              "groups": info.get("optimizer_groups") or []}
    return {"file": res.file, "verdict": _verdict(res), "decision": dec.summary() if dec else None,
            "plan": (info.get("probe_plan") if res.probe is not None or "probe" not in info.get("phases", [])
                     else f"{info.get('probe_plan')}: not run ({'the smoke phase failed' if res.failed else 'stopped'})")
            if info.get("probe_plan") else None, "summary": summary, "findings": findings, "plots": plots,
            "plot_note": note, "peak_lrs": info.get("peak_lrs") or [],
            "timings": ", ".join(f"{k} {v:.1f} s" for k, v in res.timings.items()),
            "setup": [(k, info.get(k)) for k in ("scale", "device", "param_count", "proxy_widths",
                                                 "configured_widths", "micro_batch", "grad_accum", "kernels",
                                                 "data", "data_sha256", "assumed") if info.get(k) is not None],
            "notes": info.get("notes") or [], "params": params,
            "n_decayed": len(params["decayed"]), "n_groups": len(params["groups"]),
            "interrupted": res.interrupted, "severities": [s.label for s in Severity]}


def render_html(results: list[Any], data: dict) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("hnet_lint.dryrun", "templates"), undefined=StrictUndefined,
                      autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(
        results=[context(r) for r in results], data=json.dumps(data, indent=1, default=str))
