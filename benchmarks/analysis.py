"""Benchmark: exact analysis (`rules validate`) and the behavioural diff at 10-100 inputs.

Builds synthetic rulesets with N enum inputs of 3-5 answers each (so the space has
(4-6)^N combinations with *missing*), a weighted score per five inputs, three red flags, a few
dozen outcome rules and two invariants, plus a NEW version with one threshold raised and one
red flag widened. Times are wall-clock seconds, best of --repeat runs, and each is also given
as a ratio to the leg-pain analysis measured in the same run (the baseline), so figures from
different machines compare.

    .venv/bin/python benchmarks/analysis.py            # 10, 25, 50, 100 inputs
    .venv/bin/python benchmarks/analysis.py --sizes 25 --repeat 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rulewright.core.analysis.behaviour import diff_behaviour
from rulewright.core.analysis.partition import build_space
from rulewright.core.analysis.static import analyse
from rulewright.core.model.loader import check_document, load_document, load_ruleset


def synthetic(n: int, *, new: bool = False) -> str:
    """A ruleset with `n` enum inputs; `new` raises one threshold and widens one red flag.

    As in the bundled rulesets, red flags ask their own questions (the last three inputs) and
    the other inputs feed scores of five items each, one "high" and one "mid" outcome per score.
    """
    version = "1.1.0" if new else "1.0.0"
    lines = [
        "rulewright: 1",
        "id: synthetic",
        f"version: {version}",
        f"title: Synthetic ruleset with {n} inputs",
        "status: draft",
        "provenance:",
        "  authors: [benchmark]",
        "  references: [{id: ref, citation: Synthetic.}]",
        f"  changes: [{{version: {version}, note: generated}}]",
        "inputs:",
    ]
    values = {}
    for i in range(n):
        values[i] = [f"v{k}" for k in range(3 + i % 3)]
        lines.append(f"  - {{id: q{i}, type: enum, values: [{', '.join(values[i])}], question: Q{i}?}}")
    scored = n - 3
    flags = [f"q{n - 3}", f"q{n - 2}", f"q{n - 1}"]
    groups = [list(range(g, min(g + 5, scored))) for g in range(0, scored, 5)]
    lines.append("scores:")
    for g, members in enumerate(groups):
        lines.append(f"  - id: s{g}")
        lines.append("    items:")
        for i in members:
            lines.append(
                f"      - {{id: i{i}, when: {{fact: q{i}, in: [{values[i][-1]}, {values[i][-2]}]}}}}"
            )
    widened = "in: [v0, v1]" if new else "eq: v0"
    lines += [
        "red_flags:",
        f"  - {{id: f0, level: emergency, when: {{fact: {flags[0]}, eq: v0}}, message: F0., action: Act., references: [ref]}}",
        f"  - {{id: f1, level: urgent, when: {{fact: {flags[1]}, {widened}}}, message: F1., action: Act., references: [ref]}}",
        f"  - {{id: f2, level: review, when: {{fact: {flags[2]}, eq: v2}}, message: F2., action: Act., references: [ref]}}",
        "hit_policy: first",
        "outcomes:",
    ]
    for g in range(len(groups)):
        high = 4 if new and g == 0 else 3
        lines.append(f"  - {{id: high{g}, label: High {g}, when: {{score: s{g}, ge: {high}}}}}")
        lines.append(f"  - {{id: mid{g}, label: Mid {g}, when: {{score: s{g}, ge: 2}}}}")
    lows = ", ".join(f"{{score: s{g}, le: 1}}" for g in range(len(groups)))
    lines.append(f"  - {{id: low, label: Low, when: {{all: [{lows}]}}}}")
    lines += [
        "default: {id: unclear, label: Unclear}",
        "invariants:",
        f"  - {{id: f0_emergency, when: {{fact: {flags[0]}, eq: v0}}, expect: {{urgency: emergency}}}}",
        f"  - {{id: unscreened_review, when: {{not: {{answered: {flags[0]}}}}}, expect: {{urgency_at_least: review}}}}",
    ]
    return "\n".join(lines) + "\n"


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    def validate(ref: str) -> Callable[[], Any]:
        doc = load_document(ref)
        ruleset, _ = check_document(doc)
        assert ruleset is not None
        return lambda: analyse(ruleset, doc)

    base = best(validate("leg-pain@1.0.0"), args.repeat)
    print(f"baseline: leg-pain 1.0.0 validate analysis {base:.3f} s (5 inputs, 648 combinations)")
    fixture = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "leg-pain-1.1.0-threshold3.yaml"
    lp_old, lp_new = load_ruleset("leg-pain@1.0.0"), load_ruleset(str(fixture))
    t_lp = best(lambda: diff_behaviour(lp_old, lp_new), args.repeat)
    print(f"leg-pain 1.0.0 → 1.1.0 (threshold 3) diff {t_lp:.3f} s ({t_lp / base:.1f} × baseline)\n")
    print("| inputs | combinations | validate (s) | × baseline | diff (s) | × baseline | regions |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            old_path, new_path = Path(tmp, f"old{n}.yaml"), Path(tmp, f"new{n}.yaml")
            old_path.write_text(synthetic(n), encoding="utf-8")
            new_path.write_text(synthetic(n, new=True), encoding="utf-8")
            check = validate(str(old_path))
            old = check_document(load_document(str(old_path)))[0]
            new = check_document(load_document(str(new_path)))[0]
            assert old is not None and new is not None
            found: list[Any] = []
            t_validate = best(check, args.repeat)
            t_diff = best(
                lambda old=old, new=new, found=found: found.append(
                    diff_behaviour(old, new, max_regions=10_000)
                ),
                args.repeat,
            )
            total = build_space([old, new]).total()
            regions = len(found[-1].regions)
            print(
                f"| {n} | {total:.2e} | {t_validate:.2f} | {t_validate / base:.0f} | {t_diff:.2f} "
                f"| {t_diff / base:.0f} | {regions} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
