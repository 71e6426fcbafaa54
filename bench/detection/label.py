"""Ground truth for the detection benchmark: train every case far longer than the probe.

    nice -n 10 python -m bench.detection.label [--seeds 0 1] [--out bench/detection/long_runs.jsonl]

Each case of ``cases.py`` runs its full configured schedule (1,000 optimizer steps, 10-17x the
probe's steps at peak) with the dry-run's reference trainer (``hnet_lint.dryrun.train``: the
configured AdamW groups, multipliers, clipping, dtype policy, accumulation) on 90% of the
default corpus's documents, and is scored by cross-entropy on fixed held-out windows from the
other 10% (16 batches of 4 x 64 bytes). One JSON line per (case, seed), appended as it
finishes, so an interrupted run resumes where it stopped. Slow (~30 s per run on one idle
core); the committed ``long_runs.jsonl`` is its output. Labels are derived by ``truth.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import torch

from hnet_lint.api import lint_paths
from hnet_lint.dryrun.build import DryRunOptions, build_setup, spec_from_run
from hnet_lint.dryrun.data import ByteCorpus, _default_documents
from hnet_lint.dryrun.schedule import lr_factor
from hnet_lint.dryrun.train import forward_loss, train_step

from .cases import TOTAL_STEPS, cases

EVAL_BATCHES, EVAL_ROWS, SEQ = 16, 4, 64


def split_corpus() -> tuple[ByteCorpus, ByteCorpus]:
    docs = _default_documents()
    train = [d for i, d in enumerate(docs) if i % 10]
    held = [d for i, d in enumerate(docs) if not i % 10]
    return ByteCorpus(train, "topics-train90"), ByteCorpus(held, "topics-heldout10")


def evaluate(setup, held: ByteCorpus) -> float:
    total = 0.0
    with torch.no_grad():
        for k in range(EVAL_BATCHES):
            batch = held.batch(k, EVAL_ROWS, SEQ, seed=12345)
            ce, _r, _o, _l = forward_loss(setup.model, batch, setup.device, setup.autocast, [], 0.0)
            total += float(ce) / EVAL_BATCHES
    return total


def long_run(path: Path, seed: int, train: ByteCorpus, held: ByteCorpus) -> dict:
    run = next(iter(lint_paths([str(path)]).runs.values()))
    spec = spec_from_run(run)
    spec.seed = seed  # init and data order
    grouping = run.optimizer.grouping or "corrected"
    setup = build_setup(spec, DryRunOptions(device="cpu", cpu_seq_len=SEQ, cpu_batch_size=2, param_groups=grouping))
    warm = max(1, int(spec.schedule.get("warmup_steps") or 0))
    out = {"seed": seed, "steps": TOTAL_STEPS, "diverged_at": None, "eval_warmup_end": None, "eval_final": None}
    losses = []
    for t in range(TOTAL_STEPS):
        st = train_step(setup, train, t, lr_factor(t, spec.schedule, spec.lr), seed=seed)
        losses.append(st.loss)
        if st.nonfinite or not math.isfinite(st.loss):
            out["diverged_at"] = t
            break
        if t + 1 == warm:
            out["eval_warmup_end"] = evaluate(setup, held)
    if out["diverged_at"] is None:
        out["eval_final"] = evaluate(setup, held)
        if not math.isfinite(out["eval_final"]):
            out["diverged_at"] = TOTAL_STEPS
    out["train_tail"] = sum(losses[-50:]) / max(1, len(losses[-50:]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--out", default="bench/detection/long_runs.jsonl")
    ap.add_argument("--configs", default="bench/detection/configs")
    ap.add_argument("--reverse", action="store_true", help="cases in reverse order (a second worker)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    train, held = split_corpus()
    done = set()
    if os.path.exists(args.out):
        for line in open(args.out, encoding="utf-8"):
            r = json.loads(line)
            done.add((r["case"], r["seed"]))
    for seed in args.seeds:  # every case at seed 0 first: a cut-short run still labels them all
        for case in (reversed(cases()) if args.reverse else cases()):
            if (case.name, seed) in done:
                continue
            t0 = time.monotonic()
            rec = {"case": case.name, "family": case.family, "lr": case.lr, "peak": case.peak,
                   **long_run(case.write(Path(args.configs)), seed, train, held)}
            rec["seconds"] = round(time.monotonic() - t0, 1)
            with open(args.out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(json.dumps(rec), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
