"""The keys of flat hyperparameter JSONs (hierarchical-hnet's ``hyperparams.json``).

One flat object. This schema checks types only: which keys a trainer reads, their defaults
and what it ignores belong to the trainer profile that reads the file
(:mod:`hnet_lint.load.trainers`), so no default lives here. Other keys are allowed.
"""

# (no __future__ annotations: pydantic would have to eval strings at build time)

from typing import Literal, Optional, Union

from pydantic import ConfigDict, Field

from .base import ClipThreshold, DType, NonNegInt, PosInt, Strict

__all__ = ["FlatConfig"]


class FlatConfig(Strict):
    """Flat trainer hyperparameters (``hyperparams.json``)."""

    # protected_namespaces=(): the field ``model_config_`` (key ``model_config``) is the
    # trainer's own name; pydantic before 2.10 warns about every ``model_`` field otherwise
    model_config = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True,
                              use_attribute_docstrings=False, protected_namespaces=())

    trainer: Optional[str] = None
    """The trainer that reads this file, ``NAME[@VERSION]`` (``hnet-lint trainers``), e.g.
    ``hierarchical-hnet@d28b7c4``; ``none`` for your own. Read by hnet-lint only."""
    model_config_: Optional[str] = Field(default=None, alias="model_config")
    """Path to the official-format model JSON (searched next to this file, then in each
    parent folder up to the repository root, then the working directory)."""
    learning_rate: Optional[float] = None
    """Base learning rate."""
    lr_multipliers: Optional[Union[list[float], str]] = None
    """Per-stage multipliers, outermost first: a list or a string like "3.0,1.7,0.9"
    (hierarchical-hnet before 8dbea2d reads only the string)."""
    warmup_steps: Optional[NonNegInt] = None
    """Warmup steps (hierarchical-hnet reads it only before 8dbea2d)."""
    warmup_ratio: Optional[float] = Field(default=None, ge=0)
    """Warmup as a fraction of num_training_steps."""
    num_training_steps: Optional[int] = None
    """Run length; hierarchical-hnet counts it in micro-batches."""
    max_grad_norm: Optional[ClipThreshold] = None
    """Gradient clipping threshold."""
    lr_scheduler: Optional[Literal["cosine", "linear", "constant", "wsd"]] = None
    """Schedule after warmup."""
    stable_ratio: Optional[float] = Field(default=None, ge=0)
    """wsd: fraction of steps at peak LR."""
    decay_ratio: Optional[float] = Field(default=None, ge=0)
    """wsd: fraction of steps in the final decay."""
    decay_type: Optional[Literal["linear", "cosine", "inverse_sqrt", "sqrt", "exponential"]] = None
    """wsd: shape of the final decay."""
    min_lr: Optional[float] = Field(default=None, ge=0)
    """Final learning rate."""
    adam_beta1: Optional[float] = None
    """Adam beta1."""
    adam_beta2: Optional[float] = None
    """Adam beta2."""
    adam_eps: Optional[float] = None
    """Adam epsilon."""
    weight_decay: Optional[float] = Field(default=None, ge=0)
    """Decoupled weight decay (hierarchical-hnet never passes it to AdamW: 0.01 applies)."""
    downsampling_factors: Optional[list[float]] = None
    """Target ratio N per chunking stage, outermost first."""
    load_balancing_weight: Optional[float] = None
    """alpha, the ratio-loss weight."""
    batch_size: Optional[PosInt] = None
    """Sequences per micro-step per device."""
    gradient_accumulation_steps: Optional[PosInt] = None
    """Micro-steps per optimizer step."""
    max_seq_length: Optional[PosInt] = None
    """Sequence length in bytes."""
    # the shared DType (one order): typing caches Optional[...] by value, so two Literals of
    # the same names in different orders made the schemas depend on import order
    dtype: Optional[DType] = None
    """dtype the model is built in, parameters included (no autocast)."""
