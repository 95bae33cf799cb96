"""`rules evaluate RULESET [INPUT]`: evaluate cases and write one result record per input record."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

import click

from rulewright.core.cli import exitcodes
from rulewright.core.cli.app import App, fail, stdout_is_terminal
from rulewright.core.cli.batch import Tally, WriterFailed, write_all
from rulewright.core.cli.lane import Lane
from rulewright.core.cli.options import explain_option, id_field_option
from rulewright.core.cli.progress import Progress, wanted
from rulewright.core.cli.sink import Sink
from rulewright.core.evaluate.records import InputRecord, ReadOptions
from rulewright.core.evaluate.result import Result
from rulewright.core.evaluate.writers import FormatOptions
from rulewright.core.model.ruleset import LEVEL_RANK, Ruleset


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
    help="Output format: jsonl, json, csv, table, text, markdown, fhir, cds-hooks or one a plugin "
    "adds. Default on a terminal: table for INPUT, text for --answer; else jsonl.",
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
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes (0: one per CPU). Records are still written in input order.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr. Default: only when stderr is a terminal.",
)
@click.option(
    "--max-line-bytes",
    type=click.IntRange(min=1),
    default=ReadOptions.max_line_bytes,
    show_default=True,
    help="A longer input line becomes a line_too_long error record (memory stays bounded).",
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
    jobs: int,
    progress: bool | None,
    max_line_bytes: int,
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
    from rulewright.core.evaluate.engine import Engine, EngineError

    if answers and input_path:
        fail("give either INPUT or --answer, not both")
    if not answers and input_path is None:
        if sys.stdin.isatty():
            fail("nothing to evaluate: give INPUT (a file or -) or --answer KEY=VALUE")
        input_path = "-"
    model = app.load(ruleset)
    try:
        engine = Engine(model, host=app.host, id_field=id_field, record_input=record_input)
    except EngineError as exc:
        fail(str(exc))
    if fmt is None:  # people at a terminal: one case as a block, a batch as a table
        fmt = ("text" if answers else "table") if output is None and stdout_is_terminal() else "jsonl"
    batch = _Batch(app, ruleset, engine, fmt)
    link_ids = _link_map(link_map, model) if link_map else None
    batch.read_options = ReadOptions(id_field=id_field, max_line_bytes=max_line_bytes, link_ids=link_ids)
    batch.explain, batch.stop, batch.jobs = explain, on_error == "fail", jobs or os.cpu_count() or 1
    if answers:
        tally = batch.write(output, iter([_answers_record(model, answers)]), None, progress)
    else:
        assert input_path is not None
        tally = batch.write(output, None, (input_path, input_format), progress)
    at_least = LEVEL_RANK[fail_on] if fail_on else None
    reached = sum(n for u, n in tally.urgency.items() if at_least is not None and LEVEL_RANK[u] >= at_least)
    if not quiet and not answers:
        note = f"; --fail-on {fail_on} reached by {reached} record{'s' * (reached != 1)}" if reached else ""
        click.echo(tally.summary() + note, err=True)
    if code := exitcodes.for_batch(tally.status["error"], reached):  # --fail-on wins over error records
        raise click.exceptions.Exit(code)


class _Batch:
    """One `rules evaluate` run: where its records come from, how they travel, where they go.

    A record takes one of three routes: with `--jobs` above 1, worker processes (workers.py);
    JSON Lines in and out with decisions to reuse, the fast lane (lane.py); else the general
    path, `Engine.evaluate_batch` into the format's writer. Each writes the same bytes."""

    explain = stop = False
    jobs = 1
    read_options = ReadOptions()

    def __init__(self, app: App, ruleset: str, engine: Any, fmt: str) -> None:
        self.app, self.ruleset, self.engine, self.fmt = app, ruleset, engine, fmt
        formats = app.host.registry.items["formats"]
        if fmt not in formats:
            fail(f"unknown output format {fmt!r}; available: {', '.join(sorted(formats))}")
        self.factory = formats[fmt]
        self.owner = app.host.registry.owners["formats"][fmt]
        self.who = f"output format {fmt!r} from plugin {self.owner!r}"

    def write(
        self,
        output: str | None,
        answered: Iterator[InputRecord] | None,
        reading: tuple[str, str] | None,
        progress: bool | None,
    ) -> Tally:
        """Evaluate every record into `output`: the `--answer` case, or INPUT read in `reading`'s format."""
        tally, source = Tally(), None
        color = self.fmt in ("text", "table") and output is None and stdout_is_terminal()
        color = color and "NO_COLOR" not in os.environ
        options = FormatOptions(explain=self.explain, color=color, ruleset=self.engine.ruleset)
        try:
            with Sink(output, reads=reading[0] if reading is not None else None) as stream:
                writer = _plugin_call(self.factory, self.who, stream, options)
                # Opened only once the writer exists, so a writer that fails to start leaves no file open.
                if reading is not None:
                    source = _open(self.app, *reading)
                with Progress(source is not None and wanted(progress), "evaluating") as bar:
                    done = self._route(source, answered, stream, writer, tally, bar)
                tally.blank_lines += self.read_options.blank_lines
                if not done:
                    stream.abandon()
                    # Exit 2, not 1: the run stopped, so its output is not complete.
                    fail(f"line {tally.first_error}: {tally.first_error_message} (--on-error fail); stopping")
                _plugin_call(writer.close, self.who)
        except WriterFailed as exc:
            fail(str(exc))
        except BrokenPipeError:
            raise  # a closed stdout (`| head`): main() ends quietly
        except OSError as exc:  # a full disk, an I/O error: no traceback, and no partial --output left
            where = f" ({exc.filename})" if exc.filename else ""
            fail(f"{exc.strerror or exc}{where}; stopping, the output is incomplete")
        finally:
            if source is not None:
                source.close()
        return tally

    def _route(
        self, source: _Source | None, answered: Any, stream: Sink, writer: Any, tally: Tally, bar: Progress
    ) -> bool:
        """Send the records the way that suits them; False if stopped at an error (`--on-error fail`)."""
        if source is not None and self.jobs > 1:
            return self._in_workers(source, stream, writer, tally, bar)
        # This process evaluates the records: it is the one worker of `--jobs 1`.
        hook = self.engine.host.pm.hook
        hook.rulewright_worker_started()
        try:
            if source is not None and Lane.fits(self.engine, source.adapter, writer, explain=self.explain):
                args = (self.engine, source.adapter, writer, self.read_options, tally, self.fmt, self.owner)
                lane = Lane(*args, stop_on_error=self.stop)
                return _run_lane(lane, source, stream, bar, interactive=source.stream is sys.stdin.buffer)
            if source is not None:
                answered = _records(self.app, source, self.engine.ruleset, self.read_options)
            records = answered
            results = bar.counted(self.engine.evaluate_batch(records, explain=self.explain))
            if source is not None and source.stream is sys.stdin.buffer:
                results = _flushed(results, stream)
            return write_all(results, writer, self.fmt, self.owner, tally, stop_on_error=self.stop)
        finally:
            hook.rulewright_worker_stopping()

    def _in_workers(self, source: _Source, stream: Sink, writer: Any, tally: Tally, bar: Progress) -> bool:
        # Imported here: one process never needs the workers' machinery (multiprocessing,
        # pickling), and a start that imports it loses milliseconds.
        from rulewright.core.cli import workers

        options = self.read_options
        job = workers.Job(
            self.ruleset, self.fmt, source.format, self.explain, self.stop, options, self.engine.record_input
        )
        worker = workers.Worker(job, self.engine, self.app.host)
        # An input adapter or format may fail in a worker or while the input is split.
        with _stopping_loudly(f"--jobs {self.jobs}", "evaluated"):
            return workers.run(job, worker, source.stream, stream, writer, tally, self.jobs, bar.update)


