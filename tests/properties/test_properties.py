"""Properties of evaluation over generated answers and generated rulesets (hypothesis).

Bundled rulesets get junk answers too; generated rulesets are checked against an independent
Kleene interpreter (`reference.py`). Settings are derandomized so CI is reproducible; run with
`--hypothesis-seed` or raise `max_examples` locally to search harder.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rulewright.core import LEVEL_RANK, Engine, InputRecord, bundled_rulesets, load_ruleset
from rulewright.core.evaluate.logic import and3, at_least3, not3, or3
from rulewright.core.model.fingerprint import fingerprint
from rulewright.core.model.loader import load_document
from rulewright.core.model.ruleset import CONFIDENCE_RANK
from rulewright.core.model.schemas import validator
from tests.properties import reference as ref
from tests.properties.strategies import (
    answers,
    engine_for,
    fingerprint_of,
    load_data,
    ruleset_data,
    valid_answer,
)

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
TRUTH = st.sampled_from([True, False, None])
BUNDLED = [b.ref for b in bundled_rulesets()]


@cache
def bundled_engine(refname: str) -> Engine:
    from rulewright.core import make_plugin_host

    return Engine(load_ruleset(refname), host=make_plugin_host(entrypoints=False))


@cache
def bundled_data(refname: str) -> dict[str, Any]:
    data: dict[str, Any] = load_document(refname).data
    return data


def schema_errors(record: dict[str, Any]) -> list[str]:
    return [e.message for e in validator("result").iter_errors(record)]


# -- Kleene's tables ---------------------------------------------------------------------------


@PROPERTY
@given(st.lists(TRUTH, max_size=6))
def test_and_or_follow_kleene(values: list[bool | None]) -> None:
    assert and3(values) is ref.and_(values)
    assert or3(values) is ref.or_(values)


@PROPERTY
@given(TRUTH)
def test_not_follows_kleene(value: bool | None) -> None:
    assert not3(value) is ref.not_(value)


@PROPERTY
@given(st.lists(TRUTH, max_size=6), st.integers(min_value=0, max_value=7))
def test_at_least_follows_its_definition(values: list[bool | None], n: int) -> None:
    assert at_least3(n, values) is ref.at_least(n, values)


def test_kleene_tables_spelled_out() -> None:
    """The two rows people get wrong, written out rather than computed."""
    assert and3([False, None]) is False and and3([True, None]) is None
    assert or3([True, None]) is True and or3([False, None]) is None


# -- bundled rulesets --------------------------------------------------------------------------


@pytest.mark.parametrize("refname", BUNDLED)
@PROPERTY
@given(data=st.data())
def test_bundled_never_raises_and_records_validate(refname: str, data: st.DataObject) -> None:
    engine = bundled_engine(refname)
    case = data.draw(answers(engine.ruleset, junk=True))
    first = engine.evaluate(case, line=1).to_record()
    assert schema_errors(first) == []
    assert engine.evaluate(case, line=1).to_record() == first  # deterministic


@pytest.mark.parametrize("refname", BUNDLED)
@PROPERTY
@given(data=st.data())
def test_bundled_red_flags_in_the_answers_are_reported(refname: str, data: st.DataObject) -> None:
    engine = bundled_engine(refname)
    case = data.draw(answers(engine.ruleset))
    junk_key = data.draw(st.sampled_from([None, "not_a_question"]))
    if junk_key:
        case[junk_key] = "junk"  # an error record must still carry the red flags
    record = engine.evaluate(case).to_record()
    reported = {f["id"] for f in record["red_flags"]}
    for flag in bundled_data(refname).get("red_flags", []):
        try:
            fires = ref.truth(flag["when"], case)
        except ref.Unsupported:
            continue
        if fires is True:
            assert flag["id"] in reported, (flag["id"], case)
            assert LEVEL_RANK[record["urgency"]] >= LEVEL_RANK[flag["level"]]
        elif fires is None:
            assert flag["id"] in record["not_screened"] or flag["id"] in reported


@pytest.mark.parametrize("refname", BUNDLED)
@PROPERTY
@given(data=st.data())
def test_bundled_answering_a_missing_question_keeps_a_decided_outcome(
    refname: str, data: st.DataObject
) -> None:
    engine = bundled_engine(refname)
    _check_monotone(engine, data)


def _check_monotone(engine: Engine, data: st.DataObject) -> None:
    """Start from full answers, drop some; if that partial case is decided, answering the
    dropped questions (in any order, one at a time) never changes the outcome. Its confidence may
    rise (evidence that is now definitely present), never fall, and no red flag disappears."""
    rs = engine.ruleset
    full = data.draw(st.fixed_dictionaries({d.id: valid_answer(d) for d in rs.inputs}))
    droppable = [d.id for d in rs.inputs if d.missing == "unknown"]
    assume(droppable)
    order = data.draw(st.permutations(droppable))
    dropped = order[: data.draw(st.integers(min_value=1, max_value=len(order)))]
    case = {k: v for k, v in full.items() if k not in dropped}
    before = engine.evaluate(case).to_record()
    assume(before["status"] == "ok")
    fired = {f["id"] for f in before["red_flags"]}
    for key in dropped:
        case[key] = full[key]
        after = engine.evaluate(case).to_record()
        assert after["status"] == "ok", (case, after)
        assert after["outcome"]["id"] == before["outcome"]["id"], case
        assert _confidence_rank(after) >= _confidence_rank(before), case
        assert fired <= {f["id"] for f in after["red_flags"]}, case


def _confidence_rank(record: dict[str, Any]) -> int:
    return CONFIDENCE_RANK.get(record["outcome"]["confidence"] or "", -1)


# -- generated rulesets ------------------------------------------------------------------------

GENERATED = settings(PROPERTY, max_examples=100)


@GENERATED
@given(spec=ruleset_data(), data=st.data())
def test_generated_red_flags_and_outcomes_match_the_reference(
    spec: dict[str, Any], data: st.DataObject
) -> None:
    engine = engine_for(load_data(spec))
    case = data.draw(answers(engine.ruleset))
    record = engine.evaluate(case).to_record()
    assert schema_errors(record) == []
    reported = {f["id"] for f in record["red_flags"]}
    for flag in spec["red_flags"]:
        fires = ref.truth(flag["when"], case)
        assert (flag["id"] in reported) is (fires is True), (flag, case)
        assert (flag["id"] in record["not_screened"]) is (fires is None), (flag, case)
    scores = {}
    if "scores" in spec:
        scores["total"] = ref.weighted_sum(spec["scores"][0], case)
    decided = all(v is not None for v in scores.values())
    if decided:
        values = [ref.truth(o["when"], case, scores) for o in spec["outcomes"]]
        # hit policy first: the first true rule wins, if no earlier rule is unknown
        expected: str | None = "undetermined"
        for outcome, value in zip(spec["outcomes"], values, strict=True):
            if value is None:
                break
            if value is True:
                expected = outcome["id"]
                break
        else:
            expected = spec["default"]["id"] if "default" in spec else None
        if expected == "undetermined":
            assert record["status"] == "undetermined"
        elif expected is None:
            assert record["status"] == "error" and record["error"]["code"] == "no_outcome"
        else:
            assert record["status"] == "ok" and record["outcome"]["id"] == expected


@settings(GENERATED, max_examples=60)  # many draws are filtered: only decided cases count
@given(spec=ruleset_data(), data=st.data())
def test_generated_answering_a_missing_question_keeps_a_decided_outcome(
    spec: dict[str, Any], data: st.DataObject
) -> None:
    _check_monotone(engine_for(load_data(spec)), data)


@GENERATED
@given(spec=ruleset_data(), data=st.data())
def test_generated_batch_is_one_result_per_record_in_order(spec: dict[str, Any], data: st.DataObject) -> None:
    engine = engine_for(load_data(spec))
    good = answers(engine.ruleset, junk=True)
    unreadable = st.builds(
        lambda n: InputRecord(n, None, ("invalid_json", "invalid JSON")), st.integers(1, 10**6)
    )
    items = data.draw(st.lists(st.one_of(good, unreadable, st.integers(), st.text(max_size=3)), max_size=12))
    records: list[Any] = [
        item if isinstance(item, InputRecord) else InputRecord(n, item) for n, item in enumerate(items, 1)
    ]
    for n, rec in enumerate(records, 1):
        rec.line = n
    results = [r.to_record() for r in engine.evaluate_batch(records)]
    assert len(results) == len(records)
    assert [r["input"]["line"] for r in results] == list(range(1, len(records) + 1))
    assert all(schema_errors(r) == [] for r in results)
    again = [r.to_record() for r in engine.evaluate_batch(records)]
    assert again == results


# -- fingerprint -------------------------------------------------------------------------------


def _shuffled(value: Any, rnd: Any) -> Any:
    """Same content, different key order, and id-keyed lists reordered."""
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {
            k: _shuffled(value[k], rnd) if k != "outcomes" else [_shuffled(o, rnd) for o in value[k]]
            for k in keys
        }
    if isinstance(value, list):
        items = [_shuffled(v, rnd) for v in value]
        if items and all(isinstance(i, dict) and "id" in i for i in items):
            rnd.shuffle(items)
        return items
    return value


def _yaml_block(data: dict[str, Any]) -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(data, out)
    return "# yaml-language-server: $schema=whatever\n# a comment\n" + out.getvalue()


@settings(GENERATED, max_examples=50)  # each example parses YAML three times
@given(spec=ruleset_data(), rnd=st.randoms(use_true_random=False))
def test_fingerprint_is_stable_under_reformatting(spec: dict[str, Any], rnd: Any) -> None:
    fp = load_data(spec).fingerprint  # the real loader, once
    assert fingerprint_of(_yaml_block(spec)) == fp
    assert fingerprint(_shuffled(spec, rnd)) == fp
    assert fingerprint_of(_yaml_block(_shuffled(spec, rnd)).replace("\n", "\r\n")) == fp


def _edits(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Semantic edits, each a deep copy with one thing changed."""
    import copy

    out = []

    def edit(name: str, fn: Any) -> None:
        new = copy.deepcopy(spec)
        fn(new)
        out.append((name, new))

    edit("title", lambda d: d.update(title=d["title"] + " v2"))
    edit("outcome label", lambda d: d["outcomes"][0].update(label="Changed"))
    edit(
        "outcome urgency",
        lambda d: d["outcomes"][0].update(
            urgency="emergency" if d["outcomes"][0]["urgency"] != "emergency" else "review"
        ),
    )
    edit("outcome condition", lambda d: d["outcomes"][0].update(when={"not": d["outcomes"][0]["when"]}))
    if spec["red_flags"]:
        edit(
            "flag level",
            lambda d: d["red_flags"][0].update(
                level="emergency" if d["red_flags"][0]["level"] != "emergency" else "review"
            ),
        )
        edit("flag message", lambda d: d["red_flags"][0].update(message="Changed."))
        edit("flag removed", lambda d: d["red_flags"].pop(0))
    if "scores" in spec:
        edit(
            "weight",
            lambda d: d["scores"][0]["items"][0].update(
                weight=d["scores"][0]["items"][0].get("weight", 1) + 1
            ),
        )
    if len(spec["outcomes"]) > 1:
        edit("outcome order", lambda d: d["outcomes"].reverse())
    edit("input question", lambda d: d["inputs"][0].update(question="Changed?"))
    return out


@GENERATED
@given(spec=ruleset_data())
def test_fingerprint_changes_under_any_semantic_edit(spec: dict[str, Any]) -> None:
    fp = load_data(spec).fingerprint
    assert fingerprint(spec) == fp  # so comparing edited data with `fp` below is meaningful
    seen = {fp}
    for name, edited in _edits(spec):
        new = fingerprint(edited)  # what the loader computes from the loaded data
        assert new != fp, name
        seen.add(new)
    assert len(seen) == len(_edits(spec)) + 1


def test_strategies_cover_every_input_kind() -> None:
    """Guard against a strategy change that quietly stops generating a kind of input."""
    kinds: set[str] = set()

    @settings(PROPERTY, max_examples=60)
    @given(ruleset_data())
    def collect(spec: dict[str, Any]) -> None:
        kinds.update(i["type"] for i in spec["inputs"])

    collect()
    assert kinds == {"boolean", "enum", "integer", "set"}
    assert len(list(itertools.islice(BUNDLED, 1))) == 1
