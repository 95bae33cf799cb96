"""`rules validate [PATH...]`: schema, semantic and whole-input-space checks of rulesets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App
from rulewright.core.cli.options import format_option
from rulewright.core.model.diagnostics import Diagnostic, RulesetError
from rulewright.core.model.ruleset import Ruleset


def ruleset_paths(paths: tuple[str, ...], refused: list[Diagnostic] | None = None) -> list[str]:
    """Expand folders to the ruleset files in them (test suites under `tests/` are skipped).

    A symbolic link in a folder that leads out of it is never followed: it is left out, with
    an `outside-folder` diagnostic added to `refused` when that is given."""
    from rulewright.core.model.files import outside_error, yaml_files
    from rulewright.core.model.loader import bundled_rulesets

    if not paths:
        return [b.ref for b in bundled_rulesets()]
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            inside, outside = yaml_files(path)
            out.extend(str(f) for f in inside if "tests" not in f.relative_to(path).parts[:-1])
            for link in outside:
                if refused is not None:
                    refused.extend(outside_error(link, p).diagnostics)
        else:
            out.append(p)
    return out


def check_one(app: App, ref: str) -> tuple[Ruleset | None, list[Diagnostic]]:
    from rulewright.core.analysis.static import analyse
    from rulewright.core.model.loader import check_document, load_document

    try:
        doc = load_document(ref)
    except RulesetError as exc:
        return None, exc.diagnostics
    ruleset, found = check_document(doc, app.host.registry.items["operators"])
    if ruleset is None:
        return None, found
    found = list(found)
    scorers = app.host.registry.items["scorers"]
    if ruleset.scorer not in scorers:
        # `rules evaluate` could not build an engine for it: an error, not a skipped analysis.
        known = ", ".join(sorted(scorers)) or "none"
        found.append(
            doc.diagnostic(
                "unknown-scorer",
                f"scorer {ruleset.scorer!r} is not provided by any installed plugin (installed: {known})",
                ("scoring",),
            )
        )
        return None, found

    def report(code: str, message: str, path: tuple[Any, ...] = (), severity: str = "warning") -> None:
        found.append(doc.diagnostic(code, message, tuple(path), severity=severity))

    for name, fn in app.host.impls("rulewright_validate_ruleset"):
        try:
            fn(ruleset=ruleset, report=report)
        except Exception as exc:
            found.append(
                doc.diagnostic(
                    "plugin-error",
                    f"lint plugin {name!r} failed: {type(exc).__name__}: {exc}",
                    (),
                    severity="warning",
                )
            )
    found.extend(analyse(ruleset, doc, app.host.registry.items["operators"]))
    return ruleset, found


@click.command("validate")
@click.argument("paths", nargs=-1, metavar="[PATH|RULESET]...")
@format_option(
    ["text", "json", "junit", "sarif", "github"],
    default="text",
    help="text (file:line:col: CODE message), json, junit (JUnit XML), sarif (SARIF 2.1.0) or github (workflow annotations).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def validate(app: App, paths: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Check rulesets: schema, names and types, and every combination of answers.

    Each problem prints as `file:line:col: CODE message` (or as JSON, JUnit XML, SARIF 2.1.0 or
    GitHub annotations with --format). A file that reads as a test suite (`cases`, no `inputs`)
    is checked against its schema and the names its ruleset declares. With no PATH, checks
    every bundled ruleset. Exit 0 when valid, 1 when any error (or, with --strict, warning) is
    found.
    """
    from rulewright.core.authoring.reports import (
        ValidateResult,
        diagnostics_github,
        validate_json,
        validate_junit,
        validate_sarif,
    )

    results: list[ValidateResult] = []
    failed = False
    from rulewright.core.authoring.suites import is_suite_file, validate_suite_file

    refused: list[Diagnostic] = []
    for ref in ruleset_paths(paths, refused):
        if Path(ref).is_file() and is_suite_file(Path(ref)):
            ruleset, found = validate_suite_file(ref, app.host.registry.items["operators"])
        else:
            ruleset, found = check_one(app, ref)
        bad = [d for d in found if d.severity == "error" or (strict and d.severity == "warning")]
        failed = failed or bool(bad) or ruleset is None
        results.append((ref, ruleset, found))
    for problem in refused:
        results.append((problem.file, None, [problem]))
        failed = True
    if fmt == "json":
        click.echo(json.dumps(validate_json(results, valid=not failed), indent=2, ensure_ascii=False))
    elif fmt == "sarif":
        click.echo(json.dumps(validate_sarif(results), indent=2, ensure_ascii=False))
    elif fmt == "junit":
        click.echo(validate_junit(results, strict=strict), nl=False)
    elif fmt == "github":
        for line in diagnostics_github([d for _, _, found in results for d in found]):
            click.echo(line)
    else:
        for _, _, found in results:
            for d in found:
                click.echo(d.text())
        errors = sum(1 for _, _, f in results for d in f if d.severity == "error")
        warnings = sum(1 for _, _, f in results for d in f if d.severity == "warning")
        click.echo(
            f"rules: checked {len(results)} ruleset{'s' if len(results) != 1 else ''}: "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}",
            err=True,
        )
    if failed:
        raise click.exceptions.Exit(exitcodes.FINDINGS)
