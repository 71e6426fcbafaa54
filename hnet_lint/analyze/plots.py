"""PNG plots of a run (needs the optional ``plot`` extra: matplotlib, Agg backend).

The only module of the analyzer that imports matplotlib, and only when a plot is drawn.
Each function draws one figure and returns its file name, or ``None`` when the log has
nothing to draw.
"""

from __future__ import annotations

import math
import os
from typing import Any

from .codes import Expectations
from .runlog import RunLog, Series
from .stats import num

__all__ = ["PLOT_HINT", "draw_all", "have_matplotlib"]

PLOT_HINT = "plots need the optional 'plot' extra: pip install 'hnet-lint[plot]'"
_SIZE = (9, 4.2)


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window on a head node
    import matplotlib.pyplot as plt

    return plt


def _finite(series: Series | None) -> tuple[list[int], list[float]]:
    if series is None:
        return [], []
    s = series.finite()
    return s.steps, s.values


def _save(fig, out_dir: str, name: str) -> str:
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    _pyplot().close(fig)
    return name


def plot_loss(log: RunLog, out_dir: str, stem: str) -> str | None:
    """Loss (and eval loss) on the left, per-byte perplexity exp(loss) on a log axis right."""
    steps, loss = _finite(log.get("loss"))
    if not steps:
        return None
    plt = _pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=_SIZE)
    ev_steps, ev = _finite(log.get("eval_loss"))
    ax.plot(steps, loss, lw=1, label="train loss")
    bx.plot(steps, [math.exp(min(v, 50)) for v in loss], lw=1, label="train")
    if ev_steps:
        ax.plot(ev_steps, ev, "o-", ms=3, lw=1.2, label="eval loss")
        bx.plot(ev_steps, [math.exp(min(v, 50)) for v in ev], "o-", ms=3, label="eval")
    ax.set(title="Loss", xlabel="step", ylabel="loss (nats per byte)")
    bx.set(title="Perplexity", xlabel="step", ylabel="perplexity exp(loss)", yscale="log")
    from matplotlib.ticker import FormatStrFormatter

    bx.yaxis.set_major_formatter(FormatStrFormatter("%g"))  # "20", not "2 x 10^1"
    ppl = [math.exp(min(v, 50)) for v in loss]
    if max(ppl) / min(ppl) < 20:  # few decades: label the minor ticks too
        bx.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    _mark_non_finite(log, (ax, bx))
    for a in (ax, bx):
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    return _save(fig, out_dir, f"{stem}loss.png")


def _mark_non_finite(log: RunLog, axes) -> None:
    """A red line at the first NaN/Inf loss, which the curves themselves cannot show."""
    series = log.get("loss")
    bad = [s for s, v in zip(series.steps, series.values) if not math.isfinite(v)]
    if bad:
        for a in axes:
            a.axvline(bad[0], color="r", ls=":", lw=1.2, label=f"first NaN/Inf at step {bad[0]:,}")


def plot_grad_norm(log: RunLog, out_dir: str, stem: str, clip: float | None) -> str | None:
    """Gradient norm on a log axis, with the clip level and the maximum marked."""
    steps, gn = _finite(log.get("grad_norm"))
    gn_pos = [(s, v) for s, v in zip(steps, gn) if v > 0]
    if not gn_pos:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=_SIZE)
    ax.plot([s for s, _ in gn_pos], [v for _, v in gn_pos], lw=1, label="grad norm (pre-clip)")
    top = max(gn_pos, key=lambda p: p[1])
    ax.plot([top[0]], [top[1]], "rv", label=f"max {num(top[1])} at step {top[0]:,}")
    if clip and clip > 0:
        ax.axhline(clip, color="k", ls="--", lw=1, label=f"clip level {clip:g}")
    ax.set(title="Gradient norm", xlabel="step", ylabel="global grad norm (log scale)",
           yscale="log")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _save(fig, out_dir, f"{stem}grad_norm.png")


def plot_lr(log: RunLog, out_dir: str, stem: str, expect: Expectations) -> str | None:
    """Logged LR per group (solid) against the configured schedule x multiplier (dashed)."""
    groups = log.indexed("lr_group_") or ({-1: log.series["lr"]} if log.get("lr") else {})
    if not groups:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=_SIZE)
    mult = expect.multipliers or ()
    for g, series in groups.items():
        steps, vals = _finite(series)
        label = f"group {g} (logged)" if g >= 0 else "lr (logged)"
        line, = ax.plot(steps, vals, lw=3, alpha=0.55, label=label)
        if expect.schedule and steps:
            m = mult[g] if 0 <= g < len(mult) else 1.0
            grid = _grid(steps[0], max(steps[-1], expect.schedule.total_steps))
            # drawn on top, thin and dark, so a perfect match still shows both lines
            want = [expect.schedule.lr(s) * m for s in grid]
            ax.plot(grid, want, ls="--", lw=1.1, color="0.15", zorder=3,
                    label="config schedule x multiplier" if g == min(groups) else None)
            top = max(range(len(want)), key=want.__getitem__)  # label at the peak,
            ax.annotate(f"config x{m:g}", (grid[top], want[top]), fontsize=8,  # where
                        xytext=(4, 4), textcoords="offset points")  # the curves are apart
    ax.set(title="Learning rate per parameter group", xlabel="step", ylabel="learning rate")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return _save(fig, out_dir, f"{stem}lr.png")


def _grid(lo: int, hi: int, n: int = 400) -> list[float]:
    return [lo + (hi - lo) * k / (n - 1) for k in range(n)]


def plot_compression(log: RunLog, out_dir: str, stem: str,
                     targets: tuple[float, ...] | None) -> str | None:
    """Boundary rate F per stage with its 1/N target (dashed)."""
    stages = log.indexed("compression_")
    if not stages:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=_SIZE)
    for s, series in stages.items():
        line, = ax.plot(*_finite(series), lw=1, label=f"stage {s} boundary rate F")
        if targets and s < len(targets) and targets[s] > 0:
            ax.axhline(1 / targets[s], ls="--", lw=1, color=line.get_color(),
                       label=f"stage {s} target 1/N = {1 / targets[s]:.3f}")
    ax.set(title="Compression per stage", xlabel="step",
           ylabel="fraction of positions that are boundaries", ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out_dir, f"{stem}compression.png")


def draw_all(log: RunLog, expect: Expectations, out_dir: str, stem: str = "") -> list[dict[str, Any]]:
    """Every plot this log supports: ``[{"file", "title"}]``."""
    drawn = [
        (plot_loss(log, out_dir, stem), "Loss and perplexity"),
        (plot_grad_norm(log, out_dir, stem, expect.grad_clip), "Gradient norm"),
        (plot_lr(log, out_dir, stem, expect), "Learning rate per group"),
        (plot_compression(log, out_dir, stem, expect.target_ratio), "Compression per stage"),
    ]
    return [{"file": f, "title": t} for f, t in drawn if f]
