"""Every step the engine writes into a trace can be printed (`--explain --format text`, test reports)."""

from __future__ import annotations

from rulewright.core import Engine, load_ruleset, trace_lines


def test_every_trace_step_of_a_decided_v2_case_prints() -> None:
    engine = Engine(load_ruleset("leg-pain@2.0.0"))
    case: dict[str, object] = {i.id: False for i in engine.ruleset.inputs if i.type == "boolean"}
    case.update(
        pain_quality="dull",
        pain_pattern="moves_around",
        exam_weakest_mrc=5,
        exam_neural_provocation="negative",
        imaging_concordant=True,
    )
    record = engine.evaluate(case, explain=True).to_record()
    assert record["status"] == "ok"
    steps = {step["step"] for step in record["trace"]}
    assert {"red_flag", "score", "outcome", "confidence", "decision"} <= steps
    lines = trace_lines(record["trace"])
    confidence = [line for line in lines if line.strip().startswith("confidence ")]
    assert confidence and record["outcome"]["id"] in confidence[0]
