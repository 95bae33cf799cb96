"""The floor: leg-pain 1.0.0 written by hand in plain Python, with the same I/O library (orjson).

It reads the same JSON Lines, decides the same way and writes the same result record as
`rules evaluate` (the agreement check in run.py compares them), so the ratio against it is
the price of the engine's generality. It is as fast as straightforward Python gets: constants
built once, no classes, one function per record.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson

QUALITY = frozenset({"dull", "achy", "sore", "sharp", "burning", "tingling", "electric"})
NERVE_QUALITY = frozenset({"sharp", "burning", "tingling", "electric"})
PATTERN = frozenset({"moves_around", "follows_path"})
BOOLEANS = ("numbness_tingling_weakness", "bladder_bowel_control", "pain_severe")
INPUTS = frozenset({"pain_quality", "pain_pattern", *BOOLEANS, "id"})
FLAG = {
    "id": "bladder_bowel",
    "level": "emergency",
    "message": "Difficulty controlling bladder or bowel can be a sign of cauda equina syndrome.",
    "action": "Seek emergency medical attention now.",
    "source": "ruleset",
}
NERVE = {"id": "nerve", "label": "Likely nerve pain", "confidence": "moderate"}
NERVE_RECS = [
    "Nerve-specific exercises, guided by a physiotherapist.",
    "Discuss pain relief with a prescriber; in severe cases a specialist may consider injections or surgery.",
]
MUSCLE = {"id": "muscle_joint", "label": "Likely muscle or joint pain", "confidence": "moderate"}
MUSCLE_RECS = ["Movement and exercises that improve mobility and strength."]
SCORE_INPUTS = ("numbness_tingling_weakness", "pain_pattern", "pain_quality")


def decide(data: Any, line: int, ruleset: dict[str, str], engine: dict[str, Any]) -> dict[str, Any]:
    """The result record for one parsed line."""
    record_id = data.get("id") if type(data) is dict else None
    out: dict[str, Any] = {
        "input": {"line": line, "id": record_id},
        "ruleset": ruleset,
        "status": "ok",
        "outcome": None,
        "urgency": "routine",
        "red_flags": [],
        "not_screened": [],
        "scores": {},
        "missing": [],
        "recommendations": [],
        "engine": engine,
        "error": None,
    }
    if type(data) is not dict:
        return _error(out, {}, "not_an_object", "a record must be a JSON object", None)
    problem = None
    for key in data:
        if key not in INPUTS:
            problem = ("unknown_input", f"unknown input {key!r}", key)
            break
    quality = data.get("pain_quality")
    pattern = data.get("pain_pattern")
    numb = data.get("numbness_tingling_weakness")
    bladder = data.get("bladder_bowel_control")
    severe = data.get("pain_severe")
    if quality is not None and (type(quality) is not str or quality not in QUALITY):
        problem = problem or ("invalid_answer", "pain_quality: not an allowed value", "pain_quality")
        quality = None
    if pattern is not None and (type(pattern) is not str or pattern not in PATTERN):
        problem = problem or ("invalid_answer", "pain_pattern: not an allowed value", "pain_pattern")
    for key, value in (
        ("numbness_tingling_weakness", numb),
        ("bladder_bowel_control", bladder),
        ("pain_severe", severe),
    ):
        if value is not None and value is not True and value is not False:
            problem = problem or ("invalid_answer", f"{key}: not a boolean", key)
            if key == "bladder_bowel_control":
                bladder = None
    if problem:
        return _error(out, {"bladder_bowel_control": bladder}, *problem)
    urgency = _screen(out, bladder)
    lo = hi = 0
    for value in (
        quality in NERVE_QUALITY if quality is not None else None,
        pattern == "follows_path" if pattern is not None else None,
        numb,
    ):
        if value is True:
            lo += 1
            hi += 1
        elif value is None:
            hi += 1
    out["scores"] = {"nerve_signs": lo if lo == hi else {"min": lo, "max": hi}}
    if lo >= 2:
        out["outcome"], out["recommendations"] = NERVE, NERVE_RECS
    elif hi <= 1:
        out["outcome"], out["recommendations"] = MUSCLE, MUSCLE_RECS
    else:
        out["status"] = "undetermined"
        answers = {"numbness_tingling_weakness": numb, "pain_pattern": pattern, "pain_quality": quality}
        out["missing"] = [k for k in SCORE_INPUTS if answers[k] is None]
    out["urgency"] = urgency
    return out


def _screen(out: dict[str, Any], bladder: Any) -> str:
    if bladder is True:
        out["red_flags"] = [FLAG]
        return "emergency"
    if bladder is None:
        out["not_screened"] = ["bladder_bowel"]
        return "review"
    return "routine"


def _error(out: dict[str, Any], facts: dict[str, Any], code: str, message: str, path: Any) -> dict[str, Any]:
    out["urgency"] = _screen(out, facts.get("bladder_bowel_control"))
    out["status"] = "error"
    out["error"] = {"code": code, "message": message, "path": path}
    return out


def run(source: BinaryIO, sink: BinaryIO, ruleset: dict[str, str], engine: dict[str, Any]) -> int:
    """Read JSON Lines from `source`, write one result line per record to `sink`."""
    loads, dumps, newline = orjson.loads, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    write = sink.write
    count = 0
    for line, raw in enumerate(source, 1):
        if not raw.strip():
            continue
        try:
            data = loads(raw)
        except ValueError as exc:
            record = decide(None, line, ruleset, engine)
            record["error"] = {"code": "invalid_json", "message": str(exc), "path": None}
        else:
            record = decide(data, line, ruleset, engine)
        write(dumps(record, option=newline))
        count += 1
    return count


def main(argv: list[str]) -> None:
    """`python -m benchmarks.floor IN OUT RULESET_JSON ENGINE_JSON` (the last two as run.py gives them)."""
    source, target, ruleset, engine = argv
    with open(source, "rb") as src, open(target, "wb") as out:
        run(src, out, orjson.loads(ruleset), orjson.loads(engine))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
