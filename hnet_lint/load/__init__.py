"""Reading: a config file becomes one canonical :class:`~hnet_lint.load.runconfig.RunConfig`.

What enters: a path (or text) in any of the three dialects: a native run config, a flat
trainer hyperparameter JSON, or an official model JSON.
What leaves: a :class:`~hnet_lint.load.source.SourceDoc` (the parsed tree with a position for
every key and value), the ``RunConfig`` with a :class:`~hnet_lint.load.runconfig.SourceMap`
from each canonical field back to the ``file:line:col`` where it was written, and the
input-stage findings HNL000-HNL012 (``codes``) about what could not be read or validated.

Reading order, following the data: ``source`` (bounded, positioned loading; ``yamlsource``
and ``jsonsource`` do the parsing, ``codes`` names what they report) -> ``dialect`` (which
kind of file) -> ``schema`` (the pydantic classes; ``coregen`` writes their pydantic-core
schemas into ``coreschemas``; ``coretables`` uses them under the pydantic they were derived
with and derives and caches them, in ``cachedir``, under any other) + ``records``
(validators from those schemas and the read-only records they build) + ``validation`` (errors mapped to spans, ``suggest`` for "did you
mean") -> ``normalize`` (one ``RunConfig`` per file; ``layout`` parses
``arch_layout``; ``official`` holds the official H-Net constants; ``trainers`` models the
trainer that reads a flat file: its defaults, ignored keys, step counting, effective
schedule and, for hierarchical-hnet, the values argparse makes of the printed text). ``schemagen`` writes the
JSON Schemas of ``schema`` for editors.

What it may import: :mod:`hnet_lint.diagnostics`, :mod:`hnet_lint.repo`,
:mod:`hnet_lint.schedules` and its own modules (``trainers/`` models the trainers that read
flat files).
Never :mod:`hnet_lint.check`, ``dryrun``, ``analyze``, ``report`` or ``commands``: anything
that reads a config (the linter, the dry-run, ``model-info``, ``analyze --config``) can
import this wing without pulling in the rest. Nothing here imports torch.
"""
