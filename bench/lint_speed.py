"""Static-path speed: hnet-lint against yamllint and check-jsonschema on the same files.

Generates 200 native run configs (inline 2-stage models, varied values), then times one
process per tool over 1 file and over all 200, plus the import floor
``python -c "import pydantic, yaml, click"``. hnet-lint is timed cold (``--no-cache``: every
file parsed and validated) and warm (its result cache filled by an earlier run, as in a
pre-commit hook or an editor re-linting unchanged files). Prints a Markdown table (median of
--repeat runs, tools interleaved so machine noise hits all alike) and, with --write, saves
it under bench/results/. Every time is also given as a multiple of the import floor measured
in the same rounds, the number to compare across machines and loads; the load average
before and after is printed with the table. ``--compare PATH`` adds cold and warm rows for
another checkout of hnet-lint (e.g. the main branch) run from the same interpreter.

Both checkouts are byte-compiled first (``compileall``), as an installed package is (pip
compiles on install): in an environment with ``PYTHONDONTWRITEBYTECODE=1`` (this project's
dev VM) an uncompiled checkout would recompile hnet-lint's source in every timed process.

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
    from hnet_lint.load.schemagen import build_schema

    path = os.path.join(folder, "hnet-run.schema.json")
    with open(path, "w") as fh:
        json.dump(build_schema("native"), fh)
    return path


def compile_checkout(root: str) -> None:
    """Byte-compile ``root``'s package, as ``pip install`` does (writes ``__pycache__``,
    which git ignores)."""
    import compileall

    compileall.compile_dir(os.path.join(root, "hnet_lint"), quiet=1)


def _once(cmd: list[str] | tuple[list[str], dict, str]) -> float:
    cmd, env, cwd = cmd if isinstance(cmd, tuple) else (cmd, None, ROOT)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env)
    return time.perf_counter() - start


def measure(tools: dict, files: list[str], repeat: int) -> list[tuple[str, float, float]]:
    """Median wall time per tool for 1 file and for all files, rounds interleaved."""
    one: dict[str, list[float]] = {name: [] for name in tools}
    many: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(repeat):
        for name, make in tools.items():
            one[name].append(_once(make(files[:1])))
            many[name].append(_once(make(files)))
    return [(name, statistics.median(one[name]), statistics.median(many[name])) for name in tools]


def _load(value) -> str:
    return "n/a" if value is None else f"{value[0]:.2f}"


def tables_origin(py: str) -> str:
    """Which core-schema tables the timed lints validate with: the generated ones (the
    installed pydantic is the one they were generated under) or ones derived for this
    pydantic by an earlier lint and cached (hnet_lint.load.coretables)."""
    probe = ("import pydantic, pydantic_core\n"
             "from hnet_lint.load import coretables\n"
             "print(pydantic.VERSION, pydantic_core.__version__, coretables.origin())")
    out = subprocess.run([py, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return (f"pydantic {out[0]} (core {out[1]}); core-schema tables: {out[2]} "
            "(a first lint under a pydantic other than the generated one derives and caches them).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="save under bench/results/")
    parser.add_argument("--compare", metavar="PATH",
                        help="another hnet-lint checkout to time alongside (e.g. main)")
    args = parser.parse_args()
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    py = sys.executable
    compile_checkout(ROOT)
    if args.compare:
        compile_checkout(os.path.abspath(args.compare))
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(tmp, 200)
        cache_dir = os.path.join(tmp, "cache")
        schema = schema_file(tmp)
        tools = {
            "import floor (`import pydantic, yaml, click`)": lambda fs: [py, "-c", "import pydantic, yaml, click"],
            "hnet-lint (cold)": lambda fs: [py, "-m", "hnet_lint", "--isolated", "--no-cache", *fs],
            "hnet-lint (warm cache)": lambda fs: [py, "-m", "hnet_lint", "--isolated",
                                                  "--cache-dir", cache_dir, *fs],
        }
        if args.compare:
            # run from inside the other checkout: `python -m` puts the working directory
            # first on sys.path, ahead of PYTHONPATH (the files are absolute paths)
            there = os.path.abspath(args.compare)
            other = dict(os.environ, PYTHONPATH=there)
            other_cache = os.path.join(tmp, "cache-compare")
            tools["compared checkout (cold)"] = lambda fs: (
                [py, "-m", "hnet_lint", "--isolated", "--no-cache", *fs], other, there)
            tools["compared checkout (warm cache)"] = lambda fs: (
                [py, "-m", "hnet_lint", "--isolated", "--cache-dir", other_cache, *fs], other,
                there)
            subprocess.run(tools["compared checkout (warm cache)"](files)[0], cwd=there,
                           capture_output=True, env=other)
        if shutil.which("yamllint"):
            tools["yamllint"] = lambda fs: ["yamllint", *fs]  # its default rule set
        if shutil.which("check-jsonschema"):
            tools["check-jsonschema"] = lambda fs: ["check-jsonschema", "--schemafile", schema, *fs]
        subprocess.run(tools["hnet-lint (warm cache)"](files), cwd=ROOT, capture_output=True)
        tables = tables_origin(py)
        rows = measure(tools, files, args.repeat)
    floor = rows[0][1]
    by_name = {r[0]: r for r in rows}
    lines = [
        f"# Static lint speed ({datetime.date.today()})", "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"median of {args.repeat} runs, one process per tool invocation, tools interleaved, "
        f"hnet-lint byte-compiled; "
        f"load average before/after: {_load(load_before)} / "
        f"{_load(os.getloadavg() if hasattr(os, 'getloadavg') else None)}. {tables}", "",
        "| tool | 1 file (s) | 200 files (s) | 1 file / floor | 200 files / floor "
        "| 200 files: hnet-lint cold / warm faster by |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    cold, warm = by_name["hnet-lint (cold)"][2], by_name["hnet-lint (warm cache)"][2]
    for name, one, many in rows:
        peer = "floor" not in name and not name.startswith(("hnet-lint", "compared"))
        speedup = f"{many / cold:.1f}x / {many / warm:.1f}x" if peer else ""
        lines.append(f"| {name} | {one:.3f} | {many:.3f} | {one / floor:.2f} "
                     f"| {many / by_name[rows[0][0]][2]:.2f} | {speedup} |")
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
