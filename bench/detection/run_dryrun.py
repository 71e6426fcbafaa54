"""Run the default ``--dry-run`` (and the static checks) on every detection case; one JSON line each.

    nice -n 10 python -m bench.detection.run_dryrun [--out bench/detection/dryrun_results.jsonl]

Per case: the dry-run's codes and severities, the LR-edge outcome with per-seed gaps, the
attention-logit level, phase times, and the static codes. Plus the exact checks that only
``hnet_lint.inspect`` can see (a user's optimizer that ignores ``lr_multiplier``, a loop that
zeroes gradients every other step, a NaN, and a correct loop), each in ``--inspect-repeats``
seeded variants. Resumable like ``label.py``; ``report.py`` turns both files into the table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

from hnet_lint.api import lint_paths
from hnet_lint.dryrun.build import DryRunOptions
from hnet_lint.dryrun.runner import run_dry_run_for

from .cases import MODEL, cases


def dryrun_case(path: Path, probe_seeds: int = 3) -> dict:
    report = lint_paths([str(path)])
    run = next(iter(report.runs.values()))
    static = sorted({d.code for d in report.diagnostics})
    grouping = run.optimizer.grouping or "corrected"
    t0 = time.monotonic()
    res = run_dry_run_for(run, DryRunOptions(device="cpu", param_groups=grouping, probe_seeds=probe_seeds),
                          file=str(path))
    wall = time.monotonic() - t0
    dec = res.probe.decision if res.probe is not None else None
    return {
        "per_seed": per_seed(res.probe) if res.probe is not None else [],
        "static": static,
        "codes": {f.code: f.severity.label for f in res.findings},
        "outcome": dec.outcome if dec else None, "gaps": dec.gaps if dec else [],
        "mean": dec.mean if dec else None, "se": dec.se if dec else None,
        "attn_median": dec.attn_median if dec else None, "by_attention": dec.by_attention if dec else None,
        "passed": res.passed, "interrupted": res.interrupted,
        "timings": {k: round(v, 2) for k, v in res.timings.items()}, "wall": round(wall, 2),
    }


def per_seed(probe) -> list[dict]:
    """Per seed, in plan order: the pair's gap, the 1x run's end-of-probe max attention logit and
    whether that logit was still rising (HNL808's trend test), so a decision policy can be replayed
    offline on any prefix of the seeds (``bench.detection.sequential``)."""
    from hnet_lint.dryrun.probe import _opt, attention_trend
    from hnet_lint.dryrun.decide import pair_gap

    frac = _opt({}, "HNL807", "tail_fraction")
    out = []
    for one, half in probe.pairs():
        ok = half is not None and one.complete and half.complete
        out.append({"seed": one.seed, "complete": ok,
                    "gap": pair_gap(one.losses(), half.losses(), frac) if ok else None,
                    "attn_end": one.end_attn_logit(), "attn_rising": attention_trend(one, {})[0],
                    "nonfinite": bool(one.nonfinite)})
    return out


def inspect_cases(repeats: int) -> list[tuple[str, list[str], callable]]:
    """(name, expected codes, function returning found codes) for the inspect-only exact checks."""
    import hnet_lint
    from hnet_lint.dryrun.data import load_corpus
    from hnet_lint.dryrun.train import forward_loss
    from hnet_lint.model import HNetConfig, HNetForCausalLM
    from hnet_lint.model.training import group_params_corrected

    corpus = load_corpus()
    mults = [2.0, 1.0]

    def make(seed: int, fault: str):
        def go() -> list[str]:
            torch.manual_seed(seed)
            model = HNetForCausalLM(HNetConfig.from_dict(MODEL))
            model.init_weights(0.02)
            model.apply_lr_multiplier(mults)
            # a correct trainer folds the multiplier into each group's lr; a plain AdamW does not
            groups = group_params_corrected(model, base_lr=None if fault == "multiplier-ignored" else 1e-3,
                                            weight_decay=0.1)
            opt = torch.optim.AdamW(groups, lr=1e-3, weight_decay=0.1)
            if fault == "nan":
                model.lm_head.register_forward_hook(lambda m, a, out: out * float("nan"))

            def step(i: int) -> None:
                for micro in range(2):
                    batch = corpus.batch(i * 2 + micro, 2, 64, seed)
                    ce, _r, _o, _l = forward_loss(model, batch, torch.device("cpu"), None, [], 0.0)
                    (ce / 2).backward()
                opt.step()
                if fault != "grads-not-zeroed" or i % 2 == 1:
                    opt.zero_grad(set_to_none=True)

            res = hnet_lint.inspect(model, opt, config={"lr_multiplier": mults}, step_fn=step, steps=4)
            return sorted(set(res.codes()))
        return go

    expected = {"correct": [], "multiplier-ignored": ["HNL804"], "grads-not-zeroed": ["HNL805"], "nan": ["HNL802"]}
    return [(f"inspect:{fault}#{s}", codes, make(s, fault)) for fault, codes in expected.items() for s in range(repeats)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/detection/dryrun_results.jsonl")
    ap.add_argument("--configs", default="bench/detection/configs")
    ap.add_argument("--inspect-repeats", type=int, default=3)
    ap.add_argument("--probe-seeds", type=int, default=3)
    ap.add_argument("--cases", nargs="*", default=None, help="only these cases, in this order (no inspect cases)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    done = set()
    if os.path.exists(args.out):
        done = {json.loads(line)["case"] for line in open(args.out, encoding="utf-8")}

    def emit(rec: dict) -> None:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
        print(json.dumps(rec)[:300], file=sys.stderr, flush=True)

    todo = cases() if args.cases is None else sorted(
        (c for c in cases() if c.name in args.cases), key=lambda c: args.cases.index(c.name))  # given order
    for case in todo:
        if case.name not in done:
            emit({"case": case.name, "family": case.family, "lr": case.lr, "peak": case.peak,
                  "exact_expected": case.exact,
                  **dryrun_case(case.write(Path(args.configs)), args.probe_seeds)})
    for name, expected, fn in (inspect_cases(args.inspect_repeats) if args.cases is None else []):
        if name not in done:
            t0 = time.monotonic()
            emit({"case": name, "family": "inspect", "exact_expected": expected, "codes": {c: "" for c in fn()},
                  "wall": round(time.monotonic() - t0, 2)})


if __name__ == "__main__":
    main()
