"""Rank 0's step records as a training log ``hnet-lint analyze`` reads (JSON lines).

One line per optimizer step: ``step``, ``loss`` (the sum of the scalars ``backward()`` ran on,
the loss when micro-batches are scaled by 1/accumulation),
``grad_norm`` (the pre-clip norm ``clip_grad_norm_`` computed) and ``max_norm``, ``lr`` (group
0) and ``lr_group<i>``, and ``compression_<s>`` (routers' boundary rates, outermost stage
first). ``--follow`` runs analyze's detectors on it while the run goes on.
"""

from __future__ import annotations

import json
import os
from typing import Optional

from .judge import read_records

__all__ = ["write_metrics"]


def write_metrics(folder: str) -> Optional[str]:
    """Write ``metrics.jsonl`` from the lowest rank's records; its path (None: no step yet)."""
    ranks = read_records(folder)
    stepped = [rec for rec in ranks.values() if rec.steps]
    if not stepped:
        return None
    path = os.path.join(folder, "metrics.jsonl")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in stepped[0].steps:
            line = {"step": r["step"]}
            for key in ("loss", "grad_norm", "max_norm"):
                if r.get(key) is not None:
                    line[key] = r[key]
            lrs = r.get("lrs") or []
            if lrs:
                line["lr"] = lrs[0]
                line.update({f"lr_group{i}": v for i, v in enumerate(lrs)})
            for s, rate in enumerate((r.get("boundary_rates") or {}).values()):
                line[f"compression_{s}"] = rate
            fh.write(json.dumps(line) + "\n")
    os.replace(tmp, path)
    return path
