"""Regenerate the parts of the README and of docs/ that come from code; ``--check`` says what is stale.

Three kinds of generated text, each produced by running the code it describes:

- **Command blocks.** A fenced ``text`` block whose first line starts with ``$ `` is a shell
  session: each ``$ COMMAND`` line is run from the repository root (``hnet-lint`` is this
  checkout's ``python -m hnet_lint``; no cache, no colors) and the lines under it are its
  standard output, byte for byte. A blank line separates two commands of one block.
- **Regions.** ``<!-- generated: NAME [ARG] -->`` ... ``<!-- end generated -->`` holds the
  text of the generator NAME in :data:`REGIONS`: the table of every hyperparams.json in
  hierarchical-hnet's history (``trainer-history``, from ``bench/trainer_history.py``), or a
  repository file shown verbatim (``file PATH``, e.g. the example workflow).
- **Files.** Each file in :data:`FILES` is the output of one command
  (``examples/github-step-summary.md`` is the job summary of ``hnet-lint examples/``).

Runnable Python examples (a ```` ```python ```` block right under ``<!-- run -->``) are not
rewritten here: ``tests/test_docs_examples.py`` executes them and compares what they print
with their ``#>`` lines.

    python docs/generate.py           # rewrite what is stale
    python docs/generate.py --check   # list stale parts, exit 1 if any
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]

#: The Markdown files whose command blocks and regions are generated.
PAGES = ("README.md", "docs/*.md")

_FENCE = re.compile(r"^( *)```text\n(\1\$ .*?)^\1```$", re.M | re.S)
_REGION = re.compile(r"(<!-- generated: ([\w-]+)(?: (\S+))? -->\n)(.*?)(<!-- end generated -->)", re.S)


def _history() -> str:
    sys.path.insert(0, str(ROOT))
    from bench import trainer_history

    cwd = os.getcwd()
    try:
        rows = trainer_history.rows()
    finally:
        os.chdir(cwd)
    return "\n".join([*trainer_history.HEADER, *rows]) + "\n"


def _file(name: str) -> str:
    """A repository file shown verbatim, so a page never keeps a stale copy of an example."""
    lang = {".yml": "yaml", ".yaml": "yaml", ".toml": "toml", ".json": "json"}.get(
        Path(name).suffix, "text")
    return f"```{lang}\n{(ROOT / name).read_text(encoding='utf-8')}```\n"


#: Generators of ``<!-- generated: NAME [ARG] -->`` regions.
REGIONS: dict[str, Callable[..., str]] = {"trainer-history": _history, "file": _file}

#: Files that are one command's standard output.
FILES: dict[str, str] = {
    "examples/github-step-summary.md": "hnet-lint examples/ --format github-summary",
}


def _shim_dir() -> Path:
    """A folder with an ``hnet-lint`` that runs this checkout, for PATH."""
    folder = Path(tempfile.mkdtemp(prefix="hnet-lint-docs-"))
    shim = folder / "hnet-lint"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m hnet_lint "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    atexit.register(shutil.rmtree, folder, True)
    return folder


_SHIM: list[Path] = []


def run(command: str) -> str:
    """Standard output of one documented shell command, run as a reader would run it."""
    if not _SHIM:
        _SHIM.append(_shim_dir())
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "HNET_LINT_")) and k not in ("FORCE_COLOR",)}
    env.update(PATH=f"{_SHIM[0]}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1",
               HNET_LINT_NO_CACHE="1", COLUMNS="100",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"`{command}` exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def commands(block: str) -> Iterator[tuple[str, str]]:
    """(command, shown output) for each ``$ `` line of a command block."""
    parts = re.split(r"^\$ (.*)\n", block, flags=re.M)
    for command, shown in zip(parts[1::2], parts[2::2]):
        yield command, shown


def _dedent(block: str, indent: str) -> str:
    return "".join(line[len(indent):] if line.startswith(indent) else line
                   for line in block.splitlines(keepends=True))


def blocks(text: str) -> Iterator[str]:
    """The command blocks of a page, without their indentation."""
    for m in _FENCE.finditer(text):
        yield _dedent(m.group(2), m.group(1))


def render_block(block: str) -> str:
    """The block with every command's output replaced by what the command prints now."""
    out = []
    for command, _ in commands(block):
        out.append(f"$ {command}\n{run(command)}")
    return "\n".join(out)


def render_page(text: str) -> str:
    """A page with its command blocks and regions generated afresh."""
    def fence(m: re.Match) -> str:
        indent = m.group(1)
        block = _dedent(m.group(2), indent)
        body = "".join(indent + line if line.strip() else line
                       for line in render_block(block).splitlines(keepends=True))
        return f"{indent}```text\n{body}{indent}```"

    text = _FENCE.sub(fence, text)

    def region(m: re.Match) -> str:
        name, arg = m.group(2), m.group(3)
        if name not in REGIONS:
            raise KeyError(f"no generator for region {name!r}; known: {sorted(REGIONS)}")
        return m.group(1) + (REGIONS[name](arg) if arg else REGIONS[name]()) + m.group(5)

    return _REGION.sub(region, text)


def pages() -> list[Path]:
    found: list[Path] = []
    for pattern in PAGES:
        found.extend(sorted(ROOT.glob(pattern)))
    return found


def expected() -> dict[Path, str]:
    """Every generated page and file as it should read."""
    out = {page: render_page(page.read_text(encoding="utf-8")) for page in pages()}
    for name, command in FILES.items():
        out[ROOT / name] = run(command)
    return out


def stale() -> list[str]:
    """Repository-relative names of the pages and files that differ from their generators."""
    return [str(path.relative_to(ROOT)) for path, text in expected().items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        names = stale()
        for name in names:
            print(f"stale: {name} (run `python docs/generate.py`)")
        return 1 if names else 0
    for path, text in expected().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
