"""Exit codes of every `rules` command (docs/architecture.md#exit-codes)."""

OK = 0
FINDINGS = 1  # invalid ruleset, failing tests, changed behaviour with --exit-code, error records
USAGE = 2  # usage, configuration or internal error
FAIL_ON = 3  # `rules evaluate --fail-on LEVEL`: a record reached that urgency
