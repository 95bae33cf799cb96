"""`rules fmt [--check] PATH...`: canonical key order and layout for rulesets and test suites."""

from __future__ import annotations

import os
from pathlib import Path

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import fail
from rulewright.core.cli.partial import open_partial
from rulewright.core.model.diagnostics import Diagnostic, RulesetError


def _files(paths: tuple[str, ...]) -> tuple[list[tuple[Path, bool]], list[Diagnostic]]:
    """Each file to format, with whether it was named (not found in a folder), and a diagnostic
    for each symbolic link in a folder that leads out of it (never followed)."""
    from rulewright.core.model.files import outside_error, yaml_files

    out: list[tuple[Path, bool]] = []
    refused: list[Diagnostic] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            inside, outside = yaml_files(path)
            out += [(f, False) for f in inside]
            for link in outside:
                refused += outside_error(link, p).diagnostics
        elif path.exists():
            out.append((path, True))
        else:
            fail(f"no such file or folder: {p}")
    return out, refused


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

    PATH is a ruleset or test-suite file, or a folder: every ruleset and test suite under it
    (other YAML files are left alone, and a symbolic link that leads out of the folder is not
    followed). Formatting only moves keys and re-indents: values, comments and flow style stay,
    so the fingerprint never changes, and formatting twice changes nothing. Exit 0 when done
    (or, with --check, when every file is already formatted); 1 when --check finds a file to
    change, or a file cannot be read, is not a ruleset or suite, or is a link out of its folder.
    """
    from rulewright.core.authoring.formatting import NOT_OURS, format_bytes
    from rulewright.core.model.files import read_bounded

    found, refused = _files(paths)
    for problem in refused:
        click.echo(problem.text(), err=True)
    changed, unreadable, others = 0, len(refused), 0
    for path, named in found:
        try:
            raw = read_bounded(path)
            new = format_bytes(raw, str(path))
        except RulesetError as exc:
            if not named and exc.diagnostics[0].code == NOT_OURS:
                others += 1  # some other YAML file in the folder: not ours to rewrite
                continue
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
    total = len(found) + len(refused) - others
    click.echo(
        f"rules: {verb} {changed} of {total} file{'s' if total != 1 else ''}"
        + (f"; {unreadable} could not be read" if unreadable else "")
        + (f"; {others} other YAML file{'s' if others != 1 else ''} left alone" if others else ""),
        err=True,
    )
    if unreadable or (check and changed):
        raise click.exceptions.Exit(exitcodes.FINDINGS)
