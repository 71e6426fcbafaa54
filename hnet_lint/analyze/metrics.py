"""``MetricsWriter``: write training curves as JSON lines with the canonical field names.

The dry-run (or any trainer) writes its curves with this, and ``hnet-lint analyze`` reads
them back, so one reader and one report template serve both:

>>> with MetricsWriter("curves.jsonl") as out:                       # doctest: +SKIP
...     out.write(step=10, loss=2.31, grad_norm=0.8, lr=[6e-4, 4.5e-4, 3e-4],
...               compression=[0.34, 0.33], ratio_loss=[1.001, 1.0])
"""

from __future__ import annotations

import json
from typing import IO, Sequence

__all__ = ["MetricsWriter", "META_KEY"]

#: a first line ``{"hnet_lint_curves": {...}}`` says what the curves are (see MetricsWriter)
META_KEY = "hnet_lint_curves"

_SCALARS = ("loss", "grad_norm", "eval_loss")
#: list-valued keyword -> canonical per-group/per-stage prefix
_LISTS = {"lr": "lr_group_", "compression": "compression_", "ratio_loss": "ratio_loss_"}


class MetricsWriter:
    """Append one JSON object per step; each line is flushed so a killed run keeps its log."""

    def __init__(self, path: str, mode: str = "w", meta: dict | None = None):
        """``meta``: what these curves are, written first as ``{"hnet_lint_curves": meta}``.
        The dry-run writes ``kind`` (``probe`` or ``smoke``), ``steps_planned``, ``warmup``,
        ``lr_multiple``, ``seed``, ``config`` and ``data_sha256``; ``analyze`` then judges the
        file as that kind of run (no comparison with the configured full run's schedule and
        length; see ``hnet_lint.analyze.run.expectations_for``)."""
        self.path = path
        self._fh: IO[str] = open(path, mode, encoding="utf-8")
        if meta is not None:
            self._fh.write(json.dumps({META_KEY: meta}) + "\n")

    def write(self, step: int, **metrics: float | Sequence[float] | None) -> None:
        """``lr``, ``compression`` and ``ratio_loss`` take one value per group/stage (or a
        single float for ``lr``: the base LR). ``None`` values are left out. NaN and Inf
        are written as JSON's ``NaN``/``Infinity`` (read back by Python's json)."""
        row: dict[str, float | int] = {"step": int(step)}
        for key, value in metrics.items():
            if value is None:
                continue
            if key in _LISTS and not isinstance(value, (int, float)):
                row.update({f"{_LISTS[key]}{i}": float(v) for i, v in enumerate(value)})
            elif key in _SCALARS or key == "lr":
                row[key] = float(value)  # type: ignore[arg-type]
            else:
                raise ValueError(f"unknown metric {key!r}; one of "
                                 f"{', '.join((*_SCALARS, *_LISTS))}")
        self._fh.write(json.dumps(row, allow_nan=True) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> MetricsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
