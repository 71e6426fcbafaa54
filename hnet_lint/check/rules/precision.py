"""Parameter storage and compute dtypes (codes HNL401-HNL402)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ...load.dtypes import normalize_dtype
from ...load.runconfig import RunConfig


@rule("HNL401", "low-precision-parameters", Severity.WARNING, "dtype")
def low_precision_parameters(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Parameters stored in bfloat16 or float16.

    ## Why it matters
    bf16 keeps 8 significant bits, so near 1.0 its spacing is 0.004 to 0.008. An AdamW
    step moves a parameter by about `lr`, at most ~1e-3, which rounds away: in a 10-step
    check at LR 2.7e-4 to 9e-4, 100% of norm gains and `dt_bias` and 98-99% of `A_log`
    elements never changed (docs/evidence.md §2). Weight decay rounds away too.
    Mamba's authors advise fp32 parameters ("try a framework storing parameters in fp32
    (such as AMP)"). This, not the LR multipliers, is the likelier culprit of the
    motivating run. `--dry-run` measures the frozen fraction per parameter group.

    ## Example
    ```yaml
    training: {param_dtype: bfloat16}
    ```

    ## Use instead
    ```yaml
    training: {param_dtype: float32, autocast_dtype: bfloat16}
    ```
    """
    if run.training is None or run.dialect == "model":
        return
    dtype = normalize_dtype(run.training.param_dtype)
    if dtype in ("bfloat16", "float16"):
        yield ctx.at(("training", "param_dtype"),
                     f"parameters stored in {dtype}: AdamW updates to norm gains, A_log and "
                     "dt_bias round away; store float32 and compute under autocast")


@rule("HNL402", "attention-needs-half-precision", Severity.WARNING, "dtype")
def attention_needs_half(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A model with attention trained in float32 without autocast.

    ## Why it matters
    H-Net's attention calls flash-attn, which accepts only fp16/bf16 inputs and asserts
    otherwise. Keep float32 parameters but compute under bf16 autocast.

    ## Example
    ```yaml
    training: {param_dtype: float32, autocast_dtype: null}
    ```

    ## Use instead
    ```yaml
    training: {param_dtype: float32, autocast_dtype: bfloat16}
    ```
    """
    if run.training is None or run.layout is None or run.dialect != "native":
        return
    has_attention = any(stage.has_attention for stage in run.layout.stages)
    dtype = normalize_dtype(run.training.param_dtype)
    if has_attention and dtype == "float32" and run.training.autocast_dtype is None:
        yield ctx.at(("training", "autocast_dtype"),
                     "the model has attention layers, and flash-attn needs fp16/bf16 inputs; "
                     "set autocast_dtype: bfloat16")
