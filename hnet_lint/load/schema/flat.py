"""The flat hyperparameter JSON of the most used public H-Net trainer.

One flat object. Trainers add their own keys, so unknown keys are tolerated here (the
linter warns about them with a suggestion) and operational keys are accepted silently.
"""

# (no __future__ annotations: pydantic would have to eval strings at build time)

from typing import Any, Literal, Optional, Union

from pydantic import ConfigDict, Field

from .base import DType, NonNegInt, PosInt, Strict

__all__ = ["FlatConfig", "FLAT_DEFAULTS", "FLAT_IMPLIED", "FLAT_OPERATIONAL_KEYS"]

#: What the trainer uses when a key is absent (its argparse defaults).
FLAT_DEFAULTS: dict[str, Any] = {
    "learning_rate": 3e-4,
    "lr_multipliers": [3.0, 1.7, 0.9],
    "warmup_steps": 2000,
    "num_training_steps": 100_000,
    "max_grad_norm": 1.0,
    "lr_scheduler": "cosine",
    "load_balancing_weight": 0.01,
}

#: Canonical values the flat trainer implies without a key: it groups parameters with the
#: official ``group_params`` (see ``OptimizerSection.grouping``).
FLAT_IMPLIED: dict[tuple[str, str], object] = {("optimizer", "grouping"): "official"}

#: Keys that steer the job, not the optimization; accepted without a warning.
FLAT_OPERATIONAL_KEYS = frozenset({
    "output_dir", "backend", "save_interval", "eval_interval", "log_interval", "seed",
    "scale_lr_by_world_size", "label_smoothing", "keep_last_n_checkpoints", "train_data",
    "eval_data", "data_path", "dataset", "wandb_project", "wandb_run_name", "run_name",
    "resume_from", "resume_from_checkpoint", "num_workers", "compile", "device",
    "eval_steps", "logging_steps", "save_steps", "project", "notes",
})


class FlatConfig(Strict):
    """Flat trainer hyperparameters (``hyperparams.json``)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True,
                              use_attribute_docstrings=False)

    model_config_: Optional[str] = Field(default=None, alias="model_config")
    """Path to the official-format model JSON (searched next to this file, then in each
    parent folder up to the repository root, then the working directory)."""
    learning_rate: Optional[float] = None
    """Base learning rate (default 3e-4)."""
    lr_multipliers: Optional[Union[list[float], str]] = None
    """Per-stage multipliers, outermost first: a list or a string like "3.0,1.7,0.9"
    (default [3.0, 1.7, 0.9])."""
    warmup_steps: Optional[NonNegInt] = None
    """Warmup in optimizer steps (default 2000)."""
    warmup_ratio: Optional[float] = Field(default=None, ge=0)
    """Warmup as a fraction of num_training_steps."""
    num_training_steps: Optional[int] = None
    """Total optimizer steps (default 100000)."""
    max_grad_norm: Optional[float] = None
    """Gradient clipping threshold (default 1.0)."""
    lr_scheduler: Optional[Literal["cosine", "linear", "constant", "wsd"]] = None
    """Schedule after warmup (default cosine)."""
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
    """Decoupled weight decay."""
    downsampling_factors: Optional[list[float]] = None
    """Target ratio N per chunking stage, outermost first."""
    load_balancing_weight: Optional[float] = None
    """alpha, the ratio-loss weight (default 0.01)."""
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
