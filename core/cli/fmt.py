"""`rules fmt [--check] PATH...`: canonical key order and layout for rulesets and test suites."""

from __future__ import annotations

import os
from pathlib import Path

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import fail
from rulewright.core.cli.partial import open_partial


def _files(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(f for f in path.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())
        elif path.is_file():
            out.append(path)
        else:
            fail(f"no such file or folder: {p}")
    return out


def _write_atomically(path: Path, text: str) -> None:
    path = Path(os.path.realpath(path))  # a symbolic link stays a link: the file it points to changes
    fd, tmp = open_partial(path, ".rules-fmt-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--check", is_flag=True, help="Change nothing: show a diff and exit 1 if any file would change."
)
def fmt(paths: tuple[str, ...], check: bool) -> None:
    """Rewrite rulesets and test suites in canonical key order and layout, keeping comments.

    PATH is a YAML file or a folder (every .yaml/.yml under it). Formatting only moves keys and
    re-indents: values, comments and flow style stay, so the fingerprint never changes, and
    formatting twice changes nothing. Exit 0 when done (or, with --check, when every file is
    already formatted); 1 when --check finds a file to change or a file cannot be read.
    """
    from rulewright.core.authoring.formatting import format_bytes
    from rulewright.core.model.diagnostics import RulesetError

    changed = unreadable = 0
    files = _files(paths)
    for path in files:
        raw = path.read_bytes()
        try:
            new = format_bytes(raw, str(path))
        except RulesetError as exc:
            for d in exc.diagnostics:
                click.echo(d.text(), err=True)
            unreadable += 1
            continue
        old = raw.decode("utf-8-sig")
        if new == old:
            continue
        changed += 1
        if check:
            import difflib  # only to show a diff

            diff = difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), f"{path}", f"{path} (formatted)"
            )
            click.echo("".join(diff), nl=False)
        else:
            _write_atomically(path, new)
            click.echo(f"rules: reformatted {path}", err=True)
    verb = "would reformat" if check else "reformatted"
    click.echo(
        f"rules: {verb} {changed} of {len(files)} file{'s' if len(files) != 1 else ''}"
        + (f"; {unreadable} could not be read" if unreadable else ""),
        err=True,
    )
    if unreadable or (check and changed):
        raise click.exceptions.Exit(exitcodes.FINDINGS)
