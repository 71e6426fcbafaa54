"""Bring your own trainer: the dry-run's exact checks on *your* model and optimizer.

>>> import hnet_lint
>>> result = hnet_lint.inspect(model, optimizer, config="run.yaml", step_fn=train_one_step)  # doctest: +SKIP
>>> print(result.format())                                                                    # doctest: +SKIP

Checks without stepping: per-group LR ratios vs the configured ``lr_multiplier`` (catches a plain
``torch.optim.AdamW(group_params(model))``, which ignores the ``lr_multiplier`` key), weight decay
on parameters that should not decay, parameter dtypes. With ``step_fn(i)`` (one optimizer step of
your loop, accumulation included) run ``steps`` times: LR ratios at every step, gradients zero at
the start of each accumulation cycle, NaN/Inf, fraction of elements left unchanged per group.

Inside a ``torchrun`` job (``torch.distributed`` initialized) the model may be wrapped in DDP,
FSDP2 (``fully_shard``: DTensor shards) or FSDP1: every rank runs the checks on what it holds
(original parameter names, local shards), the observations are gathered (numpy-free) and
merged before they are judged, so each fact is said once, none is lost, and every rank gets the same result
(print it on rank 0: ``result.report()``). Distributed checks on top: replicated parameters
identical on every rank before and after the steps, and their gradients identical where
``optimizer.step()`` and ``torch.nn.utils.clip_grad_norm_`` read them (HNL817: a step on
gradients never all-reduced, or clipping before DDP's all-reduce, e.g. inside ``no_sync``),
the ratio loss ``step_fn`` reports identical on every rank, i.e. averaged (HNL818), and a
summary with the world size, the engine and the effective per-stage LR (HNL819). Call it on
every rank: it uses collectives.
"""

from __future__ import annotations

import contextlib
import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch
import torch.nn as nn

from ..diagnostics import Diagnostic, Severity
from .codes import finding
from ..observe.checks import (first_nonfinite_step, merge_findings, merge_observations,
                              observation_findings, schedule_findings)
from ..observe.monitor import Monitor
from ..observe.patches import clipping_watched, losses_seen, scheduler_steps_counted
from ..observe.ranks import StepGuard
from .distributed import disagreeing_params, engine_of, gather, rank_world, unwrap

__all__ = ["inspect", "InspectResult"]


@dataclass
class InspectResult:
    """Findings plus the raw records (per-group LRs per step, unchanged fractions)."""

    findings: list[Diagnostic] = field(default_factory=list)
    lr_log: list[list[float]] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    decayed: list[str] = field(default_factory=list)
    steps: int = 0
    rank: int = 0
    world_size: int = 1
    engine: str = "none"
    ratio_losses: list[float] = field(default_factory=list)  # this rank's, when step_fn reports them
    #: clip_grad_norm_ calls whose gradients were compared across ranks (None: not watched)
    clip_checks: Optional[int] = None
    #: what the clipping watch saw, for the summary ("" where it does not apply)
    clipping: str = ""

    @property
    def ok(self) -> bool:
        return not any(f.severity >= Severity.WARNING for f in self.findings)

    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    def format(self) -> str:
        if not self.findings:
            return f"hnet-lint inspect: no problem found ({self.steps} steps observed)"
        return "\n".join(f"{f.code} {f.severity.label:<7} [{f.key or '-'}] {f.message}" for f in self.findings)

    def report(self, stream=None) -> None:
        """Print :meth:`format` once: on rank 0 (every rank holds the same merged findings)."""
        if self.rank == 0:
            print(self.format(), file=stream or sys.stdout, flush=True)


def _resolve_config(config: Any) -> tuple[Any, dict[str, Any]]:
    """(RunConfig or None, plain dict with lr_multiplier / weight_decay / param_dtype)."""
    if config is None:
        return None, {}
    if isinstance(config, dict):
        return None, dict(config)
    if isinstance(config, str):
        from ..api import lint_paths

        report = lint_paths([config])
        if not report.runs:
            raise ValueError(f"{config}: not a lintable H-Net run config")
        config = next(iter(report.runs.values()))
    opt, tr = config.optimizer, config.training
    plain = {"lr_multiplier": opt.lr_multiplier if opt else None,
             "weight_decay": opt.weight_decay if opt else None,
             "lr": opt.lr if opt else None,
             "param_dtype": tr.param_dtype if tr else None}
    return config, plain


