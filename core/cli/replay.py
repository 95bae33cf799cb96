"""`rules replay RESULTS`: re-evaluate recorded decisions and report any that would now differ.

Each result record names its ruleset (id, version, fingerprint); with `rules evaluate
--record-input` it also carries the input record. Replay finds that exact ruleset (bundled, or
in a `--rulesets` folder), evaluates the recorded input again and compares what decides care:
status, outcome, urgency, red flags, not-screened flags, scores, missing answers,
recommendations and error, each with its JSON type (a score `1` is not `true`). An incident
review can so reproduce any decision, or learn exactly why it cannot (input not recorded,
ruleset missing, ruleset changed under the same version).

A results file is untrusted: the ruleset id and version a record names must be an id and a
version as the ruleset schema defines them (so never a path), and are looked up among the
bundled rulesets and the `--rulesets` folder only.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App, fail
from rulewright.core.cli.options import format_option, id_field_option

COMPARED = (
    "status",
    "outcome",
    "urgency",
    "red_flags",
    "not_screened",
    "scores",
    "missing",
    "recommendations",
    "error",
)


class _Rulesets:
    """Rulesets by (id, version): bundled ones, and every valid ruleset file under `folder`."""

    def __init__(self, app: App, folder: str | None) -> None:
        from rulewright.core.cli.validate import ruleset_paths
        from rulewright.core.model.diagnostics import RulesetError
        from rulewright.core.model.loader import load_ruleset

        self.app = app
        self.found: dict[tuple[str, str], list[Any]] = {}
        self.engines: dict[str, Any] = {}
        operators = app.host.registry.items["operators"]
        for path in ruleset_paths((folder,)) if folder else []:
            try:
                ruleset = load_ruleset(path, operators=operators)
            except RulesetError:
                continue  # not a valid ruleset (e.g. a test suite): not a candidate
            self.found.setdefault((ruleset.id, ruleset.version), []).append(ruleset)

    def find(self, rid: str, version: str, fingerprint: str) -> tuple[Any, str]:
        """The ruleset with this id and version, preferring the recorded fingerprint.

        Returns (ruleset or None, problem): problem is '' when the fingerprint matches.
        """
        from rulewright.core.model.diagnostics import RulesetError
        from rulewright.core.model.loader import load_ruleset

        key = (rid, version)
        if key not in self.found:
            try:
                bundled = load_ruleset(
                    f"{rid}@{version}",
                    operators=self.app.host.registry.items["operators"],
                    bundled_only=True,
                )
                self.found[key] = [bundled]
            except RulesetError:
                self.found[key] = []
        candidates = self.found[key]
        for ruleset in candidates:
            if ruleset.fingerprint == fingerprint:
                return ruleset, ""
        if candidates:
            now = candidates[0].fingerprint
            return candidates[0], f"ruleset {rid}@{version} has changed: recorded {fingerprint}, found {now}"
        return None, f"ruleset {rid}@{version} not found (bundled or under --rulesets)"

    def engine(self, ruleset: Any, id_field: str) -> Any:
        from rulewright.core.evaluate.engine import Engine

        if ruleset.fingerprint not in self.engines:
            self.engines[ruleset.fingerprint] = Engine(
                ruleset, host=self.app.host, id_field=id_field, record_input=True
            )
        return self.engines[ruleset.fingerprint]


@click.command("replay")
@click.argument("results", metavar="RESULTS")
@click.option(
    "--rulesets",
    "folder",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="A folder of ruleset files to look in, besides the bundled rulesets.",
)
@format_option(["jsonl", "text"], default="text", help="How to report records that differ.")
@id_field_option
@click.option("-q", "--quiet", is_flag=True, help="No summary line on stderr.")
@click.pass_obj
def replay(app: App, results: str, folder: str | None, fmt: str, id_field: str, quiet: bool) -> None:
    """Re-evaluate each result in RESULTS (JSON Lines from `rules evaluate --record-input`, or -)
    with the ruleset version and fingerprint it names, and report every record that would differ.

    Exit 0 when every record is reproduced exactly; 1 when any differs, its ruleset is missing
    or changed, or it is unreadable or not replayable; 2 when RESULTS holds no record.

    \b
    Examples:
      rules evaluate leg-pain@1.0.0 cases.jsonl --record-input -o results.jsonl
      rules replay results.jsonl
      rules replay results.jsonl --rulesets ./rulesets --format jsonl
    """
    sources = _Rulesets(app, folder)
    tally: Counter[str] = Counter()
    stream: IO[bytes]
    try:
        stream = sys.stdin.buffer if results == "-" else open(results, "rb")  # noqa: SIM115
    except OSError as exc:
        fail(f"cannot read {results}: {exc.strerror}")
    with stream if stream is not sys.stdin.buffer else contextlib.nullcontext(stream):
        for number, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            outcome, details = _replay_one(raw, sources, id_field)
            tally[outcome] += 1
            if outcome != "identical":
                _report(fmt, results, number, outcome, details)
    if not quiet:
        parts = ", ".join(
            f"{k} {tally[k]}" for k in ("identical", "differs", "ruleset", "not-replayable", "unreadable")
        )
        click.echo(f"rules: replayed {sum(tally.values())} records: {parts}", err=True)
    if not tally:
        fail("nothing to replay: record results with `rules evaluate --record-input`")
    if tally["identical"] < sum(tally.values()):  # any record unreadable, not replayable or differing
        if not tally["identical"] and tally["not-replayable"]:
            click.echo("rules: record results with `rules evaluate --record-input` to replay them", err=True)
        raise click.exceptions.Exit(exitcodes.FINDINGS)


def _replay_one(raw: bytes, sources: _Rulesets, id_field: str) -> tuple[str, dict[str, Any]]:
    """Classify one result line: identical, differs, ruleset, not-replayable or unreadable."""
    try:
        recorded = json.loads(raw)
        source = recorded["input"]
        ref = recorded["ruleset"]
        if not isinstance(source, dict):
            raise TypeError("'input' is not an object")
        rid, version, fingerprint = ref["id"], ref["version"], ref["fingerprint"]
        if not (_matches(rid, "id") and _matches(version, "version") and isinstance(fingerprint, str)):
            raise ValueError(f"not a ruleset id and version: {_short(rid)}, {_short(version)}")
    except (ValueError, TypeError, KeyError) as exc:
        return "unreadable", {"message": f"not a result record: {type(exc).__name__}: {exc}"}
    context = {"input": {k: v for k, v in source.items() if k != "record"}, "ruleset": ref}
    record = source.get("record")
    if not isinstance(record, dict):
        why = (
            "the input could not be read"
            if recorded.get("status") == "error"
            else "recorded without --record-input"
        )
        return "not-replayable", {**context, "message": f"no input record to replay ({why})"}
    ruleset, problem = sources.find(rid, version, fingerprint)
    if problem:
        return "ruleset", {**context, "message": problem}
    engine = sources.engine(ruleset, id_field)
    # Both sides as JSON text reads back, compared with their JSON types (`1 == True` in Python).
    again = json.loads(engine.evaluate(record, line=source.get("line"), row=source.get("row")).to_json())
    differences = {
        key: {"recorded": recorded.get(key), "replayed": again[key]}
        for key in COMPARED
        if _typed(recorded.get(key)) != _typed(again[key])
    }
    if not differences:
        return "identical", {}
    engine_then = recorded.get("engine", {})
    return "differs", {
        **context,
        "differences": differences,
        "engine": {"recorded": engine_then, "replayed": again["engine"]},
    }


def _matches(value: Any, field: str) -> bool:
    """`value` is a ruleset `id` or `version` as the ruleset schema's pattern defines it."""
    from rulewright.core.model.schemas import schema

    return (
        isinstance(value, str)
        and re.search(schema("ruleset")["properties"][field]["pattern"], value) is not None
    )


def _typed(value: Any) -> Any:
    """`value` with each scalar tagged by its JSON type, so `1`, `1.0`, `true` and `"1"` differ
    only where JSON says they do (`1` and `1.0` are the same number)."""
    if isinstance(value, dict):
        return ("object", {k: _typed(v) for k, v in value.items()})
    if isinstance(value, list):
        return ("array", [_typed(v) for v in value])
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return ("string", value)


def _report(fmt: str, results: str, number: int, outcome: str, details: dict[str, Any]) -> None:
    if fmt == "jsonl":
        click.echo(json.dumps({"line": number, "result": outcome, **details}, ensure_ascii=False))
        return
    where = f"{Path(results).name if results != '-' else '<stdin>'}:{number}"
    if outcome == "differs":
        changes = "; ".join(
            f"{key}: recorded {_short(d['recorded'])}, replayed {_short(d['replayed'])}"
            for key, d in details["differences"].items()
        )
        click.echo(f"{where}: differs: {changes}")
    else:
        click.echo(f"{where}: {outcome}: {details['message']}")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 120 else text[:117] + "..."
