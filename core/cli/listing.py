"""`rules list`: the bundled rulesets and their versions."""

from __future__ import annotations

import json

import click

from rulewright.core.cli.options import format_option


@click.command("list")
@format_option(["text", "json"], default="text")
def list_rulesets(fmt: str) -> None:
    """List bundled rulesets (id, version, status, title); `leg-pain` means the newest active one."""
    from rulewright.core.model.loader import bundled_rulesets

    rows = [
        {"id": b.id, "version": b.version, "status": b.status, "title": b.title, "ref": b.ref}
        for b in bundled_rulesets()
    ]
    if fmt == "json":
        click.echo(json.dumps({"format": 1, "rulesets": rows}, indent=2, ensure_ascii=False))
        return
    width = max((len(r["ref"]) for r in rows), default=0)
    for r in rows:
        click.echo(f"{r['ref']:<{width}}  {r['status']:<8}  {r['title']}")
