"""Every hook rulewright calls, grouped by when it is called. These docstrings are the reference.

Implement a hook with `@rulewright.core.hookimpl` in a module or object registered under the
`rulewright` entry-point group. Registration hooks receive a `register(name, thing)` callback;
registering a name twice fails loudly and names both plugins.

Per-evaluation hooks are called once per implementation, in plugin order, and each call is
isolated: an exception or a malformed return value turns *that case* into an `error` result that
names the plugin and still carries every red flag the core found. No hook can remove a red flag
or lower urgency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("rulewright")

Register = Callable[[str, Any], None]

# --- registration: called once when an Engine or the CLI builds its plugin registry ----------


@hookspec
def rulewright_register_operators(register: Register) -> None:
    """Register condition operators: `register("starts_with", fn)`.

    `fn(answer, value) -> bool` is called only with an answered fact (a missing answer makes the
    condition unknown without calling it). Rulesets use it as `{fact: x, op: starts_with, value: v}`.
    Analysis treats plugin operators as opaque, so prefer the built-in comparisons.
    """


@hookspec
def rulewright_register_scorers(register: Register) -> None:
    """Register scorers: `register("weighted-sum", scorer)`.

    A ruleset names its scorer with `scoring:` (default `weighted-sum`). `scorer.compile(ruleset,
    compiler)` is called once per Engine and returns `fn(env, contributions)`, which sets
    `env[score_id]` for every score (a number, a `(low, high)` interval, or None) and, when
    `contributions` is a list (under `--explain`), appends one dict per score item:
    `{"score", "item", "matched", "points"}`. `compiler` is a `rulewright.core.Compiler`.
    """


@hookspec
def rulewright_register_formats(register: Register) -> None:
    """Register output formats: `register("jsonl", factory)`.

    `factory(stream, options) -> writer`, where `stream` is a text stream and `options` a
    `rulewright.core.FormatOptions`; the writer has `write(result)` (a `Result`) and `close()`.
    A factory with `concatenable = True` promises that the output of a writer made first (over
    no results) followed by the outputs of writers made with `options.continued` over
    consecutive runs of results equals one writer's output: a header only when not `continued`,
    and no separators. `--jobs` workers then render their chunks themselves. A writer with `write_json(data)`
    accepts records already rendered as `Result.to_json` renders them (UTF-8 JSON Lines, one or
    more whole lines): the fast lane of `rules evaluate` writes cached decisions that way
    (`rulewright.core.ConcatenableFormat`, `RenderedJsonWriter`). The CLI selects a format with
    `rules evaluate --format NAME`.
    """


@hookspec
def rulewright_register_input_adapters(register: Register) -> None:
    """Register input adapters: `register("csv", adapter)`.

    `adapter.extensions` lists the file suffixes it claims (e.g. `(".csv",)`);
    `adapter.read(stream, ruleset, options) -> Iterator[InputRecord]` reads a binary stream and
    yields one `InputRecord` per record, an unparseable record as an `InputRecord` with `error`
    set, so nothing is dropped.

    Optional, for `rules evaluate --jobs`: `adapter.split(stream, ruleset, options, size_kib)`
    yields picklable chunks of raw input of about `size_kib` KiB cut at record boundaries, and
    `adapter.read_chunk(chunk, ruleset, options)` reads one chunk in a worker process (line
    numbers continuing from where the chunk starts). Without them the main process reads the
    records and hands them to the workers. With them and `adapter.span(fd, offset, size,
    options) -> (bytes covered, data)`, which reads with `os.pread` the whole records of a
    regular file from byte `offset` (a record's start), about `size` bytes of them but at least
    one record (data None for a record too long to read, `(0, b"")` at the end), forked workers
    take their chunks from the file themselves, one after another, and pass `(first line, data)`
    to `read_chunk`, the first line counted from the newlines of the chunks before. With them
    and `adapter.plain_record(raw) -> dict | None` (the record on one raw line when reading it
    needs no further check, else None), the fast lane of `rules evaluate` answers lines whose
    answers were decided before without an `InputRecord`, and hands every other line to
    `read_chunk`. The three sets are named by `rulewright.core.ChunkedInput`, `SpannedInput`
    and `PlainLines` (`typing.Protocol`s; `rules evaluate` checks them with `isinstance`).
    """


@hookspec
def rulewright_register_commands(register: Register) -> None:
    """Register extra CLI commands: `register("name", click_command)`; `rules NAME` runs it."""


# --- per evaluation: called for every case ---------------------------------------------------


@hookspec
def rulewright_prepare_facts(ruleset: Any, record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Adjust a raw record before its answers are type-checked (e.g. rename keys, convert units).

    `ruleset` is the `Ruleset` being evaluated; `record` the case as read (answers by input id,
    plus the id field). Return a new mapping to use instead of `record`, or None to leave it
    unchanged. Must not mutate `record`.
    """


@hookspec
def rulewright_escalate(engine: Any, ruleset: Any, facts: Mapping[str, Any], result: Any) -> list[Any] | None:
    """Add escalations after the outcome is decided: return a list of `Escalation` (or dicts with
    `id`, `level`, `message` and optionally `action`), or None.

    Every implementation is called; each escalation is added to `result.red_flags` with the
    plugin's name as its `source`, and the highest level wins. An escalation can only raise
    urgency: a level below the current urgency is recorded but changes nothing. `facts` holds the
    checked answers and the scores; `ruleset` is the `Ruleset`; `result` (a `Result`, outcome
    decided) is read-only. `engine` is the calling `Engine` (its
    `compiler` compiles conditions; cache per engine, e.g. in a `weakref.WeakKeyDictionary`).
    """


@hookspec
def rulewright_evaluation_finished(ruleset: Any, result: Any) -> None:
    """Observe a finished result (audit, metrics): `result` is the final `Result` of one case of
    `ruleset` (a `Ruleset`). Read-only; the return value is ignored, and an exception here is
    recorded like any plugin failure."""


# --- authoring --------------------------------------------------------------------------------


@hookspec
def rulewright_validate_ruleset(ruleset: Any, report: Callable[..., None]) -> None:
    """Add lint findings to `rules validate`: `report(code, message, path=(...), severity="warning")`.

    `ruleset` is the `Ruleset` that passed the schema and semantic checks.
    `path` is a JSON path tuple into the ruleset document (e.g. `("outcomes", 0, "when")`), so
    the finding is printed at that node's file:line:col.
    """


# --- worker lifecycle: once in each process that evaluates records ----------------------------


@hookspec
def rulewright_worker_started() -> None:
    """Observe a process starting to evaluate records, before its first: the one process of
    `rules evaluate` (`--jobs 1`, `--answer`), or each worker process of `rules evaluate --jobs N`
    (forked from the main process on Linux, so a plugin's state is a copy there). Open a
    per-process resource here (a connection, a file); the return value is ignored, and an
    exception here stops the run."""


@hookspec
def rulewright_worker_stopping() -> None:
    """Observe a process that has evaluated its last record and is about to stop, once for each
    `rulewright_worker_started` in the same process: after the last record of `rules evaluate`,
    and in each `--jobs` worker as the pool shuts it down (worker processes leave through
    `os._exit`, so `atexit` handlers never run there: flush and close per-process resources
    here). Not called in a worker that is killed or dies. The return value is ignored."""
