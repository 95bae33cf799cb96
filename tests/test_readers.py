"""The readers' rule (issue 18): every record that can be told apart gives one result, in order,
and every answer that can be read is screened for red flags, even when the rest of the record is
an error. Each test runs `rules evaluate` on leg-pain 1.0.0, whose one red flag (`bladder_bowel`,
emergency) fires on `bladder_bowel_control: true`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Invoke = Callable[..., Any]
RULESET = "leg-pain@1.0.0"
FLAG = "bladder_bowel"


def _run(invoke: Invoke, path: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    result = invoke("evaluate", RULESET, str(path), "-q", "--format", "jsonl", *extra)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def _file(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _flags(record: dict[str, Any]) -> list[str]:
    return [flag["id"] for flag in record["red_flags"]]


def _raised(record: dict[str, Any]) -> bool:
    return _flags(record) == [FLAG] and record["urgency"] == "emergency"


# -- JSON Lines and JSON ----------------------------------------------------------------------

UNREADABLE_ELSEWHERE = {
    "duplicate of an unrelated key": b'{"id": "a", "bladder_bowel_control": true, "note": 1, "note": 2}',
    "a Latin-1 byte in the id": b'{"id": "caf\xe9", "bladder_bowel_control": true}',
    "a deeply nested unrelated field": b'{"id": "d", "note": '
    + b"[" * 5000
    + b"]" * 5000
    + b', "bladder_bowel_control": true}',
    "a syntax error after the answer": b'{"id": "t", "bladder_bowel_control": true, "note": [1, }',
    "NaN in an unrelated field": b'{"id": "n", "note": NaN, "bladder_bowel_control": true}',
}


@pytest.mark.parametrize("line", UNREADABLE_ELSEWHERE.values(), ids=UNREADABLE_ELSEWHERE.keys())
def test_an_unreadable_part_of_a_json_line_keeps_the_red_flag_of_a_readable_answer(
    invoke: Invoke, tmp_path: Path, line: bytes
) -> None:
    good = b'{"id": "next", "bladder_bowel_control": false}'
    code, records = _run(invoke, _file(tmp_path, "cases.jsonl", line + b"\n" + good + b"\n"))
    assert code == 1 and len(records) == 2
    bad, after = records
    assert bad["status"] == "error" and _raised(bad), bad
    assert after["status"] != "error" and _flags(after) == []


@pytest.mark.parametrize("copies", [("true", "false"), ("false", "true")])
def test_a_red_flag_answer_given_twice_raises_the_flag_when_either_copy_does(
    invoke: Invoke, tmp_path: Path, copies: tuple[str, str]
) -> None:
    first, second = copies
    line = f'{{"id": "p", "bladder_bowel_control": {first}, "bladder_bowel_control": {second}}}\n'
    code, [record] = _run(invoke, _file(tmp_path, "cases.jsonl", line))
    assert code == 1
    assert record["status"] == "error" and record["error"]["code"] == "duplicate_key"
    assert "'bladder_bowel_control'" in record["error"]["message"]
    assert _raised(record)


def test_an_answer_given_twice_the_same_way_is_an_error_that_settles_it(
    invoke: Invoke, tmp_path: Path
) -> None:
    line = '{"id": "p", "bladder_bowel_control": false, "bladder_bowel_control": false}\n'
    code, [record] = _run(invoke, _file(tmp_path, "cases.jsonl", line))
    assert code == 1
    assert record["error"]["code"] == "duplicate_key"
    assert record["red_flags"] == [] and record["not_screened"] == []  # both copies say no


def test_a_truncated_json_array_keeps_the_records_before_the_break(invoke: Invoke, tmp_path: Path) -> None:
    text = (
        '[{"id": "a", "bladder_bowel_control": true}, {"id": "b", "bladder_bowel_control": true}, {"id": "c",'
    )
    code, records = _run(invoke, _file(tmp_path, "cases.json", text))
    assert code == 1
    assert [r["input"]["line"] for r in records] == [1, 2, 3]
    assert [r["input"]["id"] for r in records] == ["a", "b", "c"]
    assert all(r["status"] != "error" and _raised(r) for r in records[:2])
    assert records[2]["error"]["code"] == "invalid_json"


def test_a_json_array_element_with_a_duplicate_key_is_an_error_in_place(
    invoke: Invoke, tmp_path: Path
) -> None:
    text = (
        '[{"id": "a", "bladder_bowel_control": false},'
        ' {"id": "b", "bladder_bowel_control": false, "bladder_bowel_control": true},'
        ' {"id": "c", "bladder_bowel_control": false}]'
    )
    code, records = _run(invoke, _file(tmp_path, "cases.json", text))
    assert code == 1
    assert [r["input"]["id"] for r in records] == ["a", "b", "c"]
    assert [r["status"] == "error" for r in records] == [False, True, False]
    assert records[1]["error"]["code"] == "duplicate_key" and _raised(records[1])


def test_a_json_array_with_text_after_it_says_so(invoke: Invoke, tmp_path: Path) -> None:
    text = '[{"id": "a", "bladder_bowel_control": true}] {"id": "b"}'
    code, records = _run(invoke, _file(tmp_path, "cases.json", text))
    assert code == 1 and len(records) == 2
    assert _raised(records[0]) and records[1]["error"]["code"] == "invalid_json"


# -- ids ----------------------------------------------------------------------------------------

BIG = "123456789012345678901234567890"


@pytest.mark.parametrize("name", ["cases.jsonl", "cases.json"])
def test_ids_keep_their_exact_value(invoke: Invoke, tmp_path: Path, name: str) -> None:
    ids = [BIG, BIG[:-1] + "1", "18446744073709551616", "0.10000000000000000000001", "2.5"]
    lines = [f'{{"id": {i}, "bladder_bowel_control": false}}' for i in ids]
    text = "\n".join(lines) + "\n" if name.endswith("l") else "[" + ",".join(lines) + "]"
    code, records = _run(invoke, _file(tmp_path, name, text))
    assert code == 0
    got = [r["input"]["id"] for r in records]
    # Big integers stay integers, exactly; a decimal a double cannot hold is kept as written.
    assert got == [int(BIG), int(BIG) + 1, 2**64, "0.10000000000000000000001", 2.5]


def test_ids_keep_their_exact_value_through_workers(invoke: Invoke, tmp_path: Path) -> None:
    lines = [f'{{"id": {BIG[:-1]}{n}, "bladder_bowel_control": false}}' for n in range(10)] * 50
    path = _file(tmp_path, "cases.jsonl", "\n".join(lines) + "\n")
    _, records = _run(invoke, path, "--jobs", "2")
    assert [r["input"]["id"] for r in records] == [int(BIG[:-1] + str(n)) for n in range(10)] * 50


@pytest.mark.parametrize("name", ["cases.jsonl", "cases.json"])
def test_a_non_finite_id_is_an_error_record_that_keeps_its_red_flags(
    invoke: Invoke, tmp_path: Path, name: str
) -> None:
    lines = ['{"id": 1e400, "bladder_bowel_control": true}', '{"id": -1e999, "bladder_bowel_control": true}']
    text = "\n".join(lines) + "\n" if name.endswith("l") else "[" + ",".join(lines) + "]"
    code, records = _run(invoke, _file(tmp_path, name, text))
    assert code == 1 and len(records) == 2
    for record in records:
        assert record["error"]["code"] == "invalid_id" and _raised(record)
        assert record["input"]["id"] is None


# -- bounded error records ----------------------------------------------------------------------


def test_a_line_of_many_unknown_keys_gives_a_small_error_record(invoke: Invoke, tmp_path: Path) -> None:
    record = {f"unknown_{n:06d}": n for n in range(100_000)} | {"bladder_bowel_control": True}
    path = _file(tmp_path, "cases.jsonl", json.dumps(record) + "\n")
    result = invoke("evaluate", RULESET, str(path), "-q", "--format", "jsonl")
    assert len(result.stdout) < 4096  # the input line is 2.4 MB
    [out] = [json.loads(line) for line in result.stdout.splitlines()]
    assert out["error"]["code"] == "unknown_input" and _raised(out)
    message = out["error"]["message"]
    assert "'unknown_000000'" in message and "99,995 more" in message and "pain_quality" in message


def test_one_enormous_unknown_key_is_cut_short_in_the_error(invoke: Invoke, tmp_path: Path) -> None:
    path = _file(tmp_path, "cases.jsonl", json.dumps({"x" * 1_000_000: 1, "id": "p"}) + "\n")
    result = invoke("evaluate", RULESET, str(path), "-q", "--format", "jsonl")
    assert len(result.stdout) < 4096
    assert json.loads(result.stdout)["error"]["code"] == "unknown_input"


# -- CSV ----------------------------------------------------------------------------------------

HEADER = "id,pain_quality,pain_pattern,numbness_tingling_weakness,bladder_bowel_control,pain_severe"


def _csv_rows(count: int, stray: dict[int, str]) -> str:
    """`count` rows, odd ones emergencies; row n's quality cell starts with `stray[n]` if given."""
    rows = [HEADER]
    for n in range(1, count + 1):
        quality = stray.get(n, "") + "burning"
        rows.append(f"p{n},{quality},follows_path,true,{'true' if n % 2 else 'false'},false")
    return "\n".join(rows) + "\n"


