"""Moved to :mod:`hnet_lint.observe.monitor` (the observation layer the dry-run, ``inspect`` and
``watch`` share); kept so existing imports keep working."""

from ..observe.monitor import GroupView, Monitor, stage_of_name  # noqa: F401

__all__ = ["Monitor", "stage_of_name", "GroupView"]
