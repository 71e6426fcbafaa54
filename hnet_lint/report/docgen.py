"""Generate ``docs/rules/<CODE>.md`` and ``docs/rules/README.md`` from the rule registry.

Each page is the rule's docstring (summary, *Why it matters*, *Example*, *Use instead*),
its options, and, when a case folder ``rules/<CODE>-<slug>/`` exists, its tested bad and
good files verbatim. Run ``python -m hnet_lint.report.docgen`` to rewrite the pages and
``python -m hnet_lint.report.docgen --check`` to fail when they are stale (CI does the latter).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["render_pages", "write_pages", "stale_pages", "main"]

ROOT = Path(__file__).resolve().parents[2]  # the repository root
_LANG = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".txt": "text"}


def _cases(code: str, cases_dir: Path) -> list[dict[str, str]]:
    """The bad/good files of a rule's case folder, if it has one."""
    if not cases_dir.is_dir():
        return []
    folders = sorted(p for p in cases_dir.glob(f"{code}-*") if p.is_dir())
    out = []
    for folder in folders:
        files = sorted(folder.iterdir(), key=lambda p: (not p.name.startswith("bad"), p.name))
        for path in files:
            if path.is_file() and path.name.split(".")[0] in ("bad", "good"):
                out.append({
                    "kind": "Flagged" if path.name.startswith("bad") else "Not flagged",
                    "path": path.relative_to(cases_dir.parent).as_posix(),
                    "lang": _LANG.get(path.suffix, ""),
                    "text": path.read_text(encoding="utf-8").rstrip("\n"),
                })
    return out


def _page_context(meta, cases_dir: Path) -> dict[str, Any]:
    doc = meta.doc.strip()
    summary, _, body = doc.partition("\n")
    return {
        "code": meta.code, "name": meta.name, "severity": meta.severity.label,
        "area": meta.area, "summary": summary.strip(), "body": body.strip(),
        "options": [{"name": k, "value": repr(v)} for k, v in meta.options.items()],
        "cases": _cases(meta.code, cases_dir),
    }


def render_pages(cases_dir: Path | None = None) -> dict[str, str]:
    """File name -> Markdown for every rule page and the index."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    from ..catalog import catalog as registry

    cases_dir = cases_dir if cases_dir is not None else ROOT / "rules"
    env = Environment(loader=PackageLoader("hnet_lint", "report/templates"),
                      undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True)
    page, index = env.get_template("rule.md.j2"), env.get_template("rules_index.md.j2")
    pages = {}
    rows = []
    for meta in registry().values():
        ctx = _page_context(meta, cases_dir)
        pages[f"{meta.code}.md"] = page.render(**ctx)
        rows.append(ctx)
    pages["README.md"] = index.render(rules=rows)
    return pages


def write_pages(out_dir: Path, cases_dir: Path | None = None) -> list[str]:
    """Write the pages, removing pages of codes that no longer exist; returns names written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = render_pages(cases_dir)
    for old in out_dir.glob("HNL*.md"):
        if old.name not in pages:
            old.unlink()
    for name, text in pages.items():
        (out_dir / name).write_text(text, encoding="utf-8", newline="\n")
    return sorted(pages)


def stale_pages(out_dir: Path, cases_dir: Path | None = None) -> list[str]:
    """Names of pages that are missing, different or obsolete in ``out_dir``."""
    pages = render_pages(cases_dir)
    stale = [n for n, text in pages.items()
             if not (out_dir / n).is_file()
             or (out_dir / n).read_text(encoding="utf-8") != text]
    stale += [p.name for p in out_dir.glob("HNL*.md") if p.name not in pages]
    return sorted(stale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hnet_lint.report.docgen", description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "rules"))
    parser.add_argument("--cases", default=str(ROOT / "rules"),
                        help="folder of rules/<CODE>-<slug>/ case folders (optional)")
    parser.add_argument("--check", action="store_true", help="exit 1 if pages are stale")
    args = parser.parse_args(argv)
    out, cases = Path(args.out), Path(args.cases)
    if args.check:
        stale = stale_pages(out, cases)
        for name in stale:
            print(f"stale: {os.path.join(args.out, name)}", file=sys.stderr)
        return 1 if stale else 0
    names = write_pages(out, cases)
    print(f"wrote {len(names)} pages to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