def test_a_stray_quote_costs_one_csv_row_not_the_rows_after_it(invoke: Invoke, tmp_path: Path) -> None:
    code, records = _run(invoke, _file(tmp_path, "cases.csv", _csv_rows(1000, {10: '"', 900: '"'})))
    assert code == 1
    assert [r["input"]["row"] for r in records] == list(range(1, 1001))
    assert [r["input"]["id"] for r in records] == [f"p{n}" for n in range(1, 1001)]
    errors = [r for r in records if r["status"] == "error"]
    assert [r["input"]["row"] for r in errors] == [10, 900]
    for error in errors:
        assert error["error"]["code"] == "invalid_csv"
        assert (
            "unmatched quote" in error["error"]["message"] and "'pain_quality'" in error["error"]["message"]
        )
        # The cells after the open quote are not read: the red flag is not screened, not ruled out.
        assert error["not_screened"] == [FLAG] and error["urgency"] == "review"
    assert sum(_raised(r) for r in records) == 500


def test_a_stray_quote_after_the_answer_keeps_its_red_flag(invoke: Invoke, tmp_path: Path) -> None:
    text = 'id,bladder_bowel_control,pain_quality\np1,true,"burning\np2,false,burning\n'
    code, records = _run(invoke, _file(tmp_path, "cases.csv", text))
    assert code == 1
    assert [r["input"]["row"] for r in records] == [1, 2]
    assert records[0]["status"] == "error" and _raised(records[0])
    assert records[1]["status"] != "error"


