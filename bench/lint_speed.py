"""Static-path speed: hnet-lint against yamllint and check-jsonschema on the same files.

Generates 200 native run configs (inline 2-stage models, varied values), then times one
process per tool over 1 file and over all 200, plus the import floor
``python -c "import pydantic, yaml, click"``. Prints a Markdown table (median of --repeat
runs) and, with --write, saves it under bench/results/.

    pip install yamllint check-jsonschema   # the peers; not project dependencies
    python bench/lint_speed.py --write
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TEMPLATE = """\
# generated benchmark config {i}
model:
  arch_layout: ["m4", ["T1m4", ["T{depth}"], "m4T1"], "m4"]
  d_model: [1024, 1536, 2048]
  d_intermediate: [0, 4096, 5504]
  vocab_size: 256
  ssm_cfg: {{d_conv: 4, expand: 2, d_state: 128, chunk_size: 256}}
  attn_cfg:
    num_heads: [16, 16, 16]
    rotary_emb_dim: [32, 48, 64]
    window_size: [1023, 1023, -1]
routing:
  target_ratio: [3.0, {n1}]
  ratio_loss_weight: 0.03
optimizer:
  name: adamw
  lr: {lr}
  lr_multiplier: [{m0}, 1.5, 1.0]
  betas: [0.9, 0.95]
  eps: 1.0e-8
  weight_decay: 0.1
schedule:
  name: cosine
  warmup_steps: {warmup}
  total_steps: 100000
  min_lr: 1.0e-5
training:
  batch_size: 8
  grad_accum_steps: 4
  seq_len: 8192
  grad_clip: 1.0
  param_dtype: float32
  autocast_dtype: bfloat16
generation:
  temperature: 0.8
  top_p: 0.9
  max_tokens: 2048
"""


def generate(folder: str, count: int) -> list[str]:
    rng = random.Random(0)
    paths = []
    for i in range(count):
        text = TEMPLATE.format(i=i, depth=rng.choice([22, 24, 27]), n1=rng.choice([2.5, 3.0]),
                               lr=rng.choice(["2.0e-4", "3.0e-4"]), m0=rng.choice([2.0, 3.0]),
                               warmup=rng.choice([2000, 5000, 10000]))
        path = os.path.join(folder, f"run_{i:03d}.yaml")
        with open(path, "w") as fh:
            fh.write(text)
        paths.append(path)
    return paths


def schema_file(folder: str) -> str:
    committed = os.path.join(ROOT, "schemas", "hnet-run.schema.json")
    if os.path.isfile(committed):
        return committed
    sys.path.insert(0, ROOT)
    from hnet_lint.schema import NativeConfig

    path = os.path.join(folder, "hnet-run.schema.json")
    with open(path, "w") as fh:
        json.dump(NativeConfig.model_json_schema(by_alias=True), fh)
    return path


def timed(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="save under bench/results/")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(tmp, 200)
        schema = schema_file(tmp)
        tools = {
            "import floor (`import pydantic, yaml, click`)": lambda fs: [py, "-c", "import pydantic, yaml, click"],
            "hnet-lint": lambda fs: [py, "-m", "hnet_lint", "--isolated", "--fail-on", "error", *fs],
        }
        if shutil.which("yamllint"):
            tools["yamllint"] = lambda fs: ["yamllint", "-d", "relaxed", *fs]
        if shutil.which("check-jsonschema"):
            tools["check-jsonschema"] = lambda fs: ["check-jsonschema", "--schemafile", schema, *fs]
        rows = [(name, timed(make(files[:1]), args.repeat), timed(make(files), args.repeat))
                for name, make in tools.items()]
    floor = rows[0][1]
    ours = dict((r[0], r) for r in rows)["hnet-lint"]
    lines = [
        f"# Static lint speed ({datetime.date.today()})", "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"median of {args.repeat} runs, one process per tool invocation.", "",
        "| tool | 1 file (s) | 200 files (s) | 1 file / floor | hnet-lint speed-up on 200 |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, one, many in rows:
        speedup = f"{many / ours[2]:.1f}x" if name not in ("hnet-lint",) and "floor" not in name else ""
        lines.append(f"| {name} | {one:.3f} | {many:.3f} | {one / floor:.2f} | {speedup} |")
    lines += ["", "Targets: 1 file within 1.3x of the floor; 200 files under 0.5 s and at least "
                  "6x faster than both peers."]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        out = os.path.join(ROOT, "bench", "results", f"lint-speed-{datetime.date.today()}.md")
        with open(out, "w") as fh:
            fh.write(table)


if __name__ == "__main__":
    main()
