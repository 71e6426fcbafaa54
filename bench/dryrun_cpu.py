"""Phase times of ``--dry-run`` (CPU proxy, default budget) for the bundled example configs.

    python bench/dryrun_cpu.py [--out bench/results/dryrun-cpu-DATE.md] [CONFIG ...]

Prints one Markdown table: scale and proxy widths, parameter count, build/smoke/probe/total
seconds, the probe plan (seeds x steps; a function of the options, never of the clock), how
many of its 1x/0.5x pairs completed, the LR-edge outcome and the dry-run codes found.
Target: every planned check completes within 90 s per config on 2 idle cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

from hnet_lint.api import lint_paths  # noqa: E402
from hnet_lint.dryrun.build import DryRunOptions  # noqa: E402
from hnet_lint.dryrun.runner import run_dry_run_for  # noqa: E402

DEFAULT = [
    "examples/recommended.yaml",
    "examples/incident/original.yaml",
    "examples/incident/postmortem-fixed.yaml",
    "examples/incident/original-flat.json",
    "examples/models/hnet_1stage_tiny.json",
    "examples/models/hnet_2stage_XL.json",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="*", default=DEFAULT)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    lines = [
        f"# dry-run CPU phase times ({time.strftime('%Y-%m-%d')})",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
        f"torch {torch.__version__}, 1 thread, default options (proxy width 64, CPU micro-batch 1x128, fp32 "
        "compute, 3 seeds x (1x, 0.5x) x 100 probe steps, 900 s safety stop).",
        "",
        "| config | scale (widths) | params | build s | smoke s | probe s | total s | pairs complete | LR edge | verdict | codes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for path in args.configs:
        report = lint_paths([path])
        run = report.runs.get(path) or next(iter(report.runs.values()))
        res = run_dry_run_for(run, DryRunOptions(device="cpu"), file=path)
        t = res.timings
        info = res.info
        pairs = (f"{len(res.probe.complete_pairs())}/{res.probe.pairs_planned}" if res.probe is not None
                 else "probe skipped")
        outcome = res.probe.decision.outcome if res.probe is not None and res.probe.decision else "-"
        from hnet_lint.dryrun.verdict import headline

        verdict = headline(res).split(":")[0]
        found = ", ".join(sorted({f"{f.code}({f.severity.label[0]})" for f in res.findings}))
        line = (f"| `{path}` | {info.get('scale')} {info.get('proxy_widths')} | {info.get('param_count', 0):,} | "
                f"{t.get('build', 0):.1f} | {t.get('smoke', 0):.1f} | {t.get('probe', 0):.1f} | "
                f"{t.get('total', sum(t.values())):.1f} | {pairs} | {outcome} | {verdict} | {found} |")
        lines.append(line)
        print(line, flush=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
