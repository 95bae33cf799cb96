"""Scale-out on Dask: evaluate JSON Lines files on a cluster with `dask.bag`, keeping every record.

    from rulewright.plugins.dask_bag import evaluate_jsonl

    if __name__ == "__main__":  # Dask's worker processes import this module again
        from distributed import Client
        with Client():
            evaluate_jsonl(["cases-1.jsonl", "cases-2.jsonl"], "out/", "leg-pain@1.0.0")

Each input file is one partition, so `input.line` in a result is the line in its own file, and
output part N holds the results of input file N, in order, one line per input line (blank
lines are skipped, as in `rules evaluate`). Each worker process builds the engine once and
reuses it. This module needs the `dask` extra (`pip install 'rulewright[dask]'`);
`rulewright.core` never imports Dask.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rulewright.core import Engine, ReadOptions, Result, load_ruleset, make_plugin_host

_engines: dict[tuple[str, str | None], Engine] = {}  # per worker process: built once, reused


def engine_for(ruleset: str, id_field: str | None = "id") -> Engine:
    """This process's engine for `ruleset` (a bundled id such as `leg-pain@1.0.0`, or a path)."""
    key = (ruleset, id_field)
    engine = _engines.get(key)
    if engine is None:
        host = make_plugin_host()
        model = load_ruleset(ruleset, operators=host.registry.items["operators"])
        engine = _engines[key] = Engine(model, host=host, id_field=id_field)
    return engine


def evaluate_lines(lines: Iterable[str], ruleset: str, id_field: str | None = "id") -> list[str]:
    """One partition of JSON Lines text -> its result lines (JSON, without newlines), in order."""
    engine = engine_for(ruleset, id_field)
    adapter = engine.host.registry.items["input_adapters"]["jsonl"]
    # Lines were decoded with surrogateescape: encoding them back restores the bytes exactly, so
    # a line that is not UTF-8 becomes the same `invalid_utf8` error record as in the CLI.
    data = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode(
        "utf-8", "surrogateescape"
    )
    records = adapter.read(io.BytesIO(data), engine.ruleset, ReadOptions(id_field=id_field))
    # Each result as `rules evaluate` writes it, one string per record: splitting a joined text
    # would also cut at the U+2028, U+2029 and U+0085 a JSON string may hold unescaped.
    return [result.to_json()[:-1].decode("utf-8") for result in engine.evaluate_batch(records)]


def evaluate_records(
    records: Iterable[Mapping[str, Any]], ruleset: str, id_field: str | None = "id"
) -> list[dict[str, Any]]:
    """One partition of records (mappings) -> their result records, in order."""
    results: Iterable[Result] = engine_for(ruleset, id_field).evaluate_batch(records)
    return [r.to_record() for r in results]


def evaluate_bag(bag: Any, ruleset: str, *, id_field: str | None = "id") -> Any:
    """A `dask.bag.Bag` of records (mappings) -> a bag of result records, partition by partition.

    `input.line` is the record's 1-based position in its partition.
    """
    return bag.map_partitions(evaluate_records, ruleset, id_field)


def evaluate_jsonl(
    paths: str | Sequence[str], output: str, ruleset: str, *, id_field: str | None = "id"
) -> list[str]:
    """Evaluate JSON Lines files (one partition each) and write `output/N.jsonl`; returns the names.

    Runs on the current Dask scheduler (a `distributed.Client` if one is active).
    """
    import dask.bag as db

    # One partition per file, so line numbers stay true; bytes that are not UTF-8 pass through.
    lines = db.read_text(paths, blocksize=None, errors="surrogateescape")  # type: ignore[no-untyped-call]
    results = lines.map_partitions(evaluate_lines, ruleset, id_field)
    names: list[str] = results.to_textfiles(f"{output.rstrip('/')}/*.jsonl", last_endline=True)
    return names
