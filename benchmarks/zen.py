"""The peer: GoRules zen-engine (Rust, from its PyPI wheel) running the same decision as a JDM graph.

`leg_pain_1_0_0.jdm.json` encodes leg-pain 1.0.0: an expression node computes the low and high
bound of `nerve_signs` (an unanswered item may or may not count), a first-hit table picks the
outcome (or `undetermined` when the bounds straddle the threshold), and a second table screens
the bladder/bowel red flag (`not_screened` when unanswered). zen writes only its own small
result; it does not type-check answers, so agreement is checked on well-formed records only.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import zen

JDM = Path(__file__).with_name("leg_pain_1_0_0.jdm.json")


def decision() -> Any:
    return zen.ZenEngine().create_decision(JDM.read_text("utf-8"))


def run(source: BinaryIO, sink: BinaryIO) -> int:
    """JSON Lines in, one zen result line out per record (an error line for a malformed one)."""
    evaluate = decision().evaluate
    dumps, newline, write = orjson.dumps, orjson.OPT_APPEND_NEWLINE, sink.write
    count = 0
    for line, raw in enumerate(source, 1):
        if not raw.strip():
            continue
        try:
            # zen takes the raw JSON text itself: its fastest path, parsed in Rust.
            out = evaluate(raw)["result"]
        except Exception as exc:
            out = {"line": line, "error": str(exc)}
        write(dumps(out, option=newline))
        count += 1
    return count


def evaluate_all(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """In memory: one zen result per record."""
    evaluate = decision().evaluate
    return [evaluate(r)["result"] for r in records]


def agrees(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Does zen's small result say what our result record says?"""
    outcome = ours["outcome"]["id"] if ours["outcome"] else None
    flags = [f["id"] for f in ours["red_flags"]]
    return (
        theirs.get("outcome") == outcome
        and theirs.get("status") == ours["status"]
        and theirs.get("urgency") == ours["urgency"]
        and ([theirs["red_flag"]] if theirs.get("red_flag") else []) == flags
        and ([theirs["not_screened"]] if theirs.get("not_screened") else []) == ours["not_screened"]
    )


def run_batched(source: BinaryIO, sink: BinaryIO, size: int = 100) -> int:
    """As `run`, through zen's `evaluate_batch` (its fastest Python entry point) in small batches."""
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"d": orjson.loads(JDM.read_bytes())}}})
    dumps, newline, write = orjson.dumps, orjson.OPT_APPEND_NEWLINE, sink.write
    count = 0
    batch: list[tuple[int, Any]] = []  # (line, parsed object), or (line, error text) for a bad line

    def flush() -> None:
        good = [data for _, data in batch if type(data) is dict]
        answers = iter(engine.evaluate_batch([{"key": "d", "context": data} for data in good]))
        for line, data in batch:
            if type(data) is not dict:
                write(dumps({"line": line, "error": str(data)}, option=newline))
                continue
            answer = next(answers)
            out = answer["data"]["result"] if answer.get("success") else {"line": line, "error": str(answer)}
            write(dumps(out, option=newline))
        batch.clear()

    for line, raw in enumerate(source, 1):
        if not raw.strip():
            continue
        try:
            batch.append((line, orjson.loads(raw)))
        except ValueError as exc:
            batch.append((line, exc))
        count += 1
        if len(batch) == size:
            flush()
    if batch:
        flush()
    return count


def evaluate_all_batched(records: list[dict[str, Any]], size: int = 100) -> int:
    """In memory, through `evaluate_batch` in batches of `size`; returns how many were evaluated."""
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"d": orjson.loads(JDM.read_bytes())}}})
    done = 0
    for i in range(0, len(records), size):
        done += len(engine.evaluate_batch([{"key": "d", "context": r} for r in records[i : i + size]]))
    return done


if __name__ == "__main__":
    import sys

    mode, source_path, target_path = sys.argv[1:4]
    with open(source_path, "rb") as src, open(target_path, "wb") as dst:
        (run_batched if mode == "batch" else run)(src, dst)
