"""The dry-run, phase by phase (cheapest first; the probe is skipped after a smoke FAIL).

``run_dry_run_for(run, opts)`` returns a :class:`DryRunResult`: findings (Diagnostics with
``phase`` and ``evidence``), per-phase timings and the raw curves for the JSON/HTML report.

The plan is in steps, never in seconds: smoke steps, probe seeds and probe steps follow from
the config and the options alone, so the same config gets the same verdict on a busy laptop and
an idle CI runner. ``--time-budget`` (CPU default 900 s) is only a safety stop: a run it cuts
short (or Ctrl-C) ends with the warning HNL815 naming what did not run, never with a PASS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch

from ..diagnostics import Diagnostic, Severity
from .build import DryRunOptions, TooLargeToBuild, TrainSetup, build_setup, spec_from_run
from .codes import finding
from .data import load_corpus
from .decide import NOT_PAST, ProbePlan, plan_probe
from .smoke import run_smoke

__all__ = ["DryRunResult", "run_dry_run_for", "probe_plan", "CPU_SAFETY_STOP_S"]

CPU_SAFETY_STOP_S = 900.0  # a stuck or oversized CPU dry-run still ends; never shapes the plan


def probe_plan(opts: DryRunOptions, seed: int) -> ProbePlan:
    """The probe plan for these options (first seed = the config's or ``--seed``)."""
    return plan_probe(opts.probe_steps, opts.probe_seeds, seed, opts.probe_multiples,
                      max_seeds=opts.options.get("HNL807", {}).get("max_seeds"))  # the sequential cap


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

    @property
    def passed(self) -> bool:
        """Every planned check ran, nothing at warning or above, and the LR edge was decided
        "not past". An inconclusive or cut-short run is not a pass."""
        if self.interrupted or any(f.severity >= Severity.WARNING for f in self.findings):
            return False
        if "probe" in self.info.get("phases", ("probe",)):
            return self.probe is not None and self.probe.decision is not None and \
                self.probe.decision.outcome == NOT_PAST
        return self.smoke is not None

    def to_dict(self) -> dict[str, Any]:
        out = {"file": self.file, "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
               "info": self.info, "interrupted": self.interrupted, "passed": self.passed,
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
        "grad_clip": setup.spec.grad_clip, "target_ratios": setup.spec.target_ratios,
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
    budget = opts.time_budget if opts.time_budget else (CPU_SAFETY_STOP_S if on_cpu else None)
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
    except TooLargeToBuild as exc:
        res.findings.append(finding(run, "HNL813", ("model",), str(exc), phase="build"))
        return res
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
    low = [n for n, p in setup.model.named_parameters() if p.requires_grad and p.dtype in (torch.bfloat16, torch.float16)]
    if low:  # decided by the built optimizer's tensors, whatever the LR; HNL803 then measures the harm
        res.findings.append(finding(
            run, "HNL812", ("training", "param_dtype"), phase="build",
            message=(f"{len(low)} trainable parameters are stored in {spec.param_dtype} (e.g. {', '.join(low[:3])}); "
                     "AdamW updates below half a storage spacing round away (near 1.0 the bf16 spacing is "
                     "0.008), so warmup, the decay tail and small-gradient tensors stop learning"),
            data={"measured": len(low), "threshold": 0, "params": low[:20]}))
    for note in setup.notes:
        log(note)
    log(f"built {setup.scale} model: {setup.param_count:,} params, memory estimate "
        f"{setup.memory_bytes / 2**20:.1f} MiB (full model {setup.full_memory_bytes / 2**30:.2f} GiB), "
        f"kernels {', '.join(sorted(set(res.info['kernels'].values())))}; micro-batch {setup.micro_batch} x "
        f"{setup.seq_len} bytes, {setup.grad_accum} accumulation step(s) per optimizer step")
    if spec.assumed:  # a bare model JSON has no optimizer/training section: say what stands in for it
        missing = [s for s in ("optimizer", "schedule", "training") if getattr(run, s, None) is None]
        log(f"assumed, not in the config{' (no ' + ', '.join(missing) + ' section)' if missing else ''}: "
            f"{_assumed_text(spec.assumed)}")
    n_params = sum(len(g["params"]) for g in setup.optimizer.param_groups)
    log(f"weight decay {spec.weight_decay:g} on {len(setup.decayed)} of {n_params} parameter tensors "
        f"({opts.param_groups} grouping; names in the JSON report)")
    peak = ", ".join(f"stage {s}: {lr:.3g}" for s, lr in enumerate(spec.peak_lrs()))
    log(f"effective peak LR per stage (base x multiplier): {peak}")
    corpus = load_corpus(opts.data)
    res.info["data"] = corpus.name
    res.info["data_sha256"] = corpus.sha256
    res.info["phases"] = list(opts.phases)
    res.info["seed"] = seed
    res.info["smoke_steps_planned"] = opts.smoke_steps
    res.info["tail_fraction"] = opts.options.get("HNL807", {}).get("tail_fraction", 0.25)
    res.info["time_budget_s"] = budget
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


def _assumed_text(assumed: list[str]) -> str:
    """``["lr=0.0003", "weight_decay=0.01"]`` -> ``LR 3e-4, weight decay 0.01`` (names as a reader says them)."""
    names = {"lr": "LR", "weight_decay": "weight decay", "lr_multiplier": "LR multipliers",
             "grad_accum_steps": "accumulation steps", "grad_clip": "grad clip"}
    out = []
    for item in assumed:
        key, _, value = item.partition("=")
        try:
            num = float(value)
        except ValueError:
            pass
        else:
            if num and abs(num) < 1e-3:  # 0.0003 -> 3e-4, as configs write it
                mant, exp = f"{num:.3e}".split("e")
                value = f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
        out.append(f"{names.get(key, key.replace('_', ' '))} {value}")
    return ", ".join(out)


def _with_scope(found: list[Diagnostic], res: DryRunResult, setup: TrainSetup, passed: bool) -> list[Diagnostic]:
    """Put the scale and, on a pass, the scope statement into the HNL814 summary."""
    from dataclasses import replace as _replace

    from .verdict import scope_statement

    out = []
    for f in found:
        if f.code == "HNL814":
            data = dict(f.data or {}, scale=setup.scale,
                        proxy_widths=setup.proxy.widths if setup.proxy else None)
            msg = f"PASS: {scope_statement(res.info, res.probe)}. {f.message}" if passed else f.message
            f = _replace(f, message=msg, data=data)
        out.append(f)
    return out


def _stopped(run: Any, res: DryRunResult, phase: str, what: str) -> Diagnostic:
    why = (f"the time budget ({res.info.get('time_budget_s'):g} s, a safety stop)"
           if res.info.get("time_budget_s") else "an interrupt")
    return finding(run, "HNL815", ("training",), phase=phase,
                   message=f"inconclusive: the dry-run was stopped by {why} during the {phase} phase; not run: {what}. "
                           "This is not a pass",
                   data={"phase": phase, "not_run": what})


def _phases(res: DryRunResult, run: Any, opts: DryRunOptions, spec: Any, setup: TrainSetup, corpus: Any,
            seed: int, deadline: Optional[float], budget: Optional[float], log: Callable[[str], None]) -> None:
    """Smoke, then (unless it failed) the probe; results land in ``res``."""
    plan = probe_plan(opts, seed) if "probe" in opts.phases else None
    if plan is not None:
        res.info["probe_plan"] = plan.describe()
    if "smoke" in opts.phases:
        t0 = time.monotonic()
        smoke = run_smoke(setup, corpus, run, opts.options, opts.smoke_steps, seed, deadline, log)
        res.timings["smoke"] = time.monotonic() - t0
        res.smoke = smoke
        res.findings += smoke.findings
        res.interrupted |= smoke.interrupted
        if smoke.interrupted:
            what = (f"smoke steps {len(smoke.steps) + 1}-{opts.smoke_steps} and the frozen-parameter check "
                    "at peak LR (HNL803)" if len(smoke.steps) < opts.smoke_steps
                    else "the frozen-parameter check at peak LR (HNL803)")
            if plan is not None:
                what += f"; the whole probe ({plan.describe()})"
            res.findings.append(_stopped(run, res, "smoke", what))
            return
    if "probe" in opts.phases and not res.failed:
        from dataclasses import replace

        from .probe import run_probe  # heavier; only when asked for

        t0 = time.monotonic()
        probe = run_probe(spec, replace(opts, probe_seeds=len(plan.seeds)), run, corpus, plan, deadline, log, setup)
        res.timings["probe"] = time.monotonic() - t0
        res.probe = probe
        res.interrupted |= probe.interrupted
        if probe.interrupted:
            probe.findings.append(_stopped(run, res, "probe", ", ".join(probe.not_run())))
        passed = not res.interrupted and not any(f.severity >= Severity.WARNING for f in [*res.findings,
                                                                                             *probe.findings]) \
            and probe.decision is not None and probe.decision.outcome == NOT_PAST
        res.findings += _with_scope(probe.findings, res, setup, passed)
    elif "probe" in opts.phases:
        log("probe skipped: the smoke phase failed (fix numerics first)")
