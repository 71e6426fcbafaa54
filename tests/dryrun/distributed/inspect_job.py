"""A user's own torchrun job calling ``hnet_lint.inspect`` on wrapped models (run by the tests).

``python -m torch.distributed.run --nproc-per-node 2 inspect_job.py OUT.json SCENARIO...``:
every scenario builds the tiny H-Net, wraps it, trains 2 steps of 2 micro-batches on this rank's
shard and runs ``inspect``; rank 0 writes ``{scenario: [finding dicts]}`` to OUT.json.
"""

from __future__ import annotations

import json
import os
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F

torch.set_num_threads(1)

import hnet_lint  # noqa: E402
from hnet_lint.dryrun.build import make_optimizer, spec_from_run  # noqa: E402
from hnet_lint.dryrun.train import forward_loss  # noqa: E402
from hnet_lint.dryrun.data import load_corpus  # noqa: E402
from hnet_lint.model import HNetConfig, HNetForCausalLM  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
from dryrun.conftest import TINY_MODEL  # noqa: E402

CONFIG = {"lr_multiplier": [2.0, 1.0], "lr": 1e-3}
CORPUS = load_corpus(None)


def model_(seed: int = 0, dtype=torch.float32) -> HNetForCausalLM:
    torch.manual_seed(seed)
    m = HNetForCausalLM(HNetConfig.from_dict(TINY_MODEL), dtype=dtype)
    m.init_weights(0.02)
    return m


def optimizer_(model, lr_scale: float = 1.0):
    from types import SimpleNamespace

    spec = SimpleNamespace(multipliers=CONFIG["lr_multiplier"], lr=CONFIG["lr"], betas=(0.9, 0.95),
                           eps=1e-8, weight_decay=0.1)
    groups_model = getattr(model, "module", model)
    opt, _ = make_optimizer(groups_model, spec, "corrected", lr_scale)
    return opt


def step_fn(model, opt, rank, world, average_ratio=True, zero_every=1, never_sync=False,
            clip="after-sync", nan_at=None):
    """One optimizer step of 2 micro-batches; ``clip``: once after the last backward (right),
    after every micro-batch with the first one under ``no_sync`` ("in-loop": before the
    all-reduce), or None."""
    import contextlib

    from torch.nn.utils import clip_grad_norm_  # bound here, as users import it

    def step(i: int):
        ratios = []
        for micro in range(2):
            batch = CORPUS.batch((i * 2 + micro) * world + rank, 1, 64, 0)  # this rank's shard
            sync_off = never_sync or (clip == "in-loop" and micro == 0)
            with model.no_sync() if sync_off else contextlib.nullcontext():
                ce, ratio, _, _ = forward_loss(model, batch, torch.device("cpu"), None, [3.0], 0.03)
                if nan_at is not None and i == nan_at and rank == world - 1:
                    ce = ce * float("nan")  # one rank's loss goes non-finite; DDP spreads it
                    ratio = ratio * float("nan")
                ((ce + 0.03 * ratio) / 2).backward()
            ratios.append(ratio.detach() / 2)
            if clip == "in-loop":
                clip_grad_norm_(model.parameters(), 1.0)
        if clip == "after-sync":
            clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i % zero_every == zero_every - 1:
            opt.zero_grad(set_to_none=True)
        logged = sum(ratios)
        if average_ratio:
            dist.all_reduce(logged, op=dist.ReduceOp.AVG)
        return {"ratio_loss": float(logged)}
    return step


