"""Coverage in the decision space: which parts of a ruleset's logic no test case exercised.

Not lines of code but decisions: every outcome (and the default) reached; every red flag seen
firing, clear and (where possible) not screened; every ruleset escalation firing and clear;
every score item counting and not counting; every score band reached; every hit-policy branch
(an outcome rule evaluated false so the decision moved on, and the undetermined branch); and
every threshold boundary, the value just below, at and above each cut-off a condition compares
a numeric answer or a score with ("just" = within one unit: `t-1 <= v < t`, `t < v <= t+1`).

Items no answers can ever reach (a rule that can never be false, a value outside an input's
range) are found by running the engine over the representative answers of
`analysis.space` (missing included) and are left out of the percentage, so 100% is always
attainable. Boundaries outside an input's declared range or a score's possible range are left
out without enumerating; when the space is too large to enumerate, every other item counts. Each reachable item
keeps the first representative answers that reach it, which `--suggest` turns into a suite
skeleton for the author to complete.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rulewright.core.analysis.space import conditions, domain, jsonable, leaves
from rulewright.core.evaluate.compiler import Compiler, score_test
from rulewright.core.evaluate.engine import Engine
from rulewright.core.evaluate.explain import describe
from rulewright.core.evaluate.logic import bounds
from rulewright.core.model import ruleset as m
from rulewright.core.model.diagnostics import JsonPath
from rulewright.core.model.refs import iter_refs, score_order, score_refs

MAX_CASES = 20_000
"""Largest enumeration used to find unreachable items (each case runs the engine with a trace)."""

KINDS = ("outcome", "red_flag", "score_item", "band", "hit_policy", "boundary")
KIND_LABELS = {
    "outcome": "outcomes",
    "red_flag": "red flags",
    "score_item": "score items",
    "band": "score bands",
    "hit_policy": "hit-policy branches",
    "boundary": "threshold boundaries",
}
_NUMERIC_OPS = ("lt", "le", "gt", "ge", "eq", "ne", "between", "band")


@dataclass(frozen=True)
class Item:
    kind: str
    key: str
    text: str
    path: JsonPath = ()


@dataclass
class Coverage:
    ruleset: m.Ruleset
    items: list[Item]
    covered: set[str] = field(default_factory=set)
    reachable: set[str] | None = None
    """Keys some answers can reach; None when the space was too large to tell."""
    impossible: set[str] = field(default_factory=set)
    """Boundary keys outside the range an input or score can take (known without enumerating)."""
    witnesses: dict[str, dict[str, Any]] = field(default_factory=dict)

    def counted(self) -> list[Item]:
        return [
            i
            for i in self.items
            if i.key not in self.impossible and (self.reachable is None or i.key in self.reachable)
        ]

    def uncovered(self) -> list[Item]:
        return [i for i in self.counted() if i.key not in self.covered]

    def unreachable(self) -> list[Item]:
        counted = {i.key for i in self.counted()}
        return [i for i in self.items if i.key not in counted]

    @property
    def percent(self) -> float:
        counted = self.counted()
        if not counted:
            return 100.0
        return 100.0 * sum(1 for i in counted if i.key in self.covered) / len(counted)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        out = {}
        for kind in KINDS:
            mine = [i for i in self.counted() if i.kind == kind]
            out[kind] = (sum(1 for i in mine if i.key in self.covered), len(mine))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": round(self.percent, 2),
            "exact": self.reachable is not None,
            "kinds": {k: {"covered": c, "total": t} for k, (c, t) in self.by_kind().items()},
            "uncovered": [
                {"kind": i.kind, "key": i.key, "text": i.text, "example": self.witnesses.get(i.key)}
                for i in self.uncovered()
            ],
            "unreachable": [i.key for i in self.unreachable()],
        }


# --- the items of a ruleset --------------------------------------------------------------------


def _decisions(ruleset: m.Ruleset) -> Iterator[m.Condition | None]:
    """The conditions the engine evaluates (invariants are the analysis's, not the engine's)."""
    return conditions(ruleset, invariants=False)


def thresholds(ruleset: m.Ruleset) -> list[tuple[str, str, float, JsonPath]]:
    """(kind, name, cut-off, path) for every numeric cut-off a condition compares with."""
    found: dict[tuple[str, str, float], JsonPath] = {}
    for cond in _decisions(ruleset):
        for leaf in leaves(cond):
            if not isinstance(leaf, m.Compare) or leaf.op not in _NUMERIC_OPS:
                continue
            if leaf.kind == "fact":
                decl = ruleset.input(leaf.name)
                if decl is None or decl.type not in ("integer", "number"):
                    continue
            values: Iterable[Any]
            op, arg = score_test(ruleset, leaf) if leaf.kind == "score" else (leaf.op, leaf.value)
            values = arg if op == "between" else (arg,)
            for v in values:
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    found.setdefault((leaf.kind, leaf.name, float(v)), leaf.path)
    return [(k, n, t, p) for (k, n, t), p in sorted(found.items(), key=lambda kv: kv[0])]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def items(ruleset: m.Ruleset) -> list[Item]:
    out: list[Item] = []
    for o in ruleset.outcomes:
        out.append(Item("outcome", f"outcome:{o.id}", f"outcome {o.id} reached", o.path))
    if ruleset.default is not None:
        d = ruleset.default
        out.append(Item("outcome", f"outcome:{d.id}", f"default outcome {d.id} reached", d.path))
    for f in ruleset.red_flags:
        out.append(Item("red_flag", f"red_flag:{f.id}:fires", f"red flag {f.id} fires", f.path))
        out.append(Item("red_flag", f"red_flag:{f.id}:clear", f"red flag {f.id} screened and clear", f.path))
        out.append(
            Item(
                "red_flag",
                f"red_flag:{f.id}:not_screened",
                f"red flag {f.id} not screened (answer missing)",
                f.path,
            )
        )
    for e in ruleset.escalations:
        out.append(Item("red_flag", f"escalation:{e.id}:fires", f"escalation {e.id} fires", e.path))
        out.append(Item("red_flag", f"escalation:{e.id}:clear", f"escalation {e.id} does not fire", e.path))
    for s in ruleset.scores:
        for i in s.items:
            if i.when is None:
                continue
            out.append(
                Item(
                    "score_item",
                    f"score_item:{s.id}.{i.id}:counts",
                    f"score item {s.id}.{i.id} counts",
                    i.path,
                )
            )
            out.append(
                Item(
                    "score_item",
                    f"score_item:{s.id}.{i.id}:not",
                    f"score item {s.id}.{i.id} does not count",
                    i.path,
                )
            )
        for b in s.bands:
            out.append(Item("band", f"band:{s.id}.{b.id}", f"score {s.id} in band {b.id}", b.path))
    for o in ruleset.outcomes:
        if o.when is not None:
            out.append(
                Item(
                    "hit_policy",
                    f"rule:{o.id}:false",
                    f"outcome rule {o.id} evaluated false ({describe(o.when)}), decision moves on",
                    o.path + ("when",),
                )
            )
    out.append(
        Item(
            "hit_policy",
            "undetermined",
            "outcome undetermined (a missing answer could change it)",
            ("outcomes",),
        )
    )
    for kind, name, t, path in thresholds(ruleset):
        for side, label in (("below", "just below"), ("at", "at"), ("above", "just above")):
            out.append(
                Item(
                    "boundary", f"boundary:{kind}:{name}:{_num(t)}:{side}", f"{name} {label} {_num(t)}", path
                )
            )
    return out


# --- what one result exercised -----------------------------------------------------------------


def _side(value: Any, t: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value == t:
        return "at"
    if t - 1 <= value < t:
        return "below"
    if t < value <= t + 1:
        return "above"
    return None


def observe(ruleset: m.Ruleset, answers: Mapping[str, Any], record: Mapping[str, Any]) -> set[str]:
    """The item keys one evaluated case exercised (`record` is a result record with a trace)."""
    seen: set[str] = set()
    if record["outcome"]:
        seen.add(f"outcome:{record['outcome']['id']}")
    if record["status"] == "undetermined":
        seen.add("undetermined")
    flag_ids = {f.id for f in ruleset.red_flags}
    fired_escalations = set()
    for hit in record["red_flags"]:
        if hit["source"] == "ruleset" and hit["id"] in flag_ids:
            seen.add(f"red_flag:{hit['id']}:fires")
        else:
            fired_escalations.add(hit["id"])
    for fid in record["not_screened"]:
        seen.add(f"red_flag:{fid}:not_screened")
    for e in ruleset.escalations:
        if e.id in fired_escalations:
            seen.add(f"escalation:{e.id}:fires")
        elif record["status"] != "error":
            seen.add(f"escalation:{e.id}:clear")
    for step in record.get("trace") or ():
        if step["step"] == "red_flag" and step["value"] is False:
            seen.add(f"red_flag:{step['id']}:clear")
        elif step["step"] == "outcome" and step["value"] is False:
            seen.add(f"rule:{step['id']}:false")
        elif step["step"] == "score":
            for c in step["contributions"]:
                if c.get("matched") is True:
                    seen.add(f"score_item:{step['id']}.{c['item']}:counts")
                elif c.get("matched") is False:
                    seen.add(f"score_item:{step['id']}.{c['item']}:not")
    scores = record["scores"]
    for s in ruleset.scores:
        value = scores.get(s.id)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            for b in s.bands:
                lo = -math.inf if b.minimum is None else b.minimum
                hi = math.inf if b.maximum is None else b.maximum
                if lo <= value <= hi:
                    seen.add(f"band:{s.id}.{b.id}")
    for kind, name, t, _ in thresholds(ruleset):
        value = answers.get(name) if kind == "fact" else scores.get(name)
        side = _side(value, t)
        if side:
            seen.add(f"boundary:{kind}:{name}:{_num(t)}:{side}")
    return seen


# --- reachability ---


def value_ranges(ruleset: m.Ruleset, compiler: Compiler) -> dict[tuple[str, str], tuple[float, float, bool]]:
    """(kind, name) -> (lowest, highest, integers only) for numeric inputs and scores.

    Inputs take their declared range; a weighted sum ranges from its negative to its positive
    weights (plus the bounds of value items); a computed score is bounded by interval arithmetic
    over the ranges it reads.
    """
    out: dict[tuple[str, str], tuple[float, float, bool]] = {}
    for decl in ruleset.inputs:
        if decl.type in ("integer", "number"):
            lo = -math.inf if decl.minimum is None else decl.minimum
            hi = math.inf if decl.maximum is None else decl.maximum
            out[("fact", decl.id)] = (lo, hi, decl.type == "integer")
    env: dict[str, Any] = {}
    for score in score_order(ruleset):
        if score.compute is not None:
            lo, hi = _bounds(compiler.expr(score.compute)(env))
            integral = False
        else:
            lo = hi = 0.0
            integral = True
            for item in score.items:
                if item.when is not None:
                    lo += min(0.0, item.weight)
                    hi += max(0.0, item.weight)
                    integral = integral and float(item.weight).is_integer()
                elif item.value is not None:
                    vlo, vhi = _bounds(compiler.expr(item.value)(env))
                    lo, hi = lo + vlo, hi + vhi
                    integral = False
        env[score.id] = (lo, hi) if lo != hi else lo
        out[("score", score.id)] = (lo, hi, integral)
    return out


def _bounds(value: Any) -> tuple[float, float]:
    if value is None:
        return (-math.inf, math.inf)
    return bounds(value)  # type: ignore[no-any-return]


def _side_possible(side: str, t: float, lo: float, hi: float, integral: bool) -> bool:
    """Whether a value in [lo, hi] (an integer, if `integral`) lies just below, at or above t."""
    if side == "at":
        return lo <= t <= hi and (not integral or float(t).is_integer())
    if not integral:  # below: [t-1, t); above: (t, t+1]
        return lo < t and hi >= t - 1 if side == "below" else hi > t and lo <= t + 1
    if side == "below":
        first, last = max(math.ceil(t - 1), math.ceil(lo)), min(math.ceil(t) - 1, math.floor(hi))
    else:
        first, last = max(math.floor(t) + 1, math.ceil(lo)), min(math.floor(t + 1), math.floor(hi))
    return first <= last


def impossible_boundaries(ruleset: m.Ruleset, compiler: Compiler) -> set[str]:
    """Boundary items no value in the input's or score's range can hit (e.g. above a maximum)."""
    ranges = value_ranges(ruleset, compiler)
    out: set[str] = set()
    for kind, name, t, _ in thresholds(ruleset):
        lo, hi, integral = ranges.get((kind, name), (-math.inf, math.inf, False))
        for side in ("below", "at", "above"):
            if not _side_possible(side, t, lo, hi, integral):
                out.add(f"boundary:{kind}:{name}:{_num(t)}:{side}")
    return out


# --- enumeration ------------------------------------------------------------------------------


def _read_inputs(ruleset: m.Ruleset) -> list[str]:
    """Inputs some decision reads (others cannot change a result, so they are not varied)."""
    names: set[str] = set()
    for cond in _decisions(ruleset):
        if cond is not None:
            names |= {n for kind, n, _ in iter_refs(cond) if kind == "fact"}
    for s in ruleset.scores:
        names |= {n for kind, n, _ in score_refs(s) if kind == "fact"}
    return sorted(n for n in names if ruleset.input(n) is not None)


def space(ruleset: m.Ruleset) -> Iterator[dict[str, Any]] | None:
    """Representative answers, missing answers included, or None if there are too many."""
    names = _read_inputs(ruleset)
    for with_missing in (True, False):
        domains = []
        total = 1
        for name in names:
            decl = ruleset.input(name)
            assert decl is not None
            values = domain(ruleset, decl)
            if values is None:
                return None
            if with_missing and decl.missing == "unknown":
                values = [*values, None]
            domains.append(values)
            total *= len(values)
        if total <= MAX_CASES:
            return (
                {k: v for k, v in zip(names, combo, strict=True) if v is not None}
                for combo in itertools.product(*domains)
            )
    return None


def measure(engine: Engine, cases: Iterable[Mapping[str, Any]], *, exact: bool = True) -> Coverage:
    """Coverage of `cases` (answers that ran), with reachability from enumeration when `exact`."""
    ruleset = engine.ruleset
    cov = Coverage(ruleset, items(ruleset))
    cov.impossible = impossible_boundaries(ruleset, engine.compiler)
    for answers in cases:
        cov.covered |= observe(ruleset, answers, engine.evaluate(answers, explain=True).to_record())
    if exact:
        enumerated = space(ruleset)
        if enumerated is not None:
            cov.reachable = set()
            for case in enumerated:
                for key in observe(ruleset, case, engine.evaluate(case, explain=True).to_record()):
                    if key not in cov.reachable:
                        cov.reachable.add(key)
                        cov.witnesses[key] = jsonable(case)
    return cov


# --- a skeleton suite for what is left --------------------------------------------------------


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _flow(value: Any) -> str:
    """A value as compact YAML flow text: `{days: 0, pain: severe}`, quoting only when needed."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str) and _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    return json.dumps(value, ensure_ascii=False)


