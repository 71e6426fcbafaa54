"""CPU throughput of the tiny 2-stage H-Net (DEBUG_2STAGE): forward + backward + AdamW step.

Usage:  python bench/model_cpu.py [--steps 20] [--out bench/results/model-cpu-YYYY-MM-DD.md]

Prints a Markdown table (steps/s and bytes/s per batch shape and thread count). Times are medians
over ``--steps`` steps after 3 warm-up steps; the load average is recorded because a shared
2-core machine makes CPU timings noisy.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hnet_lint.model.config import DEBUG_2STAGE, HNetConfig  # noqa: E402
from hnet_lint.model.hnet import HNetForCausalLM  # noqa: E402
from hnet_lint.model.training import ratio_loss  # noqa: E402


def cpu_name() -> str:
    """CPU model from /proc/cpuinfo (Linux), else platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench(batch: int, length: int, threads: int, steps: int) -> tuple[float, float]:
    """Return (median seconds per step, boundary rate of stage 0 at the end)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE))
    model.init_weights(0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95))
    x = torch.randint(0, 256, (batch, length + 1))
    times = []
    rate = float("nan")
    for i in range(steps + 3):
        t0 = time.perf_counter()
        out = model(x[:, :-1])
        loss = F.cross_entropy(out.logits.reshape(-1, 256), x[:, 1:].reshape(-1))
        loss = loss + 0.03 * sum(ratio_loss(r.boundary_mask, r.boundary_prob, 3.0) for r in out.routers)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= 3:
            times.append(time.perf_counter() - t0)
        rate = out.routers[0].boundary_mask.float().mean().item()
    return statistics.median(times), rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    n_params = sum(p.numel() for p in HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE)).parameters())
    load_before = os.getloadavg()
    rows = []
    for threads in (1, 2):
        for batch, length in ((4, 128), (8, 256), (16, 512)):
            sec, rate = bench(batch, length, threads, args.steps)
            rows.append(f"| {threads} | {batch}×{length} | {1 / sec:6.2f} | {batch * length / sec:8.0f} | {sec * 1e3:7.1f} | {rate:.2f} |")
    load_after = os.getloadavg()
    lines = [
        "# Tiny H-Net CPU throughput (forward + backward + AdamW)",
        "",
        f"- model: `DEBUG_2STAGE` (layout {DEBUG_2STAGE['arch_layout']}, d_model {DEBUG_2STAGE['d_model']}), "
        f"{n_params:,} parameters, fp32, pure-torch reference kernels",
        f"- device: {cpu_name()}, {os.cpu_count()} logical CPUs, no GPU; "
        f"torch {torch.__version__}; Python {platform.python_version()}",
        f"- median of {args.steps} steps after 3 warm-up steps; load average before/after: "
        f"{load_before[0]:.2f} / {load_after[0]:.2f} (other processes share this machine; 2-thread rows "
        "suffer most, because OpenMP threads spin at barriers when a core is taken)",
        "",
        "| threads | batch × bytes | steps/s | bytes/s | ms/step | stage-0 boundary rate |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
