"""Codes for findings about the file itself rather than its H-Net semantics.

These are produced by the loaders, the schema validation and the engine; they are listed
in the same registry as the rules (:mod:`hnet_lint.check.engine`) so that ``hnet-lint rule HNL001``,
selection, suppression and the docs treat them like any other rule.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity, Span

__all__ = ["BUILTIN_CODES", "input_error", "make"]

# code -> (name, default severity, one-line summary, longer explanation)
BUILTIN_CODES: dict[str, tuple[str, Severity, str, str]] = {
    "HNL000": (
        "parse-error", Severity.ERROR,
        "The file could not be read or parsed.",
        "Syntax errors, unreadable files, files over the size limit, invalid UTF-8, nesting "
        "deeper than the limit and alias expansions over the node limit all stop parsing. "
        "The position is the parser's. Nothing else is checked in that file.",
    ),
    "HNL001": (
        "duplicate-key", Severity.ERROR,
        "A mapping defines the same key twice.",
        "PyYAML and json.load silently keep the last value, so the first one is dead text "
        "that a reviewer will still read as the setting. Keys are compared after YAML "
        "resolution, so `true:` and `yes:` collide. Reported at the second occurrence. "
        "Merge keys (`<<`) may be overridden and are not duplicates.",
    ),
    "HNL002": (
        "yaml-float-as-string", Severity.WARNING,
        "A number like `2e-4` is a string under YAML 1.1.",
        "PyYAML follows YAML 1.1, whose float pattern needs a dot and a signed exponent: "
        "`2e-4` loads as the string '2e-4' and a trainer that does `lr * mult` crashes or, "
        "worse, an `Any`-typed field keeps the string. Write `2.0e-4`. hnet-lint reads the "
        "value as the number you meant so the other rules still run. `--fix` rewrites it.",
    ),
    "HNL003": (
        "yaml-truthy", Severity.WARNING,
        "`yes`/`no`/`on`/`off` become booleans under YAML 1.1.",
        "An unquoted `yes`, `no`, `on` or `off` (any case) is a boolean for PyYAML but a "
        "string for YAML 1.2 parsers, so two tools read the file differently. Write `true` "
        "or `false`, or quote the string.",
    ),
    "HNL004": (
        "yaml-octal", Severity.WARNING,
        "A number with a leading zero is octal under YAML 1.1.",
        "`0755` loads as 493 under PyYAML and as 755 under YAML 1.2. Remove the leading "
        "zero, or quote the value if it is an identifier.",
    ),
    "HNL005": (
        "unsafe-tag", Severity.ERROR,
        "A YAML tag asks for an object to be constructed.",
        "Tags such as `!!python/object` make unsafe loaders execute code. hnet-lint never "
        "constructs them; the value is ignored. Trainers must use safe loading too.",
    ),
    "HNL006": (
        "unknown-key", Severity.ERROR,
        "A key that this section does not define.",
        "A misspelt key is silently ignored by most trainers, so the setting you meant never "
        "takes effect. The message suggests the closest valid key. In the official model "
        "config, unknown `ssm_cfg`/`attn_cfg` keys raise TypeError when the model is built.",
    ),
    "HNL007": (
        "invalid-value", Severity.ERROR,
        "A value of the wrong type or outside its allowed set.",
        "The value cannot be used as written (a list where a number is expected, an "
        "unknown scheduler name, a negative step count). The message names the expected form.",
    ),
    "HNL008": (
        "missing-key", Severity.ERROR,
        "A required key is absent.",
        "Reported at the mapping that should contain it.",
    ),
    "HNL009": (
        "unknown-flat-key", Severity.WARNING,
        "A key the flat hyperparameter format does not know.",
        "Trainers in the flat format add their own keys, so an unknown key is only a "
        "warning; it is usually a typo of a known key (the message suggests one).",
    ),
    "HNL010": (
        "unused-suppression", Severity.WARNING,
        "An `# hnet-lint: ignore[...]` comment that suppressed nothing.",
        "Stale suppressions hide future findings. Remove the comment, or fix the code list.",
    ),
    "HNL011": (
        "unrecognized-config", Severity.ERROR,
        "The file does not look like any H-Net config dialect.",
        "A file named on the command line must be a native run config (with `model:`), a "
        "flat hyperparameter JSON (with `model_config`/`learning_rate`/...) or an official "
        "model config (with `arch_layout`). Use `--dialect` to force one.",
    ),
    "HNL701": (
        "missing-model-file", Severity.ERROR,
        "The model file that the run config references cannot be found or read.",
        "Native configs resolve `model:` relative to the config file. The flat format "
        "resolves `model_config` relative to the config's folder, then each parent folder up "
        "to the repository root, then the working directory, as its trainer does. Without "
        "the model no architecture, multiplier-count or per-stage LR rule can run.",
    ),
    "HNL012": (
        "internal-error", Severity.ERROR,
        "A rule crashed on this file.",
        "A bug in hnet-lint, not in your config. The other rules still ran. Please report "
        "it with the file.",
    ),
}


def make(
    code: str, span: Span, message: str, path: tuple = (), severity: Severity | None = None
) -> Diagnostic:
    name, default, _, _ = BUILTIN_CODES[code]
    return Diagnostic(
        span=span, code=code, severity=severity or default, message=message, name=name,
        path=tuple(path),
    )


def input_error(file: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    return make("HNL000", Span(file, line, column, line, column + 1), message)
