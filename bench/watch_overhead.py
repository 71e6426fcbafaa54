"""Overhead of ``hnet-lint watch`` per optimizer step on CPU: the same loop plain, under
``--steps`` (every check every step) and under ``--follow`` (tensor checks every 50th step).

The loop (bench/watch_loop.py) times its own optimizer steps and writes them to a file, so the
numbers exclude startup. Median step time over the steps after the first few; overhead =
watched / plain - 1. Run: ``OMP_NUM_THREADS=1 python bench/watch_overhead.py [--write]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = {
    "tiny (2 stages, d 64/96)": "tiny",
    "small (2 stages, d 256/384, 4+4 layers)": "small",
}


def _run(model: str, steps: int, mode: str, folder: str) -> list[float]:
    out = os.path.join(folder, f"{model}-{mode}.json")
    loop = [sys.executable, os.path.join(HERE, "watch_loop.py"), "--model", model, "--steps", str(steps),
            "--timings", out]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    if mode == "plain":
        cmd = loop
    elif mode == "steps":
        cmd = [sys.executable, "-m", "hnet_lint", "watch", "--steps", str(steps), "--record",
               os.path.join(folder, f"{model}-rec-steps"), "--", *loop]
    else:
        cmd = [sys.executable, "-m", "hnet_lint", "watch", "--follow", "--record",
               os.path.join(folder, f"{model}-rec-follow"), "--", *loop]
    subprocess.run(cmd, env=env, check=False, capture_output=True, timeout=1800)
    with open(out) as fh:
        return json.load(fh)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, model in MODELS.items():
            times: dict[str, list[float]] = {"plain": [], "steps": [], "follow": []}
            steps = args.steps if model == "tiny" else max(10, args.steps // 3)
            for _ in range(args.repeat):  # interleaved, so load drifts hit every mode alike
                for mode in times:
                    times[mode] += _run(model, steps, mode, folder)[5:]
            med = {mode: statistics.median(t) if t else float("nan") for mode, t in times.items()}
            rows.append((label, med))
            print(label, {k: f"{v * 1000:.1f} ms" for k, v in med.items()}, flush=True)
    lines = [f"# watch overhead per optimizer step (CPU, {datetime.date.today()})", "",
             f"`OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '1')} python bench/watch_overhead.py "
             f"--steps {args.steps} --repeat {args.repeat}`; median step time of steps 6.. (tiny: {args.steps} "
             f"steps, small: {max(10, args.steps // 3)}) over {args.repeat} interleaved runs per mode; shared "
             "2-core VM (other jobs running: the spread is several %). `--steps` checks every tensor every "
             "step and saves the observation each step; `--follow` samples them every 50th step.", "",
             "| model | plain | --steps (all checks) | overhead | --follow (every 50th) | overhead |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, m in rows:
        lines.append(f"| {label} | {m['plain'] * 1e3:.1f} ms | {m['steps'] * 1e3:.1f} ms | "
                     f"{m['steps'] / m['plain'] - 1:+.1%} | {m['follow'] * 1e3:.1f} ms | "
                     f"{m['follow'] / m['plain'] - 1:+.1%} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        path = os.path.join(HERE, "results", f"watch-overhead-{datetime.date.today()}.md")
        with open(path, "w") as fh:
            fh.write(text)
        print("wrote", path)


if __name__ == "__main__":
    main()
