"""One rank raises inside ``step_fn`` (or stalls past the deadline); every rank writes what
``inspect`` returned to its own file (after a failure the process group is gone)."""

import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

import hnet_lint
from inspect_job import CONFIG, CORPUS, forward_loss, model_, optimizer_


def main() -> None:
    out, mode = sys.argv[1], sys.argv[2]
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    model = DDP(model_())
    opt = optimizer_(model)

    def step(i: int):
        if i == 1 and rank == world - 1:
            if mode == "raise":
                raise ValueError("bad batch on the last rank")
            time.sleep(120)  # stalls: the others wait in DDP's all-reduce
        batch = CORPUS.batch(i * world + rank, 1, 64, 0)
        ce, ratio, _, _ = forward_loss(model, batch, torch.device("cpu"), None, [3.0], 0.03)
        (ce + 0.03 * ratio).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    started = time.monotonic()
    res = hnet_lint.inspect(model, opt, config=CONFIG, step_fn=step, steps=3, step_timeout=8.0)
    with open(f"{out}.{rank}", "w") as fh:
        json.dump({"findings": [f.to_dict() for f in res.findings], "seconds": time.monotonic() - started}, fh)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
