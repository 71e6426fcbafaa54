"""One optimizer step of the dry-run's reference trainer (~nanoGPT ``train.py``, with why-comments).

A step is a full accumulation cycle: ``grad_accum`` micro-batches, each loss divided by
``grad_accum`` (so the sum is the mean), then clip, set every group's LR, ``optimizer.step()`` and
``zero_grad``. Loss = cross-entropy + alpha * sum over stages of the ratio loss. Before the
step, non-finite loss or gradients stop it and the first offending module is localized by
re-running the forward with hooks.

Under ``--nproc`` the ranks decide to stop *together*: whether the loss, the gradients or
the updated parameters went non-finite is agreed by an all-reduce at each of those points,
and the step names the ranks where it happened. A rank that stopped alone would leave the
others waiting in DDP's gradient all-reduce or FSDP2's next all-gather until the launcher's
timeout (a hang, not a finding).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..model.training import ratio_loss
from .data import Batch, ByteCorpus
from .distributed import gather, is_sharded, local, ranks_where
from ..observe.monitor import stage_of_name

__all__ = ["StepStats", "train_step", "localize_nonfinite", "forward_loss"]


@dataclass
class StepStats:
    """What one optimizer step measured (per-stage lists are outer stage first)."""

    step: int
    lr_factor: float
    loss: float  # cross-entropy, mean over the cycle
    ratio_loss: float
    grad_norm: float  # pre-clip, all parameters
    stage_grad_norms: list[float]
    clipped: bool
    boundary_rates: list[float]
    logz_mean: float
    logz_max: float
    nonfinite: Optional[dict] = None
    extra: dict[str, Any] = field(default_factory=dict)


def _tensors(obj: Any) -> Iterable[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _tensors(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors(x)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _tensors(getattr(obj, f.name))


def _finite(obj: Any) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in _tensors(obj) if t.is_floating_point())


def _autocast(device: torch.device, dtype: Optional[torch.dtype]):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def forward_loss(model: nn.Module, batch: Batch, device: torch.device, autocast: Optional[torch.dtype],
                 targets: list[float], alpha: float) -> tuple[Tensor, Tensor, Any, Tensor]:
    """Returns (ce, ratio_sum, model output, logits over valid targets (n, V))."""
    ids = batch.inputs.to(device)  # (B, L)
    B, L = ids.shape
    with _autocast(device, autocast):
        out = model(ids.reshape(1, B * L), cu_seqlens=batch.cu_seqlens().to(device))
    logits = out.logits.reshape(B * L, -1).float()  # (B*L, V)
    valid = batch.target_valid.reshape(-1).to(device)  # (B*L,)
    logits = logits[valid]  # (n, V)
    ce = F.cross_entropy(logits, batch.targets.reshape(-1).to(device)[valid])
    ratio = torch.zeros((), device=device)
    for r, N in zip(out.routers, targets):
        ratio = ratio + ratio_loss(r.boundary_mask, r.boundary_prob, N, valid=r.valid)
    return ce, ratio, out, logits


def localize_nonfinite(model: nn.Module, batch: Batch, device: torch.device,
                       autocast: Optional[torch.dtype]) -> Optional[str]:
    """Name of the first module (execution order) whose output is non-finite from finite inputs."""
    first: list[str] = []

    def hook(name: str):
        def fn(module, args, output):
            if not first and _finite(args) and not _finite(output):
                first.append(name)
        return fn

    handles = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if n]
    try:
        with torch.no_grad():
            forward_loss(model, batch, device, autocast, [], 0.0)
    except Exception:  # localization is best effort; the finding still stands
        pass
    finally:
        for h in handles:
            h.remove()
    return first[0] if first else None


def _stage_norms(model: nn.Module, num_stages: int) -> tuple[float, list[float], list[str]]:
    """Pre-clip grad norm (all, per stage) and the names of parameters with non-finite gradients.

    One fused norm per tensor (``_foreach_norm``) and one host read, instead of two ops and a
    read per tensor (the XL proxy has 335 tensors and per-op overhead dominates on CPU). A NaN
    or Inf makes its tensor's norm non-finite; only then is each tensor checked element-wise,
    so a norm that merely overflows is not mistaken for a bad gradient.
    """
    params = [(n, p) for n, p in model.named_parameters() if p.grad is not None]
    named = [(n, local(p.grad)) for n, p in params]
    shard = [is_sharded(p) for _, p in params]
    if not named:
        return 0.0, [0.0] * (num_stages + 1), []
    norms = torch.stack([x.float() for x in torch._foreach_norm([g for _, g in named])])  # (P,)
    stage = torch.tensor([stage_of_name(n, num_stages) for n, _ in named], device=norms.device)
    if any(shard):  # FSDP2: each rank holds a shard of every gradient; the norm is over all of them
        import torch.distributed as dist

        sharded = torch.tensor(shard, device=norms.device)
        sq_t = torch.zeros(num_stages + 1, device=norms.device).index_add_(0, stage, norms.pow(2) * sharded)
        dist.all_reduce(sq_t)
        # parameters FSDP2 leaves replicated (ignored_params) count once, not once per rank
        sq_t.index_add_(0, stage, norms.pow(2) * ~sharded)
    else:
        sq_t = torch.zeros(num_stages + 1, device=norms.device).index_add_(0, stage, norms.pow(2))
    sq = sq_t.tolist()
    bad = _nonfinite(named) if not all(math.isfinite(x) for x in sq) else []
    return math.sqrt(sum(sq)), [math.sqrt(x) for x in sq], bad


def _nonfinite(named: list[tuple[str, Tensor]]) -> list[str]:
    return [n for n, t in named if not bool(torch.isfinite(t).all())]


def _clip_(model: nn.Module, max_norm: float, total: float) -> None:
    """``clip_grad_norm_``'s update with the norm already measured: g *= min(1, max_norm/(norm+1e-6))."""
    grads = [local(p.grad) for p in model.parameters() if p.grad is not None]
    coef = min(1.0, max_norm / (total + 1e-6))
    if coef < 1.0:
        torch._foreach_mul_(grads, coef)


