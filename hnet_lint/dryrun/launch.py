"""``--dry-run --nproc N``: start the workers with torch's own launcher and read rank 0's result.

The command is ``python -m torch.distributed.run --standalone --nproc-per-node N -m
hnet_lint.dryrun.worker JOB_DIR`` (``--standalone``: a local rendezvous on a free port). The job
directory is private (``mkdtemp``, mode 0700) and holds the linted run and options (pickled by
this process, read by the workers: the file's path, its settings and dialect, so each worker lints
it again into the same run config) and rank 0's ``result.json``. A worker that hangs is stopped
by a timeout of the time budget plus a margin; a launch that fails is reported as HNL801, never
as a pass, quoting the exception of the rank that failed first (each worker writes its traceback
to ``error-rank<N>.txt`` in the job directory), or the tail of the launcher's stderr when no rank
recorded one (killed, hung).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Callable

from ..diagnostics import Diagnostic, Severity, Span
from .build import DryRunOptions
from .codes import finding
from .runner import CPU_SAFETY_STOP_S, DryRunResult
from .smoke import SmokeResult
from .train import StepStats

__all__ = ["run_distributed_dry_run", "diagnostic_from_json"]

LAUNCH_MARGIN_S = 120.0  # process start, rendezvous and imports on top of the budget


def diagnostic_from_json(d: dict[str, Any]) -> Diagnostic:
    """The inverse of ``worker.diagnostic_to_json``."""
    return Diagnostic(
        span=Span(d["file"], d["line"], d["column"], d["end_line"], d["end_column"]), code=d["code"],
        severity=Severity(d["severity_value"]), message=d["message"], name=d.get("name", ""),
        path=tuple(d.get("path", ())), phase=d.get("phase", "static"), evidence=d.get("evidence"),
        data=d.get("data"))


def _result_from_json(data: dict[str, Any]) -> DryRunResult:
    res = DryRunResult(file=data["file"], timings=dict(data.get("timings_s", {})), info=data.get("info", {}),
                       interrupted=bool(data.get("interrupted")))
    res.findings = [diagnostic_from_json(f) for f in data.get("findings", [])]
    if data.get("smoke") is not None:
        res.smoke = SmokeResult(steps=[StepStats(**s) for s in data["smoke"]["steps"]],
                                unchanged=data["smoke"].get("unchanged", []))
    if data.get("probe") is not None:
        from .probe import ProbeResult

        res.probe = ProbeResult.from_dict(data["probe"])
    return res


def _command(nproc: int, job: str) -> list[str]:
    """The launch command (a function so a test can start a worker that fails on purpose)."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "-m", "hnet_lint.dryrun.worker", job]


def rank_failure(job: str, frames: int = 1200) -> tuple[int, str, str] | None:
    """(rank, its exception line, the end of its traceback) of the rank that failed first, from
    the ``error-rank<N>.txt`` files the workers write (``worker.main``); None when none did.

    The first to fail is the oldest file: when one rank raises, the others then fail in their
    next collective ("connection closed by peer") or are stopped by the launcher, and those are
    consequences, not the cause."""
    found = []
    for name in os.listdir(job):
        m = re.fullmatch(r"error-rank(\d+)\.txt", name)
        if m:
            path = os.path.join(job, name)
            found.append((os.stat(path).st_mtime_ns, int(m.group(1)), path))
    if not found:
        return None
    _, rank, path = min(found)
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read().rstrip()
    lines = text.splitlines() or ["(empty traceback)"]
    return rank, lines[-1], text[-frames:]


def run_distributed_dry_run(run: Any, opts: DryRunOptions, nproc: int, engine: str,
                            log: Callable[[str], None] = lambda s: None, file: str = "",
                            settings: Any = None) -> DryRunResult:
    """Run the planned phases under ``engine`` on ``nproc`` processes; rank 0's merged result."""
    job = tempfile.mkdtemp(prefix="hnet-lint-dist-")
    try:
        with open(os.path.join(job, "job.pkl"), "wb") as fh:
            # the run itself holds schedule closures and cannot be pickled; the worker re-lints
            pickle.dump((run.doc.path, settings, run.dialect, opts, engine), fh)
        cmd = _command(nproc, job)
        env = dict(os.environ)
        env.setdefault("OMP_NUM_THREADS", "1")  # torchrun would set it and warn; one thread per rank
        if os.path.exists("/sys/class/net/lo"):
            # every rank is on this machine: gloo on loopback works where the hostname does not
            # resolve to a reachable address (containers, CI runners)
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")
        budget = opts.time_budget or (CPU_SAFETY_STOP_S if opts.device != "cuda" else None)
        timeout = budget + LAUNCH_MARGIN_S if budget else None
        log(f"launching {nproc} processes ({engine}) with torch.distributed.run")
        try:
            proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  timeout=timeout)
            stderr, rc = proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            rc = None
        for line in stderr.splitlines():  # rank 0's progress lines; the launcher's own noise stays out
            if line.startswith("[dry-run] "):
                log(line[len("[dry-run] "):])
        path = os.path.join(job, "result.json")
        if os.path.exists(path):  # written (atomically) by rank 0 after every rank's findings arrived
            with open(path, encoding="utf-8") as fh:
                res = _result_from_json(json.load(fh))
            res.file = file or res.file
            if rc != 0:
                log(f"the workers exited with status {rc} after rank 0 wrote the complete result")
            return res
        res = DryRunResult(file=file or run.doc.path, interrupted=True)
        why = f"timed out after {timeout:g} s" if rc is None else f"exited with status {rc}"
        failed = rank_failure(job)
        if failed is not None:
            rank, error, tb = failed
            what = f"rank {rank} raised {error}; the end of its traceback:\n{tb}"
        else:  # no rank recorded an exception (killed, hung): the launcher's own words
            what = "Last output:\n" + "\n".join(
                line for line in stderr.splitlines() if not line.startswith("[dry-run] "))[-1500:]
        res.findings.append(finding(run, "HNL801", ("model",), phase="build",
                                    message=(f"the distributed dry-run ({engine} x {nproc}) {why}; nothing it "
                                             f"would have checked is reported as passed. {what}"),
                                    data={"returncode": rc, "engine": engine, "nproc": nproc,
                                          "failed_rank": failed[0] if failed else None,
                                          "error": failed[1] if failed else None}))
        return res
    finally:
        shutil.rmtree(job, ignore_errors=True)
