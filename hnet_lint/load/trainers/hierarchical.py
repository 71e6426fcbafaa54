"""JohannesWesch/hierarchical-hnet: ``training_configs/*/hyperparams.json``.

The code path actually run: ``training_configs/<variant>/train_cluster.sh`` sources
``training_configs/load_hyperparams.sh``, which reads the JSON one key at a time (``['key']``
for required keys, ``.get(key, default)`` for the rest) into shell variables, and launches
``scripts/train.py`` with ``srun ... --distributed`` on one node with 4 tasks (world size 4).
The argparse defaults of ``scripts/train.py`` and the defaults of ``load_hyperparams.sh``
are the defaults here; ``training/config.py``'s dataclass is never used by that path.

Facts that hold for every version with a ``hyperparams.json`` (d792a0e .. 884a517):

* ``lr_multipliers`` is split on ``","`` and each part passed to ``float``.
* ``setup_optimizer`` builds ``AdamW(param_groups, betas=...)`` without ``weight_decay``;
  ``hnet/utils/train.py`` ``group_params`` gives ``*.bias`` and ``*.norm.*`` weight decay 0 and
  sets nothing on the rest, so every other tensor decays at AdamW's default 0.01.
* The loop counts micro-batches (``while step < num_training_steps``); the scheduler is built
  with ``num_training_steps`` as its total and stepped once per optimizer step.
* The model is built in ``dtype`` (no autocast, no float32 master weights).
* Every value reaches ``scripts/train.py`` as the text ``print(value)`` writes, parsed by the
  flag's argparse ``type`` (:mod:`~hnet_lint.load.trainers.launched`).

Versions (the first commit that has the behaviour):

* ``d792a0e``: hyperparams.json and the loader appear; the launchers run
  ``scripts/train_fixed.py``, which calls ``scheduler.step()`` and ``zero_grad()`` only when the
  micro-batch index is a multiple of 100.
* ``3f5944b``: ``scheduler.step()`` every optimizer step (``zero_grad`` still every 100
  micro-batches, also in ``scripts/train.py`` from 322a13c to HEAD).
* ``8dbea2d``: the WSD loader: optional keys with defaults, multipliers as list or string,
  ``lr_scheduler`` (cosine/wsd/linear/constant), ``min_lr``, LR x world size only with
  ``scale_lr_by_world_size``; ``warmup_steps`` is no longer read.
* ``d28b7c4``: "implement downsampling factors to match the paper": ``downsampling_factors``
  is read and a stage without one raises ValueError in the load-balancing loss.
"""

from __future__ import annotations

from .profile import IGNORED, REQUIRED, USED, KeyFact, TrainerProfile

__all__ = ["VERSIONS"]

REPO = "JohannesWesch/hierarchical-hnet"
_CHOICES = {
    "dtype": ("float32", "float16", "bfloat16"),
    "backend": ("nccl", "gloo", "mpi"),
    "lr_scheduler": ("cosine", "wsd", "linear", "constant"),
    "decay_type": ("inverse_sqrt", "linear", "cosine"),
}
_OPERATIONAL = ("output_dir", "save_interval", "eval_interval", "log_interval", "backend")
_ADAMW_DEFAULT = 0.01


def _required(*names: str) -> dict[str, KeyFact]:
    return {n: KeyFact(REQUIRED, choices=_CHOICES.get(n, ())) for n in names}


_V1_KEYS = {
    **_required("model_config", "learning_rate", "lr_multipliers", "warmup_steps",
                "max_grad_norm", "batch_size", "gradient_accumulation_steps", "max_seq_length",
                "num_training_steps", "dtype", *_OPERATIONAL),
}

_WSD_KEYS = {
    **_required("model_config", "learning_rate", "lr_multipliers", "max_grad_norm",
                "batch_size", "gradient_accumulation_steps", "max_seq_length",
                "num_training_steps", "dtype", *_OPERATIONAL),
    "load_balancing_weight": KeyFact(USED, 0.01),
    "adam_beta1": KeyFact(USED, 0.9),
    "adam_beta2": KeyFact(USED, 0.95),
    "adam_eps": KeyFact(USED, 1e-8),
    "min_lr": KeyFact(USED, 1e-5),
    "lr_scheduler": KeyFact(USED, "cosine", choices=_CHOICES["lr_scheduler"]),
    "warmup_ratio": KeyFact(USED, 0.1),
    "stable_ratio": KeyFact(USED, 0.7),
    "decay_ratio": KeyFact(USED, 0.2),
    "decay_type": KeyFact(USED, "inverse_sqrt", choices=_CHOICES["decay_type"]),
    "scale_lr_by_world_size": KeyFact(USED, False),
    "weight_decay": KeyFact(
        IGNORED, 0.1, "setup_optimizer builds AdamW without weight_decay, so every tensor but "
        "*.bias and *.norm.* decays at AdamW's default 0.01"),
    "label_smoothing": KeyFact(
        IGNORED, 0.0, "it is parsed and printed, but compute_loss builds the cross-entropy "
        "without it"),
    "dropout": KeyFact(IGNORED, None, "train.py parses it and prints 'not implemented in "
                                      "model'; the model has no dropout"),
    "ema_decay": KeyFact(IGNORED, None, "train.py parses and prints it; no EMA of the weights "
                                        "is kept"),
    # what the schedule does instead is derived from the branch taken (HNL311)
    "warmup_steps": KeyFact(IGNORED, None, "load_hyperparams.sh no longer reads it", read=False),
    "downsampling_factors": KeyFact(
        IGNORED, None, "this version does not read it: every stage's load-balancing loss uses "
        "N = 2.0", read=False),
}

