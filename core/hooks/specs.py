"""Every hook rulewright calls, grouped by when it is called. These docstrings are the reference.

Implement a hook with `@rulewright.core.hookimpl` in a module or object registered under the
`rulewright` entry-point group. Registration hooks receive a `register(name, thing)` callback;
registering a name twice fails loudly and names both plugins.

Per-evaluation hooks are called once per implementation, in plugin order, and each call is
isolated: an exception or a malformed return value turns *that case* into an `error` result that
names the plugin and still carries every red flag the core found. No hook can remove a red flag
or lower urgency.

The parameters are typed; the types, and Protocols for what plugins register (`Operator`,
`Scorer`, the `Register...` callbacks), are exported from `rulewright.core`.
`rulewright.core.PLUGIN_API_VERSION` says which version of this API is installed
(docs/plugins/compatibility.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from rulewright.core.hooks.protocols import (
    RegisterCommand,
    RegisterFormat,
    RegisterInputAdapter,
    RegisterOperator,
    RegisterScorer,
    ReportFinding,
)
from rulewright.core.model.ruleset import Ruleset

if TYPE_CHECKING:  # annotations only: the engine and its results come from the stage above
    from rulewright.core.evaluate.engine import Engine
    from rulewright.core.evaluate.result import Escalation, Result

hookspec = pluggy.HookspecMarker("rulewright")

PLUGIN_API_VERSION = (1, 0)
"""(major, minor) of the hooks and types in this module: a minor release may add hooks,
parameters plugins need not take, and optional attributes; only a major one removes or changes
what a plugin relies on (docs/plugins/compatibility.md)."""

# --- registration: called once when an Engine or the CLI builds its plugin registry ----------


@hookspec
def rulewright_register_operators(register: RegisterOperator) -> None:
    """Register condition operators: `register("starts_with", fn)`.

    `fn(answer, value) -> bool | None` (an `Operator`) is called only with an answered fact (a
    missing answer makes the condition unknown without calling it); None means it cannot tell,
    which makes the condition unknown (a red flag it decides is reported as not screened, and
    urgency is at least review when every answer the flag reads is there). Any other return
    value (`"yes"`, `1`) or an exception is a `plugin_error` for that case, with the red flags
    the core found kept.
    Rulesets use it as `{fact: x, op: starts_with, value: v}`. Analysis treats plugin operators
    as opaque, so prefer the built-in comparisons.
    """


@hookspec
def rulewright_register_scorers(register: RegisterScorer) -> None:
    """Register scorers: `register("weighted-sum", scorer)`.

    A ruleset names its scorer with `scoring:` (default `weighted-sum`). `scorer.compile(ruleset,
    compiler)` is called once per Engine and returns `fn(env, contributions)`, which sets
    `env[score_id]` for every score (a number, a `(low, high)` interval, or None) and, when
    `contributions` is a list (under `--explain`), appends one dict per score item:
    `{"score", "item", "matched", "points"}`. `compiler` is a `rulewright.core.Compiler`.
    """


@hookspec
def rulewright_register_formats(register: RegisterFormat) -> None:
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
def rulewright_register_input_adapters(register: RegisterInputAdapter) -> None:
    """Register input adapters: `register("csv", adapter)`.

    `adapter.extensions` is a tuple of the file suffixes it claims (e.g. `(".csv",)`); a suffix
    another adapter claims (a built-in's too) fails loudly, naming both plugins;
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
    and `adapter.plain_record(raw, id_field) -> dict | None` (the record on one raw line when reading it
    needs no further check, else None), the fast lane of `rules evaluate` answers lines whose
    answers were decided before without an `InputRecord`, and hands every other line to
    `read_chunk`. The three sets are named by `rulewright.core.ChunkedInput`, `SpannedInput`
    and `PlainLines` (`typing.Protocol`s; `rules evaluate` checks them with `isinstance`).
    """


@hookspec
def rulewright_register_commands(register: RegisterCommand) -> None:
    """Register extra CLI commands: `register("name", click_command)`; `rules NAME` runs it.

    A name a built-in command has (`evaluate`, `validate`, ...) fails loudly, naming the plugin.
    """


# --- per evaluation: called for every case ---------------------------------------------------


@hookspec
def rulewright_prepare_facts(ruleset: Ruleset, record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Adjust a raw record before its answers are type-checked (e.g. rename keys, convert units).

    `ruleset` is the `Ruleset` being evaluated; `record` the case as read (answers by input id,
    plus the id field) as a read-only mapping: changing it in place raises, and the case becomes
    a `plugin_error`. Return a new mapping to use instead of `record`, or None to leave it
    unchanged; anything else is a `plugin_error`. Red flags are screened on the answers as given
    too, so a renaming or converting plugin can never make one disappear.
    """


@hookspec
def rulewright_escalate(
    engine: Engine, ruleset: Ruleset, facts: Mapping[str, Any], result: Result
) -> list[Escalation | Mapping[str, str]] | None:
    """Add escalations after the outcome is decided: return a list of `Escalation` (or dicts with
    `id`, `level`, `message` and optionally `action`), or None.

    Every implementation is called; each escalation is added to `result.red_flags` with the
    plugin's name as its `source`, and the highest level wins. An escalation can only raise
    urgency: a level below the current urgency is recorded but changes nothing. An escalation's
    `id` must be its own: an id the ruleset defines for a red flag, or one already in the result,
    is a `plugin_error`. The built-in escalation plugin (the ruleset's `escalations:`) runs first,
    whatever `tryfirst` says. `facts` (read-only) holds the checked answers and the scores;
    `ruleset` is the `Ruleset`; `result` (a `Result`, outcome decided) is immutable. `engine` is
    the calling `Engine` (its
    `compiler` compiles conditions; cache per engine, e.g. in a `weakref.WeakKeyDictionary`).
    """


@hookspec
def rulewright_evaluation_finished(ruleset: Ruleset, result: Result) -> None:
    """Observe a finished result (audit, metrics): `result` is the final `Result` of one case of
    `ruleset` (a `Ruleset`). The result is immutable (a named tuple: `result._replace(...)` gives a
    changed copy for your own use); the return value is ignored, and an exception here is
    recorded like any plugin failure.

    Every per-case hook fails the same way: the case becomes an error with code `plugin_error`
    naming the plugin, keeping the red flags and `not_screened` the core found and an urgency of
    at least review, and dropping the outcome, scores, missing and recommendations (the
    integrator guide, "A plugin failure has one shape"). Implementations may take fewer arguments than the
    spec, and `tryfirst`/`trylast` order holds; hook wrappers are refused when the plugin loads."""


# --- authoring --------------------------------------------------------------------------------


@hookspec
def rulewright_validate_ruleset(ruleset: Ruleset, report: ReportFinding) -> None:
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
