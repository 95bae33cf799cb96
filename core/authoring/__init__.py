"""Stage 5, authoring: what a clinical author uses besides the ruleset itself.

Owns YAML test suites and their runner (`suites`), test reports in text, JSON and JUnit
(`reports`), canonical formatting for `rules fmt` (`formatting`) and the scaffold for
`rules new` (`scaffold`). May import `model`, `hooks`, `evaluate` and `analysis`.
"""
