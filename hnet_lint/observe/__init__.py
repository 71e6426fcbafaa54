"""The observation and check layer the three drivers share: one check, written once.

Reading order: monitor (hooks on one model + optimizer that record what training did) ->
patches (what torch's hooks do not show: scheduler steps, clipping, zero_grad, losses, call
sites) -> checks (observations -> findings, torch-free; ranks merged before judging) -> ranks
(a deadline per step and a way out when one rank fails).

Drivers: the dry-run's smoke phase (:mod:`hnet_lint.dryrun.smoke`, our trainer),
:func:`hnet_lint.inspect` (your objects and ``step_fn``) and ``hnet-lint watch``
(:mod:`hnet_lint.watch`, your unchanged trainer on every rank). A fact seen by any of them gets
the same code and words. Only ``checks`` may be imported without torch.
"""
