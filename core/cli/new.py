"""`rules new ID`: scaffold a ruleset and its test suite."""

from __future__ import annotations

from pathlib import Path

import click

from rulewright.core.cli.app import fail


@click.command("new")
@click.argument("ruleset_id", metavar="ID")
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder to create ID/ in. Default: ./rulesets if it exists, else the current folder.",
)
@click.option("--title", default=None, help="The ruleset's title. Default: from ID.")
def new(ruleset_id: str, root: str | None, title: str | None) -> None:
    """Scaffold ID/0.1.0.yaml and ID/tests/basic.yaml: an example ruleset and its test suite.

    Both validate, pass and are fully covered as written, with comments that teach the format;
    replace the example content with your own. Refuses to touch an existing folder.
    """
    from rulewright.core.authoring.scaffold import scaffold

    folder = Path(root) if root else (Path("rulesets") if Path("rulesets").is_dir() else Path("."))
    try:
        created = scaffold(ruleset_id, folder, title)
    except (ValueError, FileExistsError) as exc:
        fail(str(exc))
    for path in created:
        click.echo(f"created {path}")
    click.echo(
        f"next: edit {created[0]}, then run `rules validate {created[0]}` and "
        f"`rules test {created[0].parent} --coverage`",
        err=True,
    )