_PAPER_KEYS = {
    **_WSD_KEYS,
    "downsampling_factors": KeyFact(USED, None),
}

#: Every key any version reads: a key outside this set is unknown (HNL009), a key inside it
#: that a version does not read has no effect in that version (HNL311).
ALL_KEYS = frozenset(_V1_KEYS) | frozenset(_PAPER_KEYS)


_V1_INSTEAD = {
    "weight_decay": "setup_optimizer builds AdamW without weight_decay, so every tensor but "
                    "*.bias and *.norm.* decays at AdamW's default 0.01",
    "downsampling_factors": "every stage's load-balancing loss uses N = 2.0",
    "scale_lr_by_world_size": "the LR is multiplied by the world size on every distributed "
                              "run whatever it says",
    "adam_beta1": "AdamW gets betas (0.9, 0.95)",
    "adam_beta2": "AdamW gets betas (0.9, 0.95)",
    "adam_eps": "AdamW gets eps 1e-8",
    "load_balancing_weight": "train.py's default 0.01 is used",
}


def _v1_ignored() -> dict[str, KeyFact]:
    """Keys of later versions that the first loader never reads, and what happens instead
    (for the schedule's keys HNL311 derives that from the branch the schedule takes)."""
    out = {}
    for key in sorted(ALL_KEYS - set(_V1_KEYS)):
        why = "this version's load_hyperparams.sh does not read it"
        if key in _V1_INSTEAD:
            why += "; " + _V1_INSTEAD[key]
        out[key] = KeyFact(IGNORED, None, why, read=False)
    return out


_COMMON = dict(
    loop_unit="micro-batch",
    world_size_scaling="key",
    default_world_size=4,
    fixed_weight_decay=_ADAMW_DEFAULT,
    dtype_policy="parameters and AdamW state in dtype (no autocast, no float32 master weights)",
    log_format="hierarchical-hnet",
)

_SRC = (f"{REPO}: training_configs/load_hyperparams.sh, training_configs/*/train_cluster.sh, "
        "scripts/train.py, training/utils.py (get_lr_scheduler), training/losses.py, "
        "hnet/utils/train.py (group_params)")

VERSIONS: dict[str, TrainerProfile] = {}


def _add(profile: TrainerProfile) -> None:
    VERSIONS[profile.version] = profile


_add(TrainerProfile(
    name="hierarchical-hnet", version="d792a0e",
    summary="first hyperparams.json loader; scripts/train_fixed.py steps the scheduler and "
            "zeroes gradients every 100 micro-batches; LR x world size on every distributed run",
    source=f"{_SRC} at d792a0e (2025-10-29), 64466f9", keys={**_V1_KEYS, **_v1_ignored()},
    scheduler_stride=100, zero_grad_every=100, multiplier_forms=frozenset({"string"}),
    target_ratio_policy="default:2.0", commits=("d792a0e", "64466f9"),
    **{**_COMMON, "world_size_scaling": "always"},
))
_add(TrainerProfile(
    name="hierarchical-hnet", version="3f5944b",
    summary="cosine schedule stepped per optimizer step; gradients zeroed every 100 "
            "micro-batches; LR x world size on every distributed run",
    source=f"{_SRC} at 3f5944b, c23788a, 322a13c, 7215399",
    keys={**_V1_KEYS, **_v1_ignored()}, zero_grad_every=100,
    multiplier_forms=frozenset({"string"}), target_ratio_policy="default:2.0",
    commits=("3f5944b", "c23788a", "322a13c", "7215399", "2fb6ff9", "daa4a98"),
    **{**_COMMON, "world_size_scaling": "always"},
))
_add(TrainerProfile(
    name="hierarchical-hnet", version="8dbea2d",
    summary="WSD-era loader: optional keys with defaults, lr_scheduler, min_lr, "
            "scale_lr_by_world_size; warmup_steps and downsampling_factors not read",
    source=f"{_SRC} at 8dbea2d (2025-10-31), f70e5f1, 84ac07c, 954705e",
    keys=_WSD_KEYS, zero_grad_every=100, target_ratio_policy="default:2.0",
    commits=("8dbea2d", "f70e5f1", "84ac07c", "954705e"), **_COMMON,
))
_add(TrainerProfile(
    name="hierarchical-hnet", version="d28b7c4",
    summary="'matches the paper': downsampling_factors required per stage (ValueError at the "
            "first step without it); current HEAD",
    source=f"{_SRC} at d28b7c4 (2025-11-07) .. 884a517 (HEAD)",
    keys=_PAPER_KEYS, zero_grad_every=100, target_ratio_policy="required",
    commits=("d28b7c4", "3bfc27c", "78c8870", "5114631", "053d5ab", "1e85721", "9bc3e0a",
             "43ad173", "884a517"), **_COMMON,
))

#: The version assumed when a file fits several (the current code).
LATEST = "d28b7c4"
#: Keys that exist only from the WSD loader on: their presence rules out the first versions.
WSD_EVIDENCE = frozenset({"lr_scheduler", "warmup_ratio", "stable_ratio", "decay_ratio",
                          "decay_type", "min_lr", "scale_lr_by_world_size", "adam_beta1",
                          "adam_beta2", "adam_eps", "label_smoothing", "ema_decay", "dropout",
                          "weight_decay", "load_balancing_weight"})
REQUIRED_EVERYWHERE = frozenset({"model_config", "learning_rate", "lr_multipliers",
                                 "num_training_steps", "gradient_accumulation_steps"})
