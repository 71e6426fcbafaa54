"""Write the dry-run's default corpus, ``hnet_lint/dryrun/corpus/docs-v1.txt`` (run once; the file
is then frozen and shipped, and its sha256 is in every dry-run report).

The text is this project's own Markdown documentation as of 2026-12-06 (README, docs/, the
package READMEs, the rule pages, the bench results): English prose with code, YAML and tables,
like the Python help topics it replaces, but fixed bytes: ``pydoc_data.topics`` differs between
Python patch releases (3.11.2 vs 3.11.7 moved the pre-clip gradient norms of the same config).
Documents are files in path order, separated by a line holding only U+001E (record separator).

    python bench/make_corpus.py [OUT]

Regenerating it changes the default data, so every verdict may move: bump the file's version.
"""

from __future__ import annotations

import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEPARATOR = b"\n\x1e\n"
LIMIT = 400_000  # bytes; the sources beyond it are left out (the wheel stays small)


def documents() -> list[bytes]:
    paths = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("build", "dist", "corpus"))
        paths += [os.path.join(folder, f) for f in files if f.endswith(".md")]
    out, total = [], 0
    for path in sorted(paths, key=lambda p: os.path.relpath(p, ROOT)):
        with open(path, "rb") as fh:
            text = fh.read().replace(b"\x1e", b"").strip()
        if text and total + len(text) <= LIMIT:
            out.append(text)
            total += len(text) + len(SEPARATOR)
    return out


def main(argv: list[str]) -> int:
    out = argv[0] if argv else os.path.join(ROOT, "hnet_lint", "dryrun", "corpus", "docs-v1.txt")
    data = SEPARATOR.join(documents()) + b"\n"
    with open(out, "wb") as fh:
        fh.write(data)
    print(f"{out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
