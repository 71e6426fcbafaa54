"""The table of hierarchical-hnet's hyperparams.json history vs hnet-lint's findings.

Lints every file of the corpus in tests/data/trainers/hierarchical-hnet/training_configs/
(one folder per commit of JohannesWesch/hierarchical-hnet; own copies of the files' keys
and values) with the trainer version of its own commit, and prints a Markdown table: the
profile, the effective schedule (optimizer steps, where warmup ends, the last update's
fraction of peak, LR scale), the weight decay really applied, and the codes found.

    python bench/trainer_history.py   # the table in docs/trainers.md (python docs/generate.py
                                      # writes it there; a test keeps it fresh)
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hnet_lint.api import lint_paths  # noqa: E402
from hnet_lint.check.settings import Settings  # noqa: E402
from hnet_lint.diagnostics import Severity  # noqa: E402
from hnet_lint.load.trainers.effective import ScheduleUnavailable, schedule_of  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "trainers" / "hierarchical-hnet" / "training_configs"
ORDER = ["d792a0e", "64466f9", "c23788a", "2fb6ff9", "daa4a98", "8dbea2d", "f70e5f1",
         "954705e", "d28b7c4", "5114631", "053d5ab", "1e85721", "9bc3e0a", "43ad173",
         "884a517"]


#: The table's header rows.
HEADER = ["| commit | file | profile | effective schedule | errors | all codes |",
          "|---|---|---|---|---|---|"]


def rows() -> list[str]:
    out = []
    for commit in ORDER:
        for folder in sorted((CORPUS / commit).iterdir()):
            os.chdir(folder)
            report = lint_paths(["hyperparams.json"], Settings(
                trainer_option=f"hierarchical-hnet@{commit}"))
            run = next(iter(report.runs.values()))
            try:
                eff = schedule_of(run)
                n = eff.optimizer_steps
                warm = eff.optimizer_step_reaching(eff.warmup_end) if eff.warmup_end else 0
                sched = (f"{eff.name}, {n} opt. steps, warmup ends "
                         f"{'never' if warm is None else f'{warm / n:.0%}'}, last "
                         f"{eff.final_factor():.0%} of peak, LR x{eff.lr_scale:g}")
            except ScheduleUnavailable as exc:
                sched = f"({exc})"
            active = report.active
            errors = sorted({d.code for d in active if d.severity == Severity.ERROR})
            codes = Counter(d.code for d in active)
            shown = ", ".join(f"{c}" + (f"x{k}" if k > 1 else "") for c, k in sorted(codes.items()))
            out.append(f"| {commit} | {folder.name} | {run.trainer.version} | {sched} | "
                       f"{', '.join(errors) or 'none'} | {shown} |")
    return out


def main() -> None:
    for row in [*HEADER, *rows()]:
        print(row)


if __name__ == "__main__":
    main()