@pytest.mark.parametrize("row", ["p1,true", "p1,burning,true,extra", "extra,p1,burning,true"])
def test_a_ragged_csv_row_keeps_a_red_flag_it_raises_aligned_either_way(
    invoke: Invoke, tmp_path: Path, row: str
) -> None:
    text = f"id,pain_quality,bladder_bowel_control\n{row}\np2,burning,false\n"
    code, records = _run(invoke, _file(tmp_path, "cases.csv", text))
    assert code == 1 and len(records) == 2
    assert records[0]["error"]["code"] == "invalid_csv" and _raised(records[0])
    assert records[1]["status"] != "error"


def test_a_ragged_csv_row_that_raises_nothing_is_not_screened(invoke: Invoke, tmp_path: Path) -> None:
    text = "id,pain_quality,bladder_bowel_control\np1,false\n"
    _, [record] = _run(invoke, _file(tmp_path, "cases.csv", text))
    assert record["red_flags"] == [] and record["not_screened"] == [FLAG]


@pytest.mark.parametrize("cells", ["true,false", "false,true", ",true"])
def test_a_csv_column_named_twice_raises_the_flag_either_copy_raises(
    invoke: Invoke, tmp_path: Path, cells: str
) -> None:
    text = f"id,bladder_bowel_control,bladder_bowel_control\np1,{cells}\n"
    code, [record] = _run(invoke, _file(tmp_path, "cases.csv", text))
    assert code == 1
    assert record["error"]["code"] == "duplicate_key" and _raised(record)
    assert record["input"]["id"] == "p1"


def test_a_csv_cell_that_is_not_utf8_spoils_only_its_own_cell(invoke: Invoke, tmp_path: Path) -> None:
    text = b"id,pain_quality,bladder_bowel_control\np1,burn\xe9,true\np2,burning,false\n"
    code, records = _run(invoke, _file(tmp_path, "cases.csv", text))
    assert code == 1
    assert [r["input"]["id"] for r in records] == ["p1", "p2"]
    assert records[0]["error"]["code"] == "invalid_utf8" and _raised(records[0])
    assert records[1]["status"] != "error"


@pytest.mark.parametrize("quote", ['"', ""], ids=["quoted", "unquoted"])
def test_an_over_long_csv_cell_spoils_only_its_own_cell(invoke: Invoke, tmp_path: Path, quote: str) -> None:
    # Past the csv module's field limit (131,072 characters) it refused the whole row: the red
    # flag answered before the long cell was lost (urgency review, id null).
    long = quote + "y" * 200_000 + quote
    text = f"id,bladder_bowel_control,pain_quality\np1,true,{long}\np2,false,burning\n"
    code, records = _run(invoke, _file(tmp_path, "cases.csv", text))
    assert code == 1
    assert [r["input"]["id"] for r in records] == ["p1", "p2"]
    assert records[0]["error"]["code"] == "invalid_csv" and "cell 3" in records[0]["error"]["message"]
    assert _raised(records[0])
    assert records[1]["status"] != "error"


