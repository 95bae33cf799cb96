"""Seeded synthetic leg-pain 1.0.0 cases: answers drawn at random, some missing, 1% malformed.

`python -m benchmarks.data N PATH` writes N lines of JSON Lines; the same seed gives the same
file byte for byte, so every engine in a run reads identical input.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from typing import Any

import orjson

QUALITIES = ["dull", "achy", "sore", "sharp", "burning", "tingling", "electric"]
PATTERNS = ["moves_around", "follows_path"]
MISSING = 0.1  # chance that any one answer is absent
MALFORMED = 0.01  # chance that a line is not a JSON object at all

# Malformed lines of the kinds pipelines actually see: truncation, bad bytes, wrong JSON type.
BAD_LINES = [b'{"id": "x", "pain_quality": "sharp"', b"\xff\xfe not utf-8", b"[1, 2, 3]", b"null", b"{oops}"]


def case(rng: random.Random, n: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": f"p-{n:07d}"}
    answers = {
        "pain_quality": rng.choice(QUALITIES),
        "pain_pattern": rng.choice(PATTERNS),
        "numbness_tingling_weakness": rng.random() < 0.5,
        "bladder_bowel_control": rng.random() < 0.03,
        "pain_severe": rng.random() < 0.3,
    }
    for key, value in answers.items():
        if rng.random() >= MISSING:
            record[key] = value
    return record


def records(count: int, seed: int = 6) -> Iterator[dict[str, Any]]:
    """Well-formed cases only (for the in-memory benchmark)."""
    rng = random.Random(seed)
    for n in range(1, count + 1):
        yield case(rng, n)


def lines(count: int, seed: int = 6) -> Iterator[bytes]:
    rng = random.Random(seed)
    for n in range(1, count + 1):
        if rng.random() < MALFORMED:
            yield rng.choice(BAD_LINES)
        else:
            yield orjson.dumps(case(rng, n))


def write(path: str, count: int, seed: int = 6) -> None:
    with open(path, "wb") as out:
        for line in lines(count, seed):
            out.write(line + b"\n")


if __name__ == "__main__":
    write(sys.argv[2], int(sys.argv[1]))
