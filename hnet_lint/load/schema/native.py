"""The native hnet-lint run config: one file that says everything about a training run."""

# (no __future__ annotations: pydantic would have to eval strings at build time)

from typing import Literal, Optional, Union

from pydantic import Field

from .base import ClipThreshold, DType, NonNegInt, PosInt, Strict
from .model import HNetModelConfig

__all__ = [
    "RoutingSection", "OptimizerSection", "ScheduleSection", "TrainingSection",
    "DataSection", "GenerationSection", "NativeConfig",
]


class RoutingSection(Strict):
    """Dynamic chunking targets and the ratio (load-balancing) loss."""

    target_ratio: Optional[list[float]] = None
    """Target downsampling N per chunking stage, outermost first (one per stage boundary)."""
    ratio_loss_weight: Optional[float] = None
    """alpha: weight of the ratio loss added to the cross-entropy (0.03 in the paper)."""


class OptimizerSection(Strict):
    """AdamW and the per-stage learning-rate multipliers."""

    name: Literal["adamw", "adam"] = "adamw"
    """Optimizer. H-Net trains with AdamW."""
    lr: Optional[float] = None
    """Base (peak) learning rate before per-stage multipliers."""
    lr_multiplier: Optional[list[float]] = None
    """One multiplier per stage, outermost first: stage s trains at lr * lr_multiplier[s]."""
    betas: Optional[list[float]] = Field(default=None, min_length=2, max_length=2)
    """Adam (beta1, beta2)."""
    eps: Optional[float] = None
    """Adam epsilon."""
    weight_decay: Optional[float] = Field(default=None, ge=0)
    """Decoupled weight decay."""
    grouping: Optional[Literal["official", "corrected"]] = None
    """How the trainer builds AdamW parameter groups: ``official`` is goombalab/hnet's
    ``group_params`` (it exempts only ``*.bias`` and ``*.norm.*`` from weight decay, so
    ``A_log``, ``dt_bias``, ``D``, the block norms and ``pad_dimension`` decay);
    ``corrected`` exempts them too; null when unknown."""


class ScheduleSection(Strict):
    """Learning-rate schedule over optimizer steps."""

    name: Literal["cosine", "linear", "wsd", "constant"] = "cosine"
    """Shape after warmup: cosine or linear decay, warmup-stable-decay, or constant."""
    warmup_steps: Optional[NonNegInt] = None
    """Linear warmup length in optimizer steps (or give warmup_ratio)."""
    warmup_ratio: Optional[float] = Field(default=None, ge=0)
    """Warmup as a fraction of total_steps."""
    total_steps: Optional[int] = None
    """Total optimizer steps of the run."""
    stable_ratio: Optional[float] = Field(default=None, ge=0)
    """wsd only: fraction of steps at peak LR after warmup."""
    decay_ratio: Optional[float] = Field(default=None, ge=0)
    """wsd only: fraction of steps in the final decay."""
    decay_type: Optional[Literal["linear", "cosine", "inverse_sqrt", "sqrt", "exponential"]] = None
    """wsd only: shape of the final decay."""
    min_lr: Optional[float] = Field(default=None, ge=0)
    """Learning rate at the end of the decay."""


class TrainingSection(Strict):
    """Batch geometry, clipping and precision."""

    batch_size: Optional[PosInt] = None
    """Sequences per micro-step per device."""
    grad_accum_steps: Optional[PosInt] = None
    """Micro-steps per optimizer step."""
    seq_len: Optional[PosInt] = None
    """Sequence length in bytes."""
    grad_clip: Optional[ClipThreshold] = None
    """Max global gradient norm; null or 0 disables clipping."""
    param_dtype: DType = "float32"
    """dtype the parameters (and AdamW moments) are stored in."""
    autocast_dtype: Optional[DType] = None
    """Compute dtype under autocast; null for none."""
    seed: Optional[int] = None
    """Random seed."""


class DataSection(Strict):
    """Where the training text comes from (paths relative to this file; globs allowed)."""

    train: Optional[Union[str, list[str]]] = None
    """Training data path(s) or glob(s)."""
    eval: Optional[Union[str, list[str]]] = None
    """Evaluation data path(s) or glob(s)."""


class GenerationSection(Strict):
    """Sampling parameters used to judge the trained model."""

    temperature: Optional[float] = None
    """Logits are divided by this; the official sampler has no greedy mode (0 gives nan)."""
    top_p: Optional[float] = None
    """Nucleus sampling threshold in (0, 1]; 1 disables it."""
    top_k: Optional[int] = None
    """Keep the k most likely bytes; 0 disables it."""
    max_tokens: Optional[PosInt] = None
    """Bytes to generate."""
    repetition_penalty: Optional[float] = None
    """Penalty for bytes already generated; 1.0 disables it."""


class NativeConfig(Strict):
    """A native hnet-lint run config. Every section but ``model`` is optional."""

    schema_: Optional[str] = Field(default=None, alias="$schema")
    """JSON Schema URL for editors; ignored by the linter."""
    model: Union[str, HNetModelConfig]
    """Path to an official-format model JSON (relative to this file) or an inline model."""
    routing: RoutingSection = Field(default_factory=RoutingSection)
    """Dynamic chunking targets and ratio-loss weight."""
    optimizer: OptimizerSection = Field(default_factory=OptimizerSection)
    """Optimizer and per-stage LR multipliers."""
    schedule: ScheduleSection = Field(default_factory=ScheduleSection)
    """Learning-rate schedule."""
    training: TrainingSection = Field(default_factory=TrainingSection)
    """Batch geometry, clipping and precision."""
    data: DataSection = Field(default_factory=DataSection)
    """Training and evaluation data."""
    generation: GenerationSection = Field(default_factory=GenerationSection)
    """Sampling parameters."""
