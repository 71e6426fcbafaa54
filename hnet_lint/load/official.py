"""Facts fixed by the official H-Net code (goombalab/hnet @ 3673fe1), stated once.

Imported by the rules, the analytic model-info, the PyTorch model and the dry-run's proxy,
so they cannot disagree. Pure constants: importing this module costs nothing.
"""

from __future__ import annotations

__all__ = ["MAMBA_HEADDIM", "DECHUNK_HEADDIM", "SSM_DEFAULTS", "ATTN_KEYS"]

MAMBA_HEADDIM = 64
"""Mamba-2 head dimension: H-Net does not pass ``headdim``, so Mamba2's default applies."""
DECHUNK_HEADDIM = 32
"""The dechunk EMA reuses the SSD kernel with 32-wide heads."""
SSM_DEFAULTS: dict[str, int] = {"d_conv": 4, "expand": 2, "d_state": 128, "chunk_size": 256}
"""``SSMConfig`` defaults; the dataclass is closed, so these are also its only keys."""
ATTN_KEYS = ("num_heads", "rotary_emb_dim", "window_size")
"""``AttnConfig``'s only keys (per-stage lists)."""