def _nonfinite_params(model: nn.Module) -> list[str]:
    """Names of parameters holding NaN/Inf: one summed check, element-wise only when it trips."""
    named = [(n, local(p.detach())) for n, p in model.named_parameters()]
    total = torch.stack([p.sum(dtype=torch.float32) for _, p in named]).sum()
    return [] if bool(torch.isfinite(total)) else _nonfinite(named)


def _localize_on(ranks: list[int], model: nn.Module, batch: Batch, device: torch.device,
                 autocast: Optional[torch.dtype], world: int) -> Optional[str]:
    """:func:`localize_nonfinite` as seen by the first of ``ranks``. Every rank re-runs its
    forward (under FSDP2 a forward all-gathers, so none may skip it) and the names are
    gathered."""
    where = localize_nonfinite(model, batch, device, autocast)
    if world == 1:
        return where
    seen = gather(where)
    return next((seen[r] for r in ranks if seen[r]), None)


def _seen_by_first(value: Any, ranks: list[int], world: int) -> Any:
    """``value`` as the first of ``ranks`` holds it (a collective under ``world > 1``)."""
    return gather(value)[ranks[0]] if world > 1 else value


def _on_ranks(info: dict, ranks: list[int], world: int) -> dict:
    return {**info, "ranks": ranks, "world_size": world} if world > 1 else info


