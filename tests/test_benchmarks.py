"""The benchmark harness runs and its baselines agree with the engine (no timing is asserted)."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from benchmarks import data, floor, run


def test_generated_cases_are_seeded_and_about_one_percent_malformed() -> None:
    first = list(data.lines(3000))
    assert first == list(data.lines(3000))  # the same seed writes the same bytes
    malformed = sum(1 for line in first if not line.startswith(b'{"id"'))
    assert 10 <= malformed <= 60


def test_floor_writes_the_engines_record_for_every_well_formed_case() -> None:
    from rulewright.core import Engine, load_ruleset

    engine = Engine(load_ruleset("leg-pain@1.0.0"))
    cases = list(data.records(400, seed=11))
    ours = [r.to_record() for r in engine.evaluate_batch(cases)]
    ref, eng = ours[0]["ruleset"], ours[0]["engine"]
    assert [floor.decide(c, i, ref, eng) for i, c in enumerate(cases, 1)] == ours


@pytest.mark.slow
def test_the_harness_runs_end_to_end_on_a_few_records() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        code = run.main(["--records", "300", "--repeat", "1", "--scale", "0"])
    report = out.getvalue()
    assert code == 0, report  # 0 means: no disagreement, and --jobs wrote what --jobs 1 wrote
    assert "agreement: 0 disagreements" in report
    for row in (
        "hand-written Python floor",
        "rules evaluate --jobs 2",
        "Engine.evaluate_batch",
        "cold start",
    ):
        assert row in report
