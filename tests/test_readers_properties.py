"""Property tests of the readers' rule: whatever else a record holds, a readable answer that
raises a red flag raises it, and every record that can be told apart gives one result.

The adapters are taken from the plugin host, as `rules evaluate` takes them, and their records
evaluated by the engine (leg-pain 1.0.0: `bladder_bowel_control: true` is an emergency).
"""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rulewright.core import Engine, ReadOptions, load_ruleset, make_plugin_host

HOST = make_plugin_host(entrypoints=False)
RULESET = load_ruleset("leg-pain@1.0.0")
ENGINE = Engine(RULESET, host=HOST, memoize=False)
ADAPTERS = HOST.registry.items["input_adapters"]
FLAG = "bladder_bowel"
KEY = "bladder_bowel_control"

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)


def _results(adapter: str, data: bytes) -> list[Any]:
    records = list(ADAPTERS[adapter].read(io.BytesIO(data), RULESET, ReadOptions()))
    return list(ENGINE.evaluate_batch(records))


# Values as JSON text that other parts of a line may hold: valid, or unreadable in their own way.
_member_value = st.one_of(
    _json.map(json.dumps),
    st.just("NaN"),
    st.just('"caf\xe9"'),  # replaced by a Latin-1 byte below
    st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth),
    st.just("1e400"),
)


@settings(max_examples=150, deadline=None)
@given(
    before=st.lists(
        st.tuples(st.sampled_from(["id", "note", "pain_severe", "x"]), _member_value), max_size=4
    ),
    after=st.lists(
        st.tuples(st.sampled_from(["id", "note", "pain_quality", "x"]), _member_value), max_size=4
    ),
)
def test_a_json_line_raises_a_red_flag_its_answer_raises_whatever_else_it_holds(
    before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> None:
    members = [f'"{k}": {v}' for k, v in before] + [f'"{KEY}": true'] + [f'"{k}": {v}' for k, v in after]
    line = ("{" + ", ".join(members) + "}\n").encode("utf-8").replace("\xe9".encode(), b"\xe9")
    [result] = _results("jsonl", line + b"\n")
    assert [flag.id for flag in result.red_flags] == [FLAG], (line[:200], result.to_record()["error"])


_item = st.fixed_dictionaries(
    {"linkId": st.sampled_from([KEY, "pain_severe", "pain_quality", "nope"]) | _json},
    optional={"answer": _json, "item": st.lists(_json, max_size=2) | _json},
)
YES = {"linkId": KEY, "answer": [{"valueBoolean": True}]}


@settings(max_examples=150, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.lists(_item, max_size=3) | _json, st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_every_fhir_bundle_entry_gives_one_result_and_a_readable_red_flag_answer_raises_it(
    entries: list[tuple[Any, bool]],
) -> None:
    resources = []
    for items, flagged in entries:
        if flagged and isinstance(items, list):
            items = [*items, YES]
        resources.append(
            {"resource": {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}}
        )
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": resources}
    results = _results("fhir-qr", json.dumps(bundle).encode())
    assert [r.line for r in results] == list(range(1, len(entries) + 1))
    for result, (items, flagged) in zip(results, entries, strict=True):
        if flagged and isinstance(items, list):
            assert [flag.id for flag in result.red_flags] == [FLAG], (items, result.to_record()["error"])


_cell = st.text(alphabet='ab ",\r\xe9', max_size=6)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.lists(_cell, max_size=4), st.booleans()), min_size=1, max_size=8))
def test_every_csv_line_gives_one_result_and_a_quote_never_swallows_the_next(
    rows: list[tuple[list[str], bool]],
) -> None:
    """Junk cells (quotes, commas, CRs, a Latin-1 byte) before a yes to the red-flag question:
    one result per non-blank line, in order, and a yes before any quote raises the flag."""
    header = b"id," + KEY.encode() + b",x,y,z"
    body = [(b"p,true," if flagged else b"p,") + ",".join(cells).encode("latin-1") for cells, flagged in rows]
    results = _results("csv", header + b"\n" + b"\n".join(body) + b"\n")
    assert [r.line for r in results] == [n for n, line in enumerate(body, 2) if line.strip(b", \r")]
    for result, line in zip(results, (b for b in body if b.strip(b", \r")), strict=True):
        if line.startswith(b"p,true,"):
            assert [flag.id for flag in result.red_flags] == [FLAG], (line, result.to_record()["error"])
