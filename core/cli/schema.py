"""`rules schema [NAME]`: print a bundled JSON Schema (for editors and integrators)."""

from __future__ import annotations

import json

import click

from rulewright.core.cli.app import fail


@click.command("schema")
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schema NAME (e.g. `ruleset`, `result`); without NAME, list them."""
    from rulewright.core.model.schemas import schema as load
    from rulewright.core.model.schemas import schema_names

    if name is None:
        for n in schema_names():
            click.echo(n)
        return
    if name not in schema_names():
        fail(f"unknown schema {name!r}; available: {', '.join(schema_names())}")
    click.echo(json.dumps(load(name), indent=2, ensure_ascii=False))
