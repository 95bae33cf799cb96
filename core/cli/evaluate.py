"""`rules evaluate RULESET [INPUT]`: evaluate cases and write one result record per input record."""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App, fail, stdout_is_terminal
from rulewright.core.cli.options import explain_option, id_field_option
from rulewright.core.model import LEVEL_RANK, Ruleset
from rulewright.core.records import InputRecord, ReadOptions
from rulewright.core.result import ErrorInfo, Result
from rulewright.core.writers import FormatOptions


@click.command("evaluate")
@click.argument("ruleset")
@click.argument("input_path", metavar="[INPUT]", required=False)
@click.option(
    "-a",
    "--answer",
    "answers",
    multiple=True,
    metavar="KEY=VALUE",
    help="One answer for a single case; repeat for each question. Typed by the ruleset.",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="NAME",
    help="Output format: jsonl, json, text, markdown, fhir, cds-hooks or one a plugin adds. "
    "Default: text on a terminal, else jsonl.",
)
@click.option(
    "--input-format",
    default="auto",
    show_default=True,
    metavar="NAME",
    help="Input format: auto (from the extension, or sniffed), jsonl, json, csv, or one a plugin adds.",
)
@click.option(
    "--on-error",
    type=click.Choice(["record", "fail"]),
    default="record",
    show_default=True,
    help="A bad record becomes an error record in place, or stops the run.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write results to this file, atomically (complete or not at all).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["review", "urgent", "emergency"]),
    default=None,
    help="Exit 3 if any record reaches this urgency (off by default: urgency is data).",
)
@click.option(
    "--link-map",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="YAML/JSON mapping of input id -> FHIR linkId for --input-format fhir-qr "
    "(overrides the ruleset's fhir.link_ids).",
)
@click.option(
    "--record-input",
    is_flag=True,
    help="Copy each input record into its result (`input.record`), so `rules replay` can reproduce it.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary line on stderr.")
@explain_option
@id_field_option
@click.pass_obj
def evaluate(
    app: App,
    ruleset: str,
    input_path: str | None,
    answers: tuple[str, ...],
    fmt: str | None,
    input_format: str,
    on_error: str,
    output: str | None,
    fail_on: str | None,
    link_map: str | None,
    record_input: bool,
    quiet: bool,
    explain: bool,
    id_field: str,
) -> None:
    """Evaluate RULESET (a bundled id such as `leg-pain` or `leg-pain@1.0.0`, or a path) on INPUT.

    INPUT is a JSON Lines, JSON (one object or an array) or CSV file, or `-` for stdin. Every
    input record yields exactly one result record, in order; a record that cannot be read or
    has a bad answer becomes a record with `status: error`.

    \b
    Examples:
      rules evaluate leg-pain --answer pain_quality=burning --answer pain_pattern=follows_path
      rules evaluate leg-pain@1.0.0 cases.jsonl > results.jsonl
    """
    from rulewright.core.engine import Engine, EngineError

    if answers and input_path:
        fail("give either INPUT or --answer, not both")
    if not answers and input_path is None:
        if sys.stdin.isatty():
            fail("nothing to evaluate: give INPUT (a file or -) or --answer KEY=VALUE")
        input_path = "-"
    model = app.load(ruleset)
    host = app.host
    try:
        engine = Engine(model, host=host, id_field=id_field, record_input=record_input)
    except EngineError as exc:
        fail(str(exc))
    fmt = fmt or ("text" if output is None and stdout_is_terminal() else "jsonl")
    formats = host.registry.items["formats"]
    if fmt not in formats:
        fail(f"unknown output format {fmt!r}; available: {', '.join(sorted(formats))}")
    read_options = ReadOptions(id_field=id_field, link_ids=_link_map(link_map, model) if link_map else None)
    color = fmt == "text" and output is None and stdout_is_terminal() and "NO_COLOR" not in os.environ
    options = FormatOptions(explain=explain, color=color, ruleset=model)
    owner = host.registry.owners["formats"][fmt]
    with _Sink(output) as stream:
        writer = _plugin_call(formats[fmt], f"output format {fmt!r} from plugin {owner!r}", stream, options)
        # Opened only once the writer exists, so a writer that fails to start leaves no file open.
        if answers:
            records: Iterator[InputRecord] = iter([_answers_record(model, answers)])
        else:
            assert input_path is not None
            records = _read(app, model, input_path, input_format, read_options)
        tally = _Tally()
        flush_each = input_path == "-"
        for result in engine.evaluate_batch(records, explain=explain):
            _write(writer, result, fmt, owner)
            if flush_each:
                stream.flush()
            tally.add(result)
            if on_error == "fail" and result.status == "error" and result.error is not None:
                writer.close()
                stream.abandon()
                fail(f"line {result.line}: {result.error.message} (--on-error fail)", exitcodes.FINDINGS)
        _plugin_call(writer.close, f"output format {fmt!r} from plugin {owner!r}")
    if not quiet and not answers:
        click.echo(tally.summary(read_options.blank_lines), err=True)
    if fail_on and tally.max_rank >= LEVEL_RANK[fail_on]:
        raise click.exceptions.Exit(exitcodes.FAIL_ON)
    if tally.status["error"]:
        raise click.exceptions.Exit(exitcodes.FINDINGS)


