"""Field names: the canonical ones and the aliases trainers use for them.

Canonical names (what :class:`~hnet_lint.analyze.metrics.MetricsWriter` writes):

=====================  ==========================================================
``step``               optimizer step; aliases ``iter``, ``iteration``, ``global_step``,
                       ``trainer/global_step``, ``_step``
``loss``               training loss; ``train_loss``, ``train/loss``, ``loss/train``,
                       ``training_loss``
``grad_norm``          global gradient norm *before* clipping; ``gnorm``, ``grad-norm``,
                       ``total_norm``, ``gradient_norm``, ``train/grad_norm``
``lr``                 one LR for the whole run (read as the base LR);
                       ``learning_rate``, ``train/lr``
``lr_group_<i>``       LR of parameter group i (stage i); ``lr_group0``, ``lr/group0``,
                       ``lr/stage0``, ``lr_stage_0``, ``lr-AdamW/pg0`` (Lightning),
                       ``learning_rate/group_0``
``eval_loss``          evaluation loss; ``val_loss``, ``valid_loss``, ``validation_loss``,
                       ``eval/loss``, ``val/loss``
``ratio_loss_<s>``     ratio (load-balancing) loss of chunking stage s; ``ratio_loss/stage0``,
                       ``lb_loss_0``, ``load_balancing_loss_0``; no index means stage 0
``compression_<s>``    fraction of positions selected as boundaries at stage s (F, target
                       1/N); ``boundary_rate_0``, ``boundary_rate/stage0``,
                       ``selection_rate_0``. A value above 1 is read as bytes per chunk
                       (N) and inverted.
=====================  ==========================================================

Names are matched case-insensitively. ``--map FIELD=NAME`` maps any other log name to a
canonical field (``--map grad_norm=gn_total``).
"""

from __future__ import annotations

import re

__all__ = ["CANONICAL", "canonical_name", "parse_mapping"]

CANONICAL = ("step", "loss", "grad_norm", "lr", "lr_group_<i>", "eval_loss",
             "ratio_loss_<s>", "compression_<s>")

_PLAIN: dict[str, str] = {}
for _canon, _aliases in {
    "step": ("step", "steps", "iter", "iteration", "global_step", "trainer/global_step", "_step"),
    "loss": ("loss", "train_loss", "train/loss", "loss/train", "training_loss"),
    "grad_norm": ("grad_norm", "gnorm", "grad-norm", "total_norm", "gradient_norm",
                  "train/grad_norm", "grad_norm/total", "grad/norm"),
    "lr": ("lr", "learning_rate", "train/lr", "train/learning_rate"),
    "eval_loss": ("eval_loss", "val_loss", "valid_loss", "validation_loss", "eval/loss",
                  "val/loss", "loss/eval", "loss/val"),
}.items():
    for _alias in _aliases:
        _PLAIN[_alias] = _canon

_IDX = r"[-_/]?(?:[a-z]+/)?(?:group|stage|pg|s)?[_]?(\d+)"
_INDEXED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:lr|learning_rate)" + _IDX + "$"), "lr_group_{}"),
    (re.compile(r"^(?:ratio_loss|lb_loss|load_balancing_loss)" + _IDX + "$"), "ratio_loss_{}"),
    (re.compile(r"^(?:compression|boundary_rate|selection_rate)" + _IDX + "$"), "compression_{}"),
]
_UNINDEXED = {"ratio_loss": "ratio_loss_0", "lb_loss": "ratio_loss_0",
              "load_balancing_loss": "ratio_loss_0", "compression": "compression_0",
              "boundary_rate": "compression_0", "selection_rate": "compression_0"}


def canonical_name(name: str, mapping: dict[str, str] | None = None) -> str | None:
    """The canonical field for a log's field name, or ``None`` when it is not one we read.

    ``mapping`` (log name -> canonical, from ``--map``) wins over the built-in aliases.
    """
    if mapping and name in mapping:
        return mapping[name]
    key = name.strip().lower()
    if mapping and key in mapping:
        return mapping[key]
    if key in _PLAIN:
        return _PLAIN[key]
    if key in _UNINDEXED:
        return _UNINDEXED[key]
    for pattern, template in _INDEXED:
        match = pattern.match(key)
        if match:
            return template.format(int(match.group(1)))
    return None


_VALID_TARGET = re.compile(r"^(step|loss|grad_norm|lr|eval_loss|"
                           r"(lr_group|ratio_loss|compression)_\d+)$")


def parse_mapping(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["grad_norm=gn_total"]`` -> ``{"gn_total": "grad_norm"}`` (log name -> canonical).

    Raises ``ValueError`` naming the bad pair and the canonical fields.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        canon, sep, name = pair.partition("=")
        canon, name = canon.strip(), name.strip()
        if not sep or not canon or not name:
            raise ValueError(f"--map expects FIELD=NAME, got {pair!r}")
        if not _VALID_TARGET.match(canon):
            raise ValueError(f"--map {pair!r}: {canon!r} is not a field; one of "
                             f"{', '.join(CANONICAL)}")
        out[name] = canon
    return out
