"""``hnet-lint schedule CONFIG``: the LR each parameter group will really see, per step.

Computed from the trainer profile of a flat file (see ``hnet-lint trainers``): run length in
optimizer steps, warmup, decay, world-size scaling and per-stage multipliers, as that
trainer's code does them. A native run config is its own trainer's contract: its
``schedule`` section in optimizer steps, with ``optimizer.lr_multiplier``. Text: a table at
evenly spaced optimizer steps plus the phase boundaries; ``--format json``: every optimizer
step per parameter group (up to a million steps; beyond that, or with ``--points``, the
sampled steps); ``--plot FILE``: a PNG per stage (needs the ``plot`` extra).

The schedule findings lint gives for the file (the ``schedule`` rules, HNL301-HNL312, and
HNL311 for a schedule key with no effect) go to stderr in lint's text format, under the
same settings; the exit code is lint's for them (1 when one reaches ``fail-on``), so a
schedule that never reaches its peak is never printed with a silent exit 0.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import click

from ..diagnostics import HnetLintError

__all__ = ["schedule", "trainers"]

_PLURAL = {"micro-batch": "micro-batches", "optimizer": "optimizer steps"}
#: --format json lists every step up to this many (about 20 MB per parameter group)
JSON_MAX_STEPS = 1_000_000


def _load(config: str, trainer: str | None):
    from ..load.dialect import detect_dialect
    from ..load.normalize import normalize
    from ..load.source import load_file
    from ..load.trainers import resolve

    if trainer:
        resolve(trainer)
    doc = load_file(config)
    errors = [d for d in doc.diagnostics if d.code == "HNL000"]
    if doc.root is None or errors:
        reason = errors[0].message if errors else "empty file"
        raise HnetLintError(f"cannot read {config}: {reason}")
    dialect = detect_dialect(doc.data)
    if dialect not in ("flat", "native"):
        raise HnetLintError(f"{config} is not a run config (dialect: {dialect}); the effective "
                            "schedule needs a native run config or a flat trainer file")
    if dialect == "native":
        run, _ = normalize(doc, "native")
    else:
        run, _ = normalize(doc, "flat", trainer=trainer)
    return run


@click.command("schedule")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option("--trainer", default=None, metavar="NAME[@VERSION]",
              help="Trainer profile (default: the file's `trainer` key, else detected).")
@click.option("--world-size", type=int, default=None,
              help="Processes (default: the profile's cluster scripts, e.g. 4).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--points", type=click.IntRange(min=2), default=None,
              help="Evenly spaced optimizer steps to show, plus the phase boundaries "
                   "(text: 21 by default; JSON: every step by default).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Draw the LR per stage over optimizer steps to this PNG.")
def schedule(config, trainer, world_size, fmt, points, plot_path):
    """Print the effective LR schedule of CONFIG, per parameter group: a flat trainer file as
    its trainer profile computes it, a native run config as its `schedule` section says."""
    from ..load.trainers.effective import ScheduleUnavailable, schedule_of

    run = _load(config, trainer)
    if world_size is not None and world_size < 1:
        raise HnetLintError("--world-size must be at least 1")
    findings = _findings(config, trainer)
    try:
        eff = schedule_of(run, world_size)
    except ScheduleUnavailable as exc:
        _print_findings(findings)
        raise HnetLintError(f"{config}: {exc}") from None
    _emit(eff, config, fmt, points, plot_path, run)
    _print_findings(findings)
    sys.exit(findings.exit_code())


def _findings(config: str, trainer: str | None):
    """Lint's report for ``config`` (its settings file, ``--trainer``), keeping only the
    schedule findings."""
    from ..api import lint_paths
    from ..check.engine import registry
    from .lint import build_settings

    finder = build_settings(None, False, (), (), (), (), (), None, trainer)
    report = lint_paths([config], finder)
    rules = registry()

    def about_schedule(diag) -> bool:
        meta = rules.get(diag.code)
        if meta is not None and meta.area == "schedule":
            return True
        return diag.code == "HNL311" and bool((diag.data or {}).get("schedule"))

    return replace(report, diagnostics=[d for d in report.diagnostics if about_schedule(d)])


def _print_findings(report) -> None:
    """The findings to stderr, as lint prints them (nothing when there are none)."""
    if not report.active:
        return
    from ..report import RenderContext, get_reporter
    from .lint import _sources

    ctx = RenderContext(sources=_sources(report))
    sys.stderr.write(get_reporter("text")(report, ctx))


def _emit(eff, config: str, fmt: str, points: int | None, plot_path: str | None, run) -> None:
    """The schedule: a table or JSON on stdout, and the plot when asked for."""
    from ..load.trainers.effective import schedule_to_dict

    if plot_path:
        _plot(eff, plot_path)
        click.echo(f"hnet-lint: wrote {plot_path}", err=True)
    if fmt == "json":
        if points is None and eff.optimizer_steps > JSON_MAX_STEPS:
            raise HnetLintError(
                f"{config}: {eff.optimizer_steps} optimizer steps are too many to list one by "
                f"one (more than {JSON_MAX_STEPS}); pass --points N for N sampled steps")
        steps = eff.sample_steps(points) if points is not None else None
        click.echo(json.dumps(schedule_to_dict(eff, steps), separators=(",", ":")))
        return
    click.echo(_table(eff, points or 21, run.trainer_selection))


def _marks(eff) -> list[tuple[int, str]]:
    """The phase boundaries inside the run, in optimizer steps, one label per step: a warmup
    that ends where the decay starts (cosine, linear) is one mark, not two labels on top of
    each other."""
    marks: dict[int, list[str]] = {}
    for edge, what in ((eff.warmup_end, "warmup ends"), (eff.decay_start, "decay starts")):
        at = eff.optimizer_step_reaching(edge) if edge else None
        if at is not None and 0 < at < eff.optimizer_steps:
            marks.setdefault(at, []).append(what)
    return [(at, ", ".join(labels)) for at, labels in sorted(marks.items())]


def _table(eff, points: int, selection) -> str:
    stages = len(eff.multipliers)
    how = f" ({selection.how}: {selection.reason})" if selection is not None else ""
    lines = [
        f"trainer: {eff.profile.label}{how}",
        _steps_line(eff),
        f"peak LR: {eff.base_lr:g} x {eff.lr_scale:g} (world size {eff.world_size}"
        f"{'' if eff.lr_scale != 1 else ', not scaled'}) = {eff.peak_lr:g}; multipliers "
        f"{list(eff.multipliers)}; weight decay {eff.profile.fixed_weight_decay:g} on all "
        "but *.bias/*.norm.* (0)" if eff.profile.fixed_weight_decay is not None else
        f"peak LR: {eff.peak_lr:g}; multipliers {list(eff.multipliers)}",
    ]
    lines += [f"note: {n}" for n in eff.notes]
    header = ["opt step", "% run", "sched step", "of peak"] + [
        f"stage {s} LR" for s in range(stages)]
    rows = []
    for j in eff.sample_steps(points):
        k = eff.scheduler_step_of(j)
        rows.append([str(j), f"{j / max(eff.optimizer_steps, 1):.0%}", str(k),
                     f"{eff.factor(k):.3f}"] + [f"{eff.lr(j, s):.3e}" for s in range(stages)])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    lines.append("")
    lines.append("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _steps_line(eff) -> str:
    if eff.profile.loop_unit == "optimizer":
        return (f"steps: {eff.optimizer_steps} optimizer steps of {eff.accumulation} "
                f"micro-batch(es) each; scheduler total {eff.scheduler_total}; "
                f"schedule {eff.name}")
    return (f"steps: {eff.optimizer_steps} optimizer steps = {eff.scheduler_total} "
            f"{_PLURAL.get(eff.profile.loop_unit, eff.profile.loop_unit)} / accumulation "
            f"{eff.accumulation}; scheduler total {eff.scheduler_total}; schedule {eff.name}")


def _plot(eff, path: str) -> None:
    try:
        import matplotlib
    except ImportError:
        raise HnetLintError("--plot needs the optional 'plot' extra: "
                            "pip install 'hnet-lint[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = eff.sample_steps(2000)
    fig, ax = plt.subplots(figsize=(9, 4.2))
    for stage in range(len(eff.multipliers)):
        ax.plot(steps, [eff.lr(j, stage) for j in steps],
                label=f"stage {stage} (x{eff.multipliers[stage]:g})")
    if eff.scheduler_total != eff.optimizer_steps and eff.optimizer_steps > 0:
        stretch = eff.scheduler_total / eff.optimizer_steps
        ax.plot(steps, [eff.peak_lr * eff.multipliers[0] * eff.factor(int(j * stretch))
                        for j in steps], color="grey", linestyle="--", linewidth=1,
                label="stage 0 if the schedule spanned the run")
    top = ax.get_ylim()[1]
    last = None
    for at, what in _marks(eff):
        ax.axvline(at, color="grey", linestyle=":", linewidth=1)
        # a second mark close to the first (under 15% of the run) goes lower, not on top
        near = last is not None and at - last < 0.15 * max(eff.optimizer_steps, 1)
        ax.text(at, top * (0.87 if near else 0.95), f" {what}", fontsize=8, color="grey")
        last = at
    if eff.warmup_end and eff.optimizer_step_reaching(eff.warmup_end) is None:
        ax.text(0.99, 0.02, f"warmup never completes: the run ends at "
                f"{eff.final_factor():.0%} of peak", transform=ax.transAxes, ha="right",
                fontsize=8, color="firebrick")
    ax.set_xlabel(f"optimizer step (run ends at {eff.optimizer_steps})")
    ax.set_ylabel("learning rate")
    ax.set_title(f"Effective LR per stage: {eff.profile.label}, {eff.name}, accumulation "
                 f"{eff.accumulation}, world size {eff.world_size}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@click.command("trainers")
def trainers():
    """List the trainer profiles (for --trainer and the `trainer` key)."""
    from ..load.trainers import PROFILES

    for label, profile in PROFILES.items():
        click.echo(f"{label}\n    {profile.summary}\n    read from: {profile.source}\n"
                   f"    versions covered: {', '.join(profile.commits)}")
    click.echo("none\n    your own trainer: only checks that need no trainer semantics")