def _link_map(path: str, model: Ruleset) -> dict[str, str]:
    """Read a `--link-map` side file: a mapping of declared input ids to linkId strings."""
    from rulewright.core.diagnostics import RulesetError
    from rulewright.core.yamlload import load_yaml

    try:
        with open(path, "rb") as f:
            data = load_yaml(f.read(), path).data
    except (OSError, RulesetError) as exc:
        fail(f"cannot read --link-map {path}: {exc}")
    if not isinstance(data, dict) or not all(isinstance(v, str) and v for v in data.values()):
        fail(f"--link-map {path}: expected a mapping of input id to linkId (text)")
    unknown = sorted(k for k in data if model.input(k) is None)
    if unknown:
        fail(f"--link-map {path}: {', '.join(map(repr, unknown))} not an input of {model.ref}")
    links = {decl.id: data.get(decl.id, model.fhir.link_id(decl.id)) for decl in model.inputs}
    if len(set(links.values())) != len(links):
        fail(f"--link-map {path}: two inputs map to the same linkId")
    return {str(k): v for k, v in data.items()}


def _answers_record(model: Ruleset, answers: tuple[str, ...]) -> InputRecord:
    from rulewright.core.answers import from_text

    record: dict[str, Any] = {}
    for item in answers:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            fail(f"--answer takes KEY=VALUE, got {item!r}")
        if key in record:
            fail(f"--answer {key} is given twice")
        record[key] = from_text(model.input(key), text.strip(), set_separator=",")
    return InputRecord(None, record)


def _read(
    app: App, model: Ruleset, path: str, input_format: str, options: ReadOptions
) -> Iterator[InputRecord]:
    adapters = app.host.registry.items["input_adapters"]
    stream: BinaryIO
    if path == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed by the generator below
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}")
    name = input_format
    if name == "auto":
        name = _detect(adapters, path, stream)
    if name not in adapters:
        fail(f"unknown input format {name!r}; available: {', '.join(sorted(adapters))}")
    adapter = adapters[name]
    owner = app.host.registry.owners["input_adapters"][name]

    def records() -> Iterator[InputRecord]:
        count = 0
        try:
            for item in adapter.read(stream, model, options):
                count += 1
                yield item
        except Exception as exc:
            # The rest of the input cannot be read: stop loudly (an `--output` file is not written).
            fail(
                f"input format {name!r} from plugin {owner!r} failed after {count} record(s): "
                f"{type(exc).__name__}: {exc}; stopping, the rest of the input was not read"
            )
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()

    return records()


def _detect(adapters: dict[str, Any], path: str, stream: BinaryIO) -> str:
    suffix = Path(path).suffix.lower()
    for name, adapter in adapters.items():
        if suffix and suffix in getattr(adapter, "extensions", ()):
            return str(name)
    # No telling extension: a first non-blank byte of `[` means a JSON array; otherwise JSON Lines.
    peek = getattr(stream, "peek", None)
    head = peek(64).lstrip()[:1] if peek else b""
    return "json" if head == b"[" else "jsonl"


def _plugin_call(fn: Any, who: str, *args: Any) -> Any:
    """Call a format plugin outside the per-record path; if it fails, stop loudly naming it."""
    try:
        return fn(*args)
    except Exception as exc:
        fail(f"{who} failed: {type(exc).__name__}: {exc}; stopping")


def _write(writer: Any, result: Result, fmt: str, owner: str) -> None:
    try:
        writer.write(result)
    except Exception as exc:  # a failing format plugin must not lose the record or its red flags
        result.status = "error"
        result.outcome = None
        result.error = ErrorInfo(
            "plugin_error", f"output format {fmt!r} from plugin {owner!r} failed: {type(exc).__name__}: {exc}"
        )
        try:
            writer.write(result)
        except Exception:
            fail(
                f"output format {fmt!r} from plugin {owner!r} failed twice at line {result.line}; "
                "stopping so no record is lost silently"
            )


class _Tally:
    def __init__(self) -> None:
        self.count = 0
        self.status: Counter[str] = Counter()
        self.urgency: Counter[str] = Counter()
        self.first_error: int | None = None
        self.max_rank = 0

    def add(self, result: Result) -> None:
        self.count += 1
        self.status[result.status] += 1
        self.urgency[result.urgency] += 1
        self.max_rank = max(self.max_rank, LEVEL_RANK[result.urgency])
        if result.status == "error" and self.first_error is None:
            self.first_error = result.line

    def summary(self, blank: int) -> str:
        parts = [f"evaluated {self.count} record{'s' if self.count != 1 else ''}"]
        parts.append(", ".join(f"{s} {self.status[s]}" for s in ("ok", "undetermined", "error")))
        parts.append(
            "urgency "
            + ", ".join(f"{u} {self.urgency[u]}" for u in ("emergency", "urgent", "review", "routine"))
        )
        if blank:
            parts.append(f"{blank} blank line{'s' if blank != 1 else ''} skipped")
        if self.first_error is not None:
            parts.append(f"first error at line {self.first_error}")
        return "rules: " + "; ".join(parts)


class _Sink:
    """stdout, or a temporary file renamed over `--output` only when the run completes."""

    def __init__(self, output: str | None) -> None:
        self.output = output
        self.tmp: str | None = None
        self.stream: IO[str] = sys.stdout

    def __enter__(self) -> _Sink:
        if self.output:
            folder = os.path.dirname(os.path.abspath(self.output))
            fd, self.tmp = tempfile.mkstemp(prefix=".rules-", suffix=".partial", dir=folder)
            self.stream = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def abandon(self) -> None:
        if self.tmp:
            self.stream.close()
            os.unlink(self.tmp)
            self.tmp = None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self.tmp:
            return
        self.stream.close()
        if exc_type is None:
            os.replace(self.tmp, self.output)  # type: ignore[arg-type]
        else:
            os.unlink(self.tmp)
        self.tmp = None
