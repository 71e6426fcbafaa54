"""Ranks that must stop together (run by the tests under ``torch.distributed.run``).

``python -m torch.distributed.run --nproc-per-node 2 nonfinite_job.py FOLDER SCENARIO``
builds the tiny config's training setup the way ``hnet-lint --dry-run --nproc`` does (same
builder, same DDP wrapping), breaks it on rank 1 only and writes what each rank's step or
smoke returned to ``FOLDER/rank<R>.json``:

* ``nan-loss``: one parameter of rank 1's replica is NaN, so only rank 1's loss is non-finite;
* ``late``: only rank 1's smoke deadline has passed before the first step;
* ``late-probe``: the same for the LR-edge probe (each run wrapped as under ``--nproc``).

Before the ranks agreed on stopping, rank 1 returned while rank 0 waited in DDP's gradient
all-reduce (a hang); the test's timeout would fail it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from dryrun.conftest import load_run, write_config  # noqa: E402

from hnet_lint.dryrun.build import DryRunOptions, build_setup, spec_from_run  # noqa: E402
from hnet_lint.dryrun.data import load_corpus  # noqa: E402
from hnet_lint.dryrun.probe import run_probe  # noqa: E402
from hnet_lint.dryrun.runner import probe_plan  # noqa: E402
from hnet_lint.dryrun.smoke import run_smoke  # noqa: E402
from hnet_lint.dryrun.train import train_step  # noqa: E402
from hnet_lint.dryrun.worker import _wrap  # noqa: E402


def main(folder: str, scenario: str) -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    with tempfile.TemporaryDirectory() as tmp:
        run = load_run(write_config(Path(tmp)))
    spec = spec_from_run(run)
    opts = DryRunOptions(device="cpu", cpu_seq_len=64, cpu_batch_size=2)
    setup = build_setup(spec, opts, device=torch.device("cpu"))
    setup.grouping = opts.param_groups
    setup.data_rank, setup.data_world = rank, world
    _wrap(setup, "ddp", torch.device("cpu"))
    corpus = load_corpus(None)
    if scenario == "nan-loss":
        if rank == 1:
            with torch.no_grad():
                next(setup.model.parameters()).fill_(float("nan"))  # after DDP's broadcast
        out = dataclasses.asdict(train_step(setup, corpus, 0, 1.0, seed=0, accum=1))
    elif scenario == "late":
        deadline = time.monotonic() - 1.0 if rank == 1 else None
        smoke = run_smoke(setup, corpus, run, {}, 3, 0, deadline=deadline, peak_steps=0)
        out = {"interrupted": smoke.interrupted, "steps": len(smoke.steps)}
    else:
        deadline = time.monotonic() - 1.0 if rank == 1 else None
        probe_opts = dataclasses.replace(opts, probe_seeds=1, probe_steps=4)
        plan = probe_plan(probe_opts, 0)

        def prepare(fresh):
            fresh.grouping = opts.param_groups
            fresh.data_rank, fresh.data_world = rank, world
            _wrap(fresh, "ddp", torch.device("cpu"))

        probe = run_probe(spec, probe_opts, run, corpus, plan, deadline, lambda s: None, setup,
                          prepare=prepare)
        out = {"interrupted": probe.interrupted, "runs": [len(r.steps) for r in probe.runs]}
    with open(os.path.join(folder, f"rank{rank}.json"), "w") as fh:
        json.dump(out, fh, default=str)
    dist.barrier()  # both ranks reached the end: neither is left in a collective
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    # skip interpreter teardown, as worker.py does: with gloo a C++ thread destroyed at exit
    # sometimes aborts ("terminate called without an active exception", SIGABRT) after the
    # results are written, which failed test_nan_loss_on_one_rank_stops_both_and_names_it once
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