def train_step(setup: Any, corpus: ByteCorpus, step: int, factor: float, *, seed: int,
               lr_scale: float = 1.0, accum: Optional[int] = None,
               after_backward: Optional[Callable[[int], None]] = None,
               measure: Optional[Callable[[Any, Any, Tensor], None]] = None,
               before_step: Optional[Callable[[], None]] = None) -> StepStats:
    """One optimizer step of ``setup`` (a :class:`~.build.TrainSetup`) at schedule ``factor``."""
    spec, model, opt, dev = setup.spec, setup.model, setup.optimizer, setup.device
    accum = accum or setup.grad_accum
    ce_sum = ratio_sum = 0.0
    rates = [0.0] * spec.num_stages
    logz_mean = logz_max = 0.0
    rank, world = getattr(setup, "data_rank", 0), getattr(setup, "data_world", 1)
    for micro in range(accum):
        # under --nproc each rank trains its shard: batch k of the global stream goes to rank k % world
        batch = corpus.batch((step * accum + micro) * world + rank, setup.micro_batch, setup.seq_len, seed)
        ce, ratio, out, logits = forward_loss(model, batch, dev, setup.autocast,
                                              spec.target_ratios, spec.ratio_loss_weight)
        loss = ce + spec.ratio_loss_weight * ratio
        bad_ranks = ranks_where(not bool(torch.isfinite(loss)), rank, world, dev)
        if bad_ranks:
            where = _localize_on(bad_ranks, model, batch, dev, setup.autocast, world)
            value = _seen_by_first(float(loss.detach()), bad_ranks, world)
            return _failed(step, factor, spec, _on_ranks(
                {"stage": "loss", "module": where, "micro_step": micro, "loss": value},
                bad_ranks, world))
        (loss / accum).backward()  # dividing by accum makes the summed grads a mean
        if after_backward is not None:
            after_backward(micro)
        ce_sum += float(ce.detach()) / accum
        ratio_sum += float(ratio.detach()) / accum
        with torch.no_grad():
            for s, r in enumerate(out.routers):
                v = r.valid
                rates[s] += float((r.boundary_mask & v).sum() / v.sum().clamp(min=1)) / accum
            lz = torch.logsumexp(logits, dim=-1)  # (n,) log Z of the output softmax
            logz_mean += float(lz.mean()) / accum
            logz_max = max(logz_max, float(lz.abs().max()))
        if measure is not None and micro == 0:
            measure(batch, out, logits)
    if world > 1:  # report the run's loss and boundary rates, not rank 0's shard's
        import torch.distributed as dist

        t = torch.tensor([ce_sum, ratio_sum, *rates], dtype=torch.float64, device=dev)
        dist.all_reduce(t)
        ce_sum, ratio_sum, *rates = (t / world).tolist()
    gnorm, stage_norms, bad = _stage_norms(model, spec.num_stages)
    bad_ranks = ranks_where(bool(bad) or not math.isfinite(gnorm), rank, world, dev)
    if bad_ranks:
        where = _localize_on(bad_ranks, model, batch, dev, setup.autocast, world)
        names, count = _seen_by_first((bad[:8], len(bad)), bad_ranks, world)
        return _failed(step, factor, spec, _on_ranks(
            {"stage": "grad", "module": where, "params": names, "count": count},
            bad_ranks, world))
    clipped = False
    if spec.grad_clip and spec.grad_clip > 0:
        _clip_(model, spec.grad_clip, gnorm)
        clipped = gnorm > spec.grad_clip
    for g in opt.param_groups:  # the schedule sets every group: base x multiplier x factor
        g["lr"] = spec.lr * lr_scale * g["lr_multiplier"] * factor
    if before_step is not None:
        before_step()
    opt.step()
    if measure is not None:
        measure(None, None, None)  # post-step measurements (update sizes, g^2/v)
    opt.zero_grad(set_to_none=True)
    bad_params = _nonfinite_params(model)
    stats = StepStats(step, factor, ce_sum, ratio_sum, gnorm, stage_norms, clipped, rates,
                      logz_mean, logz_max)
    bad_ranks = ranks_where(bool(bad_params), rank, world, dev)
    if bad_ranks:
        names, count = _seen_by_first((bad_params[:8], len(bad_params)), bad_ranks, world)
        stats.nonfinite = _on_ranks({"stage": "param", "params": names, "count": count},
                                    bad_ranks, world)
    return stats


def _failed(step: int, factor: float, spec: Any, info: dict) -> StepStats:
    nan = float("nan")
    return StepStats(step, factor, nan, nan, nan, [nan] * (spec.num_stages + 1), False,
                     [nan] * spec.num_stages, nan, nan, nonfinite=info)