def test_a_csv_header_of_100k_unknown_columns_gives_one_bounded_error_record(tmp_path: Path) -> None:
    # The header's duplicate check counted every name in the whole header: 300,000 columns took
    # over ten minutes. Now under a second; the timeout is generous, for a loaded machine.
    names = ",".join(f"u{i}" for i in range(100_000))
    path = _file(tmp_path, "wide.csv", f"id,bladder_bowel_control,{names}\np1,true,{'1,' * 99_999}1\n")
    rules = str(Path(sys.executable).parent / "rules")
    args = [rules, "evaluate", RULESET, str(path), "-q", "--format", "jsonl"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["input"]["id"] == "p1" and _raised(record)
    assert record["error"]["code"] == "unknown_input" and "99,995 more" in record["error"]["message"]
    assert len(result.stdout) < 4096


def test_csv_on_stdin_is_recognised_by_its_header() -> None:
    text = "id,bladder_bowel_control\np1,true\np2,false\n"
    # A real process: its stdin is a buffered pipe that can be peeked at, as in a pipeline.
    rules = str(Path(sys.executable).parent / "rules")
    args = [rules, "evaluate", RULESET, "-", "-q", "--format", "jsonl"]
    result = subprocess.run(args, input=text, capture_output=True, text=True, timeout=120, check=False)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"].get("row") for r in records] == [1, 2]
    assert _raised(records[0]) and records[1]["red_flags"] == []


@pytest.mark.parametrize(("first", "hinted"), [("bladder_bowel_control", True), ("hello", False)])
def test_a_one_column_csv_on_stdin_says_to_give_the_csv_format(
    invoke: Invoke, first: str, hinted: bool
) -> None:
    # One name is no CSV header to sniff: it is read as JSON Lines, every line an error that
    # gave no hint. A first line that is an input id alone now names the likely cause.
    result = invoke("evaluate", RULESET, "-", "-q", "--format", "jsonl", input=f"{first}\ntrue\nyes\n")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["error"]["code"] for r in records] == ["invalid_json", "not_an_object", "invalid_json"]
    assert [("--input-format csv" in r["error"]["message"]) for r in records] == [hinted] * 3


# -- FHIR QuestionnaireResponse and Bundle -------------------------------------------------------


def _qr(rid: str, items: str) -> str:
    return (
        f'{{"resourceType": "QuestionnaireResponse", "id": "{rid}", "status": "completed", "item": {items}}}'
    )


