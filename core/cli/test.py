"""`rules test [PATH|RULESET]...`: run the YAML test suites beside each ruleset."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App, fail
from rulewright.core.cli.options import explain_option, format_option

if TYPE_CHECKING:
    from rulewright.core.authoring.reports import TestRunReport


@click.command("test")
@click.argument("paths", nargs=-1, metavar="[PATH|RULESET]...")
@click.option(
    "-k",
    "keyword",
    metavar="PATTERN",
    help="Run only cases whose id contains PATTERN (or matches it as a glob).",
)
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only failures.")
@explain_option
@click.option("--fail-on-empty", is_flag=True, help="Exit 1 when no case ran (e.g. -k matched nothing).")
@click.option(
    "--coverage",
    "show_coverage",
    is_flag=True,
    help="Print decision-space coverage: outcomes, red flags, score items, bands, hit-policy branches, threshold boundaries.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="N",
    help="Exit 1 when any ruleset's decision-space coverage is below N percent.",
)
@click.option(
    "--suggest",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    metavar="FILE",
    help="Write a suite skeleton with one todo case per uncovered item to FILE (one ruleset only; never overwrites).",
)
@format_option(
    ["text", "json", "junit", "github"],
    default="text",
    help="text, json, junit (JUnit XML for CI test reports) or github (workflow annotations).",
)
@click.pass_obj
def test(
    app: App,
    paths: tuple[str, ...],
    keyword: str | None,
    verbose: bool,
    explain: bool,
    fail_on_empty: bool,
    show_coverage: bool,
    min_coverage: float | None,
    suggest: str | None,
    fmt: str,
) -> None:
    """Run test suites: each case's answers through the ruleset, compared with its expectations.

    PATH is a folder, a ruleset file (its suites in `tests/` beside it run), or a suite file;
    RULESET a bundled id (`leg-pain` tests every bundled version, `leg-pain@1.0.0` one). With
    no argument, tests `./rulesets` if it exists, else every bundled ruleset. A failure prints
    the case's file:line, expected vs actual, and the trace of the conditions that decided it.

    Exit 0 when every case passes, 1 on a failing case or an invalid ruleset or suite, 2 on a
    usage error.
    """
    from rulewright.core.authoring.reports import TestRunReport
    from rulewright.core.authoring.suites import engine_factory, plan, run_target

    try:
        found = plan(paths)
    except LookupError as exc:
        fail(str(exc))
    engine_for = engine_factory(app.host)
    runs = [
        run_target(t, engine_for, keyword=keyword, explain=True, multi_version=found.multi_version)
        for t in found.targets
    ]
    report = TestRunReport(runs, found.diagnostics)
    tested = [r for r in runs if r.engine is not None]
    if suggest is not None:
        if len(tested) != 1:
            fail(f"--suggest needs exactly one ruleset to test, not {len(tested)}")
        if Path(suggest).exists():
            fail(f"--suggest will not overwrite {suggest}")
    if show_coverage or min_coverage is not None or suggest is not None:
        from rulewright.core.analysis.coverage import measure

        report.coverage = [
            measure(r.engine, r.executed_answers()) if r.engine is not None else None for r in runs
        ]
    for d in report.all_diagnostics():
        click.echo(d.text(), err=True)
    _print_report(report, fmt, verbose=verbose, explain=explain, show_coverage=show_coverage)
    if suggest is not None:
        _write_suggestion(report.coverage[runs.index(tested[0])], tested[0].file, suggest)
    counts = report.counts()
    failed = bool(counts["failed"] or report.errors())
    if min_coverage is not None and _below(report, min_coverage):
        failed = True
    if failed:
        raise click.exceptions.Exit(exitcodes.FINDINGS)
    if fail_on_empty and counts["passed"] + counts["failed"] == 0:
        click.echo("rules: error: no test case ran (--fail-on-empty)", err=True)
        raise click.exceptions.Exit(exitcodes.FINDINGS)


def _print_report(
    report: TestRunReport, fmt: str, *, verbose: bool, explain: bool, show_coverage: bool
) -> None:
    """The report on stdout in `fmt`; with text, coverage (if asked for) and the summary too."""
    from rulewright.core.authoring.reports import (
        coverage_lines,
        test_github,
        test_json,
        test_junit,
        test_text,
    )

    if fmt == "json":
        click.echo(json.dumps(test_json(report), indent=2, ensure_ascii=False))
    elif fmt == "junit":
        click.echo(test_junit(report), nl=False)
    elif fmt == "github":
        for line in test_github(report):
            click.echo(line)
        click.echo(report.summary(), err=True)
    else:
        for line in test_text(report, verbose=verbose, explain=explain):
            click.echo(line)
        if show_coverage:
            for run, cov in zip(report.runs, report.coverage, strict=True):
                if cov is not None:
                    for line in coverage_lines(cov, run.file):
                        click.echo(line)
        click.echo(report.summary())


def _below(report: TestRunReport, min_coverage: float) -> bool:
    """Say on stderr which rulesets' coverage is below `min_coverage`; True if any is."""
    below = [cov for cov in report.coverage if cov is not None and cov.percent < min_coverage]
    for cov in below:
        click.echo(
            f"rules: coverage of {cov.ruleset.ref} is {cov.percent:.1f}%, below --min-coverage {min_coverage:g}",
            err=True,
        )
    return bool(below)


def _write_suggestion(cov: Any, ruleset_file: str, target: str) -> None:
    from rulewright.core.analysis.coverage import suggestion

    schema = _schema_ref(Path(target).resolve().parent)
    Path(target).write_text(suggestion(cov, schema), encoding="utf-8")
    left = sum(1 for i in cov.uncovered() if i.key in cov.witnesses)
    click.echo(
        f"rules: wrote {left} suggested case{'s' if left != 1 else ''} for {cov.ruleset.ref} to {target}",
        err=True,
    )


def _schema_ref(folder: Path) -> str | None:
    """The test-suite schema as a path relative to `folder`, when a `schemas/` folder is above it."""
    for parent in (folder, *folder.parents):
        candidate = parent / "schemas" / "test-suite.schema.json"
        if candidate.is_file():
            return os.path.relpath(candidate, folder)
    return None
