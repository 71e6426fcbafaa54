"""The dry-run, phase by phase (cheapest first; the probe is skipped after a smoke FAIL).

``run_dry_run_for(run, opts)`` returns a :class:`DryRunResult`: findings (Diagnostics with
``phase`` and ``evidence``), per-phase timings and the raw curves for the JSON/HTML report.
Ctrl-C or an exhausted ``--time-budget`` stops cleanly and reports what was measured.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch

from ..diagnostics import Diagnostic, Severity
from .build import DryRunOptions, TrainSetup, build_setup, spec_from_run
from .codes import finding
from .data import load_corpus
from .smoke import run_smoke

__all__ = ["DryRunResult", "run_dry_run_for", "plan_probe"]

CPU_BUDGET_S = 85.0  # default wall-clock budget on CPU (bench target: < 90 s per example config)
DEFAULT_PROBE_STEPS = 120
MIN_PROBE_STEPS = 40


def plan_probe(opts: DryRunOptions, step_cost: float, remaining: Optional[float]) -> tuple[int, tuple[float, ...], str]:
    """Probe length and LR multiples that fit ``remaining`` seconds at ``step_cost`` s/step.

    Explicit ``--steps`` is kept (the deadline still stops it cleanly); otherwise prefer 100-120
    steps with all three runs, then drop the 2x margin run, then shorten (never below 40).
    """
    mults = tuple(opts.probe_multiples)
    if opts.probe_steps is not None or remaining is None:
        return opts.probe_steps or DEFAULT_PROBE_STEPS, mults, ""
    fit = lambda runs: int(remaining / max(step_cost * runs, 1e-9))  # noqa: E731
    if fit(len(mults)) >= 100:
        return min(DEFAULT_PROBE_STEPS, fit(len(mults))), mults, ""
    core = tuple(m for m in mults if m != 2.0)
    steps = max(MIN_PROBE_STEPS, min(DEFAULT_PROBE_STEPS, fit(len(core))))
    note = (f"time budget: probe planned at {steps} steps x {len(core)} runs "
            f"({step_cost:.2f} s/step measured in the smoke phase); 2x margin run dropped")
    return steps, core, note


@dataclass
class DryRunResult:
    """Everything one config's dry-run produced."""

    file: str
    findings: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    smoke: Any = None
    probe: Any = None
    interrupted: bool = False

    @property
    def failed(self) -> bool:
        return any(f.severity >= Severity.ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        out = {"file": self.file, "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
               "info": self.info, "interrupted": self.interrupted,
               "findings": [f.to_dict() for f in self.findings]}
        if self.smoke is not None:
            out["smoke"] = {"steps": [s.__dict__ for s in self.smoke.steps], "unchanged": self.smoke.unchanged}
        if self.probe is not None:
            out["probe"] = self.probe.to_dict()
        return out


def _setup_info(setup: TrainSetup) -> dict[str, Any]:
    return {
        "scale": setup.scale, "device": str(setup.device), "param_count": setup.param_count,
        "memory_estimate_bytes": setup.memory_bytes, "full_memory_estimate_bytes": setup.full_memory_bytes,
        "proxy_widths": setup.proxy.widths if setup.proxy else None,
        "configured_widths": setup.spec.model["d_model"], "notes": setup.notes,
        "micro_batch": [setup.micro_batch, setup.seq_len], "grad_accum": setup.grad_accum,
        "kernels": {c["component"]: c["impl"] for c in setup.backends.get("choices", [])},
        "decayed_params": len(setup.decayed), "decayed_param_names": setup.decayed,
        "optimizer_groups": [{"lr": g["lr"], "lr_multiplier": g.get("lr_multiplier"),
                              "weight_decay": g.get("weight_decay"), "params": len(g["params"])}
                             for g in setup.optimizer.param_groups],
        "peak_lrs": setup.spec.peak_lrs(), "assumed": setup.spec.assumed,
    }


def run_dry_run_for(run: Any, opts: DryRunOptions, log: Callable[[str], None] = lambda s: None,
                    file: str = "") -> DryRunResult:
    """Build, smoke and probe one normalized run config."""
    res = DryRunResult(file=file or run.doc.path)
    start = time.monotonic()
    on_cpu = opts.device == "cpu" or (opts.device == "auto" and not torch.cuda.is_available())
    threads = torch.get_num_threads()
    try:
        return _run(run, opts, log, res, start, on_cpu)
    finally:
        torch.set_num_threads(threads)  # the 1-thread setting below must not leak into the caller


def _run(run: Any, opts: DryRunOptions, log: Callable[[str], None], res: DryRunResult, start: float,
         on_cpu: bool) -> DryRunResult:
    budget = opts.time_budget if opts.time_budget else (CPU_BUDGET_S if on_cpu else None)
    deadline = start + budget if budget else None
    if on_cpu:
        torch.set_num_threads(1)  # deterministic reductions and fair on shared CI cores
    try:
        spec = spec_from_run(run)
    except Exception as exc:  # noqa: BLE001 - a config we cannot read becomes a finding
        res.findings.append(finding(run, "HNL801", ("model",), f"cannot build: {type(exc).__name__}: {exc}",
                                    phase="build"))
        return res
    seed = opts.seed if opts.seed is not None else spec.seed
    t0 = time.monotonic()
    try:
        setup = build_setup(spec, opts)
    except torch.cuda.OutOfMemoryError as exc:  # pragma: no cover - needs a GPU
        res.findings.append(finding(run, "HNL813", ("training", "batch_size"),
                                    f"out of memory building the model: {exc}", phase="build"))
        return res
    except Exception as exc:  # noqa: BLE001
        path = ("optimizer", "lr_multiplier") if isinstance(exc, IndexError) else ("model",)
        res.findings.append(finding(run, "HNL801", path, f"cannot build: {type(exc).__name__}: {exc}",
                                    phase="build"))
        return res
    res.timings["build"] = time.monotonic() - t0
    res.info.update(_setup_info(setup))
    if setup.device.type == "cuda":  # pragma: no cover - needs a GPU
        total = torch.cuda.get_device_properties(setup.device).total_memory
        if setup.full_memory_bytes > total:
            res.findings.append(finding(
                run, "HNL813", ("training", "batch_size"), phase="build",
                message=(f"estimated training memory {setup.full_memory_bytes / 2**30:.1f} GiB at batch "
                         f"{spec.batch_size} x {spec.seq_len} exceeds the device's {total / 2**30:.1f} GiB; "
                         "the dry-run continues on the proxy"),
                data={"measured": setup.full_memory_bytes, "threshold": total}))
    for note in setup.notes:
        log(note)
    log(f"built {setup.scale} model: {setup.param_count:,} params, memory estimate "
        f"{setup.memory_bytes / 2**20:.1f} MiB (full model {setup.full_memory_bytes / 2**30:.2f} GiB), "
        f"kernels {', '.join(sorted(set(res.info['kernels'].values())))}")
    n_params = sum(len(g["params"]) for g in setup.optimizer.param_groups)
    log(f"weight decay {spec.weight_decay:g} on {len(setup.decayed)} of {n_params} parameter tensors "
        f"({opts.param_groups} grouping; names in the JSON report)")
    peak = ", ".join(f"stage {s}: {lr:.3g}" for s, lr in enumerate(spec.peak_lrs()))
    log(f"effective peak LR per stage (base x multiplier): {peak}")
    corpus = load_corpus(opts.data)
    res.info["data"] = corpus.name
    try:
        _phases(res, run, opts, spec, setup, corpus, seed, deadline, budget, log)
    except torch.cuda.OutOfMemoryError as exc:  # pragma: no cover - needs a GPU
        res.findings.append(finding(
            run, "HNL813", ("training", "batch_size"), phase="smoke",
            message=(f"out of memory at micro-batch {setup.micro_batch} x {setup.seq_len} on {setup.device} "
                     f"(estimate {setup.memory_bytes / 2**30:.1f} GiB): {str(exc).splitlines()[0]}"),
            data={"measured": setup.memory_bytes}))
    res.timings["total"] = time.monotonic() - start
    return res


def _with_scope(found: list[Diagnostic], res: DryRunResult, setup: TrainSetup) -> list[Diagnostic]:
    """Put the scale and, on a pass, the scope statement into the HNL814 summary."""
    from dataclasses import replace as _replace

    from .verdict import scope_statement

    passed = not any(f.severity >= Severity.WARNING for f in [*res.findings, *found])
    out = []
    for f in found:
        if f.code == "HNL814":
            data = dict(f.data or {}, scale=setup.scale,
                        proxy_widths=setup.proxy.widths if setup.proxy else None)
            msg = f"PASS: {scope_statement(res.info, data.get('steps', 0))}. {f.message}" if passed else f.message
            f = _replace(f, message=msg, data=data)
        out.append(f)
    return out


def _phases(res: DryRunResult, run: Any, opts: DryRunOptions, spec: Any, setup: TrainSetup, corpus: Any,
            seed: int, deadline: Optional[float], budget: Optional[float], log: Callable[[str], None]) -> None:
    """Smoke, then (unless it failed) the probe; results land in ``res``."""
    if "smoke" in opts.phases:
        t0 = time.monotonic()
        smoke = run_smoke(setup, corpus, run, opts.options, opts.smoke_steps, seed, deadline, log)
        res.timings["smoke"] = time.monotonic() - t0
        res.smoke = smoke
        res.findings += smoke.findings
        res.interrupted |= smoke.interrupted
        if smoke.interrupted:
            res.findings.append(finding(run, "HNL815", ("training",), "dry-run stopped during the smoke phase "
                                        f"after {len(smoke.steps)} steps; later phases not run"))
            return
    if "probe" in opts.phases and not res.failed:
        from dataclasses import replace

        from .probe import run_probe  # heavier; only when asked for

        micro = max(1, len(res.smoke.steps) * setup.grad_accum + 3) if res.smoke else 0
        cost = res.timings.get("smoke", 0.0) / micro * (opts.probe_accum or setup.grad_accum) if micro else 0.0
        remaining = deadline - time.monotonic() - 0.05 * (budget or 0) if deadline else None
        steps, mults, note = plan_probe(opts, cost, remaining)
        if note:
            log(note)
            res.info["probe_plan"] = note
        t0 = time.monotonic()
        probe = run_probe(spec, replace(opts, probe_steps=steps, probe_multiples=mults), run, corpus, seed,
                          deadline, log, setup)
        res.timings["probe"] = time.monotonic() - t0
        res.probe = probe
        res.findings += _with_scope(probe.findings, res, setup)
        res.interrupted |= probe.interrupted
        if probe.interrupted:
            res.findings.append(finding(run, "HNL815", ("training",), phase="probe",
                                        message=f"dry-run stopped during the probe after {probe.steps_run} steps "
                                                "at 1x; verdicts use only the steps measured"))
    elif "probe" in opts.phases:
        log("probe skipped: the smoke phase failed (fix numerics first)")
