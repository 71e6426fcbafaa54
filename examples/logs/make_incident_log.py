"""Write ``incident-train.log``: a SYNTHETIC training log shaped like the motivating run.

Not the team's real log (it was never published). It follows what the post-mortem reports:
loss falling from 5.77 to 0.84, one pre-clip gradient norm of 1,810 in an otherwise
ordinary run, ratio losses near 1.000 / 1.008, a final gradient norm around 0.17, and a
stop at step 32,800 of 100,000. Per-group LRs follow the config's cosine schedule with the
multipliers [3.0, 1.7, 0.9] applied. Deterministic: ``python make_incident_log.py``.
"""

from __future__ import annotations

import math
import os
import random

BASE_LR, MULT, WARMUP, TOTAL, MIN_LR = 3e-4, (3.0, 1.7, 0.9), 2000, 100_000, 1e-5
STOP, SPIKE_STEP, EVERY = 32_800, 14_300, 100


def lr_at(step: int) -> float:
    if step < WARMUP:
        return BASE_LR * (step + 1) / WARMUP
    progress = (step - WARMUP) / (TOTAL - WARMUP)
    return MIN_LR + (BASE_LR - MIN_LR) * 0.5 * (1 + math.cos(math.pi * progress))


def main() -> None:
    rng = random.Random(0)
    lines = ["# SYNTHETIC log shaped like the motivating run; see make_incident_log.py"]
    for step in range(0, STOP + 1, EVERY):
        t = step / STOP
        loss = 0.84 + (5.77 - 0.84) * math.exp(-6.0 * t) + rng.gauss(0, 0.015)
        grad_norm = 0.17 + 1.6 * math.exp(-8.0 * t) + abs(rng.gauss(0, 0.03))
        if step == SPIKE_STEP:
            grad_norm, loss = 1810.0, loss + 0.35  # one bad batch; clipping holds it
        elif step == SPIKE_STEP + EVERY:
            loss += 0.08
        fields = [f"step {step}", f"loss {loss:.4f}", f"grad_norm {grad_norm:.4f}"]
        fields += [f"lr_group_{s} {lr_at(step) * m:.6e}" for s, m in enumerate(MULT)]
        fields += [f"ratio_loss_0 {1.0 + abs(rng.gauss(0, 0.002)):.4f}",
                   f"ratio_loss_1 {1.008 + rng.gauss(0, 0.002):.4f}"]
        lines.append(" | ".join(fields))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "incident-train.log")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