def inspect(model: nn.Module, optimizer: torch.optim.Optimizer, config: Any = None,
            step_fn: Optional[Callable[[int], Any]] = None, steps: int = 4,
            options: Optional[dict] = None, start_step: int = 0,
            step_timeout: float = 600.0) -> InspectResult:
    """Run the exact dry-run checks on your objects; see the module docstring.

    ``config``: a run-config path, a linted ``RunConfig``, or a dict such as
    ``{"lr_multiplier": [3.0, 1.7, 0.9]}``. Findings are anchored to the config keys when a
    file is given; with a file whose schedule hnet-lint can compute, every group's LR at every
    observed step is compared with it (HNL824), counting optimizer steps from ``start_step``
    (0: call ``inspect`` before the first step of the run). ``step_timeout``: seconds one
    ``step_fn`` call may take before the ranks give up on each other (HNL822), so a rank that
    raised or stalled never leaves the others waiting in a collective.
    """
    run, plain = _resolve_config(config)
    rank, world = rank_world()
    engine = engine_of(model)
    mults = plain.get("lr_multiplier")
    S = getattr(getattr(unwrap(model), "config", None), "num_stages", None)
    if S is None:
        S = len(mults) - 1 if mults else 0
    mon = Monitor(model, optimizer, list(mults) if mults else None, S, lr_at=None)
    res = InspectResult(decayed=mon.decayed_names(), rank=rank, world_size=world, engine=engine)
    file = "<inspect>"
    # Static: dtypes of the parameters the optimizer will update (a DTensor's dtype is its shard's:
    # FSDP2's MixedPrecisionPolicy(param_dtype=bf16) over fp32 shards stores fp32 and passes).
    low = [(n, str(p.dtype).replace("torch.", "")) for v, g in zip(mon.groups, optimizer.param_groups)
           for n, p in zip(v.names, g["params"]) if p.requires_grad and p.dtype in (torch.bfloat16, torch.float16)]
    found: list[Diagnostic] = []
    if low:
        found.append(finding(
            run, "HNL812", ("training", "param_dtype"), file=file, phase="build",
            message=(f"{len(low)} trainable parameters are stored in {low[0][1]} (e.g. "
                     f"{', '.join(n for n, _ in low[:3])}); AdamW updates below half a bf16 spacing "
                     "round away"),
            data={"measured": len(low), "threshold": 0, "params": [n for n, _ in low[:20]]}))
    first_lrs = [float(g["lr"]) for g in optimizer.param_groups]
    mon._check_lrs(first_lrs)  # before any step
    disagree_init, compared = disagreeing_params(model)
    disagree_after: list[str] = []
    grads_unsynced: list[tuple[int, list[str]]] = []
    clips_unsynced: list[tuple[int, list[str]]] = []
    failure: Optional[dict] = None
    sites: dict[str, Optional[str]] = {}
    if step_fn is not None:
        mon.attach()
        mon.scheduler_watched = True
        sync_hook = None
        if world > 1 and compared:  # replicated parameters: the step must see all-reduced gradients
            def check_sync(opt, args, kwargs) -> None:
                bad, _ = disagreeing_params(model, grads=True)
                if bad and not grads_unsynced:
                    grads_unsynced.append((mon.steps, bad))
            sync_hook = optimizer.register_step_pre_hook(check_sync)

        def clipped_unsynced(bad: list[str]) -> None:
            if not clips_unsynced:
                clips_unsynced.append((mon.steps, bad))

        def scheduler_step(scheduler, site) -> None:
            if getattr(scheduler, "optimizer", None) is optimizer:
                mon.scheduler_stepped()
                if site:
                    sites.setdefault("scheduler", site)

        watch = _clipping_watched(model, clipped_unsynced, res) if world > 1 and compared \
            else contextlib.nullcontext()
        guard = StepGuard(rank, world, step_timeout)
        try:
            with watch, scheduler_steps_counted(scheduler_step), losses_seen(mon.loss_seen), guard:
                for i in range(steps):
                    guard.step = i
                    try:
                        out = step_fn(i)
                    except BaseException as exc:  # noqa: BLE001 - one rank's failure must not hang the others
                        failure = guard.failed(i, exc)
                        break
                    if isinstance(out, dict) and out.get("ratio_loss") is not None:
                        res.ratio_losses.append(float(out["ratio_loss"]))
        finally:
            mon.detach()
            if sync_hook is not None:
                sync_hook.remove()
        if world > 1 and compared:
            res.clipping = ("not watched (this torch has no clip_grad._clip_grads_with_norm_; "
                            "torch >= 2.6 has)" if res.clip_checks is None else
                            f"{res.clip_checks} clip_grad_norm_ call(s) compared across ranks"
                            if res.clip_checks else "no clip_grad_norm_ call seen")
        res.unchanged = mon.unchanged_fractions()
        if failure is None:
            disagree_after, _ = disagreeing_params(model)
    res.lr_log = mon.lr_log
    res.steps = mon.steps
    obs = mon.observation(res.unchanged)
    if failure is not None:  # the process group is gone: judge what this rank saw, say what happened
        res.findings = merge_findings([found]) + observation_findings(obs, run, options or {}, phase="smoke",
                                                                      file=file, sites=sites)
        res.findings.append(_failure_finding(run, failure, file))
        return res
    merged = merge_observations(gather(obs))
    res.findings = merge_findings(gather(found))
    res.findings += observation_findings(merged, run, options or {}, phase="smoke", file=file, sites=sites)
    res.findings += _schedule_check(run, merged, world, start_step, file, sites, options or {})
    if world > 1 or engine != "none":
        nan_at = first_nonfinite_step(merged)
        if nan_at is not None:  # non-finite values are HNL802's: comparing them says nothing
            grads_unsynced = [(t, b) for t, b in grads_unsynced if t < nan_at]
            clips_unsynced = [(t, b) for t, b in clips_unsynced if t < nan_at]
            disagree_after = []
        res.findings += _distributed_findings(run, plain, res, mon, file, options or {}, first_lrs,
                                              disagree_init, disagree_after, compared,
                                              ran_steps=step_fn is not None, grads_unsynced=grads_unsynced,
                                              clips_unsynced=clips_unsynced)
    return res