def suggestion(cov: Coverage, schema_ref: str | None = None) -> str:
    """A test-suite skeleton with one `todo` case per uncovered reachable item.

    The answers come from enumeration; the expectations are left for the author to write from
    the clinical source, never copied from what the engine answers today.
    """
    rs = cov.ruleset
    lines = []
    if schema_ref:
        lines.append(f"# yaml-language-server: $schema={schema_ref}")
    lines += [
        f"# Cases suggested by `rules test --suggest` for {rs.ref}: each reaches a part of the",
        "# decision space no case exercised yet. Check the answers, write under `expect` what the",
        "# result must be according to the clinical source (not what the engine says today), then",
        "# delete the `todo` line.",
        f"ruleset: {rs.id}",
        f'versions: ["{rs.version}"]',
        "cases:",
    ]
    names: set[str] = set()
    todo = [i for i in cov.uncovered() if i.key in cov.witnesses]
    for item in todo:
        name = re.sub(r"[^A-Za-z0-9_]+", "_", item.key).strip("_")
        while name in names:
            name += "_"
        names.add(name)
        answers = _flow(cov.witnesses[item.key])
        lines += [
            f"  - name: {name}",
            f"    description: {json.dumps('covers: ' + item.text, ensure_ascii=False)}",
            f"    answers: {answers}",
            "    todo: write the expected result",
        ]
    if not todo:
        lines[-1] = "cases: []"
    return "\n".join(lines) + "\n"