def run(scenario: str, rank: int, world: int):
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP1
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard
    from torch.nn.parallel import DistributedDataParallel as DDP

    def shard(m, policy=None):
        for name, mod in m.named_modules():
            if type(mod).__name__ == "Block":
                fully_shard(mod, **({"mp_policy": policy} if policy else {}))
        return fully_shard(m, **({"mp_policy": policy} if policy else {}))

    average, zero_every, never_sync, clip, nan_at = True, 1, False, "after-sync", None
    if scenario == "ddp-no-sync-throughout":  # accumulation under no_sync, including the last micro-batch
        model = DDP(model_())
        opt = optimizer_(model)
        never_sync = True
    elif scenario == "ddp-lr-scaled":  # the trainer multiplied the LR by the world size
        model = DDP(model_())
        opt = optimizer_(model, lr_scale=float(world))
    elif scenario == "fsdp2-grads-not-zeroed":  # zero_grad every 3 steps only
        model = shard(model_())
        opt = optimizer_(model)
        zero_every = 3
    elif scenario == "ddp":
        model = DDP(model_())
        opt = optimizer_(model)
    elif scenario == "ddp-bf16-storage":  # bf16 parameters at a small LR under DDP: several groups frozen
        model = DDP(model_().to(torch.bfloat16))
        opt = optimizer_(model, lr_scale=0.01)
    elif scenario == "single-bf16-storage" and rank == 0:  # the same model in one process, for comparison
        model = model_().to(torch.bfloat16)
        opt = optimizer_(model, lr_scale=0.01)
    elif scenario == "ddp-nan-rank1":  # NaN loss on the last rank at step 1, all-reduced to all
        model = DDP(model_())
        opt = optimizer_(model)
        nan_at = 1
    elif scenario == "ddp-clip-in-loop":  # no_sync accumulation, clipped after every micro-batch
        model = DDP(model_())
        opt = optimizer_(model)
        clip = "in-loop"
    elif scenario == "ddp-rank-seed":  # rank 1 initialised with another seed; no broadcast at init
        model = DDP(model_(seed=rank), init_sync=False)
        opt = optimizer_(model)
    elif scenario == "ddp-ratio-per-rank":
        model = DDP(model_())
        opt = optimizer_(model)
        average = False
    elif scenario == "fsdp2-bf16-policy":  # fp32 shards, bf16 compute: correct
        model = shard(model_(), MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32))
        opt = optimizer_(model)
    elif scenario == "fsdp2-bf16-storage":  # bf16 parameters sharded: the motivating mistake
        model = shard(model_().to(torch.bfloat16))
        opt = optimizer_(model)
    elif scenario == "fsdp1-flat":  # FSDP1 flattening: one flat parameter, one group
        model = FSDP1(model_(), use_orig_params=False, device_id=torch.device("cpu"))
        opt = torch.optim.AdamW(model.parameters(), lr=CONFIG["lr"] * 2.0, weight_decay=0.1)
    elif scenario == "single-bf16-storage":
        return {"findings": [], "engine": "none", "rank": rank, "world_size": world, "steps": 0}
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    if scenario == "single-bf16-storage":  # rank 0 alone, outside the process group's collectives
        single = run_alone(model, opt)
        return single
    res = hnet_lint.inspect(model, opt, config=CONFIG, step_fn=step_fn(model, opt, rank, world, average, zero_every,
                                                                     never_sync, clip, nan_at),
                            steps=3 if zero_every > 1 or nan_at is not None else 2)
    return {"findings": [f.to_dict() for f in res.findings], "engine": res.engine, "rank": res.rank,
            "world_size": res.world_size, "steps": res.steps}


def run_alone(model, opt) -> dict:
    """``inspect`` as one process would run it (the merged result must say the same)."""
    import torch.distributed as d

    def step(i):
        for micro in range(2):
            batch = CORPUS.batch(i * 2 + micro, 1, 64, 0)
            ce, ratio, _, _ = forward_loss(model, batch, torch.device("cpu"), None, [3.0], 0.03)
            ((ce + 0.03 * ratio) / 2).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    real = d.is_initialized
    d.is_initialized = lambda: False  # rank_world() -> (0, 1): no collectives
    try:
        res = hnet_lint.inspect(model, opt, config=CONFIG, step_fn=step, steps=2)
    finally:
        d.is_initialized = real
    return {"findings": [f.to_dict() for f in res.findings], "engine": res.engine, "rank": 0,
            "world_size": 1, "steps": res.steps}


def main() -> None:
    out, scenarios = sys.argv[1], sys.argv[2:]
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    results = {}
    for scenario in scenarios:
        try:
            results[scenario] = run(scenario, rank, world)
        except Exception as exc:  # noqa: BLE001 - the test reports which scenario broke
            import traceback

            results[scenario] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
        dist.barrier()
    if rank == 0:
        with open(out, "w") as fh:
            json.dump(results, fh)
    dist.barrier()
    # Skip interpreter teardown: with gloo, a C++ thread destroyed at exit sometimes aborts
    # ("terminate called without an active exception") after the work is done.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