def _fhir(invoke: Invoke, tmp_path: Path, text: str, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    return _run(invoke, _file(tmp_path, "bundle.json", text), "--input-format", "fhir-qr", *extra)


def _bundle(*entries: str, kind: str = "collection") -> str:
    return f'{{"resourceType": "Bundle", "type": "{kind}", "entry": [{", ".join(entries)}]}}'


def _entry(resource: str, extra: str = "") -> str:
    return f'{{"resource": {resource}{extra}}}'


YES = '[{"linkId": "bladder_bowel_control", "answer": [{"valueBoolean": true}]}]'


@pytest.mark.parametrize("copies", [("true", "false"), ("false", "true")])
def test_fhir_answer_value_given_twice_raises_the_flag_either_copy_raises(
    invoke: Invoke, tmp_path: Path, copies: tuple[str, str]
) -> None:
    answer = f'{{"valueBoolean": {copies[0]}, "valueBoolean": {copies[1]}}}'
    items = f'[{{"linkId": "bladder_bowel_control", "answer": [{answer}]}}]'
    code, [record] = _fhir(invoke, tmp_path, _qr("q1", items))
    assert code == 1 and record["error"]["code"] == "duplicate_key"
    assert "valueBoolean" in record["error"]["message"] and _raised(record)


def test_fhir_item_with_two_link_ids_is_screened_as_an_answer_to_each(invoke: Invoke, tmp_path: Path) -> None:
    for links in (
        '"pain_severe", "linkId": "bladder_bowel_control"',
        '"bladder_bowel_control", "linkId": "pain_severe"',
    ):
        items = f'[{{"linkId": {links}, "answer": [{{"valueBoolean": true}}]}}]'
        code, [record] = _fhir(invoke, tmp_path, _qr("q1", items))
        assert code == 1
        assert record["error"]["code"] == "duplicate_key" and _raised(record), links


def test_fhir_question_answered_twice_raises_the_flag_either_answer_raises(
    invoke: Invoke, tmp_path: Path
) -> None:
    items = (
        '[{"linkId": "bladder_bowel_control", "answer": [{"valueBoolean": false}, {"valueBoolean": true}]}]'
    )
    code, [record] = _fhir(invoke, tmp_path, _qr("q1", items))
    assert code == 1
    assert record["status"] == "error" and _raised(record)


MALFORMED = {
    "answer not a list": '[{"linkId": "pain_severe", "answer": true}]',
    "answer an object": '[{"linkId": "pain_severe", "answer": {"valueBoolean": true}}]',
    "item not an object": "[5]",
    "items not a list": "5",
    "answer not an object": '[{"linkId": "pain_severe", "answer": [7]}]',
    "coding not an object": '[{"linkId": "pain_quality", "answer": [{"valueCoding": "dull"}]}]',
    "quantity not an object": '[{"linkId": "pain_severe", "answer": [{"valueQuantity": 3}]}]',
}


@pytest.mark.parametrize("items", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_fhir_item_is_an_error_in_place_and_the_bundle_goes_on(
    invoke: Invoke, tmp_path: Path, items: str
) -> None:
    broken = _qr("broken", items)
    with_flag = _qr("broken-but-flagged", items[:-1] + ", " + YES[1:] if items.startswith("[") else YES)
    text = _bundle(_entry(_qr("before", YES)), _entry(broken), _entry(with_flag), _entry(_qr("after", YES)))
    code, records = _fhir(invoke, tmp_path, text)
    assert code == 1
    assert [r["input"]["id"] for r in records] == ["before", "broken", "broken-but-flagged", "after"]
    assert [r["status"] == "error" for r in records] == [False, True, items.startswith("["), False]
    assert _raised(records[0]) and _raised(records[2]) and _raised(records[3])


def test_a_bundle_whose_entry_is_not_a_list_is_one_error_record(invoke: Invoke, tmp_path: Path) -> None:
    code, [record] = _fhir(invoke, tmp_path, '{"resourceType": "Bundle", "type": "collection", "entry": 5}')
    assert code == 1 and record["status"] == "error" and "entry" in record["error"]["message"]


def test_searchset_outcome_entries_are_not_responses(invoke: Invoke, tmp_path: Path) -> None:
    outcome = _entry('{"resourceType": "OperationOutcome"}', ', "search": {"mode": "outcome"}')
    match = _entry(_qr("q1", YES), ', "search": {"mode": "match"}')
    code, records = _fhir(invoke, tmp_path, _bundle(outcome, match, kind="searchset"))
    assert code == 0 and [r["input"]["id"] for r in records] == ["q1"] and _raised(records[0])
    assert records[0]["input"]["line"] == 2  # its position in the Bundle


@pytest.mark.parametrize("kind", ["searchset", "collection"])
def test_a_response_marked_as_a_search_outcome_is_still_read(
    invoke: Invoke, tmp_path: Path, kind: str
) -> None:
    # It was skipped as an OperationOutcome: no result, no error, exit 0, its red flag lost.
    mark = ', "search": {"mode": "outcome"}'
    outcome = _entry('{"resourceType": "OperationOutcome"}', mark)
    response = _entry(_qr("q2", YES), mark)
    untyped = _entry('{"id": "q3", "item": ' + YES + "}", mark)  # it may be a response: not skipped
    code, records = _fhir(invoke, tmp_path, _bundle(outcome, response, untyped, kind=kind))
    assert code == 1 and [r["input"]["line"] for r in records] == [2, 3]
    assert records[0]["input"]["id"] == "q2" and _raised(records[0])
    assert records[1]["status"] == "error"


def test_an_empty_searchset_gives_an_empty_valid_output(invoke: Invoke, tmp_path: Path) -> None:
    path = _file(tmp_path, "bundle.json", '{"resourceType": "Bundle", "type": "searchset", "total": 0}')
    result = invoke("evaluate", RULESET, str(path), "-q", "--input-format", "fhir-qr", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_a_non_finite_fhir_resource_id_is_an_error_record(invoke: Invoke, tmp_path: Path) -> None:
    resource = _qr("x", YES).replace('"id": "x"', '"id": 1e400')
    code, [record] = _fhir(invoke, tmp_path, resource)
    assert code == 1
    assert record["error"]["code"] == "invalid_id" and _raised(record) and record["input"]["id"] is None