def _schedule_check(run: Any, merged: dict, world: int, start_step: int, file: str, sites: dict,
                    options: dict) -> list[Diagnostic]:
    """HNL824 when the config's schedule can be computed (a file, not a dict)."""
    if run is None or not merged.get("lr_log"):
        return []
    try:
        from ..load.trainers.effective import schedule_of

        eff = schedule_of(run, world_size=world)
    except Exception:  # noqa: BLE001 - no schedule model for this file: nothing to compare with
        return []
    tol = float(options.get("HNL824", {}).get("rel_tol", 1e-6))
    return schedule_findings(merged, lambda t, s: eff.lr(t, s) if t < eff.optimizer_steps else None, run,
                             phase="smoke", start_step=start_step, rel_tol=tol, file=file, sites=sites,
                             source=f"`hnet-lint schedule` ({eff.profile.label})")


def _failure_finding(run: Any, failure: dict, file: str) -> Diagnostic:
    if failure["kind"] == "stuck":
        return finding(run, "HNL822", ("training",), file=file, phase="smoke",
                       message=(f"step_fn({failure['step']}) did not finish within {failure['seconds']:.0f} s on rank "
                                f"{failure['rank']}{failure['others']}; the ranks were released from their collectives "
                                "instead of waiting for the launcher's timeout"),
                       data={k: v for k, v in failure.items() if k != "others"})
    return finding(run, "HNL821", ("training",), file=file, phase="smoke",
                   message=(f"rank {failure['rank']} raised {failure['error']} in step_fn({failure['step']})"
                            f"{failure['others']}; the other ranks were released from their collectives"),
                   data={k: v for k, v in failure.items() if k != "others"})


@contextlib.contextmanager
def _clipping_watched(model: nn.Module, on_unsynced: Callable[[list[str]], None],
                      res: InspectResult):
    """While ``step_fn`` runs, every ``torch.nn.utils.clip_grad_norm_`` call first compares the
    gradients of the replicated parameters across ranks (a collective: the ranks run the same
    loop, so they clip at the same points). Gradients that differ there were never all-reduced:
    the norm is a rank's partial one and each rank scales its gradients by its own factor
    before DDP averages them.

    ``clip_grad_norm_`` looks ``_clip_grads_with_norm_`` up in its module at every call
    (torch >= 2.6), so wrapping that name sees calls from code that imported
    ``clip_grad_norm_`` itself; older torch, or a clipping function of your own, is not watched
    (``res.clip_checks`` stays None, and the summary says so).
    """
    def compare(parameters, max_norm, total_norm, site) -> None:
        res.clip_checks += 1
        bad, _ = disagreeing_params(model, grads=True)
        if bad:
            on_unsynced(bad)

    with clipping_watched(compare) as watched:
        if watched:
            res.clip_checks = 0
        yield


