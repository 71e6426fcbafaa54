"""``hnet-lint watch -- COMMAND``: the user's own trainer, running, checked on every rank.

Reading order: startup/sitecustomize (the startup hook every process of the command imports)
-> agent (inside a watched process: torch's global hooks drive the shared
:class:`~hnet_lint.observe.monitor.Monitor`, records go to files) -> session (the parent: runs the
command, keeps the deadlines, stops it) -> judge (records -> findings through
:mod:`hnet_lint.observe.checks`) -> api (:func:`watch`, what the CLI calls).

The parent never imports torch; the records folder is kept (``--record DIR``) so a finished,
crashed or interrupted run is never thrown away.
"""

from .api import WatchResult, watch

__all__ = ["watch", "WatchResult"]
