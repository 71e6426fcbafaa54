"""Trainer profiles: what the code that consumes a flat hyperparameter file really does.

A rule about a trainer's file is only as right as hnet-lint's model of that trainer: which
keys it reads and how, its defaults on the code path actually run, the keys it reads and
never uses, how it counts steps and which LR and weight decay each parameter group gets.
Each :class:`~hnet_lint.load.trainers.profile.TrainerProfile` states those facts for one
behaviour-changing version of one public trainer, citing file and commit; ``registry``
picks one for a file (``--trainer NAME[@VERSION]``, a ``trainer`` key or setting, or
unambiguous evidence in the file), ``launched`` says what hierarchical-hnet's argparse makes
of each value its loader prints, ``canonical`` maps the values onto the native sections, and
``effective`` computes the LR each parameter group will see at every optimizer step. Pure
Python: no torch, no pydantic.
"""

from .profile import KeyFact, TrainerProfile
from .registry import PROFILES, Selection, profile_names, resolve, select_profile

__all__ = ["KeyFact", "TrainerProfile", "PROFILES", "Selection", "profile_names", "resolve",
           "select_profile"]
