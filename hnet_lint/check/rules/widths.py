"""Stage widths, FFN widths and vocabulary (codes HNL105, HNL106, HNL117-HNL121)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ...load.runconfig import RunConfig
from ._util import stage_widths


@rule("HNL105", "d-model-decreasing", Severity.ERROR, "widths")
def d_model_decreasing(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`d_model` that shrinks from one stage to the next inner one.

    ## Why it matters
    When an inner stage is wider, H-Net concatenates a zero-initialised `pad_dimension`;
    when it is narrower there is no projection, so the inner encoder receives the outer
    width and the first forward pass fails with a shape error.

    ## Example
    ```yaml
    d_model: [1536, 1024]
    ```

    ## Use instead
    ```yaml
    d_model: [1024, 1536]     # non-decreasing from outer to inner
    ```
    """
    widths = stage_widths(run)
    if widths is None:
        return
    for s in range(1, len(widths)):
        if widths[s] < widths[s - 1]:
            yield ctx.at(("model", "d_model", s),
                         f"stage {s} width {widths[s]} is smaller than stage {s - 1} width "
                         f"{widths[s - 1]}; widths must not decrease inwards")


@rule("HNL106", "d-model-not-multiple-of-32", Severity.ERROR, "widths")
def d_model_not_multiple_of_32(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A non-innermost stage whose `d_model` is not a multiple of 32.

    ## Why it matters
    The dechunking EMA reuses the Mamba-2 scan with a head dimension of 32, and
    `DeChunkLayer` asserts `d_model % 32 == 0` at every stage that chunks.

    ## Example
    ```yaml
    d_model: [1000, 1536]
    ```

    ## Use instead
    ```yaml
    d_model: [1024, 1536]
    ```
    """
    widths = stage_widths(run)
    if widths is None:
        return
    for s, width in enumerate(widths[:-1]):
        if width % 32:
            yield ctx.at(("model", "d_model", s),
                         f"stage {s} width {width} is not a multiple of 32 "
                         "(the dechunk layer's head dimension)")


@rule("HNL117", "mlp-without-width", Severity.ERROR, "ffn")
def mlp_without_width(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """An uppercase (M/T) layer at a stage whose `d_intermediate` is 0 or less.

    ## Why it matters
    Uppercase letters add a SwiGLU MLP of width `d_intermediate[s]`. With 0 the MLP is
    built with zero width: a degenerate block that costs a norm and does nothing.

    ## Example
    ```yaml
    arch_layout: ["m4", ["T22"], "m4"]
    d_intermediate: [0, 0]
    ```

    ## Use instead
    ```yaml
    d_intermediate: [0, 4096]      # or use lowercase t22 for attention without MLP
    ```
    """
    if run.model is None or run.layout is None:
        return
    for stage in run.layout.stages:
        if stage.has_mlp and stage.index < len(run.model.d_intermediate):
            width = run.model.d_intermediate[stage.index]
            if width <= 0:
                letters = "/".join(sorted(stage.letters() & {"M", "T"}))
                yield ctx.at(("model", "d_intermediate", stage.index),
                             f"stage {stage.index} has {letters} layers (with MLP) but "
                             f"d_intermediate is {width}")


@rule("HNL118", "unused-intermediate-width", Severity.WARNING, "ffn")
def unused_intermediate_width(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`d_intermediate > 0` at a stage that has no uppercase (M/T) layer.

    ## Why it matters
    Only uppercase layers build an MLP, so the width is unused. Usually the layout was
    meant to say `T` where it says `t` (or `M` for `m`).

    ## Example
    ```yaml
    arch_layout: ["m4", ["T22"], "m4"]
    d_intermediate: [2048, 4096]      # stage 0 has only m layers
    ```

    ## Use instead
    ```yaml
    d_intermediate: [0, 4096]
    ```
    """
    if run.model is None or run.layout is None:
        return
    for stage in run.layout.stages:
        if not stage.has_mlp and stage.index < len(run.model.d_intermediate):
            width = run.model.d_intermediate[stage.index]
            if width > 0:
                yield ctx.at(("model", "d_intermediate", stage.index),
                             f"stage {stage.index} has no M/T layer, so d_intermediate "
                             f"{width} is unused; set it to 0")


@rule("HNL121", "intermediate-not-multiple-of-128", Severity.INFO, "ffn")
def intermediate_not_multiple_of_128(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A used `d_intermediate` that is not a multiple of 128.

    ## Why it matters
    SwiGLU rounds its hidden width up to a multiple of 128, so the model has more
    parameters than the config suggests and a checkpoint's shapes differ from what you
    might compute by hand.

    ## Example
    ```yaml
    d_intermediate: [0, 4000]
    ```

    ## Use instead
    ```yaml
    d_intermediate: [0, 4096]
    ```
    """
    if run.model is None or run.layout is None:
        return
    for stage in run.layout.stages:
        if stage.has_mlp and stage.index < len(run.model.d_intermediate):
            width = run.model.d_intermediate[stage.index]
            if width > 0 and width % 128:
                rounded = -(-width // 128) * 128
                yield ctx.at(("model", "d_intermediate", stage.index),
                             f"d_intermediate {width} is rounded up to {rounded} by SwiGLU")


@rule("HNL119", "vocab-too-small", Severity.ERROR, "vocab")
def vocab_too_small(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`vocab_size` below 256 for a byte-level model.

    ## Why it matters
    H-Net reads raw UTF-8 bytes (BOS 254, EOS 255), so every id up to 255 occurs; a smaller
    embedding table fails with an index error on the first non-ASCII byte.

    ## Example
    ```yaml
    vocab_size: 128
    ```

    ## Use instead
    ```yaml
    vocab_size: 256
    ```
    """
    if run.model is not None and run.model.vocab_size < 256:
        yield ctx.at(("model", "vocab_size"),
                     f"vocab_size {run.model.vocab_size} is below 256; byte ids go up to 255")


@rule("HNL120", "tied-embeddings-init", Severity.WARNING, "vocab")
def tied_embeddings_init(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`tie_embeddings: true` with the official initialisation.

    ## Why it matters
    `init_weights` first gives the LM head std 0.02 and then the embedding std 1.0. With
    tied weights the shared tensor keeps std 1.0, so the initial logits are about 50x larger
    than intended and the first steps are spent undoing it.

    ## Example
    ```yaml
    tie_embeddings: true
    ```

    ## Use instead
    ```yaml
    tie_embeddings: false     # as in every official config
    ```
    """
    if run.model is not None and run.model.tie_embeddings:
        yield ctx.at(("model", "tie_embeddings"),
                     "tied embeddings keep the embedding's init std 1.0 in the LM head "
                     "under the official init_weights; untie them or re-init the head")
