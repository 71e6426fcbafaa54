"""Mamba-2 constraints at stages that have m/M layers (codes HNL107-HNL110)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ...load.runconfig import RunConfig
from ...load.official import MAMBA_HEADDIM
from ._util import stage_value

HEADDIM = MAMBA_HEADDIM  # fixed by H-Net, not configurable


def _mamba_stages(run: RunConfig) -> Iterator[tuple[int, int, dict]]:
    """(stage, d_model, resolved ssm settings) for every stage with Mamba layers."""
    if run.model is None or run.layout is None:
        return
    ssm = run.model.ssm_cfg
    for stage in run.layout.stages:
        if not stage.has_mamba or stage.index >= len(run.model.d_model):
            continue
        values = {name: stage_value(getattr(ssm, name), stage.index)
                  for name in ("expand", "d_conv", "d_state", "chunk_size")}
        if None in values.values():
            continue  # a too-short list: HNL103
        yield stage.index, run.model.d_model[stage.index], values


def _path(run: RunConfig, name: str, stage: int) -> tuple:
    value = getattr(run.model.ssm_cfg, name)
    return ("model", "ssm_cfg", name, stage) if isinstance(value, list) else (
        "model", "ssm_cfg", name)


@rule("HNL107", "mamba-width-not-multiple-of-64", Severity.ERROR, "mamba")
def mamba_width(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`expand * d_model` not a multiple of 64 at a stage with Mamba layers.

    ## Why it matters
    H-Net builds Mamba-2 with a fixed head dimension of 64 (it is not configurable: an
    `ssm_cfg.headdim` key is a TypeError), and Mamba-2 asserts that its inner width
    `expand * d_model` divides into heads.

    ## Example
    ```yaml
    d_model: [1000, 1536]
    ssm_cfg: {expand: 2}
    ```

    ## Use instead
    ```yaml
    d_model: [1024, 1536]
    ```
    """
    for s, width, cfg in _mamba_stages(run):
        inner = cfg["expand"] * width
        if inner <= 0 or inner % HEADDIM:
            yield ctx.at(("model", "d_model", s),
                         f"stage {s}: expand*d_model = {cfg['expand']}*{width} = {inner} is not "
                         f"a multiple of the Mamba-2 head dim {HEADDIM}")


@rule("HNL108", "mamba-d-conv-unsupported", Severity.ERROR, "mamba")
def mamba_d_conv(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`ssm_cfg.d_conv` outside {2, 3, 4} at a stage with Mamba layers.

    ## Why it matters
    The causal-conv1d CUDA kernel that Mamba-2 trains with supports widths 2 to 4 only
    and fails with a TORCH_CHECK otherwise.

    ## Example
    ```yaml
    ssm_cfg: {d_conv: 8}
    ```

    ## Use instead
    ```yaml
    ssm_cfg: {d_conv: 4}
    ```
    """
    for s, _, cfg in _mamba_stages(run):
        if cfg["d_conv"] not in (2, 3, 4):
            yield ctx.at(_path(run, "d_conv", s),
                         f"stage {s}: d_conv {cfg['d_conv']} is not supported by causal-conv1d "
                         "(2, 3 or 4)")


@rule("HNL109", "mamba-conv-channels", Severity.ERROR, "mamba")
def mamba_conv_channels(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Convolution channels `expand*d_model + 2*d_state` not a multiple of 8.

    ## Why it matters
    Mamba-2 convolves x, B and C together; causal-conv1d's channel-last path (used for
    packed sequences) needs the channel count to be a multiple of 8, and mamba-ssm 2.3.0+
    asserts it.

    ## Example
    ```yaml
    ssm_cfg: {d_state: 66}
    ```

    ## Use instead
    ```yaml
    ssm_cfg: {d_state: 64}
    ```
    """
    for s, width, cfg in _mamba_stages(run):
        channels = cfg["expand"] * width + 2 * cfg["d_state"]
        if channels % 8:
            yield ctx.at(_path(run, "d_state", s),
                         f"stage {s}: conv channels expand*d_model + 2*d_state = {channels} "
                         "is not a multiple of 8")


@rule("HNL110", "mamba-heads-not-multiple-of-8", Severity.WARNING, "mamba")
def mamba_heads(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Mamba-2 head count `expand*d_model/64` not a multiple of 8.

    ## Why it matters
    mamba-ssm before 2.3.0 makes the in-projection output contiguous when its stride is
    not a multiple of 8, which turns it channel-first, and causal-conv1d then rejects the
    `seq_idx` that packed training needs ("seq_idx is only supported for channel last
    layout"). Every official config has a multiple of 8.

    ## Example
    ```yaml
    d_model: [1056, 1536]      # 2*1056/64 = 33 heads
    ```

    ## Use instead
    ```yaml
    d_model: [1024, 1536]      # 32 heads
    ```
    """
    for s, width, cfg in _mamba_stages(run):
        inner = cfg["expand"] * width
        if inner > 0 and inner % HEADDIM == 0 and (inner // HEADDIM) % 8:
            yield ctx.at(("model", "d_model", s),
                         f"stage {s}: {inner // HEADDIM} Mamba-2 heads is not a multiple of 8; "
                         "packed training fails on mamba-ssm < 2.3.0")
