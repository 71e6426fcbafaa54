"""``hnet-lint analyze``: read a training run's logs, find what went wrong, draw it.

Modules, one job each: :mod:`.fields` (names and aliases), :mod:`.readers` (JSON lines,
CSV, text, TensorBoard -> :class:`.runlog.RunLog`), :mod:`.detectors` (the HNL9xx
registry and runner; detectors in ``detect_*``), :mod:`.run` (the pipeline),
:mod:`.plots` (matplotlib, optional), :mod:`.output` (reports), :mod:`.metrics`
(a writer for the canonical format). Importing this package imports nothing heavy.
"""

from __future__ import annotations

__all__: list[str] = []
