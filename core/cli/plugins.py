"""`rules plugins`: what is loaded, where it comes from and what each plugin claims (hooks,
formats, input adapters and the file suffixes they read, operators, scorers, commands)."""

from __future__ import annotations

import json

import click

from rulewright.core.cli.app import App
from rulewright.core.cli.options import format_option


@click.command("plugins")
@format_option(["text", "json"], default="text")
@click.pass_obj
def plugins(app: App, fmt: str) -> None:
    """List loaded plugins: distribution, version, hooks and what each claims."""
    rows = app.host.describe()
    failures = [
        {"name": f.name, "distribution": f.distribution, "version": f.version, "error": f.error}
        for f in app.host.failures
    ]
    if fmt == "json":
        off = list(app.host.switched_off)
        click.echo(
            json.dumps({"format": 1, "plugins": rows, "failed": failures, "switched_off": off}, indent=2)
        )
        return
    for row in rows:
        origin = "built-in" if row["builtin"] else f"{row['distribution']} {row['version']}".strip()
        click.echo(f"{row['name']}  ({origin})")
        click.echo(f"    hooks: {', '.join(row['hooks'])}")
        for kind, names in row["provides"].items():
            click.echo(f"    {kind.replace('_', ' ')}: {', '.join(names)}")
    for name in app.host.switched_off:
        click.echo(f"{name}  (built-in) SWITCHED OFF by RULEWRIGHT_DISABLE_PLUGINS")
    for f in failures:
        click.echo(f"{f['name']}  ({f['distribution']} {f['version']}) FAILED TO LOAD: {f['error']}")
