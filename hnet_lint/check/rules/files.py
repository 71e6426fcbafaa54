"""Referenced files (code HNL702; a missing model file is HNL701, found while loading)."""

from __future__ import annotations

import glob
import os
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ...load.runconfig import RunConfig


@rule("HNL702", "data-path-matches-nothing", Severity.WARNING, "files")
def data_path_matches_nothing(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A data path or glob that matches no file.

    ## Why it matters
    Trainers that build their file list from a glob start with an empty dataset, or fail
    only after the job has been scheduled. Paths are resolved relative to the config file.
    This rule reads the file system; it is the only one that does.

    ## Example
    ```yaml
    data: {train: data/trian/*.txt}
    ```

    ## Use instead
    ```yaml
    data: {train: data/train/*.txt}
    ```
    """
    if run.data is None:
        return
    for name in ("train", "eval"):
        value = getattr(run.data, name)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value
        for i, pattern in enumerate(items):
            if "://" in pattern:
                continue  # remote storage: not ours to check
            full = pattern if os.path.isabs(pattern) else os.path.join(run.base_dir, pattern)
            if not glob.glob(full, recursive=True):
                path = ("data", name) if isinstance(value, str) else ("data", name, i)
                yield ctx.at(path, f"data path {pattern!r} matches no file (relative to the "
                                   "config's folder)")
