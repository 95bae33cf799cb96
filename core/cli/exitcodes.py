"""Exit codes of every `rules` command (docs/architecture.md#exit-codes; the table is in docs/cli.md).

1 and 3 mean the run completed and its output is whole; every other non-zero code means it did
not (or never started), so a pipeline that tolerates 1 never publishes an interrupted run.
"""

OK = 0
FINDINGS = 1  # a complete run found something: error records, failing tests, an invalid ruleset
# (`rules validate`), changed behaviour with `rules diff --exit-code`
USAGE = 2  # the run did not complete: a usage or configuration error, a ruleset that cannot be
# found or loaded, an unsafe or self-overwriting `--output`, a stop at an error record under
# `--on-error fail`, an I/O or internal error
FAIL_ON = 3  # `rules evaluate --fail-on LEVEL`: a complete run in which a record reached LEVEL;
# it wins over FINDINGS (an urgency the caller asked to hear about is the louder signal)
INTERRUPTED = 130  # 128 + SIGINT (Ctrl-C): the shell's code for a run ended by SIGINT
TERMINATED = 143  # 128 + SIGTERM: `kill`, a job scheduler or a container stopping it
CLOSED_PIPE = 141  # 128 + SIGPIPE: stdout's reader went away (`rules ... | head`), as the
# shell reports any tool a closed pipe ended


def for_batch(errors: int, reached: int) -> int:
    """The code of a complete `rules evaluate` run with `errors` error records and `reached`
    records at or above `--fail-on` (0 without it)."""
    if reached:
        return FAIL_ON
    return FINDINGS if errors else OK
