"""Escalations a ruleset declares under `escalations:` (conditions over inputs and scores).

Red flags are screened by the core on inputs alone; these run after scoring and the outcome,
through the same `rulewright_escalate` hook any third-party plugin uses, so they can only raise
urgency.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

from rulewright.core import Engine, Escalation, Result, Ruleset, hookimpl

_Compiled = list[tuple[Escalation, Callable[[Mapping[str, Any]], bool | None]]]
_cache: weakref.WeakKeyDictionary[Engine, _Compiled] = weakref.WeakKeyDictionary()


def _compiled(engine: Engine, ruleset: Ruleset) -> _Compiled:
    found = _cache.get(engine)
    if found is None:
        found = [
            (Escalation(e.id, e.level, e.message, e.action), engine.compiler.condition(e.when))
            for e in ruleset.escalations
        ]
        _cache[engine] = found
    return found


@hookimpl
def rulewright_escalate(
    engine: Engine, ruleset: Ruleset, facts: Mapping[str, Any], result: Result
) -> list[Escalation] | None:
    if not ruleset.escalations:
        return None
    return [esc for esc, when in _compiled(engine, ruleset) if when(facts) is True]
