"""Phase 2, numerics smoke: 10-30 optimizer steps on the real schedule, full accumulation cycles.

The :class:`~.monitor.Monitor` does the exact checks (LRs, grad zeroing, NaN/Inf, frozen
fraction); this module runs the reference trainer under it and turns records into findings.
The schedule prefix is the real one: with 2000 warmup steps, 12 steps reach 0.6% of peak, so
this phase speaks about wiring and numerics, never about the peak LR (that is the probe's job).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Optional

from ..diagnostics import Diagnostic
from .codes import finding
from .data import ByteCorpus
from ..observe.checks import merge_observations, observation_findings
from ..observe.monitor import Monitor
from .distributed import gather, ranks_where
from .schedule import lr_factor
from .train import StepStats, train_step

__all__ = ["SmokeResult", "run_smoke"]


@dataclass
class SmokeResult:
    steps: list[StepStats] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)
    interrupted: bool = False


def _judged(mon: Monitor, run: Any, options: dict, world: int, unchanged: Optional[list[dict]] = None,
            where: str = "") -> tuple[list[Diagnostic], dict]:
    """A Monitor's findings; under ``--nproc`` every rank's observation is gathered and merged
    first (a collective), so a fact is judged once on the whole model: FSDP2 shards' unchanged
    elements summed, events kept with their ranks, nothing lost or said twice."""
    obs = mon.observation(unchanged)
    if world > 1:
        obs = merge_observations(gather(obs))
    return observation_findings(obs, run, options, phase="smoke", where=where), obs


def _frozen_at_peak(setup: Any, corpus: ByteCorpus, steps: int, first: int, seed: int) -> tuple[Monitor, list]:
    """Unchanged fractions over ``steps`` steps at the configured peak LR (schedule factor 1).

    Why at peak: 12 steps into a 2000-step warmup the LR is ~1e-7, so even fp32 elements of
    magnitude 1 (norm gains) cannot move (half an fp32 ulp at 1.0 is 6e-8). Storage precision is
    the question, so it is measured where the run spends its time, as in the §5 bf16 check.
    """
    mon = Monitor(setup.model, setup.optimizer, setup.spec.multipliers, setup.spec.num_stages).attach()
    stats = []
    try:
        for k in range(steps):
            stats.append(train_step(setup, corpus, first + k, 1.0, seed=seed, accum=1))  # no accumulation needed
            if stats[-1].nonfinite:
                break
    finally:
        mon.detach()
    return mon, stats


def _on_which_ranks(nf: dict) -> str:
    """`` on rank 1 of 2`` under --nproc (the ranks that went non-finite), else nothing."""
    ranks = nf.get("ranks")
    if not ranks:
        return ""
    names = ", ".join(str(r) for r in ranks)
    return f" on rank{'s' if len(ranks) > 1 else ''} {names} of {nf.get('world_size', '?')}"


def run_smoke(setup: Any, corpus: ByteCorpus, run: Any, options: dict, steps: int, seed: int,
              deadline: Optional[float] = None, log=None, peak_steps: int = 3) -> SmokeResult:
    """``steps`` optimizer steps of the real schedule under a Monitor, then ``peak_steps`` at peak
    LR for the frozen-fraction check."""
    import time

    spec = setup.spec
    mon = Monitor(setup.model, setup.optimizer, spec.multipliers, spec.num_stages,
                  lr_at=spec.lr_at, snapshot=False).attach()
    res = SmokeResult()
    try:
        rank, world = getattr(setup, "data_rank", 0), getattr(setup, "data_world", 1)
        for t in range(steps):
            late = deadline is not None and time.monotonic() > deadline
            if ranks_where(late, rank, world, setup.device):  # all ranks stop at the same step
                res.interrupted = True
                break
            st = train_step(setup, corpus, t, lr_factor(t, spec.schedule, spec.lr), seed=seed)
            res.steps.append(st)
            if log:
                log(f"smoke step {t + 1}/{steps}: loss {st.loss:.4f} grad-norm {st.grad_norm:.3g}")
            if st.nonfinite:
                nf = st.nonfinite
                where = nf.get("module") or "unknown module"
                res.findings.append(finding(
                    run, "HNL802", ("training", "param_dtype"),
                    message=(f"non-finite {nf['stage']} at optimizer step {t}{_on_which_ranks(nf)}: "
                             f"first produced by module "
                             f"`{where}`" + (f"; bad gradients in {', '.join(nf['params'][:3])}"
                                              if nf.get("params") else "")),
                    data={"step": t, "module": where, **{k: v for k, v in nf.items() if k != "module"}}))
                break
    except KeyboardInterrupt:
        res.interrupted = True
    finally:
        mon.detach()
    world = getattr(setup, "data_world", 1)
    found, _ = _judged(mon, run, options, world)
    res.findings += [f for f in found if not (f.code == "HNL802" and any(x.code == "HNL802" for x in res.findings))]
    if peak_steps and not res.interrupted and not any(f.code == "HNL802" for f in res.findings):
        try:
            peak_mon, _ = _frozen_at_peak(setup, corpus, peak_steps, len(res.steps), seed)
            found, obs = _judged(peak_mon, run, options, world, peak_mon.unchanged_fractions(),
                                 where=" at the configured peak LR")
            res.unchanged = obs["unchanged"]
            res.findings += [f for f in found if f.code in ("HNL803", "HNL802", "HNL805")]
        except KeyboardInterrupt:
            res.interrupted = True
    good = [s for s in res.steps if not s.nonfinite]
    if good and spec.grad_clip:
        norms = [s.grad_norm for s in good]
        frac = sum(s.clipped for s in good) / len(good)
        res.findings.append(finding(
            run, "HNL811", ("training", "grad_clip"),
            message=(f"{frac:.0%} of {len(good)} smoke steps clipped at {spec.grad_clip:g} (pre-clip norm "
                     f"median {statistics.median(norms):.3g}, max {max(norms):.3g}); clipping bounded "
                     "every update, and early clipping is normal"),
            data={"measured": frac, "threshold": spec.grad_clip, "median": statistics.median(norms),
                  "max": max(norms)}))
    return res
