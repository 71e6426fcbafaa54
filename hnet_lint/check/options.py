"""Declared types and ranges of rule options (thresholds), and their validation.

A rule declares each option with its default *and* what values make sense
(``options={"min_fraction": fraction(0.05)}``); a plain default (``{"show": 5}``) declares
only its type, taken from the default (a non-negative default stays non-negative). Values
from ``--option CODE.name=VALUE`` and from settings files are checked once, when the
settings are loaded (:func:`option_problems`): a wrong value is a usage error (exit 2) that
names the option, the value and what is allowed, never a crashed rule or a silently
absurd threshold.

Fractions are fractions: ``min_fraction = 5`` is refused with "write 0.05 for 5%" rather
than guessed at, since 5 could as well be a typo for 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["Opt", "fraction", "positive", "number", "integer", "flag", "split_options",
           "spec_of", "option_problems"]


@dataclass(frozen=True)
class Opt:
    """One option: its default, its type and its allowed range."""

    default: Any
    kind: str = "number"
    """``number`` (int or float), ``integer`` or ``flag`` (true/false)."""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    """``lo`` itself is excluded (``> lo`` instead of ``>= lo``)."""
    fraction: bool = False
    """A share in [0, 1]: a value above 1 gets a "write 0.05 for 5%" hint."""
    at_most: str | None = None
    """The name of a sibling option this one must not exceed (``min`` <= ``max``)."""

    def describe(self) -> str:
        """What is allowed, as the error message says it."""
        if self.kind == "flag":
            return "true or false"
        if self.fraction:
            left = "(" if self.lo_open else "["
            return f"a fraction in {left}{_fmt(self.lo or 0)}, {_fmt(self.hi or 1)}]"
        noun = "an integer" if self.kind == "integer" else "a number"
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {_fmt(self.lo)}")
        if self.hi is not None:
            parts.append(f"<= {_fmt(self.hi)}")
        return f"{noun} {' and '.join(parts)}" if parts else noun

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed (``None``: it is)."""
        shown = repr(value) if isinstance(value, str) else _shown(value)
        if self.kind == "flag":
            return None if isinstance(value, bool) else f"{shown} is not true or false"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = ""
            if isinstance(value, str) and value.strip().endswith("%") and self.fraction:
                hint = f" (write {_percent_hint(value)})"
            return f"{shown} is not a number{hint}"
        if not math.isfinite(value):
            return f"{shown} is not a finite number"
        if self.kind == "integer" and not isinstance(value, int):
            hint = f" (write {int(value)})" if float(value).is_integer() else ""
            return f"{shown} is not an integer{hint}"
        low = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
        high = self.hi is not None and value > self.hi
        if low or high:
            hint = ""
            if self.fraction and high and value <= 100:
                hint = f" (a fraction, not a percentage: write {_fmt(value / 100)} for " \
                       f"{_fmt(value)}%)"
            return f"{shown} is out of range{hint}"
        return None


def _fmt(x: float) -> str:
    return f"{x:g}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _percent_hint(text: str) -> str:
    try:
        return f"{_fmt(float(text.strip()[:-1]) / 100)} for {text.strip()}"
    except ValueError:
        return "a fraction such as 0.05 for 5%"


def fraction(default: float, *, open_low: bool = False) -> Opt:
    """A share of something, in [0, 1] (``(0, 1]`` with ``open_low``)."""
    return Opt(default, lo=0.0, hi=1.0, lo_open=open_low, fraction=True)


def positive(default: float, **kw: Any) -> Opt:
    """A number > 0."""
    return Opt(default, lo=0.0, lo_open=True, **kw)


def number(default: float, lo: float | None = None, hi: float | None = None,
           **kw: Any) -> Opt:
    """A finite number, optionally bounded (inclusive)."""
    return Opt(default, lo=lo, hi=hi, **kw)


def integer(default: int, lo: int | None = 1, **kw: Any) -> Opt:
    """An integer >= ``lo`` (default 1: a count)."""
    return Opt(default, kind="integer", lo=lo, **kw)


def flag(default: bool) -> Opt:
    return Opt(default, kind="flag")


def infer(default: Any) -> Opt:
    """The declaration a plain default implies: its type, and its sign when not negative."""
    if isinstance(default, bool):
        return flag(default)
    if isinstance(default, int):
        return integer(default, lo=0 if default >= 0 else None)
    if isinstance(default, float):
        return number(default, lo=0.0 if default >= 0 else None)
    return Opt(default, kind="any")


def split_options(options: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Opt]]:
    """``{name: Opt or default}`` -> (defaults, declarations)."""
    defaults, specs = {}, {}
    for name, value in (options or {}).items():
        spec = value if isinstance(value, Opt) else infer(value)
        defaults[name] = spec.default
        specs[name] = spec
    return defaults, specs


def spec_of(meta: Any, name: str) -> Opt:
    """The declaration of option ``name`` of a code (inferred from the default when the code's
    registry declares none)."""
    specs = getattr(meta, "option_specs", None) or {}
    if name in specs:
        return specs[name]
    return infer((getattr(meta, "options", None) or {}).get(name))


def option_problems(code: str, meta: Any, given: Mapping[str, Any]) -> list[str]:
    """One message per bad value in ``given`` (option name -> value) for ``code``, plus any
    pair that breaks its order (``min`` above ``max``) once merged with the defaults."""
    problems = []
    defaults = dict(getattr(meta, "options", None) or {})
    for name, value in given.items():
        if name not in defaults:
            continue  # an unknown name is reported by check_known
        spec = spec_of(meta, name)
        if spec.kind == "any":
            continue
        why = spec.problem(value)
        if why is not None:
            problems.append(f"option {code}.{name}: {why}; expected {spec.describe()}")
    if problems:
        return problems
    merged = {**defaults, **{k: v for k, v in given.items() if k in defaults}}
    for name in merged:
        spec = spec_of(meta, name)
        other = spec.at_most
        if other and other in merged and merged[name] > merged[other] and (
                name in given or other in given):
            problems.append(f"option {code}.{name}: {_shown(merged[name])} is above "
                            f"{code}.{other} = {_shown(merged[other])}; expected {name} <= "
                            f"{other}")
    return problems
