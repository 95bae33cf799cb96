"""Stage 4, analysis: exact questions about every possible input of a ruleset.

Owns the partition of the input space at the thresholds a ruleset uses (`partition`, `space`,
`regions`), score intervals over regions (`scores`), the z3 encoding (`symbolic`), the
whole-space checks of `rules validate` (`static`, `structure`, `invariants`), the behavioural
diff of `rules diff` (`behaviour`) and decision-space coverage of `rules test` (`coverage`).
May import `model`, `hooks` and `evaluate`. Imported only by the commands that need it
(validate, test, diff), never on the evaluation path.
"""