def _flushed(results: Iterator[Result], stream: Sink) -> Iterator[Result]:
    """From stdin, each record's output is flushed before the next is read (interactive pipes)."""
    for result in results:
        yield result
        stream.flush()


def _link_map(path: str, model: Ruleset) -> dict[str, str]:
    """Read a `--link-map` side file: a mapping of declared input ids to linkId strings."""
    from rulewright.core.model.diagnostics import RulesetError
    from rulewright.core.model.files import read_bounded
    from rulewright.core.model.yamlload import load_yaml

    try:  # size-checked before it is read, as a ruleset is: a device or a 1 GB file is refused
        data = load_yaml(read_bounded(path, "--link-map"), path).data
    except RulesetError as exc:
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
    from rulewright.core.evaluate.answers import from_text

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


class _Source:
    """The input stream and the adapter that reads it."""

    def __init__(self, stream: BinaryIO, name: str, adapter: Any) -> None:
        self.stream = stream
        self.format = name
        self.adapter = adapter

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()


def _open(app: App, path: str, input_format: str) -> _Source:
    adapters = app.host.registry.items["input_adapters"]
    name = input_format
    if name != "auto" and name not in adapters:
        fail(f"unknown input format {name!r}; available: {', '.join(sorted(adapters))}")
    stream: BinaryIO
    if path == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed by _Source.close
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}")
    if name == "auto":
        name = _detect(adapters, path, stream)
    if name not in adapters:
        fail(f"unknown input format {name!r}; available: {', '.join(sorted(adapters))}")
    return _Source(stream, name, adapters[name])


