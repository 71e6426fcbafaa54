"""One rank of ``hnet-lint CONFIG --dry-run --nproc N``: the build, smoke and probe phases under DDP or FSDP2.

Started by ``launch.py`` through ``python -m torch.distributed.run --standalone --nproc-per-node N
-m hnet_lint.dryrun.worker JOB_DIR``; torch's launcher sets RANK/WORLD_SIZE/MASTER_* and
``init_process_group`` reads them (NCCL on CUDA, gloo on CPU). ``JOB_DIR`` (private, made by the
parent) holds ``job.pkl``: the config's path, the parent's settings, dialect and options (our
own objects, never anything a config says); each rank lints the file again into the same run. Every rank builds the same model from the config's seed, wraps it, and
trains its shard of each batch (batch ``k`` goes to rank ``k % N``):

* ``ddp``: ``DistributedDataParallel`` (it broadcasts rank 0's weights and averages gradients).
* ``fsdp2``: ``fully_shard`` on every Block, then on the root, with
  ``MixedPrecisionPolicy(param_dtype=<compute dtype>, reduce_dtype=float32)``; the optimizer is
  built on the sharded (DTensor) parameters.

The LR is the trainer's: the profile's world-size factor (``EffectiveSchedule.lr_scale``) at
world size N scales the base LR. Findings of every rank are gathered and merged (once each,
with the ranks that saw them); rank 0 writes ``result.json`` for the parent, which reports it.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from dataclasses import replace
from typing import Any, Callable, Optional

import torch
import torch.distributed as dist

from ..diagnostics import Diagnostic, Severity
from ..observe.checks import merge_findings
from .build import DryRunOptions, TooLargeToBuild, build_setup, make_optimizer, spec_from_run
from .codes import finding
from .data import load_corpus
from .decide import NOT_PAST
from .distributed import disagreeing_params, engine_of, gather, original_name
from .runner import DryRunResult, _setup_info
from .smoke import run_smoke

__all__ = ["run_rank", "diagnostic_to_json", "ENGINES", "error_file", "main"]

ENGINES = ("ddp", "fsdp2")


def diagnostic_to_json(d: Diagnostic) -> dict[str, Any]:
    """``to_dict`` plus what rebuilding the Diagnostic needs (the key path, the severity value)."""
    return {**d.to_dict(), "path": list(d.path), "severity_value": int(d.severity)}


def _wrap(setup: Any, engine: str, device: torch.device) -> None:
    """Wrap ``setup.model`` in place for ``engine`` (and rebuild the optimizer for FSDP2)."""
    setup.compute_dtype = str(setup.autocast or "float32").replace("torch.", "")
    if engine == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        setup.model = DistributedDataParallel(
            setup.model, device_ids=[device.index] if device.type == "cuda" else None)
        return
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    policy = MixedPrecisionPolicy(param_dtype=setup.autocast, reduce_dtype=torch.float32)
    kept = _minority_dtype_params(setup.model)
    names = {id(p): n for n, p in setup.model.named_parameters()}
    setup.fsdp_kept = sorted(original_name(names[id(p)]) for p in kept)
    for module in setup.model.modules():
        if type(module).__name__ == "Block":
            fully_shard(module, mp_policy=policy, ignored_params=kept or None)
    fully_shard(setup.model, mp_policy=policy, ignored_params=kept or None)
    for p in kept:  # replicated, outside FSDP: average their gradients as DDP would
        p.register_post_accumulate_grad_hook(_average_grad)
    # fully_shard replaced every parameter by a DTensor shard: the optimizer must hold those
    setup.optimizer, setup.decayed = make_optimizer(setup.model, setup.spec, setup.grouping)
    setup.autocast = None  # the policy casts parameters for compute; no autocast on top


def _minority_dtype_params(model: torch.nn.Module) -> set[torch.nn.Parameter]:
    """Trainable parameters whose storage dtype is not the model's most common one.

    FSDP2 requires one original dtype per unit ("FSDP expects uniform original parameter dtype
    but got {bfloat16, float32}"), but a bf16-storage H-Net keeps ``D`` and ``residual_proj``
    in fp32, and ``D`` sits in the same module as bf16 ``A_log``/``dt_bias``, so no choice of
    units separates them. These few small tensors stay outside FSDP (``ignored_params``):
    replicated on every rank, their gradients averaged by :func:`_average_grad`; the rank
    agreement check (HNL817) then compares them like DDP's parameters."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    counts: dict[torch.dtype, int] = {}
    for p in trainable:
        counts[p.dtype] = counts.get(p.dtype, 0) + p.numel()
    if len(counts) < 2:
        return set()
    major = max(counts, key=counts.get)
    return {p for p in trainable if p.dtype != major}


def _average_grad(p: torch.Tensor) -> None:
    """The gradient averaged over the ranks after each accumulation into ``p.grad``. Averaging
    is linear and the part accumulated before is already equal on every rank, so averaging the
    running sum at every micro-step gives the average of the sum."""
    dist.all_reduce(p.grad, op=dist.ReduceOp.AVG)


def run_rank(run: Any, opts: DryRunOptions, engine: str, log: Callable[[str], None]) -> DryRunResult:
    """Build and smoke under ``engine`` on this rank; every rank returns the same merged result."""
    rank, world = dist.get_rank(), dist.get_world_size()
    res = DryRunResult(file=run.doc.path)
    start = time.monotonic()
    device = torch.device(f"cuda:{torch.cuda.current_device()}") if dist.get_backend() == "nccl" \
        else torch.device("cpu")
    spec = spec_from_run(run)
    scale, trainer = _world_scale(run, world)
    if scale != 1.0:
        spec = replace(spec, lr=spec.lr * scale)
    found: list[Diagnostic] = []
    try:
        setup = build_setup(spec, replace(opts, device=device.type), device=device)
        setup.grouping = opts.param_groups
        setup.data_rank, setup.data_world = rank, world
        _wrap(setup, engine, device)
    except TooLargeToBuild as exc:  # every rank estimates the same and refuses alike
        found.append(finding(run, "HNL813", ("model",), f"{exc} (each of {world} ranks)",
                             phase="build"))
        res.findings = merge_findings(gather(found))
        return res
    except Exception as exc:  # noqa: BLE001 - a config we cannot build becomes a finding
        found.append(finding(run, "HNL801", ("model",), f"cannot build under {engine} x {world}: "
                             f"{type(exc).__name__}: {exc}", phase="build"))
        res.findings = merge_findings(gather(found))
        return res
    res.timings["build"] = time.monotonic() - start
    res.info.update(_setup_info(setup))
    res.info.update(phases=["build", "smoke"], world_size=world, engine=engine, lr_scale=scale,
                    engine_seen=engine_of(setup.model))
    low = [original_name(n) for n, p in setup.model.named_parameters() if p.requires_grad and p.dtype in (torch.bfloat16, torch.float16)]
    if low:
        found.append(finding(run, "HNL812", ("training", "param_dtype"), phase="build",
                             message=(f"{len(low)} trainable parameters are stored in {spec.param_dtype} "
                                      f"under {engine} (e.g. {', '.join(low[:3])}); AdamW updates below half "
                                      "a storage spacing round away"),
                             data={"measured": len(low), "threshold": 0, "params": low[:20]}))
    bad_init, compared = disagreeing_params(setup.model)
    corpus = load_corpus(opts.data)
    seed = opts.seed if opts.seed is not None else spec.seed
    res.info.update(data=corpus.name, data_sha256=corpus.sha256, seed=seed, smoke_steps_planned=opts.smoke_steps)
    deadline = start + opts.time_budget if opts.time_budget else None
    t0 = time.monotonic()
    try:
        smoke = run_smoke(setup, corpus, run, opts.options, opts.smoke_steps, seed, deadline,
                          log if rank == 0 else None)
    except Exception as exc:  # noqa: BLE001 - e.g. FSDP2 refusing mixed parameter dtypes at first forward
        found.append(finding(run, "HNL801", ("model",), phase="smoke",
                             message=f"training failed under {engine} x {world}: {type(exc).__name__}: {exc}",
                             data={"engine": engine}))
        res.findings = merge_findings(gather(found))
        res.findings.append(_summary(run, spec, setup, engine, world, scale, trainer, compared))
        return res
    res.timings["smoke"] = time.monotonic() - t0
    bad_after, _ = disagreeing_params(setup.model)
    routing = _router_agreement(setup, corpus, seed) if not any(gather(smoke.interrupted)) else None
    found += smoke.findings
    interrupted = any(gather(smoke.interrupted))
    res.interrupted = interrupted
    res.smoke = smoke
    res.findings = merge_findings(gather(found))
    for when, bad in (("after init", bad_init), (f"after {len(smoke.steps)} smoke steps", bad_after)):
        if bad:
            res.findings.append(finding(run, "HNL817", ("training", "seed"), phase="smoke",
                                        message=(f"{len(bad)} of {compared} replicated parameters differ between "
                                                 f"the {world} ranks {when} (e.g. {', '.join(bad[:3])})"),
                                        data={"measured": len(bad), "threshold": 0, "params": bad[:20],
                                              "when": when}))
            break
    if routing is not None and routing["differing"]:
        res.findings.append(finding(run, "HNL817", ("routing", "target_ratio"), phase="smoke",
                                    message=(f"on the same batch the routers of the {world} ranks chose different "
                                             f"boundaries at {routing['differing']} of {routing['positions']} "
                                             "positions (stage by stage: "
                                             f"{routing['per_stage']}): the ranks' models or kernels disagree"),
                                    data={"measured": routing["differing"], "threshold": 0, "when": "routing",
                                          **routing}))
    if interrupted:
        from .runner import _stopped

        res.info["time_budget_s"] = opts.time_budget
        res.findings.append(_stopped(run, res, "smoke", "the rest of the smoke phase"))
    elif "probe" in opts.phases and not res.failed:
        _probe(res, run, spec, opts, setup, corpus, seed, engine, device, deadline,
               log if rank == 0 else (lambda s: None))
    res.findings.append(_summary(run, spec, setup, engine, world, scale, trainer, compared, routing,
                                 probed=res.probe is not None))
    res.timings["total"] = time.monotonic() - start
    return res


def _probe(res: DryRunResult, run: Any, spec: Any, opts: DryRunOptions, setup: Any, corpus: Any, seed: int,
           engine: str, device: torch.device, deadline: Optional[float], log: Callable[[str], None]) -> None:
    """The LR-edge probe under ``engine``: each run's fresh model is wrapped like the smoke's and
    trains this rank's shard; ``train_step`` all-reduces the loss, so the gaps are the global
    run's. The time budget stops it as in one process (HNL815, never a pass): the ranks agree
    at every step whether any of them is past the deadline, so they stop at the same step.
    Rank 0's judgement is reported (attention logits are measured on its shard)."""
    from .probe import run_probe
    from .runner import _with_scope, probe_plan

    rank, world = dist.get_rank(), dist.get_world_size()
    plan = probe_plan(opts, seed)
    res.info["probe_plan"] = plan.describe()

    def prepare(fresh: Any) -> None:
        fresh.grouping = opts.param_groups
        fresh.data_rank, fresh.data_world = rank, world
        _wrap(fresh, engine, device)

    t0 = time.monotonic()
    probe = run_probe(spec, replace(opts, probe_seeds=len(plan.seeds), device=device.type), run, corpus, plan,
                      deadline, log, setup, prepare=prepare)
    res.timings["probe"] = time.monotonic() - t0
    probe.findings = gather(probe.findings)[0]  # a collective on every rank; rank 0's judgement
    res.probe = probe
    res.interrupted |= probe.interrupted
    if probe.interrupted:
        from .runner import _stopped

        res.info["time_budget_s"] = opts.time_budget
        probe.findings.append(_stopped(run, res, "probe", ", ".join(probe.not_run())))
    res.info["phases"] = ["build", "smoke", "probe"]
    passed = not res.interrupted \
        and not any(f.severity >= Severity.WARNING for f in [*res.findings, *probe.findings]) \
        and probe.decision is not None and probe.decision.outcome == NOT_PAST
    res.findings += _with_scope(probe.findings, res, setup, passed)


def _router_agreement(setup: Any, corpus: Any, seed: int) -> dict[str, Any]:
    """Every rank runs the same batch forward (no grad) and the routers' boundary masks are
    compared: with identical weights and inputs, ranks must make identical routing decisions."""
    from .train import forward_loss

    batch = corpus.batch(0, setup.micro_batch, setup.seq_len, seed + 7919)  # not a training batch
    with torch.no_grad():
        _, _, out, _ = forward_loss(setup.model, batch, setup.device, setup.autocast,
                                    setup.spec.target_ratios, 0.0)
    masks = [r.boundary_mask.reshape(-1).to("cpu", torch.uint8).tolist() for r in out.routers]
    every = gather(masks)
    per_stage = [sum(any(m[s][i] != m0 for m in every) for i, m0 in enumerate(every[0][s]))
                 for s in range(len(masks))]
    return {"differing": sum(per_stage), "positions": sum(len(m) for m in masks), "per_stage": per_stage}


def _world_scale(run: Any, world: int) -> tuple[float, str | None]:
    """The trainer profile's world-size factor at ``world`` processes (1 when it has none)."""
    try:
        from ..load.trainers.effective import schedule_of

        eff = schedule_of(run, world_size=world)
        return float(eff.lr_scale), eff.profile.label
    except Exception:  # noqa: BLE001 - no schedule model: the file's LR as written
        return 1.0, None


def _summary(run: Any, spec: Any, setup: Any, engine: str, world: int, scale: float, trainer: str | None,
             compared: int, routing: dict | None = None, probed: bool = False) -> Diagnostic:
    peaks = spec.peak_lrs()
    how = (f"trainer profile {trainer} multiplies the LR by the world size {world}" if scale != 1.0
           else f"trainer profile {trainer or 'unknown'} does not scale the LR with the world size")
    policy = (f"fully_shard on every Block with MixedPrecisionPolicy(param_dtype={setup.compute_dtype}, "
              "reduce_dtype=float32)" if engine == "fsdp2" else "DistributedDataParallel")
    kept = getattr(setup, "fsdp_kept", None)
    if engine == "fsdp2" and kept:
        policy += (f"; {len(kept)} tensors of another storage dtype kept outside FSDP (FSDP2 needs one dtype "
                   f"per unit), replicated with averaged gradients (e.g. {', '.join(kept[:3])})")
    agreement = (f"{compared} replicated parameters identical on every rank after init and after the smoke"
                 if compared else "parameters are sharded: no parameter rank-agreement check")
    if routing is not None and not routing["differing"]:
        agreement += (f"; the routers chose the same boundaries on every rank ({routing['positions']} positions "
                      "of one shared batch)")
    msg = (f"distributed dry-run: {world} processes ({dist.get_backend()}), {policy}; each rank trained its "
           f"shard of every batch; {how}: effective peak LR per stage "
           f"{[float(f'{x:.3g}') for x in peaks]}; {agreement}."
           + (" The LR-edge probe ran under the same engine." if probed else " The LR-edge probe did not "
              "run (--no-probe, or the smoke phase failed or was cut short)."))
    return finding(run, "HNL819", ("optimizer", "lr"), phase="build", message=msg,
                   data={"world_size": world, "engine": engine, "lr_scale": scale, "peak_lrs": peaks,
                         "backend": dist.get_backend(), "replicated_compared": compared,
                         "routing": routing})


def _result_json(res: DryRunResult) -> dict[str, Any]:
    out = res.to_dict()
    out["findings"] = [diagnostic_to_json(f) for f in res.findings]
    return out


def error_file(job: str, rank: int | str) -> str:
    """Where rank ``rank`` leaves its traceback when it fails (read by ``launch.py``)."""
    return os.path.join(job, f"error-rank{rank}.txt")


def main(argv: list[str]) -> int:
    job = argv[0]
    try:
        return _main(job)
    except BaseException:  # noqa: BLE001 - recorded for the parent, then re-raised
        # torchrun's own summary names only the exit code; the parent quotes this rank's exception
        import traceback

        try:
            with open(error_file(job, os.environ.get("RANK", "0")), "w", encoding="utf-8") as fh:
                fh.write(traceback.format_exc())
        except OSError:
            pass
        raise


def _main(job: str) -> int:
    with open(os.path.join(job, "job.pkl"), "rb") as fh:  # written by launch.py, mode 0700 dir
        path, settings, dialect, opts, engine = pickle.load(fh)
    from ..api import lint_paths

    report = lint_paths([path], settings, dialect)
    run = report.runs.get(path) or next(iter(report.runs.values()))
    cuda = opts.device != "cpu" and torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    else:
        torch.set_num_threads(1)  # one thread per rank: deterministic, and fair on shared cores
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        rank = dist.get_rank()

        def log(msg: str) -> None:
            print(f"[dry-run] {msg}", file=sys.stderr, flush=True)

        res = run_rank(run, opts, engine, log)
        if rank == 0:
            tmp = os.path.join(job, "result.json.tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(_result_json(res), fh)
            os.replace(tmp, os.path.join(job, "result.json"))
        dist.barrier()
    except BaseException:
        dist.destroy_process_group()
        raise
    # Done: skip interpreter teardown. With gloo a C++ thread destroyed at exit sometimes aborts
    # ("terminate called without an active exception") after the result is written.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
