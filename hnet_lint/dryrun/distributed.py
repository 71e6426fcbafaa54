"""What the exact checks need to see through DDP, FSDP2 and FSDP1-style flat parameters.

* Original names: DDP prefixes every name with ``module.``; FSDP1 inserts
  ``_fsdp_wrapped_module.`` and (``use_orig_params=False``) replaces a unit's parameters by one
  ``_flat_param`` whose ``_fqns``/``_shapes`` list what it holds; FSDP2 (``fully_shard``) keeps
  the names and turns every parameter into a DTensor shard.
* Local tensors: a DTensor's checks read its local shard (``to_local()``); comparisons that
  need the whole model reduce across ranks with ``torch.distributed``.
* Rank agreement: replicated parameters (DDP, or plain data parallel) must be bit-identical on
  every rank; a max/min all-reduce finds the ones that are not.
* Gathering: each rank's findings go to every rank (:func:`gather`: pickled into a byte tensor,
  two ``all_gather`` calls; no numpy, unlike ``all_gather_object``) and are merged so the
  report says each thing once, naming the ranks that saw it.

Everything here is a no-op in a single process (world size 1).
"""

from __future__ import annotations

import pickle
from typing import Any, Iterable, Optional

import torch
import torch.distributed as dist
import torch.nn as nn

__all__ = ["original_name", "param_names", "local", "is_sharded", "is_flat", "is_wrapped", "rank_world",
           "ranks_where", "gather", "disagreeing_params", "unwrap", "engine_of"]

_WRAPPER_PARTS = ("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_orig_mod.")


def original_name(name: str) -> str:
    """The parameter's name in the unwrapped model (DDP's leading ``module.`` and FSDP1's /
    checkpointing's / ``torch.compile``'s wrapper components removed)."""
    for part in _WRAPPER_PARTS:
        name = name.replace(part, "")
    while name.startswith("module."):
        name = name[len("module."):]
    return name


def is_flat(p: torch.Tensor) -> bool:
    """An FSDP1-style flat parameter: one tensor standing for several original ones."""
    return getattr(p, "_fqns", None) is not None


def param_names(model: nn.Module) -> dict[int, tuple[str, list[str], list[Optional[tuple]]]]:
    """id(param) -> (display name, original names it holds, their shapes (None: its own))."""
    out = {}
    for name, p in model.named_parameters():
        base = original_name(name)
        if is_flat(p):
            prefix = base[: -len("_flat_param")] if base.endswith("_flat_param") else ""
            held = [prefix + original_name(f) for f in p._fqns]
            shapes = [tuple(s) for s in getattr(p, "_shapes", [None] * len(held))]
            out[id(p)] = (base, held, shapes)
        else:
            out[id(p)] = (base, [base], [None])
    return out


