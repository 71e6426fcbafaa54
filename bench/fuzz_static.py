"""Mutation fuzzing of the static path: no input may crash a lint or a command.

Takes every bundled example and corpus file (native run configs, model JSONs, flat
hyperparams.json files of each trainer), applies 1 to 3 random structural mutations (a value
replaced by a hostile one, a key dropped or added, a list grown or shortened, recursively),
writes the result as JSON or YAML and lints it. A crash is an exception escaping the library
or an HNL012 finding (a rule that raised). With ``--commands N``, N of the mutated files also
go through ``hnet-lint schedule`` (text and JSON) and ``hnet-lint model-info``, which must exit
0, 1 or 2 without an internal error. Prints a Markdown table; ``--write`` saves it under
bench/results/.

tests/test_properties.py runs the same idea with hypothesis on every CI run (100 examples per
property); this script is the long run.

    python bench/fuzz_static.py --seeds 0 1 2 3 --cases 2500 --commands 700 --write
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import io
import json
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hnet_lint.api import lint_paths  # noqa: E402
from hnet_lint.cli import main as cli_main  # noqa: E402

HOSTILE = [None, True, False, 0, -1, 1, 2**63, -2**63, 1e308, -1e-308, float("inf"),
           float("nan"), "", "x", "3e-4", "1,2", "nan", "inf", "8.0", " a b", "$(id)", [], [1],
           [[]], {}, {"a": 1}, [3.0, 1.7, 0.9], [0, 0], [-1.0], "bf16", "float64", "m4",
           ["m4", ["T1"], "m4"], ["T1", ["m1", ["T1"]]], [1024], 1.5, "\x00"]
NEW_KEYS = ["model", "optimizer", "lr_multipliers", "model_config", "trainer", "arch_layout",
            "d_model", "schedule", "routing", "training", "dtype", "max_grad_norm", "zz"]


def seeds() -> list[tuple[str, object]]:
    """(name, parsed document) of every example and corpus config."""
    found = []
    for folder in (ROOT / "examples", ROOT / "tests" / "data" / "trainers"):
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".json", ".yaml", ".yml") or "workflows" in path.parts:
                continue
            try:
                found.append((str(path.relative_to(ROOT)), yaml.safe_load(path.read_text())))
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
    return [(name, doc) for name, doc in found if isinstance(doc, dict)]


def mutate(rng: random.Random, node: object) -> object:
    if isinstance(node, dict):
        node = dict(node)
        for _ in range(rng.randint(1, 3)):
            keys, roll = list(node), rng.random()
            if keys and roll < 0.4:
                key = rng.choice(keys)
                node[key] = rng.choice(HOSTILE) if rng.random() < 0.6 else mutate(rng, node[key])
            elif keys and roll < 0.6:
                del node[rng.choice(keys)]
            elif keys and roll < 0.8:
                key = rng.choice(keys)
                node[key] = mutate(rng, node[key])
            else:
                node[rng.choice(NEW_KEYS)] = rng.choice(HOSTILE)
        return node
    if isinstance(node, list):
        node = list(node)
        if node and rng.random() < 0.5:
            i = rng.randrange(len(node))
            node[i] = rng.choice(HOSTILE) if rng.random() < 0.5 else mutate(rng, node[i])
        elif rng.random() < 0.5:
            node.append(rng.choice(HOSTILE))
        elif node:
            node.pop()
        return node
    return rng.choice(HOSTILE)


def _command_crash(args: list[str]) -> str | None:
    out, err = io.StringIO(), io.StringIO()
    code: object = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main(args)
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:  # noqa: BLE001 - the point is to see every escape
            return f"{type(exc).__name__}: {exc}"
    text = err.getvalue() + out.getvalue()
    if code not in (0, 1, 2, None) or "internal error" in text or "Traceback" in text:
        return f"exit {code}: {text[-200:]}"
    return None


def run(seed: int, cases: int, commands: int, folder: Path, sources) -> tuple[Counter, list]:
    rng = random.Random(seed)
    counts, crashes, written = Counter(), [], []
    models = folder / "models"
    models.mkdir(exist_ok=True)
    for model in (ROOT / "examples" / "models").glob("*.json"):  # for model references
        (models / model.name).write_text(model.read_text())
    for i in range(cases):
        name, doc = rng.choice(sources)
        mutated = mutate(rng, copy.deepcopy(doc))
        suffix = rng.choice([".json", ".yaml"])
        path = folder / f"s{seed}-case{i}{suffix}"
        try:
            text = json.dumps(mutated) if suffix == ".json" else yaml.safe_dump(mutated)
        except (TypeError, ValueError, yaml.YAMLError):
            continue
        path.write_text(text)
        written.append(path)
        counts["linted"] += 1
        try:
            internal = [d for d in lint_paths([str(path)]).diagnostics if d.code == "HNL012"]
        except Exception as exc:  # noqa: BLE001
            crashes.append((name, path.name, f"{type(exc).__name__}: {exc}"))
            continue
        crashes += [(name, path.name, d.message) for d in internal]
    for path in rng.sample(written, min(commands, len(written))):
        for args in (["schedule", str(path)], ["schedule", str(path), "--format", "json"],
                     ["model-info", str(path)]):
            counts["commands"] += 1
            problem = _command_crash(args)
            if problem:
                crashes.append((args[0], path.name, problem))
    return counts, crashes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--commands", type=int, default=0)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    sources = seeds()
    rows, all_crashes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("HNET_LINT_NO_CACHE", "1")
        for seed in args.seeds:
            folder = Path(tmp) / f"seed{seed}"
            folder.mkdir()
            counts, crashes = run(seed, args.cases, args.commands, folder, sources)
            rows.append((seed, counts["linted"], counts["commands"], len(crashes)))
            all_crashes += crashes
    lines = [f"# Static-path fuzzing ({datetime.date.today()})", "",
             f"{len(sources)} source files; `python bench/fuzz_static.py --seeds "
             f"{' '.join(map(str, args.seeds))} --cases {args.cases} --commands {args.commands}`.",
             "", "| seed | files linted | command runs | crashes |", "|---:|---:|---:|---:|"]
    lines += [f"| {s} | {n} | {c} | {k} |" for s, n, c, k in rows]
    if all_crashes:
        lines += ["", "Crashes (source, case, what):", ""]
        lines += [f"- {src}, {case}: {what}" for src, case, what in all_crashes[:50]]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        out = ROOT / "bench" / "results" / f"fuzz-static-{datetime.date.today()}.md"
        out.write_text(table)


if __name__ == "__main__":
    main()
