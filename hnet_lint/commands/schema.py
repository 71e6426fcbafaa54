"""``hnet-lint schema [native|flat|model]``: print or write the config JSON Schemas."""

from __future__ import annotations

import click

from ..load.schemagen import KINDS, schema_text, write_schemas

__all__ = ["schema"]


@click.command("schema")
@click.argument("kind", type=click.Choice(sorted(KINDS)), default="native")
@click.option("--write", "folder", type=click.Path(file_okay=False),
              help="Write all three schemas into this folder (e.g. schemas/) instead.")
def schema(kind: str, folder: str | None) -> None:
    """Print the JSON Schema of a config dialect (native run config by default).

    Point editors at it with a first line `# yaml-language-server: $schema=PATH`.
    `--write DIR` writes hnet-run.schema.json (native), hnet-flat.schema.json and
    hnet-model.schema.json.
    """
    if folder:
        for path in write_schemas(folder):
            click.echo(f"wrote {path}", err=True)
        return
    click.echo(schema_text(kind), nl=False)

