"""The library entry point of ``hnet-lint watch``: plan, run, judge."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..diagnostics import Diagnostic, HnetLintError
from .judge import Outcome, judge
from .metrics import write_metrics
from .session import WatchPlan, run_session

__all__ = ["watch", "WatchResult"]


@dataclass
class WatchResult:
    findings: list[Diagnostic] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)
    folder: str = ""
    run: Any = None


def _config(path: Optional[str], world_size: Optional[int]) -> tuple[Any, Any, list[Diagnostic]]:
    """(RunConfig, its effective schedule or None, static findings that stop the check)."""
    if path is None:
        return None, None, []
    from ..api import lint_paths

    report = lint_paths([path])
    if not report.runs:
        raise HnetLintError(f"{path}: not a lintable H-Net run config "
                            + "; ".join(d.message for d in report.diagnostics[:1]))
    run = next(iter(report.runs.values()))
    try:
        from ..load.trainers.effective import schedule_of

        eff = schedule_of(run, world_size=world_size)
    except Exception as exc:  # noqa: BLE001 - no schedule: the LR check is reported as not run, and why
        eff = None
        run_note = f"LR schedule: not checked ({path} has no schedule hnet-lint can compute: {exc})"
        return run, None, [run_note]
    return run, eff, []


def watch(command: list[str], *, steps: int = 20, config: Optional[str] = None, record: Optional[str] = None,
          every: int = 1, start_timeout: float = 1800.0, step_timeout: float = 600.0,
          options: Optional[dict] = None, on_progress: Optional[Callable[[str], None]] = None,
          on_findings: Optional[Callable[[list[Diagnostic]], None]] = None) -> WatchResult:
    """Run ``command`` with the checks in every Python process it starts; stop after ``steps``
    optimizer steps (0: watch the whole run, calling ``on_findings`` with new findings as they
    appear); return the findings and where the records are."""
    if not command:
        raise HnetLintError("watch needs a command after `--`, e.g. hnet-lint watch -- python train.py")
    if steps < 0 or every < 1 or start_timeout <= 0 or step_timeout <= 0:
        raise HnetLintError("--steps must be >= 0, --every >= 1 and the timeouts > 0")
    folder = record or tempfile.mkdtemp(prefix="hnet-lint-watch-")
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, ".writable")
        open(probe, "w").close()
        os.remove(probe)
    except OSError as exc:
        raise HnetLintError(f"--record {folder}: cannot write there ({exc.strerror or exc})") from None
    run, eff, notes = _config(config, None)
    said: set = set()
    last_analyzed = [0.0]

    def tick() -> None:
        if on_findings is None:
            return
        found = judge(folder, Outcome(planned=steps), run, options, eff, notes=notes)
        import time

        if time.monotonic() - last_analyzed[0] > 10.0:  # analyze's detectors on the log so far
            last_analyzed[0] = time.monotonic()
            found += _live_analysis(folder, config, final=False)
        # what only the end of the run can tell (a summary, "ended early", "saw nothing") waits for it
        new = [f for f in found if f.code not in ("HNL826", "HNL823", "HNL827") and (f.code, f.message) not in said]
        said.update((f.code, f.message) for f in new)
        if new:
            on_findings(new)

    plan = WatchPlan(command, folder, steps=steps, every=every, start_timeout=start_timeout,
                     step_timeout=step_timeout, on_progress=on_progress,
                     on_tick=tick if steps == 0 else None)
    outcome = run_session(plan)
    if eff is not None:  # the LR the trainer derives depends on the world size it really ran with
        from .judge import read_records

        ranks = read_records(folder)
        world = max([r.of("start")[0].get("world", 1) for r in ranks.values() if r.of("start")] + [1])
        if world != eff.world_size:
            _, eff, notes = _config(config, world)
    findings = judge(folder, outcome, run, options, eff, notes=notes)
    if steps == 0:  # the whole run was watched: analyze its log as a finished run
        findings += _live_analysis(folder, config, final=True)
    else:
        write_metrics(folder)
    return WatchResult(findings=findings, outcome=outcome, folder=folder, run=run)


#: analyze codes that judge a finished run (its length), not a run in progress
_END_OF_RUN = {"HNL906"}


def _live_analysis(folder: str, config: Optional[str], final: bool) -> list[Diagnostic]:
    """analyze's detectors (spikes, a rising grad-norm trend, routers, LR off its schedule) on
    rank 0's log so far."""
    path = write_metrics(folder)
    if path is None:
        return []
    try:
        from ..analyze.run import analyze_logs

        result = analyze_logs([path], config=config)
    except Exception:  # noqa: BLE001 - a log analyze cannot read yet is not a finding
        return []
    return [f for f in result.findings if final or f.code not in _END_OF_RUN]
