"""How stable are the LR-edge outcome and its severity across CPU kernel paths?

    nice -n 10 python -m bench.detection.isa_severity [--lrs 0.01 0.02 0.12] [--isas default avx2 avx512]
    python -m bench.detection.isa_severity --table      # the table from the recorded file only

The same config on a CPU with other vector kernels computes other floating-point roundings,
which move a probe's gap like another seed (probe-audit.md: median |d gap| 0.074 nats). This
runs the tests' tiny model (the detection corpus's ``base`` family: 64/96 wide, multipliers
[2, 1]; the probe does not see the configured warmup) at each base LR under each
``ATEN_CPU_CAPABILITY`` this CPU supports, with the default dry-run and 9 fixed seeds, one
subprocess each (torch reads the variable at import), and records every seed's gap and logit
(``isa_severity.jsonl``). The table then replays the decision as shipped before issue 17 (3
seeds) and the sequential plan (3 -> 9) on those seeds, with HNL807's severity (error when mean - 1.64 se
clears ``fail_margin_nats``) and whether HNL808 fires under its old and new rule.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from hnet_lint.dryrun.decide import INCONCLUSIVE, NOT_PAST, PAST, sequential_edge

from .sequential import legacy

OUT = "bench/detection/isa_severity.jsonl"

CHILD = """
import json, sys, torch
torch.set_num_threads(1)
from pathlib import Path
from bench.detection.cases import Case
from bench.detection.run_dryrun import dryrun_case
lr, folder = float(sys.argv[1]), Path(sys.argv[2])
rec = dryrun_case(Case("base", lr).write(folder), probe_seeds=9)
print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "lr": lr,
                  "per_seed": rec["per_seed"], "wall": rec["wall"]}))
"""


def measure(lrs: list[float], isas: list[str], out: str, folder: str) -> None:
    done = set()
    if os.path.exists(out):
        done = {(r["isa"], r["lr"]) for r in map(json.loads, open(out, encoding="utf-8"))}
    for isa in isas:
        for lr in lrs:
            if (isa, lr) in done:
                continue
            env = {**os.environ, "ATEN_CPU_CAPABILITY": isa, "OMP_NUM_THREADS": "1"}
            proc = subprocess.run([sys.executable, "-c", CHILD, str(lr), str(Path(folder) / isa)], env=env,
                                  capture_output=True, text=True, check=True)
            rec = {"isa": isa, **json.loads(proc.stdout.strip().splitlines()[-1])}
            with open(out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(f"{isa} {lr:g}: {rec['capability']}, {rec['wall']:.0f} s", file=sys.stderr, flush=True)


def _label(dec) -> str:
    if dec.outcome == PAST:
        return ("error" if dec.error else "warning") + (" (logit)" if dec.by_attention else "")
    return {NOT_PAST: "pass", INCONCLUSIVE: "inconclusive (info)"}[dec.outcome]


def table(out: str) -> str:
    recs = [json.loads(line) for line in open(out, encoding="utf-8")]
    lines = ["| base LR | CPU kernels | gaps, 9 seeds | logit median 3 / 9 seeds | HNL807 before (3 seeds) | "
             "HNL807 now (sequential 3 -> 9) | seeds used | HNL808 before / now |",
             "|---|---|---|---|---|---|---|---|"]
    for r in sorted(recs, key=lambda r: (r["lr"], r["isa"])):
        ps = r["per_seed"]
        gaps, att = [p["gap"] for p in ps], [p["attn_end"] for p in ps]
        old, new = legacy(gaps, att), sequential_edge(gaps, first=3, cap=9, attn_levels=att)
        old808 = 2 * sum(p["attn_rising"] for p in ps[:3]) > 3
        new808 = statistics.median(att[:new.n]) > 100
        lines.append(f"| {r['lr']:g} | {r['capability']} | {', '.join(f'{g:+.2f}' for g in gaps)} | "
                     f"{statistics.median(att[:3]):.0f} / {statistics.median(att):.0f} | "
                     f"{_label(old)}: {old.mean:+.3f} +- {old.se:.3f} | {_label(new)}: {new.mean:+.3f} +- "
                     f"{new.se:.3f} | {new.n} | {'fires' if old808 else '-'} / {'fires' if new808 else '-'} |")
    return "\n".join(lines)


def compact(out: str) -> tuple[str, str]:
    """The two short tables of the HNL807 and HNL808 docs."""
    recs = sorted((json.loads(line) for line in open(out, encoding="utf-8")), key=lambda r: (r["lr"], r["isa"]))
    t807 = ["| base LR | CPU kernels | before (3 seeds, z 1.64) | now (3 -> 9 seeds, z 2.2) |", "|---|---|---|---|"]
    t808 = ["| base LR | CPU kernels | logit median | before (> 100 and rising) | now (median > 100) |",
            "|---|---|---|---|---|"]
    for r in recs:
        ps = r["per_seed"]
        gaps, att = [p["gap"] for p in ps], [p["attn_end"] for p in ps]
        old, new = legacy(gaps, att), sequential_edge(gaps, first=3, cap=9, attn_levels=att)
        t807.append(f"| {r['lr']:g} | {r['capability']} | {_label(old)} {old.mean:+.3f} +- {old.se:.3f} | "
                    f"{_label(new)} {new.mean:+.3f} +- {new.se:.3f} ({new.n} seeds) |")
        old808 = 2 * sum(p["attn_rising"] for p in ps[:3]) > 3
        med = statistics.median(att[:new.n])
        t808.append(f"| {r['lr']:g} | {r['capability']} | {med:.0f} | {'fires' if old808 else 'silent'} | "
                    f"{'fires' if med > 100 else 'silent'} |")
    return "\n".join(t807), "\n".join(t808)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.02, 0.12])
    ap.add_argument("--isas", nargs="+", default=["default", "avx2", "avx512"])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--configs", default="bench/detection/configs/isa")
    ap.add_argument("--table", action="store_true", help="only print the table from --out")
    ap.add_argument("--compact", action="store_true", help="the short tables of the HNL807/HNL808 docs")
    args = ap.parse_args()
    if not args.table:
        measure(args.lrs, args.isas, args.out, args.configs)
    print(table(args.out))
    if args.compact:
        print("\n\n".join(compact(args.out)))


if __name__ == "__main__":
    main()
