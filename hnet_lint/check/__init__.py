"""Linting: rules run over a :class:`~hnet_lint.load.runconfig.RunConfig`, and what is
reported is decided.

What enters: the ``RunConfig`` and ``SourceDoc`` that :mod:`hnet_lint.load` produced for
each file, and the user's settings.
What leaves: the list of :class:`~hnet_lint.diagnostics.Diagnostic` to report for each file,
each with its code, severity and span, after selection and suppression.

Reading order, following the data: ``discovery`` (which files a directory holds) ->
``settings`` (``[tool.hnet-lint]``: selection, severities, rule options, per-file ignores)
-> ``engine`` (the rule registry and ``run_rules``; the rules themselves live in ``rules/``,
one module per topic) -> ``suppress`` (inline ``# hnet-lint: ignore[...]``, HNL010) ->
``baseline`` (known findings of an adopting repository; ``fingerprint`` gives each finding
a stable identity, shared with SARIF) -> ``fix`` (safe in-place rewrites) -> ``cache``
(content-keyed results, so unchanged files are not linted again).

What it may import: :mod:`hnet_lint.load`, :mod:`hnet_lint.diagnostics`,
:mod:`hnet_lint.repo`, the torch-free :mod:`hnet_lint.modelinfo` (parameter names and
shapes) and its own modules. Never ``dryrun``, ``analyze``, ``report`` or ``commands``.
Nothing here imports torch.
"""
