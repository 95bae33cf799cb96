"""The fast lane of `rules evaluate` (core/cli/lane.py) writes byte for byte what the general
path writes, with the same summary and exit code, on ordinary and hostile JSON Lines alike."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from benchmarks import data
from rulewright.core.cli import cli
from rulewright.core.cli.lane import LANE_ENV
from rulewright.core.evaluate.engine import Engine
from tests.corpus.manifest import CORPUS

RECORDS = CORPUS / "records"

# Lines the lane must hand to the general path, each next to ordinary ones.
AWKWARD = [
    b'{"id":"a","pain_quality":"dull","pain_pattern":"moves_around"}',
    b"",
    b"   \t",
    b'{"id":"crlf","pain_quality":"dull","pain_pattern":"moves_around"}\r',
    b'{"id":"spaced", "pain_quality" : "dull"}',
    b'{"id":"twice","pain_quality":"dull","pain_quality":"sharp"}',
    b'{"id":"twice-spaced","pain_quality":"dull","pain_quality" :"sharp"}',
    b'{"id":"twice-one-colon","pain_quality":"sharp","id":"x:y"}',
    b'{"id":{"nested":1},"pain_quality":"dull"}',
    b'{"id":"colon:in:id","pain_quality":"dull"}',
    b'{"id":[1,2],"pain_quality":"dull"}',
    b'{"id":7,"numbness_tingling_weakness":1}',
    b'{"id":8,"numbness_tingling_weakness":true,"bladder_bowel_control":true}',
    b'{"id":"unknown","pain_quality":"dull","colour":"red"}',
    b'{"id":"caf\xc3\xa9","pain_quality":"dull"}',
    b'{"id":"esc\\u00e9","pain_quality":"dull"}',
    b'{"id":"big","n":100000000000000000000000}',
    b"\xef\xbb\xbf" + b'{"id":"bom-not-first","pain_quality":"dull"}',
    b'{"id":"overlong","pain_quality":"' + b"x" * 300 + b'"}',
    b"[1,2]",
    b"null",
    b"{oops",
    b"\xff\xfe",
    b'{"id":"a","pain_quality":"dull","pain_pattern":"moves_around"}',
]


# Answer sets that the awkward lines above share once read leniently (a key twice keeps the
# last; a nested id; `1` for true), so a lane that read them that way would find them cached.
TWINS = [
    b'{"id":"t1","pain_quality":"sharp"}',
    b'{"id":"t2","pain_quality":"dull"}',
    b'{"id":"t3","numbness_tingling_weakness":true}',
    b'{"id":"t4","pain_quality":"dull","pain_pattern":"moves_around"}',
]


def awkward_file(path: Path) -> int:
    """Twins until the cache is warm, then each awkward line between two cached ones."""
    lines = TWINS * 20
    for line in AWKWARD:
        lines += [line, TWINS[0]]
    path.write_bytes(codecs.BOM_UTF8 + b"\n".join(lines))  # no final newline
    return len(lines) - 2  # blank lines give no record


def run(*args: str, lane: bool, input: bytes | None = None) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(
        cli, ["evaluate", *args, "--format", "jsonl"], input=input, env={LANE_ENV: "1" if lane else "0"}
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


def assert_same(*args: str, input: bytes | None = None) -> bytes:
    fast, general = run(*args, lane=True, input=input), run(*args, lane=False, input=input)
    assert fast[1] == general[1]
    assert fast[2] == general[2]  # the summary: counts, blank lines, first error
    assert fast[0] == general[0]
    return fast[1]


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many cases the engine evaluated one by one (the lane answers the others itself)."""
    seen = [0]
    evaluate = Engine.evaluate

    def counting_evaluate(self: Engine, *args: Any, **kwargs: Any) -> Any:
        seen[0] += 1
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "evaluate", counting_evaluate)
    return seen


def test_lane_writes_what_the_general_path_writes(tmp_path: Path, evaluated: list[int]) -> None:
    cases = tmp_path / "cases.jsonl"
    data.write(str(cases), 4000)  # > 2 blocks of 256 KiB, 1% malformed lines
    out = assert_same("leg-pain@1.0.0", str(cases))
    assert out.count(b"\n") == 4000
    # The general path saw every case once; the lane answered most of them without the engine.
    assert evaluated[0] < 4000 + 4000 // 4


@pytest.mark.parametrize("limit", ["16777216", "3000"])
def test_a_file_read_in_spans_numbers_lines_as_a_stream_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    """From a regular file the lane reads spans at their offsets; from a pipe, blocks of the
    stream. Both give the same records with the same line numbers, across span boundaries, long
    lines (read, or left unread past `--max-line-bytes`), a BOM and a missing final newline."""
    path = tmp_path / "cases.jsonl"
    data.write(str(path), 3000)
    lines = path.read_bytes().split(b"\n")
    long = b'{"pain_quality": "burning", "note": "' + b"x" * 300_000 + b'"}'
    lines[1000:1000] = [long, b"", long[:5000]]
    path.write_bytes(codecs.BOM_UTF8 + b"\n".join(lines).rstrip(b"\n"))
    from rulewright.plugins.adapters import JsonLines

    spans = 0
    span = JsonLines.span

    def counting_span(self: JsonLines, *args: Any) -> Any:
        nonlocal spans
        spans += 1
        return span(self, *args)

    monkeypatch.setattr(JsonLines, "span", counting_span)
    from_file = run("leg-pain@1.0.0", str(path), "--max-line-bytes", limit, lane=True)
    assert spans > 4  # read in spans, 256 KiB at a time
    spans = 0
    from_pipe = run("leg-pain@1.0.0", "-", "--max-line-bytes", limit, lane=True, input=path.read_bytes())
    assert spans == 0
    assert from_file == from_pipe
    assert from_file[1].count(b"\n") == 3002  # the blank line gives no record


def test_awkward_lines_go_the_general_way_in_place(tmp_path: Path) -> None:
    path = tmp_path / "awkward.jsonl"
    records = awkward_file(path)
    out = assert_same("leg-pain@1.0.0", str(path), "--max-line-bytes", "200")
    assert out.count(b"\n") == records


def test_stop_at_the_same_record_with_on_error_fail(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    data.write(str(path), 500)
    assert_same("leg-pain@1.0.0", str(path), "--on-error", "fail")


def test_stdin_and_other_id_fields(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    data.write(str(path), 800)
    assert_same("leg-pain@1.0.0", "-", input=path.read_bytes())
    assert_same("leg-pain@1.0.0", str(path), "--id-field", "pain_quality")


@pytest.mark.parametrize("name", sorted(p.name for p in RECORDS.glob("*.jsonl")))
def test_hostile_corpus(name: str) -> None:
    ruleset = str(RECORDS / "typed.ruleset.yaml")
    assert_same(ruleset, str(RECORDS / name))
    assert_same("leg-pain@1.0.0", str(RECORDS / name))


def test_lane_steps_aside_for_explain_and_record_input(tmp_path: Path, evaluated: list[int]) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": 1, "pain_quality": "dull"}\n' * 500)
    run("leg-pain@1.0.0", str(path), lane=True)
    assert evaluated[0] < 100  # the lane answers the repeats itself
    for flag in ("--explain", "--record-input"):
        evaluated[0] = 0
        run("leg-pain@1.0.0", str(path), flag, lane=True)
        assert evaluated[0] == 500, flag  # the engine saw every case
