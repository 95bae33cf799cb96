"""Stage 3, evaluate: compile a checked ruleset once and run cases through it.

Owns the three-valued logic and score intervals (`logic`), the compiler (`compiler`), input
type checks (`inputs`, `answers`), the engine and its per-case pipeline (`engine`: red-flag
screen, scoring, outcome, escalation hooks), the decision cache (`decisions`), the result
record (`result`), input records (`records`), the explain trace (`explain`, `tracetext`) and
options handed to output writers (`writers`). May import `model` and `hooks`. This is the hot
path: it never imports jsonschema, ruamel.yaml or any solver.
"""
