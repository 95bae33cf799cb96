"""`rules diff OLD NEW`: what changed between two versions, in structure and in behaviour."""

from __future__ import annotations

import json
from typing import Any

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App, fail
from rulewright.core.cli.options import format_option, id_field_option
from rulewright.core.model.ruleset import Ruleset

REPORT_FORMAT = 1
METHOD = "z3 over answer classes (exact)"


@click.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@format_option(["text", "json", "markdown"], default="text")
@click.option(
    "--corpus",
    metavar="FILE.jsonl",
    type=click.Path(dir_okay=False),
    help="Also evaluate these real cases (JSON Lines) with both versions and list the ones that change.",
)
@click.option(
    "--exit-code", is_flag=True, help="Exit 1 when behaviour differs (or the version bump is wrong)."
)
@click.option(
    "--max-regions",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Stop the behavioural search after this many regions (the report then says it is incomplete).",
)
@id_field_option
@click.pass_obj
def diff(
    app: App,
    old: str,
    new: str,
    fmt: str,
    corpus: str | None,
    exit_code: bool,
    max_regions: int,
    id_field: str,
) -> None:
    """Compare two versions of a ruleset: structure by id, behaviour over every possible case.

    OLD and NEW are bundled ids (`leg-pain@1.0.0`) or paths. The behavioural diff lists every
    region of the input space where status, outcome, urgency or red flags differ, each with one
    concrete case (`example`) that `rules evaluate` reproduces. The version bump is checked
    against the changes found.
    """
    from rulewright.core.cli.diffreport import render_markdown, render_text

    a, b = app.load(old), app.load(new)
    report = build_report(app, a, b, max_regions)
    if corpus is not None:
        report["corpus"] = corpus_changes(app, a, b, corpus, id_field)
        report["changed"] = report["changed"] or bool(report["corpus"]["changed"])
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(render_markdown(report), nl=False)
    else:
        click.echo(render_text(report), nl=False)
    if exit_code:
        if not report["behavioural"]["analysed"] and corpus is None:
            fail(f"cannot compare behaviour: {report['behavioural']['reason']}")
        if report["changed"] or report["version"]["problems"]:
            raise click.exceptions.Exit(exitcodes.FINDINGS)


def _ref(rs: Ruleset) -> dict[str, str]:
    return {"id": rs.id, "version": rs.version, "fingerprint": rs.fingerprint, "source": rs.source}


def build_report(app: App, old: Ruleset, new: Ruleset, max_regions: int) -> dict[str, Any]:
    from rulewright.core.analysis.behaviour import diff_behaviour
    from rulewright.core.analysis.partition import Unsupported
    from rulewright.core.analysis.structure import bump, diff_structure, version_problems

    operators = app.host.registry.items["operators"]
    behavioural: dict[str, Any]
    try:
        found = diff_behaviour(old, new, operators, max_regions=max_regions)
    except Unsupported as exc:
        behavioural = {"analysed": False, "reason": str(exc)}
        changed = False
    else:
        behavioural = {
            "analysed": True,
            "method": METHOD,
            "complete": found.complete,
            "combinations": found.total,
            "affected": found.affected,
            "share": found.affected / found.total,
            "only_in_old": found.only_old,
            "only_in_new": found.only_new,
            "regions": [r.to_dict(found.total) for r in found.regions],
        }
        changed = bool(found.regions)
    structural = diff_structure(old, new)
    return {
        "format": REPORT_FORMAT,
        "old": _ref(old),
        "new": _ref(new),
        "version": {
            "old": old.version,
            "new": new.version,
            "bump": bump(old.version, new.version),
            "problems": version_problems(old, new, changed, bool(structural)),
        },
        "structural": [c.to_dict() for c in structural],
        "behavioural": behavioural,
        "changed": changed,
    }


def corpus_changes(app: App, old: Ruleset, new: Ruleset, path: str, id_field: str) -> dict[str, Any]:
    """Evaluate every case of a JSONL corpus with both versions; list the cases that differ."""
    from rulewright.core.analysis.behaviour import behaviour_dict, change_text
    from rulewright.core.analysis.symbolic import from_result
    from rulewright.core.evaluate.engine import Engine
    from rulewright.core.evaluate.records import ReadOptions

    engines = [Engine(rs, host=app.host, id_field=id_field) for rs in (old, new)]
    declared = [{i.id for i in rs.inputs} | {id_field} for rs in (old, new)]
    reader = app.host.registry.items["input_adapters"]["jsonl"]
    cases = unreadable = 0
    changes: list[dict[str, Any]] = []
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        fail(f"cannot read --corpus {path}: {exc.strerror}")
    with stream:
        for record in reader.read(stream, old, ReadOptions(id_field=id_field)):
            if record.data is None:
                unreadable += 1
                continue
            cases += 1
            seen = [
                from_result(e.evaluate({k: v for k, v in record.data.items() if k in keys}, line=record.line))
                for e, keys in zip(engines, declared, strict=True)
            ]
            if seen[0] != seen[1]:
                changes.append(
                    {
                        "line": record.line,
                        "id": record.id,
                        "change": change_text(*seen),
                        "old": behaviour_dict(seen[0]),
                        "new": behaviour_dict(seen[1]),
                    }
                )
    return {
        "file": path,
        "cases": cases,
        "unreadable": unreadable,
        "changed": len(changes),
        "changes": changes,
    }
