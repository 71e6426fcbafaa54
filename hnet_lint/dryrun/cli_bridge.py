"""``hnet-lint CONFIG --dry-run``: run the dry-run on every linted config and merge the findings.

Called lazily by ``commands/lint.py`` (this is the first module on that path to import torch).
Progress and the verdict go to stderr; findings join ``report.diagnostics`` so every output
format (text, JSON, SARIF) carries them. Settings apply as for static rules: ``--ignore
HNL809`` drops a code, ``--severity HNL807=error`` re-grades it, ``--option
HNL807.margin_nats=0.1`` moves a threshold.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import replace
from typing import Any

from .build import DryRunOptions
from .codes import DRYRUN_CODES
from .runner import DryRunResult, run_dry_run_for
from .verdict import format_verdict, static_summary, write_report

__all__ = ["run_dry_run", "write_report_safely"]


_STEP = re.compile(r"^(?P<phase>.*?)\bstep (?P<i>\d+)/(?P<n>\d+)(?::\s*(?P<tail>.*))?$")


class _Progress:
    """Progress on stderr: on a terminal, per-step messages redraw one line with a bar; in a
    log (CI, a pipe) every message is its own line, so nothing is lost."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.open_line = False

    def __call__(self, msg: str) -> None:
        match = _STEP.match(msg) if self.tty else None
        if match:
            i, n = int(match["i"]), max(int(match["n"]), 1)
            filled = round(20 * i / n)
            line = (f"[dry-run] {match['phase'].strip():<10} [{'#' * filled}{'.' * (20 - filled)}]"
                    f" {i}/{n} {match['tail'] or ''}")
            width = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + line[: width - 1].ljust(width - 1))
            self.open_line = True
        else:
            if self.open_line:
                self.stream.write("\n")
                self.open_line = False
            self.stream.write(f"[dry-run] {msg}\n")
        self.stream.flush()


_log = _Progress()


def run_dry_run(report: Any, settings: Any, report_path: str | None = None, nproc: int | None = None,
                engine: str = "ddp", **kw: Any) -> list[DryRunResult]:
    """Dry-run every config in ``report.runs``; append findings; return the per-file results.

    ``nproc``: run the same phases on that many processes under ``engine`` (``ddp`` or
    ``fsdp2``) with ``torch.distributed.run`` (launch.py, worker.py). ``no_probe``: build and
    smoke only (the wiring and numerics checks, without the LR-edge probe)."""
    no_probe = bool(kw.pop("no_probe", False))
    opts = DryRunOptions(**{k: v for k, v in kw.items() if v is not None})
    if no_probe:
        opts = replace(opts, phases=("build", "smoke"))
    opts.options = {code: settings.options_for(code, meta.name, meta.options)
                    for code, meta in DRYRUN_CODES.items()} if settings is not None else {}
    results = []
    global _log
    _log = _Progress()  # the terminal may have changed since import (tests, pipes)
    try:
        for file, run in report.runs.items():
            if run.model is None:
                _log(f"{file}: no model section; skipped")
                continue
            where = f"{nproc} processes, {engine}; " if nproc else ""
            what = (f"probe {opts.probe_seeds} seeds x (1x, 0.5x) x {opts.probe_steps or 100} steps"
                    if "probe" in opts.phases else f"build and {opts.smoke_steps} smoke steps, no probe")
            _log(f"{file}: starting (device {opts.device}; {where}{what})")
            try:
                # the config says how its trainer groups parameters: build it that way
                grouping = run.optimizer.grouping if run.optimizer else None
                run_opts = replace(opts, param_groups=grouping) if grouping else opts
                if nproc:
                    from .launch import run_distributed_dry_run

                    res = run_distributed_dry_run(run, run_opts, nproc, engine, _log, file, settings)
                else:
                    res = run_dry_run_for(run, run_opts, _log, file)
            except KeyboardInterrupt:
                _log("interrupted")
                break
            results.append(res)
            # the headline accounts for the config's static findings too (its own file and the
            # files it reads, e.g. the model JSON); suppressed ones do not count, as in the exit code
            files = {file, *(doc.path for doc, _ in getattr(run.sources, "entries", {}).values())}
            res.info["static"] = static_summary(d for d in report.active
                                                if d.phase == "static" and d.span.file in files)
            print(format_verdict(res), file=sys.stderr, flush=True)
            for diag in res.findings:
                if settings is not None:
                    if not settings.enabled(diag.code, diag.name, diag.span.file):
                        continue
                    sev = settings.severity_for(diag.code, diag.name, DRYRUN_CODES[diag.code].severity)
                    if sev != DRYRUN_CODES[diag.code].severity:
                        diag = replace(diag, severity=sev)
                report.diagnostics.append(diag)
    finally:
        report.diagnostics = sorted(set(report.diagnostics))
        if report_path:
            write_report_safely(results, report_path, _log)
    return results


def write_report_safely(results: list[DryRunResult], path: str, log: Any) -> str:
    """Write the report to ``path`` or, when that fails (the folder vanished, the disk is full),
    to a fresh temporary folder, saying where: measured results are never thrown away. Returns
    the path written."""
    try:
        curves = write_report(results, path)
    except OSError as exc:
        import os
        import tempfile

        fallback = os.path.join(tempfile.mkdtemp(prefix="hnet-lint-report-"), os.path.basename(path))
        curves = write_report(results, fallback)
        log(f"could not write {path} ({exc.strerror or exc}); the measured results are in {fallback}")
        path = fallback
    else:
        log(f"report written to {path}")
    if curves:
        log(f"curves for `hnet-lint analyze`: {', '.join(curves)}")
    return path
