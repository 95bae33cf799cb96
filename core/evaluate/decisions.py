"""The decision cache: what one set of answers decided, reused for every later case with them.

A ruleset's inputs are few and mostly closed (booleans, enums), so a batch of a million cases
holds a few hundred distinct answer sets (leg-pain 1.0.0: 648 at most). The engine decides each
set once; later cases with the same answers get a copy of that decision, and batch writers get
its JSON ready-made (`Decision.tail`).

The cache is keyed by the answers *as given*, with their types: `true`, `1` and `1.0` are equal
in Python but not as answers, and only the first is a boolean. A record with an undeclared key
or an answer that cannot be hashed (a list, an object) has no key: it is checked and decided in
full, and so is any case whose answers fail the input check (those are never cached).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from rulewright.core.evaluate.result import ErrorInfo, OutcomeRef, RedFlagHit, RenderedTail, Result
from rulewright.core.model.ruleset import LEVELS

CACHE_SIZE = 4096
"""At most this many answer sets are kept per engine; later ones are decided in full each time.

An entry holds a decision and its JSON: about 1 KB for leg-pain 1.0.0 (648 answer sets in all),
5 KB for leg-pain 2.0.0 (32 inputs), so the cache stays under about 20 MB whatever the input."""

Key = tuple[tuple[Any, ...], tuple[type, ...]]


class Decision:
    """What one set of answers decided: everything in a result but where the case came from."""

    __slots__ = (
        "after",
        "before",
        "engine",
        "error",
        "facts",
        "missing",
        "not_screened",
        "outcome",
        "plugins",
        "rank",
        "recommendations",
        "red_flags",
        "ref",
        "rendered",
        "scores",
        "status",
        "tail",
        "urgency",
    )

    def __init__(self, result: Result, rank: int, facts: Mapping[str, Any] | None = None) -> None:
        # A result is immutable: its parts are shared by every result made from this decision.
        self.status = result.status
        self.outcome: OutcomeRef | None = result.outcome
        self.red_flags: tuple[RedFlagHit, ...] = result.red_flags
        self.not_screened = result.not_screened
        self.scores = result.scores
        self.missing = result.missing
        self.facts = facts  # the checked answers and scores (read-only), for escalations per case
        self.recommendations = result.recommendations
        self.error: ErrorInfo | None = result.error
        self.rank = rank
        self.urgency = LEVELS[rank]
        self.ref, self.engine, self.plugins = result.ruleset, result.engine, result.plugins
        # Written once from a result nobody else holds, so it is exactly what `to_json` writes:
        # the record's JSON after `"input":{...}`, newline included.
        self.before = (self.ref, self.status, self.urgency)
        self.after: tuple[Any, ...] = (
            self.outcome,
            self.red_flags,
            self.not_screened,
            self.scores,
            self.missing,
            self.recommendations,
            self.engine,
            self.error,
            None,
            self.plugins,
            None,
            None,
        )
        self.rendered = RenderedTail(self.result(None, None, None))
        self.tail = self.rendered.tail
        self.after = (*self.after[:-1], self.rendered)

    def result(self, line: int | None, record_id: Any, row: int | None) -> Result:
        """A new result for a case with these answers."""
        # Built from the fields before and after where the case came from, as one tuple: the
        # hottest call of a batch, and a third of the cost of `Result(...)` with 18 arguments.
        # tests/test_decision_cache.py compares every field with a full run.
        return _new_tuple(Result, self.before + (line, record_id, row) + self.after)


_new_tuple = tuple.__new__


class DecisionCache:
    """Decisions by answers, for one engine (one ruleset, one set of plugins)."""

    def __init__(self, inputs: tuple[str, ...], id_field: str | None) -> None:
        self.inputs = inputs
        # A record whose keys are all in here may be answered from the cache.
        self.accepted = frozenset([*inputs, *([id_field] if id_field else [])])
        self.decisions: dict[Key, Decision] = {}

    def _key(self, record: Mapping[str, Any]) -> Key | None:
        """The answers as given, with their types; None when the record cannot be cached."""
        if not record.keys() <= self.accepted:
            return None  # an undeclared key: an error the input check reports
        answers = tuple(map(record.get, self.inputs))
        return answers, tuple(map(type, answers))

    def recall(self, record: Mapping[str, Any]) -> Decision | None:
        """The decision for this record's answers, if they have been decided before."""
        if not record.keys() <= self.accepted:  # `_key`, written out: this runs once per record
            return None
        answers = tuple(map(record.get, self.inputs))
        try:
            return self.decisions.get((answers, tuple(map(type, answers))))
        except TypeError:  # an answer that cannot be hashed (a list, an object): a wrong answer too
            return None

    def keep(
        self, record: Mapping[str, Any], result: Result, rank: int, facts: Mapping[str, Any] | None = None
    ) -> None:
        """Remember what `result` (just decided in full, before observers) decided for the record."""
        key = self._key(record)
        if key is not None and len(self.decisions) < CACHE_SIZE:
            with suppress(TypeError):  # unhashable answers: nothing to key on
                self.decisions[key] = Decision(result, rank, facts)
