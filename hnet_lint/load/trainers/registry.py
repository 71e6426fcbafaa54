"""Which trainer profile judges a file: chosen by the user, or detected from evidence.

Order: ``--trainer`` on the command line, then a top-level ``trainer`` key in the file,
then the ``trainer`` setting, then detection. Detection uses only keys that one trainer's
file has and no other's; where the evidence fits several versions of one trainer the
current version is *assumed* and the finding HNL013 says so, once per file. A flat file
that matches no trainer gets no trainer semantics at all (``none``): only the checks that
need none (the model, value ranges, sampling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...diagnostics import HnetLintError
from . import hierarchical, if001
from .profile import TrainerProfile

__all__ = ["PROFILES", "Selection", "resolve", "select_profile", "profile_names", "NONE"]

#: Every profile by label (``name@version``).
PROFILES: dict[str, TrainerProfile] = {
    **{p.label: p for p in hierarchical.VERSIONS.values()},
    if001.PROFILE.label: if001.PROFILE,
}
_LATEST = {"hierarchical-hnet": hierarchical.VERSIONS[hierarchical.LATEST],
           "if001-hnet": if001.PROFILE}
#: Names that mean "my own trainer": no trainer-specific semantics.
NONE = ("none", "native", "own")


def profile_names() -> list[str]:
    """Every accepted ``--trainer`` value, for help texts and errors."""
    return sorted(PROFILES) + sorted(_LATEST) + ["none"]


def resolve(spec: str) -> TrainerProfile | None:
    """``NAME``, ``NAME@VERSION`` or ``NAME@COMMIT`` (any commit a version covers) ->
    profile; ``none`` -> ``None``. Unknown names are a usage error."""
    text = spec.strip()
    if text.lower() in NONE:
        return None
    name, _, version = text.partition("@")
    if name in _LATEST and version in ("", "latest", "head", "HEAD"):
        return _LATEST[name]
    for profile in PROFILES.values():
        if profile.name != name:
            continue
        if version == profile.version or any(
                len(version) >= 7 and c.startswith(version[:7]) for c in profile.commits):
            return profile
    raise HnetLintError(f"unknown trainer {spec!r}; one of: {', '.join(profile_names())} "
                        "(a version may also be any commit it covers)")


@dataclass(frozen=True)
class Selection:
    """The profile that judges a file and how it was chosen."""

    profile: TrainerProfile | None
    how: str
    """``option``, ``file``, ``setting``, ``detected``, ``assumed`` or ``none``."""
    reason: str = ""

    @property
    def label(self) -> str:
        return self.profile.label if self.profile else "none"


def select_profile(data: Any, requested: str | None = None,
                   setting: str | None = None) -> Selection:
    """The profile for a flat file's parsed ``data``."""
    if requested:
        return Selection(resolve(requested), "option", f"--trainer {requested}")
    if isinstance(data, dict) and isinstance(data.get("trainer"), str):
        return Selection(resolve(data["trainer"]), "file", f"trainer: {data['trainer']}")
    if setting:
        return Selection(resolve(setting), "setting", f"setting trainer = {setting}")
    return detect(data if isinstance(data, dict) else {})


def detect(data: dict) -> Selection:
    keys = set(data)
    hh = "model_config" in keys
    own = sorted(keys & if001.PROFILE.detect_keys)
    if own and not hh:
        return Selection(if001.PROFILE, "detected",
                         f"keys only if001/hnet's training_config.json has: {', '.join(own)}")
    if not hh:
        return Selection(None, "none",
                         "no trainer's key set matches (hierarchical-hnet needs model_config, "
                         "if001/hnet has model_config_path)")
    latest = hierarchical.VERSIONS[hierarchical.LATEST]
    if "downsampling_factors" in keys:
        return Selection(latest, "detected",
                         "downsampling_factors is read only from d28b7c4 on")
    wsd = sorted(keys & hierarchical.WSD_EVIDENCE)
    if wsd:
        return Selection(latest, "assumed",
                         f"{', '.join(wsd[:3])} imply the WSD-era loader (8dbea2d or later); "
                         f"the file fits 8dbea2d and {latest.version} (HEAD)")
    return Selection(latest, "assumed", "the file fits every version of its loader")
