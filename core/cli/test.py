"""`rules test [PATH|RULESET]...`: run the YAML test suites beside each ruleset."""

from __future__ import annotations

import json

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App, fail
from rulewright.core.cli.options import explain_option, format_option


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
@format_option(["text", "json"], default="text")
@click.pass_obj
def test(
    app: App,
    paths: tuple[str, ...],
    keyword: str | None,
    verbose: bool,
    explain: bool,
    fail_on_empty: bool,
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
    from rulewright.core.reports import TestRunReport, test_json, test_text
    from rulewright.core.suites import engine_factory, plan, run_target

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
    for d in report.all_diagnostics():
        click.echo(d.text(), err=True)
    counts = report.counts()
    if fmt == "json":
        click.echo(json.dumps(test_json(report), indent=2, ensure_ascii=False))
    else:
        for line in test_text(report, verbose=verbose, explain=explain):
            click.echo(line)
        click.echo(report.summary())
    ran = counts["passed"] + counts["failed"]
    if counts["failed"] or report.errors():
        raise click.exceptions.Exit(exitcodes.FINDINGS)
    if fail_on_empty and ran == 0:
        click.echo("rules: error: no test case ran (--fail-on-empty)", err=True)
        raise click.exceptions.Exit(exitcodes.FINDINGS)
