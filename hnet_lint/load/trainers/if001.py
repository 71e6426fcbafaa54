"""if001/hnet: ``training_config.json``.

This file is the trainer's record of a run: ``hnet/training/trainer.py``
(``save_training_config``) writes ``asdict(TrainingConfig)`` into the output folder, and
``validate.py`` / ``hnet/training/validation.py`` read it back. ``train.py`` itself takes
command-line flags whose values become the same fields. Facts (HEAD c3a898f; the schedule
since 21b5cee "fix epoch, lr"):

* Steps are optimizer steps: ``completed_steps`` counts them, each runs ``grad_accum_steps``
  micro-batches after ``zero_grad``; ``max_steps`` is in optimizer steps (``null``: until
  the data ends, with an estimated total for the schedule).
* LR per optimizer step: warmup for 10% of the total, stable to 80%, inverse-sqrt decay
  (span 100) to ``min_learning_rate`` (``wsd_schedule``); ``warmup_steps`` is used only when
  no total is known (linear warmup, then constant).
* Weight decay: ``group_params`` then ``apply_weight_decay`` gives every group without its
  own decay the file's ``weight_decay``: ``*.bias`` and ``*.norm.*`` get 0, the rest (A_log,
  dt_bias, D and the norm gains included) the file's value.
* AdamW betas (0.9, 0.95), eps 1e-8, fixed. Autocast to bfloat16 on CUDA.
* ``compression_ratios`` are the ratio loss's targets; ``lr_multipliers`` default to a value
  computed from them and the widths.
"""

from __future__ import annotations

from .profile import RECORD, REQUIRED, USED, KeyFact, TrainerProfile

__all__ = ["PROFILE", "KEY_MAP"]

_USED = {
    "seq_len": 512, "batch_size": 2, "grad_accum_steps": 8, "max_steps": None,
    "learning_rate": 3e-4, "min_learning_rate": 3e-5, "warmup_steps": 20,
    "weight_decay": 0.1, "grad_clip_norm": 1.0, "train_ratio_weight": 0.02,
    "byte_boundary_constraint": "off", "byte_boundary_constraint_weight": 0.0,
    "byte_boundary_constraint_bias": 0.0, "compression_ratios": [4.0],
    "lr_multipliers": None, "seed": 42, "rope_scaling": None,
}
_RECORD = ("output_dir", "datasets", "packed_data_dir", "packed_validation_data_dir",
           "validation_datasets", "chunk_prompts", "log_every", "save_every",
           "validation_every", "validation_max_batches", "validation_split_ratio",
           "num_workers", "shuffle_buffer_size", "resume_from_checkpoint",
           "resume_optimizer", "resume_step")

PROFILE = TrainerProfile(
    name="if001-hnet", version="c3a898f",
    summary="training_config.json run record; steps are optimizer steps; fixed 10/70/20 WSD "
            "with inverse-sqrt decay; the file's weight_decay is applied",
    source="if001/hnet: hnet/training/config.py (TrainingConfig), hnet/training/trainer.py "
           "(wsd_schedule, apply_weight_decay, train loop), train.py at c3a898f; schedule "
           "since 21b5cee",
    keys={"model_config_path": KeyFact(REQUIRED),
          **{k: KeyFact(USED, v) for k, v in _USED.items()},
          **{k: KeyFact(RECORD) for k in _RECORD}},
    detect_keys=frozenset({"model_config_path", "grad_accum_steps", "grad_clip_norm",
                           "compression_ratios", "min_learning_rate", "train_ratio_weight",
                           "max_steps"}),
    loop_unit="optimizer",
    lists_every_key=True,
    dtype_policy="autocast to bfloat16 on CUDA (float16 with a GradScaler without bf16); "
                 "float32 parameters",
    commits=("21b5cee", "c3a898f"),
)

#: if001 keys -> canonical paths.
KEY_MAP: dict[str, tuple[str, str]] = {
    "learning_rate": ("optimizer", "lr"),
    "lr_multipliers": ("optimizer", "lr_multiplier"),
    "weight_decay": ("optimizer", "weight_decay"),
    "min_learning_rate": ("schedule", "min_lr"),
    "max_steps": ("schedule", "total_steps"),
    "grad_clip_norm": ("training", "grad_clip"),
    "batch_size": ("training", "batch_size"),
    "grad_accum_steps": ("training", "grad_accum_steps"),
    "seq_len": ("training", "seq_len"),
    "seed": ("training", "seed"),
    "compression_ratios": ("routing", "target_ratio"),
    "train_ratio_weight": ("routing", "ratio_loss_weight"),
}