def _records(app: App, source: _Source, model: Ruleset, options: ReadOptions) -> Iterator[InputRecord]:
    owner = app.host.registry.owners["input_adapters"][source.format]
    count = 0
    try:
        for item in source.adapter.read(source.stream, model, options):
            count += 1
            yield item
    except Exception as exc:
        # The rest of the input cannot be read: stop loudly (an `--output` file is not written).
        fail(
            f"input format {source.format!r} from plugin {owner!r} failed after {count} record(s): "
            f"{type(exc).__name__}: {exc}; stopping, the rest of the input was not read"
        )


def _run_lane(lane: Lane, source: _Source, stream: Sink, bar: Progress, *, interactive: bool) -> bool:
    """JSON Lines through the fast lane (lane.py); from stdin, each piece read is answered at once."""

    def after_block(count: int) -> None:
        if interactive:
            stream.flush()
        bar.update(count)

    with _stopping_loudly(f"input format {source.format!r} failed", "read"):
        stream_in = cast(BinaryIO, _Eager(source.stream)) if interactive else source.stream
        return lane.run(stream_in, after_block=after_block)


@contextmanager
def _stopping_loudly(who: str, rest: str) -> Iterator[None]:
    """A plugin failing mid-batch stops the run, naming it; the output's own errors pass."""
    try:
        yield
    except (OSError, WriterFailed, click.exceptions.Exit):
        raise
    except Exception as exc:
        fail(f"{who}: {type(exc).__name__}: {exc}; stopping, the rest of the input was not {rest}")


class _Eager:
    """A stream whose reads return what has arrived rather than wait for a full block (a pipe
    fed one case at a time is answered case by case)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.read = getattr(stream, "read1", stream.read)


def _detect(adapters: dict[str, Any], path: str, stream: BinaryIO) -> str:
    suffix = Path(path).suffix.lower()
    for name, adapter in adapters.items():
        if suffix and suffix in getattr(adapter, "extensions", ()):
            return str(name)
    # No telling extension (stdin): a first non-blank byte of `[` means a JSON array; a first
    # line an adapter recognises as its own (`sniff`: a CSV header) means that format;
    # otherwise JSON Lines.
    peek = getattr(stream, "peek", None)
    head = peek(64 * 1024) if peek else b""
    if head.lstrip()[:1] == b"[":
        return "json"
    return next((str(n) for n, a in adapters.items() if hasattr(a, "sniff") and a.sniff(head)), "jsonl")


def _plugin_call(fn: Any, who: str, *args: Any) -> Any:
    """Call a format plugin outside the per-record path; if it fails, stop loudly naming it."""
    try:
        return fn(*args)
    except Exception as exc:
        fail(f"{who} failed: {type(exc).__name__}: {exc}; stopping")
