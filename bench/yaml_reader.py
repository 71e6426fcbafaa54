"""Would a C++ YAML reader (rapidyaml) make the cold static path faster? Measure before adopting.

hnet-lint composes YAML with libyaml's C loader (``yaml.CSafeLoader``: nodes with marks), then
walks the node graph once in Python (``hnet_lint/load/yamlsource.py``: tags resolved as
PyYAML's ``safe_load`` does, YAML 1.1 traps, positioned ``Node`` tree). This bench times, per
file, on the 200 generated configs of ``bench/lint_speed.py`` and on every YAML file of the
repository:

- ``libyaml compose``: ``CSafeLoader(text).get_single_node()``, the step a faster reader
  would replace;
- ``load_yaml``: hnet-lint's whole YAML load (compose + walk), for scale;
- ``ryml parse``: ``ryml.parse_in_place`` alone (a lower bound: no Python objects);
- ``ryml walk``: parse plus the least any positioned tree needs from it: one Python call per
  node for its kind, key and value (no tag resolution, no marks, no duplicate checks);
- ``ryml emit_json``: parse, emit JSON in C++ and ``json.loads`` it: the cheapest way to get
  Python objects out, with no positions and YAML 1.2 types (a bound, not a candidate).

rapidyaml's Python binding exposes no node positions (``ryml.Location`` is only filled for
errors), so marks would have to be recovered from scalar offsets into the parsed buffer; the
bench checks first whether even the position-free walk beats libyaml, which decides the
question without that work.

    pip install --target /tmp/ryml rapidyaml      # not a project dependency
    PYTHONPATH=/tmp/ryml OMP_NUM_THREADS=1 nice -n 10 python bench/yaml_reader.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.lint_speed import generate  # noqa: E402
from hnet_lint.load.source import Limits  # noqa: E402
from hnet_lint.load.yamlsource import load_yaml  # noqa: E402


def corpus() -> dict[str, list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        generated = [Path(p).read_text() for p in generate(folder, 200)]
    repo = [p.read_text(errors="replace") for pattern in ("**/*.yaml", "**/*.yml")
            for p in sorted(ROOT.glob(pattern)) if ".git" not in p.parts]
    return {"200 generated configs": generated, f"{len(repo)} repository YAML files": repo}


def libyaml_compose(text: str) -> object:
    loader = yaml.CSafeLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def hnet_load(text: str) -> object:
    return load_yaml(text, "x.yaml", Limits())


def ryml_parse(text: str) -> object:
    import ryml

    return ryml.parse_in_place(bytearray(text.encode()))


def ryml_walk(text: str) -> object:
    """Parse, then visit every node once, building (kind, key, value) tuples."""
    import ryml

    buf = bytearray(text.encode())
    tree = ryml.parse_in_place(buf)

    def visit(node: int) -> object:
        key = bytes(tree.key(node)).decode() if tree.has_key(node) else None
        if tree.is_map(node) or tree.is_seq(node):
            return ("c", key, [visit(c) for c in ryml.children(tree, node)])
        return ("s", key, bytes(tree.val(node)).decode() if tree.has_val(node) else None)

    root = tree.root_id()
    if tree.is_stream(root):
        root = tree.first_child(root)
    return visit(root)


def ryml_json(text: str) -> object:
    """Parse, emit JSON in C++, load it with the json module: no positions, no YAML 1.1 types."""
    import json

    import ryml

    return json.loads(ryml.emit_json(ryml.parse_in_place(bytearray(text.encode()))))


def _call(fn, text: str) -> bool:
    try:
        fn(text)
        return True
    except Exception:  # noqa: BLE001 - broken files are part of the corpus (rule cases)
        return False


def per_file_us(fn, texts: list[str], rounds: int = 7) -> tuple[float, int]:
    """Median over rounds of the mean time per file in microseconds, and the files it failed on."""
    for text in texts[:20]:  # warm caches and imports
        _call(fn, text)
    samples, failed = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        failed = sum(not _call(fn, text) for text in texts)
        samples.append((time.perf_counter() - start) / len(texts) * 1e6)
    return statistics.median(samples), failed


def main() -> None:
    readers = {"libyaml compose (now)": libyaml_compose, "hnet-lint load_yaml (now)": hnet_load}
    try:
        import ryml

        readers |= {f"ryml {ryml.version} parse only": ryml_parse,
                    f"ryml {ryml.version} parse + walk": ryml_walk,
                    f"ryml {ryml.version} parse + emit_json + json.loads": ryml_json}
    except ImportError:
        print("rapidyaml is not importable: only the current reader is timed", file=sys.stderr)
    sets = corpus()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print("| reader | " + " | ".join(f"{name} (us/file)" for name in sets) + " |")
    print("|---|" + "---:|" * len(sets))
    for label, fn in readers.items():
        cells = []
        for texts in sets.values():
            us, failed = per_file_us(fn, texts)
            cells.append(f"{us:.0f}" + (f" ({failed} files raise)" if failed else ""))
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
