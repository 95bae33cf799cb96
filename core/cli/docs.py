"""`rules docs RULESET`: the document clinicians review before they sign a ruleset off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rulewright.core.cli.app import App, fail
from rulewright.core.cli.options import format_option

DEFAULT_REGIONS = 12


@click.command("docs")
@click.argument("ruleset", required=False)
@click.option(
    "--since",
    metavar="VERSION",
    help="Add what changed since VERSION (a bundled version of the same id, a sibling file "
    "VERSION.yaml, or a path): change notes, added/removed/changed rules, test cases decided "
    "differently and the behavioural regions.",
)
@click.option(
    "--max-regions",
    type=click.IntRange(0),
    default=DEFAULT_REGIONS,
    show_default=True,
    help="With --since: how many behavioural regions to search for and list (0 leaves them out).",
)
@format_option(
    ["markdown", "html"], default="markdown", help="markdown (GitHub) or html (one self-contained page)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    metavar="FILE",
    help="Write the document to FILE instead of stdout.",
)
@click.option(
    "--bundled",
    "bundled_dir",
    type=click.Path(file_okay=False),
    default=None,
    metavar="DIR",
    help="Write the Markdown document of every bundled ruleset version to DIR/ID-VERSION.md, each "
    "since its previous version (without regions, so the files are reproducible); RULESET is "
    "not given.",
)
@click.pass_obj
def docs(
    app: App,
    ruleset: str | None,
    since: str | None,
    max_regions: int,
    fmt: str,
    output: str | None,
    bundled_dir: str | None,
) -> None:
    """Render RULESET (a bundled id or a path) as a document for clinical review.

    Title, version, status and sign-off; a Mermaid flowchart of the decision; the questions
    with their allowed answers; red flags by tier; scores and their items; outcomes with
    confidence, sources and recommendations; safety properties; worked examples from the test
    suites; references and change notes. Exit 0 when written, 1 when the ruleset is invalid,
    2 on a usage error.
    """
    if bundled_dir is not None:
        if ruleset or since or output:
            fail("--bundled writes every bundled ruleset; give no RULESET, --since or --output with it")
        write_bundled(app, Path(bundled_dir))
        return
    if not ruleset:
        fail("give a RULESET (a bundled id such as leg-pain, or a path), or --bundled DIR")
    text = render(app, ruleset, since=since, fmt=fmt, max_regions=max_regions)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def render(app: App, ref: str, *, since: str | None, fmt: str, max_regions: int) -> str:
    from rulewright.core.documents.docgen import Changes, document
    from rulewright.core.documents.docrender import to_html, to_markdown
    from rulewright.core.evaluate.engine import Engine

    ruleset = app.load(ref)
    engine = Engine(ruleset, host=app.host)
    changes = old_engine = None
    if since:
        old = app.load(_since_ref(ref, ruleset.id, since))
        old_engine = Engine(old, host=app.host)
        changes = Changes(old, examples_for(_since_ref(ref, ruleset.id, since)))
        if max_regions:
            _add_regions(app, changes, ruleset, max_regions)
    blocks = document(ruleset, engine, examples_for(ref), changes, old_engine)
    return to_html(blocks, f"{ruleset.title} {ruleset.version}") if fmt == "html" else to_markdown(blocks)


def _since_ref(ref: str, rid: str, since: str) -> str:
    """VERSION as a path, a sibling file of a ruleset path, or a bundled version of the same id."""
    if since.endswith((".yaml", ".yml")):
        return since
    path = Path(ref)
    if path.suffix in (".yaml", ".yml"):
        sibling = path.parent / f"{since}.yaml"
        if sibling.is_file():
            return str(sibling)
    return f"{rid}@{since}"


def examples_for(ref: str) -> list[Any]:
    """The cases of every test suite that applies to this ruleset version, in file order."""
    from rulewright.core.authoring.suites import plan
    from rulewright.core.documents.docgen import Example

    try:
        targets = plan([ref]).targets
    except LookupError:
        return []
    return [
        Example(case.name, dict(case.answers), suite.name, case.description or "")
        for target in targets[:1]
        for suite in target.suites
        for case in suite.cases
        if not (case.skip or case.todo)
    ]


def _add_regions(app: App, changes: Any, ruleset: Any, max_regions: int) -> None:
    """The behavioural diff's regions (z3; imported only when asked for), largest first."""
    from rulewright.core.analysis.behaviour import diff_behaviour
    from rulewright.core.analysis.partition import Unsupported

    try:
        diff = diff_behaviour(
            changes.old, ruleset, app.host.registry.items["operators"], max_regions=max_regions
        )
    except Unsupported as exc:
        click.echo(f"rules: warning: behavioural regions left out: {exc}", err=True)
        return
    regions = sorted(diff.regions, key=lambda r: (-r.count, r.change, r.where))
    changes.regions = [(r.change, r.where, r.example, r.count) for r in regions]
    changes.regions_total = diff.total
    changes.regions_complete = diff.complete


def write_bundled(app: App, folder: Path) -> None:
    from rulewright.core.model.loader import bundled_rulesets

    folder.mkdir(parents=True, exist_ok=True)
    previous: dict[str, str] = {}
    for b in bundled_rulesets():  # sorted by id, then version
        since = previous.get(b.id)
        text = render(app, b.ref, since=since, fmt="markdown", max_regions=0)
        (folder / f"{b.id}-{b.version}.md").write_text(text, encoding="utf-8")
        click.echo(f"rules: wrote {folder / f'{b.id}-{b.version}.md'}", err=True)
        previous[b.id] = b.version
