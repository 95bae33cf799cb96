"""An all-distinct workload: leg-pain 2.0.0 cases with every answer drawn at random.

`python -m benchmarks.distinct N PATH` writes N lines of JSON Lines (seeded: the same file byte
for byte each time). With 32 inputs, integers and numbers drawn from their whole declared range
and each answer missing 10% of the time, no two cases share their answers, so the decision
cache never hits and every case is decided in full: the price of the engine's hot path itself,
which the repetitive leg-pain 1.0.0 workload (`benchmarks.data`) hides.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from typing import Any

import orjson

from rulewright.core import Ruleset, load_ruleset

MISSING = 0.1


def answer(rng: random.Random, decl: Any) -> Any:
    if decl.type == "boolean":
        return rng.random() < 0.5
    if decl.type == "enum":
        return rng.choice(decl.values)
    if decl.type == "set":
        return sorted(v for v in decl.values if rng.random() < 0.3)
    low = decl.minimum if decl.minimum is not None else 0
    high = decl.maximum if decl.maximum is not None else 100
    if decl.type == "integer":
        return rng.randint(int(low), int(high))
    return round(rng.uniform(low, high), 2)


def records(ruleset: Ruleset, count: int, seed: int = 19) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for n in range(count):
        record: dict[str, Any] = {"id": f"d-{n:07d}"}
        for decl in ruleset.inputs:
            if rng.random() >= MISSING:
                record[decl.id] = answer(rng, decl)
        yield record


def write(path: str, count: int, seed: int = 19) -> None:
    ruleset = load_ruleset("leg-pain@2.0.0")
    with open(path, "wb") as out:
        for record in records(ruleset, count, seed):
            out.write(orjson.dumps(record) + b"\n")


if __name__ == "__main__":
    write(sys.argv[2], int(sys.argv[1]))
