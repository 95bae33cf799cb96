"""`rules export questionnaire RULESET`: the ruleset's inputs as a FHIR R4 Questionnaire."""

from __future__ import annotations

import json
from typing import TextIO

import click

from rulewright.core.cli.app import App


@click.group("export")
def export() -> None:
    """Export a ruleset for other systems (a FHIR Questionnaire for data capture)."""


@export.command("questionnaire")
@click.argument("ruleset")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", atomic=True),
    default="-",
    help="Write to this file instead of stdout.",
)
@click.pass_obj
def questionnaire(app: App, ruleset: str, output: TextIO) -> None:
    """Write a FHIR R4 Questionnaire generated from RULESET's inputs (JSON).

    linkId is the input id unless the ruleset's `fhir.link_ids` maps it; enum answers are
    `answerOption.valueCoding` whose code is the enum value. Fill it in and evaluate the
    QuestionnaireResponse with `rules evaluate RULESET qr.json --input-format fhir-qr`.
    """
    from rulewright.core.documents.questionnaire import questionnaire as build

    output.write(json.dumps(build(app.load(ruleset)), ensure_ascii=False, indent=2) + "\n")
