"""Generation parameters (codes HNL601-HNL606)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ..options import positive
from ...load.runconfig import RunConfig
from ._util import fmt_num

GEN = "generation"


@rule("HNL601", "temperature-nonpositive", Severity.ERROR, "sampling")
def temperature_nonpositive(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A sampling temperature of 0 or less.

    ## Why it matters
    The official sampler divides the logits by the temperature and has no greedy mode: 0
    gives inf/nan logits and `torch.multinomial` fails.

    ## Example
    ```yaml
    generation: {temperature: 0}
    ```

    ## Use instead
    ```yaml
    generation: {temperature: 0.8}
    ```
    """
    t = run.generation.temperature if run.generation else None
    if t is not None and t <= 0:
        yield ctx.at((GEN, "temperature"), f"temperature {fmt_num(t)} must be positive; the "
                                           "sampler divides by it (there is no greedy mode)")


@rule("HNL602", "top-p-invalid", Severity.ERROR, "sampling")
def top_p_invalid(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`top_p` outside (0, 1].

    ## Why it matters
    `top_p <= 0` degenerates to always taking the single most likely byte; above 1 it is
    meaningless.

    ## Example
    ```yaml
    generation: {top_p: 0}
    ```

    ## Use instead
    ```yaml
    generation: {top_p: 0.9}
    ```
    """
    p = run.generation.top_p if run.generation else None
    if p is not None and not 0 < p <= 1:
        yield ctx.at((GEN, "top_p"), f"top_p {fmt_num(p)} must be in (0, 1]")


@rule("HNL603", "top-k-negative", Severity.ERROR, "sampling")
def top_k_negative(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A negative `top_k`.

    ## Why it matters
    0 disables top-k filtering; a negative count has no meaning.

    ## Example
    ```yaml
    generation: {top_k: -1}
    ```

    ## Use instead
    ```yaml
    generation: {top_k: 0}
    ```
    """
    k = run.generation.top_k if run.generation else None
    if k is not None and k < 0:
        yield ctx.at((GEN, "top_k"), f"top_k {k} must be 0 (disabled) or positive")


@rule("HNL604", "temperature-high", Severity.WARNING, "sampling",
      options={"max_temperature": positive(1.5)})
def temperature_high(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A temperature above `max_temperature` (default 1.5).

    ## Why it matters
    Byte-level models spread probability over many plausible next bytes; a high
    temperature turns text into noise and makes a good model look broken.

    ## Example
    ```yaml
    generation: {temperature: 2.0}
    ```

    ## Use instead
    ```yaml
    generation: {temperature: 0.8}
    ```
    """
    t = run.generation.temperature if run.generation else None
    if t is not None and t > ctx.options["max_temperature"]:
        yield ctx.at((GEN, "temperature"), f"temperature {fmt_num(t)} is above "
                                           f"{ctx.options['max_temperature']}")


@rule("HNL605", "byte-repetition-penalty", Severity.WARNING, "sampling")
def byte_repetition_penalty(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A repetition penalty above 1.0 on a byte-level vocabulary.

    ## Why it matters
    With 256 byte ids, every space, vowel and common letter is a "repeated token" within a
    few words, so the penalty pushes the model away from ordinary text. The post-mortem
    added one as a fix; on bytes it does harm.

    ## Example
    ```yaml
    generation: {repetition_penalty: 1.2}
    ```

    ## Use instead
    ```yaml
    generation: {repetition_penalty: 1.0}
    ```
    """
    penalty = run.generation.repetition_penalty if run.generation else None
    vocab = run.model.vocab_size if run.model else 256
    if penalty is not None and penalty > 1.0 and vocab <= 512:
        yield ctx.at((GEN, "repetition_penalty"),
                     f"repetition_penalty {fmt_num(penalty)} penalizes every repeated byte "
                     f"(vocabulary of {vocab}): spaces and common letters; use 1.0")


@rule("HNL606", "max-tokens-exceeds-seq-len", Severity.WARNING, "sampling")
def max_tokens_exceeds(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`max_tokens` longer than the training `seq_len`.

    ## Why it matters
    Past the trained length, the global-attention stage attends over more positions than
    it ever saw in training and its rotary positions extrapolate; quality usually drops.

    ## Example
    ```yaml
    training: {seq_len: 2048}
    generation: {max_tokens: 4096}
    ```

    ## Use instead
    ```yaml
    generation: {max_tokens: 2048}
    ```
    """
    tokens = run.generation.max_tokens if run.generation else None
    seq_len = run.training.seq_len if run.training else None
    if tokens is not None and seq_len is not None and tokens > seq_len:
        yield ctx.at((GEN, "max_tokens"), f"max_tokens {tokens} exceeds the training seq_len "
                                          f"{seq_len}; the model extrapolates past its context")
