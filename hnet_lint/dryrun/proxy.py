"""Width-reduced proxy configs: same depth and layout, same stage-width ratios, fewer channels.

Torch-free. What the proxy keeps (docs/evidence.md §4): depth, layout, stage width *ratios*,
attention head dim where it fits, target ratios, multipliers, dtype policy, schedule shape, the
parameter-group logic. What it changes: widths (and the MLP widths with them), and on CPU the
micro-batch (announced). Mamba-2's head dim is fixed at 64, so every proxy width must keep
``expand * d % 64 == 0``; we search for the smallest base width with *exact* ratios first.
Under standard parameterisation a narrower model tolerates a higher LR, so a proxy can miss an
instability the full model has (false negatives); the probe's 2x run measures the margin.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from ..load.official import MAMBA_HEADDIM

__all__ = ["ProxyPlan", "proxy_config"]



@dataclass(frozen=True)
class ProxyPlan:
    """The proxy's official-format config and a sentence describing what changed."""

    config: dict[str, Any]
    widths: list[int]
    original_widths: list[int]
    exact_ratios: bool
    note: str


def _per_stage(value: Any, s: int) -> Any:
    return value[s] if isinstance(value, (list, tuple)) else value


def _width_unit(config: dict[str, Any], n: int) -> int:
    """Smallest step every stage width must be a multiple of (Mamba head dim / expand)."""
    unit = 8
    ssm = config.get("ssm_cfg", {})
    for s in range(n):
        expand = int(_per_stage(ssm.get("expand", 2), s))
        unit = math.lcm(unit, MAMBA_HEADDIM // math.gcd(MAMBA_HEADDIM, expand))
    return unit


def _fits(widths: list[int], unit: int) -> bool:
    return all(w > 0 and w % unit == 0 for w in widths)


def proxy_config(config: dict[str, Any], base_width: int = 64) -> ProxyPlan:
    """Shrink ``config`` (official dict) so stage 0 is about ``base_width`` wide."""
    d = [int(x) for x in config["d_model"]]
    n = len(d)
    unit = _width_unit(config, n)
    widths: list[int] | None = None
    exact = False
    start = max(unit, int(math.ceil(base_width / unit)) * unit)
    for w0 in range(start, d[0] + 1, unit):  # exact ratios: d_s * w0 / d_0 integral and aligned
        cand = [d_s * w0 / d[0] for d_s in d]
        if all(c == int(c) for c in cand) and _fits([int(c) for c in cand], unit):
            widths, exact = [int(c) for c in cand], True
            break
    if widths is None:  # fall back to rounding each stage to the unit
        f = start / d[0]
        widths = [max(unit, int(round(d_s * f / unit)) * unit) for d_s in d]
    if widths[0] >= d[0]:
        widths, exact = list(d), True
    out = copy.deepcopy(config)
    out["d_model"] = widths
    scale = [w / d_s for w, d_s in zip(widths, d)]
    di = list(config.get("d_intermediate", [0] * n))
    out["d_intermediate"] = [int(round(x * scale[s])) if x else 0 for s, x in enumerate(di[:n])] + di[n:]
    attn = dict(config.get("attn_cfg", {}))
    heads = attn.get("num_heads")
    rot = attn.get("rotary_emb_dim")
    if isinstance(heads, list):
        new_heads = []
        for s, h in enumerate(heads[:n]):
            head_dim = d[s] // h  # keep the head dim: logit scale depends on it
            r = int(_per_stage(rot, s)) if rot is not None else 0
            h2 = max(1, widths[s] // head_dim) if widths[s] >= head_dim else 1
            while h2 > 1 and (widths[s] % h2 or widths[s] // h2 < r):
                h2 -= 1
            new_heads.append(h2)
        attn["num_heads"] = new_heads + list(heads[n:])
        if isinstance(rot, list):  # rotary dim cannot exceed the (possibly smaller) head dim
            attn["rotary_emb_dim"] = [min(int(r), (widths[s] // attn["num_heads"][s]) // 2 * 2)
                                      for s, r in enumerate(rot[:n])] + list(rot[n:])
        out["attn_cfg"] = attn
    ratios = ":".join(f"{w / widths[0]:.3g}" for w in widths)
    orig = ":".join(f"{x / d[0]:.3g}" for x in d)
    note = (f"proxy widths d_model={widths} (configured {d}); stage ratios {ratios} "
            f"({'exact' if exact else 'rounded; configured ' + orig}); depth, layout, heads' dim, "
            "target ratios, multipliers, dtype policy and schedule shape kept")
    return ProxyPlan(out, widths, d, exact, note)
