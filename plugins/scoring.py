"""The `weighted-sum` scorer: each score is a sum of weighted items, or a derived expression.

An item contributes its weight when its condition is true and 0 when false; when unknown, the
score becomes an interval (or, with `missing: ignore`, the item contributes 0). Every
contribution is traced under `--explain`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rulewright.core import Compiler, Ruleset, bounds, hookimpl, make_score, score_order

ScoreFn = Callable[[dict[str, Any], list[dict[str, Any]] | None], None]


class WeightedSum:
    name = "weighted-sum"

    def compile(self, ruleset: Ruleset, compiler: Compiler) -> ScoreFn:
        steps: list[Callable[[dict[str, Any], list[dict[str, Any]] | None], None]] = []
        for score in score_order(ruleset):
            if score.compute is not None:
                steps.append(_derived(score.id, compiler.expr(score.compute)))
            else:
                items = [
                    (
                        item.id,
                        compiler.condition(item.when) if item.when is not None else None,
                        compiler.expr(item.value) if item.value is not None else None,
                        item.weight,
                    )
                    for item in score.items
                ]
                steps.append(_summed(score.id, items, ignore_missing=score.missing == "ignore"))

        def score_all(env: dict[str, Any], contributions: list[dict[str, Any]] | None) -> None:
            for step in steps:
                step(env, contributions)

        return score_all


def _derived(sid: str, fn: Callable[[Mapping[str, Any]], Any]) -> ScoreFn:
    def derived(env: dict[str, Any], contributions: list[dict[str, Any]] | None) -> None:
        env[sid] = fn(env)

    return derived


def _summed(sid: str, items: list[tuple[str, Any, Any, float]], *, ignore_missing: bool) -> ScoreFn:
    # Fast path: every item is a weighted condition (the common instrument shape).
    if all(cond is not None for _, cond, _, _ in items):
        conds = [(iid, cond, w, min(0.0, w), max(0.0, w)) for iid, cond, _, w in items]

        def summed(env: dict[str, Any], contributions: list[dict[str, Any]] | None) -> None:
            lo = hi = 0.0
            for iid, cond, w, wlo, whi in conds:
                v = cond(env)
                if v is True:
                    lo += w
                    hi += w
                elif v is None and not ignore_missing:
                    lo += wlo
                    hi += whi
                if contributions is not None:
                    points = (
                        w if v is True else 0 if (v is False or ignore_missing) else {"min": wlo, "max": whi}
                    )
                    contributions.append({"score": sid, "item": iid, "matched": v, "points": points})
            env[sid] = make_score(lo, hi)

        return summed

    def mixed(env: dict[str, Any], contributions: list[dict[str, Any]] | None) -> None:
        lo = hi = 0.0
        for iid, cond, value, w in items:
            if cond is not None:
                v = cond(env)
                part = (
                    (w, w)
                    if v is True
                    else (0.0, 0.0)
                    if v is False or ignore_missing
                    else (min(0.0, w), max(0.0, w))
                )
                matched: Any = v
            else:
                raw = value(env)
                if raw is None:
                    part = (0.0, 0.0) if ignore_missing else (float("-inf"), float("inf"))
                else:
                    part = bounds(raw)
                    if ignore_missing and part[0] != part[1]:
                        part = (0.0, 0.0)  # an unanswered item counts as nothing
                matched = None if part[0] != part[1] else True
            lo += part[0]
            hi += part[1]
            if contributions is not None:
                contributions.append(
                    {
                        "score": sid,
                        "item": iid,
                        "matched": matched,
                        "points": part[0] if part[0] == part[1] else {"min": part[0], "max": part[1]},
                    }
                )
        env[sid] = make_score(lo, hi)

    return mixed


@hookimpl
def rulewright_register_scorers(register: Callable[[str, Any], None]) -> None:
    register(WeightedSum.name, WeightedSum())