def local(t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    """The local shard of a DTensor, the tensor itself otherwise."""
    if t is not None and hasattr(t, "to_local") and hasattr(t, "placements"):
        return t.to_local()
    return t


def is_sharded(p: torch.Tensor) -> bool:
    """A DTensor with at least one non-replicated placement (FSDP2's ``Shard(0)``)."""
    placements = getattr(p, "placements", None)
    return placements is not None and any(not pl.is_replicate() for pl in placements)


def is_wrapped(params: Iterable[torch.Tensor]) -> bool:
    """Sharded or flat parameters: their ``.grad`` is written by the wrapper, not by autograd
    on the parameter, so per-parameter gradient hooks never fire."""
    return any(hasattr(p, "placements") or is_flat(p) for p in params)


def unwrap(model: nn.Module) -> nn.Module:
    """The user's module inside DDP / FSDP1 (FSDP2 modifies the module in place)."""
    seen = 0
    while hasattr(model, "module") and isinstance(getattr(model, "module"), nn.Module) and seen < 4:
        model = model.module
        seen += 1
    return model


def engine_of(model: nn.Module) -> str:
    """``ddp`` | ``fsdp2`` | ``fsdp1-flat`` | ``fsdp1`` | ``none`` (as seen from the parameters)."""
    from torch.nn.parallel import DistributedDataParallel

    params = list(model.parameters())
    if any(is_flat(p) for p in params):
        return "fsdp1-flat"
    if any(hasattr(p, "placements") for p in params):
        return "fsdp2"
    if isinstance(model, DistributedDataParallel):
        return "ddp"
    if type(model).__name__ == "FullyShardedDataParallel":
        return "fsdp1"
    return "none"


def rank_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def ranks_where(flag: bool, rank: int, world: int, device: torch.device) -> list[int]:
    """The ranks on which ``flag`` holds. Under ``world > 1`` it is a collective (one small
    all-reduce): every rank calls it at the same point, so all get the same answer and can
    stop together instead of leaving the others waiting in a collective."""
    if world == 1:
        return [0] if flag else []
    votes = torch.zeros(world, dtype=torch.int32, device=device)
    votes[rank] = int(flag)
    dist.all_reduce(votes)
    return [r for r, v in enumerate(votes.tolist()) if v]


def _collective_device() -> torch.device:
    """Where the default group's collectives take their tensors: NCCL only moves CUDA tensors
    (on this rank's current device), gloo only CPU ones."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def gather(obj: Any) -> list[Any]:
    """``obj`` from every rank, in rank order (``[obj]`` in a single process).

    ``obj`` is plain data of our own (lists, dicts, numbers, strings, findings) from the ranks of
    our own job. It is pickled into a uint8 tensor; one ``all_gather`` exchanges the lengths, a
    second the payloads padded to the longest. ``dist.all_gather_object`` would do the same but
    goes through numpy, which ``hnet-lint[dry-run]`` does not install ("Numpy is not
    available"). Every rank must call it (it is a collective).
    """
    rank, world = rank_world()
    if world == 1:
        return [obj]
    device = _collective_device()
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    size = torch.tensor([len(payload)], dtype=torch.int64, device=device)
    sizes = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(world)]
    dist.all_gather(sizes, size)
    lengths = [int(s.item()) for s in sizes]
    longest = max(lengths)
    mine = torch.zeros(longest, dtype=torch.uint8)
    if payload:
        mine[:len(payload)] = torch.frombuffer(bytearray(payload), dtype=torch.uint8)
    bufs = [torch.empty(longest, dtype=torch.uint8, device=device) for _ in range(world)]
    dist.all_gather(bufs, mine.to(device))
    # tolist() -> bytes: no numpy; the payloads are findings and masks, kilobytes
    return [pickle.loads(bytes(buf[:n].cpu().tolist())) for buf, n in zip(bufs, lengths)]


def disagreeing_params(model: nn.Module, grads: bool = False) -> tuple[list[str], int]:
    """(original names of replicated parameters (``grads``: their gradients) that differ between
    ranks, how many were compared).

    Sharded (FSDP2) and flat-sharded parameters differ by design and are not compared. One
    max and one min all-reduce over the concatenated replicated tensors: an element differs
    somewhere iff its max and min disagree. When any rank holds a non-finite value nothing is
    compared (the NaN is HNL802's, and NaN != NaN is no evidence of a missing all-reduce).
    A missing gradient counts as zeros. Every rank must call it (it is a collective).
    """
    rank, world = rank_world()
    names = param_names(model)
    reps = [(names[id(p)][0], p) for p in model.parameters() if not hasattr(p, "placements") and not is_flat(p)]
    if world == 1 or not reps:
        return [], len(reps) if world > 1 else 0

    def value(p: torch.Tensor) -> torch.Tensor:
        if not grads:
            return p.detach()
        return p.grad.detach() if p.grad is not None else torch.zeros_like(p)

    flat = torch.cat([value(p).reshape(-1).to(torch.float64) for _, p in reps])
    # Non-finite values are HNL802's: NaN != NaN would make identical all-NaN tensors "differ",
    # and a NaN on one rank is not a question of synchronisation. Any rank non-finite: no verdict.
    nonfinite = torch.tensor([int(not bool(torch.isfinite(flat).all()))], dtype=torch.int32, device=flat.device)
    dist.all_reduce(nonfinite, op=dist.ReduceOp.MAX)
    if int(nonfinite.item()):
        return [], len(reps)
    hi, lo = flat.clone(), flat.clone()
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    differ = hi != lo
    bad, start = [], 0
    for name, p in reps:
        n = p.numel()
        if bool(differ[start:start + n].any()):
            bad.append(name)
        start += n
    return bad, len(reps)
