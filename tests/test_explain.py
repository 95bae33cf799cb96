"""`--explain` decides nothing of its own: it reports what the compiled closures decided.

So a plugin operator that fails on a red flag fails the same way with and without `--explain`:
the flag is not screened, the case is an error naming the plugin, and no record is lost (the
explainer once called the operator again by itself, and its exception ended the whole run).
"""

from __future__ import annotations

from pathlib import Path

from rulewright.core import load_ruleset
from rulewright.core.evaluate.compiler import Compiler
from rulewright.core.evaluate.explain import explain
from tests.faults.plugins import EVALUATION_FAULTS
from tests.faults.test_fault_injection import records, run

OPERATOR_RAISES = next(f for f in EVALUATION_FAULTS if f.id == "operator-raises")


def _summary(out: list[dict]) -> list[tuple]:
    return [
        (r["status"], r["urgency"], sorted(f["id"] for f in r["red_flags"]), sorted(r["not_screened"]))
        for r in out
    ]


def test_failing_operator_with_explain_loses_no_record(tmp_path: Path) -> None:
    args = ("--format", "jsonl")
    plain = run(tmp_path, OPERATOR_RAISES.plugin(), *args, edits=OPERATOR_RAISES.edit)
    explained = run(tmp_path, OPERATOR_RAISES.plugin(), *args, "--explain", edits=OPERATOR_RAISES.edit)
    assert explained.exit_code == plain.exit_code == 1, explained.output
    with_trace = records(explained)
    assert _summary(with_trace) == _summary(records(plain))
    screened = [r for r in with_trace if r.get("trace")]
    assert screened, with_trace
    for record in screened:
        step = next(s for s in record["trace"] if s.get("id") == "faulty_flag")
        assert step["value"] is None and step["condition"]["value"] is None  # unknown, as reported


def test_each_node_reports_its_compiled_closure() -> None:
    """Every value in a trace is the value of that node's closure, the one the engine runs."""
    ruleset = load_ruleset("leg-pain@2.0.0")
    compiler = Compiler(ruleset)
    case = {"pain_quality": "sharp", "pain_pattern": "follows_path", "bladder_bowel_control": False}
    nodes = [f.when for f in ruleset.red_flags] + [o.when for o in ruleset.outcomes if o.when]

    def walk(node: object, tree: dict) -> int:
        assert tree["value"] is compiler.condition(node)(case)  # type: ignore[arg-type]
        kids = getattr(node, "items", None) or ([node.item] if hasattr(node, "item") else [])
        return 1 + sum(walk(k, t) for k, t in zip(kids, tree.get("children", []), strict=True))

    assert sum(walk(n, explain(n, case, compiler)) for n in nodes) > len(nodes)  # nested nodes seen
    assert compiler.condition(nodes[0]) is compiler.condition(nodes[0])  # compiled once, kept