def _distributed_findings(run: Any, plain: dict, res: InspectResult, mon: Monitor, file: str, options: dict,
                          first_lrs: list[float], disagree_init: list[str], disagree_after: list[str],
                          compared: int, ran_steps: bool,
                          grads_unsynced: Optional[list] = None,
                          clips_unsynced: Optional[list] = None) -> list[Diagnostic]:
    """HNL817 (ranks disagree), HNL818 (ratio loss per rank), HNL819 (summary); identical on every
    rank because they are built from collective results."""
    out: list[Diagnostic] = []
    world = res.world_size
    step, unsynced = (grads_unsynced or [(None, [])])[0]
    clip_step, clipped = (clips_unsynced or [(None, [])])[0]
    for when, bad, what, fix in (
            ("after init (when inspect was called)", disagree_init, "replicated parameters",
             "seed init identically on every rank (or let DDP broadcast rank 0's weights)"),
            (f"at optimizer step {step}", unsynced, "gradients of replicated parameters",
             "the step used gradients that were never all-reduced: no_sync must end before the last "
             "micro-batch's backward"),
            (f"at clip_grad_norm_ before optimizer step {clip_step}", clipped,
             "gradients of replicated parameters",
             "the gradients were clipped before DDP's all-reduce (inside no_sync, or before the last "
             "micro-batch's backward), so each rank scaled its own partial sum; clip once per "
             "optimizer step, after the last backward"),
            (f"after {res.steps} optimizer steps", disagree_after, "replicated parameters",
             "sync every gradient before each step")):
        if bad:
            out.append(finding(run, "HNL817", ("training", "seed"), file=file, phase="smoke",
                               message=(f"{len(bad)} of {compared} {what} differ between the {world} ranks "
                                        f"{when} (e.g. {', '.join(bad[:3])}): each rank trains a different "
                                        f"model; {fix}"),
                               data={"measured": len(bad), "threshold": 0, "params": bad[:20], "when": when}))
            break  # later disagreement follows from the first
    per_rank = gather(res.ratio_losses)
    ratio_status = "not checked (step_fn did not return {'ratio_loss': ...})"
    if world > 1 and all(per_rank) and len({len(r) for r in per_rank}) == 1:
        tol = float(options.get("HNL818", {}).get("rel_tol", 1e-6))
        spread = [(i, [r[i] for r in per_rank]) for i in range(len(per_rank[0]))]
        # a non-finite ratio loss is HNL802's: NaN != NaN says nothing about averaging
        differ = [(i, vals) for i, vals in spread if all(math.isfinite(v) for v in vals)
                  and not all(math.isclose(v, vals[0], rel_tol=tol, abs_tol=1e-12) for v in vals)]
        ratio_status = "averaged (identical on every rank)" if not differ else "per rank"
        if differ:
            i, vals = differ[0]
            out.append(finding(run, "HNL818", ("routing", "ratio_loss_weight"), file=file, phase="smoke",
                               message=(f"the ratio loss step_fn reported differs between ranks at step {i} "
                                        f"({', '.join(f'rank {r}: {v:.6g}' for r, v in enumerate(vals))}); "
                                        "it is computed per rank and never averaged, so rank 0 logs its own "
                                        "shard's value; all-reduce it (or F and G) across ranks"),
                               data={"step": i, "values": vals, "steps_differing": len(differ)}))
    elif world == 1:
        ratio_status = "not applicable (one process)"
    agreement = ("not applicable (one process)" if world == 1 else
                 "nothing replicated to compare (sharded parameters)" if compared == 0 else
                 f"{compared} replicated parameters compared bit for bit after init"
                 + (f" and after {res.steps} steps" if ran_steps else ""))
    out.append(_summary(run, plain, res, mon, file, first_lrs, agreement, ratio_status))
    return out


def _summary(run: Any, plain: dict, res: InspectResult, mon: Monitor, file: str, first_lrs: list[float],
             agreement: str, ratio_status: str) -> Diagnostic:
    world, mults = res.world_size, plain.get("lr_multiplier")
    parts = [f"world size {world}, engine {res.engine}"]
    data: dict[str, Any] = {"world_size": world, "engine": res.engine, "rank_agreement": agreement,
                            "ratio_loss": ratio_status}
    lr, scale, trainer = plain.get("lr"), 1.0, None
    if run is not None:
        try:
            from ..load.trainers.effective import schedule_of

            eff = schedule_of(run, world_size=world)
            scale, trainer = eff.lr_scale, eff.profile.label
        except Exception:  # noqa: BLE001 - no schedule model: state only what is known
            pass
    if lr and mults:
        peaks = [lr * scale * m for m in mults]
        parts.append(f"effective peak LR per stage {[float(f'{x:.3g}') for x in peaks]} (lr {lr:g} x "
                     f"world-size factor {scale:g}{f' from {trainer}' if trainer else ''} x multipliers)")
        data.update(peak_lrs=peaks, lr_scale=scale)
        ref = next((v for v in mon.groups if v.expected_multiplier and 0 in v.stages), None)
        if ref is not None and first_lrs[ref.index] > 0:
            ratio = first_lrs[ref.index] / (lr * ref.expected_multiplier)
            data["observed_over_configured"] = ratio
            scaled = world > 1 and math.isclose(ratio, world, rel_tol=1e-6)
            parts.append(f"the optimizer's stage-0 LR at the first step is {ratio:.3g}x the configured lr"
                         + (f": scaled by the world size {world}" if scaled else ""))
    if res.clipping:
        data["clipping"] = res.clipping
        agreement = f"{agreement}; clipping: {res.clipping}"
    parts.append(f"rank agreement: {agreement}; ratio loss: {ratio_status}")
    return finding(run, "HNL819", ("optimizer", "lr"), file=file, phase="build",
                   message="distributed setup: " + "; ".join(parts), data=data)
