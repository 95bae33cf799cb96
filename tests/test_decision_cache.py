"""The decision cache (core/evaluate/decisions.py) never changes a result, and `Result.to_json` writes
exactly what `to_record` holds, however a result was made and whatever was done to it after."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
import pytest

from rulewright.core import Engine, PluginHost, RedFlagHit, Result, load_ruleset
from rulewright.core.evaluate.decisions import DecisionCache

QUALITY = [None, "dull", "sharp"]
PATTERN = [None, "moves_around", "follows_path"]
BOOLEAN = [None, True, False]
# Answers Python holds equal to a valid one (1 == True, 0.0 == False) or that look like one.
LOOKALIKES: list[Any] = [1, 0, 1.0, 0.0, "true", "yes", "DULL", "", [], {}, ["dull"]]


def leg_pain_cases() -> list[dict[str, Any]]:
    """Every combination of a few valid answers (absent or null alike), then each lookalike in
    each place, then records with an undeclared key."""
    cases = []
    for quality, pattern, numb, bladder in itertools.product(QUALITY, PATTERN, BOOLEAN, BOOLEAN):
        answers = {
            "pain_quality": quality,
            "pain_pattern": pattern,
            "numbness_tingling_weakness": numb,
            "bladder_bowel_control": bladder,
        }
        cases.append({k: v for k, v in answers.items() if v is not None})
        cases.append(dict(answers, id="with-nulls"))
    base = {"pain_quality": "dull", "pain_pattern": "moves_around", "numbness_tingling_weakness": False}
    for key in (*base, "bladder_bowel_control", "pain_severe"):
        for odd in LOOKALIKES:
            cases.append({**base, key: odd})
    cases.append({**base, "unknown": True})
    cases.append({**base, "unknown": None})
    return cases


def json_of(result: Result) -> bytes:
    return orjson.dumps(result.to_record(), option=orjson.OPT_APPEND_NEWLINE)


@pytest.fixture
def engines(host: PluginHost) -> tuple[Engine, Engine]:
    ruleset = load_ruleset("leg-pain@1.0.0")
    return Engine(ruleset, host=host, memoize=True), Engine(ruleset, host=host, memoize=False)


def test_cached_results_equal_full_evaluation_on_every_case(engines: tuple[Engine, Engine]) -> None:
    cached, full = engines
    cases = leg_pain_cases()
    for round_ in range(2):  # the first round fills the cache, the second answers from it
        for line, case in enumerate(cases, 1):
            want = full.evaluate(case, line=line)
            got = cached.evaluate(case, line=line)
            assert got == want, (round_, case)
            assert got.to_json() == json_of(want), (round_, case)
    assert cached._cache is not None and len(cached._cache.decisions) > 20  # it did cache


def test_an_answer_equal_to_a_valid_one_is_never_taken_for_it(engines: tuple[Engine, Engine]) -> None:
    cached, _ = engines
    valid = {"numbness_tingling_weakness": True, "bladder_bowel_control": False}
    assert cached.evaluate(valid).status != "error"
    for odd in (1, 1.0):
        result = cached.evaluate({"numbness_tingling_weakness": odd, "bladder_bowel_control": False})
        assert result.status == "error" and result.error is not None
        assert result.error.path == "numbness_tingling_weakness"


def test_rulesets_with_numbers_are_cached_and_agree(host: PluginHost) -> None:
    ruleset = load_ruleset("leg-pain@2.0.0")
    integer = next(i for i in ruleset.inputs if i.type == "integer")
    cached, full = Engine(ruleset, host=host), Engine(ruleset, host=host, memoize=False)
    assert cached.decisions is not None
    for _ in range(2):
        for value in (None, 0, 3, 3.0, -1, 2.5, True, 10**30, "3"):
            case = {integer.id: value, "bladder_bowel_control": False}
            assert cached.evaluate(case) == full.evaluate(case), value


def test_decisions_are_cached_but_each_case_runs_its_plugin_hooks(host: PluginHost) -> None:
    class Prepare:
        from rulewright.core import hookimpl

        @hookimpl
        def rulewright_prepare_facts(self, ruleset: Any, record: Any) -> Any:
            return None

    class Observer:
        from rulewright.core import hookimpl

        @hookimpl
        def rulewright_evaluation_finished(self, ruleset: Any, result: Any) -> None:
            pass

    from rulewright.core import make_plugin_host

    ruleset = load_ruleset("leg-pain@1.0.0")
    assert Engine(ruleset, host=host).decisions is not None
    for name, plugin in (("prepare", Prepare()), ("observer", Observer())):
        engine = Engine(ruleset, host=make_plugin_host(entrypoints=False, extra=[(name, plugin)]))
        assert engine.decisions is not None and engine.per_case  # cached, but each case is seen
    assert Engine(ruleset, host=host, record_input=True).decisions is None


MUTATIONS = [
    lambda r: setattr(r, "status", "error"),
    lambda r: setattr(r, "urgency", "emergency"),
    lambda r: r.red_flags.append(RedFlagHit("x", "urgent", "m")),
    lambda r: r.not_screened.clear(),
    lambda r: r.missing.append("pain_quality"),
    lambda r: r.scores.update(nerve_signs=True),
    lambda r: r.scores.__setitem__("extra", 1),
    lambda r: setattr(r, "scores", {}),
    lambda r: setattr(r, "recommendations", ("other",)),
    lambda r: setattr(r, "outcome", None),
    lambda r: r.ruleset.__setitem__("version", "9.9.9"),
    lambda r: r.plugins.append("scorer:other"),
    lambda r: setattr(r, "engine", "0.0.0"),
    lambda r: setattr(r, "trace", [{"step": "x"}]),
]


@pytest.mark.parametrize("mutate", MUTATIONS)
def test_a_result_cannot_be_changed_after_evaluation(mutate: Any, host: PluginHost) -> None:
    engine = Engine(load_ruleset("leg-pain@1.0.0"), host=host)
    # nerve_signs is 1 here, so a score of True would compare equal to it.
    case = {"pain_quality": "dull", "pain_pattern": "follows_path", "numbness_tingling_weakness": False}
    assert engine.evaluate(case).scores == {"nerve_signs": 1}  # decided in full and cached
    hit, neighbour = engine.evaluate(case, line=2), engine.evaluate(case, line=3)
    assert hit.rendered is not None and hit.rendered is neighbour.rendered  # from the cache
    before = hit.to_json()
    with pytest.raises((AttributeError, TypeError)):
        mutate(hit)
    # Nothing changed: neither this result, nor the ruleset and plugin lists results share.
    assert hit.to_json() == before
    for result in (hit, neighbour, engine.evaluate(case, line=4)):
        assert result.to_json() == json_of(result)
        assert result.ruleset["version"] == "1.0.0" and result.urgency == "review"  # flag unscreened


def test_to_json_writes_ids_orjson_cannot(host: PluginHost) -> None:
    import json

    engine = Engine(load_ruleset("leg-pain@1.0.0"), host=host)
    for record_id in (2**70, "caf\u00e9", "\ud800", None, [1, {"a": 2}]):
        for _ in range(2):  # decided in full, then from the cache
            line = engine.evaluate({"id": record_id, "pain_quality": "dull"}).to_json()
            assert line.endswith(b"\n") and line.count(b"\n") == 1
            assert json.loads(line)["input"]["id"] == record_id


def test_cache_keys_only_declared_answers() -> None:
    cache = DecisionCache(("a", "b"), "id")
    decided = Result({"id": "x"}, "ok", "routine")
    cache.keep({"id": 1, "a": True}, decided, 0)
    assert cache.recall({"id": 2, "a": True}) is not None  # the id is carried, not an answer
    assert cache.recall({"a": 1}) is None  # 1 is not true as an answer
    assert cache.recall({"a": True, "c": 1}) is None  # an undeclared key
    cache.keep({"a": [1]}, decided, 0)  # unhashable: nothing kept, no error
    assert cache.recall({"a": [1]}) is None and len(cache.decisions) == 1


def test_the_cache_stops_growing_at_its_bound(
    engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rulewright.core.evaluate.decisions as decisions

    monkeypatch.setattr(decisions, "CACHE_SIZE", 5)
    cached, full = engines
    for case in leg_pain_cases():
        assert cached.evaluate(case) == full.evaluate(case)
    assert cached._cache is not None and len(cached._cache.decisions) == 5
